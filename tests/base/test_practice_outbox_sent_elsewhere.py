"""Two workstations of a group practice on one practice server: the moment one of them saves a
signed ordonnance, the other's flush (its status bar saw one ordonnance waiting and the base
reachable) may send it first. The prescribing workstation then tells the physician what became
of it — registered, with its paper — instead of failing on an outbox entry that is gone."""

from __future__ import annotations

import json

import pytest

from circuit_support import EXAMPLE_BUNDLE, card_in_hand, decode_qr

pytestmark = pytest.mark.postgresql


def test_an_ordonnance_sent_by_another_workstation_as_soon_as_saved_is_registered_once(
        enrolled, pki_dir, fresh_postgres_database) -> None:  # type: ignore[no-untyped-def]
    from lap_app.domain.status import OrdonnanceStatus
    from lap_app.fhir import from_bundle
    from lap_app.services.base_connection import open_client
    from lap_app.services.card_session import ensure_token
    from lap_app.services.outbox import flush_outbox
    from lap_app.services.prescribing import prescribe
    from lap_app.storage import LocalStore

    here, other = LocalStore(fresh_postgres_database), LocalStore(fresh_postgres_database)
    sent_by_the_other: list[str] = []
    try:
        with card_in_hand("medecin", pki_dir) as card, open_client(enrolled) as client, \
                open_client(enrolled) as other_client:
            ensure_token(card, other_client)
            save_signed = here.save_signed

            def saved_then_sent_by_the_other_workstation(**details):  # type: ignore[no-untyped-def]
                ordonnance_id = save_signed(**details)
                sent_by_the_other.extend(flush_outbox(other, other_client).registered)
                return ordonnance_id

            here.save_signed = saved_then_sent_by_the_other_workstation  # type: ignore[method-assign]
            outcome = prescribe(from_bundle(json.loads(EXAMPLE_BUNDLE.read_text(encoding="utf-8"))), card=card,
                                client=client, store=here)
            assert sent_by_the_other == [outcome.number]
            assert outcome.status is OrdonnanceStatus.REGISTERED and outcome.message is None
            assert decode_qr(outcome.pdf) == [outcome.number]  # the paper, with its QR code
            assert client.status(outcome.number) == "registered"
        assert here.outbox() == [] and here.by_number(outcome.number).status is OrdonnanceStatus.REGISTERED
        assert [o.number for o in here.list()] == [outcome.number]  # one ordonnance, registered once
    finally:
        here.close()
        other.close()
