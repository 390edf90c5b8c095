"""API errors: every refusal carries a stable code, a French message and, for 422, each problem."""

from __future__ import annotations

import errno
import logging
import sqlite3
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from lap_app.storage.sqlite_errors import SqliteFailure, sqlite_failure

log = logging.getLogger(__name__)


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, problems: list[dict[str, str]] | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.problems = problems or []
        self.headers = headers
        self.audited = False  # its audit row (or log line) written: see refusals.py

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"error": self.code, "message": self.message}
        if self.problems:
            body["problems"] = self.problems
        return body


def own_failure(error: BaseException) -> ApiError:
    """The base's own failure as a French JSON error (5xx: the client keeps the request for later).

    Its disk full is told apart (507 ``storage_full``): nothing was written, nothing refused;
    so is its PostgreSQL server out of reach (503: the client retries by itself)."""
    log.error("base failure: %r", error, exc_info=error)
    sqlstate = _postgres_state(error)
    if sqlstate is not None and (sqlstate == "" or sqlstate.startswith(("08", "57P"))):
        return ApiError(503, "database_unavailable", "Base de données du service momentanément injoignable : la "
                        "demande n'a pas été enregistrée, renvoyez-la plus tard", headers={"Retry-After": "5"})
    if (isinstance(error, sqlite3.Error) and sqlite_failure(error) is SqliteFailure.FULL) or sqlstate == "53100" or (
            isinstance(error, OSError) and error.errno in (errno.ENOSPC, errno.EDQUOT)):
        return ApiError(507, "storage_full", "Espace disque insuffisant sur le serveur de la base : la demande "
                        "n'a pas été enregistrée, renvoyez-la plus tard", headers={"Retry-After": "30"})
    return ApiError(500, "internal_error", "Incident sur le serveur de la base : la demande n'a pas été "
                    "enregistrée, renvoyez-la plus tard")


def _postgres_state(error: BaseException) -> str | None:
    """The SQLSTATE of a psycopg error ("" for a connection lost or refused), None for any other
    error (psycopg is imported only by a base on PostgreSQL)."""
    if not type(error).__module__.startswith("psycopg"):
        return None
    return getattr(error, "sqlstate", None) or ""


def install_error_handlers(app: FastAPI) -> None:
    """Every refusal answered as French JSON, and audited (``refusals.settle_refusal``) unless its
    operation already did."""
    from lap_app.standins.base_server.refusals import settle_refusal  # it reads the routes' modules

    async def refused(request: Request, error: ApiError) -> JSONResponse:
        error = await settle_refusal(request.scope, error)
        return JSONResponse(error.body(), status_code=error.status, headers=error.headers)

    @app.exception_handler(ApiError)
    async def _api_error(request: Request, error: ApiError) -> JSONResponse:
        return await refused(request, error)

    @app.exception_handler(Exception)
    async def _own_failure(_request: Request, error: Exception) -> JSONResponse:
        failure = own_failure(error)
        return JSONResponse(failure.body(), status_code=failure.status, headers=failure.headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid_request(request: Request, error: RequestValidationError) -> JSONResponse:
        problems = [
            {"path": ".".join(str(p) for p in item.get("loc", ())), "message": str(item.get("msg", ""))}
            for item in error.errors()
        ]
        return await refused(request, ApiError(422, "invalid_request", "Requête invalide", problems))

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, error: StarletteHTTPException) -> JSONResponse:
        messages = {404: "Ressource inconnue", 405: "Méthode non permise"}
        return await refused(request, ApiError(
            error.status_code, f"http_{error.status_code}", messages.get(error.status_code, str(error.detail)),
            headers=getattr(error, "headers", None)))
