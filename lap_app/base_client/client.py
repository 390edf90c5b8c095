"""The client of the e-prescription base, behind one interface (``EPrescriptionBase``).

``HttpBaseClient`` speaks the project's own protocol (docs/protocol.md). TLS verification is
always on, against the configured CA only. Retries with exponential backoff happen only where
they are safe: connection failures, 502/503/504, 429 (honouring Retry-After), another 5xx for
idempotent calls; never on a 4xx. A request that may have reached the server is retried only
for idempotent calls (GET, PUT): a POST is retried only when the connection was never
established or the base said it was busy (503, 429). A 5xx is the base's own failure, never a
verdict on the request: it ends as ``BaseFailing`` (a ``BaseUnavailable``), so the outbox keeps
the ordonnance.
"""

from __future__ import annotations

import logging
import socket
import ssl
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import httpx

try:  # the [server] extra: several times cheaper than the standard encoder on a Bundle
    import orjson
except ImportError:  # a desktop install without it: the standard encoder
    orjson = None  # type: ignore[assignment]

from lap_app.base_client.errors import (
    RATE_LIMITED,
    BaseFailing,
    BaseRateLimited,
    BaseRefused,
    BaseUnavailable,
    BaseUntrusted,
    PaperOnlyOrdonnance,
)
from lap_app.base_client.protocol import API_PREFIX, INSTALLATION_HEADER, PATIENT_PORTAL_HEADER, b64e
from lap_app.domain.errors import Problem
from lap_app.domain.status import OrdonnanceStatus
from lap_app.i18n import _
from lap_app.settings.base_address import base_url_problem

log = logging.getLogger(__name__)

RETRY_STATUSES = frozenset({502, 503, 504, 429})
IDEMPOTENT = frozenset({"GET", "PUT", "DELETE"})


@dataclass(frozen=True, slots=True)
class InstallationCredential:
    installation_id: str
    secret: str

    def header(self) -> str:
        return f"{self.installation_id}.{self.secret}"


@dataclass(frozen=True, slots=True)
class Token:
    value: str
    expires_at: float
    national_id: str
    profession: str

    def valid_for(self, seconds: float = 30.0) -> bool:
        return self.expires_at - seconds > time.time()


@dataclass(frozen=True, slots=True)
class Registration:
    number: str
    status: OrdonnanceStatus
    registered_at: float
    replayed: bool  # True when the base already had it (idempotent replay)


class EPrescriptionBase(Protocol):
    """What the application services need from the base (another implementation can plug in)."""

    token: Token | None
    installation: InstallationCredential | None

    def challenge(self) -> str: ...
    def open_token(self, challenge: str, certificate_der: bytes, answer: bytes) -> Token: ...
    def enrol(self, name: str) -> InstallationCredential: ...
    def revoke(self, installation_id: str) -> None: ...
    def reserve_numbers(self, count: int) -> tuple[list[str], float]: ...
    def numbers_state(self) -> dict[str, str]: ...
    def register(self, number: str, bundle: dict[str, Any]) -> Registration: ...
    def cancel(self, number: str) -> OrdonnanceStatus: ...
    def status(self, number: str) -> OrdonnanceStatus: ...
    def dispensings(self, number: str) -> dict[str, Any]: ...
    def follow_up(self, number: str) -> dict[str, Any]: ...
    def pharmacy_read(self, number: str) -> dict[str, Any]: ...
    def pharmacy_dispense(self, number: str, lines: list[dict[str, Any]], complete: bool) -> dict[str, Any]: ...
    def prescrit_read(self, number: str) -> dict[str, Any]: ...
    def prescrit_execute(self, number: str, execution_id: str, lines: list[dict[str, Any]],
                         complete: bool) -> dict[str, Any]: ...
    def prescrit_adjust(self, number: str, adjustment_id: str, adjustment: dict[str, Any]) -> dict[str, Any]: ...
    def patient_consent(self, portal_secret: str, ins: str, number: str, opposition: bool | None = None) -> bool: ...


