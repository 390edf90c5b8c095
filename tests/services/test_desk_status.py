"""The status bar's refresh (every 10 s, all day): the outbox's count and its numbers near the
base's deadline come from one read of the store — one query on the practice server per
refresh, and a count that always agrees with the warnings beside it."""

from __future__ import annotations

import time
from pathlib import Path

PRESCRIBER = "810000000001"
DAY = 86400.0


def _bundle(patient: str) -> dict:
    return {"resourceType": "Bundle", "entry": [
        {"fullUrl": f"urn:uuid:{patient}", "resource": {"resourceType": "Patient", "name": [{"family": patient}]}}]}


def _queued(store, number: str, patient_name: str, number_expires_at: float) -> None:
    """A signed ordonnance waiting in the outbox, its number reserved until ``number_expires_at``."""
    store.add_numbers(PRESCRIBER, [number], number_expires_at)
    store.save_signed(number=number, prescriber=PRESCRIBER, patient_name=patient_name, opposition=False,
                      bundle=_bundle(patient_name), signer_certificate=b"\x30\x82\x00\xff")


def test_one_status_refresh_reads_the_outbox_once(tmp_path: Path) -> None:
    from lap_app.domain.status import OrdonnanceStatus
    from lap_app.services.desk import PrescribingDesk
    from lap_app.storage import LocalStore

    store = LocalStore(tmp_path / "lap.sqlite3")
    try:
        # reserved 85 days ago: the base's deadline (90 days + the grace) is a few days away
        _queued(store, "2026010100000160", "MARTIN Jeanne", time.time() - 55 * DAY)
        _queued(store, "2026010100000178", "DURAND Léa", time.time() + 30 * DAY)
        desk = PrescribingDesk(None, store)  # no base: the status is the outbox's alone
        statements: list[str] = []
        store.conn.set_trace_callback(statements.append)

        status = desk.status()

        store.conn.set_trace_callback(None)
        assert status.outbox_count == 2
        assert len(status.expiring) == 1
        assert status.expiring[0].startswith("Le numéro 2026010100000160 (MARTIN Jeanne) doit être envoyé à la base")
        outbox_reads = [s for s in statements if "FROM outbox" in s]
        assert len(outbox_reads) == 1, statements
        # besides, the expiring entry's ordonnance for its patient's name: nothing else
        assert len(statements) == 2, statements

        store.outbox_done(store.outbox()[0], OrdonnanceStatus.REGISTERED)  # the first one sent
        statements.clear()
        store.conn.set_trace_callback(statements.append)
        status = desk.status()
        store.conn.set_trace_callback(None)
        assert (status.outbox_count, status.expiring) == (1, ())
        assert len(statements) == 1, statements  # nothing expiring: one read, the outbox's
    finally:
        store.close()
