"""What validating one ordonnance and validating a whole consultation share: the refusals
before anything is built, and the window-modal progress while the card signs."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QProgressDialog, QWidget

from lap_app.i18n import _


def refusal_before_building(context: Any, unacknowledged: list[Any]) -> tuple[str, str] | None:
    """(title, text) of why validation cannot start: no base configured, or an alert not
    acknowledged; None when it can."""
    if not context.services.prescribing.has_base:
        from lap_app.services.desk import NO_BASE_MESSAGE

        return _("Validation"), _(NO_BASE_MESSAGE)
    if unacknowledged:
        return _("Alerte à confirmer"), _(
            "Une contre-indication ou une allergie n'a pas été prise en compte. Cochez la case de prise en "
            "compte dans le panneau des alertes (ou retirez la ligne) avant de valider.")
    return None


def signing_progress(text: str, parent: QWidget) -> QProgressDialog:
    """Shown after 300 ms, without a cancel button: a signature half-done must not be abandoned."""
    progress = QProgressDialog(text, "", 0, 0, parent)
    progress.setCancelButton(None)
    progress.setWindowModality(Qt.WindowModality.WindowModal)
    progress.setMinimumDuration(300)
    return progress


def close_progress(progress: QProgressDialog | None) -> None:
    if progress is not None:
        progress.reset()
        progress.deleteLater()
