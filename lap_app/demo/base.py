"""The reference base served in-process, over TLS, on a free loopback port."""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from lap_app.domain.errors import UserError
from lap_app.i18n import _


@dataclass
class RunningBase:
    url: str
    ca_path: Path
    _server: object
    _thread: threading.Thread

    def stop(self) -> None:
        self._server.should_exit = True  # type: ignore[attr-defined]
        self._thread.join(timeout=5)


def _bound_socket(port: int) -> socket.socket:
    """A socket on 127.0.0.1:``port``, or on a free port when that one is taken (or 0)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(("127.0.0.1", port))
    except OSError:
        sock.bind(("127.0.0.1", 0))
    return sock


def start_base(data_dir: Path, pki_dir: Path, *, port: int = 0, start_timeout: float = 15.0) -> RunningBase:
    """Serve the base on 127.0.0.1 with the PKI's server certificate; returns once it listens.

    A stable ``port`` keeps the base's URL, hence this installation's enrolment, across runs.
    """
    import uvicorn

    from lap_app.standins.base_server import app_from_pki
    from lap_app.standins.pki import init_pki

    app, cert, key = app_from_pki(data_dir, pki_dir)
    sock = _bound_socket(port)
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, ssl_certfile=str(cert), ssl_keyfile=str(key), log_level="warning",
                            access_log=False, lifespan="off")
    server = uvicorn.Server(config)
    # (off the main thread, uvicorn installs no signal handlers: Ctrl+C stays the application's)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="demo-base", daemon=True)
    thread.start()
    deadline = time.monotonic() + start_timeout
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise UserError(_("La base de démonstration n'a pas pu démarrer."))
        time.sleep(0.02)
    return RunningBase(url=f"https://127.0.0.1:{port}", ca_path=init_pki(pki_dir).ca_cert_path,
                       _server=server, _thread=thread)
