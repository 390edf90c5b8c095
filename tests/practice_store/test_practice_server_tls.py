"""TLS to the practice server, with the certificate checked (``sslmode=verify-full`` against the
CA file of the settings): the right CA connects, another CA and a server without TLS are refused
in French."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from lap_app.storage.errors import StoreRefused

from postgres_cluster import PostgresCluster

pytestmark = pytest.mark.postgresql


@pytest.fixture
def tls_cluster(postgres_tls_cluster: tuple[PostgresCluster, Path]) -> tuple[PostgresCluster, str]:
    cluster, ca = postgres_tls_cluster
    return cluster, str(ca)


def test_the_practice_server_is_reached_over_checked_tls(tls_cluster) -> None:
    from lap_app.storage import LocalStore

    cluster, ca = tls_cluster
    store = LocalStore(cluster.dsn(), ca_path=ca)  # 127.0.0.1: a name the certificate carries
    try:
        ssl_in_use = store.conn.execute("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()").fetchone()[0]
        assert ssl_in_use is True
        assert store.outbox() == []
    finally:
        store.close()


def test_a_certificate_from_another_authority_is_refused(tls_cluster, tmp_path) -> None:
    from lap_app.standins.pki import init_pki
    from lap_app.storage import LocalStore

    cluster, _ca = tls_cluster
    stranger = init_pki(tmp_path / "other-pki")
    with pytest.raises(StoreRefused, match="certificat"):
        LocalStore(cluster.dsn(), ca_path=str(stranger.ca_cert_path))


def test_a_server_without_tls_is_refused_when_a_ca_is_set(postgres_cluster: PostgresCluster, tls_cluster) -> None:
    from lap_app.storage import LocalStore

    _cluster, ca = tls_cluster
    with pytest.raises(StoreRefused, match="n'accepte pas les connexions chiffrées"):
        LocalStore(postgres_cluster.dsn(), ca_path=ca)


def test_without_a_ca_a_local_server_still_works(tls_cluster) -> None:
    cluster, _ca = tls_cluster
    with psycopg.connect(cluster.dsn(), connect_timeout=5) as conn:
        assert conn.execute("SELECT 1").fetchone() == (1,)
