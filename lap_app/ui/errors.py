"""Showing an error to the user: the French message of a UserError, never a traceback."""

from __future__ import annotations

import logging

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox, QWidget

from lap_app.domain.errors import UserError
from lap_app.i18n import _

log = logging.getLogger(__name__)


def error_text(error: BaseException) -> str:
    if isinstance(error, UserError):
        return error.message
    log.error("unexpected error", exc_info=error)
    return _("Erreur inattendue ; le détail technique est dans le journal.")


def show_error(parent: QWidget | None, error: BaseException, title: str | None = None) -> QMessageBox:
    """Window-modal, without blocking the event loop (work in progress keeps running)."""
    box = QMessageBox(QMessageBox.Icon.Warning, title or _("Erreur"), error_text(error),
                      QMessageBox.StandardButton.Ok, parent)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    from lap_app.ui.focus import return_focus_after

    return_focus_after(box)  # read, closed: the keyboard is back in the field it left
    box.open()
    return box
