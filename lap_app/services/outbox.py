"""Sending what waits in the outbox; a background flusher for the GUI.

Replays are harmless: the base answers an identical registration with the same result. An
entry leaves the outbox only on a definitive answer (registered, or refused for good).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from lap_app.base_client import BaseRefused, BaseUnavailable, EPrescriptionBase
from lap_app.base_client.protocol import EXPIRY_WARNING, SIGNED_NUMBER_GRACE
from lap_app.domain.status import OrdonnanceStatus
from lap_app.i18n import _
from lap_app.storage import LocalStore, OutboxEntry

log = logging.getLogger(__name__)
MAX_DELAY = 300.0


@dataclass(slots=True)
class FlushReport:
    registered: list[str] = field(default_factory=list)
    refused: dict[str, str] = field(default_factory=dict)  # number -> French reason
    waiting: list[str] = field(default_factory=list)
    error: str | None = None  # why the flush stopped early (base unreachable)
    dmp: Any = None  # lap_app.services.dmp.DmpReport: the DMP copies filed after their registration


def send_entry(store: LocalStore, client: EPrescriptionBase, entry: OutboxEntry,
               reauthenticate: Callable[[], object] | None = None) -> OrdonnanceStatus:
    """Try to register one outbox entry; returns the resulting status (WAITING: another workstation
    of the practice is sending it right now). Raises BaseUnavailable."""
    with store.claimed(entry) as mine:
        if not mine:
            return OrdonnanceStatus.WAITING
        return _send_claimed(store, client, entry, reauthenticate)


def _send_claimed(store: LocalStore, client: EPrescriptionBase, entry: OutboxEntry,
                  reauthenticate: Callable[[], object] | None) -> OrdonnanceStatus:
    ordonnance = store.get(entry.ordonnance_id)
    if ordonnance is None:  # cannot happen: written together
        store.outbox_done(entry, OrdonnanceStatus.REJECTED, "entrée orpheline")
        return OrdonnanceStatus.REJECTED
    for attempt in (1, 2):
        try:
            result = client.register(entry.number, ordonnance.bundle)
        except BaseUnavailable as error:
            store.outbox_retry_later(entry, error.message, min(MAX_DELAY, 5.0 * 2 ** entry.attempts))
            raise
        except BaseRefused as error:
            if error.status == 401 and reauthenticate is not None and attempt == 1:
                reauthenticate()  # the token expired meanwhile
                continue
            if error.status == 401:  # not a verdict on the ordonnance: keep it queued
                store.outbox_retry_later(entry, error.message, min(MAX_DELAY, 5.0 * 2 ** entry.attempts))
                raise
            reason = error.message
            if error.code == "expired_number":  # the printed QR code is dead: say which paper to redo
                reason = _("Numéro {number} expiré avant l'envoi : l'ordonnance papier de {patient} n'est plus "
                           "valable ; refaites-la et remettez-lui la nouvelle").format(
                    number=entry.number, patient=ordonnance.patient_name)
            store.outbox_done(entry, OrdonnanceStatus.REJECTED, reason)
            return OrdonnanceStatus.REJECTED
        store.outbox_done_if_possible(entry, result.status)  # registered: nothing local may undo that
        return result.status
    raise AssertionError("unreachable")


@dataclass(frozen=True, slots=True)
class ExpiringEntry:
    number: str
    patient: str
    deadline: float  # after this the base refuses it (number expiry + the signed-in-time grace)

    def warning(self) -> str:
        from datetime import datetime

        return _("Le numéro {number} ({patient}) doit être envoyé à la base avant le {date}, sinon l'ordonnance "
                 "papier ne sera plus valable : connectez-vous à la base et envoyez les ordonnances en attente").format(
            number=self.number, patient=self.patient, date=datetime.fromtimestamp(self.deadline).strftime("%d/%m/%Y"))


def expiring_entries(store: LocalStore, now: float | None = None) -> list[ExpiringEntry]:
    """Outbox entries whose number nears the deadline the base enforces (``EXPIRY_WARNING`` before it)."""
    return expiring_among(store, store.outbox_number_expiries(), now)


def expiring_among(store: LocalStore, queued: Iterable[tuple[OutboxEntry, float | None]],
                   now: float | None = None) -> list[ExpiringEntry]:
    """``expiring_entries`` of the outbox as already read (``store.outbox_number_expiries()``):
    the status bar counts the outbox and finds its expiring numbers from one read. The store is
    read again only for an expiring entry's patient name."""
    now = time.time() if now is None else now
    found = []
    for entry, expires_at in queued:
        if expires_at is None:
            continue
        deadline = expires_at + SIGNED_NUMBER_GRACE
        if deadline - EXPIRY_WARNING <= now:
            ordonnance = store.get(entry.ordonnance_id)
            found.append(ExpiringEntry(entry.number, ordonnance.patient_name if ordonnance else "?", deadline))
    return found


def flush_outbox(store: LocalStore, client: EPrescriptionBase,
                 reauthenticate: Callable[[], object] | None = None, *, due_only: bool = False) -> FlushReport:
    report = FlushReport()
    if client.token is not None:  # the base is met: the pool is checked against it once
        from lap_app.services.number_pool import reconcile_once

        try:
            reconcile_once(store, client, client.token.national_id)
        except (BaseUnavailable, BaseRefused) as error:
            log.info("number pool not reconciled: %s", error.message)
    entries = store.outbox(due_only=due_only)
    for index, entry in enumerate(entries):
        try:
            status = send_entry(store, client, entry, reauthenticate)
        except (BaseUnavailable, BaseRefused) as error:
            report.error = error.message
            report.waiting.extend(e.number for e in entries[index:])
            break
        if status is OrdonnanceStatus.REJECTED:
            stored = store.get(entry.ordonnance_id)
            report.refused[entry.number] = (stored.last_error if stored else None) or ""
        elif status is OrdonnanceStatus.WAITING:  # being sent by another workstation of the practice
            report.waiting.append(entry.number)
        else:
            report.registered.append(entry.number)
    if report.error is None:  # the DMP copies follow their registrations
        from lap_app.services.dmp import flush_dmp

        report.dmp = flush_dmp(store, client, reauthenticate, due_only=due_only)
    return report


class OutboxFlusher:
    """Flushes the outbox every ``interval`` seconds in a daemon thread until ``stop()``."""

    def __init__(self, flush: Callable[[], FlushReport], interval: float = 30.0,
                 on_report: Callable[[FlushReport], None] | None = None) -> None:
        self._flush = flush
        self._interval = interval
        self._on_report = on_report
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread = threading.Thread(target=self._run, name="outbox-flusher", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def flush_now(self) -> None:
        self._wake.set()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                report = self._flush()
                if self._on_report is not None:
                    self._on_report(report)
            except Exception:  # a background loop must survive anything
                log.exception("outbox flush failed")
            self._wake.wait(self._interval)
            self._wake.clear()
