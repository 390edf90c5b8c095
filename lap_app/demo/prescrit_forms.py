"""The two forms of « Prescrit (démo) »: what was done of a line (its fields follow the line's
type) and an adjustment with the prescriber's agreement. They only read their widgets into
the prescrit service's values; the window sends them."""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import QDate, QDateTime
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDateTimeEdit,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QWidget,
)

from lap_app.base_client.protocol import ADJUSTMENT_FIELDS
from lap_app.i18n import N_, _
from lap_app.services.follow_up import CHANGE_LABELS
from lap_app.services.prescrit import Agreement, LineExecution, PrescritLine

COUNT_LABELS = {"analyse": N_("Analyses réalisées"), "soin": N_("Visites ou actes"),
                "seance": N_("Séances réalisées"), "dispositif": N_("Unités délivrées")}
AGREEMENT_CHOICES = {"telephone": N_("Téléphone"), "messagerie": N_("Messagerie sécurisée"), "autre": N_("Autre")}


def _date_edit() -> QDateEdit:
    edit = QDateEdit(QDate.currentDate())
    edit.setCalendarPopup(True)
    edit.setDisplayFormat("dd/MM/yyyy")
    return edit


class ExecutionForm(QGroupBox):
    """What was done of the selected line, on which day."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(_("Exécution de la ligne"), parent)
        self._line: PrescritLine | None = None
        self.date_edit = _date_edit()
        self.count_spin = QSpinBox()
        self.count_spin.setRange(1, 1000)
        self.quantity_spin = QDoubleSpinBox()
        self.quantity_spin.setRange(1, 1000)
        self.quantity_spin.setDecimals(0)
        self.substituted_check = QCheckBox(_("Substitué par un générique"))
        self.act_edit = QLineEdit()
        self.act_edit.setPlaceholderText(_("ex. : injection sous-cutanée, pansement"))
        self.supply_combo = QComboBox()
        self.supply_combo.addItem(_("Achat"), "achat")
        self.supply_combo.addItem(_("Location"), "location")
        self.supply_combo.currentIndexChanged.connect(self._follow_supply)
        self.until_edit = _date_edit()
        self.until_edit.setDate(QDate.currentDate().addMonths(1))
        self.not_done_check = QCheckBox(_("Non réalisé"))
        self.reason_edit = QLineEdit()
        self.reason_edit.setPlaceholderText(_("motif (obligatoire)"))
        self.not_done_check.toggled.connect(self._follow_not_done)
        self.complete_check = QCheckBox(_("Exécution terminée : clore l'ordonnance"))
        self.record_button = QPushButton(_("&Enregistrer l'exécution"))

        self.form = QFormLayout(self)
        self.form.addRow(_("Date :"), self.date_edit)
        self.form.addRow(_("Boîtes délivrées :"), self.quantity_spin)
        self.form.addRow("", self.substituted_check)
        self.form.addRow(_("Nombre :"), self.count_spin)
        self.form.addRow(_("Acte :"), self.act_edit)
        self.form.addRow(_("Dispositif :"), self.supply_combo)
        self.form.addRow(_("Location jusqu'au :"), self.until_edit)
        self.form.addRow(self.not_done_check, self.reason_edit)
        self.form.addRow("", self.complete_check)
        self.form.addRow("", self.record_button)
        self.set_line(None)

    def set_line(self, line: PrescritLine | None) -> None:
        """Show the fields of ``line``'s type (none without a line)."""
        self._line = line
        kind = line.type if line else ""
        medicine = kind == "medicament"
        self.form.setRowVisible(self.quantity_spin, medicine)
        self.form.setRowVisible(self.substituted_check, medicine and bool(line and line.substitution_allowed))
        self.form.setRowVisible(self.count_spin, bool(line) and not medicine)
        self.form.setRowVisible(self.act_edit, kind == "soin")
        self.form.setRowVisible(self.supply_combo, kind == "dispositif")
        label = self.form.labelForField(self.count_spin)
        if isinstance(label, QLabel):
            label.setText(_(COUNT_LABELS.get(kind, N_("Nombre"))) + " :")
        if line is not None and line.supply:
            index = self.supply_combo.findData(line.supply)
            self.supply_combo.setCurrentIndex(max(0, index))
        self.not_done_check.setChecked(False)
        self.reason_edit.clear()
        self.count_spin.setValue(1)
        self.quantity_spin.setValue(1)
        self._follow_supply()
        self._follow_not_done()
        self.setTitle(_("Exécution de la ligne {n}").format(n=line.line) if line else _("Exécution de la ligne"))
        self.setEnabled(line is not None)

    def _follow_supply(self) -> None:
        rental = self._line is not None and self._line.type == "dispositif" and \
            self.supply_combo.currentData() == "location"
        self.form.setRowVisible(self.until_edit, rental)

    def _follow_not_done(self) -> None:
        self.reason_edit.setEnabled(self.not_done_check.isChecked())

    def execution(self) -> LineExecution | None:
        """The form as the service's ``LineExecution`` (None without a line)."""
        line = self._line
        if line is None:
            return None
        kind = line.type
        not_done = self.not_done_check.isChecked()
        return LineExecution(
            line.line, count=self.count_spin.value(),
            quantity=self.quantity_spin.value() if kind == "medicament" and not not_done else None,
            done=not not_done, reason=(self.reason_edit.text().strip() or None) if not_done else None,
            on=self.date_edit.date().toPython(),  # type: ignore[arg-type]
            act=(self.act_edit.text().strip() or None) if kind == "soin" else None,
            supply=self.supply_combo.currentData() if kind == "dispositif" else None,
            until=self.until_edit.date().toPython() if kind == "dispositif" and  # type: ignore[arg-type]
            self.supply_combo.currentData() == "location" else None,
            substituted=kind == "medicament" and self.substituted_check.isChecked())


