"""The TrueType fonts embedded in every ordonnance PDF.

DejaVu Sans (``resources/fonts/``, Bitstream Vera licence) covers every character of
French names and drug labels (É, œ, µ, ’, ½, « ») that the PDF base-14 fonts lack.
Each face embeds one fixed subset of everyday glyphs, built once per process
(``embedded_font``), plus whatever rarer characters a document uses.
"""

from __future__ import annotations

import threading

from reportlab.pdfbase import pdfmetrics

from lap_app.paths import resources_dir
from lap_app.render.embedded_font import EverydaySubsetFont

REGULAR = "LapSans"
BOLD = "LapSans-Bold"
ITALIC = "LapSans-Oblique"

_FILES = {
    REGULAR: "DejaVuSans.ttf",
    BOLD: "DejaVuSans-Bold.ttf",
    ITALIC: "DejaVuSans-Oblique.ttf",
}


_registration = threading.Lock()
_registered = False


def register_fonts() -> None:
    """Register the three faces with reportlab (once per process: parsing costs ~0.1 s). Under a
    lock: the renderer's warm-up (``render.warm``) and a first render may ask at the same time,
    and the second must wait for the faces, not parse them again."""
    global _registered
    if _registered:
        return
    from lap_app.domain.errors import UserError
    from lap_app.i18n import _

    with _registration:
        if _registered:
            return
        folder = resources_dir() / "fonts"
        for name, filename in _FILES.items():
            path = folder / filename
            if not path.is_file():
                raise UserError(_("Police introuvable : {path} (installation incomplète)").format(path=path))
            pdfmetrics.registerFont(EverydaySubsetFont(name, str(path)))
        pdfmetrics.registerFontFamily(REGULAR, normal=REGULAR, bold=BOLD, italic=ITALIC, boldItalic=BOLD)
        _registered = True


def text_width(text: str, font: str, size: float) -> float:
    width: float = pdfmetrics.stringWidth(text, font, size)
    return width


def missing_glyphs(text: str, font: str = REGULAR) -> set[str]:
    """Characters of ``text`` that the font cannot draw (they would print as a box)."""
    register_fonts()
    char_to_glyph = pdfmetrics.getFont(font).face.charToGlyph
    return {ch for ch in text if ord(ch) not in char_to_glyph and ch not in "\n\r\t"}
