"""The client's retry policy against a real TLS server answering scripted statuses:
retries on 502/503/504, 429 (Retry-After), connection failures and, for idempotent calls, any
other 5xx; never on a 4xx. A 5xx is never a verdict: the ordonnance stays in the outbox."""

from __future__ import annotations

import threading
import time

import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from circuit_support import EXAMPLE_BUNDLE, free_port


class Script:
    def __init__(self) -> None:
        self.statuses: list[tuple[int, dict[str, str]]] = []
        self.calls: list[float] = []
        self.bodies: dict[int, dict] = {}  # a status's own body (the base's French errors)

    async def challenge(self, _request: Request) -> JSONResponse:
        self.calls.append(time.monotonic())
        status, headers = self.statuses.pop(0) if self.statuses else (200, {})
        body = {"challenge": "abc", "expires_at": 0} if status == 200 else {"error": "x", "message": "refus"}
        return JSONResponse(self.bodies.get(status, body), status_code=status, headers=headers)

    async def register(self, request: Request) -> JSONResponse:
        self.calls.append(time.monotonic())
        status, headers = self.statuses.pop(0) if self.statuses else (201, {})
        number = request.path_params["number"]
        body = ({"number": number, "status": "registered", "registered_at": 1.0, "opposition": False}
                if status < 300 else self.bodies.get(status, {"error": "x", "message": "refus"}))
        return JSONResponse(body, status_code=status, headers=headers)

    async def reserve(self, _request: Request) -> JSONResponse:
        self.calls.append(time.monotonic())
        status, headers = self.statuses.pop(0) if self.statuses else (201, {})
        return JSONResponse(self.bodies.get(status, {"numbers": [], "expires_at": 0}), status_code=status,
                            headers=headers)


@pytest.fixture(scope="module")
def scripted(pki_dir):
    script = Script()
    app = Starlette(routes=[Route("/v1/auth/challenge", script.challenge, methods=["POST"]),
                            Route("/v1/prescriptions/{number}", script.register, methods=["PUT"]),
                            Route("/v1/numbers", script.reserve, methods=["POST"])])
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                                           ssl_certfile=str(pki_dir / "server.pem"),
                                           ssl_keyfile=str(pki_dir / "server.key")))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        assert thread.is_alive(), "the scripted server did not start (its error is above)"  # else: a hang
        time.sleep(0.02)
    yield script, f"https://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)


def _client(url, pki_dir, **options):
    from lap_app.base_client import HttpBaseClient

    return HttpBaseClient(url, pki_dir / "ca.pem", backoff=0.01, **options)


@pytest.mark.parametrize("status", [502, 503, 504])
def test_gateway_errors_are_retried(scripted, pki_dir, status):
    script, url = scripted
    script.calls.clear()
    script.statuses = [(status, {}), (status, {})]
    with _client(url, pki_dir) as client:
        assert client.challenge() == "abc"
    assert len(script.calls) == 3


def test_429_waits_for_retry_after(scripted, pki_dir):
    script, url = scripted
    script.calls.clear()
    script.statuses = [(429, {"Retry-After": "0.4"})]
    with _client(url, pki_dir) as client:
        assert client.challenge() == "abc"
    assert len(script.calls) == 2 and script.calls[1] - script.calls[0] >= 0.35


@pytest.mark.parametrize("status", [400, 401, 403, 404, 409, 422])
def test_other_4xx_never_retried(scripted, pki_dir, status):
    from lap_app.base_client import BaseRefused

    script, url = scripted
    script.calls.clear()
    script.statuses = [(status, {}), (200, {})]
    with _client(url, pki_dir) as client:
        with pytest.raises(BaseRefused) as refused:
            client.challenge()
    assert refused.value.status == status and refused.value.reason == "refus"
    assert len(script.calls) == 1
    script.statuses.clear()


@pytest.mark.parametrize("status", [503, 429])
def test_gives_up_after_the_retries(scripted, pki_dir, status):
    """Still busy after the retries: "unavailable" (the outbox keeps it), never a refusal."""
    from lap_app.base_client import BaseUnavailable

    script, url = scripted
    script.calls.clear()
    script.statuses = [(status, {"Retry-After": "0"})] * 10
    with _client(url, pki_dir, retries=2) as client:
        with pytest.raises(BaseUnavailable, match="indisponible"):
            client.challenge()
    assert len(script.calls) == 3
    script.statuses.clear()


def test_connection_refused_is_retried_then_reported(pki_dir):
    from lap_app.base_client import BaseUnavailable

    started = time.monotonic()
    with _client(f"https://127.0.0.1:{free_port()}", pki_dir, retries=3) as client:
        with pytest.raises(BaseUnavailable, match="injoignable"):
            client.challenge()
    assert time.monotonic() - started >= 0.01 + 0.02 + 0.04  # the backoff was applied


def test_plain_http_is_refused(pki_dir):
    from lap_app.base_client import BaseUnavailable

    with pytest.raises(BaseUnavailable, match="https"):
        _client("http://127.0.0.1:1", pki_dir)


