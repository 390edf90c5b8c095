"""Bench: durable, signed registrations per second on the reference base over SQLite and over
PostgreSQL, with 1, 2 and 4 server processes, in one run; the CPU per registration beside its floor.

    .venv/bin/python tests/bench/bench_base_engines.py [--count 1500] [--processes 1,2,4] [--json FILE]

For each engine and number of server processes (``lap-app base serve --workers N``), after a
warm-up of a fifth as many (connections to the base and to the database opened): sustained
registrations per second from ``bench_base``'s lean clients (keep-alive HTTPS, certificates
verified, every answer checked, every acknowledged registration found stored), and the CPU per
registration of the base's processes plus, on PostgreSQL, of the database server (all its
backends and background processes). PostgreSQL runs a throw-away cluster with its durable
defaults (fsync, synchronous_commit and full_page_writes on): a 201 means the WAL is flushed.

The floor of the CPU per registration, measured in the same run on each engine: the checks no
base can skip done plainly in one process (parse the request, canonical digest, RSA verification)
and one row inserted and committed durably, with the database server's CPU counted on PostgreSQL.

Also measured: the bytes each stored ordonnance takes on PostgreSQL (table, TOAST and indexes of
``prescriptions``, ``numbers`` and ``audit``), the base of the sizes in docs/scale.md.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_base  # noqa: E402

from postgres_cluster import running_cluster  # noqa: E402

ENGINES = ("sqlite", "postgresql")
SIZED_TABLES = ("prescriptions", "numbers", "audit")


def postmaster_pid(cluster) -> int:  # type: ignore[no-untyped-def]
    return int((cluster.data / "postmaster.pid").read_text().split()[0])


def table_bytes(url: str) -> dict[str, tuple[int, int]]:
    """Each sized table's total size (heap, TOAST, indexes) and its row count."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as db:
        db.execute("CHECKPOINT")
        return {table: (db.execute("SELECT pg_total_relation_size(%s::regclass)", (table,)).fetchone()[0],  # type: ignore[index]
                        db.execute(f"SELECT count(*) FROM {table}").fetchone()[0])  # type: ignore[index]
                for table in SIZED_TABLES}


def floor_cpu(work: Path, bundle: dict, count: int, url: str | None = None, database_pid: int | None = None) -> float:
    """CPU per registration of the plain checks and one durable insert (see the module's doc)."""
    import base64

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding
    from cryptography.hazmat.primitives.asymmetric.utils import Prehashed

    from lap_app.base_client.protocol import signed_digest, signer_certificate_b64

    if url is None:
        return bench_base.crypto_floor_cpu_per_registration(work, bundle, count)
    import psycopg

    text = json.dumps({"bundle": bundle})
    db = psycopg.connect(url, autocommit=True)
    db.execute("CREATE TABLE IF NOT EXISTS floor_prescriptions (number TEXT PRIMARY KEY, bundle TEXT)")
    database0 = bench_base.cpu_seconds(database_pid) if database_pid else 0.0
    started = time.process_time()
    for i in range(count):
        request = json.loads(text)["bundle"]
        digest = signed_digest(request)
        cert = x509.load_der_x509_certificate(base64.b64decode(signer_certificate_b64(request)))
        cert.public_key().verify(base64.b64decode(request["signature"]["data"]), digest,  # type: ignore[union-attr]
                                 padding.PKCS1v15(), Prehashed(hashes.SHA256()))
        db.execute("INSERT INTO floor_prescriptions VALUES (%s, %s)", (f"{i:016d}", text))  # one durable commit
    cpu = time.process_time() - started
    if database_pid:
        cpu += bench_base.cpu_seconds(database_pid) - database0
    db.close()
    return cpu / count


def curve(work: Path, count: int, processes: tuple[int, ...] = (1, 2, 4), clients: int = 32,
          client_procs: int = 2) -> dict:
    """Every engine × number of server processes, then each engine's floor and the sizes."""
    runs: list[dict] = []
    floors: dict[str, float] = {}
    sizes: dict[str, tuple[int, int]] = {}
    with running_cluster(durable=True, settings={"max_connections": "300"}) as cluster:
        pid = postmaster_pid(cluster)
        bundle = None
        for engine in ENGINES:
            for n in processes:
                url = cluster.dsn(cluster.create_database("bench")) if engine == "postgresql" else None
                run = bench_base.measure(work / f"{engine}-{n}", count, single=20, clients=clients,
                                         client_procs=client_procs, workers=n, database=url,
                                         database_pid=pid if url else None, warmup=count // 5)
                done = run["done"]
                runs.append({"engine": engine, "processes": n, "registrations": done,
                             "per_second": done / run["elapsed"],
                             "server_cpu_ms": run["server_cpu"] / done * 1e3,
                             "database_cpu_ms": run["database_cpu"] / done * 1e3,
                             "client_cpu_ms": run["client_cpu"] / done * 1e3})
                print(_line(runs[-1]), flush=True)
                bundle = run["bundle"]
                if url is not None and n == processes[-1]:
                    sizes = table_bytes(url)
        assert bundle is not None
        floor_count = max(100, min(count, 500))
        floors["sqlite"] = floor_cpu(work, bundle, floor_count)
        floors["postgresql"] = floor_cpu(work, bundle, floor_count, cluster.dsn(cluster.create_database("floor")), pid)
    for run in runs:
        run["floor_cpu_ms"] = floors[run["engine"]] * 1e3
        run["ratio"] = (run["server_cpu_ms"] + run["database_cpu_ms"]) / run["floor_cpu_ms"]
    return {"runs": runs, "floor_cpu_ms": {k: v * 1e3 for k, v in floors.items()},
            "bytes": {table: {"total": total, "rows": rows} for table, (total, rows) in sizes.items()}}


def _line(run: dict) -> str:
    return (f"{run['engine']:>10}, {run['processes']} process{'es' if run['processes'] > 1 else '  '}: "
            f"{run['per_second']:6.0f} registrations/s; CPU per registration: base {run['server_cpu_ms']:.2f} ms"
            f" + database {run['database_cpu_ms']:.2f} ms (clients {run['client_cpu_ms']:.2f} ms)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1500, help="sustained registrations per run")
    parser.add_argument("--processes", default="1,2,4")
    parser.add_argument("--clients", type=int, default=32, help="concurrent keep-alive connections")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores (clients, base and database share them)")
    with tempfile.TemporaryDirectory(prefix="bench-engines-") as tmp:
        result = curve(Path(tmp), args.count, tuple(int(n) for n in args.processes.split(",")), args.clients)
    print("CPU per registration (base + database) beside its floor (plain checks + one durable insert):")
    for run in result["runs"]:
        print(f"  {run['engine']:>10} × {run['processes']}: {run['server_cpu_ms'] + run['database_cpu_ms']:.2f} ms,"
              f" floor {run['floor_cpu_ms']:.2f} ms, ratio {run['ratio']:.2f}")
    print("PostgreSQL bytes per row (heap + TOAST + indexes):")
    for table, size in result["bytes"].items():
        print(f"  {table:>13}: {size['total'] / max(1, size['rows']):7.0f} B ({size['rows']} rows)")
    out = args.json or ROOT / "build" / "bench" / f"base-engines-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"when": datetime.now(UTC).isoformat(timespec="seconds"),
                               "load": os.getloadavg()[0], **result}, indent=2) + "\n", encoding="utf-8")
    print(f"results: {out}")


if __name__ == "__main__":
    main()
