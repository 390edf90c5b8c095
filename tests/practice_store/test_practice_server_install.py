"""packaging/practice_server.sh, run for real: a Debian cluster (postgresql-common) in a temporary
directory, the practice's CA and password, then a workstation pointed at it with the command the
script prints (``lap-app practice-server URL --ca``, ``sslmode=verify-full``).

The script's own configuration root (``PG_CLUSTER_CONF_ROOT``), port, data, socket and log places
keep it out of /etc and /var. Without root it installs a server of the current user's own; as root
(a CI container) it installs one run by the postgres account, and the unprivileged path is run too,
as that account: both are what a practice or a developer would run.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from required_services import require_service

from lap_app.storage.errors import StoreRefused

from postgres_cluster import _clusters_dir, _write_owner, find_bindir, free_port

pytestmark = pytest.mark.postgresql

REPO_ROOT = Path(__file__).resolve().parents[2]
SCRIPT = REPO_ROOT / "packaging" / "practice_server.sh"
SERVER_ACCOUNT = os.environ.get("LAP_PG_OS_USER", "postgres")  # who runs the server when we are root
AS_ROOT = os.geteuid() == 0
# as root: the practice's real path (root, server run by postgres), then the one without root
WAYS = ["root", "unprivileged"] if AS_ROOT else ["unprivileged"]
# What does not depend on who ran the script (the TLS rules, the files, a second run) is checked on
# the first way only: the second install still connects, keeps least privilege and refuses /etc.
first_way_only = pytest.mark.parametrize("installed", WAYS[:1], indirect=True)


@dataclass
class InstalledServer:
    root: Path
    env: dict[str, str]
    account: list[str]  # the command prefix that runs a program as the script's user
    owner: str  # the cluster's owner, its superuser
    first_output: str

    @property
    def practice_dir(self) -> Path:
        return self.root / "practice"

    @property
    def cluster(self) -> str:
        """The Debian cluster's name: unique, as PostgreSQL writes its pid under /run/postgresql
        by version and name (two sessions installing at once must not share it)."""
        return self.env["PG_CLUSTER"]

    @property
    def ca(self) -> Path:
        return self.practice_dir / "ca.pem"

    def run_script(self, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*self.account, "bash", str(SCRIPT), *args], env=env or self.env,
                              capture_output=True, text=True, timeout=300, check=False)

    def admin(self, sql: str, database: str = "postgres") -> str:
        """One statement as the cluster's superuser, through its local socket."""
        as_owner = ["runuser", "-u", self.owner, "--"] if AS_ROOT else []
        done = subprocess.run([*as_owner, "psql", "--cluster", f"{self.version}/{self.cluster}", "-U", self.owner,
                               "-d", database, "-v", "ON_ERROR_STOP=1", "-qtAc", sql],
                              env=self.env, capture_output=True, text=True, timeout=60, check=False)
        assert done.returncode == 0, done.stderr
        return done.stdout.strip()

    @property
    def version(self) -> str:
        """PostgreSQL's major version the script chose (its configuration folder's name)."""
        return next((self.root / "conf").iterdir()).name

    @property
    def url(self) -> str:
        return printed_url(self.first_output)


def printed_url(output: str) -> str:
    found = re.search(r"lap-app practice-server '([^']+)' --ca", output)
    assert found, output
    return found.group(1)


def _install(way: str) -> InstalledServer:
    if shutil.which("pg_createcluster") is None or find_bindir() is None:
        require_service(False, "PostgreSQL (Debian's postgresql and postgresql-common packages)")
    # among the test clusters, its owner (this process) named: a session killed before its teardown
    # leaves a server that the next session's cluster start stops and removes
    root = Path(tempfile.mkdtemp(prefix="cluster-practice-server-", dir=_clusters_dir()))
    _write_owner(root)
    root.chmod(0o755)  # the server's account reaches its directories inside
    account, owner = [], SERVER_ACCOUNT
    if way == "unprivileged" and AS_ROOT:
        account = ["runuser", "-u", SERVER_ACCOUNT, "--"]
        shutil.chown(root, SERVER_ACCOUNT, SERVER_ACCOUNT)
    elif way == "unprivileged":
        import pwd

        owner = pwd.getpwuid(os.geteuid()).pw_name
    env = {**os.environ, "PG_CLUSTER": f"lap_{root.name[-8:].lower()}", "PG_CLUSTER_CONF_ROOT": str(root / "conf"),
           "LAP_PRACTICE_DIR": str(root / "practice"),
           "LAP_PG_PORT": str(free_port()), "LAP_PG_DATA_DIR": str(root / "data"),
           "LAP_PG_SOCKET_DIR": str(root / "sockets"), "LAP_PG_LOG": str(root / "server.log"),
           "LAP_PG_LISTEN": "127.0.0.1"}
    server = InstalledServer(root, env, account, owner, "")
    done = server.run_script("localhost", "127.0.0.1/32")
    if done.returncode != 0:  # PostgreSQL is there: the script itself failed
        _remove(server)
        pytest.fail(f"practice_server.sh failed ({way}): {done.stderr.strip()}", pytrace=False)
    server.first_output = done.stdout
    return server


