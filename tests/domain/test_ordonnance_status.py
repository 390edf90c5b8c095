"""What each ordonnance status allows: one table, read by every front end and service."""

from __future__ import annotations

import pytest

from lap_app.domain.status import OrdonnanceStatus as S

ALL = set(S)


def allowed(rule: str) -> set[S]:
    return {status for status in S if getattr(status, rule)}


def test_only_an_ordonnance_nothing_was_dispensed_from_can_be_cancelled():
    assert allowed("cancellable") == {S.WAITING, S.REGISTERED}


def test_final_statuses_never_change_again():
    assert allowed("final") == {S.DISPENSED, S.CANCELLED, S.PAPER, S.REJECTED}


def test_a_copy_goes_to_the_dmp_once_the_base_holds_a_valid_ordonnance():
    assert allowed("fileable_in_dmp") == {S.REGISTERED, S.PARTLY_DISPENSED, S.DISPENSED}
    assert allowed("never_in_dmp") == {S.CANCELLED, S.PAPER, S.REJECTED}
    # waiting: neither yet, the copy follows the registration
    assert ALL - allowed("fileable_in_dmp") - allowed("never_in_dmp") == {S.WAITING}


def test_the_patients_opposition_hides_the_statuses_that_tell_a_dispensing():
    assert allowed("tells_dispensing") == {S.PARTLY_DISPENSED, S.DISPENSED}


def test_under_opposition_the_local_store_records_registered_for_a_dispensing(store_location):
    from lap_app.storage import LocalStore

    store = LocalStore(store_location)  # a workstation's file, then a practice server
    try:
        for number, opposition in (("2026112500000121", True), ("2026112500000139", False)):
            store.save_signed(number=number, prescriber="8A", patient_name="x", opposition=opposition,
                              bundle={}, signer_certificate=b"")
            for status in S:
                store.set_status(number, status)
                expected = S.REGISTERED if opposition and status.tells_dispensing else status
                assert store.by_number(number).status is expected, (opposition, status)
    finally:
        store.close()


def test_cancelled_and_refused_ordonnances_are_not_renewed():
    assert ALL - allowed("renewable") == {S.CANCELLED, S.REJECTED}


def test_a_pharmacy_dispenses_only_what_is_registered_and_not_all_dispensed():
    assert allowed("dispensable") == {S.REGISTERED, S.PARTLY_DISPENSED}


def test_the_dispensing_can_be_consulted_for_what_the_base_holds():
    assert allowed("in_base") == {S.REGISTERED, S.PARTLY_DISPENSED, S.DISPENSED, S.CANCELLED}
    # what the history still asks the base about: in it, and still able to move
    assert allowed("in_base") - allowed("final") == {S.REGISTERED, S.PARTLY_DISPENSED}


@pytest.mark.parametrize("status", list(S))
def test_every_status_reads_in_french_and_prints_as_its_stored_value(status: S):
    assert status.label and status.label != status.value and "_" not in status.label
    assert f"{status}" == str(status) == status.value  # logs and messages show the stored value
    assert S(status.value) is status


def test_the_local_store_keeps_each_status(store_location):
    from lap_app.storage import LocalStore

    store = LocalStore(store_location)
    try:
        store.save_signed(number="2026112500000121", prescriber="8A", patient_name="x", opposition=False,
                          bundle={}, signer_certificate=b"")
        for status in S:
            store.set_status("2026112500000121", status)
            assert store.by_number("2026112500000121").status is status
    finally:
        store.close()


@pytest.mark.parametrize("body", [{"status": "archived"}, {"status": None}, {}])
def test_a_status_the_application_does_not_know_is_no_verdict(body):
    from lap_app.base_client import BaseRefused, BaseUnavailable
    from lap_app.base_client.client import wire_status

    with pytest.raises(BaseUnavailable) as unknown:
        wire_status(body)
    assert not isinstance(unknown.value, BaseRefused)
    assert "statut" in unknown.value.message
