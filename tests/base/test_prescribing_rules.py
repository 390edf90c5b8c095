"""The prescribing service's own rules, whatever the front end: no signature without the
practice details, none over an unacknowledged contre-indication or allergy, and the
acknowledgement kept with the signed ordonnance (who, when, which alert). Real base over TLS,
virtual card in the in-process reader, the real drug base."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from circuit_support import EXAMPLE_BUNDLE, card_in_hand, pdf_text


@pytest.fixture(scope="module")
def drugs():
    from lap_app.drugs import open_drug_database

    with open_drug_database() as db:
        yield db


@pytest.fixture
def store(store_location: Path | str):
    """A workstation's file, then a practice server: the acknowledgements are kept in either."""
    from lap_app.storage import LocalStore

    local = LocalStore(store_location)
    yield local
    local.close()


def _ordonnance(drugs, *queries: str):
    """The example ordonnance (patient, prescriber) with the lines of the drugs found."""
    from lap_app.fhir import from_bundle
    from lap_app.services.drafting import line_for_drug

    ordonnance = from_bundle(json.loads(EXAMPLE_BUNDLE.read_text(encoding="utf-8")))
    ordonnance.lines = [line_for_drug(drugs.search(query)[0]) for query in queries]
    for line in ordonnance.lines:
        line.posology.duration, line.posology.duration_unit = 7, "d"
    return ordonnance


def _practice():
    from lap_app.settings import PracticeSettings

    return PracticeSettings(address_lines=["3 place des Essais"], postal_code="31000", city="Toulouse",
                            phone="05 61 00 00 00", qualification="Médecine générale")


def _prescribe(enrolled, pki_dir, store, drugs, ordonnance, **options):
    from lap_app.services.base_connection import open_client
    from lap_app.services.prescribing import prescribe

    with card_in_hand("medecin", pki_dir) as card, open_client(enrolled) as client:
        return prescribe(ordonnance, card=card, client=client, store=store, drugs=drugs, **options)


def test_missing_practice_details_are_named_and_nothing_is_signed(enrolled, pki_dir, store, drugs):
    from lap_app.services.practice import PracticeIncomplete
    from lap_app.settings import PracticeSettings

    practice = PracticeSettings(address_lines=["3 place des Essais"], qualification="Médecine générale")
    with pytest.raises(PracticeIncomplete) as refused:
        _prescribe(enrolled, pki_dir, store, drugs, _ordonnance(drugs, "doliprane 1000"), practice=practice)
    message = refused.value.message
    for field in ("code postal", "ville", "téléphone"):
        assert field in message
    assert "adresse" not in refused.value.missing and "Paramètres › Cabinet" in message
    assert "lap-app practice" in message
    assert store.list() == []  # no ordonnance, no number spent


def test_the_practice_given_is_the_one_printed(enrolled, pki_dir, store, drugs):
    outcome = _prescribe(enrolled, pki_dir, store, drugs, _ordonnance(drugs, "doliprane 1000"), practice=_practice())
    text = pdf_text(outcome.pdf)
    assert "3 place des Essais" in text and "31000" in text and "Toulouse" in text
    assert "République" not in text  # neither the demo's practice nor the draft's own


def test_contraindication_blocks_until_acknowledged_then_is_recorded(enrolled, pki_dir, store, drugs):
    from lap_app.services.safety import UnacknowledgedAlerts

    with pytest.raises(UnacknowledgedAlerts) as refused:
        _prescribe(enrolled, pki_dir, store, drugs, _ordonnance(drugs, "simvastatine 20", "clarithromycine 500"),
                   practice=_practice())
    [alert] = refused.value.alerts
    assert alert.level == "CI" and alert.alert_id.startswith("CI-")
    assert "SIMVASTATINE" in alert.title and alert.alert_id in refused.value.message
    assert store.list() == []

    before = datetime.now(UTC)
    outcome = _prescribe(enrolled, pki_dir, store, drugs,
                         _ordonnance(drugs, "simvastatine 20", "clarithromycine 500"),
                         practice=_practice(), acknowledged=[alert.alert_id])
    assert outcome.status == "registered"
    [recorded] = store.acknowledgements(outcome.ordonnance_id)
    assert recorded.alert_id == alert.alert_id and recorded.level == "CI"
    assert recorded.by == "810101234564" or recorded.by.startswith("8")  # the card holder's national id
    assert before - timedelta(seconds=1) <= recorded.at <= datetime.now(UTC)
    assert "SIMVASTATINE" in recorded.text and "CLARITHROMYCINE" in recorded.text


def test_allergy_blocks_like_a_contraindication(enrolled, pki_dir, store, drugs):
    from lap_app.services.safety import PatientFacts, UnacknowledgedAlerts

    allergic = PatientFacts(allergies=("amoxicilline",))
    with pytest.raises(UnacknowledgedAlerts) as refused:
        _prescribe(enrolled, pki_dir, store, drugs, _ordonnance(drugs, "clamoxyl 500"), practice=_practice(),
                   patient=allergic)
    [alert] = refused.value.alerts
    assert alert.level == "ALLERGY"
    # an acknowledgement of another alert does not count
    with pytest.raises(UnacknowledgedAlerts):
        _prescribe(enrolled, pki_dir, store, drugs, _ordonnance(drugs, "clamoxyl 500"), practice=_practice(),
                   patient=allergic, acknowledged=["CI-000000"])
    outcome = _prescribe(enrolled, pki_dir, store, drugs, _ordonnance(drugs, "clamoxyl 500"), practice=_practice(),
                         patient=allergic, acknowledged=[alert.alert_id])
    assert [a.level for a in store.acknowledgements(outcome.ordonnance_id)] == ["ALLERGY"]


def test_alerts_that_do_not_block_need_no_acknowledgement(enrolled, pki_dir, store, drugs):
    from lap_app.services.safety import PatientFacts, review

    ordonnance = _ordonnance(drugs, "doliprane 1000", "dafalgan 1")  # paracetamol twice: redundancy
    levels = {a.level for a in review(drugs, ordonnance, PatientFacts())}
    assert "REDUNDANCY" in levels and not levels & {"CI", "ALLERGY"}
    outcome = _prescribe(enrolled, pki_dir, store, drugs, ordonnance, practice=_practice())
    assert store.acknowledgements(outcome.ordonnance_id) == []
