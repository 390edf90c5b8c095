"""The paper ordonnance: ``render_ordonnance_pdf(ordonnance, page_size) -> bytes``."""

from lap_app.render.ordonnance_pdf import render_ordonnance_pdf

__all__ = ["render_ordonnance_pdf"]
