"""What a dispensing record must respect of the prescription it executes.

- quantity: what was dispensed on a line, all records together, stays within what was
  prescribed: the number of boxes × (1 + renewals) when the physician gave a number of
  boxes, else ``UNITS_WITHOUT_COUNT`` per dispensing period;
- date: not before the day the ordonnance was registered, not after today (days in France);
- substitution: never on a line the physician marked non-substitutable.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

from lap_app.base_client.protocol import medication_requests

UNITS_WITHOUT_COUNT = 50  # per period, when the line gives a duration but no number of boxes
try:
    from zoneinfo import ZoneInfo

    FRANCE: dt.tzinfo = ZoneInfo("Europe/Paris")
except (ImportError, KeyError, OSError):  # no time-zone database: UTC days, one hour off at most
    logging.getLogger(__name__).warning("no time-zone database: dispensing days counted in UTC")
    FRANCE = dt.UTC


@dataclass(frozen=True, slots=True)
class PrescribedLine:
    substitution_allowed: bool
    max_quantity: float
    boxes_given: bool = True  # False: no number of boxes prescribed, ``max_quantity`` is the base's ceiling


def prescribed_lines(bundle: dict[str, Any]) -> list[PrescribedLine]:
    """Line N of the protocol is item N-1 (MedicationRequests in Bundle order)."""
    return [prescribed_line(request) for request in medication_requests(bundle)]


def prescribed_line(request: dict[str, Any]) -> PrescribedLine:
    """What one MedicationRequest allows."""
    substitution = _object(request.get("substitution"))
    dispense = _object(request.get("dispenseRequest"))
    renewals = dispense.get("numberOfRepeatsAllowed")
    periods = 1 + (renewals if isinstance(renewals, int) and renewals > 0 else 0)
    boxes = _object(dispense.get("quantity")).get("value")
    substitution_allowed = substitution.get("allowedBoolean", True) is not False
    if isinstance(boxes, (int, float)) and boxes > 0:
        return PrescribedLine(substitution_allowed, boxes * periods)
    return PrescribedLine(substitution_allowed, UNITS_WITHOUT_COUNT * periods, boxes_given=False)


def _object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def french_day(at: float) -> dt.date:
    return dt.datetime.fromtimestamp(at, FRANCE).date()


def dispensing_problems(bundle: dict[str, Any], registered_at: float, already: dict[int, float],
                        items: list[Any], now: float) -> list[dict[str, str]]:
    """Every problem of ``items`` (``line``, ``quantity``, ``substituted``, ``date``) against the
    prescription; ``already``: quantity dispensed so far per line."""
    lines = prescribed_lines(bundle)
    first_day, today = french_day(registered_at), french_day(now)
    problems: list[dict[str, str]] = []
    totals = dict(already)
    for i, item in enumerate(items):
        if item.line > len(lines):
            problems.append({"path": f"lines[{i}].line", "message": f"ligne inexistante (1 à {len(lines)})"})
            continue
        line = lines[item.line - 1]
        totals[item.line] = totals.get(item.line, 0.0) + item.quantity
        if totals[item.line] > line.max_quantity:
            problems.append({"path": f"lines[{i}].quantity",
                             "message": f"quantité supérieure à la prescription ({line.max_quantity:g} au plus "
                                        f"sur la ligne, {already.get(item.line, 0.0):g} déjà délivrés)"})
        if item.substituted and not line.substitution_allowed:
            problems.append({"path": f"lines[{i}].substituted",
                             "message": "substitution interdite : ligne prescrite non substituable"})
        if item.date is not None and item.date > today:
            problems.append({"path": f"lines[{i}].date", "message": "date de délivrance dans le futur"})
        if item.date is not None and item.date < first_day:
            problems.append({"path": f"lines[{i}].date",
                             "message": "date de délivrance antérieure à l'enregistrement de l'ordonnance"})
    return problems
