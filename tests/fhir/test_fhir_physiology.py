"""The patient's ALD and physiological state in the Bundle, both ways: a pharmacist reads the
pregnancy and its term, breastfeeding and the last creatinine from the ordonnance; a patient in
ALD has both zones of the bizone even when every line is outside the ALD."""

from __future__ import annotations

import copy
import json
from datetime import date
from pathlib import Path

import pytest

from lap_app.domain.errors import ValidationError
from lap_app.domain.model import Creatinine, Zone
from lap_app.fhir import canonical_bytes, from_bundle, to_bundle


@pytest.fixture
def example(example_bundle_path: Path) -> dict:
    return json.loads(example_bundle_path.read_text(encoding="utf-8"))


def _observations(bundle: dict) -> dict[str, dict]:
    return {e["resource"]["code"]["coding"][0]["code"]: e["resource"] for e in bundle["entry"]
            if e["resource"]["resourceType"] == "Observation"}


def test_pregnancy_breastfeeding_and_creatinine_are_observations_read_back(example: dict) -> None:
    o = from_bundle(example)
    o.patient.pregnant, o.patient.pregnancy_weeks = True, 22
    o.patient.creatinine = Creatinine(88.4, "µmol/L", date(2026, 3, 12))
    bundle = json.loads(json.dumps(to_bundle(o)))
    seen = _observations(bundle)
    assert seen["82810-3"]["valueCodeableConcept"]["coding"][0]["code"] == "77386006"
    assert seen["82810-3"]["component"][0]["valueQuantity"] == {
        "value": 22, "unit": "wk", "system": "http://unitsofmeasure.org", "code": "wk"}
    assert seen["14682-9"]["valueQuantity"]["value"] == 88.4 and seen["14682-9"]["valueQuantity"]["code"] == "umol/L"
    assert seen["14682-9"]["effectiveDateTime"] == "2026-03-12"  # the day of the blood test, not of the ordonnance
    back = from_bundle(bundle)
    assert (back.patient.pregnant, back.patient.pregnancy_weeks) == (True, 22)
    assert back.patient.creatinine == Creatinine(88.4, "µmol/L", date(2026, 3, 12))
    assert canonical_bytes(to_bundle(back)) == canonical_bytes(bundle)


def test_hand_made_breastfeeding_and_creatinine_in_mg_per_litre_are_read(example: dict) -> None:
    bundle = copy.deepcopy(example)
    patient_url = next(e["fullUrl"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Patient")
    loinc = "http://loinc.org"
    bundle["entry"].insert(3, {"fullUrl": "urn:uuid:00000000-0000-4000-8000-0000000000b1", "resource": {
        "resourceType": "Observation", "status": "final", "subject": {"reference": patient_url},
        "code": {"coding": [{"system": loinc, "code": "63895-7"}]}, "effectiveDateTime": "2026-05-02T10:00:00+02:00",
        "valueCodeableConcept": {"coding": [{"system": "http://snomed.info/sct", "code": "413712001"}]}}})
    bundle["entry"].insert(4, {"fullUrl": "urn:uuid:00000000-0000-4000-8000-0000000000c1", "resource": {
        "resourceType": "Observation", "status": "final", "subject": {"reference": patient_url},
        "code": {"coding": [{"system": loinc, "code": "2160-0"}]}, "effectiveDateTime": "2026-04-20",
        "valueQuantity": {"value": 9.5, "unit": "mg/L", "system": "http://unitsofmeasure.org", "code": "mg/L"}}})
    patient = from_bundle(bundle).patient
    assert patient.breastfeeding and not patient.pregnant
    assert patient.creatinine == Creatinine(9.5, "mg/L", date(2026, 4, 20))


def test_an_unknown_observation_or_unit_is_named_at_its_path(example: dict) -> None:
    o = from_bundle(example)
    o.patient.creatinine = Creatinine(88.4, "µmol/L", date(2026, 3, 12))
    bundle = to_bundle(o)
    creatinine = next(i for i, e in enumerate(bundle["entry"]) if e["resource"]["resourceType"] == "Observation")
    bundle["entry"][creatinine]["resource"]["valueQuantity"]["code"] = "mmol/L"
    with pytest.raises(ValidationError) as refused:
        from_bundle(bundle)
    assert any(p.path == f"entry[{creatinine}].resource.valueQuantity" and "unité attendue" in p.message
               for p in refused.value.problems)


def test_patient_in_ald_has_both_zones_even_with_every_line_outside_it(example: dict) -> None:
    o = from_bundle(example)
    for line in o.lines:
        line.zone = Zone.HORS_ALD
    assert not o.is_bizone
    o.patient.ald = True
    assert o.is_bizone
    bundle = to_bundle(o)
    patient = next(e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Patient")
    assert patient["extension"] == [{"url": "urn:ordonnance-numerique:patient-en-ald", "valueBoolean": True}]
    sections = bundle["entry"][0]["resource"]["section"]
    assert [s["code"]["coding"][0]["code"] for s in sections] == ["ALD", "HORS-ALD"]
    assert "entry" not in sections[0] and sections[0]["emptyReason"]["coding"][0]["code"] == "nilknown"
    assert len(sections[1]["entry"]) == len(o.lines)
    back = from_bundle(json.loads(json.dumps(bundle)))
    assert back.patient.ald and back.is_bizone and to_bundle(back) == bundle
