"""Reading the official BDPM text files, tolerant of their real-world quirks.

The files are tab separated, without header or quoting, in Windows-1252, with CRLF or LF
line ends, blank lines and trailing tabs. A line that cannot be used is reported with its
file name and line number and skipped; the rest of the file imports.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import lru_cache

from lap_app.drugs.normalize import parse_french_decimal, parse_rate
from lap_app.i18n import _

# A real field is at most ~1,500 characters (reimbursement conditions); anything far
# longer is a broken file (a missing line end glued thousands of lines together).
MAX_FIELD_CHARS = 20_000


@dataclass(frozen=True, slots=True)
class LineProblem:
    file: str
    line: int  # 1-based; 0 for a problem about the whole file
    message: str

    def render(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where} : {self.message}"


@dataclass(slots=True)
class ParsedFile:
    name: str
    rows: list[tuple] = field(default_factory=list)
    problems: list[LineProblem] = field(default_factory=list)  # skipped lines
    warnings: list[LineProblem] = field(default_factory=list)  # imported, with a remark
    encoding: str = "cp1252"


Row = tuple
RowParser = Callable[[list[str]], Row]  # raises ValueError(French reason) to skip the line


def _invalid(what: str, value: str) -> ValueError:
    return ValueError(_("{what} invalide « {value} »").format(what=what, value=value[:40]))


# the checks below run on every line (100,000 per release): plain string tests, and the
# message translated only for a line that fails
def _cis(value: str) -> str:
    if len(value) == 8 and value.isdecimal():  # isdecimal: what \d matches
        return value
    raise _invalid(_("code CIS"), value)


def _parse_cis_row(f: list[str]) -> Row:
    if not f[1]:
        raise ValueError(_("dénomination vide"))
    return (_cis(f[0]), f[1], f[2], f[3], f[4], f[5], f[6], f[7], f[8], f[9], f[10], f[11])


# 60,000 price fields hold 4,000 distinct texts, 20,000 rates 9: each text read once
_price = lru_cache(maxsize=16_384)(parse_french_decimal)
_rate = lru_cache(maxsize=256)(parse_rate)


def _is_price(value: str) -> bool:
    try:
        _price(value)
    except ValueError:
        return False
    return True


def _parse_cip_row(f: list[str]) -> Row:
    cip7, cip13 = f[1], f[6]
    if len(cip7) != 7 or not cip7.isdecimal():
        raise _invalid(_("code CIP7"), cip7)
    if len(cip13) != 13 or not cip13.isdecimal():
        raise _invalid(_("code CIP13"), cip13)
    try:
        rate = _rate(f[8])
    except ValueError:
        raise ValueError(_("taux de remboursement illisible « {v} »").format(v=f[8][:20])) from None
    try:
        prices = (_price(f[9]), _price(f[10]), _price(f[11]))
    except ValueError:
        value = next(v for v in f[9:12] if not _is_price(v))  # the first that cannot be read
        raise ValueError(_("prix illisible « {v} »").format(v=value[:20])) from None
    return (_cis(f[0]), cip7, f[2], f[3], f[4], f[5], cip13, f[7], rate, *prices, f[12])


def _parse_compo_row(f: list[str]) -> Row:
    if f[6] not in ("SA", "FT"):
        raise ValueError(_("nature de composant inconnue « {v} »").format(v=f[6][:10]))
    if not f[3]:
        raise ValueError(_("substance vide"))
    link = int(f[7]) if f[7].isdigit() else None
    return (_cis(f[0]), f[1], f[2], f[3], f[4], f[5], f[6], link)


def _parse_gener_row(f: list[str]) -> Row:
    if not f[0].isdigit():
        raise ValueError(_("identifiant de groupe générique invalide « {v} »").format(v=f[0][:20]))
    if f[3] not in ("0", "1", "2", "4"):
        raise ValueError(_("type générique inconnu « {v} »").format(v=f[3][:10]))
    order = int(f[4]) if f[4].isdigit() else None
    return (int(f[0]), f[1], _cis(f[2]), int(f[3]), order)


def _parse_cpd_row(f: list[str]) -> Row:
    if not f[1]:
        raise ValueError(_("condition vide"))
    return (_cis(f[0]), f[1])


@dataclass(frozen=True, slots=True)
class FileSpec:
    name: str  # official file name
    table: str
    columns: int  # columns used; a shorter line is malformed
    min_columns: int  # below this the line is malformed; between the two, padded with ""
    parse: RowParser


FILE_SPECS: tuple[FileSpec, ...] = (
    FileSpec("CIS_bdpm.txt", "drug", 12, 12, _parse_cis_row),
    FileSpec("CIS_CIP_bdpm.txt", "presentation", 13, 12, _parse_cip_row),
    FileSpec("CIS_COMPO_bdpm.txt", "composition", 8, 8, _parse_compo_row),
    FileSpec("CIS_GENER_bdpm.txt", "generic_group", 5, 4, _parse_gener_row),
    FileSpec("CIS_CPD_bdpm.txt", "prescribing_condition", 2, 2, _parse_cpd_row),
)
SPECS_BY_NAME = {spec.name: spec for spec in FILE_SPECS}


def _decode(name: str, data: bytes, parsed: ParsedFile) -> Iterable[tuple[int, str]]:
    """Lines as (number, text). Windows-1252 per line; a UTF-8 file is recognised and read."""
    if data and not data.isascii():
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            pass
        else:  # valid UTF-8 with non-ASCII bytes: not what the ANSM publishes, but unambiguous
            parsed.encoding = "utf-8"
            parsed.warnings.append(
                LineProblem(name, 0, _("fichier encodé en UTF-8 au lieu de Windows-1252 : lu en UTF-8"))
            )
    try:  # the whole file at once; line by line only to name the lines that fail
        return enumerate(data.decode(parsed.encoding).split("\n"), start=1)
    except UnicodeDecodeError:
        pass
    lines = []
    for number, raw in enumerate(data.split(b"\n"), start=1):
        try:
            lines.append((number, raw.decode(parsed.encoding)))
        except UnicodeDecodeError as error:
            parsed.problems.append(
                LineProblem(name, number, _("octet invalide en {enc} (colonne {col})").format(
                    enc=parsed.encoding, col=error.start + 1))
            )
    return lines


def parse_bdpm_bytes(spec: FileSpec, data: bytes) -> ParsedFile:
    parsed = ParsedFile(spec.name)
    columns, min_columns, parse = spec.columns, spec.min_columns, spec.parse
    rows, problems, strip = parsed.rows, parsed.problems, str.strip
    append, longest_allowed = rows.append, MAX_FIELD_CHARS
    for number, line in _decode(spec.name, data, parsed):
        if not line or line.isspace():  # blank, or "\r" alone
            continue
        fields = list(map(strip, line.split("\t")))
        count = len(fields)
        if count == columns and len(line) <= longest_allowed:  # the usual line
            try:
                append(parse(fields))
            except ValueError as error:
                problems.append(LineProblem(spec.name, number, str(error)))
            continue
        while count > columns and not fields[-1]:  # trailing tabs
            fields.pop()
            count -= 1
        if count < min_columns:
            problems.append(LineProblem(spec.name, number, _(
                "ligne tronquée : {n} colonnes au lieu de {m}").format(n=count, m=columns)))
            continue
        if count > columns:
            problems.append(LineProblem(spec.name, number, _(
                "{n} colonnes au lieu de {m}").format(n=count, m=columns)))
            continue
        longest = max(len(value) for value in fields) if len(line) > longest_allowed else 0
        if longest > longest_allowed:
            problems.append(LineProblem(spec.name, number, _(
                "champ démesuré ({n} caractères)").format(n=longest)))
            continue
        if count < columns:
            fields += [""] * (columns - count)
        try:
            append(parse(fields))
        except ValueError as error:
            problems.append(LineProblem(spec.name, number, str(error)))
    return parsed
