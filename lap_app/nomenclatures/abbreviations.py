"""What GPs type (« NFS », « glycémie à jeun », « bandelettes ») → NABM / LPP codes.

The table is data (``resources/nomenclatures/abbreviations.csv``), each row naming its
source; this module only reads and matches it. Terms are folded like queries (no accents,
lower case), and a term matches a query equal to it or, from 2 characters, starting it.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

from lap_app.drugs.normalize import fold_words
from lap_app.paths import resources_dir

NOMENCLATURES = ("biologie", "dispositifs")


@dataclass(frozen=True, slots=True)
class Abbreviation:
    nomenclature: str  # "biologie" | "dispositifs"
    term: str
    key: str  # folded term
    codes: tuple[str, ...]
    words: str  # extra search words
    source: str


def fold_query(text: str) -> str:
    return fold_words(text).lower()


def abbreviations_file() -> Path:
    return resources_dir() / "nomenclatures" / "abbreviations.csv"


def load_abbreviations(path: Path | None = None) -> list[Abbreviation]:
    text = (path or abbreviations_file()).read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if line.strip() and not line.startswith("#")]
    out = []
    for row in csv.DictReader(io.StringIO("\n".join(lines)), delimiter=";"):
        nomenclature = row["nomenclature"].strip()
        if nomenclature not in NOMENCLATURES:
            raise ValueError(f"abbreviations: unknown nomenclature {nomenclature!r}")
        term = row["term"].strip()
        out.append(Abbreviation(nomenclature, term, fold_query(term), tuple(row["codes"].split()),
                                row["words"].strip(), row["source"].strip()))
    return out


class AbbreviationIndex:
    def __init__(self, entries: list[Abbreviation]) -> None:
        self.entries = entries

    def matching(self, nomenclature: str, query: str) -> list[Abbreviation]:
        """Entries whose term equals the folded query first, then those it starts."""
        key = fold_query(query)
        if not key:
            return []
        mine = [e for e in self.entries if e.nomenclature == nomenclature]
        exact = [e for e in mine if e.key == key]
        prefix = [e for e in mine if e.key != key and len(key) >= 2 and e.key.startswith(key)]
        return exact + prefix
