"""A group practice at work while the national base crashes: four workstation processes of one
physician, one practice store on PostgreSQL, 50 ordonnances each, registered with the reference
base on PostgreSQL (two server processes), which is killed with kill -9 twice and restarted.
Every ordonnance gets its own number and is registered exactly once: 200 distinct numbers,
200 registrations, none lost, none duplicated."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from practice_workstation import DEADLINE as WORKSTATION_DEADLINE

from circuit_support import EXAMPLE_BUNDLE, REPO, cli_env, run_cli, running_base

pytestmark = [pytest.mark.postgresql, pytest.mark.slow]

WORKSTATIONS = 4
EACH = 50
TOTAL = WORKSTATIONS * EACH


def _crash(base) -> None:  # type: ignore[no-untyped-def]
    """kill -9 of every server process of the base (its workers first: none gets to stop cleanly)."""
    pid = base.process.pid
    children = [int(c) for task in Path(f"/proc/{pid}/task").iterdir()
                for c in (task / "children").read_text().split()]
    for victim in [*children, pid]:
        os.kill(victim, signal.SIGKILL)
    base.process.wait()
    for child in children:
        while not _dead(child):
            time.sleep(0.01)


def _dead(pid: int) -> bool:
    """A zombie, or already reaped by init (its /proc entry can vanish between two reads)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] in ("Z", "X")
    except OSError:  # gone (ENOENT, or ESRCH while it is being reaped)
        return True


def _registered(base) -> int:  # type: ignore[no-untyped-def]
    return int(base.rows("SELECT count(*) FROM prescriptions")[0][0])


def test_four_workstations_while_the_base_is_killed_twice(tmp_path, pki_dir, postgres_cluster) -> None:  # type: ignore[no-untyped-def]
    from circuit_support import postgres_rows

    rng = random.Random(os.environ.get("LAP_CRASH_SEED", "14"))
    practice = postgres_cluster.dsn(postgres_cluster.create_database("practice"))
    database = postgres_cluster.dsn(postgres_cluster.create_database("base"))
    with running_base(tmp_path / "base", pki_dir, database=database, workers=2) as base:
        processes = []
        for i in range(WORKSTATIONS):
            home = tmp_path / f"workstation-{i}"
            env = cli_env(home / "data", home / "config", base, LAP_STORE=practice)
            enrolled = run_cli(["enrol", "--virtual", "--pki", str(pki_dir), "--pin-stdin"], env)
            assert enrolled.returncode == 0, enrolled.stderr
            processes.append(subprocess.Popen(
                [sys.executable, str(Path(__file__).with_name("practice_workstation.py")), practice, str(pki_dir),
                 base.url, str(base.ca), str(EXAMPLE_BUNDLE), str(EACH)],
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=REPO))
        kills: list[int] = []
        restarts: list[float] = []
        for threshold in (rng.randint(20, 60), rng.randint(90, 140)):  # two crashes in the middle of the flow
            deadline = time.monotonic() + 180
            while _registered(base) < threshold and time.monotonic() < deadline:
                if any(p.poll() is not None for p in processes):
                    break
                time.sleep(0.02)
            kills.append(_registered(base))
            _crash(base)
            time.sleep(rng.uniform(0.2, 1.0))
            started = time.monotonic()
            base.start(timeout=120)  # the workstations keep the 2 cores busy meanwhile
            restarts.append(round(time.monotonic() - started, 1))
        outputs = []
        for process in processes:
            out, err = process.communicate(timeout=WORKSTATION_DEADLINE + 60)
            assert process.returncode == 0, err[-3000:]
            outputs.append([json.loads(line) for line in out.splitlines()])
        on_base = [row[0] for row in base.rows("SELECT number FROM prescriptions")]
        audited = dict(base.rows("SELECT outcome, count(*) FROM audit WHERE action = 'register' GROUP BY outcome"))
    prescribed = [line for lines in outputs for line in lines if "number" in line]
    queued = [line["number"] for line in prescribed if line["status"] != "registered"]
    local = postgres_rows(practice, "SELECT number, status FROM ordonnances")
    outbox = postgres_rows(practice, "SELECT count(*) FROM outbox")[0][0]
    numbers = [number for number, _status in local]
    lost = len(set(numbers) - set(on_base))
    duplicated = len(on_base) - len(set(on_base)) + len(set(on_base) - set(numbers))
    took = max(line["seconds"] for lines in outputs for line in lines if "seconds" in line)
    print(f"\n{WORKSTATIONS} workstations × {EACH} (the slowest in {took} s): base killed at {kills} registrations, "
          f"restarted in {restarts} s, {len(queued)} queued during the outages and registered later, audit {audited}, "
          f"registered {len(on_base)}, lost {lost}, duplicated {duplicated}")
    assert len(kills) == 2 and all(0 < k < TOTAL for k in kills)  # both crashes struck mid-flow
    assert len(prescribed) == TOTAL and all(line["number"] for line in prescribed)
    assert len(numbers) == len(set(numbers)) == TOTAL and {status for _n, status in local} == {"registered"}
    assert outbox == 0
    assert sorted(on_base) == sorted(numbers) and len(set(on_base)) == TOTAL
    assert audited.get("ok") == TOTAL
    assert lost == 0 and duplicated == 0
