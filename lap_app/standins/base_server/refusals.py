"""Every refusal audited, in one place.

The operations audit what they refuse themselves (``context.audited``: in the transaction that
also counts a miss on a number). What is refused before an operation runs — the caller's
profession (403 ``wrong_profession``), an ill-formed request (422 ``invalid_request``), a body
too large, an unknown route — reaches the exception handlers, the body-limit middleware or the
registration's lean path, which all end here:

- a caller identified by a valid card token (and by its installation credential when that is
  valid too; ``""`` otherwise), or the patient portal by its secret, gets an audit row: who,
  what (the operation), which number, ``refused:STATUS:CODE``;
- anyone else gets a log line (the route, the code, the peer address: nothing the caller
  claims), never a write: an unauthenticated caller must not make the base write to its disk.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import MutableMapping
from typing import Any

from starlette.routing import Match

from lap_app.base_client.protocol import INSTALLATION_HEADER, PATIENT_PORTAL_HEADER
from lap_app.domain.identifiers import normalize_nir
from lap_app.standins.base_server.context import BaseState, Caller, installation_of
from lap_app.standins.base_server.errors import ApiError, own_failure
from lap_app.standins.base_server.routes_patient import PORTAL
from lap_app.standins.base_server.security import Holder, check_token

log = logging.getLogger(__name__)
# The audit's name of an operation whose route says it otherwise (the others: the route's name).
ACTIONS = {"reserve_numbers": "reserve", "read_consent": "consent_read", "change_consent": "consent"}
_INSTALLATION = INSTALLATION_HEADER.lower().encode("ascii")
_PORTAL = PATIENT_PORTAL_HEADER.lower().encode("ascii")


async def settle_refusal(scope: MutableMapping[str, Any], error: ApiError, *, caller: Caller | None = None,
                         action: str | None = None, number: str | None = None) -> ApiError:
    """Audit (or log) ``error``, refused to the request of ``scope``; the error to answer with:
    ``error`` itself, or the base's own failure (5xx, retried) when its audit row could not be
    written — an unaudited refusal is not sent."""
    state: BaseState | None = getattr(getattr(scope.get("app"), "state", None), "base", None)
    if state is None or error.audited:  # the bare app (OpenAPI document), or audited by its operation
        return error
    route, params = _route(scope)
    if action is None:
        name = getattr(route, "name", None) or "unknown_route"
        action = ACTIONS.get(name, name)
    if number is None and isinstance(params.get("number"), str):
        number = params["number"][:64]
    who = _who(state, scope, params) if caller is None else (
        caller.holder.national_id, caller.holder.profession, caller.installation)
    if who is None:
        peer = (scope.get("client") or ("?",))[0]
        where = getattr(route, "path", None) or scope.get("path", "")[:200]
        log.warning("base: refused %s %r to an unidentified caller from %s: %s %s", scope.get("method"), where,
                    peer, error.status, error.code)
        error.audited = True
        return error
    actor, profession, installation = who

    def write(conn: Any) -> None:
        state.store.audit(conn, actor, profession, installation, number, action, f"refused:{error.status}:{error.code}")

    try:
        await state.store.run_grouped(write)
    except Exception as failure:  # noqa: BLE001 - an unaudited refusal is not sent: 5xx, retried
        return own_failure(failure)
    error.audited = True
    return error


def _route(scope: MutableMapping[str, Any]) -> tuple[Any, dict[str, Any]]:
    """The route the request asked for and its path parameters (refused by a middleware: routed here)."""
    if "route" in scope:
        return scope["route"], scope.get("path_params") or {}
    for route in getattr(scope["app"].state, "operations", ()):
        match, child = route.matches(scope)
        if match is Match.FULL:
            return route, child.get("path_params") or {}
    return None, {}


def _who(state: BaseState, scope: MutableMapping[str, Any], params: dict[str, Any]) -> tuple[str, str, str] | None:
    """(actor, profession, installation) of the request, from what the base can check itself."""
    authorization = installation = portal = None
    for name, value in scope.get("headers", ()):
        if name == b"authorization":
            authorization = value.decode("latin-1")
        elif name == _INSTALLATION:
            installation = value.decode("latin-1")
        elif name == _PORTAL:
            portal = value.decode("latin-1")
    if authorization and authorization.startswith("Bearer "):
        try:
            holder: Holder = check_token(state.token_key, authorization[len("Bearer "):].strip())
        except ApiError:
            return None
        try:
            checked = installation_of(state, installation)
        except ApiError:
            checked = ""  # the card is known, its installation is not
        return holder.national_id, holder.profession, checked
    key: bytes | None = getattr(scope["app"].state, "patient_portal_key", None)
    ins = params.get("ins")
    if portal and key and isinstance(ins, str) and hmac.compare_digest(
            portal.encode("utf-8", "replace"), key.hex().encode("ascii")):
        return normalize_nir(ins)[:32], "patient", PORTAL
    return None
