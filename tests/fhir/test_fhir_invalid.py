"""An invalid Bundle gives ONE ValidationError listing every problem at its JSON path."""

from __future__ import annotations

import copy
import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lap_app.domain.errors import ValidationError
from lap_app.domain.model import Creatinine, Ordonnance, Signature
from lap_app.fhir import from_bundle, to_bundle


@pytest.fixture(scope="module")
def example(example_bundle_path: Path) -> dict:
    return json.loads(example_bundle_path.read_text(encoding="utf-8"))


def problems_of(data: Any) -> list[tuple[str, str]]:
    with pytest.raises(ValidationError) as caught:
        from_bundle(data)
    error = caught.value
    assert error.message.startswith("Ordonnance FHIR invalide : ") and "\n" not in error.message
    return [(p.path, p.message) for p in error.problems]


@pytest.mark.parametrize("data", [[], "Bundle", 42, None])
def test_not_an_object(data: Any) -> None:
    assert problems_of(data) == [("", "le document n'est pas un objet JSON")]


def test_not_a_bundle(example: dict) -> None:
    assert problems_of(dict(example, resourceType="Patient")) == [("resourceType", "une ressource Bundle est attendue")]


def test_every_problem_is_listed_at_its_path(example: dict) -> None:
    data = copy.deepcopy(example)
    entry = data["entry"]
    data["identifier"]["value"] = "2026112500004293"
    del entry[1]["resource"]["name"][0]["family"]
    entry[1]["resource"]["telecom"] = [t for t in entry[1]["resource"]["telecom"] if t["system"] != "phone"]
    entry[2]["resource"]["birthDate"] = "1958-13-14"
    entry[2]["resource"]["gender"] = "homme"
    metformin, levothyrox, paracetamol = (e["resource"] for e in entry[3:])
    metformin["dispenseRequest"]["numberOfRepeatsAllowed"] = -1
    metformin["dosageInstruction"][0]["timing"]["repeat"]["when"] = ["BREAKFAST"]
    levothyrox["dispenseRequest"]["numberOfRepeatsAllowed"] = "2"
    levothyrox["medicationCodeableConcept"]["coding"][1]["code"] = "3400930065892"
    del levothyrox["substitution"]["reason"]
    paracetamol["requester"]["reference"] = "urn:uuid:inconnu"
    paracetamol["authoredOn"] = "2026-11-24"
    del paracetamol["medicationCodeableConcept"]["text"]
    found = problems_of(data)
    expected = {
        ("identifier.value", "clé de contrôle"),
        ("entry[1].resource.name[0].family", "nom du prescripteur manquant"),
        ("entry[1].resource.telecom", "téléphone du prescripteur manquant"),
        ("entry[2].resource.birthDate", "date invalide : « 1958-13-14 »"),
        ("entry[2].resource.gender", "sexe inconnu"),
        ("entry[3].resource.dispenseRequest.numberOfRepeatsAllowed", "renouvellements"),
        ("entry[3].resource.dosageInstruction[0].timing.repeat.when", "moment de prise inconnu : BREAKFAST"),
        ("entry[4].resource.dispenseRequest.numberOfRepeatsAllowed", "type incorrect : entier attendu"),
        ("entry[4].resource.medicationCodeableConcept.coding[1].code", "clé du code CIP13"),
        ("entry[4].resource.substitution", "sans justification"),
        ("entry[5].resource.requester.reference", "la référence doit désigner le Practitioner"),
        ("entry[5].resource.authoredOn", "diffère de la date de l'ordonnance"),
        ("entry[5].resource.medicationCodeableConcept.text", "DCI"),
    }
    # one message per field (an unreadable birth date is not also reported "missing"),
    # in document order; the lines' copies of the wrong number are not reported again
    assert [p for p, _m in found] == [
        "entry[1].resource.name[0].family",
        "entry[1].resource.telecom",
        "entry[2].resource.birthDate",
        "entry[2].resource.gender",
        "entry[3].resource.dispenseRequest.numberOfRepeatsAllowed",
        "entry[3].resource.dosageInstruction[0].timing.repeat.when",
        "entry[4].resource.dispenseRequest.numberOfRepeatsAllowed",
        "entry[4].resource.medicationCodeableConcept.coding[1].code",
        "entry[4].resource.substitution",
        "entry[5].resource.authoredOn",
        "entry[5].resource.medicationCodeableConcept.text",
        "entry[5].resource.requester.reference",
        "identifier.value",
    ]
    for path, words in expected:
        assert any(p == path and words in m for p, m in found), (path, words, found)


