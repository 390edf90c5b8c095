"""The print service: list printers, print a PDF on one (or the default) printer.

Two paths, chosen by the system (``PrintService.path``):

- **Linux (CUPS)**: the PDF itself is queued with ``lp`` (``lap_app.printing.cups``): vector,
  searchable, small. This is the path on every Linux workstation.
- **Windows** (and any system without CUPS's ``lp``): Qt's printer. Windows has no system-wide
  way to hand a PDF to a printer driver without a third-party PDF reader, so each page is
  rasterised by pdfium at the printer's resolution (at most 300 dpi) and painted with QPainter
  (``lap_app.printing.pages``).
"""

from __future__ import annotations

import logging

from PySide6.QtPrintSupport import QPrinter, QPrinterInfo

from lap_app.i18n import _
from lap_app.printing.cups import cups_available, media_for, queue_exists, submit_pdf
from lap_app.printing.errors import PrintError
from lap_app.printing.pages import load_pdf_pages, paint_pages, prepare_printer

log = logging.getLogger(__name__)

VECTOR_PATH = "cups-pdf"  # the PDF goes to CUPS as is
RASTER_PATH = "qt-raster"  # pages rasterised and painted on a QPrinter


class PrintService:
    """Prints through the system's print system.

    ``preferred_printer`` is the user's setting; empty means the system default.
    ``vector``: None lets the system decide (CUPS present → vector); False forces the raster
    path (what Windows runs), True requires CUPS.
    """

    def __init__(self, preferred_printer: str = "", vector: bool | None = None) -> None:
        self.preferred_printer = preferred_printer
        self._vector = cups_available() if vector is None else vector

    @property
    def path(self) -> str:
        return VECTOR_PATH if self._vector else RASTER_PATH

    @staticmethod
    def printers() -> list[str]:
        return [info.printerName() for info in QPrinterInfo.availablePrinters()]

    def default_printer(self) -> str | None:
        names = self.printers()
        if self.preferred_printer and self.preferred_printer in names:
            return self.preferred_printer
        system_default = QPrinterInfo.defaultPrinterName()
        if system_default in names:
            return system_default
        return names[0] if names else None

    def _printer_name(self, name: str | None) -> str:
        name = name or self.default_printer()
        if not name:
            raise PrintError(_("Aucune imprimante n'est installée sur ce poste."))
        if QPrinterInfo.printerInfo(name).isNull():
            raise PrintError(_("L'imprimante « {name} » est introuvable.").format(name=name))
        return name

    def make_printer(self, name: str | None = None) -> QPrinter:
        info = QPrinterInfo.printerInfo(self._printer_name(name))
        return QPrinter(info, QPrinter.PrinterMode.HighResolution)

    def print_pdf(self, pdf: bytes, printer_name: str | None = None, *, job_name: str = "ordonnance",
                  copies: int = 1) -> str:
        """Print ``pdf``; returns the printer's name. Safe to call from a worker thread; with the
        printer's name given (resolved in the GUI thread), the vector path calls no Qt at all."""
        pages = load_pdf_pages(pdf)  # a readable PDF with pages, or a clear message
        if self._vector:
            name = printer_name or self._printer_name(None)
            if not queue_exists(name):
                raise PrintError(_("L'imprimante « {name} » est introuvable.").format(name=name))
            job = submit_pdf(pdf, name, job_name=job_name, media=media_for(*pages.sizes_pt[0]), copies=copies)
            log.info("queued %d page(s) on %s as PDF (job %s)", pages.count, name, job or "?")
            return name
        printer = self.make_printer(printer_name)
        printer.setDocName(job_name)
        printer.setCopyCount(max(1, copies))
        prepare_printer(printer, pages)
        paint_pages(printer, pages)
        log.info("printed %d page(s) on %s as images", pages.count, printer.printerName())
        return printer.printerName()
