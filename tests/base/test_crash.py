"""Crash campaigns: kill -9 the client in each phase around its outbox write (≥ 200 per
round), and the base in the middle of registrations (≥ 20 per round); after restart every
ordonnance is registered exactly once. ``LAP_FAULT_ROUNDS=N`` multiplies the kills (the long
campaign); each test prints its counts (kills per phase, replays, lost, duplicated)."""

from __future__ import annotations

import json
import os
import queue
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from base_kills import kill_base_during

from circuit_support import EXAMPLE_BUNDLE, REPO, card_in_hand, cli_env, run_cli, running_base

pytestmark = pytest.mark.slow


def _server_numbers(base) -> list[str]:
    with sqlite3.connect(base.data_dir / "base.sqlite3") as db:
        return [row[0] for row in db.execute("SELECT number FROM prescriptions")]


def _local(data_dir: Path) -> tuple[list[tuple[str, str]], int]:
    with sqlite3.connect(data_dir / "lap.sqlite3") as db:
        rows = db.execute("SELECT number, status FROM ordonnances WHERE number IS NOT NULL").fetchall()
        outbox = db.execute("SELECT COUNT(*) FROM outbox").fetchone()[0]
    return rows, outbox


ROUNDS = max(1, int(os.environ.get("LAP_FAULT_ROUNDS", "1")))  # the long campaign: LAP_FAULT_ROUNDS=10
PHASES = ("started", "written", "answered")
PHASE_NAMES = {"started": "before the outbox write", "written": "between the write and the answer",
               "answered": "after the answer"}


