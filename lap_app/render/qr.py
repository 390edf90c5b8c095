"""The QR code carrying the prescription number, drawn as vector modules.

All dark modules go into one path (runs of adjacent modules merged into one rectangle per
row), which is several times faster than drawing each module and keeps the code sharp at
any print resolution.
"""

from __future__ import annotations

import segno
from reportlab.pdfgen.canvas import Canvas

QUIET_ZONE = 4  # modules of white margin required around the symbol by ISO/IEC 18004


def prescription_qr(number: str) -> segno.QRCode:
    """A QR code holding exactly the 16 digits: numeric mode, level H, version 1."""
    return segno.make(number, mode="numeric", error="h", micro=False, boost_error=False)


def draw_qr(canvas: Canvas, matrix: tuple[bytearray, ...], x: float, y: float, size: float) -> None:
    """Draw the code (``prescription_qr(number).matrix``, computed once per document) with
    its quiet zone in the square (x, y, size) (y is the bottom)."""
    modules = len(matrix) + 2 * QUIET_ZONE
    unit = size / modules
    top = y + size - QUIET_ZONE * unit
    left = x + QUIET_ZONE * unit
    path = canvas.beginPath()
    for row_index, row in enumerate(matrix):
        row_y = top - (row_index + 1) * unit
        col = 0
        width = len(row)
        while col < width:
            if not row[col]:
                col += 1
                continue
            start = col
            while col < width and row[col]:
                col += 1
            path.rect(left + start * unit, row_y, (col - start) * unit, unit)
    canvas.saveState()
    canvas.setFillColorRGB(0, 0, 0)
    canvas.drawPath(path, stroke=0, fill=1)
    canvas.restoreState()