class AdjustmentForm(QGroupBox):
    """A change of the selected line with the prescriber's agreement: how, when, from whom."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(_("Ajustement avec l'accord du prescripteur"), parent)
        self._line: int | None = None
        self.field_combo = QComboBox()
        for name in ADJUSTMENT_FIELDS:
            self.field_combo.addItem(_(CHANGE_LABELS[name]), name)
        self.value_edit = QLineEdit()
        self.value_edit.setPlaceholderText(_("nouvelle valeur"))
        self.mode_combo = QComboBox()
        for mode in AGREEMENT_CHOICES:
            self.mode_combo.addItem(_(AGREEMENT_CHOICES[mode]), mode)
        self.at_edit = QDateTimeEdit(QDateTime.currentDateTime())
        self.at_edit.setCalendarPopup(True)
        self.at_edit.setDisplayFormat("dd/MM/yyyy HH:mm")
        self.given_by_edit = QLineEdit()
        self.given_by_edit.setPlaceholderText(_("ex. : Dr Claire MARTIN"))
        self.adjust_button = QPushButton(_("Enregistrer l'a&justement (signé par la carte)"))

        form = QFormLayout(self)
        form.addRow(_("Ce qui change :"), self.field_combo)
        form.addRow(_("Nouvelle valeur :"), self.value_edit)
        form.addRow(_("Accord obtenu par :"), self.mode_combo)
        form.addRow(_("Le :"), self.at_edit)
        form.addRow(_("Donné par :"), self.given_by_edit)
        form.addRow("", self.adjust_button)
        self.set_line(None)

    def set_line(self, line: int | None) -> None:
        if line is not None and line != self._line:  # the agreement is usually just obtained
            self.at_edit.setDateTime(QDateTime.currentDateTime())
        self._line = line
        self.setTitle(_("Ajustement de la ligne {n} avec l'accord du prescripteur").format(n=line) if line
                      else _("Ajustement avec l'accord du prescripteur"))
        self.setEnabled(line is not None)

    def adjustment(self) -> tuple[int, list[tuple[str, str]], Agreement] | None:
        """(line, changes, agreement) as the service takes them (None without a line)."""
        if self._line is None:
            return None
        moment: dt.datetime = self.at_edit.dateTime().toPython()  # type: ignore[assignment]
        changes = [(str(self.field_combo.currentData()), self.value_edit.text())]
        return self._line, changes, Agreement(str(self.mode_combo.currentData()), moment.astimezone(),
                                              self.given_by_edit.text())

