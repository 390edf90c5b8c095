"""The other ordonnances of the consultation: biology, devices, nursing, physiotherapy and
the other paramedical care, imaging, transport — one page per kind, chosen with one shortcut
each (Ctrl+Alt+letter), NABM/LPP search as fast as drug search, templates, « Renouveler ».

Everything goes through the services (``lap_app.services.care_drafting``); this widget only
shows and collects. The lines are saved as the patient's draft on every change (beside the
medicines, ``DraftingLibrary.save_care_draft``) and found again when the patient comes back or
after a restart.
"""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QPushButton,
    QSpinBox,
    QStackedWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from lap_app.domain.care import USUAL_NURSING_ACTS, ActLine, DeviceSupply, NursingLine, SessionLine
from lap_app.domain.care_text import line_wording
from lap_app.domain.errors import UserError
from lap_app.domain.kinds import OrdonnanceKind
from lap_app.domain.model import Zone
from lap_app.i18n import _
from lap_app.services.care_drafting import (
    CARE_KINDS,
    CareDraft,
    NomenclatureSearch,
    renewal_of_kind,
    template_from_lines,
    templates_for,
)
from lap_app.ui.context import AppContext
from lap_app.ui.editor.form_state import FormFields, FormState
from lap_app.ui.errors import error_text
from lap_app.ui.object_names import named
from lap_app.ui.style import set_role

log = logging.getLogger(__name__)

# One shortcut per kind (Ctrl+Alt+…): the letter a GP says (M médicaments, B biologie…).
KIND_SHORTCUTS: dict[OrdonnanceKind, str] = {
    OrdonnanceKind.MEDICAMENTS: "Ctrl+Alt+M",
    OrdonnanceKind.DISPOSITIFS: "Ctrl+Alt+D",
    OrdonnanceKind.BIOLOGIE: "Ctrl+Alt+B",
    OrdonnanceKind.SOINS_INFIRMIERS: "Ctrl+Alt+I",
    OrdonnanceKind.KINESITHERAPIE: "Ctrl+Alt+K",
    OrdonnanceKind.ORTHOPHONIE: "Ctrl+Alt+O",
    OrdonnanceKind.ORTHOPTIE: "Ctrl+Alt+Y",
    OrdonnanceKind.PODOLOGIE: "Ctrl+Alt+P",
    OrdonnanceKind.IMAGERIE: "Ctrl+Alt+R",
    OrdonnanceKind.TRANSPORT: "Ctrl+Alt+T",
}
UNITS = (("d", _("jours")), ("wk", _("semaines")), ("mo", _("mois")))


def _unit_combo() -> QComboBox:
    combo = QComboBox()
    for code, word in UNITS:
        combo.addItem(word, code)
    return combo


