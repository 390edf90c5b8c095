"""The demo base's port: a port asked for is that port or a clear refusal (a restart must come
back where the clients look for it); the demo's usual port taken, the demo starts on another
one and says which."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest


def _hold(port: int) -> socket.socket | None:
    """A listening socket on 127.0.0.1:``port`` (None: another program already holds it)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.bind(("127.0.0.1", port))
    except OSError:
        sock.close()
        return None
    sock.listen()
    return sock


@pytest.fixture
def taken_port() -> Iterator[int]:
    sock = _hold(0)
    assert sock is not None
    yield sock.getsockname()[1]
    sock.close()


def test_a_port_asked_for_and_taken_is_refused_by_its_number(tmp_path: Path, pki_dir: Path, taken_port: int) -> None:
    from lap_app.demo.base import BasePortTaken, start_base

    with pytest.raises(BasePortTaken) as refused:
        start_base(tmp_path / "base", pki_dir, port=taken_port)
    assert f"Le port {taken_port} de la base de démonstration est déjà occupé" in refused.value.message


def test_a_restarted_base_comes_back_on_its_port(tmp_path: Path, pki_dir: Path) -> None:
    import ssl

    import httpx

    from lap_app.demo.base import start_base

    base = start_base(tmp_path / "base", pki_dir)
    url, port = base.url, base.port
    base.stop()
    again = start_base(tmp_path / "base", pki_dir, port=port)
    try:
        assert again.url == url
        assert httpx.get(f"{url}/openapi.json", verify=ssl.create_default_context(cafile=again.ca_path)).status_code < 500  # it answers there
    finally:
        again.stop()


def test_the_demo_told_when_its_usual_port_is_taken(tmp_path: Path, demo_pki_copy) -> None:  # type: ignore[no-untyped-def]
    from lap_app.demo.environment import DEMO_BASE_PORT, DemoEnvironment

    demo_pki_copy(tmp_path / "demo" / "pki")  # its keys made once for the session
    held = _hold(DEMO_BASE_PORT)  # None: another demo holds it already, the same for this test
    try:
        environment = DemoEnvironment(tmp_path / "demo", pcsc=False).start()
        try:
            port = int(environment.endpoint.url.rsplit(":", 1)[1])
            assert port != DEMO_BASE_PORT
            assert environment.notice == (f"Le port habituel {DEMO_BASE_PORT} de la base de démonstration est "
                                          f"occupé (une autre démonstration est-elle ouverte ?) : elle utilise le "
                                          f"port {port}.")
        finally:
            environment.stop()  # its card out of the process's reader, shared with the tests after this one
    finally:
        if held is not None:
            held.close()
