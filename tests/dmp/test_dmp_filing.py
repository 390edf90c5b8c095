"""The patient's copy in the DMP, against the real base over TLS with the virtual cards:
filed right after registration, byte-identical to the printed PDF, listed and returned;
every refusal of the DMP (wrong INS key, author not the card holder, no INS)."""

from __future__ import annotations

import contextlib
import json
import sqlite3
from pathlib import Path

import pytest

from circuit_support import EXAMPLE_BUNDLE, card_in_hand, pdf_text, running_base

PATIENT_INS = "158037505612321"  # the example Bundle's patient


def _draft(**patient):
    from lap_app.fhir import from_bundle

    ordonnance = from_bundle(json.loads(EXAMPLE_BUNDLE.read_text(encoding="utf-8")))
    for key, value in patient.items():
        setattr(ordonnance.patient, key, value)
    return ordonnance


@pytest.fixture
def store(store_location: str | Path):
    """The practice's store, a workstation's file then a practice server (the DMP copies' states
    and printed PDFs live there); the DMP stand-in keeps its own file beside the base."""
    from lap_app.storage import LocalStore

    local = LocalStore(store_location)
    yield local
    local.close()


@contextlib.contextmanager
def _session(holder, endpoint, pki_dir, **options):
    """(card, client) with a fresh token."""
    from lap_app.services.base_connection import open_client
    from lap_app.services.card_session import open_token

    with card_in_hand(holder, pki_dir) as card, open_client(endpoint, **options) as client:
        open_token(card, client)
        yield card, client


def _prescribe(endpoint, pki_dir, store, draft=None):
    from lap_app.services.prescribing import prescribe

    with _session("medecin", endpoint, pki_dir) as (card, client):
        return prescribe(draft or _draft(), card=card, client=client, store=store)


def _server_documents(base) -> list[tuple[str, str, bytes]]:
    with sqlite3.connect(base.data_dir / "dmp.sqlite3") as db:
        return db.execute("SELECT number, patient_ins, pdf FROM documents ORDER BY number").fetchall()


def test_filed_copy_is_the_printed_pdf_and_patient_finds_it(dmp_endpoint, dmp_pki_dir, store, dmp_base):
    from lap_app.base_client.dmp import DmpClient
    from lap_app.services.dmp import FILED_MESSAGE, dmp_state
    from lap_app.storage.dmp_filings import DmpFilings

    outcome = _prescribe(dmp_endpoint, dmp_pki_dir, store)
    assert outcome.status == "registered"
    assert outcome.dmp_message == FILED_MESSAGE and outcome.dmp_state == "filed"
    state = dmp_state(store, outcome.ordonnance_id)
    assert state is not None and state.state == "filed" and state.label == "copie classée dans le DMP"
    from lap_app.services.dmp import dmp_column_text, status_with_dmp

    # what the patient's history list shows in its status column
    assert status_with_dmp(store.get(outcome.ordonnance_id).status.label, dmp_column_text(store, outcome.ordonnance_id)) \
        == "enregistrée · DMP ✓"

    # a pharmacist (another professional, another card) lists the patient's DMP and opens the copy
    with _session("pharmacien", dmp_endpoint, dmp_pki_dir) as (_card, client):
        documents = DmpClient(client).documents(PATIENT_INS)
        mine = [d for d in documents if d.number == outcome.number]
        document_id = DmpFilings(store).get(outcome.ordonnance_id).document_id
        assert len(mine) == 1 and mine[0].document_id == document_id
        assert outcome.number not in document_id and len(document_id) == 32  # opaque: 128 random bits
        assert mine[0].author == "810101234564" and "MARTIN" in mine[0].author_name
        assert mine[0].size == len(outcome.pdf)
        filed = DmpClient(client).pdf(mine[0].document_id)
        reference = DmpClient(client).document(mine[0].document_id)
    assert filed == outcome.pdf  # byte for byte what was printed
    from lap_app.domain.identifiers import format_prescription_number

    assert format_prescription_number(outcome.number) in pdf_text(filed)
    assert reference["type"]["coding"][0]["code"] == "57833-6"
    assert reference["category"][0]["coding"][0]["display"] == "Traitement"
    assert reference["content"][0]["format"]["code"] == "urn:ihe:iti:xds-sd:pdf:2008"
    assert reference["subject"]["identifier"] == {"system": "urn:oid:1.2.250.1.213.1.4.8", "value": PATIENT_INS}
    assert reference["context"]["related"][0]["identifier"]["value"] == outcome.number
    on_server = [row for row in _server_documents(dmp_base) if row[0] == outcome.number]
    assert len(on_server) == 1 and on_server[0][2] == outcome.pdf


