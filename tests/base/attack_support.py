"""The attacker's kit: an insider with a real card of the demo CA, talking raw HTTPS to the base.

An ``Insider`` holds a card holder's keys and certificates (as the card would use them) and
speaks the protocol directly with httpx, so that each attack can send exactly what it wants.
``raw_tls`` opens a bare TLS socket for attacks below HTTP (huge or slow request heads).
"""

from __future__ import annotations

import base64
import contextlib
import json
import socket
import ssl
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from circuit_support import EXAMPLE_BUNDLE, START_TIMEOUT, BaseProcess, free_port, start_base_command

PATIENT_INS = "158037505612321"  # the example Bundle's patient


@dataclass
class AttackedBase(BaseProcess):
    """``lap-app base serve`` with its log file readable (LAP_DATA_DIR of its own) and options."""

    request_timeout: float = 10.0
    log_dir: Path | None = None

    def start(self, timeout: float = START_TIMEOUT) -> AttackedBase:
        env = self.environment(LAP_DATA_DIR=str(self.log_dir))
        self.process = start_base_command(
            ["base", "serve", "--host", "127.0.0.1", "--port", str(self.port),
             "--data-dir", str(self.data_dir), "--pki", str(self.pki_dir),
             "--request-timeout", str(self.request_timeout)], env)
        self.wait_serving(timeout)
        return self

    def log_text(self) -> str:
        path = Path(self.log_dir or ".") / "logs" / "lap-app.log"
        return path.read_text(encoding="utf-8") if path.exists() else ""

    def rss_kib(self) -> int:
        assert self.process is not None
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        raise AssertionError("no VmRSS")


@contextlib.contextmanager
def attacked_base(data_dir: Path, pki_dir: Path, log_dir: Path, **options: float) -> Iterator[AttackedBase]:
    base = AttackedBase(data_dir, pki_dir, free_port(), log_dir=log_dir, **options).start()  # type: ignore[arg-type]
    try:
        yield base
    finally:
        base.stop()


def other_holder(pki_dir: Path, directory: Path, name: str, payload: str, profession: str = "10",
                 serial: str = "1000009999") -> Any:
    """Another professional's card of the same CA (a colleague, or an insider); ``payload``: the
    first 10 digits of the RPPS (the Luhn key is added)."""
    from lap_app.domain.identifiers import luhn_check_digit
    from lap_app.standins.pki import HolderIdentity, _ensure_holder, init_pki

    number = payload + luhn_check_digit(payload)
    pki = init_pki(pki_dir)
    label = "Médecin" if profession == "10" else "Pharmacien"
    return _ensure_holder(directory / name, HolderIdentity(name, "8", number, name.upper(), "Test", profession,
                                                           label, serial), pki.ca_key, pki.ca_cert)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def rs256(key: Any, data: bytes) -> bytes:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    return key.sign(data, padding.PKCS1v15(), hashes.SHA256())


@dataclass
class Insider:
    """One professional at one installation, speaking raw HTTPS to the base."""

    base: BaseProcess
    holder: Any  # lap_app.standins.pki.Holder
    installation: str | None = None
    token: str | None = None
    http: httpx.Client = field(init=False)

    def __post_init__(self) -> None:
        context = ssl.create_default_context(cafile=str(self.base.ca))
        self.http = httpx.Client(verify=context, base_url=self.base.url + "/v1", timeout=30)

    @property
    def national_id(self) -> str:
        return str(self.holder.identity.national_id)

    def close(self) -> None:
        self.http.close()

    def headers(self) -> dict[str, str]:
        out = {}
        if self.token:
            out["Authorization"] = f"Bearer {self.token}"
        if self.installation:
            out["X-LAP-Installation"] = self.installation
        return out

    def call(self, method: str, path: str, body: Any = None, **headers: str) -> httpx.Response:
        return self.http.request(method, path, json=body, headers={**self.headers(), **headers})

    def authenticate(self) -> Insider:
        challenge = self.http.post("/auth/challenge").json()["challenge"]
        answer = rs256(self.holder.auth_key, challenge.encode("ascii"))
        response = self.http.post("/auth/token", json={"challenge": challenge, "certificate": _b64(
            self.holder.auth_cert_der), "signature": _b64(answer)})
        assert response.status_code == 200, response.text
        self.token = response.json()["token"]
        return self

    def enrol(self, name: str = "poste") -> str:
        response = self.http.post("/installations", json={"name": name}, headers=self.headers())
        assert response.status_code == 201, response.text
        body = response.json()
        self.installation = f"{body['installation_id']}.{body['secret']}"
        return self.installation

    def numbers(self, count: int = 1) -> list[str]:
        response = self.call("POST", "/numbers", {"count": count})
        assert response.status_code == 201, response.text
        return list(response.json()["numbers"])

    def signed_bundle(self, number: str, *, opposition: bool = False, sign_key: Any = None,
                      sign_cert_der: bytes | None = None, kind: str = "medicaments",
                      lines: Callable[[Any], None] | None = None) -> dict[str, Any]:
        """The example ordonnance, as this prescriber, numbered and signed (by the signature key
        unless told otherwise); ``lines`` gives it lines of its own (after the kind's samples)."""
        from lap_app.base_client.protocol import SIGNATURE_FORMAT, signed_digest
        from lap_app.domain.model import Signature
        from lap_app.fhir import from_bundle, to_bundle

        draft = json.loads(EXAMPLE_BUNDLE.read_text(encoding="utf-8"))
        text = json.dumps(draft).replace("810101234564", self.national_id)
        ordonnance = from_bundle(json.loads(text))
        if kind != "medicaments":
            from lap_app.demo.kind_samples import fill_with_sample_lines
            from lap_app.domain.kinds import OrdonnanceKind

            fill_with_sample_lines(ordonnance, OrdonnanceKind(kind))
        if lines is not None:
            lines(ordonnance)
        ordonnance.number = number
        ordonnance.opposition = opposition
        key = sign_key or self.holder.sign_key
        certificate = sign_cert_der or self.holder.sign_cert_der
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import padding
        from cryptography.hazmat.primitives.asymmetric.utils import Prehashed

        digest = signed_digest(to_bundle(ordonnance))
        signature = key.sign(digest, padding.PKCS1v15(), Prehashed(hashes.SHA256()))
        ordonnance.signature = Signature(datetime.now(UTC), self.national_id, signature, certificate,
                                         SIGNATURE_FORMAT)
        return to_bundle(ordonnance)

    def execute(self, number: str, lines: list[dict[str, Any]], execution_id: str | None = None,
                complete: bool = False) -> httpx.Response:
        """This prescrit records what it did on ``number`` (a new execution unless ``execution_id``)."""
        return self.call("PUT", f"/prescrit/prescriptions/{number}/executions/{execution_id or uuid.uuid4().hex}",
                         {"lines": lines, "complete": complete})

    def register(self, number: str, bundle: dict[str, Any]) -> httpx.Response:
        return self.call("PUT", f"/prescriptions/{number}", {"bundle": bundle})

    def prescribe(self, *, opposition: bool = False, kind: str = "medicaments",
                  lines: Callable[[Any], None] | None = None) -> str:
        """A registered ordonnance of this prescriber (of this kind); its number."""
        number = self.numbers(1)[0]
        response = self.register(number, self.signed_bundle(number, opposition=opposition, kind=kind, lines=lines))
        assert response.status_code == 201, response.text
        return number


