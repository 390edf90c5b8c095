"""Validate: check, sign with the card, register (or queue), show the number, print.

The ordonnance is built by ``lap_app.services.ordonnance_builder`` and signed by the
prescribing service, which applies the same rules as ``lap-app prescribe``; this flow only
shows what they say.

The card and network work runs on the card thread; a progress dialog is shown meanwhile and
the window stays responsive.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

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
from lap_app.domain.identifiers import format_prescription_number
from lap_app.domain.model import Ordonnance
from lap_app.domain.status import OrdonnanceStatus
from lap_app.i18n import _
from lap_app.services.practice import PracticeIncomplete
from lap_app.services.safety import PatientFacts, UnacknowledgedAlerts
from lap_app.ui.context import AppContext
from lap_app.ui.errors import error_text, show_error
from lap_app.ui.focus import return_focus_after
from lap_app.ui.signing_steps import (
    SIGNING_CANCELLED,
    ask_pin_again,
    close_progress,
    refusal_before_building,
    signing_progress,
)
from lap_app.ui.style import set_role
from lap_app.ui.workers import card_pool, run_task

if TYPE_CHECKING:
    from lap_app.services.prescribing import PrescriptionOutcome
    from lap_app.ui.print_preview import PrintPreview

log = logging.getLogger(__name__)

STATUS_TEXT = {
    OrdonnanceStatus.REGISTERED: _("Enregistrée dans la base ordonnance numérique."),
    OrdonnanceStatus.WAITING: _("Base injoignable : l'ordonnance est signée et conservée, elle sera envoyée dès le retour "
                 "du service."),
    OrdonnanceStatus.PAPER: _("Service indisponible et plus de numéro réservé : ordonnance papier sans QR code."),
}


def format_number(number: str | None) -> str:
    return format_prescription_number(number) if number else _("(sans numéro)")


def status_text(outcome: PrescriptionOutcome) -> str:
    """What became of a signed ordonnance, and why when the service says so (the base out of
    reach, the local write deferred...)."""
    return STATUS_TEXT.get(outcome.status, outcome.status.label) + (f"\n{outcome.message}" if outcome.message else "")


def dmp_label(outcome: PrescriptionOutcome) -> QLabel:
    """Where the patient's DMP copy stands (``lap_app.services.dmp``): a copy that could not be
    filed stands out. Empty when the service says nothing."""
    label = QLabel(outcome.dmp_message or "")
    label.setWordWrap(True)
    set_role(label, {"filed": "ok", "pending": "subtitle"}.get(outcome.dmp_state or "", "error"))
    return label


@dataclass(frozen=True, slots=True)
class SigningRequest:
    ordonnance: Ordonnance
    patient: PatientFacts  # allergies and current treatments, for the service's safety checks
    acknowledged: list[str]  # ids of the blocking alerts the physician ticked


class ValidationFlow(QObject):
    finished_ok = Signal(object)  # the prescribing service's result
    practice_missing = Signal()  # the practice details must be filled in first
    abandoned = Signal(str)  # the GP gave up (the PIN not given): what the window says, in French

    def __init__(self, context: AppContext, parent: QWidget) -> None:
        super().__init__(parent)
        self._context = context
        self._parent = parent
        self._progress: QProgressDialog | None = None
        self._focus_before: QWidget | None = None
        self.result_dialog: ResultDialog | None = None
        self.message: QMessageBox | None = None

    def _warn(self, title: str, text: str) -> None:
        """A window-modal message that does not block the event loop (kept for tests)."""
        self.message = QMessageBox(QMessageBox.Icon.Warning, title, text, QMessageBox.StandardButton.Ok,
                                   self._parent)
        return_focus_after(self.message, to=self._focus_before)
        self.message.open()

    def start(self, record, lines, unacknowledged: list, acknowledged: list[str]) -> bool:
        """Check what the window knows, then sign on the card thread (where the prescribing
        service checks everything again: practice, ordonnance, safety alerts)."""
        # where the GP validated from (the drug search, a contre-indication's box): every dialog
        # of the flow gives the keyboard back there
        self._focus_before = QApplication.focusWidget()
        from lap_app.services.ordonnance_builder import build_ordonnance, patient_facts

        prescribing = self._context.services.prescribing
        refusal = refusal_before_building(self._context, unacknowledged)
        if refusal is not None:
            self._warn(*refusal)
            return False
        try:
            ordonnance = build_ordonnance(self._context.session.identity, self._context.settings.practice,
                                          record, lines)
        except PracticeIncomplete as error:
            self._warn(_("Coordonnées du cabinet"), error.message)
            self.practice_missing.emit()
            return False
        except UserError as error:
            self._warn(_("Ordonnance incomplète"), _format_problems(error))
            return False
        card = self._context.session.card
        if card is None:
            self._warn(_("Validation"), _("La carte CPS n'est pas disponible."))
            return False
        request = SigningRequest(ordonnance, patient_facts(record), list(acknowledged))
        self._run(request, card, prescribing)
        return True

    def _run(self, request: SigningRequest, card, prescribing) -> None:
        paper, practice = self._context.settings.paper_size, self._context.settings.practice
        self._progress = signing_progress(_("Signature avec la carte et enregistrement…"), self._parent)
        run_task(lambda: prescribing.prescribe(request.ordonnance, card, practice=practice, patient=request.patient,
                                               acknowledged=request.acknowledged, page_size=paper),
                 on_done=self._done, on_error=lambda error: self._failed(error, request, card, prescribing),
                 pool=card_pool(), receiver=self)

    def _close_progress(self) -> None:
        close_progress(self._progress)
        self._progress = None

    def _failed(self, error: BaseException, request=None, card=None, prescribing=None) -> None:
        from lap_app.card import PinNotVerifiedError

        self._close_progress()
        if isinstance(error, PinNotVerifiedError) and request is not None:
            self._ask_pin(request, card, prescribing)  # the card asks for its PIN again (reset)
        elif isinstance(error, UnacknowledgedAlerts):
            self._warn(_("Alerte à confirmer"), _("Ordonnance non signée. À confirmer dans le panneau des alertes :")
                       + "\n" + "\n".join("• " + alert.text() for alert in error.alerts))
        elif isinstance(error, PracticeIncomplete):
            self._warn(_("Coordonnées du cabinet"), error.message)
            self.practice_missing.emit()
        elif isinstance(error, ValidationError):
            self._warn(_("Ordonnance refusée"), _format_problems(error))
        else:
            self._warn(_("Validation"), error_text(error))

    def _ask_pin(self, request: SigningRequest, card, prescribing) -> None:
        self.pin_dialog = ask_pin_again(self._parent, self, card, then=lambda: self._run(request, card, prescribing),
                                        refused=lambda message: self._warn(_("Code porteur"), message),
                                        failed=self._failed, focus_back_to=self._focus_before,
                                        cancelled=lambda: self.abandoned.emit(_(SIGNING_CANCELLED)))

    def _done(self, result) -> None:
        self._close_progress()
        self.result_dialog = ResultDialog(self._context, result, self._parent)
        return_focus_after(self.result_dialog, to=self._focus_before)
        self.result_dialog.open()  # the number first; the window's own updates come after
        self.finished_ok.emit(result)


def _format_problems(error: UserError) -> str:
    """One bullet per problem; ``lines[0].x`` paths read as « Ligne 1 »."""
    problems = getattr(error, "problems", None)
    if not problems:
        return error.message
    return "\n".join("• " + re.sub(r"^lines\[(\d+)\]\S*", lambda m: _("Ligne {n}").format(n=int(m[1]) + 1),
                                   p.render()) for p in problems)


class ResultDialog(QDialog):
    """The number in clear, the status, then preview (Enter) or print at once (F9)."""

    result: PrescriptionOutcome  # type: ignore[assignment]  # hides QDialog.result(): the flow and tests read it

    def __init__(self, context: AppContext, result: PrescriptionOutcome, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._context = context
        self.result = result
        self.setWindowTitle(_("Ordonnance validée"))
        self.number_label = QLabel(format_number(result.number))
        set_role(self.number_label, "number")
        self.number_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.status_label = QLabel(status_text(result))
        self.status_label.setWordWrap(True)
        set_role(self.status_label, "ok" if result.status is OrdonnanceStatus.REGISTERED else "subtitle")
        self.dmp_label = dmp_label(result)
        self.print_status = QLabel("")
        buttons = QDialogButtonBox()
        self.preview_button = QPushButton(_("Aperçu et impression…"))
        self.preview_button.setDefault(True)
        self.preview_button.setProperty("primary", True)
        self.print_button = QPushButton(_("Imprimer sur l'imprimante par défaut (F9)"))
        close = QPushButton(_("Fermer"))
        buttons.addButton(self.preview_button, QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(self.print_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(close, QDialogButtonBox.ButtonRole.RejectRole)
        self.preview_button.clicked.connect(self.show_preview)
        self.print_button.clicked.connect(self.print_now)
        close.clicked.connect(self.reject)
        QShortcut(QKeySequence("F9"), self, self.print_now)

        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(_("Numéro de l'ordonnance")))
        layout.addWidget(self.number_label)
        layout.addWidget(self.status_label)
        if self.dmp_label.text():
            layout.addWidget(self.dmp_label)
        layout.addWidget(self.print_status)
        layout.addWidget(buttons)
        self.preview: PrintPreview | None = None

    def show_preview(self) -> None:
        from lap_app.ui.printing_ui import job_name_for, make_preview

        try:
            preview = make_preview(self, self._context, self.result.pdf, job_name_for(self.result.number))
        except UserError as error:
            show_error(self, error, _("Impression"))
            return
        self.preview = preview
        preview.printed.connect(self._sent_to)
        preview.open()

    def _sent_to(self, printer_name: str) -> None:
        self.print_status.setText(_("Envoyée à l'imprimante « {name} ».").format(name=printer_name))

    def print_now(self) -> None:
        from lap_app.ui.printing_ui import job_name_for, print_on_default

        self.print_status.setText(_("Impression en cours…"))
        print_on_default(self, self._context, self.result.pdf, job_name=job_name_for(self.result.number),
                         on_done=self._sent_to)
