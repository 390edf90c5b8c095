"""The base killed (kill -9) again and again while work flows on another thread: the crash
campaigns of registrations (test_crash.py), of executions (test_crash_executions.py) and of DMP
filings (tests/dmp/test_dmp_crash.py)."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from typing import Any

# The work flows again after a restart well within this (a base restart took 8–9 s at load 14,
# the first registration after it a few seconds more); past it, the work is stuck: a defect.
RECOVERY_TIMEOUT = 180.0


def kill_base_during(base: Any, work: Callable[[threading.Event], None], progress: Callable[[], int], kills: int,
                     rng: random.Random, join_timeout: float = 60) -> int:
    """Run ``work(stop)`` on a thread and kill -9 the base ``kills`` times, each time once the
    work made ``progress()`` again after the restart, at a random moment; restart it at once.
    Once the work made progress after the last restart too, ``stop`` is set and the work joined;
    an error of the work fails the test. Returns the kills made (fewer only if the work ended by
    itself). Counted in progress, not in seconds: each kill strikes flowing work, and a test may
    count on ``kills + 1`` steps of progress however slow the machine is."""
    stop = threading.Event()
    errors: list[BaseException] = []

    def run() -> None:
        try:
            work(stop)
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    worker = threading.Thread(target=run)
    worker.start()
    made = 0
    while made < kills and worker.is_alive():
        _flowing_again(progress, worker)
        time.sleep(rng.uniform(0.0, 0.3))
        base.kill()  # kill -9, wherever the work stands
        made += 1
        time.sleep(rng.uniform(0.0, 0.2))
        base.start()
    _flowing_again(progress, worker)
    stop.set()
    worker.join(join_timeout)
    assert not errors, errors
    return made


def _flowing_again(progress: Callable[[], int], worker: threading.Thread) -> None:
    """Back once ``progress()`` moves (or the work ended: its error, if any, is reported after)."""
    seen = progress()
    deadline = time.monotonic() + RECOVERY_TIMEOUT
    while progress() == seen and worker.is_alive():
        assert time.monotonic() < deadline, f"the work made no progress in {RECOVERY_TIMEOUT:.0f} s after the base restarted"
        time.sleep(0.01)
