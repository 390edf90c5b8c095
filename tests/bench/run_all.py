"""Every performance figure beside its floor, measured in one run (not collected by pytest).

    .venv/bin/python tests/bench/run_all.py [--only NAME[,NAME]] [--json FILE] [--quick]

Each figure is the project's time for work a user waits for, next to its *floor*: the same
work on the same data done the plainest way, measured in the same run, so the ratio holds on
this noisy 2-core machine where absolute times swing by half. One line per figure:

    figure: project X, floor Y, ratio R, target T

and the results as JSON (``--json``, default ``build/bench/run_all-<date>.json``) for the history.
The floors are honest: they do the work the user needs and none of the project's extra work
(see each ``floor_*`` function). No figure here is a test: nothing fails on a slow machine.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(Path(__file__).resolve().parent))

import floors  # noqa: E402


@dataclass
class Figure:
    name: str
    project: float
    floor: float
    unit: str
    target: float
    target_kind: str = "ratio"  # "ratio": project / floor; "absolute": project alone, in ``unit``

    @property
    def ratio(self) -> float:
        return self.project / self.floor if self.floor else float("inf")

    @property
    def met(self) -> bool:
        return (self.ratio if self.target_kind == "ratio" else self.project) <= self.target

    def line(self) -> str:
        target = f"≤ {self.target:g}×" if self.target_kind == "ratio" else f"≤ {self.target:g} {self.unit} absolute"
        verdict = "ok" if self.met else "ABOVE TARGET"
        return (f"{self.name}: project {self.project:.3f} {self.unit}, floor {self.floor:.3f} {self.unit}, "
                f"ratio {self.ratio:.2f}, target {target} [{verdict}]")


def drug_figures(work: Path, quick: bool) -> list[Figure]:
    """Build, search (cold) and interaction figures on the full shipped 2021-05 BDPM."""
    from lap_app.drugs import open_drug_database
    from lap_app.drugs.importer import build_database

    target = work / "drugs.sqlite3"
    runs = 1 if quick else 3
    build, build_cpu, build_floor, build_floor_cpu = [], [], [], []
    for i in range(runs):  # interleaved with the floor: both see the same load
        # the build's CPU counts its writes thread too (the floor has one thread)
        started, cpu = time.perf_counter(), time.process_time()
        build_database(target)
        build.append(time.perf_counter() - started)
        build_cpu.append(time.process_time() - cpu)
        wall, cpu = floors.drug_build_floor(target, work / f"floor-{i}.sqlite3")
        build_floor.append(wall)
        build_floor_cpu.append(cpu)
    figures = [Figure("drug-base build, 2021-05 BDPM", statistics.median(build), statistics.median(build_floor),
                      "s", 2.0),
               Figure("drug-base build, 2021-05 BDPM (CPU)", statistics.median(build_cpu),
                      statistics.median(build_floor_cpu), "s", 2.0)]

    # Searches are timed in CPU time (the thread's own): on this loaded machine a wall-clock p95
    # is mostly the waits for a core, which strike a 0.1 ms query and a 0.02 ms one alike.
    repeat = 5 if quick else 30
    project: list[float] = []
    floor: list[float] = []
    with open_drug_database(target) as db:
        raw = floors.RawFts(target)
        for _ in range(repeat):
            for query in floors.SEARCH_QUERIES:
                db.clear_caches()
                started = time.thread_time()
                db.search(query, limit=20)
                project.append(time.thread_time() - started)
                started = time.thread_time()
                raw.search(query, limit=20)
                floor.append(time.thread_time() - started)
        raw.close()
        figures.append(Figure("drug search p95, cold (CPU)", floors.p95(project) * 1e3, floors.p95(floor) * 1e3,
                              "ms", 4.0))
        figures.append(Figure("drug search median, cold (CPU)", statistics.median(project) * 1e3,
                              statistics.median(floor) * 1e3, "ms", 5.0))

        lines = [db.search(q, limit=1)[0].cis for q in floors.ORDONNANCE_QUERIES]
        db.check_interactions(lines)  # warm: the thesaurus loaded, as the UI does in a thread
        checks: list[float] = []
        for _ in range(50 if quick else 400):
            started = time.perf_counter()
            db.check_interactions(lines, allergies=["amoxicilline"])
            checks.append(time.perf_counter() - started)
        pair_floor = floors.interaction_floor(target, lines, 50 if quick else 400)
    figures.append(Figure("interaction check, 10 lines, warm", statistics.median(checks) * 1e3, pair_floor * 1e3,
                          "ms", 0.2, "absolute"))
    return figures


def render_figures(quick: bool) -> list[Figure]:
    from lap_app.render import render_ordonnance_pdf

    ordonnance = floors.ten_line_ordonnance()
    render_ordonnance_pdf(ordonnance, "A4")  # fonts registered, as after the first print of a day
    floors.render_floor(ordonnance)
    runs = 10 if quick else 40
    project, floor, project_cpu, floor_cpu = [], [], [], []
    for _ in range(runs):
        started, cpu = time.perf_counter(), time.thread_time()
        render_ordonnance_pdf(ordonnance, "A4")
        project.append(time.perf_counter() - started)
        project_cpu.append(time.thread_time() - cpu)
        started, cpu = time.perf_counter(), time.thread_time()
        floors.render_floor(ordonnance)
        floor.append(time.perf_counter() - started)
        floor_cpu.append(time.thread_time() - cpu)
    return [Figure("rendering, 10-line A4 page", statistics.median(project) * 1e3,
                   statistics.median(floor) * 1e3, "ms", 1.1),
            Figure("rendering, 10-line A4 page (CPU)", statistics.median(project_cpu) * 1e3,
                   statistics.median(floor_cpu) * 1e3, "ms", 1.1)]


def startup_figures(work: Path, quick: bool) -> list[Figure]:
    """Wall time (what the GP waits) and the child's CPU time (what the machine's load cannot
    inflate: on a busy machine the wall time is mostly waits for a core)."""
    runs = 3 if quick else 7
    project, floor = floors.startup_times(work, runs)
    return [Figure("start-up to a usable window", statistics.median(w for w, _ in project),
                   statistics.median(w for w, _ in floor), "s", 1.8),
            Figure("start-up to a usable window (CPU)", statistics.median(c for _, c in project),
                   statistics.median(c for _, c in floor), "s", 1.8)]


def base_figures(work: Path, quick: bool) -> list[Figure]:
    """Registrations and a prescrit's executions in the same run, from the same lean clients:
    each one's rate per second, and its server CPU beside its floor."""
    import bench_base
    import bench_executions

    count = 400 if quick else 2000
    per_registration, registrations = bench_base.server_cpu_per_registration(work, count)
    bundle, number, floor_count = registrations["bundle"], registrations["number"], min(count, 500)
    floor = bench_base.floor_cpu_per_registration(work, bundle, number, floor_count)
    crypto = bench_base.crypto_floor_cpu_per_registration(work, bundle, floor_count)
    no_fsync = bench_base.floor_cpu_per_registration(work, bundle, number, floor_count, fsync=False)
    every_check = bench_base.every_check_floor_cpu_per_registration(work, bundle, number, floor_count,
                                                                    work / "project" / "pki")
    executions = bench_executions.measure_executions(work / "executions", count)
    execution_floor = bench_executions.floor_cpu_per_execution(work, executions["bundle"], min(count, 500))
    print(f"reference base, sustained (1 process, 16 connections): "
          f"{registrations['done'] / registrations['elapsed']:.0f} registrations/s, "
          f"{executions['done'] / executions['elapsed']:.0f} executions/s", flush=True)
    # The floor, « the same checks with RSA verification and the fsync alone », is every
    # check the base does and its fsynced write, without TLS, HTTP and the server (bench_base.py).
    # Told beside it, not as targets: the barest reading (RSA and one fsynced insert, none of the
    # other checks), every check with TLS and HTTP added back, and every check without the fsync
    # (the project's group commit shares one fsync among a batch: under load it can beat a floor
    # that pays one per registration).
    print(f"reference base, server CPU per registration: project {per_registration * 1e3:.3f} ms; "
          f"barest floor (JSON, digest, RSA, one fsynced insert: none of the other checks) {crypto * 1e3:.3f} ms, "
          f"ratio {per_registration / crypto:.2f}; every check with TLS and HTTP, one fsync each "
          f"{every_check * 1e3:.3f} ms, ratio {per_registration / every_check:.2f}; every check, the writes not "
          f"fsynced (the project shares one fsync among a batch) {no_fsync * 1e3:.3f} ms, "
          f"ratio {per_registration / no_fsync:.2f}", flush=True)
    return [Figure("reference base, server CPU per registration", per_registration * 1e3, floor * 1e3, "ms", 1.5),
            Figure("reference base, server CPU per execution", executions["server_cpu"] / executions["done"] * 1e3,
                   execution_floor * 1e3, "ms", 3.0)]