class CareEditor(QWidget):
    """Lines of every non-medicine kind; ``kind_requested`` asks the window to show a kind
    (``MEDICAMENTS`` goes back to the medicines editor)."""

    kind_requested = Signal(object)  # the shortcuts live on the window: a hidden tab gets no keys
    lines_changed = Signal()

    def __init__(self, context: AppContext, parent: QWidget | None = None,
                 search: NomenclatureSearch | None = None) -> None:
        super().__init__(parent)
        self._context = context
        self.draft = CareDraft()
        self.nomenclatures = search or NomenclatureSearch()
        self._patient: Any = None
        self._own_templates: list[Any] = []
        self._unsaved: dict[Any, CareDraft] = {}  # drafts the store refused, kept for this session
        self._results: list[Any] = []

        self.kind_combo = named(QComboBox(), "careKind")
        for kind in CARE_KINDS:
            self.kind_combo.addItem(f"{kind.label}   ({KIND_SHORTCUTS[kind]})", kind.value)
        self.summary_label = QLabel("")
        set_role(self.summary_label, "subtitle")
        self.message_label = QLabel("")
        self.message_label.setWordWrap(True)
        set_role(self.message_label, "error")

        # search (biology, devices)
        self.search_edit = named(QLineEdit(), "careSearch")
        self.search_edit.setPlaceholderText(_("NFS, TSH, HbA1c, bandelettes… (code ou libellé)"))
        self.results = named(QListWidget(), "careResults")
        self.fasting_check = QCheckBox(_("À jeun"))
        self.home_check = QCheckBox(_("À domicile"))
        self.urgent_check = QCheckBox(_("Urgent"))
        self.every_spin = QSpinBox(minimum=0, maximum=52)
        self.every_spin.setSpecialValueText(_("une fois"))
        self.every_unit = _unit_combo()
        self.every_unit.setCurrentIndex(1)
        self.repeat_spin = QSpinBox(minimum=0, maximum=24)
        self.repeat_spin.setSpecialValueText("—")
        self.repeat_unit = _unit_combo()
        self.repeat_unit.setCurrentIndex(2)
        self.note_edit = QLineEdit()
        self.note_edit.setPlaceholderText(_("Renseignements cliniques, consignes"))
        self.supply_combo = QComboBox()
        self.supply_combo.addItem(_("Achat"), DeviceSupply.PURCHASE.value)
        self.supply_combo.addItem(_("Location"), DeviceSupply.RENTAL.value)
        self.quantity_spin = QSpinBox(minimum=1, maximum=999, value=1)
        self.device_duration = QSpinBox(minimum=0, maximum=365)
        self.device_duration.setSpecialValueText("—")
        self.device_unit = _unit_combo()
        self.renewals_spin = QSpinBox(minimum=0, maximum=12)
        search_page = QWidget()
        search_layout = QVBoxLayout(search_page)
        search_layout.setContentsMargins(0, 0, 0, 0)
        search_layout.addWidget(self.search_edit)
        search_layout.addWidget(self.results, 1)
        self.biology_options = QWidget()
        bio = QFormLayout(self.biology_options)
        bio_flags = QHBoxLayout()
        for box in (self.fasting_check, self.urgent_check):
            bio_flags.addWidget(box)
        bio.addRow(_("Options"), bio_flags)
        every = QHBoxLayout()
        every.addWidget(QLabel(_("tous les")))
        every.addWidget(self.every_spin)
        every.addWidget(self.every_unit)
        every.addWidget(QLabel(_("pendant")))
        every.addWidget(self.repeat_spin)
        every.addWidget(self.repeat_unit)
        bio.addRow(_("Répéter"), every)
        self.device_options = QWidget()
        dev = QGridLayout(self.device_options)  # two columns: the search results keep their height
        dev.setContentsMargins(0, 0, 0, 0)
        dev.addWidget(QLabel(_("Achat ou location")), 0, 0)
        dev.addWidget(self.supply_combo, 0, 1)
        dev.addWidget(QLabel(_("Quantité")), 0, 2)
        dev.addWidget(self.quantity_spin, 0, 3)
        duration = QHBoxLayout()
        duration.addWidget(self.device_duration)
        duration.addWidget(self.device_unit)
        dev.addWidget(QLabel(_("Durée")), 1, 0)
        dev.addLayout(duration, 1, 1)
        dev.addWidget(QLabel(_("Renouvellements")), 1, 2)
        dev.addWidget(self.renewals_spin, 1, 3)
        # a pharmacy delivers medicines and devices together: one ordonnance for both
        self.with_medicines_check = named(QCheckBox(_("Sur l'ordonnance de médicaments (délivré en pharmacie)")),
                                          "devicesWithMedicines")
        dev.addWidget(self.with_medicines_check, 2, 0, 1, 4)
        search_layout.addWidget(self.biology_options)
        search_layout.addWidget(self.device_options)
        search_layout.addWidget(self.home_check)
        search_layout.addWidget(self.note_edit)

        # nursing
        nursing_page = QWidget()
        nurse = QFormLayout(nursing_page)
        self.act_combo = named(QComboBox(), "nursingAct")
        self.act_combo.setEditable(True)
        self.act_combo.setEditable(True)
        self.act_combo.addItems(list(USUAL_NURSING_ACTS))
        self.act_combo.setCurrentText("")
        self.times_spin = QSpinBox(minimum=1, maximum=12, value=1)
        self.per_combo = QComboBox()
        self.per_combo.addItem(_("par jour"), "d")
        self.per_combo.addItem(_("par semaine"), "wk")
        self.nursing_duration = QSpinBox(minimum=0, maximum=365)
        self.nursing_duration.setSpecialValueText("—")
        self.nursing_unit = _unit_combo()
        self.nursing_home = QCheckBox(_("À domicile"))
        self.sundays_check = QCheckBox(_("Dimanches et jours fériés inclus"))
        self.nursing_note = QLineEdit()
        rhythm = QHBoxLayout()
        rhythm.addWidget(self.times_spin)
        rhythm.addWidget(QLabel(_("fois")))
        rhythm.addWidget(self.per_combo)
        rhythm.addStretch(1)  # numbers at their size, not stretched across the page
        nurse_duration = QHBoxLayout()
        nurse_duration.addWidget(self.nursing_duration)
        nurse_duration.addWidget(self.nursing_unit)
        nurse_duration.addStretch(1)
        nurse.addRow(_("Soin"), self.act_combo)
        nurse.addRow(_("Fréquence"), rhythm)
        nurse.addRow(_("Durée"), nurse_duration)
        nurse.addRow("", self.nursing_home)
        nurse.addRow("", self.sundays_check)
        nurse.addRow(_("Remarque"), self.nursing_note)

        # paramedical sessions
        session_page = QWidget()
        sess = QFormLayout(session_page)
        self.care_edit = named(QLineEdit(), "sessionCare")
        self.care_edit.setPlaceholderText(_("Rééducation du rachis lombaire…"))
        self.sessions_spin = QSpinBox(minimum=0, maximum=100)
        self.sessions_spin.setSpecialValueText("—")
        self.rhythm_spin = QSpinBox(minimum=0, maximum=7)
        self.rhythm_spin.setSpecialValueText("—")
        self.session_home = QCheckBox(_("À domicile"))
        self.session_urgent = QCheckBox(_("Urgent"))
        self.session_note = QLineEdit()
        sess.addRow(_("Soins demandés"), self.care_edit)
        sess.addRow(_("Nombre de séances"), self.sessions_spin)
        sess.addRow(_("Séances par semaine"), self.rhythm_spin)
        flags = QHBoxLayout()
        flags.addWidget(self.session_home)
        flags.addWidget(self.session_urgent)
        sess.addRow("", flags)
        sess.addRow(_("Remarque"), self.session_note)

        # imaging, transport
        act_page = QWidget()
        acts = QFormLayout(act_page)
        self.act_edit = named(QLineEdit(), "actText")
        self.act_note = QLineEdit()
        self.act_urgent = QCheckBox(_("Urgent"))
        acts.addRow(_("Acte"), self.act_edit)
        acts.addRow(_("Renseignements"), self.act_note)
        acts.addRow("", self.act_urgent)
        self.paper_label = QLabel("")
        self.paper_label.setWordWrap(True)
        set_role(self.paper_label, "subtitle")
        acts.addRow(self.paper_label)

        self.pages = QStackedWidget()
        for family_page in (search_page, nursing_page, session_page, act_page):
            self.pages.addWidget(family_page)
        self._search_page, self._nursing_page, self._session_page, self._act_page = (
            search_page, nursing_page, session_page, act_page)

        self.ald_check = QCheckBox(_("En rapport avec l'ALD"))
        self.ald_check.setEnabled(False)
        self.add_button = named(QPushButton(_("Ajouter la ligne")), "careAdd")
        self.add_button.setProperty("primary", True)
        self.lines = named(QListWidget(), "careLines")
        self.lines.setWordWrap(True)  # a lab reads the whole sentence, no sideways scrolling
        self.remove_button = QPushButton(_("Retirer la ligne"))
        self.templates_button = named(QToolButton(), "careTemplates")
        self.templates_button.setText(_("Modèles"))
        self.templates_button.setText(_("Modèles"))
        self.templates_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.templates_menu = QMenu(self.templates_button)
        self.templates_button.setMenu(self.templates_menu)
        self.favourites_button = named(QToolButton(), "careFavourites")
        self.favourites_button.setText(_("Favoris"))
        self.favourites_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.favourites_menu = QMenu(self.favourites_button)
        self.favourites_button.setMenu(self.favourites_menu)
        self.renew_button = named(QPushButton(_("Renouveler")), "careRenew")
        self.validate_button = QPushButton(_("Valider la consultation (Ctrl+Entrée)"))

        top = QHBoxLayout()
        top.addWidget(QLabel(_("Ordonnance :")))
        top.addWidget(self.kind_combo, 1)
        top.addWidget(self.favourites_button)
        top.addWidget(self.templates_button)
        top.addWidget(self.renew_button)
        add_row = QHBoxLayout()
        add_row.addWidget(self.ald_check)
        add_row.addStretch(1)
        add_row.addWidget(self.add_button)
        bottom = QHBoxLayout()
        bottom.addWidget(self.remove_button)
        bottom.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.summary_label)
        layout.addWidget(self.pages, 3)
        layout.addLayout(add_row)
        layout.addWidget(self.message_label)
        self.lines_title = QLabel(_("Lignes de cette ordonnance"))
        layout.addWidget(self.lines_title)
        layout.addWidget(self.lines, 2)
        layout.addLayout(bottom)

        self.kind_combo.currentIndexChanged.connect(self._kind_changed)
        self.search_edit.textChanged.connect(self._search)
        self.search_edit.returnPressed.connect(self.add_current)
        self.results.itemActivated.connect(lambda _item: self.add_current())
        self.add_button.clicked.connect(self.add_current)
        self.remove_button.clicked.connect(self.remove_selected)
        self.templates_menu.aboutToShow.connect(self._fill_templates)
        self.favourites_menu.aboutToShow.connect(self._fill_favourites)
        self.renew_button.clicked.connect(self.renew_last)
        self.with_medicines_check.toggled.connect(lambda _on: self._refresh())
        self._kind_changed()
        self._form = FormFields(self.pages)
        self._blank_form = self._form.state()
        self._open_forms: dict[Any, FormState] = {}  # per patient: a form left half filled

    # ---- contract ---------------------------------------------------------------------------
    @property
    def kind(self) -> OrdonnanceKind:
        return OrdonnanceKind(self.kind_combo.currentData())  # Qt keeps the enum's value only

    @property
    def ordonnance_kind(self) -> OrdonnanceKind:
        """The ordonnance the lines shown go on: devices may go on the medicines ordonnance."""
        if self.kind is OrdonnanceKind.DISPOSITIFS and self.with_medicines_check.isChecked():
            return OrdonnanceKind.MEDICAMENTS
        return self.kind

    def choose_kind(self, kind: OrdonnanceKind) -> None:
        """Show ``kind`` (the window brings this editor forward; medicines go to their own)."""
        self.kind_requested.emit(kind)
        if kind is OrdonnanceKind.MEDICAMENTS:
            return
        self.kind_combo.setCurrentIndex(CARE_KINDS.index(kind))
        self._focus_first_field()

    def set_patient(self, record: Any) -> None:
        if _patient_id(record) != _patient_id(self._patient):
            self._switch_open_form(_patient_id(self._patient), _patient_id(record))
        if _patient_id(record) != _patient_id(self._patient) or record is None:
            # a new object: an ordonnance being validated keeps the one it was given
            self.draft = self._restore_draft(_patient_id(record))
        self._patient = record
        allowed = bool(getattr(record, "ald", False))
        self.ald_check.setEnabled(allowed)
        if not allowed:
            self.ald_check.setChecked(False)
            if any(line.zone is Zone.ALD for lines in self.draft.lines.values() for line in lines):
                self.draft.move_out_of_ald()
                self._save_draft()
        self._refresh()

    def clear(self, record: Any = None, kinds: Any = None) -> None:
        """Empty the lines of ``kinds`` (None: all; they were made into ordonnances);
        ``record``: the patient validated, who may no longer be the one shown — then only that
        patient's stored lines are emptied."""
        patient_id = _patient_id(record) if record is not None else _patient_id(self._patient)
        if patient_id == _patient_id(self._patient):
            self.draft.clear(kinds)
            self._save_draft()
            self._refresh()
        else:
            draft = self._unsaved.pop(patient_id, None)
            library = self._library()
            if library is None and draft is not None:  # never stored: the lines not made stay in memory
                draft.clear(kinds)
                self._unsaved[patient_id] = draft
            elif library is not None and patient_id is not None:
                try:
                    if draft is None:
                        draft = library.load_care_draft(patient_id)
                    draft.clear(kinds)
                    library.save_care_draft(patient_id, draft)
                except UserError as error:  # the lines were sent: a stale draft is a nuisance, not a loss
                    log.warning("care draft of patient %s not emptied: %s", patient_id, error)
        self.lines_changed.emit()

    # ---- the form being filled belongs to its patient --------------------------------------------
    def _switch_open_form(self, leaving: Any, coming: Any) -> None:
        """Keep what was typed for ``leaving`` (never added to the next patient's draft) and
        give ``coming`` back the form they had left."""
        if self._form.has_text():
            self._open_forms[leaving] = self._form.state()
        else:
            self._open_forms.pop(leaving, None)
        kept = self._open_forms.pop(coming, None)
        self._form.restore(kept if kept is not None else self._blank_form)
        if kept is not None:
            self.message_label.setText(_("Saisie en cours reprise : vérifiez-la puis ajoutez la ligne."))

    # ---- the draft in the local store ---------------------------------------------------------
    def _restore_draft(self, patient_id: Any) -> CareDraft:
        library = self._library()
        if patient_id in self._unsaved or library is None or patient_id is None:
            return self._unsaved.get(patient_id) or CareDraft()
        try:
            return library.load_care_draft(patient_id)
        except UserError as error:
            self.message_label.setText(_("Brouillon non repris : {message}").format(message=error_text(error)))
            return CareDraft()

    def _save_draft(self) -> None:
        """Save the shown patient's lines; a failure is said (and the lines kept), never raised."""
        library, patient_id = self._library(), _patient_id(self._patient)
        if library is None or patient_id is None:
            return
        try:
            library.save_care_draft(patient_id, self.draft)
        except UserError as error:
            log.warning("care draft of patient %s not saved: %s", patient_id, error)
            self._unsaved[patient_id] = self.draft
            self.message_label.setText(_("Brouillon non enregistré : {message}. Ne fermez pas l'application avant de "
                                         "valider l'ordonnance.").format(message=error_text(error)))
            return
        self._unsaved.pop(patient_id, None)

    # ---- adding lines -----------------------------------------------------------------------
    def _zone(self) -> Zone:
        return Zone.ALD if self.ald_check.isChecked() else Zone.HORS_ALD

    def _search(self, text: str) -> None:
        try:
            self._results = self.nomenclatures.search(self.kind, text)
        except UserError as error:
            self.message_label.setText(error.message)
            self._results = []
        self.results.clear()
        for entry in self._results:
            item = QListWidgetItem(f"{entry.code}  {entry.label}")
            if entry.closed:
                item.setForeground(Qt.GlobalColor.gray)
                item.setToolTip(_("Code fermé : il ne peut plus être prescrit"))
            self.results.addItem(item)
        if self._results:
            self.results.setCurrentRow(0)

    def add_current(self) -> None:
        """Add the line the current page describes; a French message says what is missing."""
        self.message_label.setText("")
        try:
            line = self._line_from_form()
            if line is None:
                return
            line.zone = self._zone()
            self.draft.add(self.ordonnance_kind, line)
        except UserError as error:
            self.message_label.setText(error.message)
            return
        self._reset_form()
        self._refresh()
        self._save_draft()
        self.lines_changed.emit()

    def _line_from_form(self) -> Any:
        kind = self.kind
        if kind in (OrdonnanceKind.BIOLOGIE, OrdonnanceKind.DISPOSITIFS):
            row = self.results.currentRow()
            if not self._results or row < 0:
                raise UserError(_("Cherchez d'abord l'analyse ou le dispositif (code, libellé ou abréviation)."))
            entry = self._results[row]
            if kind is OrdonnanceKind.BIOLOGIE:
                options: dict[str, Any] = dict(fasting=self.fasting_check.isChecked(), at_home=self.home_check.isChecked(),
                                               urgent=self.urgent_check.isChecked(), note=self.note_edit.text().strip())
                if self.every_spin.value():
                    options.update(every=self.every_spin.value(), every_unit=self.every_unit.currentData())
                    if self.repeat_spin.value():
                        options.update(repeat_duration=self.repeat_spin.value(),
                                       repeat_duration_unit=self.repeat_unit.currentData())
            else:
                options = dict(supply=DeviceSupply(self.supply_combo.currentData()), quantity=self.quantity_spin.value(),
                               renewals=self.renewals_spin.value(), instructions=self.note_edit.text().strip())
                if self.device_duration.value():
                    options.update(duration=self.device_duration.value(), duration_unit=self.device_unit.currentData())
            return self.nomenclatures.line_for(kind, entry, **options)
        if kind is OrdonnanceKind.SOINS_INFIRMIERS:
            act = self.act_combo.currentText().strip()
            if not act:
                raise UserError(_("Indiquez le soin infirmier à réaliser."))
            if not self.nursing_duration.value():
                raise UserError(_("Indiquez la durée des soins infirmiers."))
            return NursingLine(act, times=self.times_spin.value(), per=self.per_combo.currentData(),
                               duration=self.nursing_duration.value(), duration_unit=self.nursing_unit.currentData(),
                               at_home=self.nursing_home.isChecked(), sundays_and_holidays=self.sundays_check.isChecked(),
                               note=self.nursing_note.text().strip())
        if kind.is_paramedical_sessions:
            care = self.care_edit.text().strip()
            if not care:
                raise UserError(_("Indiquez les soins demandés (rééducation de…)."))
            if not self.sessions_spin.value():
                raise UserError(_("Indiquez le nombre de séances."))
            return SessionLine(care, sessions=self.sessions_spin.value(), rhythm=self.rhythm_spin.value() or None,
                               at_home=self.session_home.isChecked(), urgent=self.session_urgent.isChecked(),
                               note=self.session_note.text().strip())
        text = self.act_edit.text().strip()
        if not text:
            raise UserError(_("Indiquez l'acte prescrit."))
        return ActLine(text, note=self.act_note.text().strip(), urgent=self.act_urgent.isChecked())

    def _reset_form(self) -> None:
        for edit in (self.search_edit, self.note_edit, self.care_edit, self.session_note, self.act_edit,
                     self.act_note, self.nursing_note):
            edit.clear()
        self.act_combo.setCurrentText("")
        self._focus_first_field()

    def remove_selected(self) -> None:
        row = self.lines.currentRow()
        if row >= 0:
            self.draft.remove(self.ordonnance_kind, row)
            self._refresh()
            self._save_draft()
            self.lines_changed.emit()

    def add_lines(self, kind: OrdonnanceKind, lines: list[Any]) -> None:
        for line in lines:
            if not self.ald_check.isEnabled():
                line.zone = Zone.HORS_ALD
            self.draft.add(kind, line)
        if kind is not OrdonnanceKind.MEDICAMENTS:  # (devices of the medicines ordonnance: shown here)
            self.choose_kind(kind)
        self._refresh()
        self._save_draft()
        self.lines_changed.emit()

    # ---- templates, renewal -----------------------------------------------------------------
    def _fill_templates(self) -> None:
        self.templates_menu.clear()
        for template in templates_for(self.kind, self._stored_templates()):
            action = self.templates_menu.addAction(template.label)
            action.triggered.connect(lambda _c=False, t=template: self.apply_template(t))
        self.templates_menu.addSeparator()
        save = self.templates_menu.addAction(_("Enregistrer ces lignes comme modèle…"))
        save.triggered.connect(self._ask_template_name)

    def _fill_favourites(self) -> None:
        self.favourites_menu.clear()
        for favourite in self.favourites():
            action = self.favourites_menu.addAction(favourite.name)
            action.triggered.connect(lambda _c=False, f=favourite: self.apply_favourite(f))
        self.favourites_menu.addSeparator()
        add = self.favourites_menu.addAction(_("Ajouter la ligne sélectionnée aux favoris"))
        add.triggered.connect(self.add_selected_to_favourites)

    def favourites(self) -> list[Any]:
        """The physician's favourite lines of the kind shown (one line each)."""
        library = self._library()
        if library is None:
            return []
        try:
            return list(library.care_favourites(self.kind))
        except UserError as error:
            self.message_label.setText(error.message)
            return []

    def apply_favourite(self, favourite: Any) -> None:
        line = favourite.make_line()
        line.zone = self._zone() if self.ald_check.isEnabled() else Zone.HORS_ALD
        self.add_lines(self.ordonnance_kind, [line])

    def add_selected_to_favourites(self) -> None:
        row, library = self.lines.currentRow(), self._library()
        lines = self.draft.lines[self.ordonnance_kind]
        if row < 0 or row >= len(lines):
            self.message_label.setText(_("Sélectionnez d'abord la ligne à garder en favori."))
            return
        if library is None:
            self.message_label.setText(_("Favoris indisponibles sans base locale."))
            return
        try:
            favourite = library.add_care_favourite(self.kind, lines[row])
        except UserError as error:
            self.message_label.setText(error.message)
            return
        self.message_label.setText(_("Ajoutée aux favoris : {name}").format(name=favourite.name))

    def apply_template(self, template: Any) -> None:
        self.add_lines(template.kind, template.make_lines())

    def _library(self) -> Any:
        return getattr(getattr(self._context, "services", None), "drafting", None)

    def _stored_templates(self) -> list[Any]:
        library = self._library()
        if library is None:
            return list(self._own_templates)
        try:
            return [*library.care_templates(), *self._own_templates]
        except UserError as error:
            self.message_label.setText(error.message)
            return list(self._own_templates)

    def save_template(self, name: str) -> None:
        """Kept in the local store (this session only when there is none)."""
        lines = self.draft.lines[self.kind]
        try:
            library = self._library()
            if library is not None:
                library.save_care_template(name, self.kind, lines)
            else:
                self._own_templates.append(template_from_lines(name, self.kind, lines))
        except UserError as error:
            self.message_label.setText(error.message)

    def _ask_template_name(self) -> None:
        name, ok = QInputDialog.getText(self, _("Modèle"), _("Nom du modèle :"))
        if ok:
            self.save_template(name)

    def renew_last(self) -> None:
        """Renew the patient's last ordonnance of the kind shown."""
        prescribing = self._context.services.prescribing
        if self._patient is None:
            self.message_label.setText(_("Historique indisponible : renouvellement impossible."))
            return
        from lap_app.ui.workers import run_task

        record, patient, kind = self._patient, self._patient.to_patient(), self.kind
        self._renewal_task = run_task(lambda: prescribing.history(patient),
                                      on_done=lambda entries: self._renew_from(record, kind, entries),
                                      on_error=lambda error: self.message_label.setText(str(error)))

    def _renew_from(self, record: Any, kind: OrdonnanceKind, entries: list[Any]) -> None:
        if record is not self._patient:
            return
        lines = renewal_of_kind(entries, kind)
        if not lines:
            self.message_label.setText(_("Pas d'ordonnance « {kind} » précédente à renouveler.").format(kind=kind.label))
            return
        self.add_lines(kind, lines)

    # ---- display ------------------------------------------------------------------------------
    def _kind_changed(self) -> None:
        kind = self.kind
        if kind in (OrdonnanceKind.BIOLOGIE, OrdonnanceKind.DISPOSITIFS):
            self.pages.setCurrentWidget(self._search_page)
            self.biology_options.setVisible(kind is OrdonnanceKind.BIOLOGIE)
            self.device_options.setVisible(kind is OrdonnanceKind.DISPOSITIFS)
            self.home_check.setVisible(kind is OrdonnanceKind.BIOLOGIE)
            self._search(self.search_edit.text())
        elif kind is OrdonnanceKind.SOINS_INFIRMIERS:
            self.pages.setCurrentWidget(self._nursing_page)
        elif kind.is_paramedical_sessions:
            self.pages.setCurrentWidget(self._session_page)
        else:
            self.pages.setCurrentWidget(self._act_page)
            self.paper_label.setText(_("Imprimée seulement : hors ordonnance numérique, sans numéro ni QR code."))
        self.message_label.setText("")
        self._refresh()

    def _focus_first_field(self) -> None:
        page = self.pages.currentWidget()
        first: QWidget = {self._search_page: self.search_edit, self._nursing_page: self.act_combo,
                          self._session_page: self.care_edit}.get(page, self.act_edit) if page else self.act_edit
        first.setFocus()

    def _refresh(self) -> None:
        self.lines.clear()
        for index, line in enumerate(self.draft.lines[self.ordonnance_kind]):
            zone = "  [ALD]" if line.zone is Zone.ALD else ""
            self.lines.addItem(f"{index + 1}. {line_wording(line).text()}{zone}")
        parts = [f"{_ordonnance_title(kind)} ({len(self.draft.lines[kind])})" for kind in self.draft.kinds_with_lines()]
        self.summary_label.setText(_("Autres ordonnances de la consultation : {list}").format(list=", ".join(parts))
                                   if parts else _("Aucune autre ordonnance dans cette consultation."))
        self.remove_button.setEnabled(bool(self.draft.lines[self.ordonnance_kind]))
        self.lines_title.setText(_("Dispositifs de l'ordonnance de médicaments")
                                 if self.ordonnance_kind is OrdonnanceKind.MEDICAMENTS else _("Lignes de cette ordonnance"))


def _ordonnance_title(kind: OrdonnanceKind) -> str:
    return _("Dispositifs avec les médicaments") if kind is OrdonnanceKind.MEDICAMENTS else kind.label


def _patient_id(record: Any) -> Any:
    return getattr(record, "id", None)
