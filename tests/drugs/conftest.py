"""The full drug database, built once per test session from the shipped 2021-05 BDPM.

It is built where the application builds it (``open_drug_database()`` under the session's
temporary ``LAP_DATA_DIR``), exactly as on a first start. Tests that import into a database
work on a copy (``drug_db_copy``) so the shared one never changes.
"""

from __future__ import annotations

import shutil
import tarfile
from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
BDPM_2021 = SHARED / "bdpm" / "2021-05"
BDPM_2026 = SHARED / "bdpm" / "2026-04"


@pytest.fixture(scope="session")
def drug_db():
    from lap_app.drugs import open_drug_database

    db = open_drug_database()
    yield db
    db.close()


@pytest.fixture(scope="session")
def drug_db_path(drug_db) -> Path:
    return drug_db.path


@pytest.fixture()
def drug_db_copy(drug_db_path: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "drugs.sqlite3"
    shutil.copyfile(drug_db_path, copy)
    return copy


@pytest.fixture(scope="session")
def shipped_files() -> dict[str, bytes]:
    """The raw files inside the shipped archive, read independently of the importer."""
    from lap_app.drugs.importer import shipped_bdpm_archive

    with tarfile.open(shipped_bdpm_archive()) as archive:
        return {Path(m.name).name: archive.extractfile(m).read() for m in archive.getmembers() if m.isfile()}


@pytest.fixture(scope="session")
def bdpm_2026() -> Path:
    return BDPM_2026


@pytest.fixture(scope="session")
def data_lines():
    """Non-blank lines of a raw BDPM file split on tabs (an independent reading for counts)."""

    def read(raw: bytes) -> list[list[str]]:
        return [line.split("\t") for line in raw.decode("cp1252").splitlines() if line.strip()]

    return read
