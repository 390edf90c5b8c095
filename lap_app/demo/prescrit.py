"""The demo prescrits: each profession's virtual card in its own reader and its own base client;
what « Prescrit (démo) » and « Mon espace santé (démo) » call (thread-safe).

Every operation goes through the services the command line uses (``lap_app.services.prescrit``,
``pharmacy``, ``patient_consent``); the widgets never see a card or a client.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lap_app.i18n import N_
from lap_app.services.base_connection import BaseEndpoint

if TYPE_CHECKING:
    from lap_app.base_client import HttpBaseClient
    from lap_app.services.prescrit import Agreement, LineExecution, PrescritView
    from lap_app.standins.pki import Pki
    from lap_app.storage.execution_journal import ExecutionJournal

# the demo card of each profession (lap_app.standins.pki.HOLDERS), as the tester picks it
PROFESSIONS: dict[str, str] = {
    "pharmacien": N_("Pharmacien"),
    "biologiste": N_("Biologiste"),
    "infirmier": N_("Infirmier"),
    "kine": N_("Masseur-kinésithérapeute"),
    "orthophoniste": N_("Orthophoniste"),
    "orthoptiste": N_("Orthoptiste"),
    "podologue": N_("Pédicure-podologue"),
    "fournisseur": N_("Fournisseur de dispositifs médicaux"),
}


@dataclass
class _Desk:
    """One profession's card, unlocked with the demo PIN, and its client."""

    card: Any
    reader: Any
    client: HttpBaseClient | None = None


class DemoPrescrits:
    def __init__(self, endpoint: BaseEndpoint, pki: Pki, portal_secret: str, journal_dir: Path) -> None:
        self._endpoint = endpoint
        self._journal_dir = journal_dir  # one folder a profession, as one workstation each
        self._pki = pki
        self._portal_secret = portal_secret  # « Mon espace santé »'s credential (the demo base's file)
        self._desks: dict[str, _Desk] = {}
        self._lock = threading.Lock()
        self._portal: HttpBaseClient | None = None

    def _client(self, holder: str) -> HttpBaseClient:
        """``holder``'s client with a valid token (its card inserted the first time)."""
        from lap_app.card.cps import CpsCard
        from lap_app.card.virtual_reader import VirtualReader
        from lap_app.services.base_connection import open_client
        from lap_app.services.card_session import ensure_token
        from lap_app.standins.pki import DEMO_PIN
        from lap_app.standins.virtual_cps import VirtualCps

        if holder not in PROFESSIONS:
            raise KeyError(holder)
        desk = self._desks.get(holder)
        if desk is None:
            reader = VirtualReader(f"Lecteur {holder} (démo)")
            reader.insert(VirtualCps.from_holder(self._pki.holder(holder), persist_pin=False))
            card = CpsCard(reader.connect())
            card.verify_pin(DEMO_PIN).raise_unless_accepted()
            desk = self._desks[holder] = _Desk(card, reader)
        if desk.client is None:
            desk.client = open_client(self._endpoint)
        ensure_token(desk.card, desk.client)
        return desk.client

    @contextlib.contextmanager
    def _journal(self, holder: str) -> Iterator[ExecutionJournal]:
        """``holder``'s journal of executions not yet answered, opened for one execution (as by
        ``lap-app prescrit execute``; the tasks run on worker threads)."""
        from lap_app.storage.execution_journal import JOURNAL_NAME, ExecutionJournal

        journal = ExecutionJournal(self._journal_dir / holder / JOURNAL_NAME)
        try:
            yield journal
        finally:
            journal.close()

    # -- the prescrit's work ---------------------------------------------------------------
    def read(self, holder: str, number: str) -> PrescritView:
        from lap_app.services.prescrit import read_ordonnance

        with self._lock:
            return read_ordonnance(self._client(holder), number)

    def execute(self, holder: str, number: str, lines: list[LineExecution], *, complete: bool = False
                ) -> PrescritView:
        """Through the prescrit's journal, as the command line does: the base out of reach, the
        execution is kept and sent (under the same id) before the next one."""
        from lap_app.services.prescrit import send_execution, waiting_executions_told

        with self._lock, self._journal(holder) as journal, waiting_executions_told(journal):
            return send_execution(self._client(holder), journal, number, lines, complete=complete)

    def adjust(self, holder: str, number: str, line: int, changes: list[tuple[str, str]], agreement: Agreement
               ) -> PrescritView:
        from lap_app.services.prescrit import adjust_line

        with self._lock:
            client = self._client(holder)
            return adjust_line(client, self._desks[holder].card, number, line, changes, agreement)

    def dispense_all(self, number: str) -> PrescritView:
        """The pharmacy's « Tout délivrer »: one box of each line not dispensed yet, the number closed."""
        from lap_app.services.prescrit import (
            read_ordonnance,
            rest_of_medicines,
            send_execution,
            waiting_executions_told,
        )

        with self._lock, self._journal("pharmacien") as journal, waiting_executions_told(journal):
            client = self._client("pharmacien")
            lines = rest_of_medicines(read_ordonnance(client, number))
            return send_execution(client, journal, number, lines, complete=True)

    # -- « Mon espace santé (démo) » ---------------------------------------------------------
    def dmp_documents(self, ins: str) -> list[Any]:
        from lap_app.base_client.dmp import DmpClient

        with self._lock:  # the DMP lists a patient's documents to a professional: the pharmacist's card
            return DmpClient(self._client("pharmacien")).documents(ins)

    def dmp_pdf(self, document_id: str) -> bytes:
        from lap_app.base_client.dmp import DmpClient

        with self._lock:
            return DmpClient(self._client("pharmacien")).pdf(document_id)

    def _portal_client(self) -> HttpBaseClient:
        from lap_app.services.base_connection import open_client

        if self._portal is None:  # the portal calls as itself: no card token, no installation
            self._portal = open_client(self._endpoint, enrolled=False)
        return self._portal

    def consent_given(self, ins: str, number: str) -> bool:
        from lap_app.services.patient_consent import consent_given

        with self._lock:
            return consent_given(self._portal_client(), self._portal_secret, ins, number)

    def set_consent(self, ins: str, number: str, given: bool) -> bool:
        from lap_app.services.patient_consent import set_consent

        with self._lock:
            return set_consent(self._portal_client(), self._portal_secret, ins, number, given)

    def close(self) -> None:
        with self._lock:
            for desk in self._desks.values():
                if desk.client is not None:
                    desk.client.close()
                desk.card.close()
                desk.reader.remove()  # the profession's card out of its reader
            self._desks.clear()
            if self._portal is not None:
                self._portal.close()
                self._portal = None
