"""The reference e-prescription base: app factory and TLS server.

``create_app`` composes routers so that other stand-ins (a DMP, ...) can be mounted beside
the base's routers on the same app.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from fastapi import FastAPI

from lap_app import __version__
from lap_app.base_client.protocol import PATIENT_PORTAL_KEY_FILE
from lap_app.private_files import private_directory
from lap_app.standins.base_server.context import BaseState, ServerConfig
from lap_app.standins.base_server.engines import DATABASE_NAME, open_store
from lap_app.standins.base_server.errors import install_error_handlers
from lap_app.standins.base_server.security import CardCertificates, ChallengeBook, load_or_create_key
from lap_app.standins.base_server.unknown_numbers import UnknownNumberLimiter

__all__ = ["DATABASE_NAME", "bare_app", "create_app", "serve"]


def base_routers() -> list:
    from lap_app.standins.base_server import (
        routes_auth,
        routes_patient,
        routes_pharmacy,
        routes_prescriber,
        routes_prescrit,
    )
    from lap_app.standins.dmp.routes import router as dmp_router  # the DMP stand-in rides on this server

    return [routes_auth.router, routes_prescriber.router, routes_pharmacy.router, routes_prescrit.router,
            routes_patient.router, dmp_router]


def bare_app(extra_routers: list | None = None) -> FastAPI:
    """The routes without any state: enough for the OpenAPI document."""
    app = FastAPI(
        title="Base ordonnance numérique (référence LAP)",
        version=__version__,
        description="Base de référence des ordonnances numériques : protocole décrit dans docs/protocol.md.",
    )
    install_error_handlers(app)
    routers = [*base_routers(), *(extra_routers or [])]
    for router in routers:
        app.include_router(router)
    # every operation, for naming one refused before routing (refusals.py)
    app.state.operations = tuple(route for router in routers for route in router.routes)
    return app


def create_app(config: ServerConfig, extra_routers: list | None = None) -> FastAPI:
    private_directory(config.data_dir)  # health data: 0700 (the databases inside are 0600)
    app = bare_app(extra_routers)
    store = open_store(config.data_dir, config.database)
    token_key = load_or_create_key(config.data_dir / "token.key")
    app.state.patient_portal_key = load_or_create_key(config.data_dir / PATIENT_PORTAL_KEY_FILE)
    app.state.base = BaseState(
        config=config,
        store=store,
        token_key=token_key,
        certificates=CardCertificates(config.ca_pem),
        challenges=ChallengeBook(token_key, store),
        unknown_numbers=UnknownNumberLimiter(store, config.unknown_numbers),
    )
    from lap_app.standins.dmp import install_dmp

    install_dmp(app, config.data_dir)  # the DMP stand-in keeps its own SQLite file
    from lap_app.standins.base_server.body_limits import BodyLimit
    from lap_app.standins.base_server.fast_path import RegistrationFastPath

    app.add_middleware(BodyLimit)  # every body bounded before it is read
    app.add_middleware(RegistrationFastPath)  # outermost: the hot operation skips FastAPI's machinery
    return app


def app_from_pki(data_dir: Path, pki_dir: Path, **options: float | str | None) -> tuple[FastAPI, Path, Path]:
    """The app trusting the PKI's CA, plus the TLS certificate and key to serve it with."""
    from lap_app.standins.pki import init_pki

    pki = init_pki(pki_dir)
    config = ServerConfig(data_dir=data_dir, ca_pem=pki.ca_cert_path.read_bytes(), **options)  # type: ignore[arg-type]
    return create_app(config), pki.server_cert_path, pki.server_key_path


def serve(host: str, port: int, data_dir: Path, pki_dir: Path, *, token_ttl: float = 600.0,
          workers: int = 1, log_level: str = "warning", request_timeout: float = 10.0,
          database: str | None = None) -> None:
    """Serve over TLS until interrupted (TLS is always on).

    ``workers`` > 1: as many processes, each with its own SO_REUSEPORT socket (the kernel
    spreads the connections) and the same data directory; challenges and tokens are checked
    from the shared key and database. On SQLite writes take turns on the file (store.py); on
    PostgreSQL (``database``) they run side by side (store_postgres.py), and several servers
    started with the same data directory and database may serve on other ports or machines.
    """
    import subprocess
    import sys

    # creates the key (and the tables) before the workers
    app, cert, key = app_from_pki(data_dir, pki_dir, token_ttl=token_ttl, database=database)
    children = []
    if workers > 1:
        if getattr(sys, "frozen", False):
            raise RuntimeError("several workers need a Python interpreter (not the frozen application)")
        argv = [str(a) for a in (host, port, data_dir, pki_dir, token_ttl, log_level, os.getpid(), request_timeout)]
        env = dict(os.environ)  # the database URL by the environment: argv is visible to every local user
        env.pop(DATABASE_VARIABLE, None)
        if database is not None:
            env[DATABASE_VARIABLE] = database
        children = [subprocess.Popen([sys.executable, "-c", f"{_WORKER_MAIN}; worker_main(*{argv!r})"],  # noqa: S603 - our own argv
                                     env=env)
                    for _ in range(workers - 1)]
    try:
        _run(app, cert, key, host, port, log_level, reuse_port=workers > 1, request_timeout=request_timeout)
    finally:
        for child in children:
            child.terminate()
        for child in children:
            child.wait()


_WORKER_MAIN = "from lap_app.standins.base_server.app import worker_main"
DATABASE_VARIABLE = "LAP_BASE_DATABASE"


def worker_main(host: str, port: str, data_dir: str, pki_dir: str, token_ttl: str, log_level: str,
                parent: str, request_timeout: str = "10") -> None:
    """One extra server process of ``serve(workers=N)``; it stops with its parent, even after a kill -9
    of the parent (uvicorn re-raises SIGTERM on its way out, so ``serve``'s cleanup may not run)."""
    _die_with_parent(int(parent))
    app, cert, key = app_from_pki(Path(data_dir), Path(pki_dir), token_ttl=float(token_ttl),
                                  database=os.environ.get(DATABASE_VARIABLE))
    _run(app, cert, key, host, int(port), log_level, reuse_port=True, request_timeout=float(request_timeout))


def _die_with_parent(parent: int) -> None:
    import ctypes
    import signal

    with contextlib.suppress(AttributeError, OSError):
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG (Linux): graceful stop
    if os.getppid() != parent:  # the parent died before prctl
        os._exit(1)


def _run(app: FastAPI, cert: Path, key: Path, host: str, port: int, log_level: str, *, reuse_port: bool,
         request_timeout: float = 10.0) -> None:
    import socket

    import uvicorn

    from lap_app.standins.base_server.http_limits import HttpLimits, guarded_protocol

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if reuse_port:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    # uvloop and httptools when installed (uvicorn's "auto"); no proxy in front of the stand-in.
    # httptools with bounded request heads and timeouts for slow or silent clients (http_limits.py).
    limits = HttpLimits(head_timeout=request_timeout, idle_timeout=request_timeout)
    config = uvicorn.Config(app, ssl_certfile=str(cert), ssl_keyfile=str(key), log_level=log_level,
                            access_log=False, proxy_headers=False, backlog=2048, http=guarded_protocol(limits),
                            timeout_keep_alive=5)
    uvicorn.Server(config).run(sockets=[sock])
