"""The renderer made ready before the first ordonnance of the process.

A process's first render parses the three DejaVu faces (``fonts.register_fonts``, most of it)
and builds the everyday subset's font program (``embedded_font``): 0.2 s and more, against
~15 ms for the next ones. ``warm_up`` renders a throwaway page in advance, off the GP's wait;
the first real ordonnance then costs what the later ones do. Its PDF is the same, byte for
byte, warmed or not (``tests/render/test_render_warm_up.py``): the caches filled here are the
ones the first real render would have filled with the same bytes.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from lap_app.render.ordonnance_pdf import render_ordonnance_pdf

# a number of the right form (MOD 97-10), so the QR code and the number's line are drawn too
SAMPLE_NUMBER = "2026112500004292"


def warm_up() -> None:
    """Render a one-line ordonnance and throw it away (call it in a worker)."""
    from lap_app.domain.model import Ordonnance, Patient, Prescriber, PrescriptionLine, Sex
    from lap_app.domain.posology import Posology

    sample = Ordonnance(
        prescriber=Prescriber(family_name="É", given_names=["É"], national_id="810000000000"),
        patient=Patient(family_name="É", given_names=["É"], sex=Sex.FEMALE, birth_date=date(2000, 1, 1)),
        lines=[PrescriptionLine(dci_wording="É", posology=Posology(text="« 1 » œ"))],
        written_at=datetime(2026, 1, 1, tzinfo=UTC),
        number=SAMPLE_NUMBER,
    )
    render_ordonnance_pdf(sample)
