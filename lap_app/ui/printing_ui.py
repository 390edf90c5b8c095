"""Print preview and printing from the GUI; both paint the same rasterised PDF pages."""

from __future__ import annotations

from PySide6.QtCore import QSize
from PySide6.QtGui import QGuiApplication
from PySide6.QtPrintSupport import QPrinter, QPrintPreviewDialog
from PySide6.QtWidgets import QWidget

from lap_app.i18n import _
from lap_app.printing import PrintService, load_pdf_pages
from lap_app.printing.pages import PdfPages, paint_pages, prepare_printer
from lap_app.ui.context import AppContext
from lap_app.ui.errors import show_error
from lap_app.ui.workers import run_task


class _PreviewDialog(QPrintPreviewDialog):
    def __init__(self, printer: QPrinter, parent: QWidget | None) -> None:
        super().__init__(printer, parent)
        self.printer_ref = printer  # the dialog does not own it: keep it alive as long as the dialog

def print_service(context: AppContext) -> PrintService:
    return PrintService(preferred_printer=context.settings.default_printer)


def job_name_for(number: str | None) -> str:
    """The print job's title (the file name cups-pdf writes, the line in the printer's queue)."""
    return f"ordonnance-{number or 'papier'}"


def make_preview(parent: QWidget, context: AppContext, pdf: bytes | PdfPages,
                 job_name: str = "ordonnance") -> QPrintPreviewDialog:
    """A preview dialog of ``pdf`` on the default printer; its Print button prints it there.
    ``pdf`` may come already loaded (``load_pdf_pages``, in a worker: pdfium takes ~0.25 s to load)."""
    pages = pdf if isinstance(pdf, PdfPages) else load_pdf_pages(pdf)
    printer = print_service(context).make_printer()
    prepare_printer(printer, pages)
    printer.setDocName(job_name)
    dialog = _PreviewDialog(printer, parent)
    dialog.setWindowTitle(_("Aperçu avant impression"))
    dialog.paintRequested.connect(lambda target: paint_pages(target, pages))
    dialog.resize(fitted_size(parent, 900, 900))
    return dialog


def fitted_size(parent: QWidget, width: int, height: int) -> QSize:
    """``width`` × ``height``, within the free area of the parent's screen (less a margin for
    the title bar): on a 768-pixel laptop a 900-pixel dialog hides its page's foot, the QR code."""
    screen = parent.screen() if parent is not None else QGuiApplication.primaryScreen()
    if screen is None:
        return QSize(width, height)
    available = screen.availableGeometry()
    return QSize(min(width, available.width() - 20), min(height, available.height() - 40))


def print_on_default(parent: QWidget, context: AppContext, pdf: bytes, job_name: str, on_done=None) -> None:
    """One key, no dialog: print in the background on the default printer."""
    service = print_service(context)

    def done(printer_name: str) -> None:
        if on_done:
            on_done(printer_name)

    run_task(lambda: service.print_pdf(pdf, job_name=job_name), on_done=done,
             on_error=lambda error: show_error(parent, error, _("Impression")), receiver=parent)
