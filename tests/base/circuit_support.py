"""Helpers of the national-circuit tests: a real base over TLS in a subprocess, cards, PDFs."""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import select
import signal
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
if str(REPO / "tests") not in sys.path:  # a bench script puts only tests/base on the path
    sys.path.append(str(REPO / "tests"))
from listening_ports import free_port  # noqa: E402 - also read from here by the suites

LAP_APP = [sys.executable, "-m", "lap_app"]
PIN = "1234"
EXAMPLE_BUNDLE = REPO / "tests" / "fixtures" / "ordonnance-bundle.json"


ENGINES = ("sqlite", "postgresql")
# A test module marked with this runs its tests on a base over SQLite and on one over PostgreSQL
# (the ``base_engine`` fixture of conftest.py).
on_both_engines = pytest.mark.parametrize("base_engine", ENGINES, indirect=True, scope="session")


# Back as soon as the server answers: generous for a CI machine 3–4× slower than usual (a base
# restarted under a crash campaign took 8–9 s at load 14, against about 1.5 s on a quiet machine).
START_TIMEOUT = 120.0


@dataclass
class BaseProcess:
    """``lap-app base serve`` in a subprocess; ``kill()`` is a kill -9."""

    data_dir: Path
    pki_dir: Path
    port: int
    token_ttl: float = 600.0
    workers: int = 1
    process: subprocess.Popen | None = None
    database: str | None = None  # a PostgreSQL URL (``--database``); None: SQLite in data_dir
    cold: bool = False  # a new interpreter at each start, as a user types the command (imports included)

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    @property
    def ca(self) -> Path:
        return self.pki_dir / "ca.pem"

    def start(self, timeout: float = START_TIMEOUT) -> BaseProcess:
        self.process = start_base_command(
            ["base", "serve", "--host", "127.0.0.1", "--port", str(self.port),
             "--data-dir", str(self.data_dir), "--pki", str(self.pki_dir), "--token-ttl", str(self.token_ttl),
             "--workers", str(self.workers)], self.environment(), cold=self.cold)
        return self.wait_serving(timeout)

    def environment(self, **extra: str) -> dict[str, str]:
        """The server's environment: its PostgreSQL URL in LAP_BASE_DATABASE (as ``--database``
        would, without the password in its command line)."""
        env = {**os.environ, **extra}
        env.pop("LAP_BASE_DATABASE", None)
        if self.database:
            env["LAP_BASE_DATABASE"] = self.database
        return env

    def rows(self, sql: str, *args: object, database: str | None = None) -> list[tuple]:
        """What the base's own database holds (SQLite or PostgreSQL, SQL with ``?`` markers), or
        another SQLite file of its data directory (``database="dmp.sqlite3"``)."""
        if database is None and self.database:
            return [tuple(row) for row in postgres_rows(self.database, sql, args)]
        import sqlite3

        with contextlib.closing(sqlite3.connect(self.data_dir / (database or "base.sqlite3"))) as db, db:
            return db.execute(sql, args).fetchall()

    def wait_serving(self, timeout: float) -> BaseProcess:
        """Back once the started server completes a TLS handshake; its stderr if it exits."""
        deadline = time.monotonic() + timeout
        context = ssl.create_default_context(cafile=str(self.ca))
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"base exited: {self.process.stderr.read().decode()}")  # type: ignore[union-attr]
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as raw:
                    with context.wrap_socket(raw, server_hostname="127.0.0.1"):
                        return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("base did not start")

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()
        if self.process is not None and self.process.stderr is not None:
            self.process.stderr.close()


def start_base_command(args: list[str], env: dict[str, str], *, cold: bool = False) -> subprocess.Popen | LaunchedProcess:
    """``lap-app ARGS`` (a base), stdout to /dev/null, stderr to a pipe, from the repository.
    In a test, a child of this worker's base launcher (base_launcher.py: the server's modules
    imported once, not at each start) when its environment allows; a new interpreter when
    ``cold``, ``LAP_TEST_COLD_BASE=1``, the environment differs in what is read at import, and
    outside pytest (the benchmarks of tests/bench measure bases started as users start them)."""
    in_a_test = "PYTEST_CURRENT_TEST" in os.environ
    if in_a_test and not cold and os.environ.get("LAP_TEST_COLD_BASE") != "1" and _launchable(env):
        return _launcher().start(args, env, REPO)
    return subprocess.Popen([*LAP_APP, *args], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=REPO, env=env)


