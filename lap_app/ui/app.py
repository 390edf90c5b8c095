"""QApplication set-up (name, locale, style and stylesheet) and the run loop."""

from __future__ import annotations

import sys
from typing import cast

from PySide6.QtCore import QLocale, QTimer
from PySide6.QtWidgets import QApplication

from lap_app import __version__
from lap_app.ui.errors import install_excepthook
from lap_app.ui.gc_guard import install_gc_guard
from lap_app.ui.qt_translations import install_qt_translations
from lap_app.ui.style import STYLESHEET

# Fusion given as Qt's own command-line option: ``setStyle("Fusion")`` would hand the style back
# to Python, which builds PySide's QStyle class and its ~700 enum members (~5 ms of start-up).
_FUSION_OPTION = ["-style", "Fusion"]
_made_with_fusion: QApplication | None = None  # (tests bring applications of their own)


def create_application(argv: list[str] | None = None) -> QApplication:
    global _made_with_fusion
    existing = cast(QApplication | None, QApplication.instance())  # only ever a QApplication here
    if existing is not None:
        install_gc_guard(existing)
        install_qt_translations(existing)
        return existing  # tests (pytest-qt) already made one
    args = argv if argv is not None else sys.argv[:1]
    app = _made_with_fusion = QApplication([*args, *_FUSION_OPTION])  # last: over any ``-style`` given
    install_excepthook()  # (not for an existing application: pytest-qt has its own)
    install_gc_guard(app, freeze_start_up=True)
    install_qt_translations(app)
    app.setApplicationName("lap-app")
    app.setApplicationDisplayName("LAP")
    app.setApplicationVersion(__version__)
    app.setOrganizationName("lap-app")
    QLocale.setDefault(QLocale(QLocale.Language.French, QLocale.Country.France))
    # the stylesheet comes once the first windows are built (see apply_style), at the latest
    # when the event loop first runs
    QTimer.singleShot(0, lambda: apply_style(app))
    return app


def apply_style(app: QApplication) -> None:
    """The stylesheet. Applied once the main window is built: with an application stylesheet
    set first, every widget added to a layout is re-polished (~0.35 s more at start-up)."""
    if app.styleSheet() != STYLESHEET:
        if app is not _made_with_fusion:
            app.setStyle("Fusion")
        app.setStyleSheet(STYLESHEET)


def show_fitted(window) -> None:
    """Show the window within the screen's free area: on a 1366 × 768 laptop its default size
    would put the status bar and the « Valider » button below the screen's edge."""
    available = window.screen().availableGeometry()
    if window.width() <= available.width() and window.height() <= available.height():
        window.show()
        return
    window.resize(min(window.width(), available.width()), min(window.height(), available.height()))
    window.move(available.topLeft())
    window.showMaximized()


def run_main_window(context) -> int:
    from lap_app.ui.main_window import MainWindow
    from lap_app.ui.workers import wait_idle

    app = create_application()
    window = MainWindow(context)
    apply_style(app)
    show_fitted(window)
    code = app.exec()
    wait_idle(5_000)
    return code
