"""Crash and replay: kill -9 the client (at random points of prescribe → register → print →
file), or the base in the middle of filings; after the flush every ordonnance's copy is in
the DMP exactly once, byte-identical to the PDF that was printed."""

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
from base_kills import kill_base_during

from circuit_support import EXAMPLE_BUNDLE, LAP_APP, REPO, card_in_hand, cli_env, run_cli, running_base

pytestmark = pytest.mark.slow


def _dmp_rows(base) -> tuple[dict[str, bytes], dict[str, int]]:
    """Documents by number, and how many times each was actually inserted ("file" → "ok")."""
    with sqlite3.connect(base.data_dir / "dmp.sqlite3") as db:
        documents = dict(db.execute("SELECT number, pdf FROM documents").fetchall())
        inserted = dict(db.execute(
            "SELECT d.number, COUNT(*) FROM access_log a JOIN documents d ON d.id = a.document"
            " WHERE a.action = 'file' AND a.outcome = 'ok' GROUP BY d.number").fetchall())
    return documents, inserted


LOCAL_COPIES = ("SELECT o.number, o.status, d.state, d.pdf FROM ordonnances o"
                " LEFT JOIN dmp_filings d ON d.ordonnance_id = o.id WHERE o.number IS NOT NULL")


def _local_copies(db_path: Path) -> dict[str, tuple[str, str | None, bytes | None]]:
    """number → (base status, DMP state, printed PDF) in the practice's store."""
    with sqlite3.connect(db_path) as db:
        return _copies_by_number(db.execute(LOCAL_COPIES).fetchall())


def _copies_by_number(rows) -> dict[str, tuple[str, str | None, bytes | None]]:  # type: ignore[no-untyped-def]
    return {number: (status, state, None if pdf is None else bytes(pdf)) for number, status, state, pdf in rows}


def _rendered(db_path: Path, number: str) -> bytes:
    from lap_app.fhir import from_bundle
    from lap_app.render import render_ordonnance_pdf

    with sqlite3.connect(db_path) as db:
        bundle = json.loads(db.execute("SELECT bundle FROM ordonnances WHERE number = ?", (number,)).fetchone()[0])
    return render_ordonnance_pdf(from_bundle(bundle))


def _ordonnance_count(db_path: Path) -> int:
    if not db_path.exists():
        return 0
    try:
        with sqlite3.connect(db_path, timeout=5) as db:
            return db.execute("SELECT COUNT(*) FROM ordonnances").fetchone()[0]
    except sqlite3.OperationalError:  # schema not created yet
        return 0


def _prescribe_process(env, card, output: Path) -> subprocess.Popen:
    process = subprocess.Popen(
        [*LAP_APP, "prescribe", str(EXAMPLE_BUNDLE), "-o", str(output), *card],
        stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, cwd=REPO)
    process.stdin.write(b"1234\n")
    process.stdin.close()
    return process


def _latest(db_path: Path) -> tuple[str | None, str | None]:
    """(base status, DMP state) of the newest ordonnance in the practice's store."""
    try:
        with sqlite3.connect(db_path, timeout=5) as db:
            row = db.execute("SELECT o.status, d.state FROM ordonnances o LEFT JOIN dmp_filings d"
                             " ON d.ordonnance_id = o.id ORDER BY o.id DESC LIMIT 1").fetchone()
    except sqlite3.OperationalError:  # schema not created yet
        return None, None
    return (row[0], row[1]) if row else (None, None)


# The moments a run is killed at: the signed row written (registration in flight), the base's
# answer recorded (printing, queueing the copy), the copy queued (filing in flight); each plus
# a random delay of up to a few milliseconds.
PHASES = ("signed", "registered", "queued")


def _reached(phase: str, db_path: Path, before: int) -> bool:
    if _ordonnance_count(db_path) <= before:
        return False
    status, state = _latest(db_path)
    return phase == "signed" or (phase == "registered" and status == "registered") or (
        phase == "queued" and state is not None)


