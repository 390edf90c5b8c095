"""A new drug base written while the release is still being derived: a Ctrl+C or a failed
write in the middle leaves the previous file serving, nothing half-built beside it, and the
writes stopped."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

from lap_app.drugs import open_drug_database
from lap_app.drugs.importer import build_database
from lap_app.drugs.writes import WriterThread


@pytest.fixture(scope="module")
def small_release(shipped_files: dict[str, bytes], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shipped files cut to their first 1,500 drugs (a build in a fraction of the time)."""
    folder = tmp_path_factory.mktemp("small-release")
    kept = {line.split(b"\t")[0] for line in shipped_files["CIS_bdpm.txt"].splitlines()[:1500]}
    for name, data in shipped_files.items():
        key = 2 if name == "CIS_GENER_bdpm.txt" else 0  # the CIS column
        lines = [line for line in data.splitlines() if len(line.split(b"\t")) > key and line.split(b"\t")[key] in kept]
        (folder / name).write_bytes(b"\r\n".join(lines))
    return folder


def _snapshot(path: Path) -> tuple:
    with open_drug_database(path) as db:
        return db.count("drug"), db.release(), [r.cis for r in db.search("doli 1000", limit=5)]


def _writes_running() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "drug-base-writes"]


def test_small_release_builds_whole(small_release: Path, tmp_path: Path):
    report = build_database(tmp_path / "drugs.sqlite3", small_release, release="petite")
    assert report.rows["drug"] == 1500 and report.stats is not None and report.stats.drugs == 1500
    assert len(report.added) == 1500 and not report.removed
    with open_drug_database(tmp_path / "drugs.sqlite3") as db:
        assert db.release() == "petite" and db.count("drug_summary") == 1500
    assert not _writes_running()


def test_ctrl_c_while_deriving_leaves_the_previous_database(drug_db_copy: Path, small_release: Path,
                                                            monkeypatch: pytest.MonkeyPatch):
    import lap_app.drugs.derive as derive

    before = _snapshot(drug_db_copy)
    calls = 0
    real = derive._pack_json

    def interrupted(row: tuple) -> str:  # halfway through the drugs: rows already sent to the writes
        nonlocal calls
        calls += 1
        if calls == 800:
            raise KeyboardInterrupt
        return real(row)

    monkeypatch.setattr(derive, "_pack_json", interrupted)
    with pytest.raises(KeyboardInterrupt):
        build_database(drug_db_copy, small_release)
    assert calls == 800
    assert _snapshot(drug_db_copy) == before
    assert not list(drug_db_copy.parent.glob(".drugs-*.building"))
    assert not _writes_running()


def test_a_failed_write_stops_the_build_and_leaves_the_previous_database(
        drug_db_copy: Path, small_release: Path, monkeypatch: pytest.MonkeyPatch):
    import lap_app.drugs.derive as derive

    before = _snapshot(drug_db_copy)
    monkeypatch.setattr(derive, "DERIVED_INDEXES_SQL", "CREATE INDEX lost ON nowhere(cis)")
    with pytest.raises(sqlite3.OperationalError, match="nowhere"):
        build_database(drug_db_copy, small_release)
    assert _snapshot(drug_db_copy) == before
    assert not list(drug_db_copy.parent.glob(".drugs-*.building"))
    assert not _writes_running()


def test_writes_run_in_order_and_the_first_failure_stops_them(tmp_path: Path):
    conn = sqlite3.connect(tmp_path / "w.sqlite3", isolation_level=None, check_same_thread=False)
    writes = WriterThread(conn)
    writes.execute("CREATE TABLE t (n INTEGER)")
    writes.executemany("INSERT INTO t VALUES (?)", [(n,) for n in range(100)])
    total = writes.query("SELECT sum(n) FROM t")
    writes.execute("INSERT INTO missing VALUES (1)")
    writes.execute("INSERT INTO t VALUES (1000)")  # after the failure: dropped
    late = writes.query("SELECT count(*) FROM t")
    with pytest.raises(sqlite3.OperationalError):
        late.result()
    with pytest.raises(sqlite3.OperationalError, match="missing"):  # the caller learns it at its next write
        writes.execute("INSERT INTO t VALUES (2000)")
    with pytest.raises(sqlite3.OperationalError, match="missing"):
        writes.finish()
    assert total.result() == [(4950,)]
    assert conn.execute("SELECT count(*) FROM t").fetchone() == (100,)
    conn.close()


def test_an_aborted_writer_drops_what_was_still_to_run(tmp_path: Path):
    import time

    conn = sqlite3.connect(tmp_path / "w.sqlite3", isolation_level=None, check_same_thread=False)
    running = threading.Event()

    def held() -> int:  # a long statement: it ends once the abort has begun
        running.set()
        deadline = time.monotonic() + 60
        while not writes._stopping and time.monotonic() < deadline:
            time.sleep(0.001)
        return 1

    conn.create_function("held", 0, held)
    writes = WriterThread(conn)
    writes.execute("CREATE TABLE t (n INTEGER)")
    writes.execute("INSERT INTO t VALUES (held())")
    for n in range(50):
        writes.executemany("INSERT INTO t VALUES (?)", [(n,)] * 1000)
    assert running.wait(60)
    writes.abort()
    assert not _writes_running()
    assert conn.execute("SELECT count(*) FROM t").fetchone()[0] <= 1  # the held row at most: the rest dropped
    conn.close()


def test_a_damaged_archive_is_refused_before_anything_is_written(drug_db_copy: Path, tmp_path: Path):
    """The archive decompresses beside the thesaurus's reading: its damage is still what the
    user is told, even when the thesaurus cannot be read either."""
    from lap_app.drugs.importer import ImportFailed, shipped_bdpm_archive

    before = _snapshot(drug_db_copy)
    archive = tmp_path / "2026-05.tar.xz"
    content = shipped_bdpm_archive().read_bytes()
    archive.write_bytes(content[: len(content) // 3])
    with pytest.raises(ImportFailed, match=r"archive endommagée ou tronquée"):
        build_database(drug_db_copy, archive)
    with pytest.raises(ImportFailed, match=r"archive endommagée ou tronquée"):
        build_database(drug_db_copy, archive, thesaurus_archive=tmp_path / "missing.tar.xz")
    assert _snapshot(drug_db_copy) == before
    assert not list(drug_db_copy.parent.glob(".drugs-*.building"))
