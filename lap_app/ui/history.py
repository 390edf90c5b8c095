"""The patient's ordonnances: status, PDF again, follow-up of their execution, cancel, renew."""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from lap_app.domain.errors import UserError
from lap_app.domain.status import OrdonnanceStatus
from lap_app.i18n import _
from lap_app.ui.context import AppContext
from lap_app.ui.errors import error_text, show_error
from lap_app.ui.validation_flow import format_number
from lap_app.ui.workers import TaskHandle, card_pool, run_task

log = logging.getLogger(__name__)

def _status_text(status: OrdonnanceStatus, dmp: str) -> str:
    """The status, and where the DMP copy stands (the DMP service loads the HTTP client: late)."""
    from lap_app.services.dmp import status_with_dmp

    return status_with_dmp(status.label, dmp.replace(" ", "\u00a0"))  # wraps before "DMP", not in it


CELL_PADDING = 12  # a cell's margins and grid line, beside its text


def _halves(text: str) -> tuple[str, str]:
    """A number set on two lines (« 0101 0884 » over « 2978 2760 »)."""
    words = text.split(" ")
    middle = (len(words) + 1) // 2
    return " ".join(words[:middle]), " ".join(words[middle:])


def _entry_status(entry: Any) -> str:
    """The status column. Paper has several causes (service down, imaging or transport, which
    never go to the base, a demo example): the column says paper, the detail says why."""
    if entry.status is OrdonnanceStatus.PAPER:
        kind = getattr(getattr(entry, "ordonnance", None), "kind", None)
        if kind is not None and not kind.registrable:
            return _("papier (hors ordonnance numérique)")
        if getattr(entry, "paper_reason", ""):
            return _status_text(entry.status, entry.dmp).replace(entry.status.label, _("papier seul"), 1)
    return _status_text(entry.status, entry.dmp)


