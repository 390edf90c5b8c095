"""The whole loop against the real base over TLS, with the virtual cards in the in-process reader:
prescribe → QR code decoded from the PDF → pharmacist reads by that number → dispenses →
prescriber consults; and every refusal of the circuit (opposition, wrong profession or prescriber, replays,
tampered or invalid content, unknown numbers, cancelling after dispensing)."""

from __future__ import annotations

import json

import pytest

from circuit_support import EXAMPLE_BUNDLE, card_in_hand, decode_qr, on_both_engines, pdf_text

pytestmark = on_both_engines


def _draft():
    from lap_app.fhir import from_bundle

    return from_bundle(json.loads(EXAMPLE_BUNDLE.read_text(encoding="utf-8")))


@pytest.fixture
def store(store_beside_base):
    return store_beside_base


def _client(endpoint):
    from lap_app.services.base_connection import open_client

    return open_client(endpoint)


def _prescribe(endpoint, pki_dir, store, *, opposition=False, holder="medecin"):
    from lap_app.services.prescribing import prescribe

    with card_in_hand(holder, pki_dir) as card, _client(endpoint) as client:
        return prescribe(_draft(), card=card, client=client, store=store, opposition=opposition)


def _as(holder, endpoint, pki_dir):
    """(card, client) with a fresh token, as a context manager."""
    import contextlib

    from lap_app.services.card_session import open_token

    @contextlib.contextmanager
    def session():
        with card_in_hand(holder, pki_dir) as card, _client(endpoint) as client:
            open_token(card, client)
            yield client

    return session()


def test_prescribe_scan_read_dispense_consult(enrolled, pki_dir, store, base, tmp_path):
    from lap_app.domain.errors import UserError
    from lap_app.services.follow_up import consult_follow_up
    from lap_app.services.pharmacy import dispense, read_prescription
    from lap_app.storage.execution_journal import ExecutionJournal

    journal = ExecutionJournal(tmp_path / "prescrit-executions.sqlite3")  # the pharmacy's

    outcome = _prescribe(enrolled, pki_dir, store)
    assert outcome.status == "registered"
    assert store.by_number(outcome.number).status == "registered"
    assert store.outbox() == []
    scanned = decode_qr(outcome.pdf)
    assert scanned == [outcome.number]  # the QR code holds exactly the 16 digits
    assert int(scanned[0]) % 97 == 1

    with _as("pharmacien", enrolled, pki_dir) as pharmacy:
        view = read_prescription(pharmacy, scanned[0])
        assert view.prescriber == "Dr Claire MARTIN" and view.patient == "Jean Émile DUPONT"
        assert [line.text.split()[0] for line in view.lines] == ["CHLORHYDRATE", "LEVOTHYROX", "PARACÉTAMOL"]
        assert view.lines[1].substitution_allowed is False
        partial = dispense(pharmacy, journal, scanned[0], [(1, 3, False), (3, 1, True)], complete=False)
        assert partial.status == "partly_dispensed"

    with _as("medecin", enrolled, pki_dir) as prescriber:
        seen = consult_follow_up(prescriber, outcome.number, store)
    assert seen.status == "partly_dispensed"
    assert [(r.line, r.amount, r.detail["substituted"], r.profession) for r in seen.executions] == [
        (1, 3, False, "pharmacien"), (3, 1, True, "pharmacien")]
    assert store.by_number(outcome.number).status == "partly_dispensed"

    with _as("pharmacien", enrolled, pki_dir) as pharmacy:
        done = dispense(pharmacy, journal, scanned[0], None, complete=True)
        assert done.status == "dispensed"
        assert [line.dispensed_quantity for line in done.lines] == [4, 1, 2]
        with pytest.raises(UserError, match="entièrement délivrée"):
            read_prescription(pharmacy, scanned[0])
        with pytest.raises(UserError, match="numéro clos"):
            dispense(pharmacy, journal, scanned[0], [(1, 1, False)], complete=True)
    assert journal.pending() == []
    journal.close()

    # every access is in the audit trail: who, which number, what
    actions = base.rows("SELECT actor, action, outcome FROM audit WHERE number = ? ORDER BY id", outcome.number)
    assert ("810101234564", "register", "ok") in actions
    assert ("810201234563", "read", "ok") in actions
    assert ("810101234564", "follow_up", "ok") in actions
    assert ("810201234563", "read", "refused:410:closed") in actions


def test_opposition_refuses_consultation(enrolled, pki_dir, store):
    from lap_app.services.follow_up import consult_follow_up

    outcome = _prescribe(enrolled, pki_dir, store, opposition=True)
    assert outcome.status == "registered"
    assert "oppos" in pdf_text(outcome.pdf).lower()
    with _as("medecin", enrolled, pki_dir) as prescriber:
        seen = consult_follow_up(prescriber, outcome.number)
    assert seen.objected and not seen.executions and seen.status is None
    assert "s'est opposé" in seen.text_lines()[1] and len(seen.text_lines()) == 2


