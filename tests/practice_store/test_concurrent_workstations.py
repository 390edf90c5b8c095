"""Several workstations on one practice server at once: no prescription number is handed out
twice, even for the same physician on two workstations; an outbox entry is sent by one
workstation at a time, and a workstation killed (SIGKILL) in the middle of a send loses nothing."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from lap_app.base_client.client import Registration
from lap_app.domain.status import OrdonnanceStatus
from lap_app.services.outbox import send_entry
from lap_app.storage import LocalStore

PRESCRIBER = "810000000001"
BUNDLE = {"resourceType": "Bundle"}


def test_one_physician_on_four_workstations_never_gets_a_number_twice(open_workstation):
    numbers = [f"N-{i:04d}" for i in range(200)]
    open_workstation().add_numbers(PRESCRIBER, numbers, time.time() + 86400)
    workstations = [open_workstation() for _ in range(4)]
    taken: list[list[str | None]] = [[] for _ in workstations]
    start = threading.Barrier(len(workstations))

    def sign_fifty(index: int) -> None:
        start.wait()
        for _ in range(50):
            taken[index].append(workstations[index].reserve_number_for_signing(PRESCRIBER))

    threads = [threading.Thread(target=sign_fifty, args=(i,)) for i in range(len(workstations))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    handed_out = [n for per_workstation in taken for n in per_workstation]
    assert None not in handed_out
    assert sorted(handed_out) == numbers  # 200 numbers, each once
    assert workstations[0].available_numbers(PRESCRIBER) == 0
    assert workstations[0].reserve_number_for_signing(PRESCRIBER) is None


class RecordingBase:
    token = None

    def __init__(self) -> None:
        self.sent: list[str] = []

    def register(self, number: str, bundle: dict) -> Registration:
        self.sent.append(number)
        return Registration(number, OrdonnanceStatus.REGISTERED, time.time(), replayed=False)


@pytest.mark.postgresql
def test_a_workstation_killed_while_sending_loses_nothing_and_nothing_is_sent_twice(fresh_postgres_database, tmp_path):
    store = LocalStore(fresh_postgres_database)
    try:
        for number in ("N-0001", "N-0002"):
            store.save_signed(number=number, prescriber=PRESCRIBER, patient_name="X", opposition=False,
                              bundle=BUNDLE, signer_certificate=b"c")
        sender = subprocess.Popen([sys.executable, str(Path(__file__).with_name("outbox_sender.py")),
                                   fresh_postgres_database], stdout=subprocess.PIPE, text=True,
                                  env={**os.environ, "LAP_DATA_DIR": str(tmp_path / "other-workstation")})
        try:
            assert sender.stdout is not None
            assert sender.stdout.readline().strip() == "N-0001"  # the other workstation is sending it now
            sending_session = _sessions_holding_a_claim(fresh_postgres_database)
            assert len(sending_session) == 1, sending_session
            base = RecordingBase()
            outcomes = {e.number: send_entry(store, base, e) for e in store.outbox()}  # type: ignore[arg-type]
            assert outcomes == {"N-0001": OrdonnanceStatus.WAITING, "N-0002": OrdonnanceStatus.REGISTERED}
            assert base.sent == ["N-0002"]  # the entry being sent elsewhere was skipped, not sent again
        finally:
            sender.send_signal(signal.SIGKILL)
            sender.wait(timeout=30)
        # the server ends the killed workstation's session (rolling back its claim) once it sees
        # the connection closed: moments later on a busy machine, never at once
        _wait_until_ended(fresh_postgres_database, sending_session)
        assert [e.number for e in store.outbox()] == ["N-0001"]  # the killed send lost nothing
        assert store.by_number("N-0001").status is OrdonnanceStatus.WAITING
        for entry in store.outbox():
            assert send_entry(store, base, entry) is OrdonnanceStatus.REGISTERED  # type: ignore[arg-type]
        assert base.sent == ["N-0002", "N-0001"]
        assert store.outbox() == []
        assert {o.number: o.status for o in store.list()} == {
            "N-0001": OrdonnanceStatus.REGISTERED, "N-0002": OrdonnanceStatus.REGISTERED}
    finally:
        store.close()


def _server_rows(url: str, sql: str, *args: object) -> list[tuple]:
    import psycopg

    with psycopg.connect(url, autocommit=True) as db:
        return db.execute(sql, args).fetchall()


def _sessions_holding_a_claim(url: str) -> list[int]:
    """The server processes of this database's other sessions that are inside a transaction."""
    return [pid for (pid,) in _server_rows(url, "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                                                "AND pid <> pg_backend_pid() AND state = 'idle in transaction'")]


def _wait_until_ended(url: str, sessions: list[int], seconds: float = 120.0) -> None:
    deadline = time.monotonic() + seconds
    while _server_rows(url, "SELECT pid FROM pg_stat_activity WHERE pid = ANY(%s)", sessions):
        assert time.monotonic() < deadline, f"sessions {sessions} still open {seconds} s after the kill"
        time.sleep(0.02)
