"""A throw-away PostgreSQL cluster for the tests: ``initdb`` + ``pg_ctl`` in a temporary directory,
on a free localhost port, as an unprivileged user.

PostgreSQL refuses to run as root: when the suite runs as root (a CI container), the cluster is
created and started through ``runuser -u USER`` (``LAP_PG_OS_USER``, default ``postgres``, the
account Debian's ``postgresql`` package creates; ``packaging/bootstrap.sh`` makes sure it exists).
The cluster is password-protected (SCRAM) on 127.0.0.1 only; the password is random per cluster.

The binaries are found on ``PATH`` or in Debian's ``/usr/lib/postgresql/N/bin`` (newest first);
``LAP_PG_BINDIR`` overrides both.

A cluster does not outlive the process that started it: a watchdog process holds the read end of
a pipe whose write end only that process holds, and stops the server when the pipe closes — at
``stop()``, or when the process dies, even by SIGKILL. Should the watchdog die too, the cluster's
folder under ``CLUSTERS_DIR`` names its owner (pid and start time): the next start stops and
removes every cluster whose owner is gone.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

from listening_ports import free_port

ADMIN_USER = "lap"
# Fast, throw-away settings: the tests kill workstations, base servers, even the PostgreSQL server
# (``halt("immediate")``), never the machine, so fsync buys nothing here: a commit is written to the
# WAL before it is acknowledged (synchronous_commit stays on) and survives a server crash. A benchmark
# of durable registrations passes ``durable=True`` to keep PostgreSQL's defaults.
FAST_SETTINGS = {"fsync": "off", "full_page_writes": "off"}
CLUSTERS_DIR = Path(tempfile.gettempdir()) / f"lap-pg-clusters-{os.geteuid()}"  # this account's clusters
OWNER_FILE = "owner.json"  # {"pid": ..., "started": ...}: the process the cluster must not outlive
# Reads until the pipe closes (its one writer is the owner), then stops the server and removes the folder.
WATCHDOG = """
import os, shutil, subprocess, sys
sys.stdin.buffer.read()
stop, root = sys.argv[1:-1], sys.argv[-1]
if os.path.isdir(os.path.join(root, "data")):
    subprocess.run(stop, capture_output=True, timeout=60, check=False)
shutil.rmtree(root, ignore_errors=True)
"""


class PostgresUnavailable(RuntimeError):
    """PostgreSQL's binaries are missing or the cluster did not start (the message says why)."""


def find_bindir() -> Path | None:
    override = os.environ.get("LAP_PG_BINDIR")
    if override:
        return Path(override) if (Path(override) / "initdb").exists() else None
    on_path = shutil.which("initdb")
    if on_path:
        return Path(on_path).resolve().parent
    versions = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/initdb"),
        key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0,
        reverse=True,
    )
    return versions[0].parent if versions else None


def _os_user() -> str | None:
    """The account that runs the server, or None to run it as ourselves (not root)."""
    if os.geteuid() != 0:
        return None
    return os.environ.get("LAP_PG_OS_USER", "postgres")


def dsn_for(user: str, password: str, port: int, database: str, host: str = "127.0.0.1", **params: str) -> str:
    query = "&".join(f"{k}={quote(v, safe='')}" for k, v in params.items())
    return f"postgresql://{quote(user, safe='')}:{quote(password, safe='')}@{host}:{port}/{quote(database, safe='')}" + (
        f"?{query}" if query else ""
    )


