"""What every route needs: the store, the token key, the trusted CA, and the caller's identity."""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, TypeVar

from fastapi import Depends, Header, Request

from lap_app.base_client.protocol import (
    INSTALLATION_HEADER,
    NUMBER_TTL,
    PHARMACIST_PROFESSIONS,
    PRESCRIBER_PROFESSIONS,
    PRESCRIT_PROFESSIONS,
)
from lap_app.standins.base_server.engines import Store
from lap_app.standins.base_server.errors import ApiError
from lap_app.standins.base_server.security import CardCertificates, ChallengeBook, Holder, check_token
from lap_app.standins.base_server.unknown_numbers import MISS_CODES, UnknownNumberLimiter, UnknownNumberLimits

T = TypeVar("T")
NUMBER_RE = re.compile(r"^[0-9]{16}$")


@dataclass(slots=True)
class ServerConfig:
    data_dir: Path
    ca_pem: bytes
    token_ttl: float = 600.0  # seconds
    number_ttl: float = NUMBER_TTL  # a reserved number expires after 30 days
    max_pool: int = 50
    unknown_numbers: UnknownNumberLimits = field(default_factory=UnknownNumberLimits)
    database: str | None = None  # a PostgreSQL URL; None: SQLite in data_dir (engines.py)


@dataclass(slots=True)
class BaseState:
    config: ServerConfig
    store: Store
    token_key: bytes
    certificates: CardCertificates
    challenges: ChallengeBook
    unknown_numbers: UnknownNumberLimiter


@dataclass(frozen=True, slots=True)
class Caller:
    holder: Holder
    installation: str


# The dependencies are ``async``: they only compute or run one indexed SELECT, and a sync
# dependency would cost a thread-pool hop each.
async def state_of(request: Request) -> BaseState:
    return request.app.state.base


State = Annotated[BaseState, Depends(state_of)]


async def token_holder(request: Request, authorization: Annotated[str | None, Header()] = None) -> Holder:
    if not authorization or not authorization.startswith("Bearer "):
        raise ApiError(401, "missing_token", "Authentification par carte CPS requise",
                       headers={"WWW-Authenticate": "Bearer"})
    return check_token(request.app.state.base.token_key, authorization[len("Bearer "):].strip())


TokenHolder = Annotated[Holder, Depends(token_holder)]


def caller_of(state: BaseState, authorization: str | None, installation_header: str | None,
              professions: frozenset[str], message: str) -> Caller:
    """Who is calling: token, then installation credential, then profession (401/401/403)."""
    if not authorization or not authorization.startswith("Bearer "):
        raise ApiError(401, "missing_token", "Authentification par carte CPS requise",
                       headers={"WWW-Authenticate": "Bearer"})
    holder = check_token(state.token_key, authorization[len("Bearer "):].strip())
    caller = Caller(holder, installation_of(state, installation_header))
    if holder.profession not in professions:
        raise ApiError(403, "wrong_profession", message)
    return caller


def installation_of(state: BaseState, header: str | None) -> str:
    """The installation whose credential ``header`` is (401 ``unknown_installation`` otherwise)."""
    if not header or "." not in header:
        raise _unknown_installation()
    installation_id, secret = header.split(".", 1)
    with state.store.reading() as conn:
        row = conn.execute("SELECT secret_sha256, revoked_at FROM installations WHERE id = ?",
                           (installation_id,)).fetchone()
    if row is None or row["revoked_at"] is not None:
        raise _unknown_installation()
    if not hmac.compare_digest(row["secret_sha256"], hashlib.sha256(secret.encode()).hexdigest()):
        raise _unknown_installation()
    return installation_id


def _unknown_installation() -> ApiError:
    return ApiError(401, "unknown_installation",
                    "Installation non enrôlée ou révoquée : ce logiciel n'est pas autorisé à utiliser le service")


def _requiring(professions: frozenset[str], message: str) -> Callable[..., Awaitable[Caller]]:
    """The dependency of an operation open to ``professions``: token, then installation, then profession.

    One flat dependency (not a chain): FastAPI's dependency solving is a good part of a
    request's cost.
    """
    async def dependency(request: Request, authorization: Annotated[str | None, Header()] = None,
                         x_lap_installation: Annotated[str | None, Header(alias=INSTALLATION_HEADER)] = None
                         ) -> Caller:
        return caller_of(request.app.state.base, authorization, x_lap_installation, professions, message)

    return dependency


PRESCRIBERS_ONLY = "Opération réservée aux prescripteurs (carte de médecin, dentiste ou sage-femme)"
PrescriberCaller = Annotated[Caller, Depends(_requiring(PRESCRIBER_PROFESSIONS, PRESCRIBERS_ONLY))]
PharmacistCaller = Annotated[Caller, Depends(_requiring(
    PHARMACIST_PROFESSIONS, "Opération réservée aux pharmaciens (carte de pharmacien)"))]

PRESCRITS_ONLY = "Opération réservée aux professionnels qui exécutent les ordonnances (carte de prescrit)"
PrescritCaller = Annotated[Caller, Depends(_requiring(PRESCRIT_PROFESSIONS, PRESCRITS_ONLY))]


def check_number_format(number: str) -> str:
    if not NUMBER_RE.match(number) or int(number) % 97 != 1:
        raise ApiError(422, "invalid_number", "Numéro d'ordonnance invalide (16 chiffres, clé MOD 97-10)",
                       [{"path": "number", "message": "numéro invalide"}])
    return number


def audited(state: BaseState, caller_holder: Holder, installation: str, number: str | None, action: str,
            operation: Callable[[], T]) -> T:
    """Run ``operation`` and write an audit row whether it succeeds or is refused (a miss on a
    number also counts towards the unknown-number rate limit)."""
    try:
        result = operation()
    except ApiError as error:
        error.audited = True
        with state.store.transaction() as conn:
            state.store.audit(conn, caller_holder.national_id, caller_holder.profession, installation,
                              number, action, f"refused:{error.status}:{error.code}")
            if error.code in MISS_CODES:
                state.unknown_numbers.record(conn, caller_holder.national_id, installation)
        raise
    return result


def check_lookup_allowed(state: BaseState, caller: Caller) -> None:
    """Before reading anything by number: 429 if this card or installation missed too often."""
    state.unknown_numbers.check(caller.holder.national_id, caller.installation)
