"""PDF pages as images, via pdfium: for the screen at the size shown, and for a Qt printer where\nno vector path exists (``lap_app.printing.service``)."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QRectF, QSizeF
from PySide6.QtGui import QImage, QPageLayout, QPageSize, QPainter
from PySide6.QtPrintSupport import QPrinter

from lap_app.domain.errors import UserError
from lap_app.i18n import _

MAX_DPI = 300  # enough for text and a QR code; higher only costs memory and time


@dataclass(slots=True)
class PdfPages:
    """A loaded PDF: its page sizes in points and a way to raster each page."""

    data: bytes
    sizes_pt: list[tuple[float, float]]

    @property
    def count(self) -> int:
        return len(self.sizes_pt)

    def render(self, index: int, dpi: int) -> QImage:
        import pypdfium2 as pdfium

        document = pdfium.PdfDocument(self.data)
        try:
            bitmap = document[index].render(scale=dpi / 72, grayscale=True)
            image = QImage(
                bitmap.buffer, bitmap.width, bitmap.height, bitmap.stride, QImage.Format.Format_Grayscale8
            )
            return image.copy()  # detach from pdfium's buffer before it is freed
        finally:
            document.close()

    def render_for_screen(self, index: int, scale: float) -> QImage:
        """Page ``index`` at ``scale`` device pixels per point, for the screen: anti-aliased text
        and lines, rendered at the size it is shown (never an image scaled afterwards)."""
        import pypdfium2 as pdfium

        document = pdfium.PdfDocument(self.data)
        try:
            bitmap = document[index].render(scale=scale, rev_byteorder=True, may_draw_forms=True)
            image = QImage(bitmap.buffer, bitmap.width, bitmap.height, bitmap.stride, QImage.Format.Format_RGB888)
            return image.copy()  # detach from pdfium's buffer before it is freed
        finally:
            document.close()

    def page_size(self, index: int) -> QPageSize:
        width, height = self.sizes_pt[index]
        portrait = QSizeF(min(width, height), max(width, height))  # orientation is set apart
        return QPageSize(portrait, QPageSize.Unit.Point, "", QPageSize.SizeMatchPolicy.FuzzyMatch)

    def orientation(self, index: int) -> QPageLayout.Orientation:
        width, height = self.sizes_pt[index]
        return QPageLayout.Orientation.Landscape if width > height else QPageLayout.Orientation.Portrait


def load_pdf_pages(data: bytes) -> PdfPages:
    import pypdfium2 as pdfium  # ~0.25 s to load: only when something is printed

    try:
        document = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as error:
        raise UserError(_("Le document à imprimer n'est pas un PDF lisible.")) from error
    try:
        sizes = [tuple(document[i].get_size()) for i in range(len(document))]
    finally:
        document.close()
    if not sizes:
        raise UserError(_("Le document à imprimer n'a aucune page."))
    return PdfPages(data=data, sizes_pt=sizes)


def prepare_printer(printer: QPrinter, pages: PdfPages) -> None:
    """Paper of the PDF's first page, whole sheet addressable (the PDF has its own margins)."""
    printer.setFullPage(True)
    printer.setPageSize(pages.page_size(0))
    printer.setPageOrientation(pages.orientation(0))


def paint_pages(printer: QPrinter, pages: PdfPages) -> None:
    """Paint every page on ``printer`` (a real printer or the preview's), prepared beforehand."""
    dpi = min(printer.resolution(), MAX_DPI) or MAX_DPI
    painter = QPainter()
    if not painter.begin(printer):
        raise UserError(_("L'imprimante n'a pas pu être ouverte."))
    try:
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, False)  # keep QR modules crisp
        for index in range(pages.count):
            if index:
                printer.setPageSize(pages.page_size(index))
                printer.setPageOrientation(pages.orientation(index))
                printer.newPage()
            target = printer.paperRect(QPrinter.Unit.DevicePixel)
            painter.drawImage(QRectF(0, 0, target.width(), target.height()), pages.render(index, dpi))
    finally:
        painter.end()