class PostgresCluster:
    """One running cluster. ``start()`` / ``stop()``; ``dsn(database)`` builds a URL; ``create_database()``
    gives each test a fresh, empty database."""

    def __init__(self, durable: bool = False, settings: dict[str, str] | None = None,
                 tls: tuple[Path, Path] | None = None) -> None:
        """``tls``: (certificate, key) PEM files: the server then speaks TLS with them."""
        bindir = find_bindir()
        if bindir is None:
            raise PostgresUnavailable(
                "initdb not found: install Debian's postgresql package (packaging/bootstrap.sh does) "
                "or set LAP_PG_BINDIR"
            )
        self.bindir = bindir
        self.os_user = _os_user()
        if self.os_user is not None:
            try:
                import pwd

                self._uid = pwd.getpwnam(self.os_user).pw_uid
                self._gid = pwd.getpwnam(self.os_user).pw_gid
            except KeyError as exc:
                raise PostgresUnavailable(
                    f"running as root and the unprivileged account {self.os_user!r} does not exist "
                    "(packaging/bootstrap.sh creates it; LAP_PG_OS_USER names another)"
                ) from exc
        self.settings = {} if durable else dict(FAST_SETTINGS)
        self.settings.update(settings or {})
        self.root = Path(tempfile.mkdtemp(prefix="cluster-", dir=_clusters_dir()))
        self.data = self.root / "data"
        self.log = self.root / "server.log"
        self.password = secrets.token_urlsafe(18)
        self.user = ADMIN_USER
        self.port = 0
        self._options = ""
        self._tls = tls
        self._watchdog: subprocess.Popen[bytes] | None = None
        self._watchdog_pipe: int | None = None  # the write end: closed, the watchdog stops the server

    # -- running the server's programs as its own user -------------------------------------------
    def _command(self, args: Sequence[str]) -> list[str]:
        command = [str(self.bindir / args[0]), *args[1:]]
        return ["runuser", "-u", self.os_user, "--", *command] if self.os_user is not None else command

    def _run(self, args: Sequence[str], timeout: float = 120) -> subprocess.CompletedProcess[str]:
        return subprocess.run(self._command(args), capture_output=True, text=True, timeout=timeout, check=False)

    def _give_to_server_user(self, path: Path) -> None:
        if self.os_user is not None:
            os.chown(path, self._uid, self._gid)

    # -- lifecycle ---------------------------------------------------------------------------------
    def start(self) -> PostgresCluster:
        try:
            return self._start()
        except BaseException:
            self.stop()
            raise

    def _start(self) -> PostgresCluster:
        stop_stale_clusters(self.bindir)
        _write_owner(self.root)
        self._watch()
        self.root.chmod(0o755)  # the server's account must reach its data directory inside
        self._give_to_server_user(self.root)
        pwfile = self.root / "pwfile"
        pwfile.write_text(self.password + "\n", encoding="utf-8")
        pwfile.chmod(0o600)
        self._give_to_server_user(pwfile)
        done = self._run(
            [
                "initdb", "-D", str(self.data), "-U", self.user, f"--pwfile={pwfile}",
                "--auth=scram-sha-256", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync",
            ]
        )  # fmt: skip
        pwfile.unlink()
        if done.returncode != 0:
            raise PostgresUnavailable(f"initdb failed: {done.stderr.strip() or done.stdout.strip()}")
        if self._tls is not None:
            self._install_tls(*self._tls)
        last_error = ""
        for _ in range(5):  # another process may take the free port between the probe and the start
            self.port = free_port()
            options = " ".join(
                [f"-p {self.port}", "-c listen_addresses=127.0.0.1", f"-c unix_socket_directories={self.root}"]
                + [f"-c {k}={v}" for k, v in self.settings.items()]
            )
            done = self._run(["pg_ctl", "-D", str(self.data), "-l", str(self.log), "-w", "-t", "60", "-o", options, "start"])
            if done.returncode == 0:
                self._options = options
                return self
            last_error = self.log_tail() or done.stderr
            if "could not bind" not in last_error and "in use" not in last_error:
                break
        raise PostgresUnavailable(f"pg_ctl start failed: {last_error.strip()}")

    def _install_tls(self, certificate: Path, key: Path) -> None:
        for source, name in ((certificate, "server.crt"), (key, "server.key")):
            target = self.root / name
            target.write_bytes(source.read_bytes())
            target.chmod(0o600)  # PostgreSQL refuses a key others can read
            self._give_to_server_user(target)
        self.settings.update({"ssl": "on", "ssl_cert_file": str(self.root / "server.crt"),
                              "ssl_key_file": str(self.root / "server.key")})

    def _watch(self) -> None:
        """Start the watchdog that stops the server once this process is gone."""
        read_end, write_end = os.pipe()  # not inheritable: no other child holds the write end
        try:
            stop = self._command(["pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop"])
            self._watchdog = subprocess.Popen(
                [sys.executable, "-c", WATCHDOG, *stop, str(self.root)], stdin=read_end,
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)  # not hit by ^C
        finally:
            os.close(read_end)
        self._watchdog_pipe = write_end

    def stop(self, mode: str = "immediate") -> None:
        if self.data.exists():
            self._run(["pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop"], timeout=60)
        shutil.rmtree(self.root, ignore_errors=True)
        if self._watchdog_pipe is not None:
            os.close(self._watchdog_pipe)  # the watchdog finds nothing left to stop, and ends
            self._watchdog_pipe = None
        if self._watchdog is not None:
            self._watchdog.wait(60)
            self._watchdog = None

    def restart(self, mode: str = "fast") -> None:
        """Stop then start on the same port (a server that goes away and comes back)."""
        self.halt(mode)
        self.resume()

    def halt(self, mode: str = "fast") -> None:
        """Stop the server, keep its data (``resume()`` brings it back on the same port)."""
        self._run(["pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop"], timeout=60)

    def resume(self) -> None:
        done = self._run(
            ["pg_ctl", "-D", str(self.data), "-l", str(self.log), "-w", "-t", "60", "-o", self._options, "start"]
        )
        if done.returncode != 0:
            raise PostgresUnavailable(f"pg_ctl start failed: {self.log_tail()}")

    def log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    # -- connections ---------------------------------------------------------------------------------
    def dsn(self, database: str = "postgres", **params: str) -> str:
        return dsn_for(self.user, self.password, self.port, database, **params)

    def execute(self, sql: str, database: str = "postgres") -> None:
        """Run one administrative statement (autocommit: CREATE/DROP DATABASE need it)."""
        import psycopg

        with psycopg.connect(self.dsn(database), autocommit=True, connect_timeout=10) as conn:
            conn.execute(sql)  # type: ignore[arg-type]

    def create_database(self, prefix: str = "t") -> str:
        name = f"{prefix}_{uuid.uuid4().hex[:12]}"
        self.execute(f'CREATE DATABASE "{name}"')
        return name

    def drop_database(self, name: str) -> None:
        self.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    @contextmanager
    def fresh_database(self, prefix: str = "t") -> Iterator[str]:
        """A new empty database for the duration of the block; yields its DSN."""
        name = self.create_database(prefix)
        try:
            yield self.dsn(name)
        finally:
            self.drop_database(name)


