"""Printing ordonnances: the PDF rasterised at printer resolution, painted with Qt.

The print preview paints the very same pages, so what the physician previews is what the
printer receives.
"""

from lap_app.printing.pages import PdfPages, load_pdf_pages
from lap_app.printing.service import PrintError, PrintService

__all__ = ["PdfPages", "PrintError", "PrintService", "load_pdf_pages"]
