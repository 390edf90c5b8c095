"""The line editor: structured posology with its French sentence shown as it is typed.

``LineEditor.load(line, editing=False)`` fills it; ``line()`` reads the ``PrescriptionLine``
back; ``committed(line)`` fires when the physician presses Enter or the add/save button,
``cancelled()`` on Escape. The sentence shown is ``Posology.sentence()``: exactly what the
ordonnance will print.
"""

from __future__ import annotations

import copy
import itertools

from PySide6.QtCore import QLocale, Qt, Signal
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from lap_app.domain.model import NonSubstitutionReason, PrescriptionLine, Zone
from lap_app.domain.posology import MOMENTS, Posology
from lap_app.domain.posology_rules import IncompletePosology
from lap_app.i18n import _
from lap_app.ui.object_names import named
from lap_app.ui.shortcuts import shortcut

UNITS = ("comprimé", "gélule", "sachet", "ml", "mg", "goutte", "cuillère-mesure", "dose", "bouffée",
         "pulvérisation", "application", "suppositoire", "ampoule", "injection", "patch", "UI", "ovule")
# Moments offered as check boxes, in the order of the day (FHIR EventTiming codes).
MOMENT_CHOICES = (("MORN", _("matin")), ("NOON", _("midi")), ("EVE", _("soir")), ("HS", _("coucher")))
PERIOD_UNITS = (("d", _("par jour")), ("wk", _("par semaine")), ("mo", _("par mois")))
DURATION_UNITS = (("d", _("jours")), ("wk", _("semaines")), ("mo", _("mois")))
REASONS = (
    (NonSubstitutionReason.MTE, _("MTE — marge thérapeutique étroite")),
    (NonSubstitutionReason.EFG, _("EFG — enfant < 6 ans, pas de générique adapté")),
    (NonSubstitutionReason.CIF, _("CIF — contre-indication formelle à un excipient")),
)
PROBLEM_STYLE = ("background:#fdecea; border:1px solid #e4a29c; border-radius:4px; padding:6px 8px;"
                 " color:#8c1d18; font-weight:600;")
FRENCH = QLocale(QLocale.Language.French, QLocale.Country.France)


class DecimalSpin(QDoubleSpinBox):
    """A French decimal field that shows "1" and "0,5", not "1,00" and "0,50"."""

    def textFromValue(self, value: float) -> str:
        return self.locale().toString(round(value, self.decimals()), "g", 12)


def _spin(decimals: int, maximum: float, step: float, name: str) -> QDoubleSpinBox:
    spin = named(DecimalSpin(), name)
    spin.setLocale(FRENCH)
    spin.setDecimals(decimals)
    spin.setRange(0, maximum)
    spin.setSingleStep(step)
    spin.setSpecialValueText("—")  # 0 means "not given"
    return spin


def _int_spin(maximum: int, name: str, special: str | None = "—") -> QSpinBox:
    spin = named(QSpinBox(), name)
    spin.setRange(0, maximum)
    if special:
        spin.setSpecialValueText(special)
    return spin


def _combo(choices, name: str) -> QComboBox:
    combo = named(QComboBox(), name)
    for data, label in choices:
        combo.addItem(label, data)
    return combo


