"""The renderer warmed in advance (``lap_app.render.warm``, done by the desktop application once
the session is open) gives the same PDF, byte for byte, as a cold first render: each process
below is fresh, so each first render is a process's first."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import render_samples as samples
from render_checks import decode_codes, page_images

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]

# the first argument: "warm" to warm the renderer first; prints the PDFs' bytes in hex
RENDER = r"""
import sys
sys.path.insert(0, sys.argv[2])
import render_samples as samples
from lap_app.domain.model import PrescriptionLine
from lap_app.domain.posology import Posology
from lap_app.render import render_ordonnance_pdf
if sys.argv[1] == "warm":
    from lap_app.render.warm import warm_up
    warm_up()
rare = samples.plain(2)
rare.lines.append(PrescriptionLine(dci_wording="ACIDE α-LIPOÏQUE 600 mg", posology=Posology(text="1 par jour ≈ 30 j")))
for ordonnance, size in ((samples.ordonnance(), "A4"), (rare, "A5")):
    print(render_ordonnance_pdf(ordonnance, size).hex())
"""


def _first_renders(mode: str) -> list[bytes]:
    done = subprocess.run([sys.executable, "-c", RENDER, mode, str(HERE)], capture_output=True, text=True,
                          cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stderr
    return [bytes.fromhex(line) for line in done.stdout.split()]


def test_a_warmed_renderer_prints_the_same_pdf_as_a_cold_one() -> None:
    cold, warmed = _first_renders("cold"), _first_renders("warm")
    assert len(cold) == 2
    assert warmed == cold
    codes = decode_codes(page_images(warmed[0])[0])
    assert codes["QRCode"] == [samples.NUMBER]  # (the pharmacist's scan, as on the cold one)