def base_engine_figures(work: Path, quick: bool) -> list[Figure]:
    """The base on SQLite and on PostgreSQL × 1, 2 and 4 server processes (bench_base_engines.py,
    which also prints the registrations per second and the bytes per ordonnance)."""
    import bench_base_engines

    result = bench_base_engines.curve(work / "engines", 300 if quick else 1500)
    return [Figure(f"reference base on {r['engine']}, {r['processes']} process(es): CPU per registration "
                   "(base + database)", r["server_cpu_ms"] + r["database_cpu_ms"], r["floor_cpu_ms"], "ms", 2.0)
            for r in result["runs"]]


def card_figures(work: Path, quick: bool) -> list[Figure]:
    """The card read and signature through a PKCS#11 module (SoftHSM2) beside bare PyKCS11."""
    import bench_card

    from lap_app.standins.pki import init_pki

    measured = bench_card.pkcs11_figures(init_pki(work / "card-pki"), work, 10 if quick else 40)
    targets = {"PKCS#11 open + identity": 3.0, "PKCS#11 sign SHA-256 digest": 1.3}
    return [Figure(name, project, floor, "ms", targets[name]) for name, project, floor in measured or []]


def keystroke_figures(_work: Path, quick: bool) -> list[Figure]:
    """A keystroke in the editor's drug search until the results are painted (GUI thread CPU
    time, laptop-sized editor), beside ``floors.KeystrokeFloor``; everyday and long names."""
    import bench_ui_search
    from PySide6.QtWidgets import QApplication

    from lap_app.drugs import open_drug_database
    from lap_app.ui.style import STYLESHEET

    app = QApplication.instance() or QApplication([])
    app.setStyleSheet(STYLESHEET)
    figures = []
    with open_drug_database() as drugs:
        for label, words in (("everyday names", bench_ui_search.WORDS),
                             ("long combination names", bench_ui_search.LONG_NAMES)):
            samples = bench_ui_search.keystroke_samples(app, drugs, words, rounds=2 if quick else 5)
            figures.append(Figure(f"search keystroke to results painted, {label} (CPU)",
                                  statistics.median(samples["cpu"]), statistics.median(samples["floor_cpu"]),
                                  "ms", 1.2))
    return figures


FIGURES: dict[str, Callable[[Path, bool], list[Figure]]] = {
    "drugs": drug_figures,
    "render": lambda _work, quick: render_figures(quick),
    "startup": startup_figures,
    "base": base_figures,
    "base-engines": base_engine_figures,
    "card": card_figures,
    "keystroke": keystroke_figures,
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default=",".join(FIGURES), help="groupes : " + ", ".join(FIGURES))
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--quick", action="store_true", help="fewer repetitions (a smoke run)")
    options = parser.parse_args()
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    results: list[Figure] = []
    with tempfile.TemporaryDirectory(prefix="lap-bench-") as tmp:
        work = Path(tmp)
        os.environ["LAP_DATA_DIR"] = str(work / "data")
        os.environ["LAP_CONFIG_DIR"] = str(work / "config")
        for name in options.only.split(","):
            for figure in FIGURES[name.strip()](work, options.quick):
                print(figure.line(), flush=True)
                results.append(figure)
    out = options.json or ROOT / "build" / "bench" / f"run_all-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"cores": os.cpu_count(), "python": platform.python_version(), "load": os.getloadavg()[0]},
        "figures": [dict(asdict(f), ratio=round(f.ratio, 3), met=f.met) for f in results],
    }, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"résultats : {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
