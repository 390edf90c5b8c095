"""The complete Bundle of each kind of ordonnance in docs/examples/ordonnance-<kind>.json.

    .venv/bin/python tests/fhir/kind_examples.py     # rewrite the ten files

Deterministic (fixed identifiers and dates), so tests/fhir/test_fhir_kinds.py checks that
the files are exactly what the mapping writes today. Fictitious physician and patient.
"""

from __future__ import annotations

import json
import uuid
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from lap_app.demo.kind_samples import fill_with_sample_lines
from lap_app.domain.identifiers import prescription_number_from_serial
from lap_app.domain.kinds import OrdonnanceKind
from lap_app.domain.model import Address, Ordonnance, Patient, Prescriber, Sex
from lap_app.fhir import to_bundle

EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "examples"
PARIS = timezone(timedelta(hours=1))


def _id(name: str) -> str:
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, 'lap-app/examples/' + name)}"


def example_ordonnance(kind: OrdonnanceKind) -> Ordonnance:
    prescriber = Prescriber(
        family_name="MARTIN", given_names=["Claire"], national_id="810101234564",
        qualification="Médecin qualifié en médecine générale",
        address=Address(["12 rue des Lilas"], "75011", "Paris"), phone="+33 1 23 45 67 89",
        email="claire.martin@cabinet-exemple.fr", resource_id=_id("practitioner"),
    )
    patient = Patient("DUPONT", ["Jean"], Sex.MALE, date(1958, 3, 14), ins="158037505612321",
                      weight_kg=82, resource_id=_id("patient"), weight_resource_id=_id("weight"))
    index = list(OrdonnanceKind).index(kind)
    o = Ordonnance(prescriber, patient, [], datetime(2026, 11, 25, 10, 42, tzinfo=PARIS),
                   number=prescription_number_from_serial(20261125000100 + index),
                   bundle_id=f"exemple-{kind.value}", composition_id=_id(f"{kind.value}/composition"))
    fill_with_sample_lines(o, kind)
    for family, position, line in o.every_line():
        line.resource_id = _id(f"{kind.value}/{family.value}/{position}")
    return o


def example_bundle(kind: OrdonnanceKind) -> dict:
    return to_bundle(example_ordonnance(kind))


def example_path(kind: OrdonnanceKind) -> Path:
    return EXAMPLES / f"ordonnance-{kind.value}.json"


def example_text(kind: OrdonnanceKind) -> str:
    return json.dumps(example_bundle(kind), ensure_ascii=False, indent=2) + "\n"


if __name__ == "__main__":
    EXAMPLES.mkdir(parents=True, exist_ok=True)
    for each in OrdonnanceKind:
        example_path(each).write_text(example_text(each), encoding="utf-8")
        print(example_path(each))
