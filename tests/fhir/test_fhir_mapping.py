"""FHIR R4 mapping both ways: the example round-trips exactly, generated ordonnances too."""

from __future__ import annotations

import copy
import json
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lap_app.domain.model import Creatinine, NonSubstitutionReason, Ordonnance, Signature, Zone
from lap_app.domain.validation import validate_ordonnance
from lap_app.fhir import canonical_bytes, from_bundle, to_bundle

from fhir_strategies import ordonnances


@pytest.fixture(scope="module")
def example(example_bundle_path: Path) -> dict:
    return json.loads(example_bundle_path.read_text(encoding="utf-8"))


def test_example_round_trips_exactly(example: dict) -> None:
    again = to_bundle(from_bundle(copy.deepcopy(example)))
    assert again == example
    assert canonical_bytes(again) == canonical_bytes(example)
    assert json.dumps(again, sort_keys=True) == json.dumps(example, sort_keys=True)


def test_example_reads_as_the_ordonnance_it_shows(example: dict) -> None:
    o = from_bundle(example)
    assert o.number == "2026112500004292"
    assert o.written_at == datetime(2026, 11, 25, 10, 42, tzinfo=timezone(timedelta(hours=1)))
    assert (o.prescriber.display_name, o.prescriber.rpps) == ("Dr Claire MARTIN", "10101234564")
    assert o.prescriber.address is not None and o.prescriber.address.city == "Paris"
    assert (o.patient.display_name, o.patient.birth_date, o.patient.ins) == ("DUPONT Jean Émile", date(1958, 3, 14), "158037505612321")
    assert o.is_bizone and [line.zone for line in o.lines] == [Zone.ALD, Zone.HORS_ALD, Zone.HORS_ALD]
    metformin, levothyrox, paracetamol = o.lines
    assert metformin.posology.text is None  # rendered from the structure, identical to the signed text
    assert metformin.posology.sentence() == "1 comprimé matin et soir, au cours des repas, pendant 3 mois"
    assert metformin.supply_duration is not None and metformin.supply_duration.value == 90
    assert (levothyrox.cip13, levothyrox.renewals, levothyrox.substitution_allowed) == ("3400930065891", 2, False)
    assert levothyrox.non_substitution_reason is NonSubstitutionReason.MTE
    assert levothyrox.posology.sentence() == "1 comprimé le matin à jeun, pendant 1 mois"
    # "as needed, at most once every 6 hours" is the minimum interval between intakes
    p = paracetamol.posology
    assert (p.as_needed, p.min_interval_hours, p.max_dose, p.max_period_unit) == (True, 6, 3, "d")
    assert p.frequency is None and p.period is None
    assert p.sentence().startswith("1 comprimé si douleur, 3 comprimés par jour au maximum")  # the signed text is kept
    assert validate_ordonnance(o) == []


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ordonnances())
def test_generated_ordonnances_survive_domain_bundle_json_domain(ordonnance: Ordonnance) -> None:
    bundle = json.loads(json.dumps(to_bundle(ordonnance)))
    again = from_bundle(bundle)
    # an Observation that is not written has no id to keep
    if ordonnance.patient.weight_kg is None:
        again.patient.weight_resource_id = ordonnance.patient.weight_resource_id
    if ordonnance.patient.height_cm is None:
        again.patient.height_resource_id = ordonnance.patient.height_resource_id
    assert again == ordonnance
    assert to_bundle(from_bundle(bundle)) == bundle


def test_reading_a_bundle_twice_gives_the_same_ordonnance(example: dict) -> None:
    """The example has no Observation: the ids of the patient's absent weight, height, pregnancy,
    breastfeeding and creatinine come from the Bundle's content, not from chance."""
    first, second = from_bundle(copy.deepcopy(example)), from_bundle(copy.deepcopy(example))
    assert first == second
    for ordonnance in (first, second):  # the physician then records a weight and a creatinine
        ordonnance.patient.weight_kg = 82.0
        ordonnance.patient.creatinine = Creatinine(95.0, "µmol/L", date(2026, 11, 20))
    assert to_bundle(first) == to_bundle(second)
    ids = [getattr(first.patient, f"{name}_resource_id")
           for name in ("weight", "height", "pregnancy", "breastfeeding", "creatinine")]
    other = json.dumps(example).replace(first.patient.resource_id, "urn:uuid:0b6c1d7e-2f7a-4d43-9a38-6a2f1c9d7e10")
    other_patient = from_bundle(json.loads(other)).patient  # another patient's Bundle: other ids
    assert len({*ids, first.patient.resource_id, *(getattr(other_patient, f"{name}_resource_id") for name in (
        "weight", "height", "pregnancy", "breastfeeding", "creatinine"))}) == 11


def test_plain_ordonnance_has_one_section_and_no_number(example: dict) -> None:
    o = from_bundle(example)
    o.number = None
    for line in o.lines:
        line.zone = Zone.HORS_ALD
    bundle = to_bundle(o)
    assert "identifier" not in bundle
    sections = bundle["entry"][0]["resource"]["section"]
    assert len(sections) == 1 and "code" not in sections[0] and len(sections[0]["entry"]) == 3
    assert all("groupIdentifier" not in e["resource"] for e in bundle["entry"][3:])
    again = from_bundle(bundle)
    assert again.number is None and not again.is_bizone


