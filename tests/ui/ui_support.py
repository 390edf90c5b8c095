"""Helpers of the UI tests (a module of its own: ``conftest`` is a shadowed name here)."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import time
from pathlib import Path


def _root_conftest():
    spec = importlib.util.spec_from_file_location(
        "lap_ui_tests_root_conftest", Path(__file__).resolve().parent.parent / "conftest.py")
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


_ROOT = _root_conftest()
require_service = _ROOT.require_service
EXAMPLE_BUNDLE = _ROOT.EXAMPLE_BUNDLE


def login(qtbot, window, pin: str = "1234") -> None:
    """Type the PIN on the login page once the card has been read, press Enter."""
    page = window.login_page
    qtbot.waitUntil(lambda: page.pin_edit.isEnabled(), timeout=5000)
    qtbot.keyClicks(page.pin_edit, pin)
    qtbot.keyClick(page.pin_edit, "\r")


def paracetamol_for_petit(qtbot, window) -> None:
    """Logged in, the patient PETIT chosen and a 3-day paracetamol 500 line in the editor."""
    from lap_app.services.drafting import line_for_drug

    login(qtbot, window)
    qtbot.waitUntil(lambda: not window.is_locked(), timeout=5000)
    window.patient_panel.select(window.context.services.patients.search("PETIT")[0])
    line = line_for_drug(window.context.drugs.search("paracetamol 500", limit=1)[0])
    line.posology.duration, line.posology.duration_unit = 3, "d"
    window.editor.load_lines([line])


def paracetamol_for_rousseau(qtbot, window):
    """Logged in, the patient ROUSSEAU chosen and paracetamol 500 added through the drug search;
    returns the editor of the other kinds (biology, nursing…)."""
    from test_full_flow import add_drug

    login(qtbot, window, "1234")
    qtbot.waitUntil(lambda: not window.is_locked(), timeout=5000)
    window.patient_panel.select(window.context.services.patients.search("ROUSSEAU")[0])
    add_drug(qtbot, window.editor, "paracetamol 500")
    return window.care_editor


def wait_for(predicate, timeout: float = _ROOT.QT_PATIENCE_MS / 1000) -> None:
    """Process events until ``predicate()`` (patient: a loaded CI machine runs 3–4× slower)."""
    from PySide6.QtWidgets import QApplication

    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        QApplication.processEvents()
        time.sleep(0.01)


def looks_until_locked(window, pull) -> int:
    """``pull()`` the card, process events until ``window`` locks; returns how many looks at the
    readers its card watcher began after the pull, up to the lock.

    « Locked within 2 s of the pull » is counted in looks, not in seconds (a loaded machine would
    decide a measure): the watcher looks every ``POLL_MS`` (400 ms), so a lock by the first look
    that began after the pull — 1, or 0 when a look under way already saw the card gone — comes
    within ``POLL_MS`` and one look. A lock that waited for anything else (a busy card thread, a
    later look) shows as more looks, or as a window not locked when the watcher saw the card gone."""
    watcher = window.watcher
    looks = []

    class Counted:
        def __init__(self, service) -> None:
            self._service = service

        def snapshot(self):
            looks.append(pulled)
            return self._service.snapshot()

        def __getattr__(self, name: str):
            return getattr(self._service, name)

    def removal_seen() -> None:  # connected after the window's lock: locked by now, unless the lock waits for something
        at_lock.append((sum(looks), window.is_locked()))

    pulled, at_lock = False, []
    service, watcher._service = watcher._service, Counted(watcher._service)
    watcher.card_removed.connect(removal_seen)
    try:
        pull()
        pulled = True
        wait_for(window.is_locked)
        wait_for(lambda: at_lock)
    finally:
        watcher.card_removed.disconnect(removal_seen)
        watcher._service = service
    counted, locked = at_lock[0]
    assert locked, "the card seen gone, the window did not lock at once"
    return counted


def run_application(script: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """``script`` run as the application is, in a fresh process (offscreen, its own data and
    settings folders under ``tmp_path``): for what pytest-qt's shared QApplication would hide."""
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "LAP_DATA_DIR": str(tmp_path / "data"),
           "LAP_CONFIG_DIR": str(tmp_path / "config")}
    return subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, env=env)
