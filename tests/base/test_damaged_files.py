"""Damaged files are refused with a clear French message and left untouched: a store with
damaged pages (found before any write: no pool number taken), a 0-byte store, a demo PKI
whose CA key is missing or unreadable (never a new CA made silently); in the CLI and in the
GUI's start-up dialog.

SQLite only: a damaged file is the workstation's own store; a practice server's pages are
PostgreSQL's to check (its faults are in tests/practice_store/test_practice_server_faults.py)."""

from __future__ import annotations

import hashlib
import json
import sqlite3
import time
from pathlib import Path

import pytest

from circuit_support import EXAMPLE_BUNDLE, cli_env, run_cli


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _store_with_history(path: Path) -> list[str]:
    """A store with 40 ordonnances and a pool of numbers, checkpointed into the main file."""
    from lap_app.storage import LocalStore

    store = LocalStore(path)
    bundle = json.loads(EXAMPLE_BUNDLE.read_text(encoding="utf-8"))
    store.add_numbers("810101234564", [f"2026010100{i:04d}00" for i in range(60)], time.time() + 86400 * 20)
    for _ in range(40):
        number = store.reserve_number_for_signing("810101234564")
        store.save_signed(number=number, prescriber="810101234564", patient_name="MARTIN Jeanne",
                          opposition=False, bundle=bundle, signer_certificate=b"x" * 800)
    free = store.unused_numbers("810101234564")
    store.close()
    return free


def _damage_middle(path: Path) -> None:
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        page_size = db.execute("PRAGMA page_size").fetchone()[0]
        pages = db.execute("PRAGMA page_count").fetchone()[0]
    with open(path, "r+b") as handle:
        handle.seek(page_size * (pages // 2))
        handle.write(bytes(range(7, 250)) * (page_size * 4 // 243))


def test_store_with_damaged_pages_is_refused_before_any_write(tmp_path):
    from lap_app.domain.errors import DamagedFile
    from lap_app.storage import LocalStore

    path = tmp_path / "data" / "lap.sqlite3"
    path.parent.mkdir()
    _store_with_history(path)
    _damage_middle(path)
    before = _digest(path)
    with pytest.raises(DamagedFile, match=r"La base locale .* est endommagée \(pages endommagées\) : elle n'a pas "
                                          r"été modifiée ; restaurez-la depuis une sauvegarde"):
        LocalStore(path)
    shown = run_cli(["outbox"], cli_env(tmp_path / "data", tmp_path / "config", fresh=True))
    assert shown.returncode == 1 and "pages endommagées" in shown.stderr and "Traceback" not in shown.stderr
    assert _digest(path) == before  # no number taken, nothing migrated: untouched


def test_zero_byte_store_is_refused_not_taken_for_a_new_one(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "lap.sqlite3").write_bytes(b"")
    env = cli_env(data, tmp_path / "config", fresh=True)
    for args in (["outbox"], ["dmp", "status"]):
        shown = run_cli(args, env)
        assert shown.returncode == 1, shown.stdout
        assert "est vide (0 octet) alors qu'elle devrait contenir vos ordonnances" in shown.stderr
    assert (data / "lap.sqlite3").stat().st_size == 0 and not (data / "lap.sqlite3-wal").exists()


@pytest.mark.parametrize("damage", ["missing", "unreadable"])
def test_demo_pki_without_its_ca_key_is_refused_never_replaced(tmp_path, damage):
    from lap_app.standins.pki import PkiDamaged, init_pki

    pki = tmp_path / "pki"
    init_pki(pki)
    if damage == "missing":
        (pki / "ca.key").unlink()
    else:
        (pki / "ca.key").write_bytes(b"-----BEGIN PRIVATE KEY-----\ngarbage\n")
    kept = {p.name: _digest(p) for p in pki.iterdir() if p.is_file() and not p.name.startswith(".")}
    with pytest.raises(PkiDamaged, match=f"clé de l'autorité ca.key {'manquante' if damage == 'missing' else 'illisible'}"
                                         ".*aucune nouvelle autorité n'a été créée"):
        init_pki(pki)
    shown = run_cli(["card", "info", "--virtual", "--pki", str(pki)], cli_env(tmp_path / "d", tmp_path / "c", fresh=True))
    assert shown.returncode == 1 and "aucune nouvelle autorité" in shown.stderr and "Traceback" not in shown.stderr
    assert {p.name: _digest(p) for p in pki.iterdir() if p.is_file() and not p.name.startswith(".")} == kept


def test_gui_start_on_a_damaged_store_shows_a_dialog(tmp_path, monkeypatch):
    """``lap-app gui`` says it in a dialog (started from the menu, there is no terminal)."""
    import os

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication, QMessageBox

    from lap_app.cli import gui_cmd
    from lap_app.domain.errors import DamagedFile, UserError
    from lap_app.ui import errors

    app = QApplication.instance() or QApplication([])
    data = tmp_path / "data"
    data.mkdir()
    (data / "lap.sqlite3").write_bytes(b"")
    monkeypatch.setenv("LAP_DATA_DIR", str(data))
    monkeypatch.setenv("LAP_CONFIG_DIR", str(tmp_path / "config"))
    shown: list[QMessageBox] = []
    monkeypatch.setattr(errors, "show_startup_error", lambda error: shown.append(errors.startup_error_box(error)))
    monkeypatch.setattr("lap_app.cli.display.require_display", lambda: None)

    class Args:
        base_url = base_ca = pkcs11_module = None
        pcsc = False

    with pytest.raises(UserError):
        gui_cmd.run(Args())  # type: ignore[arg-type]
    assert len(shown) == 1 and shown[0].windowTitle() == "Fichier de données endommagé"
    assert "est vide (0 octet)" in shown[0].text() and shown[0].icon() == QMessageBox.Icon.Critical
    assert isinstance(DamagedFile("x"), UserError) and app is not None
