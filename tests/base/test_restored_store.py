"""A store restored from a backup never hands a number out twice: online, its pool is reconciled
with the base (numbers the base knows as used are burnt); offline, the numbers it handed out
(listed outside the store file) are never taken again."""

from __future__ import annotations

import json
import shutil

import pytest

from circuit_support import EXAMPLE_BUNDLE, card_in_hand, decode_qr, running_base, with_drug_base

PRESCRIBER = "810101234564"


@pytest.fixture
def own_base(tmp_path, pki_dir, monkeypatch):
    from lap_app.services.base_connection import base_endpoint
    from lap_app.services.enrolment import enrol

    with_drug_base(tmp_path / "data")  # the prescriptions' checks read it
    monkeypatch.setenv("LAP_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("LAP_DATA_DIR", str(tmp_path / "data"))
    with running_base(tmp_path / "base", pki_dir) as base:
        endpoint = base_endpoint(base.url, base.ca)
        with card_in_hand("medecin", pki_dir) as card:
            enrol(endpoint, card)
        yield base, endpoint


def _prescribe(endpoint, pki_dir, store):
    from lap_app.fhir import from_bundle
    from lap_app.services.base_connection import open_client
    from lap_app.services.prescribing import prescribe

    draft = from_bundle(json.loads(EXAMPLE_BUNDLE.read_text(encoding="utf-8")))
    with card_in_hand("medecin", pki_dir) as card, open_client(endpoint, retries=0) as client:
        return prescribe(draft, card=card, client=client, store=store)


def _restored_after_use(endpoint, pki_dir, path):
    """A store backed up after one ordonnance, used for three more, then restored (file only)."""
    from lap_app.storage import LocalStore

    store = LocalStore(path)
    first = _prescribe(endpoint, pki_dir, store)
    store.close()
    shutil.copy(path, path.with_name("backup.sqlite3"))
    store = LocalStore(path)
    later = [_prescribe(endpoint, pki_dir, store).number for _ in range(3)]
    store.close()
    for suffix in ("-wal", "-shm"):
        path.with_name(path.name + suffix).unlink(missing_ok=True)
    shutil.copy(path.with_name("backup.sqlite3"), path)
    restored = LocalStore(path)
    assert restored.by_number(later[0]) is None and restored.available_numbers(PRESCRIBER) == 9
    return restored, {first.number, *later}


def test_online_the_pool_is_reconciled_and_used_numbers_burnt(own_base, pki_dir, tmp_path):
    from lap_app.services.base_connection import open_client
    from lap_app.services.card_session import ensure_token
    from lap_app.services.number_pool import reconcile_pool

    _base, endpoint = own_base
    store, used = _restored_after_use(endpoint, pki_dir, tmp_path / "data" / "lap.sqlite3")
    with card_in_hand("medecin", pki_dir) as card, open_client(endpoint) as client:
        ensure_token(card, client)
        assert reconcile_pool(store, client, PRESCRIBER) == 3  # the three numbers used after the backup
    outcome = _prescribe(endpoint, pki_dir, store)
    assert outcome.status == "registered" and outcome.number not in used
    store.close()


def test_offline_a_restored_store_takes_only_numbers_never_handed_out(own_base, pki_dir, tmp_path):
    from lap_app.services.base_connection import open_client
    from lap_app.services.card_session import ensure_token
    from lap_app.services.outbox import flush_outbox

    base, endpoint = own_base
    store, used = _restored_after_use(endpoint, pki_dir, tmp_path / "data" / "lap.sqlite3")
    base.kill()
    offline = _prescribe(endpoint, pki_dir, store)
    assert offline.status == "waiting" and offline.number not in used
    assert decode_qr(offline.pdf) == [offline.number]
    base.start()
    with card_in_hand("medecin", pki_dir) as card, open_client(endpoint) as client:
        ensure_token(card, client)
        report = flush_outbox(store, client)
    assert report.registered == [offline.number] and not report.refused
    store.close()
