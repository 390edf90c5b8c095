"""What no code caught reaches one boundary: logged with its traceback in the log file (the
Windows build has no console), and shown as the French error dialog; the application goes on."""

from __future__ import annotations

import signal
import sys
import threading
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication, QMessageBox

from ui_support import run_application

APPLICATION = r"""
import sys
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMessageBox
from lap_app.logs import configure_logging
from lap_app.ui.app import create_application

configure_logging()
app = create_application()
seen = []

def failing_slot():
    raise ZeroDivisionError("division par zéro dans un slot")

def look():
    boxes = [w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox) and w.isVisible()]
    if boxes:
        seen.append(boxes[0].text())
        QTimer.singleShot(0, lambda: QTimer.singleShot(200, app.quit))  # still alive after the failure
    else:
        QTimer.singleShot(50, look)

QTimer.singleShot(0, failing_slot)
QTimer.singleShot(50, look)
QTimer.singleShot(20000, app.quit)
app.exec()
print(seen[0] if seen else "NO DIALOG")
"""


def test_an_exception_in_a_slot_is_logged_and_shown_in_french(tmp_path: Path):
    result = run_application(APPLICATION, tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith("Erreur inattendue ; le détail technique est dans le journal.")
    assert "Traceback" not in result.stderr  # nothing for a console the user does not have
    log = (tmp_path / "data" / "logs" / "lap-app.log").read_text(encoding="utf-8")
    assert "unexpected error" in log and "Traceback" in log and "failing_slot" in log
    assert "ZeroDivisionError: division par zéro dans un slot" in log


CTRL_C = r"""
import os, signal, sys
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QMainWindow
from lap_app.ui.app import create_application

app = create_application()
closed = []

class Window(QMainWindow):
    def closeEvent(self, event):
        closed.append("fermée")  # where the main window keeps the line left open
        super().closeEvent(event)

window = Window()
window.show()
QTimer.singleShot(0, lambda: os.kill(os.getpid(), signal.SIGINT))  # Ctrl+C in the terminal
QTimer.singleShot(20000, app.quit)
code = app.exec()
print(closed)
sys.exit(code)
"""


def test_ctrl_c_in_the_terminal_closes_the_application_in_french(tmp_path: Path):
    """``lap-app gui`` or ``demo`` started from a terminal, then Ctrl+C: the windows close as from
    their menu, the command line's French line and exit code 130 (it printed a traceback and
    went on running)."""
    result = run_application(CTRL_C, tmp_path)
    assert (result.returncode, result.stdout.strip()) == (130, "['fermée']"), result.stderr
    assert "Erreur : interrompu (Ctrl+C)." in result.stderr.splitlines() and "Traceback" not in result.stderr


CTRL_C_BEFORE_THE_LOOP = r"""
import os, signal
from lap_app.ui.app import create_application

app = create_application()
try:
    os.kill(os.getpid(), signal.SIGINT)  # Ctrl+C while the demo starts, before any window
    print("went on")
except KeyboardInterrupt:
    print("stopped")  # the command line then says « interrompu » and ends with 130
"""


def test_ctrl_c_before_the_event_loop_stops_at_once(tmp_path: Path):
    """Before the event loop (``lap-app demo`` building its data, seconds the first time) nothing
    would run a queued close: Ctrl+C stops the start there and then."""
    result = run_application(CTRL_C_BEFORE_THE_LOOP, tmp_path)
    assert (result.returncode, result.stdout.strip()) == (0, "stopped"), result.stderr


@pytest.mark.qt_no_exception_capture
def test_an_exception_in_another_thread_is_shown_from_the_gui_thread(qtbot, monkeypatch, caplog):
    from lap_app.ui.errors import install_excepthook

    monkeypatch.setattr(sys, "excepthook", sys.excepthook)  # restored after the test
    monkeypatch.setattr(threading, "excepthook", threading.excepthook)
    ctrl_c = signal.getsignal(signal.SIGINT)
    install_excepthook()
    signal.signal(signal.SIGINT, ctrl_c)  # Ctrl+C stays pytest's

    def work() -> None:
        raise KeyError("lecture du lecteur de carte")

    thread = threading.Thread(target=work, name="card-poll")
    thread.start()
    thread.join(5)

    def dialog() -> QMessageBox | None:
        found = [w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox) and w.isVisible()]
        return found[0] if found else None

    qtbot.waitUntil(lambda: dialog() is not None, timeout=5000)
    box = dialog()
    assert box.text() == "Erreur inattendue ; le détail technique est dans le journal."
    assert any(record.exc_info and record.exc_info[0] is KeyError for record in caplog.records)
    box.close()
