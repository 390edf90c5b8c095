"""Text of a PDF page as a reader sees it (pypdf), for the UI tests."""

from __future__ import annotations

import io


def pdf_text(pdf: bytes) -> str:
    import pypdf

    return "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf)).pages)
