"""The patient form: create or edit one patient, every field checked, in French.

One field per attribute (``family_edit``, ``given_edit``, ``sex_combo``, ``birth_edit``,
``ins_edit``, ``weight_edit``, ``height_edit``, ``ald_check``, ``ald_edit``, ``allergy_edit`` +
``allergy_list``, ``treatment_edit`` + ``treatment_list``, ``opposition_check``),
``save_button`` / ``save()``; bad fields get the ``invalid`` property (red) and ``error_label``
lists the messages. The NIR key is checked as soon as the field is left. Enter saves (in the
allergy and treatment fields it adds to the list), Escape cancels. Saving goes through
``context.services.patients`` (``PatientService``).
"""

from __future__ import annotations

from datetime import date, datetime
from functools import partial
from typing import Any

from PySide6.QtCore import QEvent, QStringListModel, Qt, Signal
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QCompleter,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from lap_app.domain.errors import ValidationError
from lap_app.domain.model import Sex
from lap_app.i18n import _
from lap_app.services.patients import (
    LongTermTreatment,
    PatientRecord,
    ins_problems,
    normalize_ins,
)
from lap_app.ui.object_names import named
from lap_app.ui.shortcuts import shortcut

SEX_CHOICES = ((Sex.FEMALE, _("Femme")), (Sex.MALE, _("Homme")), (Sex.OTHER, _("Autre")))
SEX_LABELS = {Sex.FEMALE: _("femme"), Sex.MALE: _("homme"), Sex.OTHER: _("autre"), Sex.UNKNOWN: "?"}


def set_invalid(widget: QWidget, invalid: bool) -> None:
    widget.setProperty("invalid", "true" if invalid else "false")
    widget.style().unpolish(widget)
    widget.style().polish(widget)


def format_ins(ins: str | None) -> str:
    """"1 84 12 76 451 089 46": sex, year, month, department, commune, order, key."""
    if not ins or len(ins) != 15:
        return ins or ""
    return " ".join((ins[0], ins[1:3], ins[3:5], ins[5:7], ins[7:10], ins[10:13], ins[13:]))


def parse_decimal(text: str) -> float | None:
    """French or English decimal ("12,5" / "12.5"); None when empty; ValueError when wrong."""
    cleaned = text.strip().replace(",", ".").replace(" ", "")
    if not cleaned:
        return None
    return float(cleaned)


def parse_birth_date(text: str) -> date:
    """"15/03/2022", or typed in a hurry: "15032022", "15-03-2022", "15.03.2022", "15 03 2022".
    ValueError when it is no date."""
    cleaned = text.strip()
    for separator in ("-", ".", " "):
        cleaned = cleaned.replace(separator, "/")
    if cleaned.isdigit() and len(cleaned) == 8:
        cleaned = f"{cleaned[:2]}/{cleaned[2:4]}/{cleaned[4:]}"
    return datetime.strptime(cleaned, "%d/%m/%Y").date()


def format_decimal(value: float | None) -> str:
    if value is None:
        return ""
    return (f"{value:g}").replace(".", ",")


def describe_age(record: PatientRecord, today: date | None = None) -> str:
    today = today or date.today()
    if record.birth_date is None:
        return ""
    years = record.age_years(today) or 0
    if years >= 3:
        return _("{n} ans").format(n=years)
    months = (today.year - record.birth_date.year) * 12 + today.month - record.birth_date.month
    if today.day < record.birth_date.day:
        months -= 1
    return _("{n} mois").format(n=max(months, 0))


