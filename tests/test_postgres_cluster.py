"""The suite's throw-away PostgreSQL cluster: a real server, not run as root, password-protected,
one fresh database per test, that does not outlive the session that started it (killed with
SIGKILL, it is stopped at once, or by the next session)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest

from postgres_cluster import PostgresCluster, stop_stale_clusters

pytestmark = pytest.mark.postgresql


def test_the_cluster_is_a_real_server_run_by_an_unprivileged_account(postgres_cluster: PostgresCluster, postgres_dsn: str) -> None:
    with psycopg.connect(postgres_dsn) as conn:
        version = conn.execute("SHOW server_version_num").fetchone()
        data_directory = conn.execute("SHOW data_directory").fetchone()
    assert version is not None and int(version[0]) >= 130000
    assert data_directory is not None
    pid_file = Path(data_directory[0]) / "postmaster.pid"
    server_pid = int(pid_file.read_text(encoding="utf-8").splitlines()[0])
    assert os.stat(f"/proc/{server_pid}").st_uid != 0
    assert Path(data_directory[0]).is_relative_to(postgres_cluster.root)


def test_a_wrong_password_is_refused(postgres_cluster: PostgresCluster) -> None:
    wrong = postgres_cluster.dsn().replace(postgres_cluster.password, "not-the-password")
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        psycopg.connect(wrong, connect_timeout=5)


def test_each_test_gets_a_new_empty_database(postgres_cluster: PostgresCluster, fresh_postgres_database: str) -> None:
    with psycopg.connect(fresh_postgres_database) as conn:
        conn.execute("CREATE TABLE patients (id integer)")
        tables = conn.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'"
        ).fetchone()
    assert tables == (1,)
    with postgres_cluster.fresh_database() as other, psycopg.connect(other) as conn:
        assert conn.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'"
        ).fetchone() == (0,)
        name = conn.info.dbname
    with psycopg.connect(postgres_cluster.dsn()) as conn:
        assert conn.execute("SELECT count(*) FROM pg_database WHERE datname = %s", (name,)).fetchone() == (0,)


# A session of its own: starts a cluster, says where (its folder, its watchdog's pid), then waits.
OWNER = """
import sys, time
sys.path.insert(0, sys.argv[1])
from postgres_cluster import PostgresCluster
cluster = PostgresCluster().start()
print(cluster.root, cluster._watchdog.pid, flush=True)
time.sleep(600)
"""


def _cluster_of_another_session() -> tuple[subprocess.Popen[str], Path, int, int]:
    """(the session, its cluster's folder, the watchdog's pid, the server's pid)."""
    session = subprocess.Popen([sys.executable, "-c", OWNER, str(Path(__file__).parent)], stdout=subprocess.PIPE,
                               text=True)
    assert session.stdout is not None
    root, watchdog = session.stdout.readline().split()
    server = int((Path(root) / "data" / "postmaster.pid").read_text(encoding="utf-8").splitlines()[0])
    return session, Path(root), int(watchdog), server


def _running(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text(encoding="ascii").rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _kill(session: subprocess.Popen[str]) -> None:
    session.kill()
    session.wait()
    if session.stdout is not None:
        session.stdout.close()


def test_a_cluster_stops_when_its_session_is_killed(postgres_cluster: PostgresCluster) -> None:
    session, root, _watchdog, server = _cluster_of_another_session()
    assert _running(server)
    _kill(session)
    deadline = time.monotonic() + 60
    while (_running(server) or root.exists()) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _running(server) and not root.exists()


def test_the_next_session_stops_a_cluster_left_running(postgres_cluster: PostgresCluster) -> None:
    """The session and its watchdog both killed: the next cluster started stops it."""
    session, root, watchdog, server = _cluster_of_another_session()
    os.kill(watchdog, signal.SIGKILL)
    deadline = time.monotonic() + 60
    while _running(watchdog) and time.monotonic() < deadline:
        time.sleep(0.1)
    # Checked while its owner is still alive: once the owner is gone, any cluster start stops it
    # (another worker's session cluster too, at any moment), so « still running » after the
    # owner's death would depend on what the other workers do meanwhile.
    assert not _running(watchdog) and _running(server) and root.exists()
    _kill(session)  # left running, its owner gone
    PostgresCluster().start().stop()
    assert not _running(server) and not root.exists()
    assert stop_stale_clusters() == []  # the session's own cluster, its owner alive, is left alone
    assert (postgres_cluster.root / "data").exists()
