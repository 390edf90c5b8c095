"""The practice store's suites run on both engines (``store_location``, tests/conftest.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest


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