class LineEditor(QGroupBox):
    committed = Signal(object)  # PrescriptionLine
    cancelled = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(_("Ligne de prescription"), parent)
        self.setObjectName("lineEditor")
        self._base: PrescriptionLine | None = None
        self._editing = False
        self._loading = False
        self._patient_age: int | None = None

        self.drug_label = named(QLabel(wordWrap=True), "lineDrug")
        self.drug_label.setStyleSheet("font-weight: 600;")
        self.dose_spin = _spin(2, 10000, 0.5, "dose")
        self.unit_combo = named(QComboBox(editable=True), "doseUnit")
        self.unit_combo.addItems(UNITS)

        self.moments_radio = named(QRadioButton(_("aux &moments")), "modeMoments")
        self.frequency_radio = named(QRadioButton(_("&fois")), "modeFrequency")
        self.interval_radio = named(QRadioButton(_("toutes les")), "modeInterval")
        self._mode_group = QButtonGroup(self)
        for radio in (self.moments_radio, self.frequency_radio, self.interval_radio):
            self._mode_group.addButton(radio)
        self.moment_checks = {code: named(QCheckBox(label), f"moment{code}") for code, label in MOMENT_CHOICES}
        self.frequency_spin = _int_spin(24, "frequency", special=None)
        self.frequency_spin.setMinimum(1)
        self.period_combo = _combo(PERIOD_UNITS, "periodUnit")
        self.interval_spin = _int_spin(72, "intervalHours", special=None)
        self.interval_spin.setMinimum(1)
        self.interval_spin.setValue(8)
        self.interval_spin.setSuffix(_(" heures"))

        self.as_needed_check = named(QCheckBox(_("si &besoin")), "asNeeded")
        self.reason_edit = named(QLineEdit(placeholderText=_("douleur, fièvre…")), "asNeededReason")
        self.max_spin = _spin(2, 1000, 1, "maxDose")
        self.min_interval_spin = _int_spin(48, "minInterval")

        self.duration_spin = _int_spin(999, "duration")
        self.duration_combo = _combo(DURATION_UNITS, "durationUnit")
        self.boxes_spin = _int_spin(99, "boxes")
        self.renewals_spin = _int_spin(12, "renewals", special=_("aucun"))
        self.nonsub_check = named(QCheckBox(_("Non substituable")), "nonSubstitutable")
        self.reason_combo = _combo(REASONS, "nonSubstitutionReason")
        self.reason_combo.setEnabled(False)
        self.ald_check = named(QCheckBox(_("En rapport avec l'A&LD")), "aldZone")  # Alt+A: « Ajouter »
        self.ald_check.setEnabled(False)
        self.instructions_edit = named(QLineEdit(placeholderText=_("Conseil au patient (facultatif)")), "instructions")
        self.sentence_label = named(QLabel(wordWrap=True), "sentence")
        self.sentence_label.setStyleSheet(
            "background:#eef5f8; border:1px solid #c9dde6; border-radius:4px; padding:6px; font-size:11pt;"
        )
        # why the line stops something (validation asked with the line still open), at its top
        self.problem_label = named(QLabel(wordWrap=True), "lineProblem")
        self.problem_label.setStyleSheet(PROBLEM_STYLE)
        self.problem_label.setVisible(False)
        self.hint_label = named(QLabel(wordWrap=True), "lineHint")
        self.hint_label.setStyleSheet("color: #9a6700;")
        self.commit_button = named(QPushButton(_("&Ajouter à l'ordonnance")), "commitLine")
        self.commit_button.setProperty("primary", "true")
        self.cancel_button = named(QPushButton(_("Annuler")), "cancelLine")

        def next_field(items, label: str) -> QWidget:
            return next(item for item in items[items.index(label) + 1:] if isinstance(item, QWidget))

        def row(*items) -> QHBoxLayout:
            """One line of the form: widgets, ints as spacing, then a stretch."""
            box = QHBoxLayout()
            for item in items:
                if isinstance(item, int):
                    box.addSpacing(item)
                elif isinstance(item, str):
                    label = QLabel(item)
                    if "&" in item:  # Alt+letter goes to the field that follows
                        label.setBuddy(next_field(items, item))
                    box.addWidget(label)
                else:  # a free-text field takes its share of the width (up to its maximum)
                    box.addWidget(item, 1 if isinstance(item, QLineEdit) else 0)
            box.addStretch(1)
            return box

        # the two widest rows (Au besoin, Durée) set the editor's minimum width, and with it the
        # window's: it must leave room for the editor's vertical scroll bar on a 1366-pixel screen
        for widget, width in ((self.dose_spin, 90), (self.unit_combo, 170), (self.frequency_spin, 55),
                              (self.period_combo, 120), (self.interval_spin, 100),
                              (self.max_spin, 66), (self.min_interval_spin, 56), (self.duration_spin, 70),
                              (self.duration_combo, 110), (self.boxes_spin, 60), (self.renewals_spin, 76),
                              (self.reason_combo, 290)):
            widget.setFixedWidth(width)
        self.reason_edit.setMinimumWidth(50)  # grows with the editor, not a floor for the window
        self.reason_edit.setMaximumWidth(220)
        grid = QGridLayout()
        grid.setColumnStretch(1, 1)
        rows = (
            (_("Dose"), row(self.dose_spin, self.unit_combo, 24, self.ald_check)),
            # the rhythm takes two lines, so the editor (and the window) fits a 1366-pixel screen
            (_("Rythme"), row(self.moments_radio, *self.moment_checks.values())),
            ("", row(self.frequency_radio, self.frequency_spin, self.period_combo, 16, self.interval_radio,
                     self.interval_spin)),
            (_("Au besoin"), row(self.as_needed_check, self.reason_edit, 4, _("au maximum"), self.max_spin,
                                  _("par jour"), 4, _("écart minimal"), self.min_interval_spin, _("heures"))),
            (_("D&urée"), row(self.duration_spin, self.duration_combo, 6, _("&Quantité"), self.boxes_spin,
                               _("boîte(s)"), 6, _("Renouvellements"), self.renewals_spin)),
            (_("Substitution"), row(self.nonsub_check, self.reason_combo)),
        )
        grid.addWidget(self.drug_label, 0, 0, 1, 2)
        buddies = {_("D&urée"): self.duration_spin}
        for index, (label, box) in enumerate(rows, start=1):
            row_label = QLabel(label)
            if label in buddies:  # Alt+U: straight to the duration, the field most often typed
                row_label.setBuddy(buddies[label])
            grid.addWidget(row_label, index, 0)
            grid.addLayout(box, index, 1)
        grid.addWidget(QLabel(_("Conseil")), len(rows) + 1, 0)
        grid.addWidget(self.instructions_edit, len(rows) + 1, 1)
        buttons = QHBoxLayout()
        buttons.addWidget(self.sentence_label, 1)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.commit_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.problem_label)
        layout.addLayout(grid)
        layout.addLayout(buttons)
        layout.addWidget(self.hint_label)

        for signal in (
            self.dose_spin.valueChanged, self.unit_combo.currentTextChanged, self.frequency_spin.valueChanged,
            self.period_combo.currentIndexChanged, self.interval_spin.valueChanged, self.as_needed_check.toggled,
            self.reason_edit.textChanged, self.max_spin.valueChanged, self.min_interval_spin.valueChanged,
            self.duration_spin.valueChanged, self.duration_combo.currentIndexChanged, self._mode_group.buttonToggled,
            self.boxes_spin.valueChanged, self.nonsub_check.toggled, self.reason_combo.currentIndexChanged,
            *(check.toggled for check in self.moment_checks.values()),
        ):
            signal.connect(self._changed)
        for check in self.moment_checks.values():
            check.toggled.connect(lambda on: self.moments_radio.setChecked(True) if on else None)
        self.frequency_spin.valueChanged.connect(lambda _v: self.frequency_radio.setChecked(True))
        self.interval_spin.valueChanged.connect(lambda _v: self.interval_radio.setChecked(True))
        self.nonsub_check.toggled.connect(self.reason_combo.setEnabled)
        self.commit_button.clicked.connect(self.commit)
        self.cancel_button.clicked.connect(self.cancel)
        for key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):  # in the line only: Entrée elsewhere is not for it
            shortcut(QKeySequence(key), self, self.commit, Qt.ShortcutContext.WidgetWithChildrenShortcut)
        shortcut(QKeySequence(Qt.Key.Key_Escape), self, self.cancel, Qt.ShortcutContext.WidgetWithChildrenShortcut)
        chain = [self.dose_spin, self.unit_combo, self.moments_radio, *self.moment_checks.values(),
                 self.frequency_radio, self.frequency_spin, self.period_combo, self.interval_radio,
                 self.interval_spin, self.as_needed_check, self.reason_edit, self.max_spin, self.min_interval_spin,
                 self.duration_spin, self.duration_combo, self.boxes_spin, self.renewals_spin, self.nonsub_check,
                 self.reason_combo, self.ald_check, self.instructions_edit, self.cancel_button, self.commit_button]
        for first, second in itertools.pairwise(chain):
            QWidget.setTabOrder(first, second)  # the visual order, row by row
        self.setEnabled(False)
        self._show_sentence()

    # ---- public -------------------------------------------------------------------------------

    def set_patient_age(self, years: int | None) -> None:
        """The EFG justification only applies to a child under 6: the hint says so otherwise."""
        self._patient_age = years
        self._show_sentence()

    def set_ald_allowed(self, allowed: bool) -> None:
        self.ald_check.setEnabled(allowed)
        if not allowed:
            self.ald_check.setChecked(False)

    def load(self, line: PrescriptionLine, editing: bool = False, focus: bool = True) -> None:
        """Open ``line``; ``focus``: the keyboard to its dose (not when it reopens by itself)."""
        self._loading = True
        self._base = copy.deepcopy(line)
        self._editing = editing
        p = line.posology
        self.drug_label.setText(line.dci_wording + (f"  ({line.product_name})" if line.product_name else ""))
        self.drug_label.setVisible(True)
        self.dose_spin.setValue(p.dose or 0)
        self.unit_combo.setCurrentText(p.dose_unit or "comprimé")
        for code, check in self.moment_checks.items():
            check.setChecked(code in p.when)
        if p.when:
            self.moments_radio.setChecked(True)
        elif p.period_unit == "h" and p.period:
            self.interval_spin.setValue(int(p.period))
            self.interval_radio.setChecked(True)
        else:
            self.frequency_spin.setValue(p.frequency or 1)
            self.period_combo.setCurrentIndex(max(0, self.period_combo.findData(p.period_unit or "d")))
            self.frequency_radio.setChecked(True)
        self.as_needed_check.setChecked(p.as_needed)
        self.reason_edit.setText(p.as_needed_reason)
        self.max_spin.setValue(p.max_dose or 0)
        self.min_interval_spin.setValue(int(p.min_interval_hours or 0))
        self.duration_spin.setValue(int(p.duration or 0))
        self.duration_combo.setCurrentIndex(max(0, self.duration_combo.findData(p.duration_unit or "d")))
        self.boxes_spin.setValue(line.boxes or 0)
        self.renewals_spin.setValue(line.renewals)
        self.nonsub_check.setChecked(not line.substitution_allowed)
        if line.non_substitution_reason:
            self.reason_combo.setCurrentIndex(self.reason_combo.findData(line.non_substitution_reason))
        self.ald_check.setChecked(line.zone is Zone.ALD)
        self.instructions_edit.setText(line.instructions)
        self.commit_button.setText(_("&Enregistrer la ligne") if editing else _("&Ajouter à l'ordonnance"))
        self._loading = False
        self.setEnabled(True)
        self._show_sentence()
        if focus:
            self.focus_line()

    @property
    def editing(self) -> bool:
        return self._editing

    def posology(self) -> Posology:
        """The posology as typed (fields left at "—" are not given)."""
        base = self._base.posology if self._base else Posology()
        dose = self.dose_spin.value() or None
        posology = Posology(dose=dose, dose_unit=self.unit_combo.currentText().strip(), route=base.route)
        if self.moments_radio.isChecked():
            chosen = {code for code, check in self.moment_checks.items() if check.isChecked()}
            kept = [code for code in base.when if code not in self.moment_checks]  # e.g. "CM"
            posology.when = [code for code in MOMENTS if code in chosen or code in kept]
        elif self.interval_radio.isChecked():
            posology.frequency, posology.period, posology.period_unit = 1, float(self.interval_spin.value()), "h"
        else:
            posology.frequency, posology.period = self.frequency_spin.value(), 1.0
            posology.period_unit = self.period_combo.currentData()
        if self.as_needed_check.isChecked():
            posology.as_needed = True
            posology.as_needed_reason = self.reason_edit.text().strip()
            if self.max_spin.value():
                posology.max_dose, posology.max_period, posology.max_period_unit = self.max_spin.value(), 1.0, "d"
            if self.min_interval_spin.value():
                posology.min_interval_hours = float(self.min_interval_spin.value())
        if self.duration_spin.value():
            posology.duration = float(self.duration_spin.value())
            posology.duration_unit = self.duration_combo.currentData()
        return posology

    def line(self) -> PrescriptionLine:
        if self._base is None:
            raise RuntimeError("no line loaded")
        line = copy.deepcopy(self._base)
        line.posology = self.posology()
        line.boxes = self.boxes_spin.value() or None
        line.renewals = self.renewals_spin.value()
        line.substitution_allowed = not self.nonsub_check.isChecked()
        line.non_substitution_reason = (
            None if line.substitution_allowed else NonSubstitutionReason(self.reason_combo.currentData())
        )  # Qt hands the str-enum back as a plain str
        line.zone = Zone.ALD if self.ald_check.isChecked() else Zone.HORS_ALD
        line.instructions = self.instructions_edit.text().strip()
        return line

    def sentence(self) -> str:
        return self.sentence_label.text()

    def commit(self) -> None:
        if self._base is None or not self.isEnabled():
            return
        if self.unit_combo.currentText().strip() == "" or not self.dose_spin.value():
            self.sentence_label.setText(_("Indiquez la dose et son unité."))
            self.dose_spin.setFocus()
            return
        line = self.line()
        self.reset()
        self.committed.emit(line)

    def cancel(self) -> None:
        self.reset()
        self.cancelled.emit()

    def reset(self) -> None:
        """No line open: the form empty (never the last line's values, greyed), disabled."""
        self._base = None
        self._editing = False
        self.drug_label.setText("")
        self.drug_label.setVisible(False)  # no empty row at the top of the form
        self.show_problem("")
        self._clear_fields()
        self.setEnabled(False)
        self._show_sentence()

    def _clear_fields(self) -> None:
        self._loading = True
        try:
            self.dose_spin.setValue(0)
            self.unit_combo.setCurrentText(UNITS[0])
            self._mode_group.setExclusive(False)  # no rhythm chosen until a drug is
            for radio in (self.moments_radio, self.frequency_radio, self.interval_radio):
                radio.setChecked(False)
            self._mode_group.setExclusive(True)
            for check in (*self.moment_checks.values(), self.as_needed_check, self.nonsub_check, self.ald_check):
                check.setChecked(False)
            self.frequency_spin.setValue(1)
            self.period_combo.setCurrentIndex(0)
            self.interval_spin.setValue(8)
            self.reason_edit.clear()
            for spin in (self.max_spin, self.min_interval_spin, self.duration_spin, self.boxes_spin,
                         self.renewals_spin):
                spin.setValue(0)
            self.duration_combo.setCurrentIndex(0)
            self.reason_combo.setCurrentIndex(0)
            self.instructions_edit.clear()
            self.commit_button.setText(_("&Ajouter à l'ordonnance"))
        finally:
            self._loading = False

    def show_problem(self, text: str) -> None:
        """A refusal about the open line, above its fields (empty text hides it)."""
        self.problem_label.setText(text)
        self.problem_label.setVisible(bool(text))

    def focus_line(self) -> None:
        """The keyboard back into the open line (its first field)."""
        self.dose_spin.setFocus(Qt.FocusReason.OtherFocusReason)
        self.dose_spin.selectAll()

    # ---- live sentence ------------------------------------------------------------------------

    def _changed(self, *_args) -> None:
        if not self._loading:
            self._show_sentence()

    def _show_sentence(self) -> None:
        if self._base is None:
            self.sentence_label.setText(_("Choisissez un médicament dans la recherche."))
            self._show_hints([])  # the last line's hints must not outlive it
            return
        try:
            text = self.posology().sentence()
        except IncompletePosology:  # half typed: the commit says what is missing
            text = "…"
        self.sentence_label.setText(text)
        self._show_hints(self.hints())

    def _show_hints(self, hints: list[str]) -> None:
        self.hint_label.setText("\n".join(hints))
        self.hint_label.setVisible(bool(hints))  # no empty row under the form

    def hints(self) -> list[str]:
        """What the ordonnance will miss as typed (shown, never blocking: the physician decides)."""
        if self._base is None:
            return []
        hints = []
        if not self.duration_spin.value() and not self.boxes_spin.value():
            hints.append(_("Précisez la durée du traitement ou le nombre de boîtes."))
        if self.moments_radio.isChecked() and not any(c.isChecked() for c in self.moment_checks.values()) \
                and not any(code not in self.moment_checks for code in self._base.posology.when):
            hints.append(_("Cochez au moins un moment de la journée."))
        if self.nonsub_check.isChecked() and self.reason_combo.currentData() == NonSubstitutionReason.EFG.value \
                and self._patient_age is not None and self._patient_age >= 6:
            hints.append(_("EFG concerne un enfant de moins de 6 ans."))
        return hints
