"""Every refusal audited: each refusal to a caller the base identifies writes one audit row (who,
which operation, which code), whatever refused it — the operation, the profession check, the
request's validation, the body limit, the registration's lean path, an unknown route; a caller
the base cannot identify is logged, never written (an anonymous caller must not make it write)."""

from __future__ import annotations

import logging
import secrets
import ssl
import time

import httpx
import pytest

from circuit_support import on_both_engines


def _actor() -> str:
    """A national identifier of its own per test: its audit rows are the test's alone."""
    return "8199" + "".join(secrets.choice("0123456789") for _ in range(8))


def _token(base, actor: str, profession: str) -> dict[str, str]:  # type: ignore[no-untyped-def]
    from lap_app.standins.base_server.security import Holder, mint_token

    key = (base.data_dir / "token.key").read_bytes()
    return {"Authorization": f"Bearer {mint_token(key, Holder(actor, profession), time.time() + 600)}"}


@pytest.fixture
def client(base):  # type: ignore[no-untyped-def]
    with httpx.Client(base_url=base.url, verify=ssl.create_default_context(cafile=base.ca), timeout=30) as client:
        yield client


@pytest.fixture
def installation(base, client) -> dict[str, str]:  # type: ignore[no-untyped-def]
    from lap_app.base_client.protocol import INSTALLATION_HEADER

    enrolled = client.post("/v1/installations", json={"name": "audit"}, headers=_token(base, _actor(), "10")).json()
    return {INSTALLATION_HEADER: f"{enrolled['installation_id']}.{enrolled['secret']}"}


def _rows(base, actor: str) -> list[tuple]:  # type: ignore[no-untyped-def]
    return base.rows("SELECT action, number, installation, outcome FROM audit WHERE actor = ? ORDER BY id", actor)


@on_both_engines
def test_a_refusal_before_the_operation_is_audited(base, client, installation) -> None:  # type: ignore[no-untyped-def]
    from lap_app.domain.identifiers import prescription_number_from_serial

    number = prescription_number_from_serial("20260101123456")
    enrolled_id = next(iter(installation.values())).split(".")[0]
    pharmacist, prescriber, nurse = _actor(), _actor(), _actor()
    as_pharmacist = {**_token(base, pharmacist, "21"), **installation}
    as_prescriber = {**_token(base, prescriber, "10"), **installation}
    as_nurse = {**_token(base, nurse, "60"), **installation}
    answers = [
        # a pharmacist asks for a prescriber's follow-up, or registers (the lean path)
        client.get(f"/v1/prescriptions/{number}/follow-up", headers=as_pharmacist),
        client.put(f"/v1/prescriptions/{number}", headers=as_pharmacist, json={"bundle": {}}),
        # a prescriber asks what only a pharmacist does; a nurse opens the DMP
        client.post(f"/v1/pharmacy/prescriptions/{number}/dispensings", headers=as_prescriber, json={"lines": []}),
        client.get("/v1/dmp/patients/180017512345621/documents", headers=as_nurse),
        # ill-formed requests from an identified caller: FastAPI's validation, the lean path's
        client.post("/v1/numbers", headers=as_prescriber, json={"count": 0}),
        client.put(f"/v1/prescriptions/{number}", headers=as_prescriber, content=b"{not json"),
        # a body over the limit, an unknown route
        client.post("/v1/numbers", headers=as_prescriber, content=b"x" * (65 * 1024)),
        client.get("/v1/nowhere", headers=as_prescriber),
        # a valid card from an installation that is not enrolled
        client.get(f"/v1/prescriptions/{number}/status", headers={**_token(base, prescriber, "10"),
                                                                    "X-LAP-Installation": "nobody.secret"}),
    ]
    assert [(r.status_code, r.json()["error"]) for r in answers] == [
        (403, "wrong_profession"), (403, "wrong_profession"), (403, "wrong_profession"), (403, "wrong_profession"),
        (422, "invalid_request"), (422, "invalid_request"), (413, "too_large"), (404, "http_404"),
        (401, "unknown_installation")]
    assert _rows(base, pharmacist) == [
        ("follow_up", number, enrolled_id, "refused:403:wrong_profession"),
        ("register", number, enrolled_id, "refused:403:wrong_profession")]
    assert _rows(base, nurse) == [("list_documents", None, enrolled_id, "refused:403:wrong_profession")]
    assert _rows(base, prescriber) == [
        ("dispense", number, enrolled_id, "refused:403:wrong_profession"),
        ("reserve", None, enrolled_id, "refused:422:invalid_request"),
        ("register", number, enrolled_id, "refused:422:invalid_request"),
        ("reserve", None, enrolled_id, "refused:413:too_large"),
        ("unknown_route", None, enrolled_id, "refused:404:http_404"),
        ("status", number, "", "refused:401:unknown_installation")]  # the card is known, not its installation


