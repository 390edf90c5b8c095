"""What validating one ordonnance and validating a whole consultation share: the refusals
before anything is built, the window-modal progress while the card signs, and the PIN asked
again when the card was reset."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from PySide6.QtCore import QObject, Qt
from PySide6.QtWidgets import QInputDialog, QLineEdit, QProgressDialog, QWidget

from lap_app.i18n import N_, _
from lap_app.ui.workers import card_pool, run_task


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


# the status bar's message: short enough beside the card holder and the outbox on a 1366-pixel screen
SIGNING_CANCELLED = N_("Signature annulée : code porteur non saisi ; rien n'a été signé.")
RETRY_CANCELLED = N_("Signature annulée : code porteur non saisi.")  # (the made ones are listed)


def ask_pin_again(parent: QWidget, receiver: QObject, card: Any, *, then: Callable[[], object],
                  refused: Callable[[str], object], failed: Callable[[BaseException], object],
                  cancelled: Callable[[], object], focus_back_to: QWidget | None = None) -> QInputDialog:
    """The card refused to sign without its PIN (it was reset): the PIN dialog, the PIN checked
    on the card thread, then ``then()``; a wrong PIN: ``refused(the card's French message)``;
    the dialog cancelled (Échap, « Annuler »): ``cancelled()``, nothing signed, the keyboard
    back in ``focus_back_to``. The field is emptied as soon as the PIN is read."""
    from lap_app.ui.focus import return_focus_after

    dialog = QInputDialog(parent)
    dialog.setWindowTitle(_("Code porteur"))
    dialog.setLabelText(_("La carte demande à nouveau le code porteur pour signer :"))
    dialog.setTextEchoMode(QLineEdit.EchoMode.Password)

    def verified(result: Any) -> None:
        if result.accepted:
            then()
        else:
            refused(result.message)

    def entered(pin: str) -> None:
        dialog.setTextValue("")
        run_task(partial(card.verify_pin, pin), on_done=verified, on_error=failed, pool=card_pool(), receiver=receiver)

    dialog.textValueSelected.connect(entered)

    def given_up() -> None:
        dialog.setTextValue("")  # digits typed before « Annuler » are not kept either
        cancelled()

    dialog.rejected.connect(given_up)
    return_focus_after(dialog, to=focus_back_to, when_cancelled_only=True)
    dialog.open()
    return dialog
