"""Numbers that expire in the outbox: the base registers an ordonnance signed while its number
was valid (within a grace after the expiry); one signed too late, or sent after the grace, is
refused with a message saying which paper to redo; the outbox warns days before the deadline."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta

import pytest

from circuit_support import (
    EXAMPLE_BUNDLE,
    card_in_hand,
    cli_env,
    on_both_engines,
    run_cli,
    running_base,
    with_drug_base,
)

DAY = 86400.0


@pytest.fixture
def own_base(tmp_path, pki_dir, monkeypatch, base_database):
    from lap_app.services.base_connection import base_endpoint
    from lap_app.services.enrolment import enrol

    with_drug_base(tmp_path / "data")  # the prescriptions' checks read it
    monkeypatch.setenv("LAP_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("LAP_DATA_DIR", str(tmp_path / "data"))
    with running_base(tmp_path / "base", pki_dir, database=base_database()) as base:
        endpoint = base_endpoint(base.url, base.ca)
        with card_in_hand("medecin", pki_dir) as card:
            enrol(endpoint, card)
        yield base, endpoint


def _queued(base, endpoint, pki_dir, store, written_days_ago: float) -> str:
    """An ordonnance written ``written_days_ago`` days ago, signed and queued with the base down."""
    from lap_app.fhir import from_bundle
    from lap_app.services.base_connection import open_client
    from lap_app.services.prescribing import prescribe

    draft = from_bundle(json.loads(EXAMPLE_BUNDLE.read_text(encoding="utf-8")))
    draft.written_at = datetime.now(UTC) - timedelta(days=written_days_ago)
    with card_in_hand("medecin", pki_dir) as card, open_client(endpoint, retries=0) as client:
        if store.available_numbers("810101234564") == 0:
            from lap_app.services.card_session import ensure_token
            from lap_app.services.prescribing import top_up_pool

            ensure_token(card, client)
            top_up_pool(store, client, "810101234564")
        base.kill()
        outcome = prescribe(draft, card=card, client=client, store=store)
    base.start()
    assert outcome.status == "waiting"
    return outcome.number


def _expire_on_base(base, number: str, days_ago: float) -> None:
    base.rows("UPDATE numbers SET expires_at = ? WHERE number = ?", time.time() - days_ago * DAY, number)


def _flush(endpoint, pki_dir, store):
    from lap_app.services.base_connection import open_client
    from lap_app.services.card_session import ensure_token
    from lap_app.services.outbox import flush_outbox

    with card_in_hand("medecin", pki_dir) as card, open_client(endpoint) as client:
        ensure_token(card, client)
        return flush_outbox(store, client)


@on_both_engines  # the grace compares times stored by each engine (the base's and the practice's store)
def test_signed_before_expiry_is_registered_after_it(own_base, pki_dir, store_beside_base):
    base, endpoint = own_base
    store = store_beside_base
    number = _queued(base, endpoint, pki_dir, store, written_days_ago=3)
    _expire_on_base(base, number, days_ago=1)  # expired in the outbox, two days after the signature
    report = _flush(endpoint, pki_dir, store)
    assert report.registered == [number] and store.by_number(number).status == "registered"


@pytest.mark.parametrize(("written", "expired"), [(0, 1), (70, 65)], ids=["signed-after-expiry", "after-the-grace"])
def test_too_late_is_refused_naming_the_paper_to_redo(own_base, pki_dir, tmp_path, written, expired):
    from lap_app.storage import LocalStore

    base, endpoint = own_base
    store = LocalStore(tmp_path / "data" / "lap.sqlite3")
    number = _queued(base, endpoint, pki_dir, store, written_days_ago=written)
    _expire_on_base(base, number, days_ago=expired)
    report = _flush(endpoint, pki_dir, store)
    assert list(report.refused) == [number]
    assert f"Numéro {number} expiré avant l'envoi" in report.refused[number]
    assert store.by_number(number).patient_name in report.refused[number] and "refaites-la" in report.refused[number]
    assert store.by_number(number).status == "rejected"
    store.close()


def test_outbox_warns_days_before_the_deadline(own_base, pki_dir, tmp_path):
    from lap_app.services.outbox import expiring_entries
    from lap_app.storage import LocalStore

    base, endpoint = own_base
    store = LocalStore(tmp_path / "data" / "lap.sqlite3")
    near = _queued(base, endpoint, pki_dir, store, written_days_ago=0)
    far = _queued(base, endpoint, pki_dir, store, written_days_ago=0)
    with store.transaction() as conn:  # reserved 85 days ago: the base's deadline is in 5 days
        conn.execute("UPDATE number_pool SET expires_at = ? WHERE number = ?", (time.time() - 55 * DAY, near))
    assert [e.number for e in expiring_entries(store)] == [near]
    store.close()
    base.kill()
    shown = run_cli(["outbox"], cli_env(tmp_path / "data", tmp_path / "config", base, fresh=True))
    assert shown.returncode == 0
    assert f"Attention : Le numéro {near}" in shown.stderr and "doit être envoyé à la base avant le" in shown.stderr
    assert far not in shown.stderr
    listed = json.loads(run_cli(["outbox", "--json"], cli_env(tmp_path / "data", tmp_path / "config", base, fresh=True)).stdout)
    assert [e["number"] for e in listed["expiring"]] == [near]
