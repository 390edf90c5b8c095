"""Helpers of the UI tests (a module of its own: ``conftest`` is a shadowed name here)."""

from __future__ import annotations

import importlib.util
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


def wait_for(predicate, timeout: float = 5.0) -> float:
    """Process events until ``predicate()``; returns the seconds it took."""
    from PySide6.QtWidgets import QApplication

    start = time.monotonic()
    while not predicate():
        if time.monotonic() - start > timeout:
            raise AssertionError("condition not reached in time")
        QApplication.processEvents()
        time.sleep(0.01)
    return time.monotonic() - start
