"""The dose unit a new line starts with, read from the real BDPM (form, then name and packs)."""

from __future__ import annotations

import pytest

from lap_app.services.drafting import line_for_drug


@pytest.mark.parametrize(("query", "unit"), [
    ("smecta", "sachet"),  # form "poudre pour suspension buvable", packs of sachets
    ("doliprane 1000 comprimé", "comprimé"),
    ("toplexil", "ml"),  # a syrup in a bottle stays in ml
])
def test_a_new_line_starts_with_the_unit_the_patient_takes(drug_db, query: str, unit: str) -> None:
    drug = drug_db.search(query, limit=1)[0]
    assert line_for_drug(drug).posology.dose_unit == unit
