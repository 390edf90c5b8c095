"""What replaces a user's eye in the renderer tests: rasterise the pages, decode the
codes, extract the text."""

from __future__ import annotations

import io


def page_images(pdf: bytes, dpi: int = 150) -> list:
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(pdf)
    try:
        return [page.render(scale=dpi / 72, grayscale=True).to_pil() for page in document]
    finally:
        document.close()


def decode_codes(image) -> dict[str, list[str]]:
    """Barcodes found on a page image, by format name ("QRCode", "Code128")."""
    import zxingcpp

    found: dict[str, list[str]] = {}
    for barcode in zxingcpp.read_barcodes(image):
        found.setdefault(barcode.format.name, []).append(barcode.text)
    return found


def page_texts(pdf: bytes) -> list[str]:
    from pypdf import PdfReader

    return [page.extract_text() or "" for page in PdfReader(io.BytesIO(pdf)).pages]


def flat(text: str) -> str:
    """Text with line breaks and runs of spaces collapsed (wrapping is not content)."""
    return " ".join(text.split())
