"""Bench of the drug database on the full 2021-05 BDPM (not collected by pytest).

    .venv/bin/python tests/bench/bench_drugs.py [--runs N]

Prints medians (and p95 for searches). Targets: import < 10 s; search p95 < 5 ms for
1- to 4-letter prefixes and full names; interaction check of a 10-line ordonnance < 5 ms.
Searches are timed cold (the per-connection result cache emptied before each query) and
warm (the same query typed again), the way the UI calls them on every keystroke. On a
loaded machine the wall-clock p95 includes waits for a CPU; the CPU-time p95 printed beside
it is the cost of the query itself.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

from lap_app.drugs import open_drug_database
from lap_app.drugs.importer import build_database, import_release

BDPM_2026_ARCHIVE = Path(__file__).resolve().parents[1] / "fixtures" / "bdpm-2026-04.tar.xz"

QUERIES = {
    "1 lettre": ["d", "a", "p", "s", "m", "l", "c", "i"],
    "2 lettres": ["do", "am", "pa", "si", "me", "le", "cl", "ib"],
    "3 lettres": ["dol", "amo", "par", "sim", "met", "lev", "cla", "ibu"],
    "4 lettres": ["doli", "amox", "para", "simv", "metf", "levo", "clar", "ibup"],
    "noms complets": ["doliprane 1000 mg comprimé", "paracetamol 1 g", "levothyrox 100",
                      "amoxicilline acide clavulanique 1 g", "simvastatine biogaran 20 mg",
                      "clarithromycine 500", "kardegic 75 mg", "metformine 850"],
    "codes": ["60234100", "3400935955838", "602341"],
}
ORDONNANCE_QUERIES = ["zocor 20", "clarithromycine 500", "doliprane 1000", "kardegic 75", "coumadine 5",
                      "levothyrox 100", "metformine 850", "amlodipine 5", "ramipril 5", "omeprazole 20"]


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:7.3f} ms"


def bench_import(work: Path, runs: int) -> Path:
    times = []
    target = work / "drugs.sqlite3"
    print(f"charge de la machine (load average) : {os.getloadavg()[0]:.1f} sur {os.cpu_count()} cœurs")
    for _ in range(runs):
        started = time.perf_counter()
        report = build_database(target)
        times.append(time.perf_counter() - started)
    print(f"construction complète 2021-05 ({report.rows['drug']} CIS, {report.rows['presentation']} CIP) :"
          f" médiane {statistics.median(times):.2f} s sur {runs}")
    copy = work / "update.sqlite3"
    update_times = []
    for _ in range(runs):
        copy.write_bytes(target.read_bytes())
        started = time.perf_counter()
        import_release(copy, BDPM_2026_ARCHIVE)
        update_times.append(time.perf_counter() - started)
    print(f"import 2026-04 (2 fichiers, une transaction) : médiane {statistics.median(update_times):.2f} s")
    return target


def bench_search(path: Path, repeat: int) -> None:
    with open_drug_database(path) as db:
        for kind, queries in QUERIES.items():
            cold, cold_cpu, warm = [], [], []
            for _ in range(repeat):
                for query in queries:
                    db.clear_caches()
                    started, cpu = time.perf_counter(), time.process_time()
                    db.search(query, limit=20)
                    cold.append(time.perf_counter() - started)
                    cold_cpu.append(time.process_time() - cpu)
                    started = time.perf_counter()
                    db.search(query, limit=20)
                    warm.append(time.perf_counter() - started)
            print(f"recherche {kind:14s} froid : médiane {ms(statistics.median(cold))}  p95 {ms(p95(cold))}"
                  f" (CPU p95 {ms(p95(cold_cpu))})"
                  f"  | chaud : médiane {ms(statistics.median(warm))}  p95 {ms(p95(warm))}")


def bench_interactions(path: Path, repeat: int) -> None:
    with open_drug_database(path) as db:
        lines = [db.search(q, limit=1)[0].cis for q in ORDONNANCE_QUERIES]
        first_started = time.perf_counter()
        alerts = db.check_interactions(lines)
        first = time.perf_counter() - first_started
        times, cpu_times = [], []
        for _ in range(repeat):
            started, cpu = time.perf_counter(), time.process_time()
            db.check_interactions(lines, allergies=["amoxicilline"])
            times.append(time.perf_counter() - started)
            cpu_times.append(time.process_time() - cpu)
        print(f"interactions, ordonnance de 10 lignes ({len(alerts)} alertes) : premier appel {ms(first)}"
              f" (chargement du thésaurus) ; ensuite médiane {ms(statistics.median(times))}  p95 {ms(p95(times))}"
              f" (CPU p95 {ms(p95(cpu_times))})")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3, help="constructions complètes mesurées")
    parser.add_argument("--repeat", type=int, default=50, help="répétitions de chaque requête")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as work:
        path = bench_import(Path(work), args.runs)
        bench_search(path, args.repeat)
        bench_interactions(path, args.repeat * 4)
        with open_drug_database(path) as db:
            cov = db.coverage()
        print(f"couverture thésaurus : {cov['fully_mapped']} / {cov['marketed']} CIS commercialisés"
              f" ({100 * cov['share']:.1f} %)")
        mappable = cov["mappable"]
        print(f"couverture hors substances sans profil d'interaction : {mappable['fully_mapped']} /"
              f" {mappable['marketed']} ({100 * mappable['share']:.1f} %)")


if __name__ == "__main__":
    main()