class HistoryPanel(QGroupBox):
    """History of the selected patient; ``renew_requested(lines)`` asks the editor to load them."""

    renew_requested = Signal(list)

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(_("Historique du patient"), parent)
        self._context = context
        self._record = None
        self._entries: list = []
        self._loading = TaskHandle()

        self.table = QTableWidget(0, 3)
        self.table.setHorizontalHeaderLabels([_("Date"), _("Numéro"), _("État")])
        self.table.setMinimumHeight(140)
        self.table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)  # narrower than a word: scroll
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(True)  # a long status ("partiellement délivrée · DMP en attente") wraps, never cut
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)  # sized by _fit_columns, on every resize
        self.table.viewport().installEventFilter(self)
        self.table.itemSelectionChanged.connect(self._selection_changed)
        self.table.doubleClicked.connect(lambda _index: self.reprint_selected())

        self.pdf_button = QPushButton(_("PDF"))
        self.follow_up_button = QPushButton(_("Suivi"))
        self.renew_button = QPushButton(_("Renouveler"))
        self.cancel_button = QPushButton(_("Annuler"))
        self.pdf_button.clicked.connect(self.reprint_selected)
        self.follow_up_button.clicked.connect(self.consult_follow_up)
        self.renew_button.clicked.connect(self.renew_selected)
        self.cancel_button.clicked.connect(self.cancel_selected)
        self.detail = QLabel("")
        self.detail.setWordWrap(True)
        self.detail.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.detail.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        buttons = QHBoxLayout()
        for button in (self.pdf_button, self.follow_up_button, self.renew_button, self.cancel_button):
            buttons.addWidget(button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)
        detail_area = QScrollArea()
        detail_area.setWidgetResizable(True)
        detail_area.setFrameShape(QFrame.Shape.NoFrame)
        detail_area.setWidget(self.detail)
        detail_area.setMinimumHeight(90)
        detail_area.setStyleSheet("QScrollArea, QScrollArea > QWidget > QWidget { background: transparent; }")
        layout.addWidget(detail_area, 1)  # a follow-up reads line by line: room for it
        self._update_buttons()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.table.viewport() and event.type() == QEvent.Type.Resize:
            self._fit_columns()
        return super().eventFilter(watched, event)

    def _fit_columns(self) -> None:
        """The status column never narrower than its longest word (« partiellement », « DMP en
        attente »): the number wraps over two lines first, then the table scrolls sideways."""
        table, header = self.table, self.table.horizontalHeader()
        metrics = table.fontMetrics()

        def widest(column: int, texts: list[str]) -> int:
            label = table.horizontalHeaderItem(column)
            texts = [*texts, label.text() if label is not None else ""]
            return max(metrics.horizontalAdvance(t) for t in texts) + CELL_PADDING

        statuses = [self._status_cell(row).text() for row in range(table.rowCount())]
        numbers = [format_number(entry.number) for entry in self._entries]
        status_min = widest(2, [word for text in statuses for word in text.split(" ")])
        number_full = widest(1, numbers)
        number_min = widest(1, [half for text in numbers for half in _halves(text)])
        date = max(table.sizeHintForColumn(0), widest(0, []))
        header.resizeSection(0, date)
        room = table.viewport().width() - date
        number = max(number_min, min(number_full, room - status_min))
        header.resizeSection(1, number)
        header.resizeSection(2, max(status_min, room - number))
        table.resizeRowsToContents()

    # -- data --------------------------------------------------------------------------------
    def set_patient(self, record) -> None:
        self._record = record
        self.detail.setText("")
        self.refresh()

    def refresh(self) -> None:
        self._loading.cancel()  # an answer for a previous patient is dropped
        prescribing = self._context.services.prescribing
        if self._record is None or prescribing is None:
            self._show([])
            return
        patient = self._record.to_patient()
        self._loading = run_task(lambda: prescribing.history(patient), on_done=self._show_and_update,
                                 on_error=lambda e: self.detail.setText(error_text(e)), receiver=self)

    def _show_and_update(self, entries: list) -> None:
        """Show what the local store knows at once, then ask the base what moved since."""
        self._show(entries)
        prescribing = self._context.services.prescribing
        if entries and prescribing.has_base and self._context.session.card is not None:
            run_task(lambda: prescribing.refreshed_statuses(entries), on_done=self._apply_statuses, receiver=self)

    def _status_cell(self, row: int) -> QTableWidgetItem:
        cell = self.table.item(row, 2)
        if cell is None:  # every row is filled with all its cells
            raise LookupError(f"history row {row} has no status cell")
        return cell

    def _apply_statuses(self, changed: dict) -> None:
        for row, entry in enumerate(self._entries):
            if entry.local_id in changed:
                self._entries[row] = replace(entry, status=changed[entry.local_id])
                self._status_cell(row).setText(_status_text(changed[entry.local_id], entry.dmp))
        self._fit_columns()
        self._update_buttons()

    def _show(self, entries: list) -> None:
        self._entries = list(entries)
        self.table.setRowCount(len(self._entries))
        for row, entry in enumerate(self._entries):
            cells = (entry.written_at.strftime("%d/%m/%Y"), format_number(entry.number), _entry_status(entry))
            tooltip = "\n".join((entry.written_at.strftime("%d/%m/%Y %H:%M"), cells[2], entry.summary))
            for col, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setToolTip(tooltip)
                self.table.setItem(row, col, item)
        self._fit_columns()
        if self._entries:
            self.table.selectRow(0)
        self._selection_changed()  # (row 0 already selected before: no signal, the detail must follow)

    def selected(self):
        rows = self.table.selectionModel().selectedRows()
        return self._entries[rows[0].row()] if rows else None

    def _selection_changed(self) -> None:
        entry = self.selected()
        reason = getattr(entry, "paper_reason", "")
        self.detail.setText("" if entry is None else entry.summary + (f"\n{reason}" if reason else ""))
        self._update_buttons()

    def _update_buttons(self) -> None:
        entry = self.selected()
        has = entry is not None
        self.pdf_button.setEnabled(has)
        self.renew_button.setEnabled(has)
        self.follow_up_button.setEnabled(has and bool(entry.number) and entry.status.in_base)
        self.cancel_button.setEnabled(has and entry.status.cancellable)

    # -- actions -----------------------------------------------------------------------------
    def reprint_selected(self) -> None:
        """The selected ordonnance's PDF, rendered again off the GUI thread, in the print preview."""
        entry = self.selected()
        prescribing = self._context.services.prescribing
        if entry is None or prescribing is None:
            return
        paper = self._context.settings.paper_size

        def render():  # rendering and loading pdfium: ~50 ms, and ~0.25 s the first time
            from lap_app.printing import load_pdf_pages

            return load_pdf_pages(prescribing.pdf(entry.local_id, page_size=paper))

        self.pdf_button.setEnabled(False)  # one preview at a time; _update_buttons gives it back
        self._pdf_task = run_task(render, on_done=lambda pages: self._show_preview(pages, entry.number),
                                  on_error=self._pdf_failed, receiver=self)

    def _show_preview(self, pages, number: str | None) -> None:
        from lap_app.ui.printing_ui import job_name_for, make_preview

        self._update_buttons()
        try:
            self._preview = make_preview(self, self._context, pages, job_name_for(number))
        except UserError as error:
            show_error(self, error, _("Impression"))
            return
        self._preview.open()

    def _pdf_failed(self, error: BaseException) -> None:
        self._update_buttons()
        show_error(self, error, _("Impression"))

    def renew_selected(self) -> None:
        entry = self.selected()
        if entry is None:
            return
        from lap_app.services.drafting import renewal_lines

        self.renew_requested.emit(renewal_lines(entry.ordonnance))

    def _base_missing(self) -> bool:
        """The network actions need the base: say so (the local history shows all the same)."""
        prescribing = self._context.services.prescribing
        if prescribing is not None and prescribing.has_base:
            return False
        from lap_app.services.desk import NO_BASE_MESSAGE

        self.detail.setText(_(NO_BASE_MESSAGE))
        return True

    def _card_call(self, fn, on_done) -> None:
        if self._context.session.card is None:
            self.detail.setText(_("La carte CPS n'est pas disponible."))
            return
        run_task(fn, on_done=on_done, on_error=lambda e: self.detail.setText(error_text(e)), pool=card_pool(),
                 receiver=self)

    def consult_follow_up(self) -> None:
        entry = self.selected()
        if entry is None or self._base_missing():
            return
        prescribing, card = self._context.services.prescribing, self._context.session.card
        self.detail.setText(_("Consultation du suivi…"))
        self._card_call(lambda: prescribing.follow_up(entry.number, card),
                        lambda report: self._show_follow_up(entry, report))

    def _show_follow_up(self, entry, report) -> None:
        self.detail.setText("\n".join(report.text_lines()))
        if report.status is not None and entry in self._entries:  # the follow-up also tells the status
            row = self._entries.index(entry)
            self._entries[row] = replace(entry, status=report.status)
            self._status_cell(row).setText(_status_text(report.status, entry.dmp))
            self._fit_columns()
            self._update_buttons()

    def cancel_selected(self) -> None:
        """Ask first (window-modal, the event loop keeps running), then cancel with the card."""
        entry = self.selected()
        if entry is None or self._base_missing():
            return
        self.confirm = QMessageBox(QMessageBox.Icon.Question, _("Annuler l'ordonnance"), _(
            "Annuler l'ordonnance {number} ? Elle ne pourra plus être délivrée.").format(
            number=format_number(entry.number)), QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, self)
        self.confirm.setDefaultButton(QMessageBox.StandardButton.No)
        self.confirm.finished.connect(lambda answer: self._cancel_confirmed(entry, answer))
        self.confirm.open()

    def _cancel_confirmed(self, entry, answer: int) -> None:
        if answer != QMessageBox.StandardButton.Yes:
            return
        prescribing, card = self._context.services.prescribing, self._context.session.card
        self.detail.setText(_("Annulation…"))

        def done(status: OrdonnanceStatus) -> None:
            self.detail.setText(_("Ordonnance {number} : {status}.").format(
                number=format_number(entry.number), status=status.label))
            self.refresh()

        self._card_call(lambda: prescribing.cancel(entry.number, card), done)
