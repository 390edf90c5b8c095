"""The floors of ``run_all.py``: for each figure, the same work on the same data done the
plainest way, with none of the project's extra work. Each one says what it keeps and drops."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SEARCH_QUERIES = [
    "d", "a", "p", "s", "m", "l", "c", "i",
    "do", "am", "pa", "si", "me", "le", "cl", "ib",
    "dol", "amo", "par", "sim", "met", "lev", "cla", "ibu",
    "doli", "amox", "para", "simv", "metf", "levo", "clar", "ibup",
    "doliprane 1000 mg comprimé", "paracetamol 1 g", "levothyrox 100", "amoxicilline acide clavulanique 1 g",
    "simvastatine biogaran 20 mg", "clarithromycine 500", "kardegic 75 mg", "metformine 850",
]
ORDONNANCE_QUERIES = ["zocor 20", "clarithromycine 500", "doliprane 1000", "kardegic 75", "coumadine 5",
                      "levothyrox 100", "metformine 850", "amlodipine 5", "ramipril 5", "omeprazole 20"]


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


# -- drug search ------------------------------------------------------------------------
class RawFts:
    """Floor of a search: one FTS5 prefix ``MATCH … LIMIT 20`` on the same file, rowids only —
    no ranking tiers, no code lookup, no result objects."""

    def __init__(self, path: Path) -> None:
        from lap_app.drugs.normalize import query_tokens

        self._tokens = query_tokens
        self._conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)

    def search(self, query: str, limit: int) -> list[int]:
        match = " AND ".join('"' + token.replace('"', "") + '"*' for token in self._tokens(query))
        return [r[0] for r in self._conn.execute(
            "SELECT rowid FROM drug_fts WHERE drug_fts MATCH ? LIMIT ?", (match, limit))]

    def close(self) -> None:
        self._conn.close()


# -- drug-base build --------------------------------------------------------------------
def drug_build_floor(built: Path, out: Path) -> tuple[float, float]:
    """Floor of the full build: the final database's rows, already in memory, bulk-inserted into
    a fresh file in one transaction (same tables, indexes created after the load), the full-text
    index built once from each drug's name, DCI wording, substances and codes. Reading and
    parsing the BDPM files, mapping the thesaurus and ranking are the project's own work.
    Returns (wall seconds, CPU seconds of this thread)."""
    source = sqlite3.connect(f"{built.resolve().as_uri()}?mode=ro", uri=True)
    tables = [(name, sql) for name, sql in source.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'table' AND sql NOT LIKE 'CREATE VIRTUAL%'"
        " AND name NOT LIKE 'drug_fts%' AND name NOT LIKE 'sqlite_%'")]
    indexes = [sql for (sql,) in source.execute("SELECT sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL")]
    rows = {name: source.execute(f"SELECT * FROM {name}").fetchall() for name, _sql in tables}
    fts_rows = []
    for rank, text in source.execute("SELECT s.rank, d.summary_json FROM drug_summary s JOIN drug_detail d USING (cis)"):
        data = json.loads(text)
        body = " ".join([data["dci"], *(s["name"] for s in data["substances"])])
        codes = " ".join([data["cis"], *(p["cip13"] for p in data["presentations"])])
        fts_rows.append((rank, data["name"], body, codes))
    source.close()
    out.unlink(missing_ok=True)
    started, cpu = time.perf_counter(), time.thread_time()
    conn = sqlite3.connect(out, isolation_level=None)
    conn.execute("BEGIN")
    for name, sql in tables:
        conn.execute(sql)
        if rows[name]:
            marks = ",".join("?" * len(rows[name][0]))
            conn.executemany(f"INSERT INTO {name} VALUES ({marks})", rows[name])
    for sql in indexes:
        conn.execute(sql)
    conn.execute("CREATE VIRTUAL TABLE drug_fts USING fts5(name, body, codes, content='',"
                 " tokenize='unicode61 remove_diacritics 2', prefix='1 2 3')")
    conn.executemany("INSERT INTO drug_fts(rowid, name, body, codes) VALUES (?,?,?,?)", fts_rows)
    conn.execute("COMMIT")
    conn.close()
    return time.perf_counter() - started, time.thread_time() - cpu


# -- interactions -----------------------------------------------------------------------
def interaction_floor(built: Path, cis_list: list[str], repeat: int) -> float:
    """Floor of a warm check: the interacting pairs of thesaurus keys precomputed as a set, and
    for each of the 45 drug pairs a set lookup over the product of their keys — no levels, no
    wording, no redundancy or allergy. Median seconds."""
    conn = sqlite3.connect(f"{built.resolve().as_uri()}?mode=ro", uri=True)
    pairs = {(a, b) for a, b in conn.execute("SELECT key_a, key_b FROM ansm_interaction")}
    keys: dict[str, set[str]] = {c: set() for c in cis_list}
    marks = ",".join("?" * len(cis_list))
    for cis, key in conn.execute(f"SELECT cis, ansm_key FROM drug_ansm_key WHERE cis IN ({marks})", cis_list):
        keys[cis].add(key)
    conn.close()
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        found = []
        for i, a in enumerate(cis_list):
            for b in cis_list[i + 1:]:
                for ka in keys[a]:
                    for kb in keys[b]:
                        if (ka, kb) in pairs:
                            found.append((a, b, ka, kb))
        times.append(time.perf_counter() - started)
    times.sort()
    return times[len(times) // 2]


# -- rendering --------------------------------------------------------------------------
def ten_line_ordonnance():
    sys.path.insert(0, str(ROOT / "tests" / "render"))
    import render_samples as samples

    return samples.ordonnance([samples.numbered_line(i) for i in range(1, 11)])


FLOOR_FACES = {"FloorSans": "DejaVuSans.ttf", "FloorSans-Bold": "DejaVuSans-Bold.ttf",
               "FloorSans-Oblique": "DejaVuSans-Oblique.ttf"}


def register_floor_fonts() -> tuple[str, str, str]:
    """The same DejaVu files as reportlab's plain ``TTFont`` faces, registered once like the
    project's: the floor subsets them per document as reportlab does. reportlab hands out one
    font object per face name, so the floor's faces get a name of their own; else the floor
    would draw with the project's faces and whatever they do."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    from lap_app.paths import resources_dir

    for name, filename in FLOOR_FACES.items():
        if name not in pdfmetrics.getRegisteredFontNames():
            font = TTFont(name, str(resources_dir() / "fonts" / filename))
            font.face.name = name.encode()
            pdfmetrics.registerFont(font)
            assert type(pdfmetrics.getFont(name)) is TTFont
    regular, bold, italic = FLOOR_FACES
    return regular, bold, italic


