"""Faults of the practice server, as a user meets them: each a French message, nothing lost.
Wrong URL, wrong password, unknown database, a server going away and coming back."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from lap_app.domain.errors import UserError
from lap_app.storage.errors import StoreRefused, StoreUnavailable

from postgres_cluster import PostgresCluster, free_port

pytestmark = pytest.mark.postgresql


def _lap(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "lap_app", *args], capture_output=True, text=True, timeout=120,
                          env={**os.environ, **(env or {})}, check=False)


def test_the_command_line_uses_the_practice_server(fresh_postgres_database: str) -> None:
    from lap_app.storage import LocalStore

    store = LocalStore(fresh_postgres_database)
    store.save_paper(prescriber="810000000001", patient_name="DURAND Léa", opposition=False,
                     bundle={"resourceType": "Bundle"}, reason="base injoignable")
    store.close()
    done = _lap("--store", fresh_postgres_database, "outbox")
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr


def test_a_wrong_password_is_said_in_french(postgres_cluster: PostgresCluster) -> None:
    from lap_app.storage import LocalStore

    wrong = postgres_cluster.dsn().replace(postgres_cluster.password, "pas-le-bon")
    with pytest.raises(StoreRefused, match="mot de passe"):
        LocalStore(wrong)
    done = _lap("--store", wrong, "outbox")
    assert done.returncode == 1
    assert "mot de passe" in done.stderr and "Traceback" not in done.stderr
    assert postgres_cluster.password not in done.stderr + done.stdout


def test_an_unknown_database_and_a_malformed_url_are_said_in_french(postgres_cluster: PostgresCluster) -> None:
    from lap_app.storage import LocalStore

    with pytest.raises(StoreRefused, match="n'existe pas"):
        LocalStore(postgres_cluster.dsn("cabinet_inexistant"))
    with pytest.raises(StoreRefused, match="Adresse du serveur du cabinet invalide"):
        LocalStore("postgresql://lap@127.0.0.1:notaport/base")


def test_a_server_that_does_not_answer_is_said_at_once(tmp_path) -> None:
    from lap_app.storage import LocalStore

    with pytest.raises(StoreUnavailable, match="injoignable") as refused:
        LocalStore(f"postgresql://lap:secret@127.0.0.1:{free_port()}/cabinet")
    assert "secret" not in refused.value.message


def test_a_remote_server_is_never_reached_without_a_checked_certificate() -> None:
    from lap_app.storage.postgres import connection_options

    assert connection_options("postgresql://lap@cabinet.example:5432/lap")["sslmode"] == "verify-full"
    with pytest.raises(UserError, match="ne vérifie pas"):
        connection_options("postgresql://lap@cabinet.example:5432/lap?sslmode=require")
    with_ca = connection_options("postgresql://lap@cabinet.example/lap", ca_path="/etc/lap/ca.pem")
    assert with_ca["sslmode"] == "verify-full" and with_ca["sslrootcert"] == "/etc/lap/ca.pem"


def test_the_server_going_away_then_back_loses_nothing(postgres_cluster: PostgresCluster) -> None:
    from lap_app.storage import LocalStore

    with postgres_cluster.fresh_database() as dsn:
        store = LocalStore(dsn)
        try:
            first = store.save_paper(prescriber="810000000001", patient_name="A", opposition=False,
                                     bundle={"resourceType": "Bundle"}, reason="r")
            postgres_cluster.halt("immediate")
            try:
                with pytest.raises(StoreUnavailable, match="injoignable"):
                    store.save_paper(prescriber="810000000001", patient_name="B", opposition=False,
                                     bundle={"resourceType": "Bundle"}, reason="r")
                with pytest.raises(StoreUnavailable):
                    store.outbox()  # still down: said again, no traceback, no hang
            finally:
                postgres_cluster.resume()
            # back: the same store object reconnects by itself; what was validated is there
            assert store.get(first) is not None
            assert [o.patient_name for o in store.list()] == ["A"]
        finally:
            store.close()


def test_a_workstation_is_pointed_at_the_practice_server_in_one_step(fresh_postgres_database, postgres_cluster,
                                                                     tmp_path) -> None:
    env = {"LAP_CONFIG_DIR": str(tmp_path / "config"), "LAP_DATA_DIR": str(tmp_path / "data")}
    wrong = fresh_postgres_database.replace(postgres_cluster.password, "pas-le-bon")
    refused = _lap("practice-server", wrong, env=env)
    assert refused.returncode == 1 and "mot de passe" in refused.stderr
    assert not (tmp_path / "config" / "settings.json").exists()  # a refused server is not saved

    done = _lap("practice-server", fresh_postgres_database, env=env)
    assert done.returncode == 0, done.stderr
    assert "serveur du cabinet 127.0.0.1" in done.stdout and postgres_cluster.password not in done.stdout
    settings_file = tmp_path / "config" / "settings.json"
    assert settings_file.stat().st_mode & 0o077 == 0  # the URL may carry the password: this user's only
    shown = _lap("practice-server", env=env)  # from now on every command uses the server
    assert shown.returncode == 0 and "127.0.0.1" in shown.stdout
    assert not (tmp_path / "data" / "lap.sqlite3").exists()  # the workstation's own file was never created

    assert _lap("practice-server", "--local", env=env).returncode == 0
    assert "lap.sqlite3" in _lap("practice-server", env=env).stdout


def test_the_status_says_at_once_that_the_practice_server_is_unreachable(postgres_cluster: PostgresCluster) -> None:
    from lap_app.services.desk import PrescribingDesk
    from lap_app.storage import LocalStore

    with postgres_cluster.fresh_database() as dsn:
        store = LocalStore(dsn)
        desk = PrescribingDesk(None, store)
        try:
            assert desk.status().store_problem is None
            postgres_cluster.halt("immediate")
            try:
                started = time.monotonic()
                status = desk.status()
                assert status.store_problem is not None and "injoignable" in status.store_problem
                assert time.monotonic() - started < 10  # said at once, not after the system's TCP time-outs
            finally:
                postgres_cluster.resume()
            assert desk.status().store_problem is None  # back by itself
        finally:
            store.close()


def test_the_server_lost_in_the_middle_of_a_send_keeps_the_ordonnance_queued(postgres_cluster: PostgresCluster) -> None:
    from lap_app.base_client.client import Registration
    from lap_app.domain.status import OrdonnanceStatus
    from lap_app.services.outbox import send_entry
    from lap_app.storage import LocalStore

    class BaseThenServerDown:
        """The base registers the ordonnance; the practice server goes down before the outcome is written."""

        token = None

        def __init__(self, halt: bool) -> None:
            self.halt, self.sent = halt, []

        def register(self, number: str, bundle: dict) -> Registration:
            self.sent.append(number)
            if self.halt:
                postgres_cluster.halt("immediate")
            return Registration(number, OrdonnanceStatus.REGISTERED, time.time(), replayed=bool(self.sent[1:]))

    with postgres_cluster.fresh_database() as dsn:
        store = LocalStore(dsn)
        try:
            store.save_signed(number="N-0100", prescriber="810000000001", patient_name="X", opposition=False,
                              bundle={"resourceType": "Bundle"}, signer_certificate=b"c")  # validated: on the server
            base = BaseThenServerDown(halt=True)
            try:
                with pytest.raises(StoreUnavailable):
                    send_entry(store, base, store.outbox()[0])  # type: ignore[arg-type]
            finally:
                postgres_cluster.resume()
            (entry,) = store.outbox()  # nothing lost: still queued, the next flush replays it
            base.halt = False
            assert send_entry(store, base, entry) is OrdonnanceStatus.REGISTERED  # type: ignore[arg-type]
            assert store.outbox() == [] and store.by_number("N-0100").status is OrdonnanceStatus.REGISTERED
            assert base.sent == ["N-0100", "N-0100"]  # the replay: the base answers it as already registered
        finally:
            store.close()
