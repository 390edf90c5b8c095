"""What a prescrit's execution must respect of the ordonnance it carries out, line by line.

Line N of the prescrit protocol is the Nth line resource of the Bundle (MedicationRequest,
DeviceRequest, ServiceRequest, in Bundle order: medicines first). What a line allows:

- medicine: as for dispensing (``dispensing_rules``), in boxes;
- device: the prescribed quantity × (1 + renewals), bought or rented as prescribed;
- biology: the prescribed number of times, else one per period of the repetition (a weekly
  INR for three months: 13), else once;
- nursing: times per day or week over the prescribed duration;
- paramedical sessions: the prescribed number of sessions (« séance n sur N »).

An analysis, a visit or a session reported not done needs its reason and counts for nothing.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any

from lap_app.fhir import constants as c
from lap_app.standins.base_server.dispensing_rules import french_day, prescribed_line
from lap_app.standins.base_server.periods import MONTH_DAYS, period_problems
from lap_app.standins.base_server.status_rules import closed_problems

LINE_RESOURCES = ("MedicationRequest", "DeviceRequest", "ServiceRequest")
UCUM_DAYS = {"min": 1 / 1440, "h": 1 / 24, "d": 1.0, "wk": 7.0, "mo": MONTH_DAYS, "a": 365.25}
SESSION_KINDS = frozenset({"kinesitherapie", "orthophonie", "orthoptie", "podologie"})
# The word for one unit of each line type, as the prescrit reads it.
LINE_TYPES = {"medicament": "boîte(s)", "dispositif": "unité(s)", "analyse": "réalisation(s)",
              "soin": "acte(s)", "seance": "séance(s)"}


@dataclass(frozen=True, slots=True)
class ExecutableLine:
    line: int  # 1-based, over every line resource
    type: str  # a key of LINE_TYPES
    text: str
    code: str | None  # NABM (biology), LPP (device), CIS (medicine)
    prescribed: float | None  # what may be done in all; None: not bounded by the ordonnance
    substitution_allowed: bool = True
    supply: str | None = None  # device: "achat" | "location"
    medicine_index: int | None = None  # line number in the pharmacy protocol (medicines only)
    per_period: float | None = None  # carried out by periods (periods.py): so much per period...
    period_days: float | None = None  # ... of so many days
    stated: bool = True  # False: ``prescribed`` is the base's ceiling (a medicine without a number of boxes)

    @property
    def written(self) -> float | None:
        """What the ordonnance (or the prescriber's agreement) says, as its reader is shown."""
        return self.prescribed if self.stated else None


def executable_lines(bundle: dict[str, Any], kind: str) -> list[ExecutableLine]:
    out: list[ExecutableLine] = []
    medicines = 0
    for entry in _list(bundle.get("entry")):
        resource = _object(_object(entry).get("resource"))
        resource_type = resource.get("resourceType")
        if resource_type not in LINE_RESOURCES:
            continue
        number = len(out) + 1
        if resource_type == "MedicationRequest":
            medicines += 1
            allowed = prescribed_line(resource)
            concept = _object(resource.get("medicationCodeableConcept"))
            per_period, period_days = _medicine_periods(resource, allowed.max_quantity)
            out.append(ExecutableLine(number, "medicament", str(concept.get("text", "")), _code(concept),
                                      allowed.max_quantity, allowed.substitution_allowed, medicine_index=medicines,
                                      per_period=per_period, period_days=period_days, stated=allowed.boxes_given))
        elif resource_type == "DeviceRequest":
            concept = _object(resource.get("codeCodeableConcept"))
            params = _device_parameters(resource)
            quantity = _positive(_object(params.get(c.DEVICE_QUANTITY)).get("value")) or 1.0
            renewals = _positive(_object(params.get(c.DEVICE_RENEWALS)).get("value")) or 0.0
            supply = _code(params.get(c.DEVICE_SUPPLY))
            bounds = _object(_object(_object(resource.get("occurrenceTiming")).get("repeat")).get("boundsDuration"))
            renewed = renewals > 0  # each renewal a period of the prescribed duration (a month if none)
            out.append(ExecutableLine(number, "dispositif", str(concept.get("text", "")), _code(concept),
                                      quantity * (1 + renewals), supply=supply, per_period=quantity if renewed else None,
                                      period_days=(_days(bounds.get("value"), bounds.get("code")) or MONTH_DAYS)
                                      if renewed else None))
        else:
            concept = _object(resource.get("code"))
            line_type = "analyse" if kind == "biologie" else "seance" if kind in SESSION_KINDS else "soin"
            per_period, period_days = _service_periods(resource)
            out.append(ExecutableLine(number, line_type, str(concept.get("text", "")), _code(concept),
                                      _service_limit(resource, line_type), per_period=per_period,
                                      period_days=period_days))
    return out


def _service_limit(resource: dict[str, Any], line_type: str) -> float | None:
    quantity = _positive(_object(resource.get("quantityQuantity")).get("value"))
    if quantity is not None:
        return quantity
    repeat = _object(_object(resource.get("occurrenceTiming")).get("repeat"))
    frequency = _positive(repeat.get("frequency")) or 1.0
    period = _days(repeat.get("period"), repeat.get("periodUnit"))
    bounds = _object(repeat.get("boundsDuration"))
    total = _days(bounds.get("value"), bounds.get("code"))
    if period is not None and total is not None:
        return frequency * max(1, math.ceil(total / period - 0.1))  # 91.3 days / 7 → 13 weeks
    if line_type == "seance":
        return None  # a number of sessions is checked at prescription time
    return frequency if period is not None else 1.0


def _service_periods(resource: dict[str, Any]) -> tuple[float | None, float | None]:
    """So many per day, week...: a weekly INR, 2 sessions a week, a dressing a day."""
    repeat = _object(_object(resource.get("occurrenceTiming")).get("repeat"))
    period = _days(repeat.get("period"), repeat.get("periodUnit"))
    if period is None:
        return None, None
    return _positive(repeat.get("frequency")) or 1.0, period


def _medicine_periods(request: dict[str, Any], total: float) -> tuple[float | None, float | None]:
    """Each renewal a period; a period longer than a month delivered by the month (CSP
    R.5123-2: one month of treatment at most per delivery), the boxes shared out."""
    dispense = _object(request.get("dispenseRequest"))
    renewals = dispense.get("numberOfRepeatsAllowed")
    fills = 1 + (renewals if isinstance(renewals, int) and renewals > 0 else 0)
    supply = _object(dispense.get("expectedSupplyDuration"))
    duration = _days(supply.get("value"), supply.get("code"))
    for dosage in _list(request.get("dosageInstruction")):
        bounds = _object(_object(_object(_object(dosage).get("timing")).get("repeat")).get("boundsDuration"))
        duration = duration or _days(bounds.get("value"), bounds.get("code"))
    fractions = max(1, math.ceil(duration / MONTH_DAYS - 0.1)) if duration else 1
    if fills * fractions == 1:
        return None, None
    return float(math.ceil(total / fills / fractions - 1e-9)), (duration / fractions if duration else MONTH_DAYS)


def _days(value: Any, unit: Any) -> float | None:
    number = _positive(value)
    if number is None or unit not in UCUM_DAYS:
        return None
    return number * UCUM_DAYS[str(unit)]


def _device_parameters(resource: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for parameter in _list(resource.get("parameter")):
        parameter = _object(parameter)
        code = _code(parameter.get("code"))
        if code is not None:
            out[code] = parameter.get("valueQuantity") or parameter.get("valueCodeableConcept")
    return out


def _code(concept: Any) -> str | None:
    for coding in _list(_object(concept).get("coding")):
        value = _object(coding).get("code")
        if isinstance(value, str):
            return value
    return None


def _positive(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0 else None


def _object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def amount(item: Any) -> float:
    """What an execution line uses up of its line: nothing when not done."""
    if not item.done:
        return 0.0
    return float(item.quantity) if item.quantity is not None else float(item.count)


def execution_problems(lines: list[ExecutableLine], status: str, registered_at: float,
                       history: dict[int, list[tuple[dt.date, float]]], items: list[Any],
                       now: float) -> list[dict[str, str]]:
    """Every problem of ``items`` against the ordonnance (``history``: each line's done records so
    far, (day, amount) in recording order)."""
    already = {line: sum(amount for _day, amount in records) for line, records in history.items()}
    problems = closed_problems(status, "aucune exécution possible")
    first_day, today = french_day(registered_at), french_day(now)
    totals = dict(already)
    for i, item in enumerate(items):
        def problem(field: str, message: str, index: int = i) -> None:
            problems.append({"path": f"lines[{index}].{field}", "message": message})

        if item.line > len(lines):
            problem("line", f"ligne inexistante (1 à {len(lines)})")
            continue
        line = lines[item.line - 1]
        if not item.done and not (item.reason or "").strip():
            problem("reason", "motif obligatoire pour un acte non réalisé")
        if item.code is not None and item.code != line.code:
            problem("code", f"code {item.code} absent de cette ligne de l'ordonnance (prescrit : {line.code or 'aucun'})")
        if item.quantity is not None and line.type != "medicament":
            problem("quantity", "quantité en boîtes réservée aux médicaments : indiquer « count »")
        totals[item.line] = totals.get(item.line, 0.0) + amount(item)
        if line.prescribed is not None and totals[item.line] > line.prescribed + 1e-9:
            problem("count" if item.quantity is None else "quantity", (
                f"au-delà de la prescription : {totals[item.line]:g} sur {line.prescribed:g} "
                f"{LINE_TYPES[line.type]} prescrits ({already.get(item.line, 0.0):g} déjà)") if line.stated else (
                f"au-delà de ce que la base admet sans nombre de boîtes prescrit : {totals[item.line]:g} pour "
                f"{line.prescribed:g} au plus ({already.get(item.line, 0.0):g} déjà)"))
        if item.substituted and (line.type != "medicament" or not line.substitution_allowed):
            problem("substituted", "substitution interdite sur cette ligne")
        if item.supply is not None:
            if line.type != "dispositif":
                problem("supply", "achat ou location : réservé aux dispositifs")
            elif line.supply is not None and item.supply != line.supply:
                problem("supply", f"prescrit en {line.supply} : un changement demande l'accord du prescripteur")
        if item.until is not None and (line.type != "dispositif" or item.until < (item.date or today)):
            problem("until", "fin de location sans objet ou antérieure à la délivrance")
        _date_problems(item.date, first_day, today, problem)
    problems += period_problems(lines, history, [
        (f"lines[{i}].{'count' if item.quantity is None else 'quantity'}", item.line, item.date or today, amount(item))
        for i, item in enumerate(items)])
    return problems


def _date_problems(date: dt.date | None, first_day: dt.date, today: dt.date, problem: Any) -> None:
    if date is not None and date > today:
        problem("date", "date de réalisation dans le futur")
    if date is not None and date < first_day:
        problem("date", "date de réalisation antérieure à l'enregistrement de l'ordonnance")