def _clusters_dir() -> Path:
    CLUSTERS_DIR.mkdir(mode=0o755, exist_ok=True)
    if CLUSTERS_DIR.is_symlink() or CLUSTERS_DIR.stat().st_uid != os.geteuid():
        raise PostgresUnavailable(f"{CLUSTERS_DIR} belongs to another account: remove it")
    CLUSTERS_DIR.chmod(0o755)  # the server's account (under root) must pass through
    return CLUSTERS_DIR


def _process_start(pid: int) -> str | None:
    """The start time of ``pid`` (in clock ticks since boot), None when there is no such process:
    a pid reused by another process does not pass for the owner."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii")
    except OSError:
        return None
    return stat.rsplit(")", 1)[1].split()[19]


def _write_owner(root: Path) -> None:
    pid = os.getpid()
    (root / OWNER_FILE).write_text(json.dumps({"pid": pid, "started": _process_start(pid)}), encoding="utf-8")


def _owner_alive(root: Path) -> bool:
    try:
        owner = json.loads((root / OWNER_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):  # written right after the folder: a start in progress, or a broken one
        return time.time() - root.stat().st_mtime < 600
    return _process_start(int(owner["pid"])) == owner["started"]


def stop_stale_clusters(bindir: Path | None = None) -> list[Path]:
    """Stop and remove this account's clusters whose owner process is gone; the folders removed."""
    bindir = bindir or find_bindir()
    if not CLUSTERS_DIR.is_dir() or CLUSTERS_DIR.stat().st_uid != os.geteuid():
        return []
    stale = []
    for root in sorted(CLUSTERS_DIR.glob("cluster-*")):
        try:
            if _owner_alive(root):
                continue
        except OSError:  # removed meanwhile
            continue
        data = root / "data"
        if bindir is not None and (data / "postmaster.pid").exists():
            command = [str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"]
            user = _os_user()
            if user is not None:
                command = ["runuser", "-u", user, "--", *command]
            subprocess.run(command, capture_output=True, timeout=60, check=False)
        shutil.rmtree(root, ignore_errors=True)
        stale.append(root)
    return stale


@contextmanager
def running_cluster(durable: bool = False, settings: dict[str, str] | None = None) -> Iterator[PostgresCluster]:
    """A cluster for the duration of the block (benchmarks and scripts outside pytest use this)."""
    cluster = PostgresCluster(durable=durable, settings=settings)
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()


def wait_until_accepting(dsn: str, seconds: float = 30) -> None:
    import psycopg

    deadline = time.monotonic() + seconds
    while True:
        try:
            with psycopg.connect(dsn, connect_timeout=2):
                return
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)
