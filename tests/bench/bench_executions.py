"""Bench: a prescrit's executions on the reference base over loopback HTTPS, beside the
registrations of ``bench_base`` (the same lean load generators, the same TLS, every answer
checked, every acknowledged execution durable).

    .venv/bin/python tests/bench/bench_executions.py [--count 2000] [--clients 16] [--profile FILE]

Prints sustained executions per second (a pharmacist recording one box of a line, each execution
under its own id, the ordonnance read, its lines and periods checked, the record and its audit
row committed), the server's CPU per execution and its floor: the same work done plainly in one
process (parse the request, read the ordonnance and parse its Bundle, insert the execution and
its ledger row, commit durably).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sqlite3
import sys
import tempfile
import time
import uuid
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "base"))
sys.path.insert(0, str(ROOT / "tests" / "bench"))

from bench_base import cpu_seconds, start_profiler, stop_profiler, sustained  # noqa: E402

from circuit_support import running_base  # noqa: E402

BOXES_PER_ORDONNANCE = 50  # line 2 of the example ordonnance: 50 boxes in its first period
EXECUTION = ("/v1/prescrit/prescriptions/{}", "HTTP/1.1 200", '"partly_dispensed"')
BODY = json.dumps({"lines": [{"line": 2, "quantity": 1}], "complete": False}).encode()


def measure_executions(work: Path, count: int, clients: int = 16, client_procs: int = 2,
                       profile: str | None = None) -> dict:
    """A base in ``work`` with ``count / 50`` registered ordonnances, then ``count`` sustained
    executions; every acknowledged one checked to be stored."""
    from attack_support import insider

    from lap_app.base_client.client import InstallationCredential, Token
    from lap_app.standins.pki import init_pki

    pki = init_pki(work / "pki")
    with running_base(work / "base", work / "pki", token_ttl=3600) as base:
        physician = insider(base, pki.holder("medecin"), enrol=True)
        numbers = [physician.prescribe() for _ in range(math.ceil(count / BOXES_PER_ORDONNANCE))]
        pharmacist = insider(base, pki.holder("pharmacien"), physician.installation)
        installation_id, secret = physician.installation.split(".", 1)
        auth = SimpleNamespace(token=Token(pharmacist.token, time.time() + 3600, pharmacist.national_id, "21"),
                               installation=InstallationCredential(installation_id, secret))
        items = [(f"{numbers[i // BOXES_PER_ORDONNANCE]}/executions/{uuid.uuid4().hex}", BODY) for i in range(count)]
        spy = start_profiler(base.process.pid, profile)
        server_cpu0 = cpu_seconds(base.process.pid)
        done, elapsed, client_cpu, latencies = sustained(base.port, base.ca, auth, items, clients, client_procs,
                                                         False, encode=lambda body: body, operation=EXECUTION)
        server_cpu = cpu_seconds(base.process.pid) - server_cpu0
        stop_profiler(spy)
        stored = base_rows(base, "SELECT count(*) FROM executions")
        assert stored == done == count, (stored, done, count)
        for person in (physician, pharmacist):
            person.close()
        bundle = base_rows(base, "SELECT bundle FROM prescriptions LIMIT 1")
    return {"done": done, "elapsed": elapsed, "server_cpu": server_cpu, "client_cpu": client_cpu,
            "latencies": latencies, "bundle": bundle}


def base_rows(base, sql: str):  # type: ignore[no-untyped-def]
    with sqlite3.connect(base.data_dir / "base.sqlite3") as db:
        return db.execute(sql).fetchone()[0]


def floor_cpu_per_execution(work: Path, bundle_text: str, count: int) -> float:
    """CPU per execution of what no base can skip, done plainly in one process: parse the
    request, read the ordonnance and parse its Bundle (its lines say what may be done), insert
    the execution and its ledger row, commit durably (WAL, synchronous=FULL)."""
    db = sqlite3.connect(work / "execution-floor.sqlite3", isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=FULL")
    db.execute("CREATE TABLE IF NOT EXISTS prescriptions (number TEXT PRIMARY KEY, bundle TEXT)")
    db.execute("CREATE TABLE IF NOT EXISTS executions (id TEXT PRIMARY KEY, number TEXT)")
    db.execute("CREATE TABLE IF NOT EXISTS dispensings (id INTEGER PRIMARY KEY, number TEXT, line INTEGER, quantity REAL)")
    db.execute("INSERT OR REPLACE INTO prescriptions VALUES ('1', ?)", (bundle_text,))
    started = time.process_time()
    for _ in range(count):
        request = json.loads(BODY)
        bundle = json.loads(db.execute("SELECT bundle FROM prescriptions WHERE number = '1'").fetchone()[0])
        assert len(bundle["entry"]) >= request["lines"][0]["line"]
        db.execute("BEGIN IMMEDIATE")
        db.execute("INSERT INTO executions VALUES (?, '1')", (uuid.uuid4().hex,))
        db.execute("INSERT INTO dispensings (number, line, quantity) VALUES ('1', ?, ?)",
                   (request["lines"][0]["line"], request["lines"][0]["quantity"]))
        db.execute("COMMIT")
    cpu = time.process_time() - started
    db.close()
    return cpu / count


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--profile", metavar="FILE", help="py-spy raw profile of the server during the sustained run")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-executions-"))
    os.environ.setdefault("LAP_DATA_DIR", str(work / "data"))
    run = measure_executions(work, args.count, args.clients, profile=args.profile)
    floor = floor_cpu_per_execution(work, run["bundle"], min(args.count, 500))
    print(f"sustained: {run['done']} executions in {run['elapsed']:.2f} s = {run['done'] / run['elapsed']:.0f} "
          f"executions/s ({args.clients} keep-alive connections, clients and server share the 2 cores)")
    print(f"  CPU per execution: server {run['server_cpu'] / run['done'] * 1000:.2f} ms, "
          f"floor {floor * 1000:.2f} ms, clients {run['client_cpu'] / run['done'] * 1000:.2f} ms")
    import shutil

    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
