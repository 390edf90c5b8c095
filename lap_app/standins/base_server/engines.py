"""Where the base keeps its data: a SQLite file in its data directory (the default, one machine)
or a PostgreSQL database (``--database postgresql://…``: several processes and servers)."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any, Protocol, TypeVar

T = TypeVar("T")

DATABASE_NAME = "base.sqlite3"


class Store(Protocol):
    """What the routes use of the base's database, on either engine (SQL written with ``?`` markers)."""

    def transaction(self) -> AbstractContextManager[Any]: ...

    def reading(self) -> AbstractContextManager[Any]: ...

    def submit(self, operation: Callable[[Any], T]) -> Future[T]: ...

    def grouped(self, operation: Callable[[Any], T]) -> T: ...

    async def run_grouped(self, operation: Callable[[Any], T]) -> T: ...

    def lock_number(self, conn: Any, number: str) -> None: ...

    def audit(self, conn: Any, actor: str, profession: str, installation: str,
              number: str | None, action: str, outcome: str) -> None: ...

    def close(self) -> None: ...


def is_postgres(database: str | None) -> bool:
    from lap_app.storage.postgres import is_server_url

    return is_server_url(database)


def open_store(data_dir: Path, database: str | None = None) -> Store:
    """The SQLite file in ``data_dir``, or the PostgreSQL database at ``database`` (a libpq URL;
    a password is better left to PGPASSWORD or ~/.pgpass than written in the URL)."""
    if database is None:
        from lap_app.standins.base_server.store import BaseStore

        return BaseStore(data_dir / DATABASE_NAME)
    if not is_postgres(database):
        raise ValueError(f"unsupported database URL scheme: {database.split(':', 1)[0]}")
    from lap_app.standins.base_server.store_postgres import PostgresBaseStore

    return PostgresBaseStore(database)
