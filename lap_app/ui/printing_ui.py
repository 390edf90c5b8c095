"""Print preview and printing from the GUI, both through the print service (``lap_app.printing``)."""

from __future__ import annotations

from PySide6.QtCore import QSize
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QWidget

from lap_app.domain.errors import UserError
from lap_app.i18n import _
from lap_app.printing import PrintError, PrintService, load_pdf_pages
from lap_app.printing.pages import PdfPages
from lap_app.ui.context import AppContext
from lap_app.ui.errors import show_error
from lap_app.ui.print_preview import PrintPreview
from lap_app.ui.workers import run_task


def print_service(context: AppContext) -> PrintService:
    return PrintService(preferred_printer=context.settings.default_printer)


def job_name_for(number: str | None) -> str:
    """The print job's title (the file name cups-pdf writes, the line in the printer's queue)."""
    return f"ordonnance-{number or 'papier'}"


def make_preview(parent: QWidget, context: AppContext, pdf: bytes | PdfPages,
                 job_name: str = "ordonnance") -> PrintPreview:
    """A preview dialog of ``pdf``; Ctrl+P, Entrée or its button prints it on the printer chosen
    in it (the default one first). ``pdf`` may come already loaded (``load_pdf_pages``, in a
    worker: pdfium takes ~0.25 s to load)."""
    pages = pdf if isinstance(pdf, PdfPages) else load_pdf_pages(pdf)
    dialog = PrintPreview(print_service(context), pages, job_name, parent)
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
    try:
        printer = service.default_printer()  # Qt's printer list, read here in the GUI thread
    except UserError as error:
        show_error(parent, error, _("Impression"))
        return
    if printer is None:
        show_error(parent, PrintError(_("Aucune imprimante n'est installée sur ce poste.")), _("Impression"))
        return

    def done(printer_name: str) -> None:
        if on_done:
            on_done(printer_name)

    run_task(lambda: service.print_pdf(pdf, printer, job_name=job_name), on_done=done,
             on_error=lambda error: show_error(parent, error, _("Impression")), receiver=parent)