def _remove(server: InstalledServer) -> None:
    for conf in (server.root / "conf").glob(f"*/{server.cluster}"):
        subprocess.run([*server.account, "pg_dropcluster", "--stop", conf.parent.name, server.cluster], env=server.env,
                       capture_output=True, timeout=120, check=False)
    shutil.rmtree(server.root, ignore_errors=True)


@pytest.fixture(scope="module", params=WAYS)
def installed(request: pytest.FixtureRequest) -> Iterator[InstalledServer]:
    server = _install(request.param)
    try:
        yield server
    finally:
        _remove(server)


def _workstation_env(tmp_path: Path) -> dict[str, str]:
    return {**os.environ, "LAP_DATA_DIR": str(tmp_path / "data"), "LAP_CONFIG_DIR": str(tmp_path / "config"),
            "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}


def _lap_app(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "lap_app", *args], env=env, cwd=REPO_ROOT, capture_output=True,
                          text=True, timeout=120, check=False)


def test_the_workstation_connects_with_the_printed_command(installed: InstalledServer, tmp_path: Path) -> None:
    from lap_app.storage import LocalStore

    assert "Serveur du cabinet prêt (localhost:" in installed.first_output
    assert f"copiez {installed.ca}" in installed.first_output
    env = _workstation_env(tmp_path)
    pointed = _lap_app("practice-server", installed.url, "--ca", str(installed.ca), env=env)
    assert pointed.returncode == 0, pointed.stderr
    assert "utilise désormais le serveur du cabinet localhost:" in pointed.stdout
    checked = _lap_app("practice-server", env=env)  # as saved in this user's settings
    assert checked.returncode == 0, checked.stderr
    assert "Connexion vérifiée ; 0 ordonnance(s) en attente d'envoi." in checked.stdout
    # the schema was created by the LAP account, in its own database, and it is reached over TLS
    store = LocalStore(installed.url, ca_path=str(installed.ca))
    try:
        assert store.conn.execute("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()").fetchone()[0] is True
        assert store.conn.execute("SELECT current_user").fetchone()[0] == "lap"
    finally:
        store.close()
    owners = installed.admin("SELECT DISTINCT tableowner FROM pg_tables WHERE schemaname = 'public'", "lap_cabinet")
    assert owners == "lap"


@first_way_only
def test_only_tls_with_the_practice_certificate_gets_in(installed: InstalledServer, tmp_path: Path) -> None:
    from lap_app.standins.pki import init_pki
    from lap_app.storage import LocalStore

    url = installed.url
    without_tls = url.replace("@localhost:", "@127.0.0.1:") + "?sslmode=disable"
    with pytest.raises(psycopg.OperationalError, match="no encryption"):
        psycopg.connect(without_tls, connect_timeout=10).close()
    with pytest.raises(StoreRefused, match="n'accepte que les connexions chiffrées"):
        LocalStore(without_tls)  # what the workstation says, in French
    # a name the certificate does not carry, a CA that is not the practice's: refused
    with pytest.raises(StoreRefused, match="ne porte pas ce nom de serveur"):
        LocalStore(url.replace("@localhost:", "@127.0.0.1:"), ca_path=str(installed.ca))
    stranger = init_pki(tmp_path / "other-pki")
    with pytest.raises(StoreRefused, match="certificat"):
        LocalStore(url, ca_path=str(stranger.ca_cert_path))
    settings = installed.admin("SELECT name || '=' || setting FROM pg_settings WHERE name IN "
                               "('ssl', 'ssl_min_protocol_version', 'password_encryption', 'listen_addresses') "
                               "ORDER BY name").splitlines()
    assert settings == ["listen_addresses=127.0.0.1", "password_encryption=scram-sha-256", "ssl=on",
                        "ssl_min_protocol_version=TLSv1.2"]


