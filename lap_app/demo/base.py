"""The reference base served in-process, over TLS, on a loopback port."""

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
    port: int
    _server: object
    _thread: threading.Thread

    def stop(self) -> None:
        self._server.should_exit = True  # type: ignore[attr-defined]
        self._thread.join(timeout=5)


class BasePortTaken(UserError):
    """The port asked for the demo base is held by another program (often another demo)."""

    def __init__(self, port: int) -> None:
        super().__init__(_("Le port {port} de la base de démonstration est déjà occupé (une autre démonstration "
                           "est-elle ouverte ?) : fermez le programme qui l'utilise, puis relancez.").format(port=port))
        self.port = port


def _bound_socket(port: int, or_any_free_port: bool) -> socket.socket:
    """A socket on 127.0.0.1:``port`` (0: a free one); when ``port`` is taken, a free one if
    ``or_any_free_port``, else ``BasePortTaken``."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(("127.0.0.1", port))
    except OSError:
        if not or_any_free_port:
            sock.close()
            raise BasePortTaken(port) from None
        sock.bind(("127.0.0.1", 0))
    return sock


def start_base(data_dir: Path, pki_dir: Path, *, port: int = 0, or_any_free_port: bool = False,
               start_timeout: float = 15.0) -> RunningBase:
    """Serve the base on 127.0.0.1 with the PKI's server certificate; returns once it listens.

    A stable ``port`` keeps the base's URL, hence this installation's enrolment, across runs; a
    restart must come back on the same one (the clients hold its URL). That port taken, the
    base refuses to start (``BasePortTaken``), unless ``or_any_free_port``: then it listens on a
    free one, which ``RunningBase.port`` tells.
    """
    import uvicorn

    from lap_app.standins.base_server import app_from_pki
    from lap_app.standins.pki import init_pki

    app, cert, key = app_from_pki(data_dir, pki_dir)
    sock = _bound_socket(port, or_any_free_port)
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
    return RunningBase(url=f"https://127.0.0.1:{port}", ca_path=init_pki(pki_dir).ca_cert_path, port=port,
                       _server=server, _thread=thread)