def render_floor(ordonnance) -> bytes:
    """Floor of a page: reportlab with the same DejaVu fonts embedded (the three faces the page
    uses: regular, bold, italic), 40 lines of text and the QR code of the number drawn as one
    path — no layout, wording, pagination or checks."""
    import io

    import segno
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen.canvas import Canvas

    regular, bold, italic = register_floor_fonts()
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4, pageCompression=1, invariant=1)
    text = [line.dci_wording or "" for line in ordonnance.lines]
    text += [line.posology.sentence() if hasattr(line.posology, "sentence") else "" for line in ordonnance.lines]
    y = A4[1] - 60
    for i in range(40):
        canvas.setFont((bold, regular, italic, regular)[i % 4], 10)
        canvas.drawString(50, y, (text[i % len(text)] or "ligne")[:100])
        y -= 18
    matrix = segno.make(ordonnance.number or "2026112500004292", micro=False).matrix
    path = canvas.beginPath()
    size = 2.0
    for row, cells in enumerate(matrix):
        for col, dark in enumerate(cells):
            if dark:
                path.rect(450 + col * size, 80 - row * size, size, size)
    canvas.drawPath(path, stroke=0, fill=1)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


# -- reference base ---------------------------------------------------------------------
# The base's floors live beside its bench (bench_base.py), with the signed Bundles they need.
# ``floor_cpu_per_registration`` is the floor, « the same checks with RSA verification
# and the fsync alone »: every check the base does (token, installation, number, FHIR reading
# and validation, prescriber = card holder, canonical digest + RSA) and the fsynced transaction
# with its audit row, one registration and one fsync at a time, without TLS, HTTP and the
# server, which are not checks. Told beside it as information: the barest reading
# (``crypto_floor_cpu_per_registration``: JSON, digest, RSA, one fsynced insert, none of the
# other checks) and every check with TLS and HTTP added back
# (``every_check_floor_cpu_per_registration``).


