"""Renewals and sequenced care followed to their end, against the real base over TLS: three months
of treatment delivered monthly, a weekly INR for three months, 10 sessions at 2 a week. The base
counts each period, refuses a period opened too early or a unit beyond the last (one 422 listing
every problem, nothing recorded), and the prescriber's follow-up shows n of N, period k of K.

Time passes by moving the ordonnance's registration back in the base's database: the executions
are then recorded with their real past dates, as a prescrit records what it did. On a base over
SQLite and over PostgreSQL (the periods are counted from the rows each engine stores)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest
from attack_support import physician_and_prescrits, physicians_client

from circuit_support import on_both_engines

pytestmark = on_both_engines

DAY = 86400.0


@pytest.fixture(scope="module")
def people(base, pki_dir):  # type: ignore[no-untyped-def]
    with physician_and_prescrits(base, pki_dir, ("pharmacien", "biologiste", "kine")) as both:
        yield both


@pytest.fixture(scope="module")
def follow(base, people):  # type: ignore[no-untyped-def]
    """The prescriber's follow-up through the application's own client and service."""
    from lap_app.services.follow_up import consult_follow_up

    with physicians_client(base, people[0]) as client:
        yield lambda number: consult_follow_up(client, number)


def _registered_days_ago(base, number: str, days: int) -> dt.date:  # type: ignore[no-untyped-def]
    """The day of registration, moved ``days`` back (a day in France, as the base counts)."""
    from lap_app.standins.base_server.dispensing_rules import french_day

    base.rows("UPDATE prescriptions SET registered_at = registered_at - ? WHERE number = ?", days * DAY, number)
    return french_day(base.rows("SELECT registered_at FROM prescriptions WHERE number = ?", number)[0][0])


def _execute(person, number: str, lines: list[dict[str, Any]]):  # type: ignore[no-untyped-def]
    return person.call("PUT", f"/prescrit/prescriptions/{number}/executions/{uuid.uuid4().hex}",
                       {"lines": lines, "complete": False})


def _day(start: dt.date, days: int) -> str:
    return (start + dt.timedelta(days=days)).isoformat()


def _rows(base, number: str) -> int:  # type: ignore[no-untyped-def]
    return sum(base.rows(f"SELECT count(*) FROM {table} WHERE number = ?", number)[0][0]
               for table in ("execution_lines", "dispensings"))


def _monthly_treatment(ordonnance: Any) -> None:
    from lap_app.domain.model import PrescriptionLine
    from lap_app.domain.posology import Posology

    ordonnance.lines = [
        PrescriptionLine("LÉVOTHYROXINE SODIQUE 100 µg, comprimé sécable",  # 1 month, renewed twice
                         Posology(dose=1, dose_unit="comprimé", when=["MORN"], duration=1, duration_unit="mo"),
                         cis="60483339", boxes=1, renewals=2),
        PrescriptionLine("METFORMINE 1000 mg, comprimé pelliculé",  # 3 months in one go: delivered by the month
                         Posology(dose=1, dose_unit="comprimé", when=["CM", "CV"], duration=3, duration_unit="mo"),
                         cis="69065160", boxes=3)]
    ordonnance.devices = []


def test_three_months_of_treatment_delivered_monthly(base, people, follow) -> None:  # type: ignore[no-untyped-def]
    physician, prescrits = people
    pharmacist = prescrits["pharmacien"]
    number = physician.prescribe(lines=_monthly_treatment)
    start = _registered_days_ago(base, number, 70)
    read = pharmacist.call("GET", f"/prescrit/prescriptions/{number}").json()["lines"]
    assert [(x["prescribed"], x["per_period"], x["periods"], x["period"]) for x in read] == [(3, 1, 3, 0), (3, 1, 3, 0)]

    assert _execute(pharmacist, number, [{"line": 1, "quantity": 1, "date": _day(start, 0)},
                                         {"line": 2, "quantity": 1, "date": _day(start, 0)}]).status_code == 200
    early = _execute(pharmacist, number, [{"line": 1, "quantity": 1, "date": _day(start, 10)},
                                          {"line": 2, "quantity": 2, "date": _day(start, 30)}])
    assert early.status_code == 422
    renewal_from = (start + dt.timedelta(days=24)).strftime("%d/%m/%Y")
    assert early.json()["problems"] == [
        {"path": "lines[0].quantity", "message": f"période 2 sur 3 pas avant le {renewal_from} : 1 par mois "
                                                 f"prescrit(s), période 1 commencée le {start:%d/%m/%Y}"},
        {"path": "lines[1].quantity", "message": "période 3 sur 3 pas avant le "
                                                 f"{start + dt.timedelta(days=54):%d/%m/%Y} : 1 par mois "
                                                 f"prescrit(s), période 1 commencée le {start:%d/%m/%Y}"}]
    assert _rows(base, number) == 2  # nothing of the refused execution
    # The pharmacy route obeys the same periods (one ledger).
    too_soon = pharmacist.call("POST", f"/pharmacy/prescriptions/{number}/dispensings",
                               {"lines": [{"line": 1, "quantity": 1, "date": _day(start, 20)}], "complete": False})
    assert too_soon.status_code == 422 and "période 2 sur 3 pas avant" in too_soon.text
    assert pharmacist.call("POST", f"/pharmacy/prescriptions/{number}/dispensings",
                           {"lines": [{"line": 1, "quantity": 1, "date": _day(start, 28)}],
                            "complete": False}).status_code == 200

    middle = follow(number)
    assert [(x.done, x.prescribed, x.period, x.periods) for x in middle.lines] == [(2, 3, 2, 3), (1, 3, 1, 3)]
    text = "\n".join(middle.text_lines())
    assert (f"Ligne 1 · LÉVOTHYROXINE SODIQUE 100 µg, comprimé sécable : 2 sur 3 boîte(s) — période 2 sur 3, "
            f"la suivante à partir du {start + dt.timedelta(days=54):%d/%m/%Y}") in text

    assert _execute(pharmacist, number, [{"line": 1, "quantity": 1, "date": _day(start, 60)},
                                         {"line": 2, "quantity": 1, "date": _day(start, 31)},
                                         {"line": 2, "quantity": 1, "date": _day(start, 62)}]).status_code == 200
    beyond = _execute(pharmacist, number, [{"line": 1, "quantity": 1}])
    assert beyond.status_code == 422 and beyond.json()["problems"][0]["message"].startswith(
        "au-delà de la prescription : 4 sur 3 boîte(s)")
    end = follow(number)
    assert [(x.done, x.period, x.periods, x.next_from) for x in end.lines] == [(3, 3, 3, None), (3, 3, 3, None)]
    assert "3 sur 3 boîte(s) — période 3 sur 3" in "\n".join(end.text_lines())


def test_a_weekly_inr_for_three_months(base, people, follow) -> None:  # type: ignore[no-untyped-def]
    from lap_app.services.care_templates import weekly_inr

    physician, prescrits = people
    lab = prescrits["biologiste"]

    def inr_only(ordonnance: Any) -> None:
        ordonnance.analyses = weekly_inr()

    number = physician.prescribe(kind="biologie", lines=inr_only)
    start = _registered_days_ago(base, number, 91)
    [line] = lab.call("GET", f"/prescrit/prescriptions/{number}").json()["lines"]
    assert (line["prescribed"], line["per_period"], line["period_days"], line["periods"]) == (13, 1, 7, 13)
    twice = _execute(lab, number, [{"line": 1, "date": _day(start, 0)}, {"line": 1, "date": _day(start, 3)}])
    assert twice.status_code == 422 and twice.json()["problems"][0]["message"].startswith(
        f"période 2 sur 13 pas avant le {start + dt.timedelta(days=6):%d/%m/%Y} : 1 par semaine")
    # Week after week, one a day early once (tolerated), one week missed and caught up.
    days = [0, 7, 13, 21, 28, 35, 42, 49, 56, 70, 71, 84, 90]
    weekly = _execute(lab, number, [{"line": 1, "date": _day(start, d)} for d in days[:9]])
    assert weekly.status_code == 200, weekly.text
    assert _execute(lab, number, [{"line": 1, "date": _day(start, d)} for d in days[9:]]).status_code == 200
    fourteenth = _execute(lab, number, [{"line": 1}, {"line": 2}])
    assert fourteenth.status_code == 422
    assert [p["message"] for p in fourteenth.json()["problems"]] == [
        "au-delà de la prescription : 14 sur 13 réalisation(s) prescrits (13 déjà)", "ligne inexistante (1 à 1)"]
    [seen] = follow(number).lines
    assert (seen.done, seen.prescribed, seen.period, seen.periods) == (13, 13, 13, 13)
    assert "13 sur 13 réalisation(s) — période 13 sur 13" in "\n".join(follow(number).text_lines())


def test_ten_sessions_at_two_a_week(base, people, follow) -> None:  # type: ignore[no-untyped-def]
    physician, prescrits = people
    physio = prescrits["kine"]
    number = physician.prescribe(kind="kinesitherapie")  # 10 sessions, 2 a week
    start = _registered_days_ago(base, number, 35)
    three = _execute(physio, number, [{"line": 1, "count": 2, "date": _day(start, 0)},
                                      {"line": 1, "date": _day(start, 2)}])
    assert three.status_code == 422
    assert [p["path"] for p in three.json()["problems"]] == ["lines[1].count"]
    assert "période 2 sur 5 pas avant le" in three.json()["problems"][0]["message"]
    sessions = [{"line": 1, "date": _day(start, d)} for d in (0, 2, 7, 9)]
    assert _execute(physio, number, sessions).status_code == 200
    middle = follow(number)
    assert "4 sur 10 séance(s) — période 2 sur 5, la suivante à partir du " \
           f"{start + dt.timedelta(days=13):%d/%m/%Y}" in "\n".join(middle.text_lines())
    sessions = [{"line": 1, "date": _day(start, d)} for d in (14, 16, 21, 23, 28, 30)]
    assert _execute(physio, number, sessions).status_code == 200
    eleventh = _execute(physio, number, [{"line": 1}])
    assert eleventh.status_code == 422 and "11 sur 10 séance(s)" in eleventh.text
    [seen] = follow(number).lines
    assert (seen.done, seen.prescribed, seen.period, seen.periods, seen.next_from) == (10, 10, 5, 5, None)
