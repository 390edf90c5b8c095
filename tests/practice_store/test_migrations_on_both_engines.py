"""The same numbered migration steps on the SQLite file and on the practice server: a new store
is at the latest step, an old one is upgraded with its data, a failed step leaves the previous
version, and an older application refuses a newer schema in French without touching it."""

from __future__ import annotations

import json
import threading

import pytest

from lap_app.domain.errors import UserError
from lap_app.storage import MIGRATIONS, open_store
from lap_app.storage.schema_version import read_schema_version


def test_a_new_store_is_at_the_latest_step(store_location):
    conn = open_store(store_location)
    try:
        assert read_schema_version(conn) == len(MIGRATIONS)
        assert conn.execute("SELECT count(*) FROM ordonnances").fetchone()[0] == 0
    finally:
        conn.close()


def test_an_old_store_is_upgraded_with_its_data(store_location):
    conn = open_store(store_location, migrations=MIGRATIONS[:5])  # as shipped before patient_ref (step 6)
    bundle = {"resourceType": "Bundle", "entry": [{"fullUrl": "urn:uuid:p-7", "resource": {"resourceType": "Patient"}}]}
    conn.execute("INSERT INTO ordonnances (number, status, prescriber, patient_name, bundle, created_at, updated_at)"
                 " VALUES (?,?,?,?,?,?,?)", ("N-1", "registered", "810000000001", "X", json.dumps(bundle), 1.0, 1.0))
    conn.close()
    conn = open_store(store_location)
    try:
        assert read_schema_version(conn) == len(MIGRATIONS)
        assert conn.execute("SELECT patient_ref FROM ordonnances WHERE number = 'N-1'").fetchone()[0] == "urn:uuid:p-7"
    finally:
        conn.close()


def test_a_failed_step_leaves_the_previous_version(store_location):
    open_store(store_location).close()
    broken = [*MIGRATIONS, "CREATE TABLE half_done (id INTEGER PRIMARY KEY);\nINSERT INTO nowhere VALUES (1);"]
    with pytest.raises(Exception):  # noqa: B017 - sqlite3.OperationalError or the server's StoreServerError
        open_store(store_location, migrations=broken)
    conn = open_store(store_location)
    try:
        assert read_schema_version(conn) == len(MIGRATIONS)
        with pytest.raises(Exception):  # noqa: B017 - the table of the failed step does not exist
            conn.execute("SELECT count(*) FROM half_done")
    finally:
        conn.close()


def test_an_older_application_refuses_a_newer_schema(store_location):
    newer = [*MIGRATIONS, "CREATE TABLE future_feature (id INTEGER PRIMARY KEY, note TEXT);"]
    open_store(store_location, migrations=newer).close()
    with pytest.raises(UserError, match="plus récente") as refused:
        open_store(store_location)
    if isinstance(store_location, str):  # the server says which versions meet, and what to do
        assert f"schéma {len(newer)}" in refused.value.message and "mettez à jour LAP" in refused.value.message
    conn = open_store(store_location, migrations=newer)  # untouched: the newer application still opens it
    try:
        assert read_schema_version(conn) == len(newer)
    finally:
        conn.close()


def test_workstations_upgrading_at_once_apply_each_step_once(store_location):
    counted: list[int] = []

    def data_move(conn) -> None:
        counted.append(1)
        conn.execute("INSERT INTO once (id) VALUES (1)")

    steps = [*MIGRATIONS, "CREATE TABLE once (id INTEGER PRIMARY KEY);", data_move]
    open_store(store_location).close()  # the practice's store exists; then every workstation upgrades
    errors: list[BaseException] = []

    def workstation() -> None:
        try:
            open_store(store_location, migrations=steps).close()
        except BaseException as error:  # noqa: BLE001 - collected and asserted below
            errors.append(error)

    threads = [threading.Thread(target=workstation) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert counted == [1]
    conn = open_store(store_location, migrations=steps)
    try:
        assert conn.execute("SELECT count(*) FROM once").fetchone()[0] == 1
    finally:
        conn.close()