# -- start-up ---------------------------------------------------------------------------
BARE_WINDOW = r"""
import time
from PySide6.QtWidgets import QApplication, QMainWindow
app = QApplication([])
window = QMainWindow()
window.resize(1280, 760)
window.show()
app.processEvents()
import resource
usage = resource.getrusage(resource.RUSAGE_SELF)
print("CPU", usage.ru_utime + usage.ru_stime, flush=True)
print("READY", flush=True)
"""


def _time_child(code: str, args: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall seconds until the child prints READY, and the CPU seconds (all its threads) it
    reports just before: under load the wall time is mostly waits for a core."""
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", code, *args], stdout=subprocess.PIPE,
                            stderr=None if os.environ.get("LAP_BENCH_DEBUG") else subprocess.DEVNULL, text=True, cwd=ROOT,
                            env=env)
    assert proc.stdout is not None
    elapsed = cpu = None
    for line in proc.stdout:
        if line.startswith("CPU"):
            cpu = float(line.split()[1])
        if line.startswith("READY"):
            elapsed = time.perf_counter() - started
            break
    proc.wait(timeout=60)
    if elapsed is None or cpu is None:
        raise SystemExit("the child process never showed its window")
    return elapsed, cpu


def compile_bytecode() -> None:
    """The project's modules compiled once, as an installation has them (pip and the PyInstaller
    bundle ship bytecode): a checkout run with PYTHONDONTWRITEBYTECODE=1 would otherwise compile
    every module on every start, work no workstation does (PySide6, the floor's, is installed)."""
    import compileall

    compileall.compile_dir(ROOT / "lap_app", quiet=1)


def startup_times(work: Path, runs: int) -> tuple[list[tuple[float, float]], list[tuple[float, float]]]:
    """Project: ``bench_ui.CHILD`` (a fresh process until the main window shows the login page
    with the card read and its PIN field painted enabled, the demo base running, the drug base
    built). Floor: a bare PySide6 ``QMainWindow`` shown (painted) in a fresh process.
    Interleaved, so both see the same load. Each run: (wall seconds, CPU seconds)."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import bench_ui

    compile_bytecode()

    from lap_app.demo.environment import DemoEnvironment
    from lap_app.drugs import ensure_drug_database

    drugs_path = ensure_drug_database()
    env = DemoEnvironment(work / "demo", pcsc=False, base_port=0, drugs_path=drugs_path).start()
    try:
        env.context().close()
        env.pull_card()
        args = bench_ui.child_arguments(env)
        child_env = dict(os.environ)
        project, floor = [], []
        for _ in range(runs):
            project.append(_time_child(bench_ui.CHILD, [args], child_env))
            floor.append(_time_child(BARE_WINDOW, [], child_env))
        return project, floor
    finally:
        env.stop()


# -- keystroke in the drug search ----------------------------------------------------------
class KeystrokeFloor:
    """Floor of a keystroke in the drug search: a line edit over a plain ``QTableView`` of a
    ``QStandardItemModel``, refilled on every keystroke with the same search's 20 results (name,
    DCI, status, price, rate, generic), at the editor's size — rows of one fixed height, nothing
    wrapped, measured or spanned, no tooltips, no style sheet of its own."""

    def __init__(self, drugs, size: tuple[int, int]) -> None:
        from PySide6.QtGui import QStandardItem, QStandardItemModel
        from PySide6.QtWidgets import QLineEdit, QTableView, QVBoxLayout, QWidget

        self._item = QStandardItem
        self._drugs = drugs
        self.widget = QWidget()
        self.edit = QLineEdit()
        self.model = QStandardItemModel(0, 6)
        view = QTableView()
        view.setModel(self.model)
        layout = QVBoxLayout(self.widget)
        layout.addWidget(self.edit)
        layout.addWidget(view)
        self.edit.textChanged.connect(self._search)
        self.widget.resize(*size)
        self.widget.show()

    def _search(self, text: str) -> None:
        self.model.removeRows(0, self.model.rowCount())
        for drug in self._drugs.search(text, limit=20) if text.strip() else []:
            price = drug.price_range
            self.model.appendRow([self._item(str(cell)) for cell in (
                drug.name, drug.dci, "oui" if drug.marketed else "non", price[0] if price else "",
                drug.reimbursement_rates[0] if drug.reimbursement_rates else "", drug.generic.role if drug.generic else "")])

    def close(self) -> None:
        self.widget.close()
