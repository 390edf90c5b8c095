"""Crash campaign of executions: kill -9 the base (≥ 20 per round) while a prescrit records
executions with the application's own client, each execution under its own id and sent again
with that id until the base acknowledges it. After the campaign every acknowledged execution is
recorded exactly once, nothing else is, and the ordonnance's ledger adds up.
``LAP_FAULT_ROUNDS=N`` multiplies the kills, as for the registration campaigns (test_crash.py)."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import threading
import time
import uuid

import pytest
from attack_support import insider
from base_kills import kill_base_during

from circuit_support import running_base

pytestmark = pytest.mark.slow

ROUNDS = max(1, int(os.environ.get("LAP_FAULT_ROUNDS", "1")))
BOXES_PER_ORDONNANCE = 50  # line 2 of the example: no number of boxes, 50 a period


def _prescrit_client(base, person):  # type: ignore[no-untyped-def]
    from lap_app.base_client import HttpBaseClient, InstallationCredential
    from lap_app.base_client.client import Token

    installation_id, secret = person.installation.split(".", 1)
    client = HttpBaseClient(base.url, base.ca, installation=InstallationCredential(installation_id, secret),
                            retries=0, timeout=2.0)
    client.token = Token(person.token, time.time() + 3600, person.national_id, "21")
    return client


def test_base_killed_during_executions(tmp_path, pki_dir) -> None:  # type: ignore[no-untyped-def]
    from lap_app.base_client import BaseUnavailable
    from lap_app.standins.pki import init_pki

    rng = random.Random(os.environ.get("LAP_CRASH_SEED", "11"))
    pki = init_pki(pki_dir)
    acknowledged: dict[str, str] = {}  # execution id → number
    replayed: list[str] = []
    sent_again = 0

    with running_base(tmp_path / "base", pki_dir, token_ttl=3600) as base:
        physician = insider(base, pki.holder("medecin"), enrol=True)
        numbers = [physician.prescribe() for _ in range(40)]
        pharmacist = insider(base, pki.holder("pharmacien"), physician.installation)

        def execute_continuously(stop: threading.Event) -> None:
            nonlocal sent_again
            with _prescrit_client(base, pharmacist) as client:
                for index in range(len(numbers) * BOXES_PER_ORDONNANCE):
                    if stop.is_set():
                        return
                    number, execution_id = numbers[index // BOXES_PER_ORDONNANCE], uuid.uuid4().hex
                    while True:  # the same id until the base answers: a replay, never a double
                        try:
                            view = client.prescrit_execute(number, execution_id, [{"line": 2, "quantity": 1}], False)
                            break
                        except BaseUnavailable:
                            sent_again += 1
                            time.sleep(0.05)
                    acknowledged[execution_id] = number
                    if view["replayed"]:
                        replayed.append(execution_id)

        started = time.monotonic()
        kills = kill_base_during(base, execute_continuously, lambda: len(acknowledged), 20 * ROUNDS, rng)
        with sqlite3.connect(base.data_dir / "base.sqlite3") as db:
            executions = [row[0] for row in db.execute("SELECT id FROM executions")]
            dispensed = dict(db.execute("SELECT number, sum(quantity) FROM dispensings GROUP BY number").fetchall())
        follow = physician.call("GET", f"/prescriptions/{numbers[0]}/follow-up").json()
        for person in (physician, pharmacist):
            person.close()
    duplicated = len(executions) - len(set(executions))
    lost = len(set(acknowledged) - set(executions))
    unknown = len(set(executions) - set(acknowledged))
    print(f"\nexecution crash campaign ({ROUNDS} round(s), {time.monotonic() - started:.0f} s): base kills {kills}, "
          f"acknowledged {len(acknowledged)}, sent again {sent_again}, replayed {len(replayed)}, "
          f"lost {lost}, duplicated {duplicated}, recorded unacknowledged {unknown}")
    assert kills >= 20 * ROUNDS and len(acknowledged) >= 40
    assert lost == 0 and duplicated == 0
    assert unknown == 0  # the worker finishes the execution it started: each one ends acknowledged
    expected: dict[str, float] = {}
    for number in acknowledged.values():
        expected[number] = expected.get(number, 0.0) + 1
    assert dispensed == expected  # one box per execution, no more
    assert follow["lines"][1]["done"] == expected.get(numbers[0], 0.0)


PHASES = ("started", "written", "answered")


COMMANDS = {"prescrit execute": ["prescrit", "execute"], "pharmacy dispense": ["pharmacy", "dispense"]}


@pytest.mark.parametrize("command_name", COMMANDS)
def test_prescrit_client_killed_in_every_phase(tmp_path, pki_dir, command_name) -> None:  # type: ignore[no-untyped-def]
    """kill -9 of ``lap-app prescrit execute`` (or ``lap-app pharmacy dispense``, the same
    journal) before its journal write, between the write and the base's answer, and after the
    answer (the answer lost); the same command typed again records the execution exactly once
    (a replay when the base had it), and the journal ends empty."""
    import subprocess
    import sys
    from pathlib import Path

    from lap_app.standins.pki import init_pki

    from circuit_support import PIN, REPO, cli_env, run_cli

    script = Path(__file__).with_name("crash_prescrit_client.py")
    kills = dict.fromkeys(PHASES, 0)
    replays = 0
    with running_base(tmp_path / "base", pki_dir) as base:
        env = cli_env(tmp_path / "data", tmp_path / "config", base)
        assert run_cli(["enrol", "--virtual", "--pki", str(pki_dir), "--pin-stdin"], env).returncode == 0
        physician = insider(base, init_pki(pki_dir).holder("medecin"), enrol=True)
        for round_ in range(4 * ROUNDS):
            for phase in PHASES:
                number = physician.prescribe()
                command = [*COMMANDS[command_name], number, "--line", "2", "--quantity", "1", "--virtual",
                           "--pki", str(pki_dir), "--holder", "pharmacien", "--pin-stdin"]
                client = subprocess.Popen([sys.executable, str(script), phase, *command], stdin=subprocess.PIPE,
                                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=REPO)
                client.stdin.write(f"{PIN}\n".encode())  # type: ignore[union-attr]
                client.stdin.flush()  # type: ignore[union-attr]
                while (line := client.stdout.readline().decode()) and not line.endswith(f" {phase}\n"):  # type: ignore[union-attr]
                    pass
                assert line, client.stderr.read().decode()  # type: ignore[union-attr]
                client.send_signal(signal.SIGKILL)
                client.wait(10)
                for stream in (client.stdin, client.stdout, client.stderr):
                    stream.close()  # type: ignore[union-attr]
                kills[phase] += 1
                recorded_before = base_count(base, "SELECT count(*) FROM executions WHERE number = ?", number)
                again = run_cli(command, env)  # the user types the same command again
                assert again.returncode == 0, again.stderr
                replays += recorded_before
                assert base_count(base, "SELECT count(*) FROM executions WHERE number = ?", number) == 1, (phase,
                                                                                                       round_)
                assert base_count(base, "SELECT sum(quantity) FROM dispensings WHERE number = ?", number) == 1
        physician.close()
    with sqlite3.connect(tmp_path / "data" / "prescrit-executions.sqlite3") as journal:
        assert journal.execute("SELECT count(*) FROM pending_executions").fetchone()[0] == 0
    print(f"\nprescrit client crash campaign: kills {kills}, executions already on the base at the retry "
          f"(replayed) {replays}, lost 0, duplicated 0")
    assert replays == kills["answered"]  # killed after the answer: the base had it, the retry replayed it


def base_count(base, sql: str, *args: str) -> float:  # type: ignore[no-untyped-def]
    with sqlite3.connect(base.data_dir / "base.sqlite3") as db:
        return db.execute(sql, args).fetchone()[0] or 0
