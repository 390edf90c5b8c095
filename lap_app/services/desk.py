"""The desktop's handle on the prescribing services: one base client, one local store, one lock.

``lap_app.services`` are functions over a client and a store (the CLI calls them the same
way); ``PrescribingDesk`` only holds those two for the window's lifetime and serialises their
use, since the card thread and the network pool both reach them. The client stack (httpx),
FHIR and the PDF renderer are imported on first use, off the window's start-up path (see
``warm_up``).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from lap_app.domain.status import OrdonnanceStatus
from lap_app.i18n import N_

if TYPE_CHECKING:  # (the domain's classes and datetime are not needed to open the window)
    from datetime import datetime

    from lap_app.base_client import HttpBaseClient
    from lap_app.domain.model import Ordonnance, Patient
    from lap_app.services.base_connection import BaseEndpoint
    from lap_app.services.consultation import ConsultationOutcome
    from lap_app.services.follow_up import FollowUp
    from lap_app.services.outbox import FlushReport
    from lap_app.services.prescribing import PrescriptionOutcome
    from lap_app.services.safety import PatientFacts
    from lap_app.settings import PracticeSettings
    from lap_app.storage import LocalStore

log = logging.getLogger(__name__)

NO_BASE_MESSAGE = N_("La base ordonnance numérique n'est pas configurée : "
                   "renseignez-la dans Fichier › Paramètres.")


@dataclass(frozen=True, slots=True)
class DeskStatus:
    base_reachable: bool
    outbox_count: int
    expiring: tuple[str, ...] = ()  # warnings: queued numbers near the base's deadline (French)
    store_problem: str | None = None  # the practice server unreachable or refusing (French), else None


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    local_id: int
    number: str | None
    status: OrdonnanceStatus
    written_at: datetime
    summary: str  # the lines' DCI wordings, for the list
    ordonnance: Ordonnance
    dmp: str = ""  # where the patient's DMP copy stands (lap_app.services.dmp), "" if none is due
    paper_reason: str = ""  # why a paper ordonnance has no number (offline, imaging, a demo example)


def history_summary(ordonnance: Ordonnance) -> str:
    """What the history list shows: the DCI wordings, or the kind and its acts."""
    from lap_app.domain.care_text import line_wording
    from lap_app.domain.kinds import OrdonnanceKind

    words = [line.dci_wording for line in ordonnance.lines]
    words += [line_wording(line).title for line in (*ordonnance.devices, *ordonnance.analyses,
                                                    *ordonnance.nursing, *ordonnance.sessions, *ordonnance.acts)]
    text = ", ".join(words)
    return text if ordonnance.kind is OrdonnanceKind.MEDICAMENTS else f"{ordonnance.kind.label} : {text}"


def probe_base(endpoint: BaseEndpoint, timeout: float = 2.0) -> bool:
    """A TLS handshake with the base, checked against its CA: reachable and trusted, no request
    (so the status bar costs the base nothing and leaves no trace in its audit trail)."""
    import socket
    import ssl  # here, not on the start-up path (~12 ms)

    parts = urlsplit(endpoint.url)
    context = ssl.create_default_context(cafile=str(endpoint.ca_path))
    try:
        with (socket.create_connection((parts.hostname, parts.port or 443), timeout=timeout) as raw,
              context.wrap_socket(raw, server_hostname=parts.hostname)):
            return True
    except (OSError, ssl.SSLError):
        return False


class PrescribingDesk:
    """``endpoint`` None: no base configured. The local history, its PDFs and renewal still work
    (they only read the local store); the network actions raise a ``UserError`` saying so."""

    def __init__(self, endpoint: BaseEndpoint | None, store: LocalStore, *, drugs_path: Path | None = None) -> None:
        self.endpoint = endpoint
        self.store = store
        self.drugs_path = drugs_path  # the safety checks' drug base (None: this user's own)
        self._client: HttpBaseClient | None = None
        self._lock = threading.RLock()
        self._thread_drugs = threading.local()  # a DrugDatabase belongs to the thread that opened it

    @property
    def has_base(self) -> bool:
        return self.endpoint is not None

    @property
    def client(self) -> HttpBaseClient:
        with self._lock:
            if self._client is None:
                if self.endpoint is None:
                    from lap_app.domain.errors import UserError
                    from lap_app.i18n import _

                    raise UserError(_(NO_BASE_MESSAGE))
                from lap_app.services.base_connection import open_client

                self._client = open_client(self.endpoint)
            return self._client

    def close(self) -> None:
        with self._lock:
            if self._client is not None:
                self._client.close()
                self._client = None

    def _drugs(self) -> Any:
        """The calling thread's drug base (the card thread keeps one open: opening it again for
        every signature would cost its interaction index each time)."""
        drugs = getattr(self._thread_drugs, "db", None)
        if drugs is None:
            from lap_app.drugs import open_drug_database

            drugs = self._thread_drugs.db = open_drug_database(self.drugs_path)
        return drugs

    @staticmethod
    def warm_up() -> None:
        """Load the client and rendering stacks (run in a worker once the window is up)."""
        import lap_app.fhir
        import lap_app.render
        import lap_app.services.base_connection
        import lap_app.services.prescribing  # noqa: F401

    @staticmethod
    def warm_renderer() -> None:
        """Make the PDF renderer ready (``render.warm``): the first ordonnance of the session
        then costs what the next ones do. Run on the card thread once the session is open, so
        it never runs beside a signature's own render nor delays the login."""
        from lap_app.render.warm import warm_up

        warm_up()

    # -- status bar --------------------------------------------------------------------------
    def status(self) -> DeskStatus:
        """The status bar's base and outbox, every ``STATUS_REFRESH_MS``: the outbox is read once
        (its count and its numbers near their deadline come from the same rows — one query
        on the practice server, and a count that always agrees with the warnings)."""
        from lap_app.services.outbox import expiring_among
        from lap_app.storage.errors import StoreRefused, StoreUnavailable

        reachable = self.endpoint is not None and probe_base(self.endpoint)
        try:
            queued = self.store.outbox_number_expiries()
            return DeskStatus(reachable, len(queued), tuple(e.warning() for e in expiring_among(self.store, queued)))
        except (StoreUnavailable, StoreRefused) as problem:  # said in the status bar; it reconnects by itself
            return DeskStatus(reachable, 0, (), store_problem=problem.message)

    # -- the card thread's work --------------------------------------------------------------
    def prescribe(self, ordonnance: Ordonnance, card: Any, *, practice: PracticeSettings,
                  patient: PatientFacts, acknowledged: Iterable[str] = (),
                  page_size: str = "A4") -> PrescriptionOutcome:
        """``prescribing.prescribe`` on the calling (card) thread: the same checks as the CLI."""
        from lap_app.services.prescribing import prescribe

        with self._lock:
            return prescribe(ordonnance, card=card, client=self.client, store=self.store,
                             opposition=ordonnance.opposition, page_size=page_size, practice=practice,
                             patient=patient, acknowledged=acknowledged, drugs=self._drugs())

    def prescribe_consultation(self, ordonnances: list[Ordonnance], card: Any, *, practice: PracticeSettings,
                               patient: PatientFacts, acknowledged: Iterable[str] = (),
                               page_size: str = "A4") -> ConsultationOutcome:
        """The ordonnances of one consultation: one validation, a number each, one PDF (the
        same practice and safety rules as one ordonnance)."""
        from lap_app.services.consultation import prescribe_consultation

        with self._lock:
            return prescribe_consultation(ordonnances, card=card, client=self.client, store=self.store,
                                          opposition=any(o.opposition for o in ordonnances), page_size=page_size,
                                          practice=practice, patient=patient, acknowledged=acknowledged,
                                          drugs=self._drugs())

    def flush(self, card: Any) -> FlushReport | None:
        from lap_app.services.card_session import ensure_token, renew_token
        from lap_app.services.dmp import copies_waiting
        from lap_app.services.outbox import flush_outbox

        with self._lock:
            if not self.store.outbox() and not copies_waiting(self.store):  # (DMP copies follow the outbox)
                return None
            ensure_token(card, self.client)
            client = self.client
            return flush_outbox(self.store, client, reauthenticate=lambda: renew_token(card, client))

    def follow_up(self, number: str, card: Any) -> FollowUp:
        """What was executed and adjusted of ``number`` (every kind), unless the patient objected."""
        from lap_app.services.card_session import ensure_token
        from lap_app.services.follow_up import consult_follow_up

        with self._lock:
            ensure_token(card, self.client)
            return consult_follow_up(self.client, number, self.store)

    def cancel(self, number: str, card: Any) -> str:
        from lap_app.services.card_session import ensure_token
        from lap_app.services.dispensing import cancel

        with self._lock:
            ensure_token(card, self.client)
            return cancel(self.client, self.store, number)

    # -- history -----------------------------------------------------------------------------
    def history(self, patient: Patient) -> list[HistoryEntry]:
        """The patient's ordonnances as the local store knows them, newest first (no network).

        Found by the patient's stable FHIR id, so a renamed patient keeps their history."""
        from lap_app.fhir import from_bundle
        from lap_app.services.dmp import dmp_column_text

        entries = []
        with self._lock:
            stored = self.store.for_patient(patient.resource_id)
        for item in stored:
            try:
                ordonnance = from_bundle(item.bundle)
            except Exception:  # an unreadable old entry must not hide the others
                log.exception("stored ordonnance %s unreadable", item.id)
                continue
            entries.append(HistoryEntry(
                local_id=item.id, number=item.number, status=item.status,
                written_at=ordonnance.written_at.astimezone(),
                summary=history_summary(ordonnance), ordonnance=ordonnance,
                dmp=dmp_column_text(self.store, item.id),
                paper_reason=(item.last_error or "") if item.status is OrdonnanceStatus.PAPER else ""))
        return entries

    def refreshed_statuses(self, entries: list[HistoryEntry]) -> dict[int, OrdonnanceStatus]:
        """Current statuses from the base of the entries still moving, while the session's token is
        valid (no card operation here: this runs beside the card thread). Network failures keep
        the last known status."""
        from lap_app.base_client import BaseRefused, BaseUnavailable
        from lap_app.services.dispensing import refresh_status

        changed: dict[int, OrdonnanceStatus] = {}
        if self.endpoint is None:
            return changed
        for entry in entries:
            if not entry.number or entry.status.final or not entry.status.in_base:  # nothing to ask the base
                continue
            with self._lock:  # per entry: a validation waiting for the client gets in between
                client = self._client
                if client is None or client.token is None or not client.token.valid_for(5.0):
                    break
                try:
                    status = refresh_status(client, self.store, entry.number)
                except (BaseUnavailable, BaseRefused) as error:
                    log.info("status of %s not refreshed: %s", entry.number, error.message)
                    break
            if status != entry.status:
                changed[entry.local_id] = status
        return changed

    def pdf(self, local_id: int, page_size: str = "A4") -> bytes:
        """The PDF of a stored ordonnance, rendered again (call it off the GUI thread: ~50 ms)."""
        from lap_app.domain.errors import UserError
        from lap_app.fhir import from_bundle
        from lap_app.i18n import _
        from lap_app.render import render_ordonnance_pdf
        from lap_app.services.prescribing import OFFLINE_REASON

        with self._lock:
            item = self.store.get(local_id)
        if item is None:
            raise UserError(_("Ordonnance introuvable dans la base locale"))
        ordonnance = from_bundle(item.bundle)
        reason = OFFLINE_REASON if item.number is None else None
        return render_ordonnance_pdf(ordonnance, page_size, offline_reason=reason)