def refuse_paper_only(bundle: dict[str, Any]) -> None:
    """Imaging and transport never leave the workstation (outside the ordonnance numérique)."""
    from lap_app.domain.kinds import PAPER_ONLY_REASONS
    from lap_app.fhir import kind_of_bundle

    kind = kind_of_bundle(bundle)
    if kind is not None and not kind.registrable:
        raise PaperOnlyOrdonnance(_(PAPER_ONLY_REASONS[kind]))


class HttpBaseClient:
    def __init__(self, base_url: str, ca_path: str | Path, *, installation: InstallationCredential | None = None,
                 timeout: float = 10.0, retries: int = 3, backoff: float = 0.25, max_retry_after: float = 10.0) -> None:
        problem = base_url_problem(base_url)  # never plain HTTP, whoever built the address
        if problem:
            raise BaseUnavailable(problem)
        try:
            context = ssl.create_default_context(cafile=str(ca_path))
        except (OSError, ssl.SSLError):
            raise BaseUntrusted(_("Certificat d'autorité de la base illisible : {path}").format(path=ca_path)) from None
        # TCP_NODELAY: headers and body leave in separate writes; without it Nagle + delayed
        # ACK add ~40 ms to every request.
        transport = httpx.HTTPTransport(verify=context, socket_options=[(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)])
        self._http = httpx.Client(base_url=base_url.rstrip("/"), transport=transport,
                                  timeout=httpx.Timeout(timeout, connect=min(timeout, 5.0)))
        self.installation = installation
        self.token: Token | None = None
        self.retries = retries
        self.backoff = backoff
        self.max_retry_after = max_retry_after
        # Reads by number refused for too many unknown numbers: none is sent before this
        # (monotonic) time, the user is told how long to wait instead.
        self._lookups_blocked_until = 0.0

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> HttpBaseClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- transport -------------------------------------------------------------------------

    def _request(self, method: str, path: str, *, json: Any = None, auth: bool = True,
                 installation: bool = True, lookup: bool = False,
                 extra_headers: dict[str, str] | None = None) -> httpx.Response:
        """``lookup``: a read by number, subject to the base's unknown-number rate limit."""
        if lookup:
            remaining = self._lookups_blocked_until - time.monotonic()
            if remaining > 0:
                raise BaseRateLimited(remaining)
        headers = dict(extra_headers or {})
        content = None
        if json is not None:
            content = _json_bytes(json)
            headers["Content-Type"] = "application/json"
        if auth and self.token is not None:
            headers["Authorization"] = f"Bearer {self.token.value}"
        if installation and self.installation is not None:
            headers[INSTALLATION_HEADER] = self.installation.header()
        attempt = 0
        while True:
            try:
                response = self._http.request(method, API_PREFIX + path, content=content, headers=headers)
            except httpx.TransportError as error:
                if _is_tls_refusal(error):
                    raise BaseUntrusted(_("Le certificat du serveur de la base n'est pas reconnu : connexion refusée")) from None
                sent = not isinstance(error, (httpx.ConnectError, httpx.ConnectTimeout))
                if attempt >= self.retries or (sent and method not in IDEMPOTENT):
                    raise BaseUnavailable(_("Base des ordonnances injoignable ({why}) : vérifiez l'adresse de la base "
                                            "et la connexion réseau").format(why=_transport_failure(error))) from None
                delay = self.backoff * 2 ** attempt
            else:
                status = response.status_code
                if status == 429 and _error_code(response) == RATE_LIMITED:
                    wait = _retry_after(response) or 60.0  # retrying now would only be refused again
                    self._lookups_blocked_until = time.monotonic() + wait
                    raise BaseRateLimited(wait)
                if status >= 500 and status not in RETRY_STATUSES:  # the base's own failure
                    if attempt >= self.retries or method not in IDEMPOTENT:
                        raise _failing(response)
                elif status not in RETRY_STATUSES:
                    return self._checked(response)
                elif attempt >= self.retries:  # 429 included: busy is not a verdict, the outbox retries later
                    raise BaseUnavailable(_("Base des ordonnances indisponible (HTTP {status})").format(
                        status=status))
                delay = _retry_after(response) if response.status_code == 429 else None
                if delay is None:
                    delay = self.backoff * 2 ** attempt
                delay = min(delay, self.max_retry_after)
            log.info("base: %s %s retry %d in %.2fs", method, path, attempt + 1, delay)
            time.sleep(delay)
            attempt += 1

    @staticmethod
    def _checked(response: httpx.Response) -> httpx.Response:
        if response.status_code < 400:
            return response
        try:
            body = response.json()
        except ValueError:
            body = {}
        if not isinstance(body, dict):
            body = {}
        problems = [Problem(str(p.get("path", "")), str(p.get("message", "")))
                    for p in body.get("problems") or [] if isinstance(p, dict)]
        raise BaseRefused(response.status_code, str(body.get("error", f"http_{response.status_code}")),
                          str(body.get("message") or _("Refus de la base (HTTP {status})").format(
                              status=response.status_code)), problems)

    # --- API -------------------------------------------------------------------------------

    def challenge(self) -> str:
        challenge: str = self._request("POST", "/auth/challenge", auth=False, installation=False).json()["challenge"]
        return challenge

    def open_token(self, challenge: str, certificate_der: bytes, answer: bytes) -> Token:
        body = self._request("POST", "/auth/token", auth=False, installation=False, json={
            "challenge": challenge, "certificate": b64e(certificate_der), "signature": b64e(answer)}).json()
        self.token = Token(body["token"], body["expires_at"], body["national_id"], body["profession"])
        return self.token

    def enrol(self, name: str) -> InstallationCredential:
        body = self._request("POST", "/installations", json={"name": name}, installation=False).json()
        return InstallationCredential(body["installation_id"], body["secret"])

    def revoke(self, installation_id: str) -> None:
        self._request("DELETE", f"/installations/{installation_id}", installation=False)

    def reserve_numbers(self, count: int) -> tuple[list[str], float]:
        body = self._request("POST", "/numbers", json={"count": count}).json()
        return list(body["numbers"]), float(body["expires_at"])

    def numbers_state(self) -> dict[str, str]:
        """The caller's numbers the base knows: number → ``reserved`` | ``used``."""
        body = self._request("GET", "/numbers").json()
        return {str(item["number"]): str(item["state"]) for item in body["numbers"]}

    def register(self, number: str, bundle: dict[str, Any]) -> Registration:
        refuse_paper_only(bundle)
        response = self._request("PUT", f"/prescriptions/{number}", json={"bundle": bundle})
        body = response.json()
        return Registration(body["number"], wire_status(body), body["registered_at"], response.status_code == 200)

    def cancel(self, number: str) -> OrdonnanceStatus:
        return wire_status(self._request("POST", f"/prescriptions/{number}/cancel", lookup=True).json())

    def status(self, number: str) -> OrdonnanceStatus:
        return wire_status(self._request("GET", f"/prescriptions/{number}/status", lookup=True).json())

    def dispensings(self, number: str) -> dict[str, Any]:
        body: dict[str, Any] = self._request("GET", f"/prescriptions/{number}/dispensings", lookup=True).json()
        return body

    def follow_up(self, number: str) -> dict[str, Any]:
        """Every kind: lines (n of N), executions, adjustments (docs/protocol.md)."""
        body: dict[str, Any] = self._request("GET", f"/prescriptions/{number}/follow-up", lookup=True).json()
        return body

    def pharmacy_read(self, number: str) -> dict[str, Any]:
        body: dict[str, Any] = self._request("GET", f"/pharmacy/prescriptions/{number}", lookup=True).json()
        return body

    def pharmacy_dispense(self, number: str, lines: list[dict[str, Any]], complete: bool) -> dict[str, Any]:
        body: dict[str, Any] = self._request("POST", f"/pharmacy/prescriptions/{number}/dispensings",
                                             json={"lines": lines, "complete": complete}, lookup=True).json()
        return body

    def prescrit_read(self, number: str) -> dict[str, Any]:
        body: dict[str, Any] = self._request("GET", f"/prescrit/prescriptions/{number}", lookup=True).json()
        return body

    def prescrit_execute(self, number: str, execution_id: str, lines: list[dict[str, Any]],
                         complete: bool) -> dict[str, Any]:
        """A PUT under ``execution_id``: retried safely, the base replays it."""
        body: dict[str, Any] = self._request("PUT", f"/prescrit/prescriptions/{number}/executions/{execution_id}",
                                             json={"lines": lines, "complete": complete}, lookup=True).json()
        return body

    def prescrit_adjust(self, number: str, adjustment_id: str, adjustment: dict[str, Any]) -> dict[str, Any]:
        """A PUT under ``adjustment_id`` (``adjustment``: line, changes, agreement, certificate,
        signature): retried safely, the base replays it."""
        body: dict[str, Any] = self._request("PUT", f"/prescrit/prescriptions/{number}/adjustments/{adjustment_id}",
                                             json=adjustment, lookup=True).json()
        return body

    def patient_consent(self, portal_secret: str, ins: str, number: str, opposition: bool | None = None) -> bool:
        """« Mon espace santé » for its patient: the opposition to the prescriber consulting the
        execution of ``number``, changed first when ``opposition`` is given."""
        path = f"/patient/patients/{ins}/prescriptions/{number}/consent"
        headers = {PATIENT_PORTAL_HEADER: portal_secret}
        if opposition is None:
            response = self._request("GET", path, auth=False, installation=False, extra_headers=headers)
        else:
            response = self._request("PUT", path, json={"opposition": opposition}, auth=False, installation=False,
                                     extra_headers=headers)
        return bool(response.json()["opposition"])


