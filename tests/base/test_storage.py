"""The local store: versioned migrations, atomic outbox writes, the number pool (the store's own
behaviour on both engines; the SQLite file's specifics: PRAGMA, query plans)."""

from __future__ import annotations

import sqlite3
import time

import pytest

from lap_app.domain.status import OrdonnanceStatus


def test_new_store_is_at_the_latest_version(tmp_path):
    from lap_app.storage import MIGRATIONS, connect

    conn = connect(tmp_path / "s.sqlite3")
    assert conn.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"ordonnances", "outbox", "number_pool"} <= tables
    conn.close()


def test_appended_steps_run_once_in_order(tmp_path):
    from lap_app.storage import MIGRATIONS, connect

    path = tmp_path / "s.sqlite3"
    connect(path).close()
    calls = []

    def data_move(conn: sqlite3.Connection) -> None:
        calls.append("moved")
        conn.execute("INSERT INTO e_test_extra (label) VALUES ('paracétamol')")

    steps = [*MIGRATIONS, "CREATE TABLE e_test_extra (id INTEGER PRIMARY KEY, label TEXT);", data_move]
    conn = connect(path, steps)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == len(steps)
    conn.close()
    conn = connect(path, steps)  # reopening applies nothing again
    assert calls == ["moved"]
    assert conn.execute("SELECT label FROM e_test_extra").fetchall()[0][0] == "paracétamol"
    conn.close()


def test_failed_step_leaves_the_previous_version(tmp_path):
    from lap_app.storage import MIGRATIONS, connect

    path = tmp_path / "s.sqlite3"
    with pytest.raises(sqlite3.OperationalError):
        connect(path, [*MIGRATIONS, "CREATE TABLE t (a);\nINSERT INTO nowhere VALUES (1);"])
    conn = connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
    assert conn.execute("SELECT COUNT(*) FROM sqlite_master WHERE name = 't'").fetchone()[0] == 0
    conn.close()


def test_newer_store_is_refused_clearly(tmp_path):
    from lap_app.domain.errors import UserError
    from lap_app.storage import MIGRATIONS, connect

    path = tmp_path / "s.sqlite3"
    connect(path, [*MIGRATIONS, "CREATE TABLE later (a);"]).close()
    with pytest.raises(UserError, match="version plus récente"):
        connect(path)


def test_numbers_are_taken_once_and_expired_ones_skipped(store_location):
    from lap_app.storage import LocalStore

    store = LocalStore(store_location)
    now = time.time()
    store.add_numbers("8A", ["2026112500000121", "2026112500000218"], now + 86400)
    store.add_numbers("8A", ["2026112500000315"], now + 60)  # expires within the hour: not offered
    store.add_numbers("8B", ["2026112500000412"], now + 86400)
    assert store.available_numbers("8A") == 2
    taken = {store.reserve_number_for_signing("8A") for _ in range(2)}
    assert taken == {"2026112500000121", "2026112500000218"}
    assert store.reserve_number_for_signing("8A") is None
    store.close()


def test_signed_ordonnance_and_outbox_entry_are_written_together(store_location):
    from lap_app.storage import LocalStore
    from lap_app.storage.errors import StoreServerError

    store = LocalStore(store_location)
    ordonnance_id = store.save_signed(number="2026112500000121", prescriber="8A", patient_name="DUPONT Jean",
                                      opposition=True, bundle={"resourceType": "Bundle"}, signer_certificate=b"c")
    [entry] = store.outbox()
    assert entry.ordonnance_id == ordonnance_id and entry.number == "2026112500000121"
    stored = store.get(ordonnance_id)
    assert stored.status is OrdonnanceStatus.WAITING and stored.status.label == "en attente d'envoi" and stored.opposition
    with pytest.raises((sqlite3.IntegrityError, StoreServerError)):  # a number is never used twice locally
        store.save_signed(number="2026112500000121", prescriber="8A", patient_name="x", opposition=False,
                          bundle={}, signer_certificate=b"")
    assert len(store.outbox()) == 1  # the failed write left nothing behind
    store.outbox_retry_later(entry, "injoignable", 60)
    assert store.outbox(due_only=True) == []
    store.outbox_done(store.outbox()[0], OrdonnanceStatus.REGISTERED)
    assert store.outbox() == [] and store.get(ordonnance_id).status == "registered"
    store.close()


def test_outbox_entry_is_found_by_its_ordonnance(store_location):
    from lap_app.storage import LocalStore

    store = LocalStore(store_location)
    first, second = (store.save_signed(number=number, prescriber="8A", patient_name="DUPONT Jean", opposition=False,
                                       bundle={"resourceType": "Bundle"}, signer_certificate=b"c")
                     for number in ("2026112500000121", "2026112500000218"))
    entry = store.outbox_entry(second)
    assert (entry.ordonnance_id, entry.number) == (second, "2026112500000218")
    store.outbox_done(entry, OrdonnanceStatus.REGISTERED)
    assert store.outbox_entry(second) is None and store.outbox_entry(first).number == "2026112500000121"
    store.close()


def test_upgrade_links_existing_ordonnances_to_their_patient(tmp_path):
    """Step 6 back-fills ``patient_ref`` from each stored Bundle; an unreadable one stays unlinked."""
    import json

    from lap_app.storage import MIGRATIONS, LocalStore, connect

    path = tmp_path / "s.sqlite3"
    old = connect(path, migrations=MIGRATIONS[:5])
    bundle = {"resourceType": "Bundle", "entry": [
        {"fullUrl": "urn:uuid:practitioner", "resource": {"resourceType": "Practitioner"}},
        {"fullUrl": "urn:uuid:patient-1", "resource": {"resourceType": "Patient"}}]}
    for number, text in (("2026112500000121", json.dumps(bundle)), ("2026112500000218", "not json")):
        old.execute("INSERT INTO ordonnances (number, status, prescriber, patient_name, bundle, created_at,"
                    " updated_at) VALUES (?, 'registered', '8A', 'DUPONT Jean', ?, 0, 0)", (number, text))
    old.close()

    store = LocalStore(path)
    try:
        assert [o.number for o in store.for_patient("urn:uuid:patient-1")] == ["2026112500000121"]
        assert store.for_patient("urn:uuid:practitioner") == []
        # a new ordonnance is linked as it is written
        store.save_paper(prescriber="8A", patient_name="DUPONT Jean", opposition=False, bundle=bundle, reason="x")
        assert len(store.for_patient("urn:uuid:patient-1")) == 2
        plan = store.conn.execute("EXPLAIN QUERY PLAN SELECT * FROM ordonnances WHERE patient_ref = ?"
                                  " ORDER BY id DESC", ("x",)).fetchall()
        assert any("ordonnances_by_patient" in row[-1] for row in plan)
    finally:
        store.close()
