"""The prescription editor: drug search, line editor, the lines, favourites and templates, alerts.

Contract with the main window: ``set_patient(record)``, ``draft_lines()``, ``clear(record=None)``,
``load_lines(lines)`` (renewal: replaces the draft with fresh copies), signal
``validate_requested()`` (Ctrl+Enter or the button), ``alerts_panel()`` (the ``AlertsPanel``,
laid out on the right until the window places it elsewhere). Each patient keeps their own
draft while the physician switches between patients, saved in the local store on every change
to its lines (``DraftingLibrary.save_draft``) and found again after a restart or a crash;
``clear()`` (after validation, or abandoning it) deletes it. Alerts are recomputed on every
change. The drug base's interaction index is loaded in a worker thread shortly after the editor
is created, so the first check of the session does not pay for it in the GUI thread.
"""

from __future__ import annotations

import logging
from functools import partial
from html import escape
from typing import Any

from PySide6.QtCore import QEvent, QObject, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QMenu,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QSplitter,
    QStackedWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from lap_app.domain.errors import UserError
from lap_app.domain.model import PrescriptionLine
from lap_app.i18n import _, ngettext
from lap_app.services.drafting import (
    Draft,
    DraftingLibrary,
    OpenLine,
    adopt_interaction_index,
    draft_alerts,
    fresh_copies,
    last_renewable,
    line_for_drug,
    load_interaction_index,
    renewal_lines,
)
from lap_app.ui.alerts import AlertsPanel
from lap_app.ui.context import AppContext
from lap_app.ui.editor.drug_search import DrugSearch
from lap_app.ui.editor.line_editor import LineEditor
from lap_app.ui.editor.lines_view import LinesView
from lap_app.ui.focus import return_focus_after
from lap_app.ui.object_names import named
from lap_app.ui.style import set_role
from lap_app.ui.transient_label import TransientLabel

log = logging.getLogger(__name__)

# The interaction index is loaded off the GUI thread once start-up is over (not on its path).
WARM_UP_DELAY_MS = 400
MIN_SCROLLED_HEIGHT = 220  # search box, a few results and the line editor's first rows
NOTICE_STYLE = ("background:#eef5f8; border:1px solid #c9dde6; border-radius:4px; padding:5px 8px;"
                " color:#22313f;")


class VerticalScrollArea(QScrollArea):
    """Scrolls up and down only: as wide as its content needs (with room for the scroll bar),
    ``MIN_SCROLLED_HEIGHT`` tall at least, whatever the content."""

    def setWidget(self, widget: QWidget) -> None:
        super().setWidget(widget)
        widget.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.widget() and event.type() == QEvent.Type.LayoutRequest:
            self.updateGeometry()  # the content's minimum width is ours: tell the layouts above
        return super().eventFilter(watched, event)

    def minimumSizeHint(self) -> QSize:
        content = self.widget()
        width = content.minimumSizeHint().width() if content is not None else 0
        return QSize(width + self.verticalScrollBar().sizeHint().width() + 2 * self.frameWidth(),
                     MIN_SCROLLED_HEIGHT)

    def sizeHint(self) -> QSize:
        content = self.widget()
        hint = content.sizeHint() if content is not None else QSize()
        return QSize(max(hint.width(), self.minimumSizeHint().width()), max(hint.height(), MIN_SCROLLED_HEIGHT))