class PatientForm(QDialog):
    """Create or edit one patient; saves through ``PatientService``."""

    saved = Signal(object)  # the saved PatientRecord

    def __init__(self, context: Any, record: PatientRecord | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._context = context
        self._record = record
        self.setWindowTitle(_("Modifier le patient") if record else _("Nouveau patient"))
        self.setObjectName("patientForm")
        self.setMinimumWidth(620)

        self.family_edit = named(QLineEdit(), "familyName")
        self.given_edit = named(QLineEdit(), "givenNames")
        self.sex_combo = named(QComboBox(), "sex")
        self.sex_combo.addItem("—", None)
        for sex, label in SEX_CHOICES:
            self.sex_combo.addItem(label, sex)
        self.birth_edit = named(QLineEdit(placeholderText=_("JJ/MM/AAAA")), "birthDate")
        self.age_label = QLabel()
        self.age_label.setProperty("role", "subtitle")
        self.ins_edit = named(QLineEdit(placeholderText=_("15 caractères, clé comprise")), "ins")
        self.weight_edit = named(QLineEdit(placeholderText=_("kg")), "weight")
        self.height_edit = named(QLineEdit(placeholderText=_("cm")), "height")
        self.child_hint = QLabel(_("Enfant : poids et taille demandés pour les doses."))
        self.child_hint.setProperty("role", "error")
        self.child_hint.setVisible(False)
        self.ald_check = named(QCheckBox(_("Affection de longue durée (ALD)")), "ald")
        self.ald_edit = named(QLineEdit(placeholderText=_("Affection(s) reconnue(s)")), "aldLabel")
        self.ald_edit.setEnabled(False)
        self.allergy_edit = named(QLineEdit(placeholderText=_("Substance (ex. amoxicilline)")), "allergyInput")
        self.allergy_list = named(QListWidget(), "allergies")
        self.treatment_edit = named(QLineEdit(placeholderText=_("Médicament pris au long cours")), "treatmentInput")
        self.treatment_list = named(QListWidget(), "treatments")
        for box in (self.allergy_list, self.treatment_list):
            box.setMaximumHeight(72)
        self.pregnant_check = named(QCheckBox(_("Enceinte")), "pregnant")
        self.weeks_edit = named(QLineEdit(placeholderText=_("SA")), "pregnancyWeeks")
        self.breastfeeding_check = named(QCheckBox(_("Allaitement")), "breastfeeding")
        self.creatinine_edit = named(QLineEdit(placeholderText=_("valeur")), "creatinine")
        self.creatinine_unit = named(QComboBox(), "creatinineUnit")
        for unit in ("µmol/L", "mg/L", "mg/dL"):
            self.creatinine_unit.addItem(unit, unit)
        self.creatinine_date = named(QLineEdit(placeholderText=_("JJ/MM/AAAA")), "creatinineDate")
        self.opposition_check = named(QCheckBox(_("S'oppose à ce que je consulte ses délivrances")), "opposition")
        self.opposition_check.setToolTip(_(
            "Le patient peut s'opposer à ce que le prescripteur consulte les données de délivrance "
            "de cette ordonnance (ici, ou plus tard auprès de sa caisse)."
        ))
        self.error_label = named(QLabel(wordWrap=True), "patientErrors")
        self.error_label.setProperty("role", "error")
        self.save_button = named(QPushButton(_("&Enregistrer")), "savePatient")
        self.save_button.setDefault(True)
        self.save_button.setMinimumWidth(130)
        cancel = QPushButton(_("Annuler"))

        self._allergy_model = QStringListModel(self)
        allergy_completer = QCompleter(self._allergy_model, self)
        allergy_completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        allergy_completer.setFilterMode(Qt.MatchFlag.MatchContains)
        self.allergy_edit.setCompleter(allergy_completer)
        self._treatment_model = QStringListModel(self)
        self._treatment_hits: dict[str, str] = {}  # completion text -> CIS
        treatment_completer = QCompleter(self._treatment_model, self)
        treatment_completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        treatment_completer.setFilterMode(Qt.MatchFlag.MatchContains)
        self.treatment_edit.setCompleter(treatment_completer)

        form = QFormLayout()
        form.addRow(_("&Nom"), self.family_edit)
        form.addRow(_("&Prénom(s)"), self.given_edit)
        form.addRow(_("&Sexe"), self.sex_combo)
        birth_row = QHBoxLayout()
        birth_row.addWidget(self.birth_edit)
        birth_row.addWidget(self.age_label)
        form.addRow(_("Né(e) le"), birth_row)
        form.addRow(_("NIR / &INS"), self.ins_edit)
        body_row = QHBoxLayout()
        body_row.addWidget(QLabel(_("Poids (kg)")))
        body_row.addWidget(self.weight_edit)
        body_row.addWidget(QLabel(_("Taille (cm)")))
        body_row.addWidget(self.height_edit)
        form.addRow(_("Mensurations"), body_row)
        form.addRow("", self.child_hint)
        form.addRow("", self.ald_check)
        form.addRow(_("ALD"), self.ald_edit)
        form.addRow(_("&Allergies"), self.allergy_edit)
        form.addRow("", self.allergy_list)
        form.addRow(_("&Traitements au long cours"), self.treatment_edit)
        form.addRow("", self.treatment_list)
        state_row = QHBoxLayout()
        state_row.addWidget(self.pregnant_check)
        state_row.addWidget(self.weeks_edit)
        state_row.addWidget(self.breastfeeding_check)
        form.addRow(_("Grossesse"), state_row)
        creat_row = QHBoxLayout()
        creat_row.addWidget(self.creatinine_edit)
        creat_row.addWidget(self.creatinine_unit)
        creat_row.addWidget(QLabel(_("le")))
        creat_row.addWidget(self.creatinine_date)
        form.addRow(_("Dernière créatinine"), creat_row)
        form.addRow("", self.opposition_check)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(cancel)
        buttons.addWidget(self.save_button)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error_label)
        layout.addLayout(buttons)

        self._fields = {
            "family_name": self.family_edit, "given_names": self.given_edit, "sex": self.sex_combo,
            "birth_date": self.birth_edit, "ins": self.ins_edit, "weight_kg": self.weight_edit,
            "height_cm": self.height_edit, "ald_label": self.ald_edit, "pregnancy_weeks": self.weeks_edit,
            "creatinine": self.creatinine_edit,
        }
        self.ald_check.toggled.connect(self.ald_edit.setEnabled)
        self.birth_edit.textChanged.connect(self._update_age)
        self.birth_edit.editingFinished.connect(self._tidy_birth_date)
        for field in self._fields.values():  # a field flagged red is cleared as soon as it is corrected
            if isinstance(field, QLineEdit):
                field.textEdited.connect(lambda _text, f=field: set_invalid(f, False))
        self.ins_edit.editingFinished.connect(self._check_ins_now)
        self.allergy_edit.installEventFilter(self)
        self.allergy_edit.textEdited.connect(self._complete_allergy)
        self.treatment_edit.installEventFilter(self)
        self.treatment_edit.textEdited.connect(self._complete_treatment)
        for box in (self.allergy_list, self.treatment_list):
            shortcut(QKeySequence.StandardKey.Delete, box, partial(self._remove_current, box),
                     Qt.ShortcutContext.WidgetShortcut)
        self.save_button.clicked.connect(self.save)
        cancel.clicked.connect(self.reject)
        if record:
            self._fill(record)

    # ---- filling and reading ----------------------------------------------------------------

    def _fill(self, record: PatientRecord) -> None:
        self.family_edit.setText(record.family_name)
        self.given_edit.setText(" ".join(record.given_names))
        self.sex_combo.setCurrentIndex(max(0, self.sex_combo.findData(record.sex)))
        self.birth_edit.setText(record.birth_date.strftime("%d/%m/%Y") if record.birth_date else "")
        self.ins_edit.setText(format_ins(record.ins))
        self.weight_edit.setText(format_decimal(record.weight_kg))
        self.height_edit.setText(format_decimal(record.height_cm))
        self.ald_check.setChecked(record.ald)
        self.ald_edit.setText(record.ald_label)
        for allergy in record.allergies:
            self.allergy_list.addItem(allergy)
        for treatment in record.treatments:
            self._append_treatment(treatment)
        self.opposition_check.setChecked(record.opposition)
        self.pregnant_check.setChecked(record.pregnant)
        self.weeks_edit.setText(str(record.pregnancy_weeks) if record.pregnancy_weeks else "")
        self.breastfeeding_check.setChecked(record.breastfeeding)
        if record.creatinine is not None:
            self.creatinine_edit.setText(format_decimal(record.creatinine.value))
            self.creatinine_unit.setCurrentIndex(max(0, self.creatinine_unit.findData(record.creatinine.unit)))
            self.creatinine_date.setText(record.creatinine.measured_on.strftime("%d/%m/%Y"))

    def _read_physiology(self, errors: dict[str, str]) -> dict[str, object]:
        """Pregnancy term and the last creatinine typed in (errors named by field)."""
        from lap_app.domain.physiology import Creatinine

        weeks = None
        if self.weeks_edit.text().strip():
            if not self.weeks_edit.text().strip().isdigit():
                errors["pregnancy_weeks"] = _("terme en semaines d'aménorrhée (nombre entier)")
            else:
                weeks = int(self.weeks_edit.text().strip())
        creatinine = None
        if self.creatinine_edit.text().strip() or self.creatinine_date.text().strip():
            try:
                value = parse_decimal(self.creatinine_edit.text())
                day = parse_birth_date(self.creatinine_date.text())
            except ValueError:
                errors["creatinine"] = _("créatinine : valeur et date (JJ/MM/AAAA) attendues")
            else:
                if value is None or value <= 0:
                    errors["creatinine"] = _("créatinine : valeur positive attendue")
                else:
                    creatinine = Creatinine(value, self.creatinine_unit.currentData(), day)
        return {"pregnant": self.pregnant_check.isChecked(), "pregnancy_weeks": weeks,
                "breastfeeding": self.breastfeeding_check.isChecked(), "creatinine": creatinine}

    def _read(self) -> tuple[PatientRecord | None, dict[str, str]]:
        """The record typed in, or the fields that cannot even be parsed."""
        errors: dict[str, str] = {}
        birth = None
        if self.birth_edit.text().strip():
            try:
                birth = parse_birth_date(self.birth_edit.text())
            except ValueError:
                errors["birth_date"] = _("date de naissance attendue au format JJ/MM/AAAA")
        numbers: dict[str, float | None] = {}
        for name, edit in (("weight_kg", self.weight_edit), ("height_cm", self.height_edit)):
            try:
                numbers[name] = parse_decimal(edit.text())
            except ValueError:
                errors[name] = _("nombre attendu (ex. 12,5)")
        physiology = self._read_physiology(errors)
        if errors:
            return None, errors
        base = self._record
        record = PatientRecord(
            family_name=self.family_edit.text().strip(),
            given_names=self.given_edit.text().split(),
            sex=self.current_sex(),
            birth_date=birth,
            ins=normalize_ins(self.ins_edit.text()),
            weight_kg=numbers["weight_kg"],
            height_cm=numbers["height_cm"],
            ald=self.ald_check.isChecked(),
            ald_label=self.ald_edit.text().strip() if self.ald_check.isChecked() else "",
            allergies=[self.allergy_list.item(i).text() for i in range(self.allergy_list.count())],
            treatments=[self.treatment_list.item(i).data(Qt.ItemDataRole.UserRole)
                        for i in range(self.treatment_list.count())],
            opposition=self.opposition_check.isChecked(),
            **physiology,  # type: ignore[arg-type]
        )
        if base is not None:
            record.id = base.id
            record.resource_id = base.resource_id
            record.row_version = base.row_version  # saved over this version only (edit conflicts)
        return record, {}

    def eventFilter(self, watched, event) -> bool:
        """Enter in the allergy or treatment field adds to its list; it must not save the form."""
        if event.type() == QEvent.Type.KeyPress and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            if watched is self.allergy_edit:
                self._add_allergy()
                return True
            if watched is self.treatment_edit:
                self._add_treatment()
                return True
        return super().eventFilter(watched, event)

    def current_sex(self) -> Sex:
        data = self.sex_combo.currentData()  # Qt hands the str-enum back as a plain str
        return Sex(data) if data else Sex.UNKNOWN

    # ---- saving -----------------------------------------------------------------------------

    def save(self) -> PatientRecord | None:
        """Validate and save; on problems, highlight the fields and list the messages."""
        for pending_edit, add in ((self.allergy_edit, self._add_allergy), (self.treatment_edit, self._add_treatment)):
            if pending_edit.text().strip():
                add()
        record, errors = self._read()
        if record is not None:
            try:
                record = self._context.services.patients.save(record)
            except ValidationError as error:
                errors = {}
                for problem in error.problems:
                    errors.setdefault(problem.path, problem.message)
            except Exception as error:  # noqa: BLE001 - the store failed: say so, keep what was typed
                from lap_app.ui.errors import error_text

                errors = {"store": error_text(error)}
        self._show_errors(errors)
        if errors or record is None:
            first = next((self._fields[k] for k in errors if k in self._fields), None)
            if first is not None:
                first.setFocus()
            return None
        self._record = record
        self.saved.emit(record)
        self.accept()
        return record

    def _show_errors(self, errors: dict[str, str]) -> None:
        for name, widget in self._fields.items():
            set_invalid(widget, name in errors)
        labels = {
            "family_name": _("Nom"), "given_names": _("Prénom"), "sex": _("Sexe"),
            "birth_date": _("Date de naissance"), "ins": _("NIR"), "weight_kg": _("Poids"),
            "height_cm": _("Taille"), "ald_label": _("ALD"), "store": _("Enregistrement impossible"),
        }
        self.error_label.setText("\n".join(
            f"{labels.get(name, name)} : {message}" for name, message in errors.items()
        ))
        if errors:  # a long message (an edit conflict) is read whole: the form grows to show it
            self.adjustSize()

    def _check_ins_now(self) -> None:
        """Check the key as soon as the field is left, before saving."""
        ins = normalize_ins(self.ins_edit.text())
        problems = ins_problems(ins, self.current_sex()) if ins else []
        set_invalid(self.ins_edit, bool(problems))
        self.error_label.setText(f"{_('NIR')} : {problems[0]}" if problems else "")
        if ins and not problems:
            self.ins_edit.setText(format_ins(ins))

    def _tidy_birth_date(self) -> None:
        """Show a date typed as "15032022" the usual way once the field is left."""
        try:
            tidy = parse_birth_date(self.birth_edit.text()).strftime("%d/%m/%Y")
        except ValueError:
            return
        if tidy != self.birth_edit.text():
            self.birth_edit.setText(tidy)

    def _update_age(self) -> None:
        try:
            birth = parse_birth_date(self.birth_edit.text())
        except ValueError:
            self.age_label.setText("")
            self.child_hint.setVisible(False)
            return
        probe = PatientRecord("", [], Sex.UNKNOWN, birth)
        self.age_label.setText(describe_age(probe))
        self.child_hint.setVisible(probe.is_child())

    # ---- allergies and long-term treatments -------------------------------------------------

    def _complete_allergy(self, text: str) -> None:
        from lap_app.services.drafting import substance_suggestions

        if len(text.strip()) >= 2:
            self._allergy_model.setStringList(substance_suggestions(self._context.drugs, text))

    def _add_allergy(self) -> None:
        text = self.allergy_edit.text().strip()
        existing = {self.allergy_list.item(i).text().lower() for i in range(self.allergy_list.count())}
        if text and text.lower() not in existing:
            self.allergy_list.addItem(text)
        self.allergy_edit.clear()

    def _complete_treatment(self, text: str) -> None:
        drugs = self._context.drugs
        if len(text.strip()) < 2:
            return
        self._treatment_hits = {}
        for drug in drugs.search(text.strip(), limit=15):
            self._treatment_hits[drug.name] = drug.cis
        self._treatment_model.setStringList(list(self._treatment_hits))

    def _add_treatment(self) -> None:
        text = self.treatment_edit.text().strip()
        if text:
            self._append_treatment(LongTermTreatment(text, self._treatment_hits.get(text)))
        self.treatment_edit.clear()

    def _append_treatment(self, treatment: LongTermTreatment) -> None:
        item = QListWidgetItem(treatment.label if treatment.cis else f"{treatment.label} {_('(hors base)')}")
        item.setData(Qt.ItemDataRole.UserRole, treatment)
        self.treatment_list.addItem(item)

    @staticmethod
    def _remove_current(box: QListWidget) -> None:
        row = box.currentRow()
        if row >= 0:
            box.takeItem(row)
