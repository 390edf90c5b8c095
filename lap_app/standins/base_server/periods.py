"""Renewals and sequenced care followed to their end: « période k sur K ».

A line carried out by periods (three months of treatment delivered monthly, a weekly INR for
three months, 10 sessions at 2 a week) allows ``per_period`` units per period of
``period_days``. Its units fill the periods in the order they were recorded: units 1 to
``per_period`` are period 1, the next ones period 2, ... Period 1 starts on the day of the
line's first execution; period k may be carried out from ``(k - 1) × period_days`` later, less a
tolerance of a fifth of a period (a monthly renewal 6 days early, a weekly INR a day early, a
daily dressing not early). Going beyond the last period is going beyond the prescription,
refused by the total (``execution_rules``).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

MONTH_DAYS = 30.4375
EPSILON = 1e-9


@dataclass(frozen=True, slots=True)
class PeriodState:
    period: int  # the period reached so far (0: nothing done yet)
    periods: int
    next_from: dt.date | None  # the day the next period opens, when the current one is full


def periods_of(line: Any) -> int | None:
    """K, for a line carried out by periods (``ExecutableLine``); None otherwise."""
    if line.per_period is None or line.period_days is None or line.prescribed is None:
        return None
    return max(1, math.ceil(line.prescribed / line.per_period - EPSILON))


def opening_day(start: dt.date, period: int, period_days: float) -> dt.date:
    """The first day period ``period`` (1-based) may be carried out."""
    if period <= 1:
        return start
    early = math.floor(period_days / 5)
    return start + dt.timedelta(days=math.floor((period - 1) * period_days + EPSILON) - early)


def period_of(units: float, per_period: float) -> int:
    """The period the ``units``-th unit of a line falls in (1-based)."""
    return max(1, math.ceil(units / per_period - EPSILON))


def period_state(line: Any, history: list[tuple[dt.date, float]]) -> PeriodState | None:
    """Where a line stands (``history``: its done records, (day, amount), in recording order)."""
    periods = periods_of(line)
    if periods is None:
        return None
    done = [(day, amount) for day, amount in history if amount > 0]
    units = sum(amount for _day, amount in done)
    if not done:
        return PeriodState(0, periods, None)
    reached = period_of(units, line.per_period)
    full = units >= reached * line.per_period - EPSILON
    next_from = opening_day(done[0][0], reached + 1, line.period_days) if full and reached < periods else None
    return PeriodState(reached, periods, next_from)


def period_problems(lines: list[Any], history: dict[int, list[tuple[dt.date, float]]],
                    items: Iterable[tuple[str, int, dt.date, float]]) -> list[dict[str, str]]:
    """Every new execution (``path``, line number, day, amount) that opens a period too early."""
    problems: list[dict[str, str]] = []
    units = {number: sum(amount for _day, amount in records) for number, records in history.items()}
    starts = {number: next((day for day, amount in records if amount > 0), None) for number, records in history.items()}
    for path, number, day, amount in items:
        if amount <= 0 or not 0 < number <= len(lines):
            continue
        line = lines[number - 1]
        periods = periods_of(line)
        if periods is None:
            continue
        start = starts.get(number) or day
        starts[number] = start
        before = units.get(number, 0.0)
        units[number] = before + amount
        reached = period_of(before + amount, line.per_period)
        opens = opening_day(start, reached, line.period_days)
        if 1 < reached <= periods and day < opens:
            problems.append({"path": path, "message": (
                f"période {reached} sur {periods} pas avant le {opens:%d/%m/%Y} : {line.per_period:g} par "
                f"{period_words(line.period_days)} prescrit(s), période 1 commencée le {start:%d/%m/%Y}")})
    return problems


def period_words(period_days: float) -> str:
    if abs(period_days - 1) < EPSILON:
        return "jour"
    if abs(period_days - 7) < EPSILON:
        return "semaine"
    if abs(period_days - MONTH_DAYS) < 0.5:
        return "mois"
    return f"période de {period_days:.0f} jours"