class ScrolledColumn(QWidget):
    """The content of ``VerticalScrollArea``: a column whose elastic views (the results, the
    lines) count at their minimum height. With word-wrapped labels inside, the scroll area sizes
    its content by ``heightForWidth``, which counts them at their preferred height: it would
    scroll a short screen by far more than it lacks."""

    def __init__(self, elastic: tuple[QWidget, ...], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._elastic = elastic

    def heightForWidth(self, width: int) -> int:
        slack = sum(max(0, view.sizeHint().height() - view.minimumSizeHint().height())
                    for view in self._elastic if view.isVisible())
        return max(self.minimumSizeHint().height(), super().heightForWidth(width) - slack)


class PrescriptionEditor(QWidget):
    validate_requested = Signal()
    lines_changed = Signal()

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("prescriptionEditor")
        self._context = context
        self._patient: Any = None
        self._drafts: dict[Any, Draft] = {}
        self.draft = Draft()
        self._editing_index: int | None = None

        self.patient_label = named(QLabel(wordWrap=True), "editorPatient")
        self.patient_label.setTextFormat(Qt.TextFormat.RichText)
        self.search = DrugSearch(context.drugs, edit_apart=True)
        self.line_editor = LineEditor()
        self.lines_view = LinesView(buttons_apart=True)
        self._alerts = AlertsPanel()
        self.favourites_button = named(QToolButton(), "favourites")
        self.favourites_button.setText(_("Favoris"))
        self.favourites_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.favourites_menu = QMenu(self.favourites_button)
        self.favourites_button.setMenu(self.favourites_menu)
        self.templates_button = named(QToolButton(), "templates")
        self.templates_button.setText(_("Modèles"))
        self.templates_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.templates_menu = QMenu(self.templates_button)
        self.templates_button.setMenu(self.templates_menu)
        self.renew_button = named(QPushButton(_("&Renouveler la dernière ordonnance")), "renewLast")
        self.renew_button.setToolTip("Ctrl+R")
        self.validate_button = named(QPushButton(_("&Valider l'ordonnance")), "validateOrdonnance")
        self.validate_button.setProperty("primary", "true")
        self.validate_button.setToolTip(_("Ctrl+Entrée"))
        self.message_label = named(TransientLabel(wordWrap=True), "editorMessage")
        self.message_label.setProperty("role", "subtitle")
        self.message_label.setVisible(False)
        # calm notices that stay until the next patient (draft restored, ALD lines moved...)
        self.notice_label = named(QLabel(wordWrap=True), "editorNotice")
        self.notice_label.setStyleSheet(NOTICE_STYLE)
        self.notice_label.setVisible(False)
        self.confirm_box: QMessageBox | None = None
        self.warm_task: Any = None
        self._save_failed = False
        self._open_line_stored = False  # the line open was read from the store: its copy goes with it

        tools = QHBoxLayout()
        tools.addWidget(self.patient_label, 1)
        tools.addWidget(self.favourites_button)
        tools.addWidget(self.templates_button)
        tools.addWidget(self.renew_button)
        # The drug results and the line being written take turns in one place under the search
        # box: the results get the height of the whole form (a dozen rows and more on a 1366 × 768
        # laptop), the form is never shown empty and greyed. Choosing a drug opens its line;
        # adding or cancelling it brings the results back. Typing a search while a line is open
        # shows the results and says the line waits (Échap goes back to it).
        self.workspace = named(QStackedWidget(), "editorWorkspace")
        self.workspace.addWidget(self.search)
        self.workspace.addWidget(self.line_editor)
        self.waiting_line_label = named(QLabel(wordWrap=True), "waitingLine")
        self.waiting_line_label.setStyleSheet(NOTICE_STYLE)
        self.waiting_line_label.setVisible(False)
        # The search, the line being written and the lines scroll when the screen is short (a
        # 1366 × 768 laptop with a line open and a notice); the patient, the notice and the
        # "Valider" row stay in view.
        middle = ScrolledColumn((self.workspace, self.lines_view))
        middle.setObjectName("editorMiddle")
        middle_layout = QVBoxLayout(middle)
        middle_layout.setContentsMargins(0, 0, 0, 0)
        middle_layout.addWidget(self.search.edit)
        middle_layout.addWidget(self.waiting_line_label)
        middle_layout.addWidget(self.workspace, 1)
        middle_layout.addWidget(self.lines_view)
        self.scroll_area = named(VerticalScrollArea(), "editorScroll")
        self.scroll_area.setWidget(middle)
        self.scroll_area.setWidgetResizable(True)
        self.scroll_area.setFrameShape(QFrame.Shape.NoFrame)
        self.scroll_area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.scroll_area.setStyleSheet(  # the window's background shows through, as without it
            "QScrollArea#editorScroll, QScrollArea#editorScroll > QWidget#qt_scrollarea_viewport,"
            " QWidget#editorMiddle { background: transparent; }")
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addLayout(tools)
        left_layout.addWidget(self.notice_label)
        left_layout.addWidget(self.scroll_area, 1)
        # the lines' buttons share the « Valider » row, and a message has a row only while it is
        # said: the height goes to the drug results
        left_layout.addWidget(self.message_label)
        bottom = QHBoxLayout()
        bottom.addWidget(self.lines_view.buttons_bar, 1)
        bottom.addWidget(self.validate_button)
        left_layout.addLayout(bottom)
        self._splitter = QSplitter(Qt.Orientation.Horizontal)
        self._splitter.addWidget(left)
        self._splitter.addWidget(self._alerts)
        self._splitter.setStretchFactor(0, 3)
        self._splitter.setStretchFactor(1, 1)
        self._splitter.setChildrenCollapsible(False)
        self._alerts.setMinimumWidth(280)
        self._splitter.setSizes([900, 340])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self._splitter)

        self.search.drug_chosen.connect(self._drug_chosen)
        self.search.edit.textEdited.connect(self._typed_in_search)
        self.search.on_escape = self._back_to_line  # not a shortcut: the line's own Échap would be ambiguous
        self.line_editor.committed.connect(self._line_committed)
        self.line_editor.cancelled.connect(self._line_cancelled)
        self.lines_view.edit_requested.connect(self.edit_line)
        self.lines_view.remove_requested.connect(self.remove_line)
        self.lines_view.move_requested.connect(self.move_line)
        self.lines_view.favourite_requested.connect(self.add_favourite)
        self.favourites_menu.aboutToShow.connect(self._fill_favourites_menu)
        self.templates_menu.aboutToShow.connect(self._fill_templates_menu)
        self.renew_button.clicked.connect(self.renew_last)
        self.validate_button.clicked.connect(self._request_validation)
        # window-wide: the GP has just picked a patient on the left (Ctrl+F), ticked a
        # contre-indication in the alerts panel (Ctrl+Entrée) or looked at the history (Ctrl+R),
        # all outside the editor
        for sequence, slot in (("Ctrl+Return", self._request_validation), ("Ctrl+Enter", self._request_validation),
                               ("Ctrl+F", self.focus_search), ("Ctrl+R", self._renew_shortcut)):
            QShortcut(QKeySequence(sequence), self, slot, context=Qt.ShortcutContext.WindowShortcut)
        self.set_patient(None)
        QTimer.singleShot(WARM_UP_DELAY_MS, self, self._warm_interactions)

    # ---- contract -----------------------------------------------------------------------------

    def alerts_panel(self) -> AlertsPanel:
        return self._alerts

    def set_patient(self, record: Any) -> None:
        """Show ``record``'s draft (each patient keeps theirs, restored from the local store
        after a restart) and recompute the alerts. A patient whose ALD was taken off gets their
        ALD lines moved back to the "hors ALD" zone, with a notice. A line left open stays with
        the draft it was written in and opens again with it (the keyboard stays where it is: the
        physician may be going down the patient list)."""
        self.keep_open_line()
        self._close_line()
        self._editing_index = None
        self._patient = record
        notices: list[str] = []
        key = getattr(record, "id", None) if record is not None else None
        if record is None:
            self.draft = Draft()
        else:
            if key not in self._drafts:
                self._drafts[key] = self._restore_draft(key, notices)
            self.draft = self._drafts[key]
        self.line_editor.set_ald_allowed(bool(getattr(record, "ald", False)))
        self.line_editor.set_patient_age(record.age_years() if record is not None else None)
        self.patient_label.setText(self._patient_html(record))
        enabled = record is not None
        for widget in (self.search, self.search.edit, self.lines_view, self.favourites_button, self.templates_button,
                       self.renew_button):
            widget.setEnabled(enabled)
        moved = self.draft.move_out_of_ald() if record is not None and not record.ald else []
        if moved:
            notices.append(ngettext(
                "Le patient n'est plus en ALD : {n} ligne a été replacée hors ALD ({names}). Vérifiez l'ordonnance.",
                "Le patient n'est plus en ALD : {n} lignes ont été replacées hors ALD ({names}). "
                "Vérifiez l'ordonnance.", len(moved),
            ).format(n=len(moved), names=", ".join(line.dci_wording.split(",")[0] for line in moved)))
        self._save_failed = False
        self._refresh(persist=bool(moved))
        self._reopen_line(notices)
        if not self._save_failed:
            self.show_notice(" ".join(notices))

    def keep_open_line(self) -> None:
        """Put the line being written (if any) into the shown patient's draft, in memory and in
        the local store, before the editor moves to another patient or the window closes."""
        if self._patient is None or not self.line_editor.isEnabled():
            return
        self.draft.open_line = OpenLine(self.line_editor.line(), editing=self.line_editor.editing)
        self._save_open_line(self.draft.open_line)
        self._open_line_stored = False  # the copy is the draft's now, not the editor's to drop

    def has_open_line(self) -> bool:
        return self.line_editor.isEnabled()

    def _reopen_line(self, notices: list[str]) -> None:
        """The line the physician left open in this draft, back in the line editor."""
        open_line, self.draft.open_line = self.draft.open_line, None
        if open_line is None:
            return
        self._open_line_stored = True  # until it is added or cancelled
        self._editing_index = open_line.index_in(self.draft.lines)
        self.line_editor.load(open_line.line, editing=self._editing_index is not None, focus=False)
        self._show_line_editor()
        notices.append(_("Ligne en cours reprise : {name}. Entrée l'ajoute, Échap l'annule.")
                       .format(name=open_line.line.dci_wording))

    def resume(self) -> None:
        """The patient chosen (Entrée): the keyboard to the line left open, else to the drug search."""
        if self.isVisible() and self.line_editor.isEnabled() and self.workspace.currentWidget() is self.line_editor:
            self.line_editor.focus_line()
        else:
            self.focus_search()

    def show_notice(self, text: str) -> None:
        """A calm notice above the search (empty text hides it)."""
        self.notice_label.setText(text)
        self.notice_label.setVisible(bool(text))

    def draft_lines(self) -> list[PrescriptionLine]:
        return list(self.draft.lines)

    def clear(self, record: Any = None) -> None:
        """Empty a patient's draft (after validation, or when abandoning it); its saved copy goes too.

        ``record``: whose draft (default: the patient shown). Validation passes the patient it
        signed for: the physician may have moved to another patient meanwhile."""
        key = getattr(record, "id", None)
        if record is not None and key != getattr(self._patient, "id", None):
            self._forget_draft(key)
            return
        self.draft.clear()
        self._close_line()
        self._editing_index = None
        self.search.edit.clear()
        self._refresh()
        if not self._save_failed:
            self.show_notice("")

    def _forget_draft(self, patient_id: Any) -> None:
        """Drop the draft of a patient not shown (kept in memory and in the local store)."""
        self._drafts.pop(patient_id, None)
        library = self._library()
        if patient_id is not None:
            try:
                library.save_draft(patient_id, [])  # the medicines only: the other kinds' lines stay
            except UserError as error:  # the lines were signed: a stale draft is a nuisance, not a loss
                log.warning("draft of patient %s not deleted: %s", patient_id, error)
        self.lines_changed.emit()  # the patient list's draft marks

    def renew_with(self, lines: list[PrescriptionLine]) -> bool:
        """Renewal: the draft becomes copies of ``lines``. An ordonnance already being written is
        not thrown away silently, nor a line still open (not added): the physician confirms that
        the renewal replaces them, in Ctrl+N's words when only the open line would go."""
        current = len(self.draft.lines)
        question = ngettext("L'ordonnance en cours a {n} ligne. La remplacer par l'ordonnance renouvelée ?",
                            "L'ordonnance en cours a {n} lignes. La remplacer par l'ordonnance renouvelée ?",
                            current).format(n=current) if current else _("Abandonner l'ordonnance en cours ?")
        if (current or self.has_open_line()) and not self._confirm(_("Renouveler"), question, _("Remplacer")):
            self.message_label.setText(_("Renouvellement annulé : l'ordonnance en cours est gardée."))
            return False
        self.load_lines(lines)
        return True

    def load_lines(self, lines: list[PrescriptionLine]) -> None:
        """Replace the draft with copies of ``lines`` (renewal of a previous ordonnance)."""
        self.draft.lines[:] = fresh_copies(lines)
        self._close_line()
        self._editing_index = None
        self._refresh()
        self.message_label.setText(_("{n} ligne(s) reprise(s) : vérifiez-les avant de valider.").format(n=len(lines)))

    # ---- lines --------------------------------------------------------------------------------

    def add_line(self, line: PrescriptionLine) -> None:
        self.draft.add(line)
        self._refresh()

    def edit_line(self, index: int) -> None:
        self._editing_index = index
        self.line_editor.load(self.draft.lines[index], editing=True)
        self._show_line_editor()

    def _show_line_editor(self) -> None:
        """The line in place of the results. On a short screen the middle scrolls: bring the
        whole line into view (once the layout has taken the drug's name and the hints into account)."""
        self.workspace.setCurrentWidget(self.line_editor)
        self.waiting_line_label.setVisible(False)
        QTimer.singleShot(0, self, lambda: self.scroll_area.ensureWidgetVisible(self.line_editor, 0, 0))

    def _show_search(self) -> None:
        """The results in place of the line; a line still open is said to wait."""
        self.workspace.setCurrentWidget(self.search)
        waiting = self.line_editor.isEnabled()
        if waiting:
            self.waiting_line_label.setText(
                _("Ligne en cours non ajoutée : {name}. Échap pour y revenir, ou choisissez un autre "
                  "médicament pour la remplacer.").format(name=self.line_editor.drug_label.text()))
        self.waiting_line_label.setVisible(waiting)
        QTimer.singleShot(0, self, lambda: self.scroll_area.ensureWidgetVisible(self.search.edit, 0, 0))

    def _close_line(self) -> None:
        """No line open any more (another patient, the draft replaced or cleared): the results back."""
        self._forget_open_line()
        self.line_editor.reset()
        self.workspace.setCurrentWidget(self.search)
        self.waiting_line_label.setVisible(False)

    def _typed_in_search(self, _text: str) -> None:
        if self.workspace.currentWidget() is not self.search:
            self._show_search()

    def _back_to_line(self) -> bool:
        """Échap in the search box while a line waits: back to it (True: the key was used)."""
        if not self.line_editor.isEnabled():
            return False
        self._show_line_editor()
        self.line_editor.focus_line()
        return True

    def remove_line(self, index: int) -> None:
        removed = self.draft.remove(index)
        if self._editing_index is not None:
            self._close_line()
            self._editing_index = None
        self._refresh(current=min(index, len(self.draft.lines) - 1))
        self.message_label.setText(_("Ligne retirée : {name}").format(name=removed.dci_wording))

    def move_line(self, index: int, delta: int) -> None:
        target = self.draft.move(index, delta)
        self._refresh(current=target)

    def _drug_chosen(self, drug: Any) -> None:
        if self._patient is None:
            return
        self._editing_index = None
        self.line_editor.load(line_for_drug(drug))
        self._show_line_editor()

    def _line_committed(self, line: PrescriptionLine) -> None:
        self._forget_open_line()
        if self._editing_index is not None:
            self.draft.replace(self._editing_index, line)
            current = self._editing_index
            self._editing_index = None
        else:
            current = self.draft.add(line)
        self._refresh(current=current)
        self.search.edit.clear()
        self.search.edit.setFocus()
        self._show_search()

    def _line_cancelled(self) -> None:
        self._forget_open_line()
        self._editing_index = None
        if self.message_label.property("role") == "error":  # the refusal was about that line
            self.message_label.setText("")
            set_role(self.message_label, "subtitle")
        self.search.edit.setFocus()
        self._show_search()

    def focus_search(self) -> None:
        """Ctrl+F: the keyboard to the drug search, its text selected (typing replaces it)."""
        if self.isVisible() and self.search.isEnabled():  # never into a locked or patient-less editor
            self.search.edit.setFocus(Qt.FocusReason.ShortcutFocusReason)
            self.search.edit.selectAll()
            self._show_search()

    def _request_validation(self) -> None:
        if not self.isVisible():  # the session is locked: the hidden draft is not signed
            return
        if self.line_editor.isEnabled():  # said on the line itself, where the GP is typing
            text = _("Ajoutez ou annulez la ligne en cours avant de valider : Entrée l'ajoute, Échap l'annule.")
            self.line_editor.show_problem(text)
            self.message_label.setText(text)
            set_role(self.message_label, "error")
            self.line_editor.focus_line()
            self._show_line_editor()
            return
        if not self.draft.lines or self._patient is None:
            self.message_label.setText(_("Ajoutez au moins une ligne avant de valider."))
            return
        # an unticked CI stops the validation: the keyboard lands on its box (Space, Ctrl+Entrée)
        self._alerts.focus_first_unacknowledged()
        self.validate_requested.emit()

    # ---- favourites, templates, renewal -------------------------------------------------------

    def _library(self) -> DraftingLibrary:
        return self._context.services.drafting

    def add_favourite(self, index: int) -> None:
        library = self._library()
        favourite = library.add_favourite(self.draft.lines[index])
        self.message_label.setText(_("Ajouté aux favoris : {name}").format(name=favourite.name))

    def add_from_favourite(self, favourite: Any) -> None:
        self.add_line(fresh_copies([favourite.line])[0])

    def save_template(self, name: str) -> None:
        library = self._library()
        try:
            template = library.save_template(name, self.draft.lines)
        except UserError as error:
            self.message_label.setText(error.message)
            return
        self.message_label.setText(_("Modèle enregistré : {name}").format(name=template.name))

    def apply_template(self, template: Any) -> None:
        for line in fresh_copies(template.lines):
            self.draft.add(line)
        self._refresh()

    def remove_favourite(self, favourite: Any) -> bool:
        """Remove a favourite after the physician confirms; True when removed."""
        library = self._library()
        if not self._confirm(
            _("Retirer un favori"), _("Retirer « {name} » des favoris ?").format(name=favourite.name)
        ):
            return False
        try:
            library.remove_favourite(favourite.id)
        except UserError as error:
            self.message_label.setText(_("Favori non retiré : {message}").format(message=error.message))
            return False
        self.message_label.setText(_("Favori retiré : {name}").format(name=favourite.name))
        return True

    def remove_template(self, template: Any) -> bool:
        """Delete an ordonnance template after the physician confirms; True when deleted."""
        library = self._library()
        if not self._confirm(
            _("Supprimer un modèle"), _("Supprimer le modèle d'ordonnance « {name} » ?").format(name=template.name)
        ):
            return False
        try:
            library.remove_template(template.id)
        except UserError as error:
            self.message_label.setText(_("Modèle non supprimé : {message}").format(message=error.message))
            return False
        self.message_label.setText(_("Modèle supprimé : {name}").format(name=template.name))
        return True

    def _confirm(self, title: str, text: str, action: str | None = None) -> bool:
        """Ask before deleting or replacing (kept as ``confirm_box`` for tests); "Annuler" is the
        default button."""
        box = QMessageBox(QMessageBox.Icon.Question, title, text,
                          QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel, self)
        box.button(QMessageBox.StandardButton.Yes).setText(action or _("Supprimer"))
        box.button(QMessageBox.StandardButton.Cancel).setText(_("Annuler"))
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        return_focus_after(box)
        self.confirm_box = box
        try:
            return box.exec() == QMessageBox.StandardButton.Yes
        finally:
            self.confirm_box = None
            box.deleteLater()

    def _fill_favourites_menu(self) -> None:
        self.favourites_menu.clear()
        library = self._library()
        favourites = library.favourites()
        for favourite in favourites:
            self.favourites_menu.addAction(favourite.name, partial(self.add_from_favourite, favourite))
        if not favourites:
            action = self.favourites_menu.addAction(_("Aucun favori : ★ sur une ligne pour l'ajouter"))
            action.setEnabled(False)
            return
        self.favourites_menu.addSeparator()
        removal = self.favourites_menu.addMenu(_("Retirer un favori"))
        removal.setObjectName("removeFavourite")
        for favourite in favourites:
            removal.addAction(favourite.name, partial(self.remove_favourite, favourite))

    def _fill_templates_menu(self) -> None:
        self.templates_menu.clear()
        library = self._library()
        templates = library.templates()
        for template in templates:
            self.templates_menu.addAction(template.name, partial(self.apply_template, template))
        self.templates_menu.addSeparator()
        save = self.templates_menu.addAction(_("Enregistrer l'ordonnance comme modèle…"), self._ask_template_name)
        save.setEnabled(bool(self.draft.lines))
        if templates:
            removal = self.templates_menu.addMenu(_("Supprimer un modèle"))
            removal.setObjectName("removeTemplate")
            for template in templates:
                removal.addAction(template.name, partial(self.remove_template, template))

    def _ask_template_name(self) -> None:
        name, ok = QInputDialog.getText(self, _("Modèle d'ordonnance"), _("Nom du modèle :"))
        if ok:
            self.save_template(name)

    def _renew_shortcut(self) -> None:
        if self.isVisible() and self.renew_button.isEnabled():  # not while locked or already renewing
            self.renew_last()

    def renew_last(self) -> None:
        """Renew the patient's last ordonnance in one action (Ctrl+R).

        The history is read by the prescribing service off the GUI thread (it may wait for a
        lock held by a network call); the lines land in the draft when it answers.
        """
        prescribing = self._context.services.prescribing
        if self._patient is None:
            self.message_label.setText(_("Historique indisponible : renouvellement impossible."))
            return
        from lap_app.ui.workers import run_task

        record, patient = self._patient, self._patient.to_patient()
        self.renew_button.setEnabled(False)
        self.message_label.setText(_("Recherche de la dernière ordonnance…"))
        self._renewal_task = run_task(
            lambda: prescribing.history(patient),
            on_done=lambda entries: self._renew_from(record, entries),
            on_error=lambda error: self._renew_failed(record, error),
        )

    def _renew_from(self, record: Any, entries: list) -> None:
        self.renew_button.setEnabled(self._patient is not None)
        if record is not self._patient:  # the physician moved to another patient meanwhile
            return
        previous = last_renewable(entries)
        if previous is None:
            self.message_label.setText(_("Pas d'ordonnance précédente à renouveler pour ce patient."))
            return
        self.renew_with(renewal_lines(previous))

    def _renew_failed(self, record: Any, error: BaseException) -> None:
        self.renew_button.setEnabled(self._patient is not None)
        if record is self._patient:
            from lap_app.ui.errors import error_text

            self.message_label.setText(_("Renouvellement impossible : {message}").format(message=error_text(error)))

    # ---- display ------------------------------------------------------------------------------

    def _refresh(self, current: int | None = None, persist: bool = True) -> None:
        """Show the lines and their alerts; ``persist``: the lines changed, save the draft."""
        self.lines_view.show_lines(self.draft.lines, current)
        patient = self._patient
        alerts = draft_alerts(
            self._context.drugs, self.draft.lines,
            current_cis=patient.treatment_cis if patient is not None else (),
            allergies=patient.allergies if patient is not None else (),
        ) if patient is not None else []
        self._alerts.set_alerts(alerts)
        self.validate_button.setEnabled(bool(self.draft.lines) and patient is not None)
        self.message_label.setText("")
        set_role(self.message_label, "subtitle")
        if persist:
            self._save_draft()
        self.lines_changed.emit()

    # ---- the draft in the local store ---------------------------------------------------------

    def _restore_draft(self, patient_id: Any, notices: list[str]) -> Draft:
        library = self._library()
        if patient_id is None:
            return Draft()
        try:
            lines = library.load_draft(patient_id)
            open_line = library.load_open_line(patient_id)
        except UserError as error:
            from lap_app.ui.errors import error_text

            notices.append(_("Brouillon non repris : {message}").format(message=error_text(error)))
            return Draft()
        if lines:
            notices.append(ngettext(
                "Ordonnance en cours reprise ({n} ligne) : elle n'a pas encore été validée.",
                "Ordonnance en cours reprise ({n} lignes) : elle n'a pas encore été validée.",
                len(lines)).format(n=len(lines)))
        return Draft(lines, open_line)

    def _save_open_line(self, open_line: OpenLine | None) -> None:
        """The line left open, in the local store beside the draft (a failure is logged: the line
        stays in memory, with the draft)."""
        patient_id = getattr(self._patient, "id", None)
        if patient_id is None:
            return
        try:
            self._library().save_open_line(patient_id, open_line)
        except UserError as error:
            log.warning("open line of patient %s not saved: %s", patient_id, error)
            return
        self._open_line_stored = open_line is not None

    def _forget_open_line(self) -> None:
        """The line reopened from the store was added, cancelled or dropped: its copy goes."""
        if self._open_line_stored:
            self._save_open_line(None)

    def _save_draft(self) -> None:
        """Save the current patient's lines (one small row); a failure is said, never raised."""
        library, patient_id = self._library(), getattr(self._patient, "id", None)
        if patient_id is None:
            return
        try:
            library.save_draft(patient_id, self.draft.lines)
        except UserError as error:
            from lap_app.ui.errors import error_text

            log.warning("draft of patient %s not saved: %s", patient_id, error)
            self._save_failed = True
            self.show_notice(_("Brouillon non enregistré : {message}. Ne fermez pas l'application avant de "
                               "valider l'ordonnance.").format(message=error_text(error)))
            return
        if self._save_failed:
            self._save_failed = False
            self.show_notice("")

    # ---- warming the interaction check ----------------------------------------------------

    def _warm_interactions(self) -> None:
        """Load the interaction index in a worker on its own connection (the drug base's rule:
        one connection per thread), then hand its entries to the GUI thread's database."""
        drugs = self._context.drugs
        path = drugs.path
        from lap_app.ui.workers import run_task

        self.warm_task = run_task(lambda: load_interaction_index(path),
                                  on_done=lambda loaded: adopt_interaction_index(drugs, loaded),
                                  on_error=lambda error: log.info("interaction index not warmed: %s", error))
        self.destroyed.connect(self.warm_task.cancel)

    @staticmethod
    def _patient_html(record: Any) -> str:
        if record is None:
            return "<i>" + escape(_("Choisissez un patient pour rédiger l'ordonnance.")) + "</i>"
        from lap_app.ui.patient_form import describe_age, format_decimal

        parts = [f"<b>{escape(record.display_name)}</b>", describe_age(record)]
        if record.weight_kg is not None:
            parts.append(f"{format_decimal(record.weight_kg)} kg")
        if record.ald:
            parts.append("<b>ALD</b>")
        if record.allergies:
            parts.append(f"<span style='color:#b3261e'>{escape(_('allergies'))} : "
                         f"{escape(', '.join(record.allergies))}</span>")
        return " · ".join(p for p in parts if p)
