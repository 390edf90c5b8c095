"""Validate a whole consultation: the medicines and the other ordonnances together — one
validation (every problem of every ordonnance at once), the card session opened at login
(no second PIN), a number for each registered ordonnance, one print job for all the pages.
"""

from __future__ import annotations

import re
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QMessageBox,
    QProgressDialog,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from lap_app.domain.errors import UserError, ValidationError
from lap_app.domain.kinds import OrdonnanceKind
from lap_app.domain.model import Ordonnance
from lap_app.i18n import _
from lap_app.services.care_drafting import CareDraft
from lap_app.services.practice import PracticeIncomplete
from lap_app.services.safety import UnacknowledgedAlerts
from lap_app.ui.errors import error_text
from lap_app.ui.object_names import named
from lap_app.ui.signing_steps import (
    RETRY_CANCELLED,
    SIGNING_CANCELLED,
    ask_pin_again,
    close_progress,
    refusal_before_building,
    signing_progress,
)
from lap_app.ui.style import set_role
from lap_app.ui.validation_flow import dmp_label, format_number, status_text
from lap_app.ui.workers import card_pool, run_task

PAPER_ONLY_TEXT = _("Imprimée seulement, sans numéro (hors ordonnance numérique).")


def problems_text(error: UserError) -> str:
    problems = getattr(error, "problems", None)
    if not problems:
        return error.message

    def readable(text: str) -> str:
        return re.sub(r"^ordonnances\[\d+\]\.?", "", text)

    return "\n".join("• " + readable(p.render()) for p in problems)


