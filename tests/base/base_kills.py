"""The base killed (kill -9) again and again while work flows on another thread: the crash
campaigns of registrations (test_crash.py) and of executions (test_crash_executions.py)."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from typing import Any


def kill_base_during(base: Any, work: Callable[[threading.Event], None], progress: Callable[[], int], kills: int,
                     rng: random.Random, join_timeout: float = 60) -> int:
    """Run ``work(stop)`` on a thread and kill -9 the base ``kills`` times, each time once the
    work made ``progress()`` again after the restart (or 5 s passed), at a random moment; restart
    it at once. Then ``stop`` is set and the work joined; an error of the work fails the test.
    Returns the kills made (fewer only if the work ended by itself)."""
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
        seen = progress()
        deadline = time.monotonic() + 5
        while progress() == seen and time.monotonic() < deadline:
            time.sleep(0.01)  # the work is flowing again after the restart
        time.sleep(rng.uniform(0.0, 0.3))
        base.kill()  # kill -9, wherever the work stands
        made += 1
        time.sleep(rng.uniform(0.0, 0.2))
        base.start()
    time.sleep(0.5)
    stop.set()
    worker.join(join_timeout)
    assert not errors, errors
    return made
