"""Printing ordonnances: the PDF itself to CUPS (Linux), else rasterised and painted with Qt.

The print preview renders the very same PDF, so what the physician previews is what the
printer receives.
"""

from lap_app.printing.errors import PrintError
from lap_app.printing.pages import PdfPages, load_pdf_pages
from lap_app.printing.service import PrintService

__all__ = ["PdfPages", "PrintError", "PrintService", "load_pdf_pages"]
