"""The demo pharmacist: a virtual pharmacist's card in its own reader, its own base client."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from lap_app.services.base_connection import BaseEndpoint

if TYPE_CHECKING:
    from lap_app.base_client import HttpBaseClient


class DemoPharmacy:
    """What « Pharmacie (démo) » calls: read a number, dispense some lines or all (thread-safe)."""

    def __init__(self, endpoint: BaseEndpoint, holder) -> None:
        from lap_app.card.cps import CpsCard
        from lap_app.card.virtual_reader import VirtualReader
        from lap_app.standins.pki import DEMO_PIN
        from lap_app.standins.virtual_cps import VirtualCps

        self._reader = VirtualReader("Lecteur de la pharmacie (démo)")
        self._reader.insert(VirtualCps.from_holder(holder, persist_pin=False))
        self._card = CpsCard(self._reader.connect())
        self._card.verify_pin(DEMO_PIN).raise_unless_accepted()
        self._endpoint = endpoint
        self._client: HttpBaseClient | None = None
        self._lock = threading.Lock()

    def _ready_client(self) -> HttpBaseClient:
        from lap_app.services.base_connection import open_client
        from lap_app.services.card_session import ensure_token

        client = self._client
        if client is None:
            client = self._client = open_client(self._endpoint)
        ensure_token(self._card, client)
        return client

    def read(self, number: str):
        from lap_app.services.pharmacy import read_prescription

        with self._lock:
            return read_prescription(self._ready_client(), number)

    def dispense_all(self, number: str):
        from lap_app.services.pharmacy import dispense

        with self._lock:
            return dispense(self._ready_client(), number, None, complete=True)

    def dispense_lines(self, number: str, lines: list[int], *, complete: bool = False):
        """One box of each of ``lines`` (1-based); the ordonnance stays open unless ``complete``."""
        from lap_app.services.pharmacy import dispense

        with self._lock:
            return dispense(self._ready_client(), number, [(line, 1.0, False) for line in lines], complete=complete)

    def dmp_documents(self, ins: str):
        """The patient's documents in the DMP (« Mon espace santé (démo) »)."""
        from lap_app.base_client.dmp import DmpClient

        with self._lock:
            return DmpClient(self._ready_client()).documents(ins)

    def dmp_pdf(self, document_id: str) -> bytes:
        from lap_app.base_client.dmp import DmpClient

        with self._lock:
            return DmpClient(self._ready_client()).pdf(document_id)

    def close(self) -> None:
        with self._lock:
            if self._client is not None:
                self._client.close()
                self._client = None
