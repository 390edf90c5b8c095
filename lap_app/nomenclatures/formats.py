"""Reading the SNDS nomenclature files (NABM ``IR_BIO_R``, LPP ``NT_LPP`` and their label
tables): ``;``-separated UTF-8 with RFC 4180 quoting, codes stored as integers (leading zeros
lost), SAS dates (``01FEB2019:00:00:00``). Each unreadable row is reported by file and line
and skipped; the caller decides whether the file as a whole is usable.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from typing import Any

from lap_app.i18n import _

NABM_FILE = "IR_BIO_R.csv"
NABM_EXTRA_FILE = "openbio_ACTE.csv"
LPP_FILE = "NT_LPP.csv"
LPP_TITLES_FILE = "openlpp_TITRE.csv"
LPP_CHAPTERS_FILE = "openlpp_sc1.csv"
LPP_SECTIONS_FILE = "openlpp_sc2.csv"
LPP_BILLED_FILE = "openlpp_CODE_LPP.csv"
KNOWN_FILES = (
    NABM_FILE, NABM_EXTRA_FILE, LPP_FILE, LPP_TITLES_FILE, LPP_CHAPTERS_FILE, LPP_SECTIONS_FILE, LPP_BILLED_FILE,
)
NABM_TECHNICAL_CODES = {"0000", "9999"}  # « acte non codifié », « acte erroné »


@dataclass(frozen=True, slots=True)
class LineProblem:
    file: str
    line: int
    message: str

    def render(self) -> str:
        return f"{self.file}:{self.line} : {self.message}"


@dataclass(slots=True)
class NabmRow:
    code: str
    label: str
    closed_on: date | None = None
    chapter: str = ""
    coefficient: float | None = None
    group: str = ""
    source: str = "IR_BIO_R"


@dataclass(slots=True)
class LppRow:
    code: str
    label: str
    closed_on: date | None = None
    supply_type: str = ""
    max_age: int = 0
    title: str = ""
    chapter: str = ""
    section: str = ""


@dataclass(slots=True)
class Parsed:
    name: str
    rows: list[Any] = field(default_factory=list)  # NabmRow, LppRow or (code, label), by file
    problems: list[LineProblem] = field(default_factory=list)


def clean_label(text: str) -> str:
    return " ".join(text.split())


@lru_cache(maxsize=4096)  # a few hundred distinct dates in 20,000 rows
def sas_date(text: str) -> date | None:
    """``01FEB2019:00:00:00`` → 2019-02-01; empty → None; ValueError otherwise."""
    text = text.strip()
    if not text:
        return None
    return datetime.strptime(text[:9], "%d%b%Y").date()


def padded_code(text: str, digits: int) -> str:
    """The integer-stored code with its leading zeros back; ValueError when not a code."""
    text = text.strip()
    if not text.isdigit() or len(text) > digits:
        raise ValueError(text)
    return text.zfill(digits)


class _Row:
    """One CSV row read by column name (cheaper than a dict per row)."""

    __slots__ = ("fields", "index")

    def __init__(self, fields: list[str], index: dict[str, int]) -> None:
        self.fields = fields
        self.index = index

    def __getitem__(self, column: str) -> str:
        return self.fields[self.index[column]]


def _records(name: str, data: bytes, required: tuple[str, ...], out: Parsed) -> list[tuple[int, _Row]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        out.problems.append(LineProblem(name, 1, _("fichier non UTF-8 ({error})").format(error=error.reason)))
        return []
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=";")
    try:
        header = next(reader)
    except StopIteration:
        return []
    missing = [column for column in required if column not in header]
    if missing:
        out.problems.append(
            LineProblem(name, 1, _("colonnes manquantes : {cols}").format(cols=", ".join(missing)))
        )
        return []
    index = {column: position for position, column in enumerate(header)}
    records = []
    for row in reader:
        line = reader.line_num
        if not row or row == [""]:
            continue
        if len(row) != len(header):
            out.problems.append(
                LineProblem(name, line, _("{n} champs au lieu de {m}").format(n=len(row), m=len(header)))
            )
            continue
        records.append((line, _Row(row, index)))
    return records


def parse_nabm(data: bytes, name: str = NABM_FILE) -> Parsed:
    out = Parsed(name)
    required = ("BIO_PRS_IDE", "BIO_INF_LIB", "BIO_SUP_DAT", "BIO_ARB_CHA", "BIO_GRP_LIB", "BIO_TAR_COF")
    for line, record in _records(name, data, required, out):
        try:
            code = padded_code(record["BIO_PRS_IDE"], 4)
        except ValueError:
            out.problems.append(LineProblem(name, line, _("code NABM illisible : {c!r}").format(c=record["BIO_PRS_IDE"])))
            continue
        if code in NABM_TECHNICAL_CODES:
            continue
        label = clean_label(record["BIO_INF_LIB"])
        if not label:
            out.problems.append(LineProblem(name, line, _("code NABM {c} sans libellé").format(c=code)))
            continue
        try:
            closed_on = sas_date(record["BIO_SUP_DAT"])
        except ValueError:
            out.problems.append(LineProblem(name, line, _("date de fin illisible : {d!r}").format(d=record["BIO_SUP_DAT"])))
            continue
        coefficient = record["BIO_TAR_COF"].strip()
        try:
            value = float(coefficient) if coefficient else None
        except ValueError:
            out.problems.append(LineProblem(name, line, _("coefficient illisible : {c!r}").format(c=coefficient)))
            continue
        out.rows.append(
            NabmRow(code, label, closed_on, record["BIO_ARB_CHA"].strip(), value, clean_label(record["BIO_GRP_LIB"]))
        )
    return out


def parse_nabm_extra(data: bytes, name: str = NABM_EXTRA_FILE) -> Parsed:
    """Open BIO code labels (codes missing from IR_BIO_R are added from here)."""
    out = Parsed(name)
    for line, record in _records(name, data, ("ACTE", "LIB_ACTE"), out):
        try:
            code = padded_code(record["ACTE"], 4)
        except ValueError:
            out.problems.append(LineProblem(name, line, _("code NABM illisible : {c!r}").format(c=record["ACTE"])))
            continue
        label = clean_label(record["LIB_ACTE"])
        if code in NABM_TECHNICAL_CODES or not label:
            continue
        out.rows.append(NabmRow(code, label, source="openbio_ACTE"))
    return out


def parse_lpp(data: bytes, name: str = LPP_FILE) -> Parsed:
    out = Parsed(name)
    required = ("LPP_PRS_IDE", "LPP_RED_LIB", "LPP_VAL_DTF", "LPP_MAX_AGE", "LPP_PRS_TYP",
                "LPP_ARB_CHA", "LPP_ARB_SC1", "LPP_ARB_SC2")
    for line, record in _records(name, data, required, out):
        try:
            code = padded_code(record["LPP_PRS_IDE"], 7)
        except ValueError:
            out.problems.append(LineProblem(name, line, _("code LPP illisible : {c!r}").format(c=record["LPP_PRS_IDE"])))
            continue
        label = clean_label(record["LPP_RED_LIB"])
        if not label:
            out.problems.append(LineProblem(name, line, _("code LPP {c} sans libellé").format(c=code)))
            continue
        try:
            closed_on = sas_date(record["LPP_VAL_DTF"])
            max_age = int(record["LPP_MAX_AGE"] or 0)
        except ValueError:
            out.problems.append(LineProblem(name, line, _("date de fin ou âge maximal illisible")))
            continue
        title, chapter, section = (record[c].strip() for c in ("LPP_ARB_CHA", "LPP_ARB_SC1", "LPP_ARB_SC2"))
        out.rows.append(LppRow(code, label, closed_on, record["LPP_PRS_TYP"].strip(), max_age, title, chapter, section))
    return out


def parse_labels(data: bytes, name: str, key_column: str, label_column: str) -> Parsed:
    """A two-column label table (LPP titles, chapters, sections, billed codes): rows of (key, label)."""
    out = Parsed(name)
    for _line, record in _records(name, data, (key_column, label_column), out):
        key = record[key_column].strip()
        if key:
            out.rows.append((key, clean_label(record[label_column])))
    return out
