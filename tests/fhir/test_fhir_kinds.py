"""Every kind both ways: ServiceRequest (NABM, acts), DeviceRequest (LPP), the kind in the
Composition, its ALD sections, the number on every line; the documented examples."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from kind_examples import example_bundle, example_ordonnance, example_path, example_text

from lap_app.domain.care import BiologyLine, DeviceSupply, SessionLine
from lap_app.domain.errors import ValidationError
from lap_app.domain.kinds import OrdonnanceKind
from lap_app.domain.model import Zone
from lap_app.domain.validation import validate_ordonnance
from lap_app.fhir import canonical_bytes, from_bundle, to_bundle

HAND_MADE = Path(__file__).resolve().parent / "fixtures" / "hand-made-biologie.json"
LINE_TYPES = {"MedicationRequest", "ServiceRequest", "DeviceRequest"}


def _lines(bundle: dict) -> list[dict]:
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] in LINE_TYPES]


@pytest.mark.parametrize("kind", list(OrdonnanceKind))
def test_every_kind_round_trips_identical_in_canonical_form(kind: OrdonnanceKind) -> None:
    bundle = example_bundle(kind)
    again = to_bundle(from_bundle(copy.deepcopy(bundle)))
    assert canonical_bytes(again) == canonical_bytes(bundle)
    read = from_bundle(copy.deepcopy(bundle))
    assert read.kind is kind and read.line_count == example_ordonnance(kind).line_count


@pytest.mark.parametrize("kind", list(OrdonnanceKind))
def test_documented_example_is_what_the_mapping_writes(kind: OrdonnanceKind) -> None:
    assert example_path(kind).read_text(encoding="utf-8") == example_text(kind)
    read = from_bundle(json.loads(example_path(kind).read_text(encoding="utf-8")))
    assert validate_ordonnance(read) == []


@pytest.mark.parametrize("kind", [k for k in OrdonnanceKind if k.registrable])
def test_every_line_shares_the_number_as_group_identifier(kind: OrdonnanceKind) -> None:
    bundle = example_bundle(kind)
    number = bundle["identifier"]["value"]
    lines = _lines(bundle)
    assert lines and all(line["groupIdentifier"]["value"] == number for line in lines)


@pytest.mark.parametrize("kind", [OrdonnanceKind.IMAGERIE, OrdonnanceKind.TRANSPORT])
def test_paper_only_kinds_have_no_number_anywhere(kind: OrdonnanceKind) -> None:
    bundle = example_bundle(kind)
    assert "identifier" not in bundle
    assert all("groupIdentifier" not in line for line in _lines(bundle))


def test_resource_types_and_code_systems_per_kind() -> None:
    def types(kind: OrdonnanceKind) -> set[str]:
        return {line["resourceType"] for line in _lines(example_bundle(kind))}

    assert types(OrdonnanceKind.MEDICAMENTS) == {"MedicationRequest", "DeviceRequest"}
    assert types(OrdonnanceKind.DISPOSITIFS) == {"DeviceRequest"}
    for kind in (OrdonnanceKind.BIOLOGIE, OrdonnanceKind.SOINS_INFIRMIERS, OrdonnanceKind.KINESITHERAPIE,
                 OrdonnanceKind.ORTHOPHONIE, OrdonnanceKind.ORTHOPTIE, OrdonnanceKind.PODOLOGIE,
                 OrdonnanceKind.IMAGERIE, OrdonnanceKind.TRANSPORT):
        assert types(kind) == {"ServiceRequest"}, kind
    biology = _lines(example_bundle(OrdonnanceKind.BIOLOGIE))
    assert {c["system"] for line in biology for c in line["code"]["coding"]} == {"urn:ordonnance-numerique:nabm"}
    devices = _lines(example_bundle(OrdonnanceKind.DISPOSITIFS))
    assert {c["system"] for line in devices for c in line["codeCodeableConcept"]["coding"]} == {
        "urn:ordonnance-numerique:lpp"
    }
    physio = _lines(example_bundle(OrdonnanceKind.KINESITHERAPIE))[0]
    assert physio["code"] == {"text": "Rééducation du rachis lombaire"}
    assert physio["quantityQuantity"] == {"value": 10, "unit": "séances"}
    assert physio["orderDetail"] == [
        {"text": "10 séances de rééducation du rachis lombaire, 2 séances par semaine — Lombalgie commune subaiguë"}
    ]


def test_composition_keeps_ald_and_hors_ald_sections_for_any_kind() -> None:
    o = example_ordonnance(OrdonnanceKind.KINESITHERAPIE)
    o.sessions.append(SessionLine("Rééducation de l'épaule droite", sessions=15, zone=Zone.ALD))
    bundle = to_bundle(o)
    sections = bundle["entry"][0]["resource"]["section"]
    assert [s["code"]["coding"][0]["code"] for s in sections] == ["ALD", "HORS-ALD"]
    assert sections[0]["entry"] == [{"reference": o.sessions[1].resource_id}]
    back = from_bundle(bundle)
    assert [s.zone for s in back.sessions] == [Zone.HORS_ALD, Zone.ALD]


def test_hand_made_bundle_is_read_back() -> None:
    o = from_bundle(json.loads(HAND_MADE.read_text(encoding="utf-8")))
    assert o.kind is OrdonnanceKind.BIOLOGIE and o.number == "2026112500004292" and o.is_bizone
    inr, glucose = o.analyses
    assert (inr.code, inr.label, inr.zone, inr.at_home, inr.every, inr.every_unit) == (
        "0127", "INR", Zone.ALD, True, 1, "wk")
    assert (inr.repeat_duration, inr.repeat_duration_unit, inr.note) == (3, "mo", "AVK, INR cible 2 à 3")
    assert (glucose.code, glucose.fasting, glucose.urgent, glucose.repeat_count, glucose.zone) == (
        "0552", True, True, 2, Zone.HORS_ALD)
    assert o.prescriber.family_name == "LEROY" and o.patient.family_name == "MOREAU"


def _bundle_with(kind: OrdonnanceKind, change) -> dict:  # type: ignore[no-untyped-def]
    o = example_ordonnance(kind)
    change(o)
    return to_bundle(o)


def _problems(bundle: dict) -> list[str]:
    with pytest.raises(ValidationError) as raised:
        from_bundle(bundle)
    return [p.render() for p in raised.value.problems]


def test_physiotherapy_without_sessions_is_reported_at_its_json_path() -> None:
    bundle = example_bundle(OrdonnanceKind.KINESITHERAPIE)
    line = _lines(bundle)[0]
    del line["quantityQuantity"]
    del line["orderDetail"]
    index = next(i for i, e in enumerate(bundle["entry"]) if e["resource"] is line)
    assert _problems(bundle) == [f"entry[{index}].resource : nombre de séances manquant"]


def test_nursing_without_duration_is_reported_at_its_json_path() -> None:
    bundle = example_bundle(OrdonnanceKind.SOINS_INFIRMIERS)
    line = _lines(bundle)[0]
    del line["occurrenceTiming"]["repeat"]["boundsDuration"]
    del line["orderDetail"]
    index = next(i for i, e in enumerate(bundle["entry"]) if e["resource"] is line)
    assert f"entry[{index}].resource.occurrenceTiming.repeat.boundsDuration : durée des soins infirmiers manquante" in (
        _problems(bundle))


def test_wrong_printed_sentence_unknown_kind_and_misplaced_lines_are_refused() -> None:
    bundle = example_bundle(OrdonnanceKind.KINESITHERAPIE)
    _lines(bundle)[0]["orderDetail"][0]["text"] = "20 séances"
    assert any("la phrase imprimée ne correspond pas" in p for p in _problems(bundle))
    bundle = example_bundle(OrdonnanceKind.BIOLOGIE)
    bundle["entry"][0]["resource"]["category"][0]["coding"][0]["code"] = "radiologie"
    assert any("type d'ordonnance inconnu" in p for p in _problems(bundle))
    bundle = example_bundle(OrdonnanceKind.MEDICAMENTS)
    bundle["entry"][0]["resource"].pop("category", None)
    bundle["entry"][-1]["resource"] = example_bundle(OrdonnanceKind.BIOLOGIE)["entry"][-1]["resource"]
    assert any("ServiceRequest inattendue sur une ordonnance « Médicaments »" in p for p in _problems(bundle))


def test_device_fields_survive_the_trip() -> None:
    o = example_ordonnance(OrdonnanceKind.DISPOSITIFS)
    o.devices[0].supply = DeviceSupply.RENTAL
    o.devices[0].duration, o.devices[0].duration_unit = 3, "mo"
    o.devices[0].instructions = "Livraison à domicile"
    back = from_bundle(to_bundle(o))
    device = back.devices[0]
    assert (device.supply, device.duration, device.duration_unit, device.instructions) == (
        DeviceSupply.RENTAL, 3, "mo", "Livraison à domicile")
    assert back.devices[1].quantity == 2 and back.devices[1].renewals == 1


def test_biology_code_is_required_in_the_nabm_system() -> None:
    o = example_ordonnance(OrdonnanceKind.BIOLOGIE)
    o.analyses = [BiologyLine("1104", "NFS")]
    bundle = to_bundle(o)
    _lines(bundle)[0]["code"]["coding"][0]["system"] = "http://loinc.org"
    assert any("code NABM manquant" in p for p in _problems(bundle))
