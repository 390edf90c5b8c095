"""The base on PostgreSQL: two servers of two processes each, on two ports, sharing one database.
What SQLite got from its single writer holds across processes and servers: a number is issued
once, registered once (concurrent replays of it answer 200), dispensed once, an execution id is
recorded once, and every request leaves its audit row. Faults of the database get French words."""

from __future__ import annotations

import subprocess
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from attack_support import Insider, insider

from circuit_support import LAP_APP, REPO, running_base

pytestmark = pytest.mark.postgresql


@pytest.fixture(scope="module")
def two_servers(tmp_path_factory, pki_dir, postgres_database):  # type: ignore[no-untyped-def]
    database = postgres_database()
    data_dir = tmp_path_factory.mktemp("shared-base")  # the token key: one token serves on both
    with running_base(data_dir, pki_dir, database=database, workers=2) as first, \
            running_base(data_dir, pki_dir, database=database, workers=2) as second:
        assert first.port != second.port
        yield first, second


@pytest.fixture(scope="module")
def physician(two_servers, pki_dir):  # type: ignore[no-untyped-def]
    """One prescriber, authenticated and enrolled through the first server, also at the second."""
    from lap_app.standins.pki import init_pki

    first, second = two_servers
    on_first = insider(first, init_pki(pki_dir).holder("medecin"), enrol=True)
    on_second = Insider(second, on_first.holder, on_first.installation, on_first.token)
    yield on_first, on_second
    on_first.close()
    on_second.close()


def _in_parallel(calls: list, workers: int = 8) -> list:  # type: ignore[type-arg]
    with ThreadPoolExecutor(workers) as pool:
        return list(pool.map(lambda call: call(), calls))


def test_numbers_issued_and_registered_once_whichever_server_answers(two_servers, physician) -> None:  # type: ignore[no-untyped-def]
    first, _second = two_servers
    batches = _in_parallel([lambda person=person: person.numbers(10) for person in physician * 4])
    numbers = [n for batch in batches for n in batch]
    assert len(numbers) == len(set(numbers)) == 80
    assert first.rows("SELECT count(*) FROM numbers WHERE number = ANY(?)", numbers) == [(80,)]
    chosen = numbers[:20]
    bundles = {n: physician[0].signed_bundle(n) for n in chosen}
    # each ordonnance sent four times at once, twice to each server (a client retrying meanwhile)
    answers = _in_parallel([lambda person=person, n=n: (n, person.register(n, bundles[n]))
                            for n in chosen for person in physician * 2], workers=16)
    for number in chosen:
        statuses = sorted(r.status_code for n, r in answers if n == number)
        assert statuses == [200, 200, 200, 201], (number, [r.text for n, r in answers if n == number])
    assert first.rows("SELECT count(*) FROM prescriptions WHERE number = ANY(?)", numbers) == [(20,)]
    assert sorted(first.rows("SELECT outcome, count(*) FROM audit WHERE action = 'register' AND number = ANY(?)"
                             " GROUP BY outcome", chosen)) == [("ok", 20), ("replayed", 60)]
    assert first.rows("SELECT count(*) FROM numbers WHERE state = 'used' AND number = ANY(?)", numbers) == [(20,)]
    # another content under a registered number: refused by both servers, and audited
    other = physician[0].signed_bundle(chosen[0], opposition=True)
    assert [person.register(chosen[0], other).status_code for person in physician] == [409, 409]
    assert first.rows("SELECT count(*) FROM audit WHERE number = ? AND outcome = 'refused:409:number_used'",
                      chosen[0]) == [(2,)]


