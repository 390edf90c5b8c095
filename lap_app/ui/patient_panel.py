"""The patient panel: find a patient, create or edit one, see what matters before prescribing.

Public names (used by the main window and its tests): ``PatientPanel(context)`` with signal
``patient_selected(object)`` (a ``PatientRecord``), ``current_patient()``, ``search_edit``,
``results``, ``new_button``, ``edit_button``, ``summary``, ``open_form(record=None) ->
PatientForm`` (the form dialog, window-modal, also kept as ``form``; see ``patient_form``).
Search runs on every keystroke: by names (every word a prefix, accents ignored), birth date
(JJ/MM/AAAA) or NIR. One click or the arrow keys in the list choose the patient, as in every
patient list; Down arrow from the search enters the list on the first match and chooses it;
Enter (in the search or the list) chooses and moves on to the drug search (``done``). Patients with an ordonnance being
written (a draft saved in the local store) are marked; ``refresh_draft_marks()`` updates the
marks when the editor's lines change.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QEvent, QItemSelectionModel, Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from lap_app.domain.errors import UserError
from lap_app.i18n import _
from lap_app.services.patients import PatientRecord
from lap_app.ui.focus import return_focus_after
from lap_app.ui.object_names import named
from lap_app.ui.patient_form import SEX_LABELS, PatientForm, describe_age, format_decimal, format_ins

__all__ = ["PatientForm", "PatientPanel", "describe_age", "format_decimal", "format_ins"]


class PatientPanel(QWidget):
    """Search and pick the patient; shows the chosen patient's essentials."""

    patient_selected = Signal(object)
    done = Signal()  # Enter on a patient: the GP moves on to the prescription

    def __init__(self, context: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("patientPanel")
        self._context = context
        self._current: PatientRecord | None = None
        self._filling = False  # the list is being filled: its current row moves by program
        self.form: PatientForm | None = None

        self.search_edit = named(QLineEdit(placeholderText=_("Nom, date de naissance ou NIR")), "patientSearch")
        self.search_edit.setClearButtonEnabled(True)
        self.results = named(QListWidget(), "patientResults")
        self.results.setAlternatingRowColors(True)
        # a long name wraps inside the panel instead of being cut behind a horizontal scrollbar
        self.results.setWordWrap(True)
        self.results.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.results.setResizeMode(QListWidget.ResizeMode.Adjust)
        self.new_button = named(QPushButton(_("&Nouveau patient")), "newPatient")
        self.edit_button = named(QPushButton(_("&Modifier")), "editPatient")
        self.edit_button.setEnabled(False)
        title = QLabel(_("Patient"))
        title.setProperty("role", "title")
        self.summary = named(QLabel(wordWrap=True), "patientSummary")
        self.summary.setTextFormat(Qt.TextFormat.RichText)
        self.summary.setText(_("Aucun patient choisi."))

        buttons = QHBoxLayout()
        buttons.addWidget(self.new_button)
        buttons.addWidget(self.edit_button)
        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addWidget(self.search_edit)
        layout.addWidget(self.results, 1)
        layout.addLayout(buttons)
        layout.addWidget(self.summary)

        # the local store answers in about a millisecond: search on every keystroke
        self.search_edit.textChanged.connect(lambda _text: self.refresh())
        self.search_edit.returnPressed.connect(self._enter_in_search)
        self.search_edit.installEventFilter(self)
        self.results.itemActivated.connect(self._activate)
        # one click or an arrow key chooses: the row that looks chosen is the patient shown
        self.results.currentItemChanged.connect(self._moved_in_list)
        self.results.itemClicked.connect(self._clicked)
        self.new_button.clicked.connect(lambda: self.open_form())
        self.edit_button.clicked.connect(lambda: self.open_form(self._current))
        self.refresh()

    def current_patient(self) -> PatientRecord | None:
        return self._current

    def refresh(self) -> None:
        """Run the search for what is typed (instant: local SQLite)."""
        self._filling = True
        try:
            self._fill()
        finally:
            self._filling = False

    def _fill(self) -> None:
        service = self._context.services.patients
        self.results.clear()
        if service is None:
            return
        drafts = self._patients_with_draft()
        for record in service.search(self.search_edit.text(), limit=50):
            item = QListWidgetItem(self._result_text(record, record.id in drafts))
            item.setData(Qt.ItemDataRole.UserRole, record)
            self.results.addItem(item)
        if self.results.count():
            chosen = [i for i in range(self.results.count())
                      if self._current is not None
                      and self.results.item(i).data(Qt.ItemDataRole.UserRole).id == self._current.id]
            if chosen:
                self.results.setCurrentRow(chosen[0])
            else:  # Enter in the search picks the first match, but it must not look chosen already
                self.results.setCurrentRow(0, QItemSelectionModel.SelectionFlag.NoUpdate)

    def refresh_draft_marks(self) -> None:
        """Mark again the patients whose ordonnance is being written (no new search)."""
        drafts = self._patients_with_draft()
        for row in range(self.results.count()):
            item = self.results.item(row)
            record = item.data(Qt.ItemDataRole.UserRole)
            text = self._result_text(record, record.id in drafts)
            if item.text() != text:
                item.setText(text)

    def _patients_with_draft(self) -> set[int]:
        try:
            return self._context.services.drafting.patients_with_draft()
        except UserError:  # the marks are a help: the list still works without them
            return set()

    def select(self, record: PatientRecord) -> None:
        self._current = record
        self._filling = True
        try:
            for row in range(self.results.count()):  # the list highlights the patient being seen
                if self.results.item(row).data(Qt.ItemDataRole.UserRole).id == record.id:
                    self.results.setCurrentRow(row)
                    break
            else:  # not in the list: no other patient may look chosen
                self.results.setCurrentRow(-1)
        finally:
            self._filling = False
        self.edit_button.setEnabled(True)
        self.summary.setText(self._summary_html(record) + _physiology_tail(record, self._context))
        self.patient_selected.emit(record)

    def open_form(self, record: PatientRecord | None = None) -> PatientForm:
        """Open the patient form (window-modal, not blocking the event loop)."""
        if record is not None and record.id is not None:  # as stored now (another workstation may have saved it)
            record = self._context.services.patients.get(record.id) or record
        self.form = PatientForm(self._context, record, self)
        if record is None and self.search_edit.text().strip() and not any(
            c.isdigit() for c in self.search_edit.text()
        ):
            words = self.search_edit.text().split()
            self.form.family_edit.setText(words[0].upper())
            self.form.given_edit.setText(" ".join(words[1:]))
        self.form.saved.connect(self._after_save)
        # saved: the patient is chosen, the drugs come next (``done``); cancelled: back where the GP was
        self.form.accepted.connect(self.done.emit)
        return_focus_after(self.form, when_cancelled_only=True)
        self.form.open()
        self.form.family_edit.setFocus()
        return self.form

    def _after_save(self, record: PatientRecord) -> None:
        self.search_edit.blockSignals(True)
        self.search_edit.setText(record.family_name)
        self.search_edit.blockSignals(False)
        self.refresh()
        self.select(record)

    def focus_search(self) -> None:
        """The keyboard to the patient search, its text selected (typing replaces it)."""
        self.search_edit.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search_edit.selectAll()

    def _enter_in_search(self) -> None:
        item = self.results.currentItem()
        if item is not None:
            self._activate(item)

    def _activate(self, item: QListWidgetItem) -> None:
        self._choose(item)
        self.done.emit()

    def _choose(self, item: QListWidgetItem | None) -> None:
        """The patient of ``item`` becomes the one shown (nothing when already shown)."""
        if item is None:
            return
        record = item.data(Qt.ItemDataRole.UserRole)
        if self._current is None or record.id != self._current.id or not item.isSelected():
            self.select(record)

    def _moved_in_list(self, item: QListWidgetItem | None, _previous=None) -> None:
        if not self._filling and item is not None and self.results.hasFocus():
            self._choose(item)

    def _clicked(self, item: QListWidgetItem) -> None:
        self._choose(item)  # the first match is current before any click: no move to catch

    def eventFilter(self, watched, event) -> bool:  # Down arrow from the search box to the list
        if (watched is self.search_edit and event.type() == QEvent.Type.KeyPress
                and event.key() == Qt.Key.Key_Down and self.results.count()):
            self.results.setFocus(Qt.FocusReason.TabFocusReason)
            self._choose(self.results.currentItem() or self.results.item(0))
            return True
        return super().eventFilter(watched, event)

    @staticmethod
    def _result_text(record: PatientRecord, draft: bool = False) -> str:
        born = record.birth_date.strftime("%d/%m/%Y") if record.birth_date else "?"
        mark = "\n    ✎ " + _("ordonnance en cours") if draft else ""  # its own line: a narrow panel
        return f"{record.display_name}\n    {born} ({describe_age(record)}){mark}"

    @staticmethod
    def _summary_html(record: PatientRecord) -> str:
        from html import escape

        parts = [f"<b>{escape(record.display_name)}</b>, {SEX_LABELS[record.sex]}, {describe_age(record)}"]
        if record.ins:
            parts.append(f"NIR {escape(format_ins(record.ins))}")
        body = []
        if record.weight_kg is not None:
            body.append(f"{format_decimal(record.weight_kg)} kg")
        if record.height_cm is not None:
            body.append(f"{format_decimal(record.height_cm)} cm")
        if body:
            parts.append(" · ".join(body))
        elif record.is_child():
            parts.append(f"<span style='color:#b3261e'>{_('Poids non renseigné')}</span>")
        if record.ald:
            parts.append(f"<b>ALD</b> : {escape(record.ald_label)}")
        if record.allergies:
            parts.append(f"<span style='color:#b3261e'><b>{_('Allergies')}</b> : "
                         f"{escape(', '.join(record.allergies))}</span>")
        if record.treatments:
            parts.append(f"{_('Traitements au long cours')} : "
                         f"{escape(', '.join(t.label for t in record.treatments))}")
        if record.opposition:
            parts.append(f"<i>{_('Opposition à la consultation des délivrances')}</i>")
        return "<br>".join(parts)


def _physiology_tail(record: PatientRecord, context: Any) -> str:
    settings = getattr(context, "settings", None)
    days = getattr(settings, "creatinine_max_age_days", 365)
    lines = _physiology_html(record, days)
    return "".join(f"<br>{line}" for line in lines)


def _physiology_html(record: PatientRecord, creatinine_max_age_days: int = 365) -> list[str]:
    """Pregnancy, breastfeeding, creatinine and both clearances (formula, date), then what is
    missing (a child's weight, an elderly patient's creatinine), as the HAS asks on this screen."""
    from datetime import date
    from html import escape

    from lap_app.domain.physiology import clearances, prompts, state_summary

    state = record.physiological_state()
    shown = [line for line in state_summary(state) if not line.startswith((_("Poids"), _("Taille")))]
    out = [escape(line) for line in shown]
    out += [escape(c.text()) for c in clearances(record.birth_date, record.sex, state)]
    out += [f"<span style='color:#b3261e'>{escape(text)}</span>"
            for text in prompts(record.birth_date, state, date.today(), creatinine_max_age_days)]
    return out
