"""One consultation driven with the keyboard alone through the X server (xdotool), under a real
window manager: login, patient, two medicines, validation, preview, printed page. Run by
``test_keyboard_under_x.py`` with DISPLAY set; prints one JSON line with what it saw."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def pump(seconds: float) -> None:
    from PySide6.QtWidgets import QApplication

    end = time.monotonic() + seconds
    while time.monotonic() < end:
        QApplication.processEvents()
        time.sleep(0.01)


def until(predicate, what: str, timeout: float = 60.0) -> None:
    """Process events until ``predicate()``; patient as the suite's Qt waits (tests/conftest.py
    ``QT_PATIENCE_MS``): a step ends as soon as it is reached, a loaded CI machine runs 3–4× slower."""
    from PySide6.QtWidgets import QApplication

    end = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > end:
            focus = QApplication.focusWidget()
            raise SystemExit(f"not reached: {what} (focus: {focus.objectName() if focus else None})")
        QApplication.processEvents()
        time.sleep(0.01)


def keys(*sequence: str) -> None:
    subprocess.run(["xdotool", "key", "--delay", "40", *sequence], check=True)
    pump(0.15)


def typed(text: str) -> None:
    subprocess.run(["xdotool", "type", "--delay", "30", text], check=True)
    pump(0.15)


def shoot(window, name: str) -> None:
    """A screenshot of the window into LAP_X_SHOTS (when set)."""
    folder = os.environ.get("LAP_X_SHOTS")
    if folder:
        window.grab().save(str(Path(folder) / f"x-{name}.png"))


def leave_and_come_back(window) -> None:
    """Ctrl+Maj+F, another patient, Entrée; Ctrl+Maj+F, the first one, Entrée: the line left
    open comes back, the keyboard in it."""
    from PySide6.QtWidgets import QApplication

    editor, panel = window.editor, window.patient_panel
    shoot(window, "1-line-open")
    for name, family in (("durand", "DURAND"), ("bern", "BERNARD")):
        keys("ctrl+shift+f")
        until(lambda: QApplication.focusWidget() is panel.search_edit, "patient search")
        typed(name)
        keys("Return")
        until(lambda family=family: panel.current_patient().family_name == family, f"{family} chosen")
        shoot(window, f"2-{family.lower()}")
    until(lambda: QApplication.focusWidget() is editor.line_editor.dose_spin, "back in the line left open")
    assert "Ligne en cours reprise" in editor.notice_label.text(), editor.notice_label.text()


def main() -> int:
    work = Path(tempfile.mkdtemp(prefix="lap-x-"))
    os.environ.setdefault("LAP_DATA_DIR", str(work / "data"))
    os.environ["LAP_CONFIG_DIR"] = str(work / "config")
    os.environ["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"
    from PySide6.QtWidgets import QApplication

    from lap_app.demo.environment import DemoEnvironment
    from lap_app.ui.app import apply_style, create_application
    from lap_app.ui.main_window import MainWindow

    app = create_application()
    env = DemoEnvironment(work / "demo", pcsc=False, base_port=0).start()
    try:
        window = MainWindow(env.context())
        apply_style(app)
        window.showMaximized()
        until(lambda: window.isActiveWindow(), "the window active under the window manager")
        page = window.login_page
        until(page.pin_edit.isEnabled, "the card read")
        until(lambda: QApplication.focusWidget() is page.pin_edit, "the PIN field focused")
        typed("1234")
        keys("Return")
        until(lambda: not window.is_locked(), "unlocked")

        keys("ctrl+shift+f")
        until(lambda: QApplication.focusWidget() is window.patient_panel.search_edit, "patient search")
        typed("bern")
        keys("Return")
        editor = window.editor
        until(lambda: window.patient_panel.current_patient() is not None, "patient chosen")
        until(lambda: QApplication.focusWidget() is editor.search.edit, "on to the medicine search")
        for query in ("doliprane 1000", "spasfon"):
            typed(query)
            until(lambda: editor.search.model.rowCount() > 0, f"results for {query}")
            keys("Return")
            until(editor.line_editor.isEnabled, f"line of {query}")
            if query == "spasfon":  # the line open, another patient, then back: the line waits
                leave_and_come_back(window)
            keys("alt+u")
            until(lambda: QApplication.focusWidget() is editor.line_editor.duration_spin, "Alt+U: the duration")
            typed("5")
            keys("Return")
            until(lambda: not editor.line_editor.isEnabled(), f"line of {query} added")
            until(lambda: QApplication.focusWidget() is editor.search.edit, "back in the medicine search")
        lines = len(editor.draft_lines())

        window._flow = None
        keys("ctrl+Return")
        until(lambda: window._flow is not None and window._flow.result_dialog is not None, "validated")
        result = window._flow.result_dialog
        until(result.isActiveWindow, "the result dialog active")
        keys("Return")  # « Aperçu et impression… »
        until(lambda: result.preview is not None and result.preview.isActiveWindow(), "the preview active")
        keys("ctrl+p")
        until(lambda: "PDF" in result.print_status.text(), "printed from the preview")
        until(result.isActiveWindow, "back to the result dialog")
        keys("Escape")
        until(lambda: not result.isVisible(), "the result dialog closed")
        until(lambda: window.isActiveWindow() and QApplication.focusWidget() is editor.search.edit,
              "the keyboard back in the medicine search after the dialogs")
        print(json.dumps({"number": result.result.number, "patient": window.patient_panel.current_patient().family_name,
                          "lines": lines, "focus_after_dialog": QApplication.focusWidget().objectName()}))
        window.close()
    finally:
        env.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
