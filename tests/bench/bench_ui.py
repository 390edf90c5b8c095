"""Bench: the desktop application (offscreen), on the demo environment.

    .venv/bin/python tests/bench/bench_ui.py [--startups 7] [--validations 15]

Prints medians of:
- start-up to a usable main window: a fresh process (interpreter, imports, QApplication, local
  store, drug base, card service, services) until the window is shown, the login page has read
  the card and its PIN field is painted enabled — the reference base already running, the drug
  base already built (target < 1.5 s);
- validate-to-PDF-ready: from the "validate" action to the result dialog holding the PDF —
  signed with the virtual card, number from the pool, registered with the local base over
  HTTPS, PDF rendered (target < 300 ms).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

CHILD = r"""
import os, sys, time, json
from pathlib import Path
from lap_app.ui.app import apply_style, create_application
app = create_application()
from lap_app.card import CardService
from lap_app.card.virtual_reader import default_virtual_reader
from lap_app.services.base_connection import BaseEndpoint
from lap_app.services.credentials import FileCredentials
from lap_app.settings import PracticeSettings, Settings
from lap_app.standins.holders import HOLDERS
from lap_app.standins.virtual_cps.holder_files import card_from_holder_files
from lap_app.ui.context import assemble_context
from lap_app.ui.main_window import MainWindow
args = json.loads(sys.argv[1])
root = Path(args["root"])
# the card is in the reader before the application starts (in-process reader: set up here, from
# the files the parent's PKI made — a real card costs the application's process nothing)
default_virtual_reader().insert(card_from_holder_files(root / "pki", HOLDERS["medecin"], persist_pin=False))
practice = PracticeSettings(address_lines=["1 rue du Banc"], postal_code="75001", city="Paris", phone="01 00 00 00 00",
                            qualification="Médecine générale")  # a workstation in use: no first-start dialog
context = assemble_context(Settings(practice=practice), settings_file=root / "bench-settings.json",
                           store_path=root / "lap.sqlite3", drugs_path=Path(args["drugs"]),
                           endpoint=BaseEndpoint(args["url"], Path(args["ca"]),
                                                 credentials=FileCredentials(root / "installation-credential.json")),
                           card_service=CardService(virtual=True, pcsc=False))
window = MainWindow(context)
apply_style(app)
# usable: the PIN field painted enabled (the card read) — what the GP sees before typing; its
# enabled state alone comes before the paint, and Qt paints at low priority, after other work
pin_edit, usable = window.login_page.pin_edit, []
def paint_and_note(event, paint=type(pin_edit).paintEvent):
    paint(pin_edit, event)
    if pin_edit.isEnabled() and not usable:
        import resource
        usage = resource.getrusage(resource.RUSAGE_SELF)
        print("CPU", usage.ru_utime + usage.ru_stime, flush=True)
        print("READY", flush=True)
        usable.append(True)
pin_edit.paintEvent = paint_and_note
window.show()
while not usable:
    app.processEvents()
    time.sleep(0.002)
window.close()
context.close()
"""


def child_arguments(env) -> str:
    """The start-up child's one argument: where the demo environment ``env`` keeps its files."""
    return json.dumps({"root": str(env.root), "drugs": str(env.drugs_path), "url": env.base.url,
                       "ca": str(env.base.ca_path)})


def bench_startup(env, runs: int) -> list[float]:
    from floors import compile_bytecode

    compile_bytecode()
    args = child_arguments(env)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-c", CHILD, args], stdout=subprocess.PIPE,
                                stderr=subprocess.DEVNULL, text=True, cwd=ROOT)
        for line in proc.stdout:
            if line.startswith("READY"):
                times.append(time.perf_counter() - start)
                break
        proc.wait(timeout=30)
    return times


