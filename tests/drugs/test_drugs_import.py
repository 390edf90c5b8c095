"""Import of the real BDPM: first build, counts, updates between releases, failed imports."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from lap_app.drugs import open_drug_database
from lap_app.drugs.bdpm_format import SPECS_BY_NAME
from lap_app.drugs.importer import ImportFailed, import_release


def _table_count(path: Path, table: str) -> int:
    conn = sqlite3.connect(path)
    try:
        return conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    finally:
        conn.close()


def test_first_use_builds_the_database_in_the_user_data_dir(drug_db, drug_db_path: Path):
    from lap_app.paths import user_data_dir

    assert drug_db_path.parent == user_data_dir()
    assert drug_db.release() == "2021-05"
    # built into a temporary file and renamed: nothing half-built is left beside it
    assert not list(drug_db_path.parent.glob(".drugs-*.building"))


@pytest.mark.parametrize("file_name", sorted(SPECS_BY_NAME))
def test_counts_per_table_match_the_source_files(drug_db, shipped_files, data_lines, file_name: str):
    expected = len(data_lines(shipped_files[file_name]))
    assert drug_db.count(SPECS_BY_NAME[file_name].table) == expected


def test_every_drug_is_searchable_and_the_thesaurus_is_loaded(drug_db, shipped_files, data_lines):
    assert drug_db.count("drug_summary") == len(data_lines(shipped_files["CIS_bdpm.txt"]))
    assert drug_db.count("ansm_interaction") == 3139


def test_reopening_does_not_rebuild(drug_db_path: Path):
    before = drug_db_path.stat().st_mtime_ns
    with open_drug_database() as db:
        assert db.get("60234100") is not None
    assert drug_db_path.stat().st_mtime_ns == before


@pytest.fixture(scope="module")
def imported_2026(drug_db_path: Path, bdpm_2026: Path, tmp_path_factory: pytest.TempPathFactory):
    """The 2026-04 release (two files, line 10 of CIS_bdpm.txt truncated) imported into a copy
    of the database while a reader keeps searching it from another connection."""
    import threading

    work = tmp_path_factory.mktemp("import-2026")
    db_path = work / "drugs.sqlite3"
    shutil.copyfile(drug_db_path, db_path)
    release = work / "2026-04"
    release.mkdir()
    lines = (bdpm_2026 / "CIS_bdpm.txt").read_bytes().split(b"\n")
    lines[9] = lines[9][:30]
    (release / "CIS_bdpm.txt").write_bytes(b"\n".join(lines))
    shutil.copyfile(bdpm_2026 / "CIS_COMPO_bdpm.txt", release / "CIS_COMPO_bdpm.txt")

    outcome: list = []
    worker = threading.Thread(target=lambda: outcome.append(import_release(db_path, release)))
    with open_drug_database(db_path) as db:
        before = [r.cis for r in db.search("zocor 20", limit=3)]
        worker.start()
        seen = []
        while worker.is_alive():  # the import holds its write transaction for seconds
            seen.append(([r.cis for r in db.search("zocor 20", limit=3)], db.release()))
        worker.join()
        after = [r.cis for r in db.search("zocor 20", limit=3)]
    assert outcome, "the import failed"
    kept = [line for number, line in enumerate(lines, start=1) if line.strip() and number != 10]
    return {"report": outcome[0], "path": db_path, "kept_lines": kept, "before": before, "after": after,
            "seen": seen}


def test_partial_release_reports_added_removed_renamed(imported_2026, shipped_files, data_lines):
    report = imported_2026["report"]
    old = {f[0]: f[1] for f in data_lines(shipped_files["CIS_bdpm.txt"])}
    new = {f[0]: f[1] for f in data_lines(b"\n".join(imported_2026["kept_lines"]))}
    assert report.release == "2026-04"
    assert report.files == ["CIS_bdpm.txt", "CIS_COMPO_bdpm.txt"]
    assert {c for c, _n in report.added} == new.keys() - old.keys()
    assert {c for c, _n in report.removed} == old.keys() - new.keys()
    assert {c for c, _o, _n in report.renamed} == {c for c in old.keys() & new.keys() if old[c] != new[c]}
    assert report.added and report.removed and report.renamed
    db_path = imported_2026["path"]
    # the files not in the release are kept
    assert _table_count(db_path, "presentation") == len(data_lines(shipped_files["CIS_CIP_bdpm.txt"]))
    with open_drug_database(db_path) as db:
        assert db.release() == "2026-04"
        added_cis, added_name = report.added[0]
        assert db.get(added_cis).name == added_name
        assert db.search(added_cis)[0].name == added_name
        assert db.get(report.removed[0][0]) is None
        assert db.count("drug") == len(new)


def test_malformed_line_in_an_update_is_reported_and_the_rest_imports(imported_2026):
    report = imported_2026["report"]
    assert [(p.file, p.line) for p in report.problems] == [("CIS_bdpm.txt", 10)]
    assert "tronquée" in report.problems[0].message
    assert report.rows["drug"] == len(imported_2026["kept_lines"])


def test_a_reader_keeps_serving_while_an_import_runs(imported_2026):
    seen = imported_2026["seen"]
    # every search during the import answered, with either the old or the new content (never a mix)
    assert all(found in (imported_2026["before"], imported_2026["after"]) for found, _release in seen)
    assert sum(1 for _found, release in seen if release == "2021-05") > 10


def _serving_snapshot(path: Path) -> tuple:
    with open_drug_database(path) as db:
        return db.count("drug"), db.release(), [r.cis for r in db.search("doli 1000", limit=5)]


def test_failed_import_leaves_the_previous_database_serving(drug_db_copy: Path, tmp_path: Path):
    before = _serving_snapshot(drug_db_copy)
    release = tmp_path / "broken"
    release.mkdir()
    (release / "CIS_bdpm.txt").write_bytes(b"")
    with pytest.raises(ImportFailed, match="base précédente reste en service"):
        import_release(drug_db_copy, release)
    assert _serving_snapshot(drug_db_copy) == before


@pytest.mark.parametrize("damage", ["truncated", "not an archive"])
def test_damaged_archive_is_refused_and_the_previous_database_serves(drug_db_copy: Path, tmp_path: Path,
                                                                   damage: str):
    from lap_app.drugs.importer import shipped_bdpm_archive

    before = _serving_snapshot(drug_db_copy)
    archive = tmp_path / "2026-05.tar.xz"
    content = shipped_bdpm_archive().read_bytes()
    archive.write_bytes(content[: len(content) // 3] if damage == "truncated" else b"\x00garbage" * 100)
    with pytest.raises(ImportFailed, match=r"archive endommagée ou tronquée.*base précédente reste en service"):
        import_release(drug_db_copy, archive)
    assert _serving_snapshot(drug_db_copy) == before


def test_crash_in_the_middle_of_an_import_rolls_everything_back(drug_db_copy: Path, bdpm_2026: Path,
                                                                monkeypatch: pytest.MonkeyPatch):
    import lap_app.drugs.importer as importer

    before = _serving_snapshot(drug_db_copy)
    names_before = _table_count(drug_db_copy, "drug")

    def crash(conn, _loaded):  # after the source tables were replaced, before the commit
        assert conn.execute("SELECT count(*) FROM drug").fetchone()[0] != names_before
        raise RuntimeError("disk full")

    monkeypatch.setattr(importer, "rebuild_derived", crash)
    with pytest.raises(RuntimeError):
        import_release(drug_db_copy, bdpm_2026)
    assert _serving_snapshot(drug_db_copy) == before


def test_import_source_missing_is_a_clear_error(drug_db_copy: Path, tmp_path: Path):
    with pytest.raises(ImportFailed, match="introuvable"):
        import_release(drug_db_copy, tmp_path / "nowhere")
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "README.txt").write_text("rien")
    with pytest.raises(ImportFailed, match="Aucun fichier BDPM"):
        import_release(drug_db_copy, empty)


def _damage_pages(path: Path, count: int = 24) -> None:
    """Junk over ``count`` pages in the middle of the file (a crash of some other tool, a bad disk)."""
    import sqlite3

    with sqlite3.connect(path) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        page_size = db.execute("PRAGMA page_size").fetchone()[0]
        pages = db.execute("PRAGMA page_count").fetchone()[0]
    with open(path, "r+b") as handle:
        handle.seek(page_size * (pages // 2))
        handle.write(bytes(range(7, 250)) * (page_size * count // 243))


@pytest.fixture(scope="module")
def db_with_2026(tmp_path_factory: pytest.TempPathFactory, drug_db_path: Path, bdpm_2026: Path) -> Path:
    """The drug base with the 2026-04 release imported (and kept beside it for a rebuild), made
    once for the damage cases: each copies its folder."""
    from lap_app.drugs.database import import_into

    built = tmp_path_factory.mktemp("with-2026") / "drugs.sqlite3"
    shutil.copyfile(drug_db_path, built)
    import_into(built, bdpm_2026, "2026-04")
    return built


def _damaged_copy(db_with_2026: Path, folder: Path, damage: str) -> Path:
    shutil.copytree(db_with_2026.parent, folder, dirs_exist_ok=True)
    target = folder / db_with_2026.name
    if damage == "header":
        with open(target, "r+b") as handle:
            handle.write(b"not a database" * 10)
    else:
        _damage_pages(target)
    return target


@pytest.mark.parametrize("damage", ["header", "middle pages"])
def test_damaged_database_is_refused_untouched(tmp_path: Path, db_with_2026: Path, damage: str):
    """Never silently rebuilt from the shipped 2021 BDPM: refused with a French message naming the
    release that a rebuild re-imports, by the application and by the command line alike."""
    import hashlib
    import subprocess
    import sys

    from lap_app.drugs.integrity import DrugDatabaseDamaged

    target = _damaged_copy(db_with_2026, tmp_path, damage)
    before = hashlib.sha256(target.read_bytes()).hexdigest()
    with pytest.raises(DrugDatabaseDamaged, match=r"endommagée .*lap-app drugs rebuild.*\(2026-04\)"):
        open_drug_database(target)
    cli = subprocess.run([sys.executable, "-m", "lap_app", "drugs", "--db", str(target), "search", "doliprane"],
                         capture_output=True, text=True, timeout=120)
    assert cli.returncode == 1 and "endommagée" in cli.stderr and "Traceback" not in cli.stderr
    assert hashlib.sha256(target.read_bytes()).hexdigest() == before  # untouched


def test_damaged_database_is_rebuilt_with_its_imported_release(tmp_path: Path, db_with_2026: Path):
    """``lap-app drugs rebuild``: the shipped BDPM then the kept 2026-04 release, the damaged file
    set aside. The rebuild never reads the damaged file, so one kind of damage (the subtler, in
    the middle pages) proves it for both."""
    from lap_app.drugs.database import rebuild_drug_database

    target = _damaged_copy(db_with_2026, tmp_path, "middle pages")
    assert rebuild_drug_database(target) == ["2026-04"]
    with open_drug_database(target) as db:
        assert db.release() == "2026-04"
        assert db.get("60234100").name == "DOLIPRANE 1000 mg, comprimé"
    assert (tmp_path / "drugs.sqlite3.damaged").exists()  # kept aside for the support


def test_unwritable_data_dir_is_a_clear_error(tmp_path: Path):
    from lap_app.domain.errors import UserError

    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    with pytest.raises(UserError, match="Impossible de créer la base des médicaments"):
        open_drug_database(blocker / "drugs.sqlite3")