def test_the_lap_account_owns_its_database_and_nothing_else(installed: InstalledServer) -> None:
    url, ca = installed.url, str(installed.ca)
    rights = installed.admin("SELECT rolsuper, rolcreatedb, rolcreaterole, rolreplication, rolbypassrls, "
                             "rolpassword LIKE 'SCRAM-SHA-256$%' FROM pg_authid WHERE rolname = 'lap'")
    assert rights == "f|f|f|f|f|t"
    assert installed.admin("SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = 'lap_cabinet'") == "lap"
    public = installed.admin("SELECT count(*) FROM pg_database d, aclexplode(d.datacl) a "
                             "WHERE d.datname = 'lap_cabinet' AND a.grantee = 0")
    assert public == "0"  # no other role may connect to it
    with psycopg.connect(url, sslmode="verify-full", sslrootcert=ca, autocommit=True, connect_timeout=10) as conn:
        for statement in ("CREATE DATABASE elsewhere", "CREATE ROLE intruder", "SELECT * FROM pg_authid",
                          "ALTER SYSTEM SET ssl = off"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(statement)  # type: ignore[arg-type]
    with pytest.raises(psycopg.OperationalError, match=r"pg_hba\.conf rejects"):
        psycopg.connect(url.replace("/lap_cabinet", "/postgres"), sslmode="verify-full", sslrootcert=ca,
                        connect_timeout=10).close()


@first_way_only
def test_the_practice_secrets_are_private(installed: InstalledServer) -> None:
    def mode(path: Path) -> int:
        return stat.S_IMODE(path.stat().st_mode)

    assert mode(installed.practice_dir) == 0o700
    for name in ("ca.key", "server.key", "password"):
        assert mode(installed.practice_dir / name) == 0o600, name
    assert installed.admin("SELECT count(*) FROM pg_authid WHERE rolname = 'lap' AND rolpassword IS NOT NULL") == "1"
    assert (installed.practice_dir / "password").read_text().strip() in installed.url


# The rules an older version of the script wrote in front of Debian's (no end mark, and the LAP
# account could still reach the other databases through Debian's own rules).
OLDER_BLOCK = """# LAP practice server: the workstations, over TLS, with a password; nothing else from the network
hostssl   lap_cabinet  lap  127.0.0.1/32  scram-sha-256
hostnossl all        all    0.0.0.0/0 reject
hostnossl all        all    ::/0      reject
"""


@first_way_only
def test_a_second_run_keeps_the_ca_the_key_and_the_password(installed: InstalledServer, tmp_path: Path) -> None:
    from lap_app.storage import LocalStore

    kept = {name: (installed.practice_dir / name).read_bytes() for name in ("ca.pem", "ca.key", "server.key", "password")}
    hba_path = installed.root / "conf" / installed.version / installed.cluster / "pg_hba.conf"
    debian_rules = hba_path.read_text().split("# end of LAP practice server\n", 1)[1]
    hba_path.write_text(OLDER_BLOCK + debian_rules)  # as an older version left it
    again = installed.run_script("localhost", "127.0.0.0/8")  # and the practice's network changed
    assert again.returncode == 0, again.stderr
    assert printed_url(again.stdout) == installed.url
    assert {name: (installed.practice_dir / name).read_bytes() for name in kept} == kept
    hba = hba_path.read_text()
    assert hba.count("# LAP practice server") == 1 and hba.endswith(debian_rules)
    assert [line for line in hba.splitlines() if line.startswith("hostssl")] == [
        "hostssl   lap_cabinet  lap  127.0.0.0/8  scram-sha-256"]
    LocalStore(installed.url, ca_path=str(installed.ca)).close()  # the workstations need nothing new
    with pytest.raises(psycopg.OperationalError, match=r"pg_hba\.conf rejects"):
        psycopg.connect(installed.url.replace("/lap_cabinet", "/postgres"), sslmode="verify-full",
                        sslrootcert=str(installed.ca), connect_timeout=10).close()


def test_without_root_it_needs_a_place_of_its_own(installed: InstalledServer) -> None:
    env = {key: value for key, value in installed.env.items() if key != "PG_CLUSTER_CONF_ROOT"}
    account = installed.account or (["runuser", "-u", SERVER_ACCOUNT, "--"] if AS_ROOT else [])
    done = subprocess.run([*account, "bash", str(SCRIPT), "localhost"], env=env, capture_output=True, text=True,
                          timeout=60, check=False)
    assert done.returncode == 1
    assert done.stderr.strip() == "À lancer en administrateur (sudo)."
