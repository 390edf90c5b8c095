"""The practice store behaves the same on an SQLite file and on the practice server: ordonnances
and their outbox, the number pool, patients, favourites/templates/drafts, DMP copies."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime

from lap_app.domain.acknowledgement import Acknowledgement
from lap_app.domain.model import Sex
from lap_app.domain.patient_record import PatientRecord
from lap_app.domain.status import OrdonnanceStatus

PRESCRIBER = "810000000001"
BUNDLE = {"resourceType": "Bundle", "entry": [
    {"fullUrl": "urn:uuid:patient-1", "resource": {"resourceType": "Patient", "name": [{"family": "Durand"}]}}]}


def _signed(store, number: str, **extra) -> int:
    return store.save_signed(number=number, prescriber=PRESCRIBER, patient_name="DURAND Léa", opposition=False,
                             bundle=BUNDLE, signer_certificate=b"\x30\x82\x00\xff", **extra)


def test_a_signed_ordonnance_and_its_outbox_entry_are_stored_together(open_workstation):
    store = open_workstation()
    at = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)
    ack = Acknowledgement("CI-3f9a2c", "CI", "Contre-indication : grossesse", PRESCRIBER, at)
    ordonnance_id = _signed(store, "N-0001", acknowledgements=[ack])
    stored = store.get(ordonnance_id)
    assert stored is not None and stored.number == "N-0001"
    assert stored.status is OrdonnanceStatus.WAITING
    assert stored.signer_certificate == b"\x30\x82\x00\xff"
    assert stored.bundle == BUNDLE and stored.patient_ref == "urn:uuid:patient-1"
    assert [e.number for e in store.outbox()] == ["N-0001"]
    assert store.acknowledgements(ordonnance_id) == [ack]
    assert [o.id for o in store.for_patient("urn:uuid:patient-1")] == [ordonnance_id]

    entry = store.outbox()[0]
    store.outbox_done(entry, OrdonnanceStatus.REGISTERED)
    assert store.outbox() == []
    assert store.by_number("N-0001").status is OrdonnanceStatus.REGISTERED


def test_an_opposing_patient_never_shows_dispensing(open_workstation):
    store = open_workstation()
    ordonnance_id = store.save_signed(number="N-0002", prescriber=PRESCRIBER, patient_name="X", opposition=True,
                                      bundle=BUNDLE, signer_certificate=b"c")
    store.set_status("N-0002", OrdonnanceStatus.DISPENSED)
    assert store.get(ordonnance_id).status is OrdonnanceStatus.REGISTERED


def test_a_paper_ordonnance_has_no_number_and_no_outbox_entry(open_workstation):
    store = open_workstation()
    ordonnance_id = store.save_paper(prescriber=PRESCRIBER, patient_name="X", opposition=False, bundle=BUNDLE,
                                     reason="base injoignable")
    assert store.get(ordonnance_id).number is None
    assert store.list(OrdonnanceStatus.PAPER)[0].id == ordonnance_id
    assert store.outbox() == []


def test_an_outbox_entry_waits_then_retries(open_workstation):
    store = open_workstation()
    _signed(store, "N-0003")
    entry = store.outbox()[0]
    store.outbox_retry_later(entry, "base injoignable", delay=60)
    assert store.outbox(due_only=True) == []
    (again,) = store.outbox()
    assert again.attempts == 1 and again.last_error == "base injoignable"


def test_the_number_pool_hands_out_each_number_once(open_workstation):
    store = open_workstation()
    expires = time.time() + 86400
    store.add_numbers(PRESCRIBER, ["N-0010", "N-0011", "N-0012"], expires)
    store.add_numbers(PRESCRIBER, ["N-0010"], expires)  # a second delivery of the same number: ignored
    store.add_numbers("810000000002", ["N-0020"], expires)
    assert store.available_numbers(PRESCRIBER) == 3
    assert store.reserve_number_for_signing(PRESCRIBER) == "N-0010"
    assert store.reserve_number_for_signing(PRESCRIBER) == "N-0011"
    assert store.burn_numbers(["N-0012", "N-0011"]) == 1
    assert store.reserve_number_for_signing(PRESCRIBER) is None
    assert store.unused_numbers("810000000002") == ["N-0020"]
    _signed(store, "N-0010")
    ((entry, expires_at),) = store.outbox_number_expiries()
    assert entry.number == "N-0010" and abs(expires_at - expires) < 1


def test_every_number_of_a_later_batch_can_be_taken(open_workstation):
    """The base's numbers are random: a later batch may lie wholly below the numbers already
    taken. It is still used, number by number (offline too), and nothing taken is handed out again."""
    store = open_workstation()
    expires = time.time() + 86400
    store.add_numbers(PRESCRIBER, ["N-0090", "N-0095"], expires)
    first = [store.reserve_number_for_signing(PRESCRIBER) for _ in range(2)]
    store.add_numbers(PRESCRIBER, ["N-0001", "N-0002"], expires + 60)
    later = [store.reserve_number_for_signing(PRESCRIBER) for _ in range(2)]
    assert first == ["N-0090", "N-0095"] and later == ["N-0001", "N-0002"]
    assert store.reserve_number_for_signing(PRESCRIBER) is None


def test_a_store_restored_from_a_backup_skips_the_numbers_it_took_since(open_workstation):
    """The pool rows say free again (as in a restored store, the base out of reach); the list kept
    outside the store says taken."""
    store = open_workstation()
    expires = time.time() + 86400
    store.add_numbers(PRESCRIBER, ["N-0030", "N-0031", "N-0032"], expires)
    taken = store.reserve_number_for_signing(PRESCRIBER)
    with store.transaction() as conn:  # the backup's view of the pool
        conn.execute("UPDATE number_pool SET taken_at = NULL WHERE number = ?", (taken,))
    assert store.reserve_number_for_signing(PRESCRIBER) == "N-0031"


def test_a_store_from_before_the_list_of_taken_numbers_starts_it_from_its_pool(open_workstation):
    from lap_app.storage.engine import taken_numbers_path
    from lap_app.storage.taken_numbers import TakenNumbers

    store = open_workstation()
    expires = time.time() + 86400
    store.add_numbers(PRESCRIBER, ["N-0040", "N-0041"], expires)
    assert store.reserve_number_for_signing(PRESCRIBER) == "N-0040"
    ledger = TakenNumbers(taken_numbers_path(store.location))
    ledger.path.unlink()
    assert open_workstation() is not None and ledger.of(PRESCRIBER) == {"N-0040"}


def _patient(**overrides) -> PatientRecord:
    values = dict(family_name="Durand", given_names=["Léa", "Marie"], sex=Sex.FEMALE, birth_date=date(1985, 3, 7),
                  ins="285037505612345", weight_kg=61.5, allergies=["amoxicilline"])
    values.update(overrides)
    return PatientRecord(**values)


def test_patients_are_stored_and_found(open_workstation):
    from lap_app.storage.patients import PatientTable

    store = open_workstation()
    table = PatientTable(store.conn)
    saved = table.save(_patient())
    other = table.save(_patient(family_name="Dupont", given_names=["Jean"], sex=Sex.MALE, ins=None,
                                birth_date=date(1950, 1, 2)))
    assert table.get(saved.id) == saved
    assert table.ins_owner("285037505612345") == saved.id
    assert table.ins_owner("285037505612345", other_than=saved.id) is None
    assert [p.id for p in table.names_starting_with(["DU", "LE"], 10)] == [saved.id]
    assert [p.id for p in table.names_starting_with(["DU"], 10)] == [other.id, saved.id]
    assert [p.id for p in table.ins_starting_with("2850", 10)] == [saved.id]
    assert [p.id for p in table.born_on(date(1950, 1, 2), 10)] == [other.id]
    assert table.count() == 2
    table.save(saved.__class__(**{**_fields(table.get(saved.id)), "weight_kg": 63.0}))
    assert table.get(saved.id).weight_kg == 63.0


def _fields(record: PatientRecord) -> dict:
    return {name: getattr(record, name) for name in record.__slots__}


def test_favourites_templates_and_drafts(open_workstation):
    from lap_app.storage.drafting_library import DraftingTables

    store = open_workstation()
    tables = DraftingTables(store.conn)
    line = {"cis": "60234100", "dci": "paracétamol"}
    second = tables.add_favourite("b-paracétamol", line)
    first = tables.add_favourite("Amoxicilline", line)
    assert [f[0] for f in tables.favourites()] == [first, second]
    tables.remove_favourite(first)
    assert [f[1] for f in tables.favourites()] == ["b-paracétamol"]

    template_id = tables.save_template("Angine", [line])
    assert tables.save_template("Angine", [line, line]) == template_id  # replaced, same id
    assert tables.templates() == [(template_id, "Angine", [line, line])]
    tables.save_care_template("biology", "Bilan", [{"code": "1104"}])
    assert tables.care_templates()[0][1:] == ("biology", "Bilan", [{"code": "1104"}])

    from lap_app.storage.patients import PatientTable

    patient = PatientTable(store.conn).save(_patient())
    tables.save_draft_part(patient.id, "lines", [line])
    tables.save_draft_part(patient.id, "care", {"biology": [{"code": "1104"}]})
    assert tables.patients_with_draft() == {patient.id}
    import json

    assert json.loads(tables.draft(patient.id)) == {"lines": [line], "care": {"biology": [{"code": "1104"}]}}
    tables.save_draft_part(patient.id, "lines", [])
    tables.save_draft_part(patient.id, "care", {})
    assert tables.draft(patient.id) is None


def test_dmp_copies_are_queued_once_and_keep_the_first_pdf(open_workstation):
    from lap_app.storage.dmp_filings import DmpFilings

    store = open_workstation()
    filings = DmpFilings(store)
    ordonnance_id = _signed(store, "N-0030")
    assert filings.unqueued_ordonnances() == [(ordonnance_id, "N-0030")]
    filings.queue(ordonnance_id, "doc-1", b"%PDF-1.7 first")
    filings.queue(ordonnance_id, "doc-1", b"%PDF-1.7 second")
    assert filings.get(ordonnance_id).pdf == b"%PDF-1.7 first"
    assert [f.ordonnance_id for f in filings.pending()] == [ordonnance_id]
    assert filings.document_id_of_number("N-0030") == "doc-1"
    filings.finish(ordonnance_id, "filed")
    assert filings.pending() == [] and filings.get(ordonnance_id).filed_at is not None
