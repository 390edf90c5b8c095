"""The base decides what a status allows by ``OrdonnanceStatus``'s rules, the one place that
says them: what it stores and answers are the enum's values, and no route compares the stored
text on its own."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from lap_app.domain.status import OrdonnanceStatus

BASE_SERVER = Path(__file__).resolve().parents[2] / "lap_app" / "standins" / "base_server"


def _row(status: str, **extra):
    return {"status": status, "opposition": 0, "cancel_requested_at": None, **extra}


@pytest.mark.parametrize("status", ["registered", "partly_dispensed"])
def test_an_open_ordonnance_can_still_be_carried_out(status):
    from lap_app.standins.base_server.status_rules import check_still_open, closed_problems

    check_still_open(_row(status), "clos")
    assert closed_problems(status, "aucune exécution possible") == []


@pytest.mark.parametrize(("status", "code", "message"), [
    ("cancelled", "cancelled", "ordonnance annulée par son prescripteur : aucune exécution possible"),
    ("dispensed", "closed", "ordonnance entièrement exécutée : numéro clos"),
])
def test_a_closed_ordonnance_is_refused_with_why(status, code, message):
    from lap_app.standins.base_server.errors import ApiError
    from lap_app.standins.base_server.status_rules import check_still_open, closed_problems

    with pytest.raises(ApiError) as refused:
        check_still_open(_row(status), "clos")
    assert refused.value.status == 410 and refused.value.code == code
    assert closed_problems(status, "aucune exécution possible") == [{"path": "number", "message": message}]


def test_the_status_after_an_execution_is_the_enums():
    from lap_app.standins.base_server.status_rules import status_after

    assert status_after(True) is OrdonnanceStatus.DISPENSED and status_after(True).final
    assert status_after(False) is OrdonnanceStatus.PARTLY_DISPENSED and status_after(False).dispensable


@pytest.mark.parametrize(("status", "cancel_requested", "seen"), [
    ("registered", None, "registered"), ("partly_dispensed", None, "registered"), ("dispensed", None, "registered"),
    ("dispensed", 1.0, "cancelled"), ("cancelled", None, "cancelled"),
])
def test_under_opposition_the_prescriber_sees_no_execution(status, cancel_requested, seen):
    from lap_app.standins.base_server.opposition import prescriber_status

    assert prescriber_status(_row(status, opposition=1, cancel_requested_at=cancel_requested)) == seen
    assert prescriber_status(_row(status)) == status


def test_a_cancel_accepted_under_opposition_stays_a_cancel_once_the_consent_is_given_back():
    from lap_app.standins.base_server.opposition import prescriber_status

    assert prescriber_status(_row("dispensed", opposition=0, cancel_requested_at=1.0)) == "cancelled"


def test_no_route_compares_the_stored_status_text():
    literal = "|".join(s.value for s in OrdonnanceStatus)
    compared = re.compile(rf"""(==|!=|\bin\b)\s*\(?\s*["']({literal})["']|["']({literal})["']\s*(==|!=)""")
    found = [f"{path.name}:{n}: {line.strip()}" for path in sorted(BASE_SERVER.glob("*.py"))
             for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if compared.search(line)]
    assert found == []
