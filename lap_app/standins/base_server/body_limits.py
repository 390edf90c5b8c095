"""Every request body is bounded before it is read, and large ones need a valid card token first.

A pure ASGI middleware in front of FastAPI: a declared ``Content-Length`` over the route's
limit is refused (413) without reading a byte; otherwise the body is read up to the limit
(413 as soon as it goes over, chunked or not) and handed to the app. A 413 closes the
connection, so the rest of an oversized body is never read; a body refused for its missing
token is drained (dropped as it comes, within the limit) so that the client reads the 401. The registration has its own
lean path with the same rule (``fast_path.py``).
"""

from __future__ import annotations

import re
from typing import Any

import orjson

from lap_app.standins.base_server.errors import ApiError
from lap_app.standins.base_server.security import check_token

SMALL_BODY = 64 * 1024  # every JSON body but the two below is far smaller
REGISTRATION_BODY = 4 * 1024 * 1024  # a signed ordonnance is ~10 kB
DMP_BODY = 16 * 1024 * 1024  # a PDF of 10 MB at most, in base64 (4/3), plus its DocumentReference
_DMP_FILING = re.compile(r"^/v1/dmp/documents/[^/]+$")
_REGISTRATION = re.compile(r"^/v1/prescriptions/[^/]+$")
_AUTHORIZATION = b"authorization"
_CONTENT_LENGTH = b"content-length"


def body_limit(method: str, path: str) -> tuple[int, bool]:
    """(the largest body accepted, whether a valid token must come before reading it)."""
    if method == "PUT" and _DMP_FILING.match(path):
        return DMP_BODY, True
    if method == "PUT" and _REGISTRATION.match(path):  # the FastAPI route, when the lean path is off
        return REGISTRATION_BODY, True
    return SMALL_BODY, False


def too_large(limit: int) -> ApiError:
    return ApiError(413, "too_large", f"Requête trop volumineuse ({limit // 1024} Kio au plus)",
                    headers={"Connection": "close"})


class BodyLimit:
    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit, token_first = body_limit(scope["method"], scope["path"])
        try:
            declared = declared_length(scope)
            if declared is not None and declared > limit:
                raise too_large(limit)
            if token_first:
                await refuse_unless_bearer(scope, receive, limit)
            body = await read_body(receive, limit)
        except ApiError as error:
            from lap_app.standins.base_server.refusals import settle_refusal  # it reads the routes' modules

            await respond(send, await settle_refusal(scope, error))
            return
        await self.app(scope, replaying(body, receive), send)


def replaying(body: bytes, receive: Any) -> Any:
    """``receive`` for an app once the body was read: the body again, then the connection's."""
    delivered = False

    async def replay() -> dict:
        nonlocal delivered
        if not delivered:
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()  # http.disconnect, when the client goes away

    return replay


def declared_length(scope: dict) -> int | None:
    for name, value in scope["headers"]:
        if name == _CONTENT_LENGTH:
            try:
                return int(value)
            except ValueError:
                raise ApiError(400, "invalid_request", "En-tête Content-Length invalide",
                               headers={"Connection": "close"}) from None
    return None


def check_bearer(scope: dict) -> None:
    """The card token, checked from the headers alone (no body read yet)."""
    app = scope.get("app")
    state = getattr(getattr(app, "state", None), "base", None)
    if state is None:
        return  # the bare app (OpenAPI document): no token key to check against
    for name, value in scope["headers"]:
        if name == _AUTHORIZATION:
            text = value.decode("latin-1")
            if text.startswith("Bearer "):
                check_token(state.token_key, text[len("Bearer "):].strip())
                return
    raise ApiError(401, "missing_token", "Authentification par carte CPS requise",
                   headers={"WWW-Authenticate": "Bearer"})


async def refuse_unless_bearer(scope: dict, receive: Any, limit: int) -> None:
    """``check_bearer``; on a refusal the body is drained (read and dropped, never kept) before
    the answer, so that the client reads the 401 instead of a connection reset."""
    try:
        check_bearer(scope)
    except ApiError:
        await drain_body(receive, limit)
        raise


async def drain_body(receive: Any, limit: int) -> None:
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return
        size += len(message.get("body", b""))
        if size > limit:
            raise too_large(limit)
        if not message.get("more_body", False):
            return


async def read_body(receive: Any, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ApiError(400, "disconnected", "Requête interrompue")
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise too_large(limit)
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


async def respond(send: Any, error: ApiError) -> None:
    payload = orjson.dumps(error.body())
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode("ascii"))]
    for name, value in (error.headers or {}).items():
        headers.append((name.lower().encode("latin-1"), value.encode("latin-1")))
    await send({"type": "http.response.start", "status": error.status, "headers": headers})
    await send({"type": "http.response.body", "body": payload})