def wire_status(body: dict[str, Any]) -> OrdonnanceStatus:
    """The ``status`` of an answer of the base; one this application does not know is no verdict
    (``BaseUnavailable``: what depends on it is kept and tried again)."""
    try:
        return OrdonnanceStatus(body["status"])
    except (KeyError, ValueError, TypeError):
        raise BaseUnavailable(_("Réponse de la base des ordonnances incomprise (statut {status!r})").format(
            status=body.get("status") if isinstance(body, dict) else None)) from None


def _failing(response: httpx.Response) -> BaseFailing:
    """The base's own failure, in its words when it gave some (its disk full, an incident)."""
    try:
        body = response.json()
    except ValueError:
        body = None
    code = str(body.get("error") or "") if isinstance(body, dict) else ""
    said = str(body.get("message") or "") if isinstance(body, dict) else ""
    if code == "storage_full":
        text = _("La base des ordonnances manque d'espace disque de son côté ({said}) : rien n'est refusé, "
                 "l'envoi sera repris automatiquement").format(said=said or f"HTTP {response.status_code}")
    else:
        text = _("Incident du serveur de la base des ordonnances ({said}) : rien n'est refusé, l'envoi sera "
                 "repris automatiquement").format(said=said or f"HTTP {response.status_code}")
    return BaseFailing(response.status_code, code or f"http_{response.status_code}", text)


def _json_bytes(value: Any) -> bytes:
    if orjson is not None:
        try:
            return orjson.dumps(value)
        except TypeError:  # what orjson does not encode (integers beyond 64 bits): the standard way
            pass
    import json

    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _error_code(response: httpx.Response) -> str | None:
    try:
        body = response.json()
    except ValueError:
        return None
    return str(body.get("error")) if isinstance(body, dict) else None


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        from email.utils import parsedate_to_datetime

        try:
            return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
        except (TypeError, ValueError):
            return None


def _transport_failure(error: httpx.TransportError) -> str:
    """What went wrong on the wire, in the user's words (httpx's class names are not)."""
    if isinstance(error, httpx.TimeoutException):
        return _("délai de réponse dépassé")
    if isinstance(error, httpx.ConnectError):
        return _("connexion impossible")
    return _("connexion interrompue")


def _is_tls_refusal(error: BaseException) -> bool:
    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, ssl.SSLCertVerificationError):
            return True
        if "CERTIFICATE_VERIFY_FAILED" in str(seen):
            return True
        seen = seen.__cause__ or seen.__context__
    return False
