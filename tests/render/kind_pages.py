"""The printed page of each kind, as PNG in docs/screenshots/page-<kind>.png.

    .venv/bin/python tests/render/kind_pages.py
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "fhir"))
from kind_examples import example_path

from lap_app.domain.kinds import OrdonnanceKind
from lap_app.fhir import from_bundle
from lap_app.render.ordonnance_pdf import render_ordonnance_pdf

from render_checks import page_images

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"

if __name__ == "__main__":
    for kind in OrdonnanceKind:
        pdf = render_ordonnance_pdf(from_bundle(json.loads(example_path(kind).read_text(encoding="utf-8"))))
        target = SCREENSHOTS / f"page-{kind.value}.png"
        page_images(pdf, dpi=80)[0].save(target, optimize=True)
        print(target)