def test_missing_composition_patient_and_bad_references(example: dict) -> None:
    no_composition = copy.deepcopy(example)
    no_composition["entry"] = no_composition["entry"][1:]
    assert problems_of(no_composition) == [("entry[0].resource", "la première entrée doit être la Composition de l'ordonnance")]

    data = copy.deepcopy(example)
    data["type"] = "collection"
    composition = data["entry"][0]["resource"]
    composition["subject"]["reference"] = data["entry"][1]["fullUrl"]  # the Practitioner
    composition["date"] = "25/11/2026"
    composition["section"][1]["entry"].append({"reference": "urn:uuid:absent"})
    found = problems_of(data)
    assert ("type", "le Bundle doit être de type « document »") in found
    assert ("entry[0].resource.subject.reference", "la référence doit désigner une ressource Patient") in found
    assert any(p == "entry[0].resource.date" and "date et heure invalides" in m for p, m in found)
    assert any(p == "entry[0].resource.section[1].entry[2].reference" and "introuvable" in m for p, m in found)
    # the lines were still read: a broken line is reported along with the rest
    assert len(found) == 4


def test_structure_problems(example: dict) -> None:
    data = copy.deepcopy(example)
    data["entry"].append({"fullUrl": data["entry"][3]["fullUrl"], "resource": {"resourceType": "Observation"}})
    data["entry"].append({"fullUrl": "urn:uuid:x", "resource": {"resourceType": "Condition"}})
    data["entry"][0]["resource"]["extension"] = [{"url": "urn:autre", "valueBoolean": True}]
    data["entry"][0]["resource"]["section"][0]["entry"] = []  # the ALD line is in no section
    data["entry"][3]["resource"]["dosageInstruction"][0]["doseAndRate"][0]["doseQuantity"]["value"] = "1"
    data["entry"][4]["resource"]["dosageInstruction"][0]["doseAndRate"][0]["doseQuantity"]["value"] = float("inf")
    found = problems_of(data)
    assert ("entry[4].resource.dosageInstruction[0].doseAndRate[0].doseQuantity.value", "nombre fini attendu") in found
    assert ("entry[6].fullUrl", f"fullUrl en double : {data['entry'][3]['fullUrl']}") in found
    assert ("entry[7].resource.resourceType", "ressource inattendue dans une ordonnance : Condition") in found
    assert ("entry[0].resource.extension[0].url", "extension inconnue : urn:autre") in found
    assert ("entry[3].resource", "ligne de prescription absente des sections de la Composition") in found
    assert ("entry[3].resource.dosageInstruction[0].doseAndRate[0].doseQuantity.value", "type incorrect : nombre attendu") in found


def _paths(node: Any, prefix: tuple = ()) -> list[tuple]:
    out = [prefix]
    if isinstance(node, dict):
        for key, value in node.items():
            out += _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            out += _paths(value, (*prefix, index))
    return out


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-3, 10**17) | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3),
    max_leaves=6,
)


@pytest.fixture(scope="module")
def rich(example: dict) -> dict:
    """The example plus every optional part: weight, height, pregnancy, creatinine, ALD,
    opposition, signature, boxes..."""
    o = from_bundle(example)
    o.patient.weight_kg, o.patient.height_cm = 80, 180
    o.patient.pregnant, o.patient.pregnancy_weeks, o.patient.breastfeeding = True, 12, True
    o.patient.creatinine, o.patient.ald = Creatinine(70, "µmol/L", date(2026, 9, 1)), True
    o.opposition = True
    o.lines[0].boxes = 3
    o.lines[0].posology.min_interval_hours = 12
    o.lines[0].instructions = "Avec un verre d'eau"
    o.lines[2].posology.as_needed_reason = "douleur"
    o.lines[2].posology.text = None
    o.signature = Signature(o.written_at, o.prescriber.national_id, b"sig", b"cert", "application/x-lap-rs256")
    return to_bundle(o)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(st.data())
@pytest.mark.parametrize("base", ["example", "rich"])
def test_any_corruption_gives_a_result_or_a_validation_error_never_a_crash(
    base: str, request: pytest.FixtureRequest, data: st.DataObject
) -> None:
    bundle = copy.deepcopy(request.getfixturevalue(base))
    for _ in range(data.draw(st.integers(1, 3))):
        path = data.draw(st.sampled_from(_paths(bundle)[1:]))
        parent = bundle
        for step in path[:-1]:
            parent = parent[step]
        if data.draw(st.booleans()) and isinstance(parent, dict):
            del parent[path[-1]]
        else:
            parent[path[-1]] = data.draw(json_values)
    try:
        result = from_bundle(bundle)
    except ValidationError as error:
        assert error.problems and all(isinstance(p.path, str) and p.message for p in error.problems)
    else:  # what is accepted can be written back: the application stores and re-signs it
        assert isinstance(result, Ordonnance)
        assert to_bundle(result)["resourceType"] == "Bundle"


def test_ordonnance_without_lines(example: dict) -> None:
    data = copy.deepcopy(example)
    data["entry"] = data["entry"][:3]
    data["entry"][0]["resource"]["section"] = []
    assert problems_of(data) == [("entry", "l'ordonnance ne comporte aucune ligne de prescription")]
