"""A prescrit adjusts a line with the prescriber's agreement: a record of its own, signed by the
prescrit's card and checked with its certificate; the registered ordonnance stays as signed."""

from __future__ import annotations

import base64
import datetime as dt
import json
import uuid
from typing import Any

import pytest
from attack_support import insider, rs256

from circuit_support import on_both_engines

pytestmark = on_both_engines


@pytest.fixture(scope="module")
def physio(base, pki_dir):  # type: ignore[no-untyped-def]
    from lap_app.standins.pki import init_pki

    pki = init_pki(pki_dir)
    physician = insider(base, pki.holder("medecin"), enrol=True)
    podiatrist = insider(base, pki.holder("podologue"), physician.installation)
    yield physician, podiatrist
    physician.close()
    podiatrist.close()


def _adjust(person, number: str, line: int, changes: list[dict[str, str]], agreement: dict[str, Any],
            adjustment_id: str | None = None, sign_as: Any = None):  # type: ignore[no-untyped-def]
    from lap_app.standins.base_server.adjustments import AdjustmentIn, adjustment_bytes

    signer = sign_as or person.holder
    body = {"line": line, "changes": changes, "agreement": agreement, "certificate": "", "signature": ""}
    signed = adjustment_bytes(number, AdjustmentIn.model_validate(body))
    body["certificate"] = base64.b64encode(signer.sign_cert_der).decode()
    body["signature"] = base64.b64encode(rs256(signer.sign_key, signed)).decode()
    return person.call("PUT", f"/prescrit/prescriptions/{number}/adjustments/{adjustment_id or uuid.uuid4().hex}",
                       body)


def _bundle(base, number: str) -> str:  # type: ignore[no-untyped-def]
    return str(base.rows("SELECT bundle FROM prescriptions WHERE number = ?", number)[0][0])


def test_more_sessions_agreed_by_telephone(base, physio) -> None:  # type: ignore[no-untyped-def]
    from cryptography import x509

    from lap_app.standins.base_server.security import verify_rs256

    physician, podiatrist = physio
    number = physician.prescribe(kind="podologie")  # 5 sessions
    signed_before = _bundle(base, number)
    assert podiatrist.call("PUT", f"/prescrit/prescriptions/{number}/executions/{uuid.uuid4().hex}",
                           {"lines": [{"line": 1, "count": 5}]}).status_code == 200
    agreement = {"mode": "telephone", "at": dt.datetime.now(dt.UTC).isoformat(), "given_by": "Dr Claire MARTIN"}
    adjustment_id = uuid.uuid4().hex
    adjusted = _adjust(podiatrist, number, 1, [{"field": "seances", "value": "8"}], agreement, adjustment_id)
    assert adjusted.status_code == 200, adjusted.text
    view = adjusted.json()
    record = view["adjustments"][0]
    assert (record["line"], record["changes"], record["agreement"]["mode"], record["by"]) == (
        1, [{"field": "seances", "value": "8"}], "telephone", podiatrist.national_id)
    assert view["lines"][0]["prescribed"] == 8 and _bundle(base, number) == signed_before
    # The record's signature verifies with the prescrit's own certificate.
    from lap_app.standins.base_server.adjustments import AdjustmentIn, adjustment_bytes

    content = adjustment_bytes(number, AdjustmentIn.model_validate(
        {"line": 1, "changes": record["changes"], "agreement": agreement, "certificate": "", "signature": ""}))
    certificate = x509.load_der_x509_certificate(podiatrist.holder.sign_cert_der)
    assert verify_rs256(certificate, base64.b64decode(record["signature"]), content)
    # Three more sessions are now within what was agreed; a retry of the adjustment replays.
    assert podiatrist.call("PUT", f"/prescrit/prescriptions/{number}/executions/{uuid.uuid4().hex}",
                           {"lines": [{"line": 1, "count": 3}]}).status_code == 200
    again = _adjust(podiatrist, number, 1, [{"field": "seances", "value": "8"}], agreement, adjustment_id)
    assert again.json()["replayed"] is True and len(again.json()["adjustments"]) == 1
    assert base.rows("SELECT outcome FROM audit WHERE number = ? AND action = 'adjust' ORDER BY id", number) == [
        ("ok:telephone",), ("replayed",)]


def test_an_adjustment_without_its_agreement_lists_every_problem(base, physio, pki_dir) -> None:  # type: ignore[no-untyped-def]
    from lap_app.standins.pki import init_pki

    physician, podiatrist = physio
    number = physician.prescribe(kind="podologie")
    refused = _adjust(podiatrist, number, 3, [{"field": "seances", "value": "beaucoup"}], {})
    assert refused.status_code == 422
    assert [p["path"] for p in refused.json()["problems"]] == [
        "line", "agreement.mode", "agreement.at", "agreement.given_by", "changes[0].value"]
    assert "mode de l'accord du prescripteur obligatoire" in refused.json()["problems"][1]["message"]
    agreement = {"mode": "messagerie", "at": dt.datetime.now(dt.UTC).isoformat(), "given_by": "Dr MARTIN"}
    other_card = _adjust(podiatrist, number, 1, [{"field": "seances", "value": "14"}], agreement,
                         sign_as=init_pki(pki_dir).holder("kine"))
    assert other_card.status_code == 422
    assert other_card.json()["problems"] == [{"path": "certificate",
                                              "message": "certificat d'une autre carte que celle authentifiée"}]
    assert base.rows("SELECT count(*) FROM adjustments WHERE number = ?", number)[0][0] == 0
    assert physician.call("POST", f"/prescriptions/{number}/cancel").status_code == 200
    late = _adjust(podiatrist, number, 1, [{"field": "seances", "value": "14"}], agreement)
    assert late.status_code == 422 and "annulée" in json.dumps(late.json(), ensure_ascii=False)
