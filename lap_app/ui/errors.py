"""Showing an error to the user: the French message of a UserError, never a traceback.

``install_excepthook`` is the one boundary for what no code caught (a slot, a timer, a thread):
logged with its traceback in the log file (the Windows build has no console), shown as the
French error dialog, and the application keeps running. Ctrl+C in the terminal that started
the application closes it as its window would close (the open line kept), with the command
line's French line and exit code 130, never a traceback.
"""

from __future__ import annotations

import logging
import signal
import sys
import threading
from types import FrameType, TracebackType
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QThread, QTimer, Signal
from PySide6.QtWidgets import QApplication, QWidget

from lap_app.domain.errors import UserError
from lap_app.i18n import _

if TYPE_CHECKING:  # (Qt's message box classes are built when a box is first shown, not at start-up)
    from PySide6.QtWidgets import QMessageBox, QPushButton

log = logging.getLogger(__name__)

INTERRUPTED_EXIT_CODE = 130  # 128 + SIGINT, as the command line ends on Ctrl+C


def error_text(error: BaseException) -> str:
    if isinstance(error, UserError):
        return error.message
    log.error("unexpected error", exc_info=error)
    return _("Erreur inattendue ; le détail technique est dans le journal.")


def show_error(parent: QWidget | None, error: BaseException, title: str | None = None) -> QMessageBox:
    """Window-modal, without blocking the event loop (work in progress keeps running)."""
    from PySide6.QtCore import Qt  # (not on the start-up path: see login._at_top)
    from PySide6.QtWidgets import QMessageBox

    from lap_app.ui.focus import return_focus_after

    box = QMessageBox(QMessageBox.Icon.Warning, title or _("Erreur"), error_text(error),
                      QMessageBox.StandardButton.Ok, parent)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    return_focus_after(box)  # read, closed: the keyboard is back in the field it left
    box.open()
    return box


def startup_error_box(error: BaseException) -> QMessageBox:
    """The dialog a GUI start that cannot open its data shows (a damaged file: what, where, what to do)."""
    from PySide6.QtWidgets import QMessageBox

    from lap_app.domain.errors import DamagedFile

    title = _("Fichier de données endommagé") if isinstance(error, DamagedFile) else _("Démarrage impossible")
    box = QMessageBox(QMessageBox.Icon.Critical, title, error_text(error), QMessageBox.StandardButton.Close)
    if isinstance(error, DamagedFile):
        box.setInformativeText(_("L'application ne s'ouvre pas sur ce fichier, pour ne rien y écrire."))
    return box


def show_startup_error(error: BaseException) -> None:
    """Shown before any window: the user who started LAP from the menu has no terminal to read."""
    startup_error_box(error).exec()


def retry_box(error: BaseException) -> tuple[QMessageBox, QPushButton]:
    """The practice server cannot be reached at start: what is said, and the « Réessayer » button."""
    from PySide6.QtWidgets import QMessageBox

    box = startup_error_box(error)
    box.setInformativeText(_("Vérifiez que le serveur du cabinet est allumé et relié au réseau, puis réessayez."))
    retry = box.addButton(_("Réessayer"), QMessageBox.ButtonRole.AcceptRole)
    box.setDefaultButton(retry)
    return box, retry


def ask_retry_at_startup(error: BaseException) -> bool:
    """True: try again (the server is back); False: quit."""
    box, retry = retry_box(error)
    box.exec()
    return box.clickedButton() is retry


class _UncaughtReporter(QObject):
    """Lives in the GUI thread: an exception raised in another thread is shown from there."""

    raised = Signal(object)

    def __init__(self) -> None:
        super().__init__()
        self.box: QMessageBox | None = None
        self.raised.connect(self.show)

    def show(self, error: BaseException) -> None:
        if self.box is not None and self.box.isVisible():  # a burst of the same failure: one dialog, all logged
            log.error("unexpected error (dialog already shown)", exc_info=error)
            return
        self.box = show_error(QApplication.activeWindow(), error)


_reporter: _UncaughtReporter | None = None


def install_excepthook() -> None:
    """Route uncaught exceptions (GUI thread and other threads) to the log and the error dialog.

    Called once the QApplication exists, from the GUI thread."""
    global _reporter
    _reporter = reporter = _UncaughtReporter()

    def on_gui_thread(kind: type[BaseException], error: BaseException, tb: TracebackType | None) -> None:
        if issubclass(kind, KeyboardInterrupt):  # uncaught: before the handler below, or outside the loop
            close_after_ctrl_c()
            return
        error.__traceback__ = tb
        if threading.current_thread() is threading.main_thread():
            reporter.show(error)
        else:
            reporter.raised.emit(error)  # queued to the GUI thread

    def on_other_thread(args: threading.ExceptHookArgs) -> None:
        if args.exc_value is None or issubclass(args.exc_type, SystemExit):
            return
        on_gui_thread(args.exc_type, args.exc_value, args.exc_traceback)

    sys.excepthook = on_gui_thread
    threading.excepthook = on_other_thread
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, _ctrl_c)


def _ctrl_c(_signum: int, _frame: FrameType | None) -> None:
    """Before the event loop (the demo starting): stop at once, as the command line does. In it:
    not a KeyboardInterrupt in the middle of whatever slot runs, the close, from the loop."""
    if QThread.currentThread().loopLevel() == 0:
        raise KeyboardInterrupt
    QTimer.singleShot(0, close_after_ctrl_c)


def close_after_ctrl_c() -> None:
    print(_("Erreur : interrompu (Ctrl+C)."), file=sys.stderr)
    QApplication.closeAllWindows()  # each window's own close: the main window keeps its open line
    QApplication.exit(INTERRUPTED_EXIT_CODE)