def _launchable(env: dict[str, str]) -> bool:
    """Only the variables the command reads at run time may differ from the launcher's
    environment (this worker's when it started): the LAP_* locations, not LAP_RESOURCES
    (read at import), and pytest's own."""
    reference = _LAUNCHER_ENV or dict(os.environ)
    for name in env.keys() | reference.keys():
        if env.get(name) != reference.get(name) and not (
                (name.startswith("LAP_") and name != "LAP_RESOURCES") or name.startswith("PYTEST_")):
            return False
    return True


_LAUNCHER_ENV: dict[str, str] = {}


class Launcher:
    """The client end of base_launcher.py (one per worker process)."""

    def __init__(self) -> None:
        import threading

        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.control = ours
        self.process = subprocess.Popen(
            [sys.executable, str(Path(__file__).with_name("base_launcher.py")), str(theirs.fileno())],
            pass_fds=[theirs.fileno()], cwd=REPO, stdin=subprocess.DEVNULL)
        theirs.close()
        self.exits: dict[int, int] = {}
        self.lock = threading.Lock()

    def start(self, args: list[str], env: dict[str, str], cwd: Path) -> LaunchedProcess:
        read_end, write_end = os.pipe()
        devnull = os.open(os.devnull, os.O_RDWR)
        try:
            with self.lock:
                socket.send_fds(self.control, [json.dumps({"argv": args, "env": env, "cwd": str(cwd)}).encode()],
                                [0, devnull, write_end])
                while True:
                    message, fds = self._receive(timeout=60)
                    if "started" in message:
                        return LaunchedProcess(self, message["started"], fds[0], os.fdopen(read_end, "rb"))
        except BaseException:
            os.close(read_end)
            raise
        finally:
            os.close(write_end)
            os.close(devnull)

    def _receive(self, timeout: float) -> tuple[dict, list[int]]:
        """One message (the lock held); an exit is noted on the way."""
        ready, _, _ = select.select([self.control], [], [], timeout)
        if not ready:
            raise RuntimeError("the base launcher does not answer")
        data, fds, _flags, _address = socket.recv_fds(self.control, 1 << 16, 1)
        if not data:
            raise RuntimeError(f"the base launcher ended ({self.process.wait()})")
        message = json.loads(data)
        if "exited" in message:
            self.exits[message["exited"]] = message["code"]
            LAUNCHED_CPU[0] += message["cpu"]
        return message, fds

    def exit_code(self, pid: int, timeout: float) -> int | None:
        """The child's exit code, once the launcher has reaped it (``timeout``: how long to wait for that)."""
        deadline = time.monotonic() + timeout
        with self.lock:
            while pid not in self.exits:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return None
                ready, _, _ = select.select([self.control], [], [], remaining)
                if ready:
                    self._receive(timeout=0)
            return self.exits.pop(pid)


# The child has ended (its pidfd says so): the launcher reaps it and says so at once, but it is one
# more process to be scheduled on a machine at load 15–20; a wait ends as soon as it has.
REAP_PATIENCE = 60.0


class LaunchedProcess:
    """A child of the base launcher, used as a ``subprocess.Popen`` (pid, poll, wait, signals,
    stderr). Signals go through a pidfd: never to another process that reused the pid."""

    def __init__(self, launcher: Launcher, pid: int, pidfd: int, stderr) -> None:  # type: ignore[no-untyped-def]
        self.launcher, self.pid, self.pidfd, self.stderr = launcher, pid, pidfd, stderr
        self.returncode: int | None = None
        self.args = [*LAP_APP, "(launched)"]

    def poll(self) -> int | None:
        if self.returncode is None and select.select([self.pidfd], [], [], 0)[0]:  # ended
            self._reaped(REAP_PATIENCE)
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        if self.returncode is None:
            if not select.select([self.pidfd], [], [], timeout)[0]:
                raise subprocess.TimeoutExpired(self.args, timeout)  # type: ignore[arg-type]
            self._reaped(REAP_PATIENCE if timeout is None else max(timeout, REAP_PATIENCE))
        return self.returncode  # type: ignore[return-value]

    def _reaped(self, timeout: float) -> None:
        code = self.launcher.exit_code(self.pid, timeout)
        if code is None:
            raise RuntimeError(f"the base launcher did not report the end of {self.pid}")
        self.returncode = code
        os.close(self.pidfd)

    def send_signal(self, sig: int) -> None:
        if self.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                signal.pidfd_send_signal(self.pidfd, sig)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)


_LAUNCHER: list[Launcher] = []
LAUNCHED_CPU = [0.0]  # CPU seconds of the launcher's children that ended (where a run's CPU goes)


