"""The print preview: the ordonnance's PDF as sharp as on paper, at every zoom, printed from it.

Each page is rendered by pdfium at the very size it is shown (times the screen's pixel ratio),
anti-aliased: never a printer-resolution image scaled down without smoothing, which loses the
posology's letters at a fitted zoom. Keys: Ctrl+P or Entrée prints, Échap closes, Ctrl++ and
Ctrl+- zoom, Ctrl+0 shows the whole page, Page suivante / précédente scroll.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QPixmap, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from lap_app.i18n import _, ngettext
from lap_app.printing import PdfPages, PrintService
from lap_app.ui.errors import show_error
from lap_app.ui.object_names import named
from lap_app.ui.style import set_role
from lap_app.ui.workers import TaskHandle, run_task

ZOOM_STEPS = (0.5, 0.67, 0.75, 0.9, 1.0, 1.25, 1.5, 2.0, 3.0)
PAGE_GAP = 12  # pixels between pages, and around them


class PrintPreview(QDialog):
    """``printed(printer_name)`` once the job is queued; the dialog then closes."""

    printed = Signal(str)

    def __init__(self, service: PrintService, pages: PdfPages, job_name: str,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("printPreview")
        self.setWindowTitle(_("Aperçu avant impression"))
        self._service = service
        self._pages = pages
        self._job_name = job_name
        self._zoom: float | None = None  # None: the whole page fits the window
        self._shown_scale = 0.0
        self.print_task: TaskHandle | None = None

        self.zoom_out_button = named(QToolButton(), "zoomOut")
        self.zoom_out_button.setText("−")
        self.zoom_out_button.setToolTip(_("Réduire (Ctrl+-)"))
        self.zoom_in_button = named(QToolButton(), "zoomIn")
        self.zoom_in_button.setText("+")
        self.zoom_in_button.setToolTip(_("Agrandir (Ctrl++)"))
        self.fit_button = named(QToolButton(), "zoomFit")
        self.fit_button.setText(_("Page entière"))
        self.fit_button.setToolTip(_("Ctrl+0"))
        self.zoom_label = named(QLabel(), "zoomLevel")
        self.page_count = named(QLabel(), "pageCount")
        for button in (self.zoom_out_button, self.zoom_in_button, self.fit_button):
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # keys do it: Tab goes to what matters
        tools = QHBoxLayout()
        for widget in (self.zoom_out_button, self.zoom_label, self.zoom_in_button, self.fit_button):
            tools.addWidget(widget)
        tools.addStretch(1)
        tools.addWidget(self.page_count)

        self.page_labels: list[QLabel] = []
        column = named(QWidget(), "previewPages")
        pages_layout = QVBoxLayout(column)
        pages_layout.setContentsMargins(PAGE_GAP, PAGE_GAP, PAGE_GAP, PAGE_GAP)
        pages_layout.setSpacing(PAGE_GAP)
        for _index in range(pages.count):
            label = QLabel()
            label.setFrameShape(QFrame.Shape.Box)
            label.setStyleSheet("background: white; border: 1px solid #9aa5ad;")
            pages_layout.addWidget(label, 0, Qt.AlignmentFlag.AlignHCenter)
            self.page_labels.append(label)
        self.page_area = named(QScrollArea(), "previewScroll")
        self.page_area.setWidget(column)
        self.page_area.setWidgetResizable(True)
        self.page_area.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        self.page_area.setStyleSheet("QScrollArea#previewScroll, QWidget#previewPages { background: #d7dde1; }")

        self.printer_combo = named(QComboBox(), "previewPrinter")
        self.printer_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.printer_combo.setMinimumWidth(160)
        printers = service.printers()
        self.printer_combo.addItems(printers)
        default = service.default_printer()
        if default in printers:
            self.printer_combo.setCurrentText(default)
        printer_label = QLabel(_("&Imprimante :"))
        printer_label.setBuddy(self.printer_combo)
        self.status = named(QLabel(), "previewStatus")
        self.close_button = named(QPushButton(_("Fermer")), "previewClose")
        self.close_button.setAutoDefault(False)
        self.print_button = named(QPushButton(_("Imprimer (Ctrl+P)")), "previewPrint")
        self.print_button.setProperty("primary", "true")
        self.print_button.setDefault(True)  # Entrée prints
        if not printers:
            self.print_button.setEnabled(False)
            self.status.setText(_("Aucune imprimante n'est installée sur ce poste."))
            set_role(self.status, "error")
        bottom = QHBoxLayout()
        bottom.addWidget(printer_label)
        bottom.addWidget(self.printer_combo)
        bottom.addWidget(self.status, 1)
        bottom.addWidget(self.close_button)
        bottom.addWidget(self.print_button)

        layout = QVBoxLayout(self)
        layout.addLayout(tools)
        layout.addWidget(self.page_area, 1)
        layout.addLayout(bottom)

        self.print_button.clicked.connect(self.print_document)
        self.close_button.clicked.connect(self.reject)
        self.zoom_in_button.clicked.connect(lambda: self.step_zoom(1))
        self.zoom_out_button.clicked.connect(lambda: self.step_zoom(-1))
        self.fit_button.clicked.connect(self.fit_page)
        for keys, slot in ((QKeySequence.StandardKey.Print, self.print_document),
                           (QKeySequence.StandardKey.ZoomIn, lambda: self.step_zoom(1)),
                           (QKeySequence("Ctrl+="), lambda: self.step_zoom(1)),
                           (QKeySequence.StandardKey.ZoomOut, lambda: self.step_zoom(-1)),
                           (QKeySequence("Ctrl+0"), self.fit_page)):
            QShortcut(keys, self, slot)
        self._render_timer = QTimer(self, singleShot=True, interval=0)
        self._render_timer.timeout.connect(self.render_pages)
        self.page_area.setFocus()

    # ---- zoom --------------------------------------------------------------------------------

    def points_to_pixels(self) -> float:
        """Logical pixels per PDF point at 100 % (the page at its paper size on this screen)."""
        return self.logicalDpiX() / 72

    def zoom(self) -> float:
        if self._zoom is not None:
            return self._zoom
        viewport = self.page_area.viewport().size()
        width_pt, height_pt = self._pages.sizes_pt[0]
        per_point = self.points_to_pixels()
        fit_height = (viewport.height() - 2 * PAGE_GAP - 2) / (height_pt * per_point)
        fit_width = (viewport.width() - 2 * PAGE_GAP - 2) / (width_pt * per_point)
        return max(0.1, min(fit_height, fit_width))

    def step_zoom(self, direction: int) -> None:
        current = self.zoom()
        if direction > 0:
            self._zoom = next((z for z in ZOOM_STEPS if z > current + 0.001), ZOOM_STEPS[-1])
        else:
            self._zoom = next((z for z in reversed(ZOOM_STEPS) if z < current - 0.001), ZOOM_STEPS[0])
        self.render_pages()

    def fit_page(self) -> None:
        self._zoom = None
        self.render_pages()

    # ---- rendering ---------------------------------------------------------------------------

    def render_pages(self) -> None:
        """Render every page at the size shown, in device pixels (a HiDPI screen gets its pixels)."""
        zoom = self.zoom()
        ratio = self.devicePixelRatioF()
        scale = zoom * self.points_to_pixels()
        self.zoom_label.setText(f"{round(zoom * 100)} %")
        self.page_count.setText(ngettext("{n} page", "{n} pages", self._pages.count).format(n=self._pages.count))
        if abs(scale - self._shown_scale) < 1e-3:
            return
        self._shown_scale = scale
        for index, label in enumerate(self.page_labels):
            image = self._pages.render_for_screen(index, scale * ratio)
            pixmap = QPixmap.fromImage(image)
            pixmap.setDevicePixelRatio(ratio)
            label.setPixmap(pixmap)
            label.setFixedSize(pixmap.deviceIndependentSize().toSize())

    def shown_scale(self) -> float:
        """Device pixels per PDF point of the pages as shown (for tests and the zoom label)."""
        return self._shown_scale * self.devicePixelRatioF()

    def showEvent(self, event) -> None:
        super().showEvent(event)
        self._render_timer.start()

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        if self._zoom is None:  # the whole page follows the window's size
            self._render_timer.start()

    # ---- printing ----------------------------------------------------------------------------

    def print_document(self) -> None:
        if not self.print_button.isEnabled():
            return
        printer = self.printer_combo.currentText()
        self.print_button.setEnabled(False)
        self.status.setText(_("Impression en cours…"))
        set_role(self.status, "subtitle")
        service, data, job_name = self._service, self._pages.data, self._job_name
        self.print_task = run_task(lambda: service.print_pdf(data, printer, job_name=job_name),
                                   on_done=self._printed, on_error=self._print_failed, receiver=self)

    def _printed(self, printer_name: str) -> None:
        self.printed.emit(printer_name)
        self.accept()

    def _print_failed(self, error: BaseException) -> None:
        self.print_button.setEnabled(True)
        self.status.setText("")
        show_error(self, error, _("Impression"))
