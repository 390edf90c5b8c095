"""The client's retry policy against a real TLS server answering scripted statuses:
retries on 502/503/504, 429 (Retry-After) and connection failures; never on another 4xx."""

from __future__ import annotations

import threading
import time

import pytest
import uvicorn
from circuit_support import free_port
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route


class Script:
    def __init__(self) -> None:
        self.statuses: list[tuple[int, dict[str, str]]] = []
        self.calls: list[float] = []

    async def challenge(self, _request: Request) -> JSONResponse:
        self.calls.append(time.monotonic())
        status, headers = self.statuses.pop(0) if self.statuses else (200, {})
        body = {"challenge": "abc", "expires_at": 0} if status == 200 else {"error": "x", "message": "refus"}
        return JSONResponse(body, status_code=status, headers=headers)


@pytest.fixture(scope="module")
def scripted(pki_dir):
    script = Script()
    app = Starlette(routes=[Route("/v1/auth/challenge", script.challenge, methods=["POST"])])
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                                           ssl_certfile=str(pki_dir / "server.pem"),
                                           ssl_keyfile=str(pki_dir / "server.key")))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
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
    with _client(url, pki_dir) as client, pytest.raises(BaseRefused) as refused:
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
    with _client(url, pki_dir, retries=2) as client, pytest.raises(BaseUnavailable, match="indisponible"):
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
    deadline = time.monotonic() + 5
    while not reports and time.monotonic() < deadline:
        time.sleep(0.01)
    flusher.flush_now()
    while len(reports) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    flusher.stop()
    assert len(reports) >= 2  # one at start, one on demand (the interval is 60 s)