def _launcher() -> Launcher:
    if not _LAUNCHER or _LAUNCHER[0].process.poll() is not None:
        if not _LAUNCHER:
            atexit.register(_close_launcher)
        _LAUNCHER_ENV.clear()
        _LAUNCHER_ENV.update(os.environ)
        _LAUNCHER[:] = [Launcher()]
    return _LAUNCHER[0]


def _close_launcher() -> None:
    """At the worker's end: the launcher sees its end of the socket close, and ends."""
    for launcher in _LAUNCHER:
        launcher.control.close()
        with contextlib.suppress(subprocess.TimeoutExpired):
            launcher.process.wait(10)


@contextlib.contextmanager
def running_base(data_dir: Path, pki_dir: Path, **options: float | str | bool | None) -> Iterator[BaseProcess]:
    base = BaseProcess(data_dir, pki_dir, free_port(), **options).start()  # type: ignore[arg-type]
    try:
        yield base
    finally:
        base.stop()


@contextlib.contextmanager
def card_in_hand(holder: str, pki_dir: Path, pin: str = PIN) -> Iterator[object]:
    """``holder``'s virtual card in the in-process reader, opened and unlocked."""
    from lap_app.card import open_card
    from lap_app.services.card_session import unlock_card
    from lap_app.standins.virtual_cps.testing import inprocess_card

    with inprocess_card(holder, pki_dir=pki_dir):
        card = open_card(virtual=True)
        try:
            unlock_card(card, pin)
            yield card
        finally:
            card.close()


def decode_qr(pdf: bytes) -> list[str]:
    """The QR codes a scanner finds on the first page, rasterised at 200 dpi."""
    import pypdfium2
    import zxingcpp

    document = pypdfium2.PdfDocument(pdf)
    try:
        image = document[0].render(scale=200 / 72).to_pil()
    finally:
        document.close()
    return [r.text for r in zxingcpp.read_barcodes(image) if r.format == zxingcpp.BarcodeFormat.QRCode]


def pdf_text(pdf: bytes) -> str:
    import io

    import pypdf

    return "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf)).pages)


def set_up_workstation(data_dir: Path, config_dir: Path) -> None:
    """The profile of a workstation in use: its practice details saved (as « lap-app practice »
    does) and its drug base built (a copy of the test session's, instead of ~10 s each)."""
    from lap_app.settings import PracticeSettings, Settings, save_settings

    settings_file = config_dir / "settings.json"
    if not settings_file.exists():
        save_settings(Settings(practice=PracticeSettings(
            address_lines=["3 place des Essais"], postal_code="31000", city="Toulouse", phone="05 61 00 00 00",
            qualification="Médecine générale")), settings_file)
    with_drug_base(data_dir)


def with_drug_base(data_dir: Path) -> None:
    """A copy of the test session's drug base in ``data_dir`` (the build takes seconds of CPU),
    for a test whose subject is not the first start. Call it before the test points LAP_DATA_DIR
    at ``data_dir``: from then on the base would be built right there."""
    import shutil

    from lap_app.drugs import ensure_drug_database

    drugs = data_dir / "drugs.sqlite3"
    if not drugs.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        built = ensure_drug_database()  # built right here when LAP_DATA_DIR already points at data_dir
        if built.resolve() != drugs.resolve():
            shutil.copyfile(built, drugs)


def cli_env(data_dir: Path, config_dir: Path, base: BaseProcess | None = None, *, fresh: bool = False,
            **extra: str) -> dict[str, str]:
    """The environment of ``lap-app`` commands on a workstation in use (``fresh``: as installed,
    no practice details, no drug base yet)."""
    if not fresh:
        set_up_workstation(data_dir, config_dir)
    env = dict(os.environ)
    env.update(LAP_DATA_DIR=str(data_dir), LAP_CONFIG_DIR=str(config_dir),
               PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring")
    if base is not None:
        env.update(LAP_BASE_URL=base.url, LAP_BASE_CA=str(base.ca))
    env.update(extra)
    return env


def run_cli(args: list[str], env: dict[str, str], stdin: str = PIN + "\n",
            timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([*LAP_APP, *args], input=stdin, capture_output=True, text=True, env=env,
                          timeout=timeout, cwd=REPO)


def postgres_rows(url: str, sql: str, args: tuple = ()) -> list[tuple]:
    """One statement in its own transaction on a PostgreSQL database (the rows, if any)."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as db:
        cursor = db.execute(sql.replace("?", "%s"), args)
        return cursor.fetchall() if cursor.description else []


def _root_conftest():
    """tests/conftest.py (its name is shadowed here by tests/base/conftest.py)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("lap_tests_root_conftest", REPO / "tests" / "conftest.py")
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


require_service = _root_conftest().require_service
