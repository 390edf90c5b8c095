"""The reserved-number pool against the base: a number handed out never comes back.

A store restored from a backup still lists as free the numbers it handed out after the
backup. Whenever the base is reachable, once per store and prescriber, the pool is reconciled
with the base's own list: every number the base knows as used, or does not know, is burnt.
Online or not, ``LocalStore.reserve_number_for_signing`` never takes a number this workstation
already took (``lap_app.storage.taken_numbers``, kept outside the store); with no number left
the ordonnance is printed on paper.
"""

from __future__ import annotations

import logging
import weakref

from lap_app.base_client import EPrescriptionBase
from lap_app.storage import LocalStore

log = logging.getLogger(__name__)
_reconciled: weakref.WeakKeyDictionary[LocalStore, set[str]] = weakref.WeakKeyDictionary()


def reconcile_pool(store: LocalStore, client: EPrescriptionBase, prescriber: str) -> int:
    """Burn the pool's numbers the base knows as used (or not at all); returns how many.
    Raises BaseUnavailable when the base cannot say (the pool is left as it is)."""
    # The pool first, the base's list after: a number another workstation of the practice
    # reserves meanwhile is in neither read, or in both; never burnt for being too new.
    unused = store.unused_numbers(prescriber)
    known = client.numbers_state()
    stale = [n for n in unused if known.get(n) != "reserved"]
    burnt = store.burn_numbers(stale) if stale else 0
    if burnt:
        log.warning("%d pool number(s) already used or unknown to the base were burnt (store restored?)", burnt)
    _reconciled.setdefault(store, set()).add(prescriber)
    return burnt


def reconciled(store: LocalStore, prescriber: str) -> bool:
    return prescriber in _reconciled.get(store, set())


def reconcile_once(store: LocalStore, client: EPrescriptionBase, prescriber: str) -> None:
    """``reconcile_pool`` the first time this store meets the base for this prescriber."""
    if not reconciled(store, prescriber):
        reconcile_pool(store, client, prescriber)