def test_pharmacist_cannot_register_or_consult(enrolled, pki_dir, store):
    from lap_app.base_client import BaseRefused

    outcome = _prescribe(enrolled, pki_dir, store)
    signed = store.by_number(outcome.number).bundle
    with _as("pharmacien", enrolled, pki_dir) as pharmacy:
        with pytest.raises(BaseRefused) as refused:
            pharmacy.dispensings(outcome.number)
        assert refused.value.status == 403 and refused.value.code == "wrong_profession"
        with pytest.raises(BaseRefused) as refused:
            pharmacy.register(outcome.number, signed)
        assert refused.value.status == 403
        with pytest.raises(BaseRefused) as refused:
            pharmacy.reserve_numbers(1)
        assert refused.value.status == 403


def test_pharmacist_card_cannot_prescribe(enrolled, pki_dir, store):
    from lap_app.domain.errors import UserError

    with pytest.raises(UserError, match="pas celle d'un prescripteur"):
        _prescribe(enrolled, pki_dir, store, holder="pharmacien")
    assert store.list() == []


def test_prescriber_cannot_use_pharmacy_side(enrolled, pki_dir, store):
    from lap_app.domain.errors import UserError
    from lap_app.services.pharmacy import read_prescription

    outcome = _prescribe(enrolled, pki_dir, store)
    with _as("medecin", enrolled, pki_dir) as prescriber:
        with pytest.raises(UserError, match="réservée aux pharmaciens"):
            read_prescription(prescriber, outcome.number)


def test_replay_is_idempotent_and_other_content_conflicts(enrolled, pki_dir, store):
    from lap_app.base_client import BaseRefused

    outcome = _prescribe(enrolled, pki_dir, store)
    signed = store.by_number(outcome.number).bundle
    other = _prescribe(enrolled, pki_dir, store, opposition=True)  # same draft, other content
    other_signed = store.by_number(other.number).bundle
    with _as("medecin", enrolled, pki_dir) as client:
        again = client.register(outcome.number, signed)
        assert again.replayed and again.status == "registered"
        # the other (validly signed) ordonnance under an already-used number
        moved = json.loads(json.dumps(other_signed).replace(other.number, outcome.number))
        with pytest.raises(BaseRefused) as refused:
            client.register(outcome.number, moved)
        assert refused.value.status == 409


def test_tampered_bundle_is_refused(enrolled, pki_dir, store):
    from lap_app.base_client import BaseRefused

    with _as("medecin", enrolled, pki_dir) as client:
        numbers, _expiry = client.reserve_numbers(1)
    outcome = _prescribe(enrolled, pki_dir, store)
    signed = store.by_number(outcome.number).bundle
    # Same content under a fresh number of ours: the number is in the signed part.
    renumbered = json.loads(json.dumps(signed).replace(outcome.number, numbers[0]))
    tampered = json.loads(json.dumps(signed).replace("1000 mg", "2000 mg"))
    with _as("medecin", enrolled, pki_dir) as client:
        for bundle, number in ((renumbered, numbers[0]), (tampered, outcome.number)):
            with pytest.raises(BaseRefused) as refused:
                client.register(number, bundle)
            if number == numbers[0]:
                assert refused.value.status == 422
                assert any(p.path == "bundle.signature.data" for p in refused.value.problems)
            else:  # registered number, different content
                assert refused.value.status == 409