class ForkingClient:
    """``crash_client.py``: one real prescribing client forked per order (see its docstring)."""

    def __init__(self, store: Path, pki_dir: Path, base, env: dict[str, str]) -> None:
        script = Path(__file__).with_name("crash_client.py")
        self.process = subprocess.Popen(
            [sys.executable, str(script), str(store), str(pki_dir), base.url, str(base.ca), str(EXAMPLE_BUNDLE)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=REPO, bufsize=0)
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        first = self.next_line(120)
        assert first == "ready", first

    def _read(self) -> None:
        for raw in self.process.stdout:  # type: ignore[union-attr]
            self.lines.put(raw.decode().strip())

    def next_line(self, timeout: float = 60.0) -> str:
        return self.lines.get(timeout=timeout)

    def order(self, pause_at: str) -> None:
        self.process.stdin.write(f"{pause_at}\n".encode())  # type: ignore[union-attr]

    def close(self) -> None:
        self.process.stdin.close()  # type: ignore[union-attr]
        self.process.wait(30)


def _kill_and_reap(pid: int) -> bool:
    """kill -9 ``pid`` and wait until it is dead; False if it had already finished."""
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        return False
    deadline = time.monotonic() + 60  # at once, unless it is in the middle of a disk write on a loaded machine
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            return True
        if state in ("Z", "X"):
            return True
        time.sleep(0.002)
    raise AssertionError(f"client {pid} survived kill -9")


def _one_client(client: ForkingClient, rng: random.Random) -> tuple[str | None, str]:
    """One forked client, killed in a phase: (the phase it was killed in or None, its last line)."""
    paused = rng.random() < 0.6
    phase = rng.choice(PHASES) if paused else "-"
    client.order(phase)
    delay = rng.uniform(0.0, 0.03)
    while True:
        line = client.next_line()
        who, event = line.split(" ", 1)
        if event.startswith(("failed", "done")):
            return None, line
        if paused and event == phase:
            assert _kill_and_reap(int(who))
            client.order("sync")
            while (line := client.next_line()) != "0 sync":
                pass
            return phase, line
        if not paused and event == "started":  # killed wherever the delay finds it
            time.sleep(delay)
            killed = _kill_and_reap(int(who))
            client.order("sync")
            last = event
            while (line := client.next_line()) != "0 sync":  # what it said before dying: the phase it died in
                last = line.split(" ", 1)[1]
                if last.startswith(("done", "failed")):
                    ended = line
            if last.startswith(("done", "failed")):
                return None, ended
            assert killed
            return last, line


def test_client_killed_in_every_phase(tmp_path, pki_dir, monkeypatch):
    """≥ 200 kill -9 of a real client per round, in each of the three phases around the outbox
    write; then one flush: every ordonnance written is on the base exactly once, nothing else
    is, and some were replays (registered by the base, the killed client never knew)."""
    from lap_app.services.base_connection import base_endpoint, open_client
    from lap_app.services.card_session import ensure_token
    from lap_app.services.outbox import flush_outbox
    from lap_app.storage import LocalStore

    rng = random.Random(os.environ.get("LAP_CRASH_SEED", "5"))
    kills = dict.fromkeys(PHASES, 0)
    finished: list[str] = []
    started = time.monotonic()
    with running_base(tmp_path / "base", pki_dir) as base:
        env = cli_env(tmp_path / "data", tmp_path / "config", base)
        monkeypatch.setenv("LAP_CONFIG_DIR", str(tmp_path / "config"))  # this process flushes in the end
        monkeypatch.setenv("LAP_DATA_DIR", str(tmp_path / "data"))
        assert run_cli(["enrol", "--virtual", "--pki", str(pki_dir), "--pin-stdin"], env).returncode == 0
        client = ForkingClient(tmp_path / "data" / "lap.sqlite3", pki_dir, base, env)
        try:
            while sum(kills.values()) < 200 * ROUNDS:
                phase, line = _one_client(client, rng)
                assert "failed" not in line, line
                if phase is None:
                    finished.append(line)
                else:
                    kills[phase] += 1
        finally:
            client.close()
        store = LocalStore(tmp_path / "data" / "lap.sqlite3")
        on_base_before = set(_server_numbers(base))
        waiting = [e.number for e in store.outbox()]
        replays = [n for n in waiting if n in on_base_before]
        endpoint = base_endpoint(base.url, base.ca)
        with card_in_hand("medecin", pki_dir) as card, open_client(endpoint) as http:
            ensure_token(card, http)
            report = flush_outbox(store, http)
        local = [(o.number, o.status) for o in store.list(limit=100_000) if o.number]
        outbox_after = store.outbox()
        store.close()
        server = _server_numbers(base)
        audited_replays = _audited(base, "replayed")
    lost = len({n for n, _s in local} - set(server))
    duplicated = len(server) - len(set(server)) + sum(1 for n in server if n not in {m for m, _s in local})
    print(f"\nclient crash campaign ({ROUNDS} round(s), {time.monotonic() - started:.0f} s): "
          f"kills {sum(kills.values())} ("
          + ", ".join(f"{PHASE_NAMES[p]} {kills[p]}" for p in PHASES)
          + f"), finished unkilled {len(finished)}, waiting at the flush {len(waiting)}, replays {len(replays)}, "
          f"registered {len(server)}, lost {lost}, duplicated {duplicated}")
    assert sum(kills.values()) >= 200 * ROUNDS and min(kills.values()) >= 30 * ROUNDS
    assert report.error is None and not report.refused, report
    assert sorted(report.registered) == sorted(waiting)
    assert len(replays) > 0 and audited_replays >= len(replays)
    assert outbox_after == [] and {status for _n, status in local} == {"registered"}
    assert lost == 0 and duplicated == 0
    assert sorted(server) == sorted(n for n, _s in local)


def _audited(base, outcome: str) -> int:
    with sqlite3.connect(base.data_dir / "base.sqlite3") as db:
        return db.execute("SELECT COUNT(*) FROM audit WHERE action = 'register' AND outcome = ?",
                          (outcome,)).fetchone()[0]


def test_base_killed_during_registrations(tmp_path, pki_dir, monkeypatch):
    from lap_app.fhir import from_bundle
    from lap_app.services.base_connection import base_endpoint, open_client
    from lap_app.services.card_session import ensure_token
    from lap_app.services.enrolment import enrol
    from lap_app.services.outbox import flush_outbox
    from lap_app.services.prescribing import prescribe
    from lap_app.storage import LocalStore

    rng = random.Random(os.environ.get("LAP_CRASH_SEED", "7"))
    monkeypatch.setenv("LAP_CONFIG_DIR", str(tmp_path / "config"))
    draft = json.loads(EXAMPLE_BUNDLE.read_text(encoding="utf-8"))
    store = LocalStore(tmp_path / "lap.sqlite3")
    acknowledged: list[str] = []

    with running_base(tmp_path / "base", pki_dir) as base:
        endpoint = base_endpoint(base.url, base.ca)
        with card_in_hand("medecin", pki_dir) as card:
            enrol(endpoint, card)

            def prescribe_continuously(stop: threading.Event) -> None:
                with open_client(endpoint, retries=0, timeout=2.0) as client:
                    while not stop.is_set():
                        outcome = prescribe(from_bundle(draft), card=card, client=client, store=store)
                        if outcome.status == "registered":
                            acknowledged.append(outcome.number)
                        else:
                            time.sleep(0.05)

            started = time.monotonic()
            kills = kill_base_during(base, prescribe_continuously, lambda: len(acknowledged), 20 * ROUNDS, rng,
                                     join_timeout=30)
            waiting = [e.number for e in store.outbox()]
            replays = [n for n in waiting if n in set(_server_numbers(base))]
            with open_client(endpoint) as client:
                ensure_token(card, client)
                report = flush_outbox(store, client)
            assert report.error is None and not report.refused
        server = _server_numbers(base)
    local = [(o.number, o.status) for o in store.list(limit=10_000) if o.number]
    store.close()
    lost = len(set(acknowledged) - set(server)) + len({n for n, _s in local} - set(server))
    duplicated = len(server) - len(set(server)) + len(set(server) - {n for n, _s in local})
    print(f"\nbase crash campaign ({ROUNDS} round(s), {time.monotonic() - started:.0f} s): base kills {kills}, "
          f"acknowledged {len(acknowledged)}, waiting at the flush {len(waiting)} (replays {len(replays)}), "
          f"registered {len(server)}, lost {lost}, duplicated {duplicated}")
    assert kills >= 20 * ROUNDS and len(acknowledged) >= 10
    assert set(acknowledged) <= set(server)  # every acknowledged registration survived kill -9
    assert {status for _n, status in local} == {"registered"}
    assert lost == 0 and duplicated == 0
    assert sorted(server) == sorted(n for n, _s in local) and len(set(server)) == len(server)
