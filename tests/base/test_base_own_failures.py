"""The base's own failures answer a French JSON error (5xx, never a verdict), on the lean
registration path and on the documented FastAPI routes; a full disk is told apart (507)."""

from __future__ import annotations

import json
import sqlite3
import time
from datetime import UTC

import pytest

from circuit_support import EXAMPLE_BUNDLE, card_in_hand


def _app(tmp_path, pki_dir, lean: bool):
    from lap_app.standins.base_server import ServerConfig, create_app
    from lap_app.standins.base_server.fast_path import RegistrationFastPath

    app = create_app(ServerConfig(data_dir=tmp_path / ("lean" if lean else "documented"),
                                  ca_pem=(pki_dir / "ca.pem").read_bytes()))
    if not lean:
        app.user_middleware = [m for m in app.user_middleware if m.cls is not RegistrationFastPath]
    return app


def _signed(card, number: str) -> dict:
    from datetime import datetime

    from lap_app.base_client.protocol import SIGNATURE_FORMAT, signed_digest
    from lap_app.domain.model import Signature
    from lap_app.fhir import from_bundle, to_bundle

    ordonnance = from_bundle(json.loads(EXAMPLE_BUNDLE.read_text(encoding="utf-8")))
    ordonnance.number = number
    digest = signed_digest(to_bundle(ordonnance))
    ordonnance.signature = Signature(datetime.now(UTC), "810101234564", card.sign_digest(digest),
                                     card.sign_certificate_der(), SIGNATURE_FORMAT)
    return to_bundle(ordonnance)


def _prescriber(app):
    from starlette.testclient import TestClient

    from lap_app.base_client.protocol import INSTALLATION_HEADER
    from lap_app.standins.base_server.security import Holder, mint_token

    key = app.state.base.token_key
    headers = {"Authorization": f"Bearer {mint_token(key, Holder('810101234564', '10'), time.time() + 600)}"}
    client = TestClient(app, raise_server_exceptions=False)
    enrolled = client.post("/v1/installations", json={"name": "faults"}, headers=headers).json()
    headers[INSTALLATION_HEADER] = f"{enrolled['installation_id']}.{enrolled['secret']}"
    return client, headers


def _cap_growth(app) -> None:
    """The base's database may not grow any more: SQLite's own "database or disk is full"."""
    conn = app.state.base.store._conn
    pages = conn.execute("PRAGMA page_count").fetchone()[0]
    conn.execute(f"PRAGMA max_page_count = {pages}")


@pytest.mark.parametrize("lean", [True, False], ids=["lean-path", "documented-route"])
def test_disk_full_on_the_base_answers_507_in_french_and_registers_later(tmp_path, pki_dir, lean):
    app = _app(tmp_path, pki_dir, lean)
    client, headers = _prescriber(app)
    numbers = client.post("/v1/numbers", json={"count": 2}, headers=headers).json()["numbers"]
    with card_in_hand("medecin", pki_dir) as card:
        bundle = _signed(card, numbers[0])
    _cap_growth(app)
    full = client.put(f"/v1/prescriptions/{numbers[0]}", json={"bundle": bundle}, headers=headers)
    assert full.status_code == 507 and full.headers["content-type"] == "application/json"
    assert full.json()["error"] == "storage_full"
    assert "Espace disque insuffisant sur le serveur de la base" in full.json()["message"]
    app.state.base.store._conn.execute("PRAGMA max_page_count = 1073741823")  # space freed
    again = client.put(f"/v1/prescriptions/{numbers[0]}", json={"bundle": bundle}, headers=headers)
    assert again.status_code == 201, again.text
    with sqlite3.connect(app.state.base.store.path) as db:
        assert db.execute("SELECT COUNT(*) FROM prescriptions").fetchone()[0] == 1
    client.close()
    app.state.base.store.close()


def test_an_unexpected_failure_is_a_french_json_500(tmp_path, pki_dir, monkeypatch):
    from lap_app.standins.base_server import routes_prescriber

    app = _app(tmp_path, pki_dir, lean=False)
    client, headers = _prescriber(app)

    def broken(*_args):
        raise RuntimeError("boom")

    monkeypatch.setattr(routes_prescriber, "_unguessable_numbers", broken)
    answer = client.post("/v1/numbers", json={"count": 2}, headers=headers)
    assert answer.status_code == 500 and answer.json() == {
        "error": "internal_error",
        "message": "Incident sur le serveur de la base : la demande n'a pas été enregistrée, renvoyez-la plus tard"}
    client.close()
    app.state.base.store.close()
