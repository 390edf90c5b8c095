"""The suite's throw-away PostgreSQL cluster: a real server, not run as root, password-protected,
one fresh database per test."""

from __future__ import annotations

import os
from pathlib import Path

import psycopg
import pytest

from postgres_cluster import PostgresCluster

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