def test_one_dispensing_and_one_execution_however_many_arrive_at_once(two_servers, physician, pki_dir) -> None:  # type: ignore[no-untyped-def]
    from lap_app.standins.pki import init_pki

    first, second = two_servers
    pki = init_pki(pki_dir)
    number = physician[0].prescribe()
    pharmacists = [insider(server, pki.holder("pharmacien"), physician[0].installation)
                   for server in (first, second, first, second)]
    body = {"lines": [{"line": 1, "quantity": 1}], "complete": True}
    statuses = _in_parallel([lambda p=p: p.call("POST", f"/pharmacy/prescriptions/{number}/dispensings", body)
                             .status_code for p in pharmacists * 2])
    assert sorted(statuses) == [200] + [410] * 7  # the first closes the number: the others find it closed
    assert first.rows("SELECT count(*) FROM dispensings WHERE number = ?", number) == [(1,)]

    sessions = physician[0].prescribe(kind="podologie")  # 5 sessions, no weekly rhythm
    orthoptists = [insider(server, pki.holder("podologue"), physician[0].installation) for server in two_servers]
    execution_id = uuid.uuid4().hex
    path = f"/prescrit/prescriptions/{sessions}/executions/{execution_id}"
    answers = _in_parallel([lambda o=o: o.call("PUT", path, {"lines": [{"line": 1, "count": 2}]})
                            for o in orthoptists * 4])
    assert {a.status_code for a in answers} == {200}
    assert sorted(a.json()["replayed"] for a in answers) == [False] + [True] * 7
    assert {a.json()["lines"][0]["done"] for a in answers} == {2}
    assert first.rows("SELECT count(*) FROM execution_lines WHERE number = ?", sessions) == [(1,)]
    assert sorted(first.rows("SELECT outcome FROM audit WHERE number = ? AND action = 'execute'", sessions)) == \
        [("ok:partly_dispensed",)] + [("replayed",)] * 7  # the replays are answered and audited, not recorded again
    for person in (*pharmacists, *orthoptists):
        person.close()


def _serve(tmp_path, pki_dir, database: str) -> subprocess.CompletedProcess:  # type: ignore[type-arg]
    return subprocess.run([*LAP_APP, "base", "serve", "--port", "0", "--data-dir", str(tmp_path / "data"),
                           "--pki", str(pki_dir), "--database", database],
                          capture_output=True, text=True, timeout=60, cwd=REPO)


def test_database_faults_are_told_in_french(postgres_cluster, postgres_database, pki_dir, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from circuit_support import free_port, postgres_rows

    wrong_password = postgres_cluster.dsn().replace(f":{postgres_cluster.password}@", ":wrong@")
    nobody_listens = postgres_cluster.dsn().replace(f":{postgres_cluster.port}/", f":{free_port()}/")
    from lap_app.standins.base_server.store_postgres import PostgresBaseStore

    newer = postgres_database()
    PostgresBaseStore(newer).close()  # the tables of this version…
    postgres_rows(newer, "UPDATE base_schema SET version = version + 1")  # …as a later version left them
    for database, words in ((wrong_password, "accès refusé"), (nobody_listens, "injoignable"),
                            ("mysql://base@localhost/base", "postgresql://"),
                            (newer, "version plus récente")):
        result = _serve(tmp_path, pki_dir, database)
        assert result.returncode != 0
        assert words in result.stderr and "Traceback" not in result.stderr, result.stderr
        assert postgres_cluster.password not in result.stderr


def test_the_base_runs_on_an_account_that_owns_its_database_and_nothing_else(postgres_cluster, pki_dir,
                                                                             tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Least privilege: no superuser, no role or database creation; the account owns the base's
    database, creates its tables there and takes its advisory locks, and is refused anything else."""
    import secrets

    import psycopg

    from lap_app.standins.pki import init_pki

    from postgres_cluster import dsn_for

    account, password = f"base_{uuid.uuid4().hex[:8]}", secrets.token_urlsafe(12)
    postgres_cluster.execute(f"CREATE ROLE {account} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD '{password}'")
    database = postgres_cluster.create_database("least")
    postgres_cluster.execute(f'ALTER DATABASE "{database}" OWNER TO {account}')
    postgres_cluster.execute(f'REVOKE ALL ON DATABASE "{database}" FROM PUBLIC')
    url = dsn_for(account, password, postgres_cluster.port, database)
    try:
        with running_base(tmp_path / "base", pki_dir, database=url, workers=2) as base:
            physician = insider(base, init_pki(pki_dir).holder("medecin"), enrol=True)
            numbers = [physician.prescribe() for _ in range(3)]
            physician.close()
            assert base.rows("SELECT count(*) FROM prescriptions WHERE number = ANY(?)", numbers) == [(3,)]
            owners = base.rows("SELECT DISTINCT tableowner FROM pg_tables WHERE schemaname = current_schema()")
            assert owners == [(account,)]
        with psycopg.connect(url, autocommit=True) as conn:
            for statement in ("CREATE DATABASE elsewhere", "CREATE ROLE intruder", "SELECT * FROM pg_authid"):
                with pytest.raises(psycopg.errors.InsufficientPrivilege):
                    conn.execute(statement)  # type: ignore[arg-type]
    finally:
        postgres_cluster.drop_database(database)
        postgres_cluster.execute(f"DROP ROLE {account}")