def test_invalid_content_lists_every_problem(enrolled, pki_dir):
    from lap_app.base_client import BaseRefused

    with _as("medecin", enrolled, pki_dir) as client:
        numbers, _expiry = client.reserve_numbers(1)
        bundle = json.loads(EXAMPLE_BUNDLE.read_text(encoding="utf-8"))
        bundle["identifier"]["value"] = numbers[0]
        patient = next(e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Patient")
        del patient["name"]
        bundle["entry"] = [e for e in bundle["entry"] if e["resource"]["resourceType"] != "Practitioner"]
        with pytest.raises(BaseRefused) as refused:
            client.register(numbers[0], bundle)
    problems = {p.path for p in refused.value.problems}
    assert refused.value.status == 422
    assert "bundle.signature" in problems  # unsigned
    assert "bundle.Practitioner.identifier" in problems  # signer is not the Practitioner
    assert len(problems) >= 3  # and the content problems themselves


def test_unknown_and_malformed_numbers_are_refused(enrolled, pki_dir, store):
    from lap_app.base_client import BaseRefused
    from lap_app.domain.identifiers import prescription_number_from_serial

    outcome = _prescribe(enrolled, pki_dir, store)
    signed = store.by_number(outcome.number).bundle
    never_issued = prescription_number_from_serial("20991231999999")
    bundle = json.loads(json.dumps(signed).replace(outcome.number, never_issued))
    with _as("medecin", enrolled, pki_dir) as client:
        with pytest.raises(BaseRefused) as refused:
            client.register(never_issued, bundle)
        assert refused.value.status == 422 and refused.value.code == "unknown_number"
        with pytest.raises(BaseRefused) as refused:
            client.register("2026112500000122", bundle)  # bad check digits
        assert refused.value.status == 422 and refused.value.code == "invalid_number"


def test_another_prescriber_is_refused(enrolled, pki_dir, store, tmp_path):
    """A second physician (a card of the same CA) can neither consult nor cancel, nor use our numbers,
    and cannot even tell that they exist: the answers are those of a number never issued."""
    from lap_app.base_client import BaseRefused
    from lap_app.card import default_virtual_reader, open_card
    from lap_app.services.card_session import open_token, unlock_card
    from lap_app.standins.pki import HolderIdentity, _ensure_holder, init_pki
    from lap_app.standins.virtual_cps.card import VirtualCps

    outcome = _prescribe(enrolled, pki_dir, store)
    with _as("medecin", enrolled, pki_dir) as client:
        ours, _expiry = client.reserve_numbers(1)
    signed = store.by_number(outcome.number).bundle
    pki = init_pki(pki_dir)
    other = _ensure_holder(tmp_path / "other", HolderIdentity(
        "autre", "8", "10100000017", "DURAND", "Luc", "10", "Médecin", "1000009999"), pki.ca_key, pki.ca_cert)
    reader = default_virtual_reader()
    reader.insert(VirtualCps.from_holder(other, persist_pin=False))
    try:
        card = open_card(virtual=True)
        unlock_card(card, "1234")
        with _client(enrolled) as client:
            open_token(card, client)
            assert client.token.national_id == "810100000017"
            for call in (client.dispensings, client.cancel, client.status):
                with pytest.raises(BaseRefused) as refused:
                    call(outcome.number)
                assert refused.value.status == 404 and refused.value.code == "unknown_prescription"
            moved = json.loads(json.dumps(signed).replace(outcome.number, ours[0]))
            with pytest.raises(BaseRefused) as refused:
                client.register(ours[0], moved)
            assert refused.value.status == 422 and refused.value.code == "unknown_number"
            with pytest.raises(BaseRefused) as refused:  # nor replay ours
                client.register(outcome.number, signed)
            assert refused.value.status == 422 and refused.value.code == "unknown_number"
        card.close()
    finally:
        reader.remove()


def test_cancel_before_dispensing_only(enrolled, pki_dir, store, tmp_path):
    from lap_app.domain.errors import UserError
    from lap_app.services.dispensing import cancel
    from lap_app.services.pharmacy import dispense, read_prescription
    from lap_app.storage.execution_journal import ExecutionJournal

    first = _prescribe(enrolled, pki_dir, store)
    second = _prescribe(enrolled, pki_dir, store)
    with _as("medecin", enrolled, pki_dir) as client:
        assert cancel(client, store, first.number) == "cancelled"
    assert store.by_number(first.number).status == "cancelled"
    with _as("pharmacien", enrolled, pki_dir) as pharmacy:
        with pytest.raises(UserError, match="annulée"):
            read_prescription(pharmacy, first.number)
        journal = ExecutionJournal(tmp_path / "prescrit-executions.sqlite3")
        dispense(pharmacy, journal, second.number, [(1, 1, False)], complete=False)
        journal.close()
    with _as("medecin", enrolled, pki_dir) as client, pytest.raises(UserError, match="délivrance a commencé"):
        cancel(client, store, second.number)


def test_practitioner_becomes_the_card_holder(enrolled, pki_dir, store):
    """The draft's prescriber identity is replaced by the card's; its practice details stay."""
    from lap_app.services.base_connection import open_client
    from lap_app.services.prescribing import prescribe

    draft = _draft()
    draft.prescriber.family_name = "AUTRE"
    draft.prescriber.given_names = ["Quelqu'un"]
    draft.prescriber.national_id = "810100000017"
    draft.prescriber.phone = "+33 4 00 00 00 01"
    with card_in_hand("medecin", pki_dir) as card, open_client(enrolled) as client:
        outcome = prescribe(draft, card=card, client=client, store=store)
    assert outcome.status == "registered"
    practitioner = next(e["resource"] for e in store.by_number(outcome.number).bundle["entry"]
                        if e["resource"]["resourceType"] == "Practitioner")
    assert practitioner["identifier"][0]["value"] == "810101234564"
    assert practitioner["name"][0]["family"] == "MARTIN" and practitioner["name"][0]["given"] == ["Claire"]
    assert {"system": "phone", "value": "+33 4 00 00 00 01"} in practitioner["telecom"]
    assert practitioner["address"][0]["city"] == "Paris"
    text = pdf_text(outcome.pdf)
    assert "MARTIN" in text and "AUTRE" not in text