def bench_validation(env, runs: int) -> list[float]:
    from PySide6.QtCore import QEventLoop, QTimer
    from PySide6.QtWidgets import QApplication

    from lap_app.services.drafting import line_for_drug
    from lap_app.ui.main_window import MainWindow

    context = env.context()
    window = MainWindow(context)
    window.show()
    page = window.login_page
    until(page.pin_edit.isEnabled)
    page.pin_edit.setText("1234")
    page.submit()
    until(lambda: not window.is_locked())
    record = context.services.patients.search("DURAND")[0]
    window.patient_panel.select(record)
    drugs = [context.drugs.search(q, limit=1)[0] for q in ("paracetamol 1 g", "metformine 1000", "amlodipine 5")]
    times = []
    for i in range(runs + 1):
        lines = []
        for drug in drugs:
            line = line_for_drug(drug)
            line.posology.duration, line.posology.duration_unit = 30, "d"
            lines.append(line)
        window.editor.load_lines(lines)
        loop = QEventLoop()  # the GUI thread waits like the real one: in the event loop, idle
        start = time.perf_counter()
        window.validate()
        window._flow.finished_ok.connect(lambda _result, loop=loop: loop.quit())
        QTimer.singleShot(20_000, loop.quit)
        loop.exec()
        elapsed = time.perf_counter() - start
        if window._flow.result_dialog is None:
            raise SystemExit("validation refused: " + (window._flow.message.text() if window._flow.message else "?"))
        assert window._flow.result_dialog.result.pdf.startswith(b"%PDF")
        window._flow.result_dialog.close()
        if i:  # the first one also opens the token and fills the number pool
            times.append(elapsed)
        QApplication.processEvents()
    window.close()
    return times, service_only(context, window, drugs)


def service_only(context, window, drugs) -> list[float]:
    """The same work without the GUI: the prescribing service called directly (for comparison)."""
    from lap_app.services.drafting import line_for_drug
    from lap_app.services.ordonnance_builder import build_ordonnance, patient_facts

    record = window.patient_panel.current_patient()
    times = []
    for _ in range(10):
        lines = []
        for drug in drugs:
            line = line_for_drug(drug)
            line.posology.duration, line.posology.duration_unit = 30, "d"
            lines.append(line)
        ordonnance = build_ordonnance(context.session.identity, context.settings.practice, record, lines)
        start = time.perf_counter()
        context.services.prescribing.prescribe(ordonnance, context.session.card, practice=context.settings.practice,
                                               patient=patient_facts(record))
        times.append(time.perf_counter() - start)
    return times


def until(predicate, timeout: float = 10.0) -> None:
    from PySide6.QtWidgets import QApplication

    end = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > end:
            raise SystemExit("timed out")
        QApplication.processEvents()
        time.sleep(0.0005)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--startups", type=int, default=7)
    parser.add_argument("--validations", type=int, default=15)
    options = parser.parse_args()
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    work = Path(tempfile.mkdtemp(prefix="lap-bench-ui-"))
    os.environ.setdefault("LAP_DATA_DIR", str(work / "data"))  # keep a built drug base via LAP_DATA_DIR
    os.environ["LAP_CONFIG_DIR"] = str(work / "config")
    os.environ["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"

    from lap_app.demo.environment import DemoEnvironment
    from lap_app.drugs import ensure_drug_database
    from lap_app.ui.app import create_application

    create_application()
    drugs_path = ensure_drug_database()  # built once, before timing
    started = time.perf_counter()
    env = DemoEnvironment(work / "demo", pcsc=False, base_port=0, drugs_path=drugs_path).start()
    print(f"demo environment start (PKI created, base, enrolment): {time.perf_counter() - started:.2f} s")
    try:
        env.context().close()  # demo patients seeded, store migrated
        env.pull_card()
        startup = bench_startup(env, options.startups)
        print(f"start-up to usable main window: median {statistics.median(startup) * 1000:.0f} ms "
              f"(min {min(startup) * 1000:.0f}, max {max(startup) * 1000:.0f}, n={len(startup)}) — target 1500 ms")
        env.insert_card()
        validation, service = bench_validation(env, options.validations)
        print(f"validate-to-PDF-ready: median {statistics.median(validation) * 1000:.0f} ms "
              f"(min {min(validation) * 1000:.0f}, max {max(validation) * 1000:.0f}, n={len(validation)}) "
              "— target 300 ms")
        print(f"  of which the prescribing service alone (sign, register over HTTPS, PDF): median "
              f"{statistics.median(service) * 1000:.0f} ms (n={len(service)})")
    finally:
        env.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