class ConsultationFlow(QObject):
    finished_ok = Signal(object)  # the ConsultationOutcome
    practice_missing = Signal()  # the practice details must be filled in first
    abandoned = Signal(str)  # the GP gave up (the PIN not given): what the window says, in French

    def __init__(self, context: Any, parent: QWidget) -> None:
        super().__init__(parent)
        self._context = context
        self._parent = parent
        self._progress: QProgressDialog | None = None
        self.result_dialog: ConsultationResultDialog | None = None
        self.message: QMessageBox | None = None
        self.ordonnances: list[Ordonnance] = []
        self._earlier: Any = None  # the last ConsultationOutcome: what a retry must complete
        self._facts: Any = None
        self._acknowledged: list[str] = []
        self._card: Any = None
        self.pin_dialog: Any = None  # the card asking for its PIN again
        self._focus_before: QWidget | None = None

    def _warn(self, title: str, text: str) -> None:
        self.message = QMessageBox(QMessageBox.Icon.Warning, title, text, QMessageBox.StandardButton.Ok, self._parent)
        self.message.open()

    def start(self, record: Any, medicine_lines: list[Any], care: CareDraft, unacknowledged: list[Any],
              acknowledged: list[str]) -> bool:
        """Build the consultation's ordonnances (``ordonnance_builder``), then sign them on the
        card thread, where the prescribing service checks practice, ordonnances and alerts."""
        from lap_app.services.ordonnance_builder import build_consultation, patient_facts

        self._focus_before = QApplication.focusWidget()  # where the keyboard goes back after a dialog
        refusal = refusal_before_building(self._context, unacknowledged)
        if refusal is not None:
            self._warn(*refusal)
            return False
        try:
            self.ordonnances = build_consultation(self._context.session.identity, self._context.settings.practice,
                                                  record, medicine_lines, care)
        except PracticeIncomplete as error:
            self._warn(_("Coordonnées du cabinet"), error.message)
            self.practice_missing.emit()
            return False
        except UserError as error:
            self._warn(_("Consultation incomplète"), problems_text(error))
            return False
        facts, acknowledged = patient_facts(record), list(acknowledged)
        card = self._context.session.card
        if card is None:
            self._warn(_("Validation"), _("La carte CPS n'est pas disponible."))
            return False
        self._facts, self._acknowledged, self._card = facts, acknowledged, card
        self._earlier = None
        self._run(self.ordonnances)
        return True

    def retry(self) -> None:
        """Make only the ordonnances the last attempt did not make (the same ones, not rebuilt)."""
        from lap_app.services.consultation import remaining

        if self._earlier is None or self._earlier.complete:
            return
        self._run(remaining(self.ordonnances, self._earlier))

    def _run(self, ordonnances: list[Ordonnance]) -> None:
        prescribing = self._context.services.prescribing
        paper, practice = self._context.settings.paper_size, self._context.settings.practice
        facts, acknowledged = self._facts, self._acknowledged
        card = self._context.session.card or self._card  # a card put back since is the one to use
        self._progress = signing_progress(_("Signature et enregistrement des ordonnances…"), self._parent)
        run_task(lambda: prescribing.prescribe_consultation(ordonnances, card, practice=practice, patient=facts,
                                                            acknowledged=acknowledged, page_size=paper),
                 on_done=self._done, on_error=lambda error: self._failed(error, ordonnances, card),
                 pool=card_pool(), receiver=self)

    def _close_progress(self) -> None:
        close_progress(self._progress)
        self._progress = None

    def _failed(self, error: BaseException, ordonnances: list[Ordonnance] | None = None, card: Any = None) -> None:
        from lap_app.card import PinNotVerifiedError

        self._close_progress()
        if isinstance(error, PinNotVerifiedError) and ordonnances is not None:  # the card was reset
            self.pin_dialog = ask_pin_again(self._parent, self, card, then=lambda: self._run(ordonnances),
                                            refused=lambda message: self._warn(_("Code porteur"), message),
                                            failed=self._failed, cancelled=self._cancelled,
                                            focus_back_to=self._focus_before)
            return
        if self._earlier is not None:  # a retry that made nothing: the made ones stay shown
            from lap_app.services.consultation import failed_retry

            self._show(failed_retry(self._earlier, error_text(error)))
            return
        if isinstance(error, UnacknowledgedAlerts):
            self._warn(_("Alerte à confirmer"), _("Ordonnances non signées. À confirmer dans le panneau des alertes :")
                       + "\n" + "\n".join("• " + alert.text() for alert in error.alerts))
        elif isinstance(error, PracticeIncomplete):
            self._warn(_("Coordonnées du cabinet"), error.message)
            self.practice_missing.emit()
        elif isinstance(error, ValidationError):
            self._warn(_("Ordonnances refusées"), problems_text(error))
        else:
            self._warn(_("Validation"), error_text(error))

    def _cancelled(self) -> None:
        """The PIN not given: nothing more is signed; on a retry, the ordonnances made earlier stay
        made (their result stays open, the others marked « NON ENREGISTRÉE »)."""
        self.abandoned.emit(_(SIGNING_CANCELLED) if self._earlier is None else _(RETRY_CANCELLED))

    def _done(self, result: Any) -> None:
        from lap_app.services.consultation import combined

        self._close_progress()
        self._show(result if self._earlier is None else combined(self._earlier, result))

    def _show(self, result: Any) -> None:
        self._earlier = result
        if self.result_dialog is not None:
            self.result_dialog.close()
            self.result_dialog.deleteLater()
        self.result_dialog = ConsultationResultDialog(self._context, result, self.ordonnances, self._parent)
        self.result_dialog.retry_button.clicked.connect(self.retry)
        self.result_dialog.open()
        self.finished_ok.emit(result)  # made ones leave the drafts; the ones not made stay there


def _kind_title(ordonnance: Ordonnance) -> str:
    return ordonnance.kind.label if ordonnance.kind is not OrdonnanceKind.MEDICAMENTS else _("Médicaments")


