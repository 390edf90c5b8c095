"""Search-as-you-type latency inside the prescription editor (target: one frame, 16 ms, median).

Each sample is one keystroke typed into the real editor's search box (QTest key event) until the
results table has been updated AND the window has processed its paint/layout events, on the full
shipped BDPM. Two sets of words: everyday names, and long combination names (130–170
characters: « AMOXICILLINE/ACIDE CLAVULANIQUE ARROW 1 g/125 mg ADULTES, poudre pour suspension
buvable en sachet-dose (rapport …) ») that wrap. The editor is as wide as on a 1366-pixel laptop.
Beside each, the floor (``floors.KeystrokeFloor``: a line edit over a plain table of the same
search's results, nothing wrapped or measured) and the drug base's own search time.

    .venv/bin/python tests/bench/bench_ui_search.py
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("LAP_CONFIG_DIR", tempfile.mkdtemp(prefix="lap-bench-config-"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

WORDS = ("doliprane 1000", "amoxicilline", "paracetamol 1 g", "levothyrox 100", "simvastatine 20",
         "metformine", "clarithromycine", "ibuprofene 400", "kardegic", "augmentin", "3400935", "60483339")
LONG_NAMES = ("amoxicilline acide clavulanique", "valsartan hydrochlorothiazide", "perindopril amlodipine",
              "lamivudine zidovudine", "vaccin hepatite", "insuline")
# the editor's size on a 1366 × 768 laptop once the patient list and the right column have their share
LAPTOP_EDITOR = (1100, 560)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def keystroke_times(app, targets: dict, words, rounds: int) -> dict[str, tuple[list[float], list[float]]]:
    """Type each word key by key into each target's line edit in turn (``targets``: name ->
    (edit, shown); the project and its floor alternate word by word, so that both meet the same
    machine load), ``rounds`` times — the first round warms the caches and is not kept. Per
    keystroke: the wall-clock and the GUI thread's CPU milliseconds until the results are laid
    out and painted. ``shown()`` tells whether a word found results: most must (a code may not)."""
    from PySide6.QtTest import QTest

    times: dict[str, tuple[list[float], list[float]]] = {name: ([], []) for name in targets}
    found = 0
    for round_index in range(rounds):
        for word in words:
            for name, (edit, shown) in targets.items():
                wall, cpu = times[name]
                edit.clear()
                app.processEvents()
                for length in range(1, len(word) + 1):
                    t0, c0 = time.perf_counter(), time.thread_time()
                    QTest.keyClick(edit, word[length - 1])
                    app.processEvents()  # layout + paint of the results table
                    elapsed, spent = (time.perf_counter() - t0) * 1000, (time.thread_time() - c0) * 1000
                    assert edit.text() == word[:length]
                    if round_index:
                        wall.append(elapsed)
                        cpu.append(spent)
                found += bool(shown())
    assert found > rounds * len(words) * len(targets) // 2, "the searches found nothing: nothing was timed"
    return times


def project_editor(context):
    """The real prescription editor, laptop-sized, a patient chosen."""
    from lap_app.domain.model import Sex
    from lap_app.services.patients import PatientRecord
    from lap_app.ui.editor import PrescriptionEditor

    editor = PrescriptionEditor(context)
    editor.resize(*LAPTOP_EDITOR)
    editor.show()
    editor.set_patient(PatientRecord("BENCH", ["Test"], Sex.FEMALE, None, id=1))
    return editor


def bench_context(drugs):
    from lap_app.card import CardService
    from lap_app.settings import Settings
    from lap_app.ui.context import assemble_context

    context = assemble_context(Settings(), settings_file=Path(tempfile.mkdtemp(prefix="lap-bench-")) / "settings.json",
                               store_path=Path(tempfile.mkdtemp(prefix="lap-bench-")) / "store.sqlite3",
                               endpoint=None, card_service=CardService(virtual=True, pcsc=False), drugs_path=drugs.path)
    context.drugs = drugs  # the instance timed below
    return context


def keystroke_samples(app, drugs, words, rounds: int) -> dict[str, list[float]]:
    """The project's and the floor's keystrokes on ``words`` (wall and CPU milliseconds)."""
    import floors

    context = bench_context(drugs)
    editor = project_editor(context)
    floor = floors.KeystrokeFloor(drugs, LAPTOP_EDITOR)
    app.processEvents()
    times = keystroke_times(app, {
        "project": (editor.search.edit, lambda: editor.search.model.rowCount() > 0),
        "floor": (floor.edit, lambda: floor.model.rowCount() > 0)}, words, rounds)
    editor.close()
    floor.close()
    (wall, cpu), (floor_wall, floor_cpu) = times["project"], times["floor"]
    return {"wall": wall, "cpu": cpu, "floor_wall": floor_wall, "floor_cpu": floor_cpu}


def main() -> int:
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication(sys.argv)
    from lap_app.drugs import open_drug_database
    from lap_app.ui.style import STYLESHEET

    started = time.perf_counter()
    drugs = open_drug_database()  # the user's drug base (built from resources/ on first use)
    print(f"drug base ready in {time.perf_counter() - started:.2f} s")
    app.setStyleSheet(STYLESHEET)
    medians = []
    for label, words in (("everyday names", WORDS), ("long combination names", LONG_NAMES)):
        samples = keystroke_samples(app, drugs, words, rounds=5)
        wall, cpu = samples["wall"], samples["cpu"]
        medians.append(statistics.median(wall))
        print(f"{label}: {len(wall)} keystrokes -> results painted: median {statistics.median(wall):.2f} ms, "
              f"p95 {percentile(wall, 0.95):.2f} ms, max {max(wall):.2f} ms (target median < 16 ms); "
              f"CPU median {statistics.median(cpu):.2f} ms, floor {statistics.median(samples['floor_cpu']):.2f} ms "
              f"(ratio {statistics.median(cpu) / statistics.median(samples['floor_cpu']):.2f})")
    db_ms = []
    for word in WORDS + LONG_NAMES:
        for length in range(1, len(word) + 1):
            t0 = time.perf_counter()
            drugs.search(word[:length], limit=20)
            db_ms.append((time.perf_counter() - t0) * 1000)
    print(f"drug base search alone:          median {statistics.median(db_ms):.2f} ms, "
          f"p95 {percentile(db_ms, 0.95):.2f} ms")
    context = bench_context(drugs)
    first_check_ms(app, drugs, context)
    draft_save_ms(context, drugs)
    return 0 if max(medians) < 16 else 1


def first_check_ms(app, drugs, context, samples: int = 7) -> None:
    """The first interaction check of a session, in the GUI thread: on a fresh drug base
    instance (cold: the interaction index loads then) and once the editor's warm-up is done."""
    from lap_app.drugs import open_drug_database
    from lap_app.ui.editor import PrescriptionEditor

    pair = [drugs.search("simvastatine 20")[0].cis, drugs.search("clarithromycine 500")[0].cis]
    cold, warm = [], []
    for _sample in range(samples):
        with open_drug_database(drugs.path) as fresh:
            t0 = time.perf_counter()
            fresh.check_interactions(pair)
            cold.append((time.perf_counter() - t0) * 1000)
        with open_drug_database(drugs.path) as fresh:
            context.drugs = fresh
            editor = PrescriptionEditor(context)
            deadline = time.monotonic() + 10
            while (editor.warm_task is None or not editor.warm_task.finished) and time.monotonic() < deadline:
                app.processEvents()
                time.sleep(0.005)
            t0 = time.perf_counter()
            fresh.check_interactions(pair)
            warm.append((time.perf_counter() - t0) * 1000)
            editor.deleteLater()
            app.processEvents()
    context.drugs = drugs
    print(f"first interaction check of a session: cold median {statistics.median(cold):.2f} ms, "
          f"after the editor's warm-up median {statistics.median(warm):.2f} ms (GUI thread)")


def draft_save_ms(context, drugs, samples: int = 50) -> None:
    """Autosave of a 5-line draft (one UPSERT, WAL, synchronous=FULL) on every change to the lines."""
    from datetime import date

    from lap_app.domain.model import Sex
    from lap_app.services.drafting import line_for_drug
    from lap_app.services.patients import PatientRecord

    patient = context.services.patients.save(PatientRecord("BROUILLON", ["Test"], Sex.FEMALE, date(1970, 1, 1)))
    lines = [line_for_drug(drugs.search(word)[0]) for word in ("doliprane 1000", "levothyrox 100",
                                                                "metformine", "kardegic", "amoxicilline")]
    library = context.services.drafting
    times = []
    for _sample in range(samples):
        t0 = time.perf_counter()
        library.save_draft(patient.id, lines)
        times.append((time.perf_counter() - t0) * 1000)
    assert len(library.load_draft(patient.id)) == len(lines)
    print(f"draft autosave (5 lines, fsync'd): median {statistics.median(times):.2f} ms, "
          f"p95 {percentile(times, 0.95):.2f} ms")


if __name__ == "__main__":
    raise SystemExit(main())
