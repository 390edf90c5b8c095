"""« Pharmacie (démo) »: what a pharmacy's software does with the number — read, dispense.

Uses the demo pharmacist's card (virtual) through the same pharmacy service as
``lap-app pharmacy``; it exists so the physician can see the whole circuit on one machine.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from lap_app.demo.pharmacy import DemoPharmacy
from lap_app.domain.errors import UserError
from lap_app.i18n import _, ngettext
from lap_app.ui.errors import error_text
from lap_app.ui.style import set_role
from lap_app.ui.validation_flow import format_number
from lap_app.ui.workers import run_task


def normalize_number(text: str) -> str:
    """Digits only (a scanner or a person may add spaces); checked by the MOD 97-10 key."""
    from lap_app.domain.identifiers import is_valid_prescription_number, normalize_prescription_number

    number = normalize_prescription_number(text)
    if not number or not is_valid_prescription_number(number):
        raise UserError(_("Numéro d'ordonnance invalide : vérifiez les 16 chiffres."))
    return number


class PharmacyWindow(QWidget):
    def __init__(self, pharmacy: DemoPharmacy, parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self._pharmacy = pharmacy
        self._number: str | None = None
        self.setWindowTitle(_("Pharmacie (démo)"))
        self.resize(920, 480)

        title = QLabel(_("Pharmacie (démo) — lecture et délivrance d'une ordonnance numérique"))
        set_role(title, "title")
        self.number_edit = QLineEdit()
        self.number_edit.setPlaceholderText(_("Scannez le QR code ou tapez les 16 chiffres"))
        self.number_edit.returnPressed.connect(self.read)
        self.read_button = QPushButton(_("Lire"))
        self.read_button.setDefault(True)
        self.read_button.clicked.connect(self.read)
        self.header = QLabel("")
        self.header.setWordWrap(True)
        self.table = QTableWidget(0, 3)
        self.table.setHorizontalHeaderLabels([_("Médicament"), _("Posologie"), _("Déjà délivré")])
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Interactive)
        header.resizeSection(1, 300)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        self.table.setWordWrap(True)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.itemSelectionChanged.connect(self._refresh_buttons)
        self._lines: list[int] = []
        self._not_yet_dispensed: list[int] = []
        self._open = False
        # a partial dispensing (one box of the selected lines, the ordonnance stays open), then the rest
        self.dispense_some_button = QPushButton(_("&Délivrer la sélection"))
        self.dispense_some_button.setEnabled(False)
        self.dispense_some_button.clicked.connect(self.dispense_selected)
        self.dispense_button = QPushButton(_("&Tout délivrer"))
        self.dispense_button.setEnabled(False)
        self.dispense_button.clicked.connect(self.dispense_all)
        self.message = QLabel("")
        self.message.setWordWrap(True)

        row = QHBoxLayout()
        row.addWidget(self.number_edit, 1)
        row.addWidget(self.read_button)
        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addLayout(row)
        layout.addWidget(self.header)
        layout.addWidget(self.table, 1)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.dispense_some_button)
        buttons.addWidget(self.dispense_button)
        layout.addLayout(buttons)
        layout.addWidget(self.message)
        # « Mon espace santé (démo) »: the patient's side, lap_app/demo/patient_space.py
        self._patient_ins: str | None = None
        self.patient_space_button = QPushButton(_("Mon espace santé (démo)…"))
        self.patient_space_button.clicked.connect(self.open_patient_space)
        layout.addWidget(self.patient_space_button, 0, Qt.AlignmentFlag.AlignLeft)

    def _say(self, text: str, role: str = "subtitle") -> None:
        self.message.setText(text)
        set_role(self.message, role)

    def read(self) -> None:
        try:
            number = normalize_number(self.number_edit.text())
        except UserError as error:
            self._say(error.message, "error")
            return
        self._say(_("Lecture…"))
        pharmacy = self._pharmacy
        run_task(lambda: pharmacy.read(number), on_done=lambda o: self._show(number, o),
                 on_error=lambda e: self._say(error_text(e), "error"), receiver=self)

    def _show(self, number: str, view) -> None:
        """``view``: the pharmacy service's ``PharmacyView``."""
        self._number = number
        from lap_app.services.dmp import bundle_patient_ins

        self._patient_ins = bundle_patient_ins(view.bundle)
        self.header.setText(_("Ordonnance {number} ({status}) — prescrite par {prescriber} pour {patient}").format(
            number=format_number(number), status=view.status.label, prescriber=view.prescriber,
            patient=view.patient))
        self.table.setRowCount(len(view.lines))
        for row, line in enumerate(view.lines):
            substitution = "" if line.substitution_allowed else _(" — non substituable")
            cells = (line.text + substitution, line.dosage, f"{line.dispensed_quantity:g}")
            for col, text in enumerate(cells):
                self.table.setItem(row, col, QTableWidgetItem(text))
        self._lines = [line.line for line in view.lines]
        self._not_yet_dispensed = [line.line for line in view.lines if not line.dispensed_quantity]
        self._open = view.status.dispensable
        self._refresh_buttons()
        self._say("")

    def _refresh_buttons(self) -> None:
        self.dispense_button.setEnabled(self._open)
        self.dispense_some_button.setEnabled(self._open and bool(self._selected_lines()))

    def _selected_lines(self) -> list[int]:
        rows = sorted({index.row() for index in self.table.selectionModel().selectedRows()})
        return [self._lines[row] for row in rows if row < len(self._lines)]

    def open_patient_space(self) -> None:
        from lap_app.demo.patient_space import MonEspaceSanteView

        self.patient_space = MonEspaceSanteView(self._pharmacy, self._patient_ins)
        self.patient_space.show()
        if self._patient_ins:
            self.patient_space.refresh()

    def dispense_selected(self) -> None:
        lines = self._selected_lines()
        if not self._number or not lines:
            return
        number, pharmacy = self._number, self._pharmacy
        self.dispense_some_button.setEnabled(False)
        self.dispense_button.setEnabled(False)

        def done(view) -> None:
            self._show(number, view)
            self._say(ngettext("Délivrance partielle enregistrée ({n} ligne) : l'ordonnance reste ouverte.",
                               "Délivrance partielle enregistrée ({n} lignes) : l'ordonnance reste ouverte.",
                               len(lines)).format(n=len(lines)), "ok")

        run_task(lambda: pharmacy.dispense_lines(number, lines), on_done=done,
                 on_error=lambda e: self._fail(e), receiver=self)

    def _fail(self, error: BaseException) -> None:
        self._say(error_text(error), "error")
        self._refresh_buttons()

    def dispense_all(self) -> None:
        if not self._number:
            return
        number, pharmacy = self._number, self._pharmacy
        self.dispense_button.setEnabled(False)
        self.dispense_some_button.setEnabled(False)

        def done(view) -> None:
            self._show(number, view)
            self._say(_("Délivrance enregistrée : l'ordonnance {number} est close.").format(
                number=format_number(number)), "ok")

        # after a partial dispensing, « Tout délivrer » gives the rest, not a second box of each line
        rest = self._not_yet_dispensed
        partly = rest and len(rest) < len(self._lines)
        work = (lambda: pharmacy.dispense_lines(number, rest, complete=True)) if partly else (
            lambda: pharmacy.dispense_all(number))
        run_task(work, on_done=done,
                 on_error=lambda e: self._say(error_text(e), "error"), receiver=self)