def test_background_flusher_runs_and_stops():
    from lap_app.services.outbox import FlushReport, OutboxFlusher

    reports = []
    flusher = OutboxFlusher(lambda: FlushReport(registered=["x"]), interval=60, on_report=reports.append)
    flusher.start()
    deadline = time.monotonic() + 60  # at once; generous for a loaded machine
    while not reports and time.monotonic() < deadline:
        time.sleep(0.01)
    flusher.flush_now()
    while len(reports) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    flusher.stop()
    assert len(reports) >= 2  # one at start, one on demand (the interval is 60 s)


@pytest.mark.parametrize("status", [500, 507])
def test_a_5xx_is_retried_for_a_registration_then_reported_as_unavailable(scripted, pki_dir, status):
    """PUT is idempotent: retried; still failing → ``BaseFailing``, a ``BaseUnavailable`` (not a verdict)."""
    from lap_app.base_client import BaseFailing, BaseUnavailable

    script, url = scripted
    script.calls.clear()
    script.bodies = {507: {"error": "storage_full", "message": "Espace disque insuffisant sur le serveur"}}
    script.statuses = [(status, {})] * 2
    with _client(url, pki_dir, retries=2) as client:
        assert client.register(NUMBER, {}).status == "registered"  # the third try succeeds
    assert len(script.calls) == 3
    script.calls.clear()
    script.statuses = [(status, {})] * 10
    with _client(url, pki_dir, retries=2) as client:
        with pytest.raises(BaseUnavailable) as failing:
            client.register(NUMBER, {})
    assert isinstance(failing.value, BaseFailing) and failing.value.status == status
    assert "rien n'est refusé" in failing.value.message
    assert ("manque d'espace disque" in failing.value.message) == (status == 507)
    assert len(script.calls) == 3
    script.statuses.clear()
    script.bodies = {}


def test_a_500_on_a_post_is_not_repeated_but_is_no_verdict(scripted, pki_dir):
    """A POST that reached the server is not sent again (it may have been done); still not a refusal."""
    from lap_app.base_client import BaseFailing

    script, url = scripted
    script.calls.clear()
    script.statuses = [(500, {}), (201, {})]
    with _client(url, pki_dir, retries=3) as client:
        with pytest.raises(BaseFailing):
            client.reserve_numbers(5)
    assert len(script.calls) == 1
    script.statuses.clear()


NUMBER = "2026010100000160"


def _queued(store_location, number: str):
    """A signed ordonnance waiting in a fresh store's outbox (the scripted base does not check it):
    a workstation's file, then a practice server, where the entry being sent is claimed under a row
    lock that a failed send must release."""
    import json

    from lap_app.storage import LocalStore

    store = LocalStore(store_location)
    bundle = json.loads(EXAMPLE_BUNDLE.read_text(encoding="utf-8"))
    store.save_signed(number=number, prescriber="810101234564", patient_name="MARTIN Jeanne", opposition=False,
                      bundle=bundle, signer_certificate=b"")
    return store


@pytest.mark.parametrize("status", [500, 507])
def test_an_ordonnance_answered_with_a_5xx_stays_in_the_outbox(scripted, pki_dir, store_location, status):
    """The base's own failure (its disk full: 507; anything else: 500) leaves the ordonnance queued,
    with a message that says so; the next flush registers it."""
    from lap_app.services.outbox import flush_outbox

    script, url = scripted
    script.bodies = {507: {"error": "storage_full", "message": "Espace disque insuffisant sur le serveur"},
                     500: {"error": "internal_error", "message": "Incident sur le serveur de la base"}}
    store = _queued(store_location, NUMBER)
    script.statuses = [(status, {})] * 4
    with _client(url, pki_dir, retries=3) as client:
        report = flush_outbox(store, client)
        assert report.registered == [] and report.refused == {} and report.waiting == [NUMBER]
        assert "rien n'est refusé" in report.error and "HTTP" not in report.error
        assert [e.number for e in store.outbox()] == [NUMBER] and store.by_number(NUMBER).status == "waiting"
        report = flush_outbox(store, client)  # the base is well again
    assert report.registered == [NUMBER] and store.outbox() == []
    assert store.by_number(NUMBER).status == "registered"
    store.close()
    script.bodies = {}


def test_expired_number_is_a_verdict_that_names_the_paper_to_redo(scripted, pki_dir, store_location):
    """422 ``expired_number``: not retried; the entry leaves the outbox and says which paper is dead."""
    from lap_app.services.outbox import flush_outbox

    script, url = scripted
    script.calls.clear()
    script.bodies = {422: {"error": "expired_number", "message": "Numéro réservé expiré"}}
    store = _queued(store_location, NUMBER)
    patient = store.by_number(NUMBER).patient_name
    script.statuses = [(422, {}), (201, {})]
    with _client(url, pki_dir, retries=3) as client:
        report = flush_outbox(store, client)
    assert len(script.calls) == 1 and report.error is None
    assert report.refused[NUMBER].startswith(f"Numéro {NUMBER} expiré avant l'envoi : l'ordonnance papier de {patient}")
    assert store.outbox() == [] and store.by_number(NUMBER).status == "rejected"
    store.close()
    script.statuses.clear()
    script.bodies = {}
