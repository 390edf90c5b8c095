"""Several ordonnances of one consultation in one PDF, pages in the order they were written:
one print job for the physician (each ordonnance keeps its own PDF for the DMP)."""

from __future__ import annotations

import io


def merge_pdfs(documents: list[bytes]) -> bytes:
    """The pages of ``documents``, in order, as one PDF."""
    if len(documents) == 1:
        return documents[0]
    import pypdfium2 as pdfium

    merged = pdfium.PdfDocument.new()
    try:
        for data in documents:
            source = pdfium.PdfDocument(data)
            try:
                merged.import_pages(source)
            finally:
                source.close()
        buffer = io.BytesIO()
        merged.save(buffer)
        return buffer.getvalue()
    finally:
        merged.close()
