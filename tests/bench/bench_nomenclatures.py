"""Bench of the NABM and LPP nomenclatures on the full shipped tables (not collected by pytest).

    .venv/bin/python tests/bench/bench_nomenclatures.py [--repeat N]

Targets: search p95 ≤ 1 ms on the full tables; importing both ≤ 2 s. Each search is printed
beside its floor, the raw FTS5 lookup of the same words on the same index with no
abbreviations, no ranking and no Python objects, as a ratio. The import is printed beside
its floor, reading both CSV files with ``csv.reader`` and inserting the rows as they are
into plain tables. Wall-clock and CPU time are both printed: on a machine shared by several
builds the wall clock includes waits for a CPU.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path

from lap_app.nomenclatures import NomenclatureDatabase, build_database
from lap_app.nomenclatures.abbreviations import fold_query
from lap_app.nomenclatures.importer import shipped_source

QUERIES = {
    "biologie": ["NFS", "tsh", "hba1c", "INR", "crp", "ecbu", "eal", "glycémie à jeun", "ionogramme",
                 "créatininémie", "h", "he", "hem", "hemog", "glucose", "ferritine", "vitamine d", "0552",
                 "55", "spirochetes rech"],
    "dispositifs": ["bandelettes", "bas de contention", "lecteur de glycémie", "a", "au", "aut", "fauteuil",
                    "fauteuil roulant", "pansement", "lit medical", "orthese genou", "1101720", "110",
                    "sonde urinaire", "chaussette"],
}
TABLES = {"biologie": "nabm", "dispositifs": "lpp"}


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def raw_floor(conn: sqlite3.Connection, table: str, query: str) -> None:
    words = [w for w in fold_query(query).split() if w]
    if words:
        match = " ".join(f'"{w}"*' for w in words)
        conn.execute(f"SELECT rowid FROM {table}_fts WHERE {table}_fts MATCH ? LIMIT 20", (match,)).fetchall()


def import_floor(work: Path) -> float:
    source = shipped_source()
    target = work / "floor.sqlite"
    target.unlink(missing_ok=True)
    started = time.perf_counter()
    conn = sqlite3.connect(target, isolation_level=None)
    conn.execute("PRAGMA journal_mode = OFF")
    conn.execute("PRAGMA synchronous = OFF")
    conn.execute("BEGIN")
    for name in ("IR_BIO_R.csv", "NT_LPP.csv"):
        rows = list(csv.reader(io.StringIO(next(source.rglob(name)).read_text(encoding="utf-8")), delimiter=";"))
        header, body = rows[0], rows[1:]
        table = name.split(".")[0]
        conn.execute(f"CREATE TABLE {table} ({', '.join(f'c{i}' for i in range(len(header)))})")
        conn.executemany(f"INSERT INTO {table} VALUES ({','.join('?' * len(header))})",
                         [r for r in body if len(r) == len(header)])
    conn.execute("COMMIT")
    conn.close()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=50)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    print(f"charge de la machine (load average) : {os.getloadavg()[0]:.1f} sur {os.cpu_count()} cœurs")
    with tempfile.TemporaryDirectory() as temp:
        work = Path(temp)
        target = work / "nomenclatures.sqlite"
        walls, cpus, floors = [], [], []
        for _ in range(args.runs):
            started, cpu = time.perf_counter(), time.process_time()
            report = build_database(target)
            walls.append(time.perf_counter() - started)
            cpus.append(time.process_time() - cpu)
            floors.append(import_floor(work))
        wall, floor = statistics.median(walls), statistics.median(floors)
        print(f"import NABM ({report.rows['nabm']}) + LPP ({report.rows['lpp']}) : médiane {wall:.2f} s "
              f"(CPU {statistics.median(cpus):.2f} s), plancher CSV brut {floor:.2f} s, ratio {wall / floor:.1f} ; "
              f"cible ≤ 2 s : {'OK' if wall <= 2 else 'DÉPASSÉ'}")
        with NomenclatureDatabase(target) as db:
            raw = sqlite3.connect(target)
            for nomenclature, queries in QUERIES.items():
                times, cpu_times, floor_times = [], [], []
                for _ in range(args.repeat):
                    for query in queries:
                        started, cpu = time.perf_counter(), time.process_time()
                        db.search(nomenclature, query, limit=20)
                        times.append(time.perf_counter() - started)
                        cpu_times.append(time.process_time() - cpu)
                        started = time.perf_counter()
                        raw_floor(raw, TABLES[nomenclature], query)
                        floor_times.append(time.perf_counter() - started)
                p, f = p95(times), p95(floor_times)
                print(f"recherche {nomenclature:11s} ({len(queries)} requêtes × {args.repeat}) : p95 {p * 1000:.3f} ms "
                      f"(CPU {p95(cpu_times) * 1000:.3f} ms), médiane {statistics.median(times) * 1000:.3f} ms ; "
                      f"plancher FTS brut p95 {f * 1000:.3f} ms, ratio {p / f:.1f} ; "
                      f"cible ≤ 1 ms : {'OK' if p <= 0.001 else 'DÉPASSÉ'}")
            raw.close()


if __name__ == "__main__":
    main()