def insider(base: BaseProcess, holder: Any, installation: str | None = None, enrol: bool = False) -> Insider:
    person = Insider(base, holder, installation).authenticate()
    if enrol:
        person.enrol()
    return person


@contextlib.contextmanager
def physician_and_prescrits(base: BaseProcess, pki_dir: Path,
                            professions: tuple[str, ...]) -> Iterator[tuple[Insider, dict[str, Insider]]]:
    """The demo physician (enrolled) and the demo prescrits named, at the physician's installation."""
    from lap_app.standins.pki import init_pki

    pki = init_pki(pki_dir)
    physician = insider(base, pki.holder("medecin"), enrol=True)
    prescrits = {name: insider(base, pki.holder(name), physician.installation) for name in professions}
    try:
        yield physician, prescrits
    finally:
        for person in (physician, *prescrits.values()):
            person.close()


@contextlib.contextmanager
def physicians_client(base: BaseProcess, physician: Insider) -> Iterator[Any]:
    """The application's own base client, holding the physician's token (as after the card's login)."""
    import time

    from lap_app.base_client import HttpBaseClient, InstallationCredential
    from lap_app.base_client.client import Token

    assert physician.installation and physician.token
    installation_id, secret = physician.installation.split(".", 1)
    client = HttpBaseClient(base.url, base.ca, installation=InstallationCredential(installation_id, secret))
    client.token = Token(physician.token, time.time() + 600, physician.national_id, "10")
    try:
        yield client
    finally:
        client.close()


def valid_unknown_numbers(count: int, avoid: set[str] = frozenset()) -> list[str]:  # type: ignore[assignment]
    """Numbers with correct check digits that the base very probably never issued."""
    import random

    from lap_app.domain.identifiers import prescription_number_from_serial

    rng = random.Random(1234)
    out = []
    while len(out) < count:
        number = prescription_number_from_serial(rng.randrange(10 ** 14))
        if number not in avoid:
            out.append(number)
    return out


@contextlib.contextmanager
def raw_tls(base: BaseProcess, timeout: float = 30.0) -> Iterator[ssl.SSLSocket]:
    """A bare TLS connection to the base (the request bytes are the caller's)."""
    context = ssl.create_default_context(cafile=str(base.ca))
    raw = socket.create_connection(("127.0.0.1", base.port), timeout=timeout)
    tls = context.wrap_socket(raw, server_hostname="127.0.0.1")
    try:
        yield tls
    finally:
        with contextlib.suppress(OSError):
            tls.close()


def read_response(sock: ssl.SSLSocket) -> tuple[int | None, bytes]:
    """(status, whole answer) until the server closes; (None, b"") if it closed without a word."""
    data = b""
    with contextlib.suppress(OSError, ssl.SSLError):
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
            if b"\r\n\r\n" in data:
                head, _, rest = data.partition(b"\r\n\r\n")
                length = [int(line.split(b":")[1]) for line in head.split(b"\r\n")
                          if line.lower().startswith(b"content-length:")]
                if length and len(rest) >= length[0]:
                    break
    if not data.startswith(b"HTTP/1.1 "):
        return None, data
    return int(data[9:12]), data
