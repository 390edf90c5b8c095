"""What the lab, the nurse, the physiotherapist or the device supplier needs on a line, and
which lines each kind of ordonnance may hold.

Choices made here (every problem has its path, e.g. ``sessions[0].sessions``):
- a line in a list its kind does not accept is an error (biology on a nursing ordonnance);
- biology: a 4-digit NABM code and a label; a repetition needs its rhythm unit;
- nursing: an act, a number of times per day or per week, and a duration (error without);
- paramedical care: the care asked and the number of sessions (error without);
- devices: a 7-digit LPP code and a label, a positive quantity; a rental needs a duration;
- a code the nomenclature does not know, or a closed code, is an error when a catalogue is
  given (``CodeCatalogue``): the domain does no I/O, the caller passes the nomenclature;
- imaging and transport are printed only: ``registration_problems`` refuses to send them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from enum import Enum
from typing import TYPE_CHECKING, Any, Protocol, TypeGuard

from lap_app.domain.care import (
    LPP_CODE_DIGITS,
    NABM_CODE_DIGITS,
    ActLine,
    BiologyLine,
    DeviceLine,
    DeviceSupply,
    NursingLine,
    SessionLine,
)
from lap_app.domain.errors import Problem, Severity
from lap_app.domain.kinds import PAPER_ONLY_REASONS, LineFamily, OrdonnanceKind
from lap_app.domain.model import Zone
from lap_app.domain.posology_text import TIME_UNITS
from lap_app.i18n import _

if TYPE_CHECKING:
    from lap_app.domain.model import Ordonnance

NABM = "NABM"
LPP = "LPP"
LINE_STATUSES = {"active", "on-hold", "cancelled", "completed", "entered-in-error", "stopped", "draft"}


class CodeState(str, Enum):
    OPEN = "open"
    CLOSED = "closed"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class CodeStatus:
    state: CodeState
    label: str = ""
    closed_on: date | None = None


class CodeCatalogue(Protocol):
    """A nomenclature (NABM or LPP) as validation sees it."""

    def code_status(self, nomenclature: str, code: str) -> CodeStatus: ...


def _family_noun(family: LineFamily) -> str:
    return {
        LineFamily.MEDICINES: _("un médicament"),
        LineFamily.DEVICES: _("un dispositif médical"),
        LineFamily.ANALYSES: _("une analyse de biologie"),
        LineFamily.NURSING: _("un soin infirmier"),
        LineFamily.SESSIONS: _("une séance de soins paramédicaux"),
        LineFamily.ACTS: _("un acte d'imagerie ou de transport"),
    }[family]


def _blank(text: str | None) -> bool:
    return not (text or "").strip()


def _positive(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value) and value > 0


def _positive_int(value: Any) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def kind_problems(o: Ordonnance, catalogue: CodeCatalogue | None = None) -> list[Problem]:
    """Problems of the non-medicine lines and of the kind/lines agreement."""
    out: list[Problem] = []
    if not isinstance(o.kind, OrdonnanceKind):
        out.append(Problem("kind", _("type d'ordonnance inconnu")))
        return out
    accepted = o.kind.families
    for family, index, line in o.every_line():
        path = f"{family.value}[{index}]"
        if family not in accepted:
            out.append(
                Problem(
                    path,
                    _("{what} n'a pas sa place sur une ordonnance « {kind} »").format(
                        what=_family_noun(family), kind=o.kind.label
                    ),
                )
            )
            continue
        if family is LineFamily.MEDICINES:
            continue  # CSP R.5132-3 checks in validation.py
        _common(line, path, out)
        if isinstance(line, BiologyLine):
            _analysis(line, path, out, catalogue)
        elif isinstance(line, NursingLine):
            _nursing(line, path, out)
        elif isinstance(line, SessionLine):
            _session(line, path, out)
        elif isinstance(line, DeviceLine):
            _device(line, path, out, catalogue)
        elif isinstance(line, ActLine) and _blank(line.text):
            out.append(Problem(f"{path}.text", _("acte prescrit manquant")))
    if not o.kind.registrable and o.number is not None:
        out.append(Problem("number", _("une ordonnance « {kind} » ne porte pas de numéro").format(kind=o.kind.label)))
    return out


def registration_problems(o: Ordonnance) -> list[Problem]:
    """Why ``o`` cannot be sent to the national base (empty when it can)."""
    if isinstance(o.kind, OrdonnanceKind) and not o.kind.registrable:
        return [Problem("kind", _(PAPER_ONLY_REASONS[o.kind]))]
    return []


def _common(line: Any, path: str, out: list[Problem]) -> None:
    if not isinstance(line.zone, Zone):
        out.append(Problem(f"{path}.zone", _("zone inconnue (ALD ou HORS-ALD)")))
    if line.status not in LINE_STATUSES:
        out.append(Problem(f"{path}.status", _("statut de ligne inconnu : {s}").format(s=line.status)))


def _unit(value: Any, path: str, out: list[Problem]) -> None:
    if value is not None and value not in TIME_UNITS:
        out.append(Problem(path, _("unité de temps inconnue : {u}").format(u=value)))


def _code(
    nomenclature: str, code: str, digits: int, path: str, out: list[Problem], catalogue: CodeCatalogue | None
) -> None:
    if not (isinstance(code, str) and len(code) == digits and code.isdigit()):
        out.append(
            Problem(
                f"{path}.code",
                _("code {n} invalide : {d} chiffres attendus").format(n=nomenclature, d=digits),
            )
        )
        return
    if catalogue is None:
        return
    status = catalogue.code_status(nomenclature, code)
    if status.state is CodeState.UNKNOWN:
        out.append(
            Problem(f"{path}.code", _("code {n} {c} absent de la nomenclature").format(n=nomenclature, c=code))
        )
    elif status.state is CodeState.CLOSED:
        out.append(Problem(f"{path}.code", closed_code_message(nomenclature, code, status.closed_on)))


def closed_code_message(nomenclature: str, code: str, closed_on: date | None) -> str:
    """« code NABM 0321 fermé depuis le 01/02/2019 : il ne peut plus être prescrit »."""
    if closed_on is None:
        return _("code {n} {c} fermé : il ne peut plus être prescrit").format(n=nomenclature, c=code)
    return _("code {n} {c} fermé depuis le {d} : il ne peut plus être prescrit").format(
        n=nomenclature, c=code, d=closed_on.strftime("%d/%m/%Y")
    )


def _analysis(line: BiologyLine, path: str, out: list[Problem], catalogue: CodeCatalogue | None) -> None:
    _code(NABM, line.code, NABM_CODE_DIGITS, path, out, catalogue)
    if _blank(line.label):
        out.append(Problem(f"{path}.label", _("libellé de l'analyse manquant")))
    if line.repeat_count is not None and not _positive_int(line.repeat_count):
        out.append(Problem(f"{path}.repeat_count", _("nombre de répétitions : entier positif attendu")))
    if line.every is not None and not _positive(line.every):
        out.append(Problem(f"{path}.every", _("intervalle entre deux analyses : nombre positif attendu")))
    if line.every is not None and line.every_unit is None:
        out.append(Problem(f"{path}.every_unit", _("unité de l'intervalle entre deux analyses manquante")))
    _unit(line.every_unit, f"{path}.every_unit", out)
    if line.repeat_duration is not None:
        if not _positive(line.repeat_duration):
            out.append(Problem(f"{path}.repeat_duration", _("durée de la répétition : nombre positif attendu")))
        if line.every is None:
            out.append(
                Problem(f"{path}.every", _("une durée de répétition demande un intervalle (toutes les semaines…)"))
            )
        if line.repeat_duration_unit is None:
            out.append(Problem(f"{path}.repeat_duration_unit", _("unité de la durée de répétition manquante")))
    _unit(line.repeat_duration_unit, f"{path}.repeat_duration_unit", out)


def _nursing(line: NursingLine, path: str, out: list[Problem]) -> None:
    if _blank(line.act):
        out.append(Problem(f"{path}.act", _("soin infirmier à réaliser manquant")))
    if line.times is None:
        out.append(Problem(f"{path}.times", _("fréquence des soins manquante (nombre de fois par jour ou par semaine)")))
    elif not _positive_int(line.times):
        out.append(Problem(f"{path}.times", _("fréquence des soins : entier positif attendu")))
    if line.per not in ("d", "wk"):
        out.append(Problem(f"{path}.per", _("fréquence des soins : par jour ou par semaine")))
    if line.duration is None:
        out.append(Problem(f"{path}.duration", _("durée des soins infirmiers manquante")))
    elif not _positive(line.duration):
        out.append(Problem(f"{path}.duration", _("durée des soins : nombre positif attendu")))
    elif line.duration_unit is None:
        out.append(Problem(f"{path}.duration_unit", _("unité de la durée des soins manquante")))
    _unit(line.duration_unit, f"{path}.duration_unit", out)


def _session(line: SessionLine, path: str, out: list[Problem]) -> None:
    if _blank(line.care):
        out.append(Problem(f"{path}.care", _("soins demandés manquants (rééducation de…)")))
    if line.sessions is None:
        out.append(Problem(f"{path}.sessions", _("nombre de séances manquant")))
    elif not _positive_int(line.sessions):
        out.append(Problem(f"{path}.sessions", _("nombre de séances : entier positif attendu")))
    if line.rhythm is not None and not _positive_int(line.rhythm):
        out.append(Problem(f"{path}.rhythm", _("rythme des séances : entier positif attendu")))
    _unit(line.rhythm_unit, f"{path}.rhythm_unit", out)
    if _positive_int(line.sessions) and _positive_int(line.rhythm) and line.rhythm > line.sessions:
        out.append(
            Problem(
                f"{path}.rhythm",
                _("plus de séances par période que de séances en tout"),
                Severity.WARNING,
            )
        )


def _device(line: DeviceLine, path: str, out: list[Problem], catalogue: CodeCatalogue | None) -> None:
    _code(LPP, line.code, LPP_CODE_DIGITS, path, out, catalogue)
    if _blank(line.label):
        out.append(Problem(f"{path}.label", _("libellé du dispositif manquant")))
    if not isinstance(line.supply, DeviceSupply):
        out.append(Problem(f"{path}.supply", _("achat ou location à préciser")))
    if not _positive_int(line.quantity):
        out.append(Problem(f"{path}.quantity", _("quantité : entier positif attendu")))
    if line.duration is not None and not _positive(line.duration):
        out.append(Problem(f"{path}.duration", _("durée : nombre positif attendu")))
    if line.supply is DeviceSupply.RENTAL and line.duration is None:
        out.append(Problem(f"{path}.duration", _("durée de location manquante")))
    if line.duration is not None and line.duration_unit is None:
        out.append(Problem(f"{path}.duration_unit", _("unité de la durée manquante")))
    _unit(line.duration_unit, f"{path}.duration_unit", out)
    if not isinstance(line.renewals, int) or isinstance(line.renewals, bool) or line.renewals < 0:
        out.append(Problem(f"{path}.renewals", _("nombre de renouvellements : entier positif ou nul attendu")))