@on_both_engines
def test_a_refusal_by_the_operation_is_audited_once(base, client, installation) -> None:  # type: ignore[no-untyped-def]
    from lap_app.domain.identifiers import prescription_number_from_serial

    prescriber = _actor()
    headers = {**_token(base, prescriber, "10"), **installation}
    number = prescription_number_from_serial("20260101654321")
    answers = [client.get(f"/v1/prescriptions/{number}/status", headers=headers),
               client.post("/v1/prescriptions/1234/cancel", headers=headers)]
    assert [(r.status_code, r.json()["error"]) for r in answers] == [
        (404, "unknown_prescription"), (422, "invalid_number")]
    assert [row[3] for row in _rows(base, prescriber)] == [
        "refused:404:unknown_prescription", "refused:422:invalid_number"]


@on_both_engines
def test_the_patient_portal_s_ill_formed_request_is_audited(base, client) -> None:  # type: ignore[no-untyped-def]
    from lap_app.base_client.protocol import PATIENT_PORTAL_HEADER, PATIENT_PORTAL_KEY_FILE
    from lap_app.domain.identifiers import prescription_number_from_serial

    portal = {PATIENT_PORTAL_HEADER: (base.data_dir / PATIENT_PORTAL_KEY_FILE).read_bytes().hex()}
    ins = "2" + "".join(secrets.choice("0123456789") for _ in range(12))
    ins += f"{97 - int(ins) % 97:02d}"
    number = prescription_number_from_serial("20260101777777")
    answer = client.put(f"/v1/patient/patients/{ins}/prescriptions/{number}/consent", headers=portal,
                        json={"opposition": "perhaps"})
    assert (answer.status_code, answer.json()["error"]) == (422, "invalid_request")
    assert base.rows("SELECT profession, action, number, outcome FROM audit WHERE actor = ?", ins) == [
        ("patient", "consent", number, "refused:422:invalid_request")]


@on_both_engines
def test_an_unidentified_caller_s_refusal_writes_nothing(base, client) -> None:  # type: ignore[no-untyped-def]
    before = base.rows("SELECT COUNT(*) FROM audit")[0][0]
    answers = [client.get("/v1/prescriptions/1234/follow-up"),
               client.post("/v1/numbers", headers={"Authorization": "Bearer forged.token"}, json={"count": 1}),
               client.put("/v1/prescriptions/1234", json={"bundle": {}}),
               client.post("/v1/auth/token", json={"challenge": "x", "certificate": "", "signature": ""})]
    assert [r.status_code for r in answers] == [401, 401, 401, 401]
    assert base.rows("SELECT COUNT(*) FROM audit")[0][0] == before


def test_an_unidentified_caller_s_refusal_is_logged_with_the_route_and_the_code(tmp_path, pki_dir, caplog) -> None:  # type: ignore[no-untyped-def]
    from starlette.testclient import TestClient

    from lap_app.standins.base_server import ServerConfig, create_app

    app = create_app(ServerConfig(data_dir=tmp_path / "base", ca_pem=(pki_dir / "ca.pem").read_bytes()))
    try:
        with caplog.at_level(logging.WARNING, "lap_app.standins.base_server.refusals"), TestClient(app) as client:
            answer = client.get("/v1/prescriptions/1234/follow-up", headers={"Authorization": "Bearer forged.token"})
        assert answer.status_code == 401
        assert [r.getMessage() for r in caplog.records] == [
            "base: refused GET '/v1/prescriptions/{number}/follow-up' to an unidentified caller from testclient:"
            " 401 invalid_token"]
    finally:
        app.state.base.store.close()
