"""The print service: list printers, print a PDF on one (or the default) printer."""

from __future__ import annotations

import logging

from PySide6.QtPrintSupport import QPrinter, QPrinterInfo

from lap_app.domain.errors import UserError
from lap_app.i18n import _
from lap_app.printing.pages import load_pdf_pages, paint_pages, prepare_printer

log = logging.getLogger(__name__)


class PrintError(UserError):
    pass


class PrintService:
    """Prints through the system's print system (CUPS on Linux) with Qt.

    ``preferred_printer`` is the user's setting; empty means the system default.
    """

    def __init__(self, preferred_printer: str = "") -> None:
        self.preferred_printer = preferred_printer

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

    def make_printer(self, name: str | None = None) -> QPrinter:
        name = name or self.default_printer()
        if not name:
            raise PrintError(_("Aucune imprimante n'est installée sur ce poste."))
        info = QPrinterInfo.printerInfo(name)
        if info.isNull():
            raise PrintError(_("L'imprimante « {name} » est introuvable.").format(name=name))
        return QPrinter(info, QPrinter.PrinterMode.HighResolution)

    def print_pdf(self, pdf: bytes, printer_name: str | None = None, *, job_name: str = "ordonnance",
                  copies: int = 1) -> str:
        """Print ``pdf``; returns the printer's name. Safe to call from a worker thread."""
        pages = load_pdf_pages(pdf)
        printer = self.make_printer(printer_name)
        printer.setDocName(job_name)
        printer.setCopyCount(max(1, copies))
        prepare_printer(printer, pages)
        paint_pages(printer, pages)
        log.info("printed %d page(s) on %s", pages.count, printer.printerName())
        return printer.printerName()
