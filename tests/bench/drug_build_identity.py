"""Is the drug base built by this checkout the same as before a change? (not collected by pytest)

    .venv/bin/python tests/bench/drug_build_identity.py --compare
    .venv/bin/python tests/bench/drug_build_identity.py --write    (after a change meant to alter the base)

Builds five cases — the shipped 2021-05 release; it with the 2026-04 update imported; a damaged
release (bad price, truncated and over-long lines, a bad CIS, a UTF-8 file, a duplicate CIS, an
unknown component nature and generic type); a partial one (two files); the partial one with the
damaged one imported — and digests every table row by row in storage order (the full-text
indexes' own tables included), both full-text indexes word by word with their positions
(fts5vocab ``instance``), the schema, and the import reports (counts, French messages, CIS
added, removed, renamed). ``imported_at`` is left out. The digests are compared with those
recorded in ``drug_build_identity.json`` beside this file (or the file given). The full-text
indexes' pages depend on the SQLite version, recorded with them. The build does not depend on
Python's hash seed (a drug's thesaurus keys are written in key order).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sqlite3
import sys
import tempfile
from pathlib import Path

from lap_app.drugs.importer import ImportReport, build_database, import_release, read_source_files, shipped_bdpm_archive

BDPM_2026_ARCHIVE = Path(__file__).resolve().parents[1] / "fixtures" / "bdpm-2026-04.tar.xz"
RECORDED = Path(__file__).resolve().with_suffix(".json")


def _damaged_releases(out: Path) -> tuple[Path, Path]:
    files, _ignored = read_source_files(shipped_bdpm_archive())
    damaged = out / "damaged"
    damaged.mkdir()
    for name, data in files.items():
        lines = data.split(b"\n")
        if name == "CIS_CIP_bdpm.txt":
            fields = lines[5].split(b"\t")
            fields[9] = b"12,3x"
            lines[5] = b"\t".join(fields)
            lines[7] = b"\t".join(lines[7].split(b"\t")[:5])
            lines.insert(9, b"")
            lines[11] += b"\t\t\t"
        elif name == "CIS_bdpm.txt":
            duplicate = lines[3].split(b"\t")
            duplicate[1] = b"NOM CHANGE " + duplicate[1]
            lines.append(b"\t".join(duplicate))
            lines[20] += b"\textra\tcols"
            lines[30] = b"1234\t" + b"\t".join(lines[30].split(b"\t")[1:])
            (damaged / name).write_bytes(b"\r\n".join(lines).decode("cp1252").encode("utf-8"))
            continue
        elif name == "CIS_COMPO_bdpm.txt":
            fields = lines[2].split(b"\t")
            fields[6] = b"XX"
            lines[2] = b"\t".join(fields)
        elif name == "CIS_GENER_bdpm.txt":
            fields = lines[1].split(b"\t")
            fields[3] = b"9"
            lines[1] = b"\t".join(fields)
        (damaged / name).write_bytes(b"\n".join(lines))
    partial = out / "partial"
    partial.mkdir()
    for name in ("CIS_bdpm.txt", "CIS_COMPO_bdpm.txt"):
        (partial / name).write_bytes(files[name])
    (partial / "README.txt").write_bytes(b"x")
    return damaged, partial


def _digest(rows: list) -> list:
    return [len(rows), hashlib.sha256(repr(rows).encode()).hexdigest()]


def _database(path: Path) -> dict:
    conn = sqlite3.connect(path)
    found: dict = {"schema": sorted(conn.execute("SELECT type, name, tbl_name, sql FROM sqlite_master").fetchall()),
                   "pragmas": [conn.execute(f"PRAGMA {name}").fetchone()
                               for name in ("user_version", "journal_mode", "page_size", "encoding")]}
    tables = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND sql NOT LIKE 'CREATE VIRTUAL%'")
    for (name,) in tables.fetchall():
        rows = conn.execute(f'SELECT * FROM "{name}"').fetchall()  # names from the file itself
        if name == "meta":
            rows = [row for row in rows if row[0] != "imported_at"]
        found[name] = _digest(rows)
        found[f"{name} (sorted)"] = _digest(sorted(rows, key=repr))
    for index in ("drug_fts", "drug_lead"):
        conn.execute(f"CREATE VIRTUAL TABLE temp.words_{index} USING fts5vocab(main, {index}, instance)")
        found[f"{index} words"] = _digest(conn.execute(f"SELECT * FROM temp.words_{index}").fetchall())
    conn.close()
    return found


def _report(report: ImportReport) -> dict:
    return {"rows": report.rows, "files": report.files, "problems": [p.render() for p in report.problems],
            "warnings": [p.render() for p in report.warnings], "added": _digest(report.added),
            "removed": _digest(report.removed), "renamed": _digest(report.renamed), "ignored": report.ignored_files,
            "stats": repr(report.stats)}


def measure() -> dict:
    with tempfile.TemporaryDirectory(prefix="lap-identity-") as tmp:
        work = Path(tmp)
        damaged, partial = _damaged_releases(work)
        cases = {}
        full, part, broken = work / "full.sqlite3", work / "partial.sqlite3", work / "damaged.sqlite3"
        cases["shipped"] = (_report(build_database(full)), _database(full))
        cases["shipped + 2026-04"] = (_report(import_release(full, BDPM_2026_ARCHIVE)), _database(full))
        cases["damaged"] = (_report(build_database(broken, damaged)), _database(broken))
        cases["partial"] = (_report(build_database(part, partial)), _database(part))
        cases["partial + damaged"] = (_report(import_release(part, damaged)), _database(part))
    cases["SQLite"] = ({"version": sqlite3.sqlite_version}, {})
    return json.loads(json.dumps(cases, ensure_ascii=False, default=str))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    action = parser.add_mutually_exclusive_group(required=True)
    action.add_argument("--write", type=Path, nargs="?", const=RECORDED,
                        help=f"record this checkout's digests (default {RECORDED.name})")
    action.add_argument("--compare", type=Path, nargs="?", const=RECORDED,
                        help=f"compare this checkout with recorded digests (default {RECORDED.name})")
    options = parser.parse_args()
    found = measure()
    if options.write:
        options.write.write_text(json.dumps(found, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        print(f"digests written: {options.write}")
        return 0
    recorded = json.loads(options.compare.read_text(encoding="utf-8"))
    differences = [f"{case}: {part} {key}" for case in recorded for part, (was, now) in
                   (("report", (recorded[case][0], found[case][0])), ("database", (recorded[case][1], found[case][1])))
                   for key in sorted(set(was) | set(now)) if was.get(key) != now.get(key)]
    print("\n".join(differences) or "identical: every table, both full-text indexes and every report")
    return 1 if differences else 0


if __name__ == "__main__":
    sys.exit(main())
