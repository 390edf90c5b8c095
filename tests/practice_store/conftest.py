"""The practice store's suites run on both engines: an SQLite file, and a fresh database on the
session's throw-away PostgreSQL cluster (``tests/postgres_cluster.py``; under CI=true a cluster
that cannot start fails these tests, never skips them)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

ENGINES = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgresql)]


@pytest.fixture(params=ENGINES)
def store_location(request: pytest.FixtureRequest, tmp_path: Path) -> str | Path:
    """Where the practice store lives for this test: a file, or a postgresql:// URL."""
    if request.param == "sqlite":
        return tmp_path / "lap.sqlite3"
    dsn: str = request.getfixturevalue("fresh_postgres_database")
    return dsn


@pytest.fixture
def open_workstation(store_location: str | Path) -> Iterator[Callable[[], object]]:
    """Opens the practice store as another workstation would (its own connection); all closed at the end."""
    from lap_app.storage import LocalStore

    opened: list[LocalStore] = []

    def workstation() -> LocalStore:
        opened.append(LocalStore(store_location))
        return opened[-1]

    yield workstation
    for store in opened:
        store.close()
