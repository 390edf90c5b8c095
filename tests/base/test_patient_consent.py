"""The patient withdraws, then gives back, the consent to the prescriber consulting what was done
of an ordonnance, through « Mon espace santé » (the portal's credential): every later
consultation by the prescriber follows, and each change is in the audit trail."""

from __future__ import annotations

import datetime as dt
import time
import uuid

import pytest
from attack_support import PATIENT_INS, insider

from lap_app.base_client import HttpBaseClient
from lap_app.domain.errors import UserError
from lap_app.services.patient_consent import consent_given, set_consent

from circuit_support import on_both_engines

pytestmark = on_both_engines

OTHER_INS = "283057512345624"  # a valid INS, not the example's patient


@pytest.fixture(scope="module")
def people(base, pki_dir):  # type: ignore[no-untyped-def]
    from lap_app.standins.pki import init_pki

    pki = init_pki(pki_dir)
    physician = insider(base, pki.holder("medecin"), enrol=True)
    pharmacist = insider(base, pki.holder("pharmacien"), physician.installation)
    yield physician, pharmacist
    physician.close()
    pharmacist.close()


@pytest.fixture()
def portal(base):  # type: ignore[no-untyped-def]
    from lap_app.base_client.protocol import PATIENT_PORTAL_KEY_FILE

    secret = (base.data_dir / PATIENT_PORTAL_KEY_FILE).read_bytes().hex()
    with HttpBaseClient(base.url, base.ca) as client:
        yield client, secret


def _audit(base, number: str) -> list[tuple[str, str, str]]:  # type: ignore[no-untyped-def]
    return [tuple(row) for row in base.rows(
        "SELECT profession, action, outcome FROM audit WHERE number = ? AND profession = 'patient' ORDER BY id",
        number)]


def test_withdrawn_then_given_back(base, people, portal) -> None:  # type: ignore[no-untyped-def]
    physician, pharmacist = people
    client, secret = portal
    number = physician.prescribe()
    executed = pharmacist.call("PUT", f"/prescrit/prescriptions/{number}/executions/{uuid.uuid4().hex}",
                               {"lines": [{"line": 1, "quantity": 1}]})
    assert executed.status_code == 200, executed.text
    assert physician.call("GET", f"/prescriptions/{number}/dispensings").status_code == 200
    assert consent_given(client, secret, PATIENT_INS, number) is True

    assert set_consent(client, secret, PATIENT_INS, number, given=False) is False
    hidden = physician.call("GET", f"/prescriptions/{number}/dispensings")
    assert hidden.status_code == 403 and hidden.json()["error"] == "patient_opposition"
    assert physician.call("GET", f"/prescriptions/{number}/status").json() == {
        "number": number, "status": "registered", "opposition": True}
    assert consent_given(client, secret, PATIENT_INS, number) is False
    # the signed ordonnance is untouched: the prescrit still reads it and the pharmacy goes on
    assert pharmacist.call("GET", f"/prescrit/prescriptions/{number}").status_code == 200

    assert set_consent(client, secret, PATIENT_INS, number, given=True) is True
    shown = physician.call("GET", f"/prescriptions/{number}/dispensings")
    assert shown.status_code == 200 and shown.json()["status"] == "partly_dispensed"
    assert [r["quantity"] for r in shown.json()["dispensings"]] == [1]
    assert set_consent(client, secret, PATIENT_INS, number, given=True) is True  # a retry changes nothing
    assert _audit(base, number) == [("patient", "consent_read", "ok"), ("patient", "consent", "ok:withdrawn"),
                                    ("patient", "consent_read", "ok"), ("patient", "consent", "ok:given"),
                                    ("patient", "consent", "ok:given:unchanged")]


def test_only_the_portal_for_the_ordonnance_s_own_patient(base, people, portal) -> None:  # type: ignore[no-untyped-def]
    physician, pharmacist = people
    client, secret = portal
    number = physician.prescribe()
    with pytest.raises(UserError, match="réservée au portail Mon espace santé"):
        set_consent(client, "0" * 64, PATIENT_INS, number, given=False)
    assert _audit(base, number) == []  # an unauthenticated call writes nothing
    with pytest.raises(UserError, match="Aucune ordonnance de ce patient sous ce numéro"):
        set_consent(client, secret, OTHER_INS, number, given=False)
    with pytest.raises(UserError, match="INS du patient invalide"):
        set_consent(client, secret, PATIENT_INS[:-1] + "0", number, given=False)
    # a professional's card is no patient's consent
    refused = pharmacist.call("PUT", f"/patient/patients/{PATIENT_INS}/prescriptions/{number}/consent",
                              {"opposition": True})
    assert refused.status_code == 401
    assert physician.call("GET", f"/prescriptions/{number}/status").json()["opposition"] is False
    outcomes = base.rows("SELECT profession, outcome FROM audit WHERE action = 'consent' AND number = ? ORDER BY id",
                         number)
    assert outcomes == [("patient", "refused:404:unknown_prescription"), ("patient", "refused:422:invalid_ins"),
                        ("21", "refused:401:not_patient_portal")]  # the card is known: its refusal is audited


@pytest.mark.parametrize("complete", [False, True], ids=["partly-executed", "executed-in-full"])
def test_cancelled_while_withdrawn_stays_cancelled_once_given_back(base, people, portal, complete) -> None:  # type: ignore[no-untyped-def]
    """The physician cancels while the consent is withdrawn (the base accepts alike, revealing
    nothing); once the patient gives it back, the follow-up says « annulée » and shows what was
    executed before the cancel as such: nothing can be executed after it."""
    from lap_app.services.follow_up import CANCELLED_AFTER_EXECUTIONS, follow_up_from_wire

    physician, pharmacist = people
    client, secret = portal
    number = physician.prescribe()
    executed = pharmacist.call("PUT", f"/prescrit/prescriptions/{number}/executions/{uuid.uuid4().hex}",
                               {"lines": [{"line": 1, "quantity": 1}], "complete": complete})
    assert executed.status_code == 200, executed.text
    set_consent(client, secret, PATIENT_INS, number, given=False)
    before = time.time()
    cancelled = physician.call("POST", f"/prescriptions/{number}/cancel")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    late = pharmacist.call("PUT", f"/prescrit/prescriptions/{number}/executions/{uuid.uuid4().hex}",
                           {"lines": [{"line": 1, "quantity": 1}]})
    assert late.status_code == 422 and "rien n'a été enregistré" in late.json()["message"], late.text

    set_consent(client, secret, PATIENT_INS, number, given=True)
    assert physician.call("GET", f"/prescriptions/{number}/status").json()["status"] == "cancelled"
    assert physician.call("GET", f"/prescriptions/{number}/dispensings").json()["status"] == "cancelled"
    answer = physician.call("GET", f"/prescriptions/{number}/follow-up")
    assert answer.status_code == 200, answer.text
    view = follow_up_from_wire(number, answer.json())
    assert view.status is not None and view.status.value == "cancelled"
    assert [(e.line, e.amount) for e in view.executions] == [(1, 1.0)]  # the one before the cancel, no other
    text = view.text_lines()
    assert view.cancelled_at is not None and before <= view.cancelled_at <= time.time()
    moment = dt.datetime.fromtimestamp(view.cancelled_at).strftime("%d/%m/%Y %H:%M")
    assert text[0].endswith(f": annulée le {moment}") and text[1] == CANCELLED_AFTER_EXECUTIONS
    assert any("1 boîte(s) délivrée(s)" in line for line in text)
