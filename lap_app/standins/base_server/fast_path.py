"""The lean paths of the hot operations: ``PUT /v1/prescriptions/{number}`` (registration) and
``PUT /v1/prescrit/prescriptions/{number}/executions/{id}`` (a prescrit's execution).

A pure ASGI middleware in front of FastAPI's routing: no dependency solving, no pydantic
round trip over the big Bundle, no thread-pool hop. The checks run on the event loop (they
are CPU work: FHIR read, validation, RSA), the write goes to the store's group-commit thread
and the answer leaves only once that batch is fsynced. Same checks, same errors and same
audit rows as the FastAPI route, which stays for the OpenAPI document (see
``registration.prepare_registration``, shared by both).

An execution takes the lean path only when all goes well: a request the lean path would refuse
(its caller, its body, the ordonnance's state...) is handed, body and all, to the FastAPI route,
which refuses and audits it as always; the lean path's attempt wrote nothing (its savepoint or
transaction rolled back). What it saves: FastAPI's dependency solving and validation layers,
the thread-pool hop and a transaction of its own (the execution joins the group commit).
"""

from __future__ import annotations

import re
from typing import Any

import orjson

from lap_app.base_client.protocol import INSTALLATION_HEADER, PRESCRIBER_PROFESSIONS, PRESCRIT_PROFESSIONS
from lap_app.standins.base_server.body_limits import (
    REGISTRATION_BODY,
    SMALL_BODY,
    declared_length,
    drain_body,
    read_body,
    replaying,
    respond,
    too_large,
)
from lap_app.standins.base_server.context import (
    PRESCRIBERS_ONLY,
    PRESCRITS_ONLY,
    BaseState,
    caller_of,
    check_number_format,
)
from lap_app.standins.base_server.errors import ApiError, own_failure
from lap_app.standins.base_server.json_integers import loads_exact
from lap_app.standins.base_server.refusals import settle_refusal
from lap_app.standins.base_server.registration import Registered, prepare_registration

ROUTE = re.compile(r"^/v1/prescriptions/([^/]+)$")
EXECUTION_ROUTE = re.compile(r"^/v1/prescrit/prescriptions/([^/]+)/executions/([^/]+)$")
_AUTHORIZATION = b"authorization"
_INSTALLATION = INSTALLATION_HEADER.lower().encode("ascii")
_CONTENT_TYPE = b"content-type"
_JSON_TYPE = b"application/json"
_JSON = [(_CONTENT_TYPE, _JSON_TYPE)]


class RegistrationFastPath:
    """As a middleware (``app.add_middleware``: the state comes from ``scope["app"]``), or in
    front of the whole app with its ``state`` (``served``)."""

    def __init__(self, app: Any, state: BaseState | None = None) -> None:
        self.app = app
        self._state = state

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["method"] == "PUT":
            match = ROUTE.match(scope["path"])
            state = self._state
            if state is not None:  # in front of the app: its refusals are audited from scope["app"] (refusals.py)
                scope.setdefault("app", self.app)
            elif "app" in scope:
                state = getattr(scope["app"].state, "base", None)
            if state is not None:
                if match:
                    await _register(state, scope, receive, send, match.group(1))
                    return
                execution = EXECUTION_ROUTE.match(scope["path"])
                if execution:
                    await _execute(self.app, state, scope, receive, send, *execution.groups())
                    return
        await self.app(scope, receive, send)


def served(app: Any) -> Any:
    """The ASGI callable a server runs: the registration answered before FastAPI's own layers
    (its telemetry and error middlewares cost ~10 % of a registration), the rest by ``app``.
    ``_register`` answers every failure itself, as the error middleware would."""
    return RegistrationFastPath(app, app.state.base)


