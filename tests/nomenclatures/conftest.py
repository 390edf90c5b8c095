from __future__ import annotations

from pathlib import Path

import pytest

from lap_app.nomenclatures import NomenclatureDatabase, build_database


@pytest.fixture(scope="session")
def nomenclature_db_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The full shipped NABM and LPP, imported once for the session."""
    path = tmp_path_factory.mktemp("nomenclatures") / "nomenclatures.sqlite"
    build_database(path)
    return path


@pytest.fixture(scope="session")
def nomenclatures(nomenclature_db_path: Path) -> NomenclatureDatabase:
    return NomenclatureDatabase(nomenclature_db_path)
