"""Crash tests: kill -9 the client around its outbox write, and the base in the middle of
registrations, at random points; after restart every ordonnance is registered exactly once."""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import threading
import time
from pathlib import Path

import pytest

from circuit_support import EXAMPLE_BUNDLE, LAP_APP, REPO, card_in_hand, cli_env, run_cli, running_base

pytestmark = pytest.mark.slow


def _server_numbers(base) -> list[str]:
    with sqlite3.connect(base.data_dir / "base.sqlite3") as db:
        return [row[0] for row in db.execute("SELECT number FROM prescriptions")]


def _local(data_dir: Path) -> tuple[list[tuple[str, str]], int]:
    with sqlite3.connect(data_dir / "lap.sqlite3") as db:
        rows = db.execute("SELECT number, status FROM ordonnances WHERE number IS NOT NULL").fetchall()
        outbox = db.execute("SELECT COUNT(*) FROM outbox").fetchone()[0]
    return rows, outbox


def test_client_killed_at_random_points(tmp_path, pki_dir):
    rng = random.Random(os.environ.get("LAP_CRASH_SEED", "5"))
    with running_base(tmp_path / "base", pki_dir) as base:
        env = cli_env(tmp_path / "data", tmp_path / "config", base)
        card = ["--virtual", "--pki", str(pki_dir), "--pin-stdin"]
        assert run_cli(["enrol", *card], env).returncode == 0
        started = time.monotonic()
        first = run_cli(["prescribe", str(EXAMPLE_BUNDLE), "-o", str(tmp_path / "o.pdf"), "--json", *card], env)
        assert first.returncode == 0, first.stderr
        duration = time.monotonic() - started
        kills = 0
        for _ in range(8):
            process = subprocess.Popen(
                [*LAP_APP, "prescribe", str(EXAMPLE_BUNDLE), "-o", str(tmp_path / "k.pdf"), *card],
                stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, cwd=REPO)
            process.stdin.write(b"1234\n")
            process.stdin.close()
            time.sleep(rng.uniform(0.35, 0.95) * duration)
            if process.poll() is None:
                os.kill(process.pid, signal.SIGKILL)
                kills += 1
            process.wait()
        assert kills >= 3
        flushed = run_cli(["outbox", "--flush", "--json", *card], env)
        assert flushed.returncode == 0, flushed.stderr
        # nothing to replay when every kill fell before the outbox write or after the answer
        print("client kills:", kills, "replayed by the flush:", json.loads(flushed.stdout).get("registered", []))
        local, outbox = _local(tmp_path / "data")
        server = _server_numbers(base)
    assert outbox == 0
    assert {status for _n, status in local} == {"registered"}
    # exactly once: every local ordonnance on the base, nothing else, no duplicate
    assert sorted(server) == sorted(n for n, _s in local)
    assert len(set(server)) == len(server)


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
    stop = threading.Event()
    errors: list[BaseException] = []

    with running_base(tmp_path / "base", pki_dir) as base:
        endpoint = base_endpoint(base.url, base.ca)
        with card_in_hand("medecin", pki_dir) as card:
            enrol(endpoint, card)

            def prescribe_continuously() -> None:
                try:
                    with open_client(endpoint, retries=0, timeout=2.0) as client:
                        while not stop.is_set():
                            outcome = prescribe(from_bundle(draft), card=card, client=client, store=store)
                            if outcome.status == "registered":
                                acknowledged.append(outcome.number)
                            else:
                                time.sleep(0.05)
                except BaseException as error:  # noqa: BLE001 - reported below
                    errors.append(error)

            worker = threading.Thread(target=prescribe_continuously)
            worker.start()
            for _ in range(5):
                time.sleep(rng.uniform(0.3, 1.2))
                base.kill()  # kill -9, wherever the registration stands
                time.sleep(rng.uniform(0.0, 0.3))
                base.start()
            time.sleep(0.5)
            stop.set()
            worker.join(30)
            assert not errors, errors
            with open_client(endpoint) as client:
                ensure_token(card, client)
                report = flush_outbox(store, client)
            assert report.error is None and not report.refused
            print("acknowledged:", len(acknowledged), "sent by the final flush:", len(report.registered))
        server = _server_numbers(base)
    local = [(o.number, o.status) for o in store.list(limit=10_000) if o.number]
    store.close()
    assert len(acknowledged) >= 5
    assert set(acknowledged) <= set(server)  # every acknowledged registration survived kill -9
    assert {status for _n, status in local} == {"registered"}
    assert sorted(server) == sorted(n for n, _s in local) and len(set(server)) == len(server)