async def _register(state: BaseState, scope: dict, receive: Any, send: Any, number: str) -> None:
    try:  # refused before any check of the ordonnance: audited as on the FastAPI route (refusals.py)
        declared = declared_length(scope)
        if declared is not None and declared > REGISTRATION_BODY:
            raise too_large(REGISTRATION_BODY)
        authorization = installation = None
        for name, value in scope["headers"]:
            if name == _AUTHORIZATION:
                authorization = value.decode("latin-1")
            elif name == _INSTALLATION:
                installation = value.decode("latin-1")
        # the caller is known before the body is parsed: an anonymous body is only drained
        try:
            caller = caller_of(state, authorization, installation, PRESCRIBER_PROFESSIONS, PRESCRIBERS_ONLY)
        except ApiError:
            await drain_body(receive, REGISTRATION_BODY)
            raise
        bundle = _bundle(await read_body(receive, REGISTRATION_BODY))
    except ApiError as error:
        await respond(send, await settle_refusal(scope, error, action="register", number=number[:64]))
        return
    except Exception as error:  # noqa: BLE001 - e.g. its database unreadable while checking the installation
        await respond(send, own_failure(error))
        return
    try:
        outcome = prepare_registration(state, caller, number, bundle)
        if not isinstance(outcome, Registered):
            outcome = await state.store.run_grouped(outcome)
    except ApiError as error:  # as ``context.audited`` does
        error = await settle_refusal(scope, error, caller=caller, action="register", number=number)
        await _respond(send, error.status, error.body(), error.headers)
        return
    except Exception as error:  # noqa: BLE001 - its own failure (disk full...): a French 5xx, never a verdict
        failure = own_failure(error)
        await _respond(send, failure.status, failure.body(), failure.headers)
        return
    await _respond(send, 200 if outcome.replayed else 201, outcome.body())


async def _execute(app: Any, state: BaseState, scope: dict, receive: Any, send: Any, number: str,
                   execution_id: str) -> None:
    """An execution recorded through the group commit; anything else answered by the route."""
    import json

    from pydantic import ValidationError

    from lap_app.standins.base_server.routes_prescrit import EXECUTION_ID, ExecutionIn, execution_write

    declared = declared_length(scope)
    headers = dict(reversed(scope["headers"]))  # a header given twice: its first value, as FastAPI reads it
    if (declared is None or declared > SMALL_BODY or headers.get(_CONTENT_TYPE) != _JSON_TYPE
            or not re.fullmatch(EXECUTION_ID.strip("^$"), execution_id)):
        await app(scope, receive, send)  # FastAPI's own answer (the body limit, a 422, ...)
        return
    try:
        body = await read_body(receive, SMALL_BODY)
    except ApiError as error:  # as ``BodyLimit`` answers it
        await respond(send, await settle_refusal(scope, error))
        return
    try:
        authorization, installation = headers.get(_AUTHORIZATION), headers.get(_INSTALLATION)
        caller = caller_of(state, authorization.decode("latin-1") if authorization is not None else None,
                           installation.decode("latin-1") if installation is not None else None,
                           PRESCRIT_PROFESSIONS, PRESCRITS_ONLY)
        check_number_format(number)
        request = ExecutionIn.model_validate(json.loads(body))  # as FastAPI reads a JSON body
        view = await state.store.run_grouped(execution_write(state, caller, number, execution_id, request))
    except (ApiError, ValidationError, ValueError):  # refused: the route refuses it again and audits it
        await app(scope, replaying(body, receive), send)
        return
    except Exception as error:  # noqa: BLE001 - its own failure (disk full...): a French 5xx, never a verdict
        failure = own_failure(error)
        await _respond(send, failure.status, failure.body(), failure.headers)
        return
    await _send_json(send, 200, view.model_dump_json(by_alias=True).encode())  # in one pass, as FastAPI does


def _bundle(body: bytes) -> Any:
    """``{"bundle": {...}}`` → the Bundle, or the same 422 as FastAPI's request validation."""
    try:
        data = loads_exact(body)  # an integer beyond 64 bits: refused, never rounded
    except ValueError:
        raise _invalid("body", "JSON decode error") from None
    if not isinstance(data, dict):
        raise _invalid("body", "Input should be a valid dictionary or object to extract fields from")
    if "bundle" not in data:
        raise _invalid("body.bundle", "Field required")
    if not isinstance(data["bundle"], dict):
        raise _invalid("body.bundle", "Input should be a valid dictionary")
    return data["bundle"]


def _invalid(path: str, message: str) -> ApiError:
    return ApiError(422, "invalid_request", "Requête invalide", [{"path": path, "message": message}])


async def _respond(send: Any, status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> None:
    await _send_json(send, status, orjson.dumps(body), headers)


async def _send_json(send: Any, status: int, payload: bytes, headers: dict[str, str] | None = None) -> None:
    raw_headers = [*_JSON, (b"content-length", str(len(payload)).encode("ascii"))]
    for name, value in (headers or {}).items():
        raw_headers.append((name.lower().encode("latin-1"), value.encode("latin-1")))
    await send({"type": "http.response.start", "status": status, "headers": raw_headers})
    await send({"type": "http.response.body", "body": payload})