def test_refiling_is_a_replay_and_another_pdf_is_refused(dmp_endpoint, dmp_pki_dir, store, dmp_base):
    from lap_app.base_client import BaseRefused
    from lap_app.base_client.dmp import DmpClient
    from lap_app.services.dmp import build_reference
    from lap_app.storage.dmp_filings import DmpFilings

    outcome = _prescribe(dmp_endpoint, dmp_pki_dir, store)
    stored = store.get(outcome.ordonnance_id)
    filing = DmpFilings(store).get(outcome.ordonnance_id)
    with _session("medecin", dmp_endpoint, dmp_pki_dir) as (_card, client):
        replay = DmpClient(client).file(filing.document_id, build_reference(stored, outcome.pdf, filing.document_id))
        assert replay.replayed and replay.number == outcome.number
        with pytest.raises(BaseRefused) as refused:
            DmpClient(client).file(filing.document_id, build_reference(stored, outcome.pdf + b"\n%%altered", filing.document_id))
    assert refused.value.status == 409 and "déjà classé" in refused.value.message
    assert [row[0] for row in _server_documents(dmp_base)].count(outcome.number) == 1


def _reference(stored, pdf, **changes):
    from lap_app.base_client.dmp_protocol import document_reference, new_document_id

    fields = dict(document_id=new_document_id(), number=stored.number, ins=PATIENT_INS,
                  ins_system="urn:oid:1.2.250.1.213.1.4.8", patient_name=stored.patient_name,
                  author_id=stored.prescriber, author_name="Dr Claire MARTIN", date="2026-11-25T09:42:00Z",
                  pdf=pdf, title="Ordonnance")
    fields.update(changes)
    return document_reference(**fields)


def test_wrong_ins_key_and_foreign_author_are_refused(dmp_endpoint, dmp_pki_dir, store, dmp_base, tmp_path):
    from lap_app.base_client import BaseRefused
    from lap_app.base_client.dmp import DmpClient

    # a registered ordonnance whose copy has not been filed yet (we file it by hand below)
    with _session("medecin", dmp_endpoint, dmp_pki_dir) as (_card, client):
        from lap_app.services.prescribing import top_up_pool

        top_up_pool(store, client, "810101234564")
    number = store.reserve_number_for_signing("810101234564")
    stored = type("Stored", (), {"number": number, "patient_name": "DUPONT Jean", "prescriber": "810101234564"})
    pdf = b"%PDF-1.4\n% a test page\n%%EOF\n"
    from lap_app.base_client.dmp_protocol import new_document_id

    doc_id = new_document_id()
    wrong_key = PATIENT_INS[:13] + f"{(int(PATIENT_INS[13:]) + 1) % 100:02d}"
    with _session("medecin", dmp_endpoint, dmp_pki_dir) as (_card, client):
        dmp = DmpClient(client)
        with pytest.raises(BaseRefused) as bad_ins:
            dmp.file(doc_id, _reference(stored, pdf, document_id=doc_id, ins=wrong_key))
        with pytest.raises(BaseRefused) as no_ins:
            dmp.file(doc_id, _reference(stored, pdf, document_id=doc_id, ins="", ins_system="urn:oid:1.2.250.1.213.1.4.8"))
        with pytest.raises(BaseRefused) as foreign:
            dmp.file(doc_id, _reference(stored, pdf, document_id=doc_id, author_id="810009999999"))
        with pytest.raises(BaseRefused) as listing:
            dmp.documents(wrong_key)
    assert bad_ins.value.status == 422 and bad_ins.value.code == "invalid_ins"
    assert "INS du patient invalide" in bad_ins.value.message and "clé du NIR incorrecte" in bad_ins.value.message
    assert no_ins.value.code == "invalid_ins" and "absent" in no_ins.value.message
    assert foreign.value.status == 403 and foreign.value.code == "author_not_holder"
    assert "n'est pas le porteur de la carte" in foreign.value.message
    assert listing.value.code == "invalid_ins"
    assert number not in [row[0] for row in _server_documents(dmp_base)]
    # a pharmacist may read the DMP but not file in it
    with _session("pharmacien", dmp_endpoint, dmp_pki_dir) as (_card, client):
        with pytest.raises(BaseRefused) as pharmacist:
            DmpClient(client).file(doc_id, _reference(stored, pdf, document_id=doc_id))
    assert pharmacist.value.status == 403


