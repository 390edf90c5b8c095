"""« Prescrit (démo) »: what a lab's, a nurse's, a physiotherapist's, a device supplier's or a
pharmacy's software does with the number — read it (typed, or scanned: a 2D scanner types the
digits then Enter), record what was done line by line, adjust a line with the prescriber's
agreement. The tester picks a profession: its demo card reads only the kinds it carries out.

Calls ``DemoPrescrits`` (the services of ``lap-app prescrit``); it exists so the physician can
see the whole circuit on one machine.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
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

from lap_app.demo.prescrit import PROFESSIONS, DemoPrescrits
from lap_app.demo.prescrit_forms import AdjustmentForm, ExecutionForm
from lap_app.domain.errors import UserError
from lap_app.i18n import N_, _
from lap_app.services.prescrit import LineExecution, PrescritView, rest_of_medicines
from lap_app.ui.errors import error_text
from lap_app.ui.style import set_role
from lap_app.ui.validation_flow import format_number
from lap_app.ui.workers import run_task

TYPE_LABELS = {"medicament": N_("Médicament"), "dispositif": N_("Dispositif"), "analyse": N_("Analyse"),
               "soin": N_("Soin"), "seance": N_("Séances")}


def normalize_number(text: str) -> str:
    """Digits only (a scanner or a person may add spaces); checked by the MOD 97-10 key."""
    from lap_app.domain.identifiers import is_valid_prescription_number, normalize_prescription_number

    number = normalize_prescription_number(text)
    if not number or not is_valid_prescription_number(number):
        raise UserError(_("Numéro d'ordonnance invalide : vérifiez les 16 chiffres."))
    return number


class PrescritWindow(QWidget):
    def __init__(self, prescrits: DemoPrescrits, parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self._prescrits = prescrits
        self.view: PrescritView | None = None
        self.setWindowTitle(_("Prescrit (démo)"))
        self.resize(1100, 760)

        title = QLabel(_("Prescrit (démo) — lecture, exécution et ajustement d'une ordonnance numérique"))
        set_role(title, "title")
        self.profession_combo = QComboBox()
        for holder in PROFESSIONS:
            self.profession_combo.addItem(_(PROFESSIONS[holder]), holder)
        self.profession_combo.currentIndexChanged.connect(self._profession_changed)
        self.number_edit = QLineEdit()
        self.number_edit.setPlaceholderText(_("Scannez le QR code ou tapez les 16 chiffres, puis Entrée"))
        self.number_edit.returnPressed.connect(self.read)  # a scanner's Enter too
        self.read_button = QPushButton(_("&Lire"))
        self.read_button.setDefault(True)
        self.read_button.clicked.connect(self.read)
        self.header = QLabel("")
        self.header.setWordWrap(True)
        self.table = QTableWidget(0, 3)
        self.table.setHorizontalHeaderLabels([_("Ligne prescrite"), _("Type"), _("Réalisé")])
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.setWordWrap(True)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.itemSelectionChanged.connect(self._selection_changed)
        self.table.installEventFilter(self)  # a scan while the table has the focus still reads the number
        self.adjustments = QLabel("")
        self.adjustments.setWordWrap(True)
        self.execution_form = ExecutionForm()
        self.execution_form.record_button.clicked.connect(self.record_execution)
        self.adjustment_form = AdjustmentForm()
        self.adjustment_form.adjust_button.clicked.connect(self.record_adjustment)
        # the pharmacy's shortcuts: one box of each selected line (the ordonnance stays open), or the rest
        self.dispense_some_button = QPushButton(_("&Délivrer la sélection"))
        self.dispense_some_button.clicked.connect(self.dispense_selected)
        self.dispense_button = QPushButton(_("&Tout délivrer"))
        self.dispense_button.clicked.connect(self.dispense_all)
        self.message = QLabel("")
        self.message.setWordWrap(True)
        self.patient_space_button = QPushButton(_("Mon espace santé (démo)…"))
        self.patient_space_button.clicked.connect(self.open_patient_space)

        top = QHBoxLayout()
        top.addWidget(QLabel(_("Profession :")))
        top.addWidget(self.profession_combo)
        top.addWidget(self.number_edit, 1)
        top.addWidget(self.read_button)
        forms = QHBoxLayout()
        forms.addWidget(self.execution_form, 1)
        forms.addWidget(self.adjustment_form, 1)
        shortcuts = QHBoxLayout()
        shortcuts.addWidget(self.patient_space_button)
        shortcuts.addStretch(1)
        shortcuts.addWidget(self.dispense_some_button)
        shortcuts.addWidget(self.dispense_button)
        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addLayout(top)
        layout.addWidget(self.header)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.adjustments)
        layout.addLayout(forms)
        layout.addLayout(shortcuts)
        layout.addWidget(self.message)
        self._clear()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """A digit typed on the table (a scanner types fast, wherever the focus is) starts a new
        number in the number field, where the scanner's Enter then reads it."""
        if watched is self.table and event.type() == QEvent.Type.KeyPress:
            text = event.text()  # type: ignore[attr-defined]
            if len(text) == 1 and text.isdigit():
                self.number_edit.clear()
                self.number_edit.setFocus()
                self.number_edit.insert(text)
                return True
        return super().eventFilter(watched, event)

    # -- state ---------------------------------------------------------------------------------
    @property
    def holder(self) -> str:
        return str(self.profession_combo.currentData())

    def choose_profession(self, holder: str) -> None:
        self.profession_combo.setCurrentIndex(self.profession_combo.findData(holder))

    def _say(self, text: str, role: str = "subtitle") -> None:
        self.message.setText(text)
        set_role(self.message, role)

    def _clear(self) -> None:
        self.view = None
        self.header.setText(_("Choisissez la profession (sa carte de démonstration), puis lisez une ordonnance."))
        self.table.setRowCount(0)
        self.adjustments.setText("")
        self._selection_changed()

    def _profession_changed(self) -> None:
        self._clear()
        self._say("")
        self.number_edit.setFocus()

    def _open(self) -> bool:
        return self.view is not None and self.view.status.dispensable

    def _selected_lines(self) -> list[int]:
        if self.view is None:
            return []
        rows = sorted({index.row() for index in self.table.selectionModel().selectedRows()})
        return [self.view.lines[row].line for row in rows if row < len(self.view.lines)]

    def _selection_changed(self) -> None:
        lines = self._selected_lines()
        line = self.view.lines[lines[0] - 1] if self.view is not None and len(lines) == 1 else None
        self.execution_form.set_line(line if self._open() else None)
        self.adjustment_form.set_line(line.line if line is not None and self._open() else None)
        pharmacy = self.view is not None and self.view.kind.value == "medicaments"
        self.dispense_some_button.setVisible(pharmacy)
        self.dispense_button.setVisible(pharmacy)
        self.dispense_some_button.setEnabled(pharmacy and self._open() and bool(lines))
        self.dispense_button.setEnabled(pharmacy and self._open())

    # -- reading -------------------------------------------------------------------------------
    def read(self) -> None:
        try:
            number = normalize_number(self.number_edit.text())
        except UserError as error:
            self._say(error.message, "error")
            return
        self._say(_("Lecture…"))
        prescrits, holder = self._prescrits, self.holder
        run_task(lambda: prescrits.read(holder, number), on_done=self._show, on_error=self._refused, receiver=self)

    def _refused(self, error: BaseException) -> None:
        self._clear()
        self._say(error_text(error), "error")

    def _show(self, view: PrescritView) -> None:
        self.view = view
        self.header.setText(_("Ordonnance {number} — {kind} ({status}) — prescrite par {prescriber} pour "
                              "{patient}").format(number=format_number(view.number), kind=view.kind.label,
                                                  status=view.status.label, prescriber=view.prescriber,
                                                  patient=view.patient))
        self.table.setRowCount(len(view.lines))
        for row, line in enumerate(view.lines):
            flag = "" if line.substitution_allowed or line.type != "medicament" else _(" — non substituable")
            kind = _(TYPE_LABELS[line.type]) if line.type in TYPE_LABELS else line.type
            for col, text in enumerate((line.text + flag, kind, view.done_text(line))):
                self.table.setItem(row, col, QTableWidgetItem(text))
        self.table.resizeRowsToContents()
        self.adjustments.setText("\n".join(
            _("Ajustement de la ligne {line} : {what}").format(line=a.line, what=a.describe())
            for a in view.adjustments))
        self._selection_changed()
        self._say("")
        self.number_edit.selectAll()  # the next scan replaces the number

    # -- recording -----------------------------------------------------------------------------
    def _send(self, work: Any, done_text: Any) -> None:
        """Run ``work`` (returns the new view) off the GUI thread, then show it and ``done_text(view)``;
        refused, the forms keep what the tester typed."""
        actions = (self.execution_form, self.adjustment_form, self.dispense_button, self.dispense_some_button)
        enabled = [widget.isEnabled() for widget in actions]
        for widget in actions:
            widget.setEnabled(False)

        def done(view: PrescritView) -> None:
            self._show(view)
            self._say(done_text(view), "ok")

        def failed(error: BaseException) -> None:
            for widget, was in zip(actions, enabled, strict=True):
                widget.setEnabled(was)
            self._say(error_text(error), "error")

        run_task(work, on_done=done, on_error=failed, receiver=self)

    def record_execution(self) -> None:
        execution = self.execution_form.execution()
        if self.view is None or execution is None:
            return
        self._record([execution], complete=self.execution_form.complete_check.isChecked())

    def _record(self, lines: list[LineExecution], *, complete: bool) -> None:
        if self.view is None:
            return
        prescrits, holder, number = self._prescrits, self.holder, self.view.number
        self._send(lambda: prescrits.execute(holder, number, lines, complete=complete), _done_text)

    def record_adjustment(self) -> None:
        adjustment = self.adjustment_form.adjustment()
        if self.view is None or adjustment is None:
            return
        line, changes, agreement = adjustment
        prescrits, holder, number = self._prescrits, self.holder, self.view.number
        self._send(lambda: prescrits.adjust(holder, number, line, changes, agreement),
                   lambda _view: _("Ajustement de la ligne {line} enregistré, signé par votre carte ; "
                                   "l'ordonnance signée reste inchangée.").format(line=line))

    def dispense_selected(self) -> None:
        lines = self._selected_lines()
        if self.view is None or not lines:
            return
        self._record([LineExecution(line, quantity=1.0) for line in lines], complete=False)

    def dispense_all(self) -> None:
        if self.view is not None:
            self._record(rest_of_medicines(self.view) or [LineExecution(1, quantity=1.0)], complete=True)

    # -- the patient's side --------------------------------------------------------------------
    def open_patient_space(self) -> None:
        from lap_app.demo.patient_space import MonEspaceSanteView

        ins = self.view.patient_ins if self.view is not None else None
        self.patient_space = MonEspaceSanteView(self._prescrits, ins)
        self.patient_space.show()
        if ins:
            self.patient_space.refresh()


def _done_text(view: PrescritView) -> str:
    if not view.status.dispensable:
        return _("Exécution enregistrée : l'ordonnance {number} est close.").format(number=format_number(view.number))
    return _("Exécution enregistrée : l'ordonnance reste ouverte.")
