"""Offline prescribing: queued with its QR code when a reserved number is left, plain paper
(no QR code, the reason printed, CSP R.4073-2) when none is; the outbox sends it later."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from circuit_support import EXAMPLE_BUNDLE, card_in_hand, decode_qr, pdf_text, running_base


def _draft():
    from lap_app.fhir import from_bundle

    return from_bundle(json.loads(EXAMPLE_BUNDLE.read_text(encoding="utf-8")))


@pytest.fixture
def own_base(tmp_path: Path, pki_dir: Path, monkeypatch):
    """A base of our own (we stop and restart it), this installation enrolled with it."""
    from lap_app.services.base_connection import base_endpoint
    from lap_app.services.enrolment import enrol

    monkeypatch.setenv("LAP_CONFIG_DIR", str(tmp_path / "config"))
    with running_base(tmp_path / "base", pki_dir) as base:
        endpoint = base_endpoint(base.url, base.ca)
        with card_in_hand("medecin", pki_dir) as card:
            enrol(endpoint, card)
        yield base, endpoint


def _prescribe(endpoint, pki_dir, store, **options):
    from lap_app.services.base_connection import open_client
    from lap_app.services.prescribing import prescribe

    with card_in_hand("medecin", pki_dir) as card, open_client(endpoint, retries=1, backoff=0.01) as client:
        return prescribe(_draft(), card=card, client=client, store=store, **options)


def test_offline_with_reserved_number_prints_qr_and_queues(own_base, pki_dir, store_location):
    from lap_app.services.base_connection import open_client
    from lap_app.services.card_session import ensure_token
    from lap_app.services.outbox import flush_outbox
    from lap_app.storage import LocalStore

    base, endpoint = own_base
    store = LocalStore(store_location)  # a workstation's file, then a practice server
    online = _prescribe(endpoint, pki_dir, store)
    assert online.status == "registered"
    assert store.available_numbers("810101234564") == 9  # the pool was filled ahead

    base.kill()
    queued = [_prescribe(endpoint, pki_dir, store, opposition=bool(i)) for i in range(2)]
    for outcome in queued:
        assert outcome.status == "waiting" and outcome.number
        assert "injoignable" in outcome.message
        assert decode_qr(outcome.pdf) == [outcome.number]  # printed with its QR code all the same
        assert store.by_number(outcome.number).status == "waiting"
    assert [e.number for e in store.outbox()] == [o.number for o in queued]

    base.start()
    with card_in_hand("medecin", pki_dir) as card, open_client(endpoint) as client:
        ensure_token(card, client)
        report = flush_outbox(store, client)
        assert report.registered == [o.number for o in queued] and report.error is None
        assert flush_outbox(store, client).registered == []  # nothing left
        assert client.status(queued[1].number) == "registered"
    assert store.outbox() == []
    assert [store.by_number(o.number).status for o in queued] == ["registered", "registered"]
    store.close()


def test_offline_without_number_prints_plain_paper(own_base, pki_dir, store_location):
    from lap_app.storage import LocalStore

    base, endpoint = own_base
    base.kill()
    store = LocalStore(store_location)  # its number pool empty
    outcome = _prescribe(endpoint, pki_dir, store)
    assert outcome.status == "paper" and outcome.number is None
    assert decode_qr(outcome.pdf) == []  # no QR code
    text = " ".join(pdf_text(outcome.pdf).split())
    assert "R.4073-2" in text and "injoignable" in text
    assert store.outbox() == []
    assert store.list(status="paper")[0].id == outcome.ordonnance_id
    store.close()


def test_base_refusal_is_not_queued(own_base, pki_dir, store_location):
    """A 4xx is a verdict, not an outage: the entry leaves the outbox as "rejected", with the reason."""
    from lap_app.services.base_connection import open_client
    from lap_app.services.card_session import ensure_token
    from lap_app.services.outbox import flush_outbox
    from lap_app.storage import LocalStore

    base, endpoint = own_base
    store = LocalStore(store_location)
    assert _prescribe(endpoint, pki_dir, store).status == "registered"  # fills the pool
    base.kill()
    queued = _prescribe(endpoint, pki_dir, store)
    assert queued.status == "waiting"
    stored = store.by_number(queued.number)
    altered = json.loads(json.dumps(stored.bundle).replace("1000 mg", "2000 mg"))  # no longer what was signed
    with store.transaction() as conn:
        conn.execute("UPDATE ordonnances SET bundle = ? WHERE id = ?", (json.dumps(altered), stored.id))
    base.start()
    with card_in_hand("medecin", pki_dir) as card, open_client(endpoint) as client:
        ensure_token(card, client)
        report = flush_outbox(store, client)
    assert list(report.refused) == [queued.number] and "signature invalide" in report.refused[queued.number]
    assert store.outbox() == [] and store.by_number(queued.number).status == "rejected"
    store.close()
