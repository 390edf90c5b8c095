"""What a posology must hold to be prescribed and phrased: the rules ``validate_ordonnance``
applies to each line and ``Posology.sentence()`` applies before phrasing one."""

from __future__ import annotations

import math

from lap_app.domain.errors import Problem, Severity, ValidationError
from lap_app.domain.posology import Posology
from lap_app.domain.posology_text import EVENT_TIMING, KNOWN_EVENT_CODES, TIME_UNITS
from lap_app.i18n import _


class IncompletePosology(ValidationError):
    """The posology cannot be phrased yet (a half-typed one, a damaged draft): ``problems``
    says what is missing or wrong."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(_("Posologie incomplète"), problems)


def _blank(text: str | None) -> bool:
    return not (text or "").strip()


def positive_or_none(value: object) -> bool:
    """Absent, or a finite number above zero (a boolean is not a number here)."""
    return value is None or (isinstance(value, (int, float)) and not isinstance(value, bool)
                             and math.isfinite(value) and value > 0)


def posology_problems(p: Posology, base: str = "posology") -> list[Problem]:
    """Every problem of ``p`` (errors and warnings), each with its path under ``base``."""
    out: list[Problem] = []

    def error(path: str, message: str) -> None:
        out.append(Problem(path, message, Severity.ERROR))

    def warning(path: str, message: str) -> None:
        out.append(Problem(path, message, Severity.WARNING))

    if p.dose is None and _blank(p.text):
        error(base, _("posologie manquante (dose par prise)"))
    if p.dose is not None and _blank(p.dose_unit):
        error(f"{base}.dose_unit", _("unité de la dose manquante (comprimé, ml…)"))
    for name, label in (
        ("dose", _("dose")),
        ("frequency", _("nombre de prises")),
        ("period", _("période")),
        ("max_dose", _("dose maximale")),
        ("max_period", _("période de la dose maximale")),
        ("min_interval_hours", _("intervalle entre deux prises")),
        ("duration", _("durée")),
    ):
        if not positive_or_none(getattr(p, name)):
            error(f"{base}.{name}", _("{label} : nombre positif attendu").format(label=label))
    for name in ("period_unit", "max_period_unit", "duration_unit"):
        unit = getattr(p, name)
        if unit is not None and unit not in TIME_UNITS:
            error(f"{base}.{name}", _("unité de temps inconnue : {u}").format(u=unit))
    unknown = [code for code in p.when if code not in KNOWN_EVENT_CODES]
    if unknown:
        error(f"{base}.when", _("moment de prise inconnu : {c}").format(c=", ".join(unknown)))
    if p.as_needed is False and not p.when and p.frequency is None and p.period is None and _blank(p.text):
        warning(base, _("rythme des prises non précisé (moments, fréquence ou « si besoin »)"))
    moments = {EVENT_TIMING[code][0] for code in p.when if code in EVENT_TIMING} - {None}
    per_day = p.period in (None, 1) and p.period_unit in (None, "d")
    if moments and p.frequency is not None and per_day and p.frequency != len(moments):
        warning(f"{base}.frequency", _("le nombre de prises par jour ne correspond pas aux moments indiqués"))
    if p.max_dose is not None and p.max_period_unit is None:
        error(f"{base}.max_period_unit", _("période de la dose maximale manquante"))
    return out


def phrasing_problems(p: Posology) -> list[Problem]:
    """The errors that stop ``p`` from being phrased (warnings do not)."""
    return [problem for problem in posology_problems(p) if problem.severity is Severity.ERROR]
