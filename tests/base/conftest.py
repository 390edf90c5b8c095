"""Fixtures of the national-circuit tests: one PKI (a copy of the session's) and one real base (TLS) per session."""

from __future__ import annotations

from pathlib import Path

import pytest

from circuit_support import BaseProcess, card_in_hand, running_base


@pytest.fixture(scope="session")
def pki_dir(tmp_path_factory: pytest.TempPathFactory, demo_pki_copy) -> Path:
    return demo_pki_copy(tmp_path_factory.mktemp("circuit") / "pki").directory


@pytest.fixture(scope="session", autouse=True)
def _no_system_keyring() -> None:
    """In-process tests use the documented plain-file fallback (their config dir is temporary)."""
    import keyring
    from keyring.backends import fail

    keyring.set_keyring(fail.Keyring())


@pytest.fixture(scope="session")
def base_engine(request: pytest.FixtureRequest) -> str:
    return getattr(request, "param", "sqlite")


@pytest.fixture(scope="session")
def base_database(request: pytest.FixtureRequest, base_engine: str):
    """A function giving a fresh database for one more base on the engine under test (None: SQLite)."""
    if base_engine == "sqlite":
        return lambda: None
    return request.getfixturevalue("postgres_database")


@pytest.fixture
def store_beside_base(request: pytest.FixtureRequest, base_engine: str, tmp_path: Path):
    """The practice store on the engine of the base under test, opened (closed afterwards): an
    SQLite file beside a base on SQLite, a fresh database of the session's cluster (a practice
    server) beside a base on PostgreSQL."""
    from lap_app.storage import LocalStore

    location = tmp_path / "lap.sqlite3" if base_engine == "sqlite" else request.getfixturevalue(
        "fresh_postgres_database")
    local = LocalStore(location)
    yield local
    local.close()


@pytest.fixture(scope="session")
def base(tmp_path_factory: pytest.TempPathFactory, pki_dir: Path, base_database):
    with running_base(tmp_path_factory.mktemp("base-data"), pki_dir, database=base_database()) as process:
        yield process


@pytest.fixture(scope="session")
def enrolled(base: BaseProcess, pki_dir: Path):
    """This (test) installation enrolled with the session's base; returns the endpoint."""
    from lap_app.services.base_connection import base_endpoint
    from lap_app.services.enrolment import enrol

    endpoint = base_endpoint(base.url, base.ca)
    with card_in_hand("medecin", pki_dir) as card:
        enrol(endpoint, card, name="tests")
    return endpoint


@pytest.fixture(scope="session")
def postgres_database(postgres_cluster):
    """A function creating one more empty database on the session's PostgreSQL cluster; its URL."""
    return lambda: postgres_cluster.dsn(postgres_cluster.create_database("base"))
