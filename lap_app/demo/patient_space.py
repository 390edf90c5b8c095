"""« Mon espace santé (démo) »: what the patient finds in their DMP — the ordonnances filed as
PDF, listed newest first, one opened in the window — and their control after the
consultation: withdraw the consent to their physician consulting what was done of an
ordonnance, or give it back.

Opened from « Prescrit (démo) »; it reads the DMP stand-in through a ``source`` with
``dmp_documents(ins) -> list[DmpDocument]``, ``dmp_pdf(document_id) -> bytes``,
``consent_given(ins, number) -> bool`` and ``set_consent(ins, number, given) -> bool``
(``DemoPrescrits``: the services of the command line), so the physician sees the patient's
side on one machine.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from lap_app.domain.errors import UserError
from lap_app.i18n import _
from lap_app.ui.errors import error_text
from lap_app.ui.style import set_role
from lap_app.ui.workers import run_task

PREVIEW_DPI = 110  # rendered a little larger, then fitted to the pane's width


def checked_ins(text: str) -> str:
    """The INS as typed (spaces allowed), its key checked before anything is asked of the DMP."""
    from lap_app.domain.identifiers import nir_problem, normalize_nir

    ins = normalize_nir(text)
    problem = nir_problem(ins)
    if problem:
        raise UserError(_("INS invalide : {problem}").format(problem=problem))
    return ins


def render_pages(pdf: bytes, dpi: int = PREVIEW_DPI) -> list[tuple[bytes, int, int]]:
    """Each page as RGB bytes (width, height): done in the worker, turned into pixmaps on the GUI thread."""
    import pypdfium2

    document = pypdfium2.PdfDocument(pdf)
    try:
        pages = []
        for page in document:
            image = page.render(scale=dpi / 72).to_pil().convert("RGB")
            pages.append((image.tobytes(), image.width, image.height))
        return pages
    finally:
        document.close()


class MonEspaceSanteView(QWidget):
    def __init__(self, source: Any, ins: str | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self._source = source
        self._documents: list = []
        self._ins = ""
        self.consents: dict[str, bool] = {}  # number → the physician may consult its execution
        self.opened_pdf: bytes | None = None  # the document on screen, as the DMP returned it
        self.setWindowTitle(_("Mon espace santé (démo)"))
        self.resize(1120, 720)

        title = QLabel(_("Mon espace santé (démo) — les ordonnances classées dans le DMP du patient"))
        set_role(title, "title")
        self.ins_edit = QLineEdit(ins or "")
        self.ins_edit.setPlaceholderText(_("INS du patient (15 caractères)"))
        self.ins_edit.returnPressed.connect(self.refresh)
        self.show_button = QPushButton(_("Afficher ses documents"))
        self.show_button.setDefault(True)
        self.show_button.clicked.connect(self.refresh)
        self.table = QTableWidget(0, 4)
        self.table.setHorizontalHeaderLabels([_("Classé le"), _("Document"), _("Auteur"),
                                              _("Suivi du médecin")])
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        for column in (0, 2, 3):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        self.table.itemSelectionChanged.connect(self._update_buttons)
        self.table.itemDoubleClicked.connect(lambda _item: self.open_selected())
        self.open_button = QPushButton(_("Ouvrir le PDF"))
        self.open_button.setEnabled(False)
        self.open_button.clicked.connect(self.open_selected)
        self.withdraw_button = QPushButton(_("Retirer mon consentement"))
        self.withdraw_button.setToolTip(_("Votre médecin ne pourra plus consulter ce qui a été délivré ou réalisé"))
        self.withdraw_button.clicked.connect(lambda: self.change_consent(False))
        self.give_button = QPushButton(_("Redonner mon consentement"))
        self.give_button.clicked.connect(lambda: self.change_consent(True))
        self.pages = QWidget()
        self.pages_layout = QVBoxLayout(self.pages)
        self.pages_layout.setAlignment(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
        self.preview = QScrollArea()
        self.preview.setWidgetResizable(True)
        self.preview.setWidget(self.pages)
        self.message = QLabel("")
        self.message.setWordWrap(True)

        row = QHBoxLayout()
        row.addWidget(QLabel(_("INS :")))
        row.addWidget(self.ins_edit, 1)
        row.addWidget(self.show_button)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(self.table, 1)
        buttons = QHBoxLayout()
        buttons.addWidget(self.withdraw_button)
        buttons.addWidget(self.give_button)
        buttons.addStretch(1)
        buttons.addWidget(self.open_button)
        left_layout.addLayout(buttons)
        splitter = QSplitter()
        splitter.addWidget(left)
        splitter.addWidget(self.preview)
        splitter.setSizes([640, 480])
        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addLayout(row)
        layout.addWidget(splitter, 1)
        layout.addWidget(self.message)

    def _say(self, text: str, role: str = "subtitle") -> None:
        self.message.setText(text)
        set_role(self.message, role)

    def _selected_document(self) -> Any:
        rows = self.table.selectionModel().selectedRows()
        return self._documents[rows[0].row()] if rows else None

    def _update_buttons(self) -> None:
        doc = self._selected_document()
        self.open_button.setEnabled(doc is not None)
        given = self.consents.get(doc.number) if doc is not None else None
        self.withdraw_button.setEnabled(given is True)
        self.give_button.setEnabled(given is False)

    def refresh(self) -> None:
        try:
            ins = checked_ins(self.ins_edit.text())
        except UserError as error:
            self._say(error.message, "error")
            return
        self._say(_("Recherche dans le DMP…"))
        source = self._source
        self._ins = ins

        def fetch() -> tuple[list, dict[str, bool]]:
            documents = source.dmp_documents(ins)
            return documents, {doc.number: source.consent_given(ins, doc.number) for doc in documents}

        run_task(fetch, on_done=lambda found: self._show(*found),
                 on_error=lambda e: self._say(error_text(e), "error"))

    def _show(self, documents: list, consents: dict[str, bool]) -> None:
        from lap_app.domain.identifiers import format_prescription_number

        self._documents = list(documents)
        self.consents = dict(consents)
        self.table.setRowCount(len(self._documents))
        for row, doc in enumerate(self._documents):
            cells = (datetime.fromtimestamp(doc.filed_at).strftime("%d/%m/%Y %H:%M"),
                     _("Ordonnance n° {number}").format(number=format_prescription_number(doc.number)),
                     doc.author_name or doc.author)
            for col, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setToolTip(doc.title)
                self.table.setItem(row, col, item)
            self.table.setItem(row, 3, QTableWidgetItem(_consent_text(self.consents.get(doc.number))))
        self.table.resizeRowsToContents()
        if self._documents:
            self.table.selectRow(0)
            self._say(_("{n} document(s) dans le DMP.").format(n=len(self._documents)))
        else:
            self._say(_("Aucun document dans le DMP de ce patient."))
        self._update_buttons()

    def change_consent(self, given: bool) -> None:
        """Withdraw (``given`` False) or give back the consent for the selected ordonnance."""
        doc = self._selected_document()
        if doc is None:
            return
        source, ins, number = self._source, self._ins, doc.number
        self.withdraw_button.setEnabled(False)
        self.give_button.setEnabled(False)

        def done(now_given: bool) -> None:
            self.consents[number] = now_given
            row = self._documents.index(doc) if doc in self._documents else -1
            if row >= 0:
                self.table.setItem(row, 3, QTableWidgetItem(_consent_text(now_given)))
            self._update_buttons()
            self._say(_("Votre médecin peut de nouveau consulter ce qui a été fait de cette ordonnance.") if now_given
                      else _("Votre médecin ne peut plus consulter ce qui a été fait de cette ordonnance."), "ok")

        def failed(error: BaseException) -> None:
            self._update_buttons()
            self._say(error_text(error), "error")

        run_task(lambda: source.set_consent(ins, number, given), on_done=done, on_error=failed, receiver=self)

    def open_selected(self) -> None:
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return
        doc = self._documents[rows[0].row()]
        self._say(_("Ouverture…"))
        source = self._source

        def fetch() -> tuple[bytes, list[tuple[bytes, int, int]]]:
            pdf = source.dmp_pdf(doc.document_id)
            return pdf, render_pages(pdf)

        run_task(fetch, on_done=lambda result: self._display(doc, *result),
                 on_error=lambda e: self._say(error_text(e), "error"))

    def _display(self, doc: Any, pdf: bytes, pages: list[tuple[bytes, int, int]]) -> None:
        while self.pages_layout.count():
            item = self.pages_layout.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.deleteLater()
        for data, width, height in pages:
            label = QLabel()
            image = QImage(data, width, height, 3 * width, QImage.Format.Format_RGB888).copy()
            pixmap = QPixmap.fromImage(image)
            fit = self.preview.viewport().width() - 24
            if 0 < fit < pixmap.width():  # the whole width of the page in view
                pixmap = pixmap.scaledToWidth(fit, Qt.TransformationMode.SmoothTransformation)
            label.setPixmap(pixmap)
            label.setFixedSize(pixmap.size())  # the whole page, the scroll area scrolls
            label.setStyleSheet("border: 1px solid #c5ccd3; background: #ffffff;")
            self.pages_layout.addWidget(label)
        self.preview.verticalScrollBar().setValue(0)  # the top of the first page
        self.opened_pdf = pdf
        self._say(_("{title} ({size} Ko)").format(title=doc.title, size=max(1, round(len(pdf) / 1024))), "ok")


def _consent_text(given: bool | None) -> str:
    if given is None:
        return "?"
    return _("autorisé") if given else _("refusé par vous")
