"""Importing the NABM and LPP files: every row kept, bad rows named by file:line, a failed
import leaves the previous data serving."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from lap_app.nomenclatures import ImportFailed, NomenclatureDatabase, build_database, import_files, importer
from lap_app.nomenclatures.importer import shipped_source

SHIPPED = shipped_source()


def test_full_tables_are_imported_with_their_leading_zeros(nomenclatures: NomenclatureDatabase) -> None:
    # IR_BIO_R: 1,076 rows minus the two technical rows, plus the 24 Open BIO codes
    assert nomenclatures.count("biologie") == 1076 - 2 + 24
    assert nomenclatures.count("dispositifs") == 19717
    glucose = nomenclatures.get("biologie", "0552")
    assert glucose is not None and glucose.label == "GLUCOSE" and not glucose.closed
    assert nomenclatures.get("biologie", "552") == glucose  # typed without its zero
    assert nomenclatures.get("biologie", "0215") is not None
    assert nomenclatures.get("biologie", "0000") is None and nomenclatures.get("biologie", "9999") is None
    dpd = nomenclatures.get("biologie", "0500")  # only in openbio_ACTE
    assert dpd is not None and dpd.label


def test_lpp_codes_carry_their_chapter_label(nomenclatures: NomenclatureDatabase) -> None:
    strip = nomenclatures.get("dispositifs", "1301117")
    assert strip is not None
    assert strip.detail == "MATERIELS DE CONTENTION ET DE COMPRESSION VASCULAIRES"


def _copy_shipped(target: Path) -> Path:
    for name in ("IR_BIO_R.csv", "NT_LPP.csv", "openbio_ACTE.csv"):
        source = next(SHIPPED.rglob(name))
        shutil.copyfile(source, target / name)
    return target


def test_malformed_rows_are_reported_by_file_and_line(tmp_path: Path) -> None:
    source = _copy_shipped(tmp_path)
    lines = (source / "IR_BIO_R.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    lines[2] = "552;GLUCOSE;too;few\n"  # line 3 of the file
    lines[4] = "ABC" + lines[4][lines[4].index(";"):]  # line 5: not a code
    (source / "IR_BIO_R.csv").write_text("".join(lines), encoding="utf-8")
    (source / "openbio_ACTE.csv").unlink()  # it would bring the two codes back
    report = build_database(tmp_path / "n.sqlite", source)
    rendered = [p.render() for p in report.problems]
    assert rendered == [
        "IR_BIO_R.csv:3 : 4 champs au lieu de 25",
        "IR_BIO_R.csv:5 : code NABM illisible : 'ABC'",
    ]
    assert report.rows["nabm"] == 1076 - 2 - 2


def test_a_file_that_is_not_a_nomenclature_is_refused_before_any_write(
    nomenclature_db_path: Path, tmp_path: Path
) -> None:
    live = tmp_path / "live.sqlite"
    shutil.copyfile(nomenclature_db_path, live)
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "NT_LPP.csv").write_text("LPP_PRS_IDE;LPP_RED_LIB\n1;X\n", encoding="utf-8")
    with pytest.raises(ImportFailed) as refused:
        import_files(live, tmp_path / "src")
    assert "NT_LPP.csv" in refused.value.message and "colonnes manquantes" in refused.value.message
    assert "les nomenclatures précédentes restent en service" in refused.value.message
    with NomenclatureDatabase(live) as db:
        assert db.count("dispositifs") == 19717


def test_a_failure_during_the_write_rolls_back_both_tables(
    nomenclature_db_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    live = tmp_path / "live.sqlite"
    shutil.copyfile(nomenclature_db_path, live)
    source = _copy_shipped(tmp_path)
    lines = (source / "IR_BIO_R.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    (source / "IR_BIO_R.csv").write_text("".join(lines[:11]), encoding="utf-8")  # a 10-code NABM

    def disk_full(*args: object) -> int:
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(importer, "_write_lpp", disk_full)
    with pytest.raises(ImportFailed) as failed:
        import_files(live, source)
    assert "les nomenclatures précédentes restent en service" in failed.value.message
    with NomenclatureDatabase(live) as db:
        assert db.count("biologie") == 1098  # the 10-code NABM written first was rolled back
        assert db.search("biologie", "NFS")[0].code == "1104"


def test_an_import_replaces_only_the_nomenclature_given(nomenclature_db_path: Path, tmp_path: Path) -> None:
    live = tmp_path / "live.sqlite"
    shutil.copyfile(nomenclature_db_path, live)
    (tmp_path / "src").mkdir()
    header, *rows = (next(SHIPPED.rglob("IR_BIO_R.csv"))).read_text(encoding="utf-8").splitlines(keepends=True)
    (tmp_path / "src" / "IR_BIO_R.csv").write_text(header + "".join(rows[:20]), encoding="utf-8")
    report = import_files(live, tmp_path / "src")
    assert report.rows == {"nabm": 20}
    with NomenclatureDatabase(live) as db:
        assert db.count("biologie") == 20 and db.count("dispositifs") == 19717


def test_missing_folder_is_a_french_error(tmp_path: Path) -> None:
    with pytest.raises(ImportFailed, match="introuvable"):
        build_database(tmp_path / "n.sqlite", tmp_path / "absent")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ImportFailed, match="Aucun fichier de nomenclature reconnu"):
        build_database(tmp_path / "n.sqlite", tmp_path / "empty")
    assert not (tmp_path / "n.sqlite").exists()