def test_weight_height_opposition_boxes_and_instructions(example: dict) -> None:
    o = from_bundle(example)
    o.patient.weight_kg, o.patient.height_cm = 81.5, 178
    o.opposition = True
    o.lines[2].boxes = 2
    o.lines[2].instructions = "Ne pas dépasser 3 g par jour"
    bundle = to_bundle(o)
    composition = bundle["entry"][0]["resource"]
    assert composition["extension"] == [{"url": "urn:ordonnance-numerique:opposition", "valueBoolean": True}]
    observations = {e["resource"]["code"]["coding"][0]["code"]: e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Observation"}
    assert observations["29463-7"]["valueQuantity"] == {"value": 81.5, "unit": "kg", "system": "http://unitsofmeasure.org", "code": "kg"}
    assert observations["8302-2"]["valueQuantity"]["value"] == 178
    request = bundle["entry"][-1]["resource"]
    assert request["dispenseRequest"]["quantity"] == {"value": 2, "unit": "boîtes"}
    assert request["dosageInstruction"][0]["patientInstruction"] == "Ne pas dépasser 3 g par jour"
    assert from_bundle(bundle) == o


# ---------------------------------------------------------------- signature and canonical bytes


@pytest.fixture(scope="module")
def signer() -> tuple[rsa.RSAPrivateKey, bytes]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Claire MARTIN (test)")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(1).not_valid_before(now).not_valid_after(now + timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    return key, cert.public_bytes(serialization.Encoding.DER)


def test_canonical_bytes_are_sorted_compact_utf8_without_signature(example: dict) -> None:
    data = canonical_bytes(example)
    assert data.startswith(b'{"entry":[{"fullUrl":"urn:uuid:6f1c2b7e')
    literal = {"z": "matin, soir", "a": {"é": [1, 2.5]}, "signature": {"data": "AAAA"}}
    assert canonical_bytes(literal) == '{"a":{"é":[1,2.5]},"z":"matin, soir"}'.encode()
    assert "Émile".encode() in data and b"\\u00c9" not in data
    signed = dict(example, signature={"data": "AAAA"})
    assert canonical_bytes(signed) == data
    assert json.loads(data) == example


_JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats() | st.sampled_from([1e-5, 1.5e-7, 1e16, -1e22, 0.0001, 123456789012345.6, -0.0])
    | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
    max_leaves=20)


@given(st.dictionaries(st.text(max_size=8), _JSON_VALUES, max_size=5))
@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
def test_canonical_bytes_are_exactly_the_standard_library_serialisation(bundle: dict) -> None:
    """The signer and the base must compute the same bytes: whatever the content (tiny and huge
    floats, NaN, integers beyond 64 bits, any text), the fast path writes what json.dumps writes,
    or refuses what it refuses."""
    unsigned = {k: v for k, v in bundle.items() if k != "signature"}
    try:
        expected: bytes | type[Exception] = json.dumps(unsigned, sort_keys=True, separators=(",", ":"),
                                                       ensure_ascii=False, allow_nan=False).encode("utf-8")
    except (ValueError, UnicodeEncodeError) as error:
        expected = type(error)
    if isinstance(expected, bytes):
        assert canonical_bytes(bundle) == expected
    else:
        with pytest.raises(expected):
            canonical_bytes(bundle)


def test_signature_survives_the_round_trip_and_verifies(example: dict, signer) -> None:
    key, certificate = signer
    o = from_bundle(example)
    data = canonical_bytes(to_bundle(o))
    o.signature = Signature(
        when=datetime(2026, 11, 25, 10, 43, tzinfo=timezone(timedelta(hours=1))),
        signer_id=o.prescriber.national_id,
        data=key.sign(data, padding.PKCS1v15(), hashes.SHA256()),
        certificate=certificate,
        sig_format="application/x-lap-rs256",
    )
    signed = json.loads(json.dumps(to_bundle(o), ensure_ascii=False))
    assert signed["signature"]["who"]["reference"] == o.prescriber.resource_id
    again = from_bundle(signed)
    assert again.signature == o.signature
    cert = x509.load_der_x509_certificate(again.signature.certificate)
    cert.public_key().verify(again.signature.data, canonical_bytes(to_bundle(again)), padding.PKCS1v15(), hashes.SHA256())
    # any change to the signed content breaks it
    again.lines[1].renewals = 3
    with pytest.raises(InvalidSignature):
        cert.public_key().verify(again.signature.data, canonical_bytes(to_bundle(again)), padding.PKCS1v15(), hashes.SHA256())


def test_signature_written_by_the_base_client_is_read(example: dict) -> None:
    """Signature with ``who.identifier`` only (no reference): the signer comes from it."""
    signed = dict(example, signature={
        "type": [{"system": "urn:iso-astm:E1762-95:2013", "code": "1.2.840.10065.1.12.1.1"}],
        "when": "2026-11-25T09:43:00+00:00",
        "who": {"identifier": {"system": "urn:oid:1.2.250.1.71.4.2.1", "value": "810101234564"}},
        "sigFormat": "application/x-lap-rs256",
        "data": "c2lnbmF0dXJl",
    })
    o = from_bundle(signed)
    assert o.signature is not None and (o.signature.signer_id, o.signature.data) == ("810101234564", b"signature")
