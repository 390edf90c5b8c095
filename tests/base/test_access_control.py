"""Who may talk to the base: TLS trust, card tokens, installation credentials (CSP R.4071-2)."""

from __future__ import annotations

import logging
import ssl
import time

import httpx
import pytest

from circuit_support import card_in_hand, on_both_engines

pytestmark = on_both_engines


def test_client_refuses_a_server_not_signed_by_its_ca(enrolled, tmp_path, caplog):
    from lap_app.base_client import BaseUntrusted, HttpBaseClient
    from lap_app.standins.pki import init_pki

    other_ca = init_pki(tmp_path / "other-pki").ca_cert_path
    client = HttpBaseClient(enrolled.url, other_ca, retries=3, backoff=0.01)
    with caplog.at_level(logging.INFO, "lap_app.base_client"), \
            pytest.raises(BaseUntrusted, match="certificat du serveur"):
        client.challenge()
    assert [r.message for r in caplog.records if "retry" in r.message] == []  # not retried
    client.close()


def test_base_refuses_a_card_of_another_ca(enrolled, tmp_path):
    """A card certificate from another PKI (same names, other CA) gets no token."""
    from lap_app.base_client import BaseRefused
    from lap_app.card import open_card
    from lap_app.services.base_connection import open_client
    from lap_app.services.card_session import open_token, unlock_card
    from lap_app.standins.virtual_cps.testing import inprocess_card

    with inprocess_card("medecin", pki_dir=tmp_path / "rogue-pki"):
        card = open_card(virtual=True)
        unlock_card(card, "1234")
        with open_client(enrolled) as client, pytest.raises(BaseRefused) as refused:
            open_token(card, client)
        card.close()
    assert refused.value.status == 401 and refused.value.code == "untrusted_certificate"


def test_answer_must_match_the_challenge(enrolled, pki_dir):
    from lap_app.base_client import BaseRefused
    from lap_app.services.base_connection import open_client

    with card_in_hand("medecin", pki_dir) as card, open_client(enrolled) as client:
        challenge = client.challenge()
        wrong = card.authenticate(b"another challenge")
        with pytest.raises(BaseRefused) as refused:
            client.open_token(challenge, card.auth_certificate_der(), wrong)
        assert refused.value.status == 401
        challenge = client.challenge()  # a refused attempt spent the challenge
        answer = card.authenticate(challenge.encode())
        client.open_token(challenge, card.auth_certificate_der(), answer)
        with pytest.raises(BaseRefused) as refused:  # a challenge is single-use
            client.open_token(challenge, card.auth_certificate_der(), answer)
        assert refused.value.code == "invalid_challenge"


def _raw(enrolled, method: str, path: str, headers: dict[str, str], body=None) -> httpx.Response:
    context = ssl.create_default_context(cafile=str(enrolled.ca_path))
    with httpx.Client(verify=context, base_url=enrolled.url) as http:
        return http.request(method, "/v1" + path, headers=headers, json=body)


def test_missing_forged_and_expired_tokens_get_401(enrolled, base, pki_dir):
    from lap_app.base_client.protocol import INSTALLATION_HEADER
    from lap_app.services.credentials import load_credential
    from lap_app.standins.base_server.security import Holder, mint_token

    installation = {INSTALLATION_HEADER: load_credential(enrolled.url).header()}
    assert _raw(enrolled, "POST", "/numbers", installation, {"count": 1}).status_code == 401
    key = (base.data_dir / "token.key").read_bytes()
    holder = Holder("810101234564", "10")
    expired = mint_token(key, holder, time.time() - 1)
    forged = mint_token(b"x" * 32, holder, time.time() + 600)
    valid = mint_token(key, holder, time.time() + 600)
    for token, code in ((expired, "expired_token"), (forged, "invalid_token"), ("garbage", "invalid_token")):
        response = _raw(enrolled, "POST", "/numbers", {**installation, "Authorization": f"Bearer {token}"},
                        {"count": 1})
        assert response.status_code == 401 and response.json()["error"] == code
        assert response.json()["message"]  # a French sentence
    ok = _raw(enrolled, "POST", "/numbers", {**installation, "Authorization": f"Bearer {valid}"}, {"count": 1})
    assert ok.status_code == 201
    # a valid token without the installation credential
    response = _raw(enrolled, "POST", "/numbers", {"Authorization": f"Bearer {valid}"}, {"count": 1})
    assert response.status_code == 401 and response.json()["error"] == "unknown_installation"


def test_token_renewed_when_expired(enrolled, pki_dir, tmp_path):
    """An expired token in the middle of an outbox flush: re-authenticate once, then send."""
    from lap_app.base_client import Token
    from lap_app.services.base_connection import open_client
    from lap_app.services.card_session import ensure_token

    with card_in_hand("medecin", pki_dir) as card, open_client(enrolled) as client:
        first = ensure_token(card, client)
        assert ensure_token(card, client) is first  # still valid: reused
        client.token = Token(first.value, time.time() - 1, first.national_id, first.profession)
        renewed = ensure_token(card, client)
        assert renewed.value != first.value
        assert client.reserve_numbers(1)[0]


def test_revoked_installation_is_refused(base, pki_dir, tmp_path, monkeypatch):
    from lap_app.base_client import BaseRefused
    from lap_app.services.base_connection import base_endpoint, open_client
    from lap_app.services.card_session import open_token
    from lap_app.services.enrolment import enrol

    monkeypatch.setenv("LAP_CONFIG_DIR", str(tmp_path / "config"))
    endpoint = base_endpoint(base.url, base.ca)
    with card_in_hand("medecin", pki_dir) as card:
        result = enrol(endpoint, card, name="à révoquer")
        assert result.warning and "fichier" in result.warning  # no keyring here: the documented fallback
        assert enrol(endpoint, card).already
        with open_client(endpoint) as client:
            open_token(card, client)
            assert client.reserve_numbers(1)[0]
            client.revoke(result.credential.installation_id)
            with pytest.raises(BaseRefused) as refused:
                client.reserve_numbers(1)
    assert refused.value.status == 401 and "révoquée" in refused.value.reason


def test_pharmacist_cannot_enrol(base, pki_dir, tmp_path, monkeypatch):
    from lap_app.domain.errors import UserError
    from lap_app.services.base_connection import base_endpoint
    from lap_app.services.enrolment import enrol

    monkeypatch.setenv("LAP_CONFIG_DIR", str(tmp_path / "config"))
    with card_in_hand("pharmacien", pki_dir) as card, pytest.raises(UserError, match="Enrôlement refusé"):
        enrol(base_endpoint(base.url, base.ca), card)
    assert not (tmp_path / "config" / "installation-credential.json").exists()
