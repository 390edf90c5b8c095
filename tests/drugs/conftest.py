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

# Two files of the April 2026 release (provenance and licence: tests/fixtures/README.md).
BDPM_2026_ARCHIVE = Path(__file__).resolve().parents[1] / "fixtures" / "bdpm-2026-04.tar.xz"


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
def bdpm_2026(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The 2026-04 release as a directory, the way ``lap-app drugs import DIR`` takes it."""
    release = tmp_path_factory.mktemp("bdpm-2026-04")
    from lap_app.drugs.importer import read_source_files

    files, _ignored = read_source_files(BDPM_2026_ARCHIVE)
    for name, data in files.items():
        (release / name).write_bytes(data)
    return release


@pytest.fixture(scope="session")
def data_lines():
    """Non-blank lines of a raw BDPM file split on tabs (an independent reading for counts)."""

    def read(raw: bytes) -> list[list[str]]:
        return [line.split("\t") for line in raw.decode("cp1252").splitlines() if line.strip()]

    return read
