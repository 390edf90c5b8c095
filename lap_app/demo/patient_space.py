"""« Mon espace santé (démo) »: what the patient finds in their DMP — the ordonnances filed as
PDF, listed newest first, one opened in the window.

Opened from « Pharmacie (démo) »; it reads the DMP stand-in through a ``source`` with
``dmp_documents(ins) -> list[DmpDocument]`` and ``dmp_pdf(document_id) -> bytes`` (the demo
pharmacy's authenticated client), so the physician sees the patient's side on one machine.
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
        self.table = QTableWidget(0, 3)
        self.table.setHorizontalHeaderLabels([_("Classé le"), _("Document"), _("Auteur")])
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.table.itemSelectionChanged.connect(self._update_buttons)
        self.table.itemDoubleClicked.connect(lambda _item: self.open_selected())
        self.open_button = QPushButton(_("Ouvrir le PDF"))
        self.open_button.setEnabled(False)
        self.open_button.clicked.connect(self.open_selected)
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
        left_layout.addWidget(self.open_button, 0, Qt.AlignmentFlag.AlignRight)
        splitter = QSplitter()
        splitter.addWidget(left)
        splitter.addWidget(self.preview)
        splitter.setSizes([460, 640])
        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addLayout(row)
        layout.addWidget(splitter, 1)
        layout.addWidget(self.message)

    def _say(self, text: str, role: str = "subtitle") -> None:
        self.message.setText(text)
        set_role(self.message, role)

    def _update_buttons(self) -> None:
        self.open_button.setEnabled(bool(self.table.selectionModel().selectedRows()))

    def refresh(self) -> None:
        try:
            ins = checked_ins(self.ins_edit.text())
        except UserError as error:
            self._say(error.message, "error")
            return
        self._say(_("Recherche dans le DMP…"))
        source = self._source
        run_task(lambda: source.dmp_documents(ins), on_done=self._show,
                 on_error=lambda e: self._say(error_text(e), "error"))

    def _show(self, documents: list) -> None:
        from lap_app.domain.identifiers import format_prescription_number

        self._documents = list(documents)
        self.table.setRowCount(len(self._documents))
        for row, doc in enumerate(self._documents):
            cells = (datetime.fromtimestamp(doc.filed_at).strftime("%d/%m/%Y %H:%M"),
                     _("Ordonnance n° {number}").format(number=format_prescription_number(doc.number)),
                     doc.author_name or doc.author)
            for col, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setToolTip(doc.title)
                self.table.setItem(row, col, item)
        self.table.resizeColumnToContents(0)
        if self._documents:
            self.table.selectRow(0)
            self._say(_("{n} document(s) dans le DMP.").format(n=len(self._documents)))
        else:
            self._say(_("Aucun document dans le DMP de ce patient."))
        self._update_buttons()

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