def test_patient_without_ins_is_told_plainly(dmp_endpoint, dmp_pki_dir, store, dmp_base):
    from lap_app.services.dmp import NO_INS_MESSAGE, dmp_state

    outcome = _prescribe(dmp_endpoint, dmp_pki_dir, store, _draft(ins=None))
    assert outcome.status == "registered"
    assert outcome.dmp_message == NO_INS_MESSAGE and outcome.dmp_state == "no_ins"
    assert "sans INS" in outcome.dmp_message and "n'a pas pu être classée" in outcome.dmp_message
    state = dmp_state(store, outcome.ordonnance_id)
    assert state.state == "no_ins" and "sans INS" in state.label
    assert outcome.number not in [row[0] for row in _server_documents(dmp_base)]


def test_offline_copy_waits_in_the_outbox_and_follows_the_registration(dmp_pki_dir, store, tmp_path, monkeypatch):
    from lap_app.services.base_connection import base_endpoint, open_client
    from lap_app.services.card_session import ensure_token
    from lap_app.services.dmp import dmp_state
    from lap_app.services.enrolment import enrol
    from lap_app.services.outbox import flush_outbox
    from lap_app.services.prescribing import prescribe

    monkeypatch.setenv("LAP_CONFIG_DIR", str(tmp_path / "config"))
    with running_base(tmp_path / "base", dmp_pki_dir) as base:
        endpoint = base_endpoint(base.url, base.ca)
        with card_in_hand("medecin", dmp_pki_dir) as card:
            enrol(endpoint, card)
            with open_client(endpoint, retries=1, backoff=0.01) as client:
                prescribe(_draft(), card=card, client=client, store=store)  # fills the number pool
            base.kill()
            with open_client(endpoint, retries=1, backoff=0.01) as client:
                offline = prescribe(_draft(), card=card, client=client, store=store)
            assert offline.status == "waiting" and offline.number
            assert dmp_state(store, offline.ordonnance_id).state == "pending"
            base.start()
            with open_client(endpoint) as client:
                ensure_token(card, client)
                report = flush_outbox(store, client)
        assert report.registered == [offline.number]
        assert report.dmp is not None and report.dmp.filed == [offline.number] and report.dmp.error is None
        assert dmp_state(store, offline.ordonnance_id).state == "filed"
        documents = _server_documents(base)
    assert [row[2] for row in documents if row[0] == offline.number] == [offline.pdf]
    assert len(documents) == 2


def test_copy_lost_at_printing_is_found_and_filed_by_the_flush(dmp_endpoint, dmp_pki_dir, store, dmp_base,
                                                               monkeypatch):
    """An ordonnance registered with no queued copy (a store left by a version that queued the copy
    only after printing, stopped in between): the next flush queues the copy, renders the same
    bytes again and files it."""
    import lap_app.services.dmp
    from lap_app.fhir import from_bundle
    from lap_app.render import render_ordonnance_pdf
    from lap_app.services.dmp import dmp_state
    from lap_app.services.outbox import flush_outbox

    class Crash(BaseException):
        pass

    def crash(*_args, **_kwargs):
        raise Crash

    monkeypatch.setattr(lap_app.services.dmp, "copy_writer", lambda *_args: lambda *_a: None)
    monkeypatch.setattr(lap_app.services.dmp, "after_prescription", crash)
    with pytest.raises(Crash):
        _prescribe(dmp_endpoint, dmp_pki_dir, store)
    monkeypatch.undo()
    stored = store.list(limit=1)[0]
    assert stored.status == "registered" and dmp_state(store, stored.id) is None  # nothing queued yet
    with _session("medecin", dmp_endpoint, dmp_pki_dir) as (_card, client):
        report = flush_outbox(store, client)
    assert report.dmp.filed == [stored.number]
    reprinted = render_ordonnance_pdf(from_bundle(stored.bundle))  # what a reprint gives
    on_server = [row[2] for row in _server_documents(dmp_base) if row[0] == stored.number]
    assert on_server == [reprinted]


def test_the_renderer_gives_the_printed_bytes_again(dmp_endpoint, dmp_pki_dir, store):
    """Why re-rendering is a sound fallback: the stored signed Bundle renders to the very bytes printed."""
    from lap_app.fhir import from_bundle
    from lap_app.render import render_ordonnance_pdf

    outcome = _prescribe(dmp_endpoint, dmp_pki_dir, store)
    assert render_ordonnance_pdf(from_bundle(store.get(outcome.ordonnance_id).bundle)) == outcome.pdf
