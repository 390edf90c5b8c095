"""The keyboard goes back where the GP was once a dialog closes.

Qt gives the focus back to the window's last focused widget when the window is activated again,
but the field may have been disabled or hidden meanwhile (the line added, the draft cleared),
and some window managers activate nothing at all. ``return_focus_after`` says where to go.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QDialog, QWidget
from shiboken6 import isValid


def usable(widget: QWidget | None) -> bool:
    return widget is not None and isValid(widget) and widget.isVisible() and widget.isEnabled()


def return_focus_after(dialog: QDialog, to: QWidget | None = None, fallback: QWidget | None = None,
                       *, when_cancelled_only: bool = False) -> None:
    """When ``dialog`` closes, focus ``to`` (default: the widget that has the focus now), or
    ``fallback`` when that one can no longer take it. ``when_cancelled_only``: an accepted
    dialog leads elsewhere (its owner moves the keyboard on)."""
    target = to if to is not None else QApplication.focusWidget()
    if target is not None and target.window() is dialog:
        target = None

    def restore() -> None:
        chosen = target if usable(target) else fallback
        if chosen is None or not usable(chosen):
            return
        window = chosen.window()
        if QApplication.activeModalWidget() not in (None, window):
            return  # another dialog is on top: it has the keyboard now
        window.activateWindow()
        chosen.setFocus(Qt.FocusReason.PopupFocusReason)

    # after the dialog is gone and the window manager has given the main window back; ``restore``
    # checks that its widgets still exist (the field, even the window, may be gone by then)
    def closed(result: int) -> None:
        if when_cancelled_only and result == QDialog.DialogCode.Accepted:
            return
        QTimer.singleShot(0, restore)

    dialog.finished.connect(closed)