class ConsultationResultDialog(QDialog):
    """Each ordonnance with its number and status; every page printed in one job (F9)."""

    result: Any  # hides QDialog.result(): the flow and tests read the ConsultationOutcome

    def __init__(self, context: Any, result: Any, ordonnances: list[Ordonnance], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._context = context
        self.result = result
        self.setWindowTitle(_("Ordonnances validées") if result.complete else _("Consultation incomplète"))
        layout = QVBoxLayout(self)
        self.number_labels: list[QLabel] = []
        self.status_labels: list[QLabel] = []
        self.dmp_labels: list[QLabel] = []
        self.missing_labels: list[QLabel] = []
        if not result.complete:
            warning = named(QLabel(_("Toutes les ordonnances ne sont pas faites. Celles qui ont un numéro sont "
                                     "enregistrées et conservées ; les autres restent dans le brouillon.")),
                            "consultationIncomplete")
            warning.setWordWrap(True)
            set_role(warning, "error")
            layout.addWidget(warning)
        for ordonnance, outcome in zip(ordonnances, result.outcomes, strict=False):
            title = QLabel(_kind_title(ordonnance))
            set_role(title, "subtitle")
            number = QLabel(format_number(outcome.number) if outcome.number or ordonnance.kind.registrable
                            else _("(sans numéro)"))
            set_role(number, "number")
            number.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            detail = QLabel(status_text(outcome) if ordonnance.kind.registrable else PAPER_ONLY_TEXT)
            detail.setWordWrap(True)
            layout.addWidget(title)
            layout.addWidget(number)
            layout.addWidget(detail)
            self.number_labels.append(number)
            self.status_labels.append(detail)
            dmp = dmp_label(outcome)  # where the patient's DMP copy stands, as for one ordonnance
            if dmp.text():
                layout.addWidget(dmp)
                self.dmp_labels.append(dmp)
        for ordonnance, missing in zip(ordonnances[len(result.outcomes):], result.not_made, strict=True):
            title = QLabel(_kind_title(ordonnance))
            set_role(title, "subtitle")
            detail = QLabel(_("NON ENREGISTRÉE — {reason}").format(reason=missing.reason))
            detail.setWordWrap(True)
            set_role(detail, "error")
            layout.addWidget(title)
            layout.addWidget(detail)
            self.missing_labels.append(detail)
        self.print_status = QLabel("")
        layout.addWidget(self.print_status)
        buttons = QDialogButtonBox()
        self.preview_button = QPushButton(_("Aperçu et impression…"))
        self.preview_button.setDefault(True)
        self.print_button = QPushButton(_("Tout imprimer sur l'imprimante par défaut (F9)"))
        close = QPushButton(_("Fermer"))
        self.retry_button = QPushButton(_("Réessayer les ordonnances non faites"))
        buttons.addButton(self.preview_button, QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(self.print_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(self.retry_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.retry_button.setVisible(not result.complete)  # (after addButton, which shows it)
        buttons.addButton(close, QDialogButtonBox.ButtonRole.RejectRole)
        self.preview_button.clicked.connect(self.show_preview)
        self.print_button.clicked.connect(self.print_now)
        close.clicked.connect(self.reject)
        QShortcut(QKeySequence("F9"), self, self.print_now)
        layout.addWidget(buttons)
        self.preview: Any = None

    def _job_name(self) -> str:
        numbers = [n for n in self.result.numbers if n]
        return _("consultation {numbers}").format(numbers=" ".join(numbers)) if numbers else _("consultation")

    def show_preview(self) -> None:
        from lap_app.ui.errors import show_error
        from lap_app.ui.printing_ui import make_preview

        try:
            self.preview = make_preview(self, self._context, self.result.pdf, self._job_name())
        except UserError as error:
            show_error(self, error, _("Impression"))
            return
        self.preview.open()

    def print_now(self) -> None:
        from lap_app.ui.printing_ui import print_on_default

        self.print_status.setText(_("Impression en cours…"))
        print_on_default(self, self._context, self.result.pdf, job_name=self._job_name(),
                         on_done=lambda name: self.print_status.setText(
                             _("Envoyées à l'imprimante « {name} » (un seul travail).").format(name=name)))