def _wait_for(phase: str, process: subprocess.Popen, db_path: Path, before: int, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None and not _reached(phase, db_path, before):
        time.sleep(0.002)


def test_client_killed_at_random_points_files_each_copy_once(tmp_path, dmp_pki_dir):
    """Runs of ``lap-app prescribe`` killed -9 at random moments of the window that matters
    (registration, printing, queueing the copy, filing it), until at least six were cut
    short there (bounded: 16 runs); one flush then leaves every copy filed exactly once."""
    rng = random.Random(os.environ.get("LAP_CRASH_SEED", "11"))
    db_path = tmp_path / "data" / "lap.sqlite3"
    with running_base(tmp_path / "base", dmp_pki_dir) as base:
        env = cli_env(tmp_path / "data", tmp_path / "config", base)
        card = ["--virtual", "--pki", str(dmp_pki_dir), "--pin-stdin"]
        assert run_cli(["enrol", *card], env).returncode == 0
        printed = tmp_path / "first.pdf"
        first = run_cli(["prescribe", str(EXAMPLE_BUNDLE), "-o", str(printed), "--json", *card], env)
        assert first.returncode == 0, first.stderr
        first_number = json.loads(first.stdout)["number"]
        cut_short: list[tuple[str, str | None, str | None]] = []  # (phase, base status, DMP state) left behind
        runs = 0
        while len(cut_short) < 6 and runs < 16:
            runs += 1
            before = _ordonnance_count(db_path)
            phase = rng.choice(PHASES)
            process = _prescribe_process(env, card, tmp_path / "k.pdf")
            _wait_for(phase, process, db_path, before)
            time.sleep(rng.uniform(0.0, 0.006))
            if process.poll() is None:
                os.kill(process.pid, signal.SIGKILL)
            process.wait()
            status, state = _latest(db_path) if _ordonnance_count(db_path) > before else (None, None)
            if status is not None and (status != "registered" or state != "filed"):
                cut_short.append((phase, status, state))
        print("runs:", runs, "left unfinished (phase, status, DMP copy):", cut_short)
        assert len(cut_short) >= 6
        flushed = run_cli(["outbox", "--flush", "--json", *card], env)
        assert flushed.returncode == 0, flushed.stderr
        report = json.loads(flushed.stdout)
        print("flush:", report)
        assert len(report["registered"]) + len(report["dmp"]["filed"]) >= len(cut_short)
        # a second flush finds nothing left to file
        again = run_cli(["dmp", "status", "--flush", "--json", *card], env)
        assert again.returncode == 0, again.stderr
        assert {c["state"] for c in json.loads(again.stdout)["copies"]} == {"filed"}
        documents, inserted = _dmp_rows(base)
    local = _local_copies(db_path)
    assert len(local) >= 1 + len(cut_short)
    assert {status for status, _state, _pdf in local.values()} == {"registered"}
    assert {state for _status, state, _pdf in local.values()} == {"filed"}
    assert sorted(documents) == sorted(local)  # every ordonnance in the DMP, nothing else
    assert set(inserted.values()) == {1}  # each inserted exactly once (replays answered, not re-filed)
    assert documents[first_number] == printed.read_bytes()  # the very bytes that were printed
    for number, (_status, _state, pdf) in local.items():
        assert documents[number] == (pdf if pdf is not None else _rendered(db_path, number))


def _local_numbers(db_path: Path) -> list[str]:
    with sqlite3.connect(db_path) as db:
        return [r[0] for r in db.execute("SELECT number FROM ordonnances WHERE number IS NOT NULL ORDER BY id")]


# The workstation killed at random points stays on its SQLite file: sixteen runs of the command,
# its phases read from the file every 2 ms. A workstation killed while sending on a practice server
# is tested in tests/practice_store/test_concurrent_workstations.py. The base killed during filings
# runs on both engines of the practice's store (the copies' states are written there).
def test_base_killed_during_filings(store_location, tmp_path, dmp_pki_dir, monkeypatch):
    from lap_app.fhir import from_bundle
    from lap_app.services.base_connection import base_endpoint, open_client
    from lap_app.services.card_session import ensure_token
    from lap_app.services.enrolment import enrol
    from lap_app.services.outbox import flush_outbox
    from lap_app.services.prescribing import prescribe
    from lap_app.storage import LocalStore

    rng = random.Random(os.environ.get("LAP_CRASH_SEED", "13"))
    monkeypatch.setenv("LAP_CONFIG_DIR", str(tmp_path / "config"))
    draft = json.loads(EXAMPLE_BUNDLE.read_text(encoding="utf-8"))
    store = LocalStore(store_location)
    printed: dict[str, bytes] = {}

    with running_base(tmp_path / "base", dmp_pki_dir) as base:
        endpoint = base_endpoint(base.url, base.ca)
        with card_in_hand("medecin", dmp_pki_dir) as card:
            enrol(endpoint, card)

            def prescribe_continuously(stop: threading.Event) -> None:
                with open_client(endpoint, retries=0, timeout=2.0) as client:
                    while not stop.is_set():
                        outcome = prescribe(from_bundle(draft), card=card, client=client, store=store)
                        if outcome.number:  # (a paper ordonnance without number has no DMP copy)
                            printed[outcome.number] = outcome.pdf
                        if outcome.status != "registered":
                            time.sleep(0.05)

            # bounded: 4 kills at random moments, each once ordonnances are printed again (so at
            # least 5 in all, whatever the machine's speed)
            kill_base_during(base, prescribe_continuously, lambda: len(printed), 4, rng)
            with open_client(endpoint) as client:
                ensure_token(card, client)
                report = flush_outbox(store, client)
            assert report.error is None and report.dmp is not None and report.dmp.error is None
            print("printed:", len(printed), "filed by the final flush:", len(report.dmp.filed))
        documents, inserted = _dmp_rows(base)
    local = _copies_by_number(store.conn.execute(LOCAL_COPIES).fetchall())
    store.close()
    assert len(printed) >= 5
    assert {state for _status, state, _pdf in local.values()} == {"filed"}
    assert sorted(documents) == sorted(local) == sorted(printed)
    assert set(inserted.values()) == {1}
    for number, pdf in printed.items():
        assert documents[number] == pdf
