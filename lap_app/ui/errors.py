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
    box.open()
    return box


def startup_error_box(error: BaseException) -> QMessageBox:
    """The dialog a GUI start that cannot open its data shows (a damaged file: what, where, what to do)."""
    from lap_app.domain.errors import DamagedFile

    title = _("Fichier de données endommagé") if isinstance(error, DamagedFile) else _("Démarrage impossible")
    box = QMessageBox(QMessageBox.Icon.Critical, title, error_text(error), QMessageBox.StandardButton.Close)
    if isinstance(error, DamagedFile):
        box.setInformativeText(_("L'application ne s'ouvre pas sur ce fichier, pour ne rien y écrire."))
    return box


def show_startup_error(error: BaseException) -> None:
    """Shown before any window: the user who started LAP from the menu has no terminal to read."""
    startup_error_box(error).exec()
