"""A prescrit records what it did, line by line, against the real base over TLS: what each kind
allows, every problem of a bad execution listed with nothing recorded, and a retry (or a kill -9
of the base before the answer) that never records twice."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from attack_support import insider, physician_and_prescrits

from circuit_support import on_both_engines

pytestmark = on_both_engines


@pytest.fixture(scope="module")
def people(base, pki_dir):  # type: ignore[no-untyped-def]
    with physician_and_prescrits(base, pki_dir, ("pharmacien", "biologiste", "infirmier", "podologue",
                                                 "fournisseur")) as both:
        yield both


def _rows(base, number: str) -> int:  # type: ignore[no-untyped-def]
    return sum(base.rows(f"SELECT count(*) FROM {table} WHERE number = ?", number)[0][0]
               for table in ("execution_lines", "dispensings"))


def test_biology_done_or_not_done_with_its_reason(base, people) -> None:  # type: ignore[no-untyped-def]
    physician, prescrits = people
    number = physician.prescribe(kind="biologie")
    lab = prescrits["biologiste"]
    lines = lab.call("GET", f"/prescrit/prescriptions/{number}").json()["lines"]
    assert [line["type"] for line in lines] == ["analyse"] * len(lines) and lines[0]["code"]
    done = lab.execute(number, [{"line": 1, "code": lines[0]["code"]},
                               {"line": 2, "done": False, "reason": "patient non à jeun"}])
    assert done.status_code == 200, done.text
    view = done.json()
    assert [(e["line"], e["done"], e["detail"].get("reason")) for e in view["executions"]] == [
        (1, True, None), (2, False, "patient non à jeun")]
    assert view["lines"][0]["done"] == 1 and view["lines"][1]["done"] == 0
    assert view["executions"][0]["profession"] == "21" and view["executions"][0]["by"] == lab.national_id


def test_sessions_are_counted_n_of_n(base, people) -> None:  # type: ignore[no-untyped-def]
    physician, prescrits = people
    number = physician.prescribe(kind="podologie")  # 5 sessions, no rhythm given
    podiatrist = prescrits["podologue"]
    assert podiatrist.execute(number, [{"line": 1, "count": 4}]).status_code == 200
    view = podiatrist.call("GET", f"/prescrit/prescriptions/{number}").json()
    assert (view["lines"][0]["done"], view["lines"][0]["prescribed"]) == (4, 5)
    beyond = podiatrist.execute(number, [{"line": 1, "count": 2}])
    assert beyond.status_code == 422
    assert beyond.json()["problems"] == [{"path": "lines[0].count", "message":
                                          "au-delà de la prescription : 6 sur 5 séance(s) prescrits (4 déjà)"}]
    assert podiatrist.execute(number, [{"line": 1, "count": 1}], complete=True).status_code == 200
    assert podiatrist.call("GET", f"/prescrit/prescriptions/{number}").status_code == 410  # closed


def test_nursing_visits_and_acts_with_their_dates(base, people) -> None:  # type: ignore[no-untyped-def]
    physician, prescrits = people
    number = physician.prescribe(kind="soins-infirmiers")  # a dressing a day for 15 days, ...
    nurse = prescrits["infirmier"]
    today = dt.date.today()
    visits = [{"line": 1, "date": (today - dt.timedelta(days=0)).isoformat(), "act": "Pansement simple"},
              {"line": 2, "date": today.isoformat(), "act": "Injection sous-cutanée"}]
    view = nurse.execute(number, visits).json()
    assert [(e["line"], e["date"], e["detail"]["act"]) for e in view["executions"]] == [
        (1, today.isoformat(), "Pansement simple"), (2, today.isoformat(), "Injection sous-cutanée")]
    assert view["lines"][0]["prescribed"] == 15 and view["lines"][1]["prescribed"] == 10
    tomorrow = nurse.execute(number, [{"line": 1, "date": (today + dt.timedelta(days=2)).isoformat()}])
    assert tomorrow.status_code == 422 and "dans le futur" in tomorrow.json()["problems"][0]["message"]


def test_devices_bought_or_rented_as_prescribed(base, people) -> None:  # type: ignore[no-untyped-def]
    physician, prescrits = people
    number = physician.prescribe(kind="dispositifs")
    supplier = prescrits["fournisseur"]
    lines = supplier.call("GET", f"/prescrit/prescriptions/{number}").json()["lines"]
    assert [(line["type"], line["supply"], line["prescribed"]) for line in lines] == [
        ("dispositif", "achat", 1), ("dispositif", "achat", 4)]  # 2 bands, renewed once
    rented = supplier.execute(number, [{"line": 1, "supply": "location"}])
    assert rented.status_code == 422 and "accord du prescripteur" in rented.json()["problems"][0]["message"]
    delivered = supplier.execute(number, [{"line": 1, "supply": "achat", "code": lines[0]["code"]},
                                          {"line": 2, "count": 2}])
    assert delivered.status_code == 200
    assert [line["done"] for line in delivered.json()["lines"]] == [1, 2]


def test_medicines_share_one_ledger_with_the_pharmacy_route(base, people) -> None:  # type: ignore[no-untyped-def]
    from lap_app.standins.base_server.dispensing_rules import UNITS_WITHOUT_COUNT

    physician, prescrits = people
    number = physician.prescribe()
    pharmacist = prescrits["pharmacien"]
    first = pharmacist.call("GET", f"/prescrit/prescriptions/{number}").json()["lines"][0]
    # 90 days of metformin, no number of boxes written: nothing shown as prescribed (the base's
    # ceiling is not what the doctor wrote), the ceiling still enforced
    assert first["type"] == "medicament" and first["prescribed"] is None
    assert pharmacist.execute(number, [{"line": 1, "quantity": 1}]).status_code == 200
    pharmacy = pharmacist.call("GET", f"/pharmacy/prescriptions/{number}").json()
    assert pharmacy["lines"][0]["dispensed_quantity"] == 1
    from lap_app.services.prescrit import view_of

    read = view_of(pharmacist.call("GET", f"/prescrit/prescriptions/{number}").json())
    assert read.done_text(read.lines[0]) == "1 (nombre de boîtes non précisé)"  # the window's and CLI's text
    too_many = pharmacist.execute(number, [{"line": 1, "quantity": UNITS_WITHOUT_COUNT}])
    assert too_many.status_code == 422
    assert too_many.json()["problems"][0]["message"] == (
        f"au-delà de ce que la base admet sans nombre de boîtes prescrit : {UNITS_WITHOUT_COUNT + 1} pour "
        f"{UNITS_WITHOUT_COUNT} au plus (1 déjà)")


def test_a_bad_execution_lists_every_problem_and_records_nothing(base, people) -> None:  # type: ignore[no-untyped-def]
    physician, prescrits = people
    number = physician.prescribe(kind="biologie")
    lab = prescrits["biologiste"]
    bad = lab.execute(number, [{"line": 40}, {"line": 1, "code": "9999"}, {"line": 2, "done": False},
                              {"line": 1, "supply": "achat"}])
    assert bad.status_code == 422
    assert [p["path"] for p in bad.json()["problems"]] == [
        "lines[0].line", "lines[1].code", "lines[2].reason", "lines[3].count", "lines[3].supply"]  # line 1 twice
    assert "code 9999 absent" in bad.json()["problems"][1]["message"]
    assert _rows(base, number) == 0
    assert physician.call("POST", f"/prescriptions/{number}/cancel").status_code == 200
    cancelled = lab.execute(number, [{"line": 1}, {"line": 99}])
    assert cancelled.status_code == 422
    assert [p["message"] for p in cancelled.json()["problems"]] == [
        "ordonnance annulée par son prescripteur : aucune exécution possible", "ligne inexistante (1 à 6)"]
    assert _rows(base, number) == 0


def test_a_retried_execution_is_recorded_once(base, people) -> None:  # type: ignore[no-untyped-def]
    physician, prescrits = people
    number = physician.prescribe(kind="podologie")
    podiatrist = prescrits["podologue"]
    execution_id = uuid.uuid4().hex
    first = podiatrist.execute(number, [{"line": 1, "count": 2}], execution_id)
    again = podiatrist.execute(number, [{"line": 1, "count": 2}], execution_id)
    assert (first.json()["replayed"], again.json()["replayed"]) == (False, True)
    assert again.json()["lines"][0]["done"] == 2 and _rows(base, number) == 1
    other = podiatrist.execute(number, [{"line": 1, "count": 3}], execution_id)
    assert other.status_code == 409 and _rows(base, number) == 1
    assert base.rows("SELECT outcome FROM audit WHERE number = ? AND action = 'execute' ORDER BY id", number) == [
        ("ok:partly_dispensed",), ("replayed",), ("refused:409:execution_id_reused",)]  # each one audited


def test_two_identical_executions_under_two_ids_are_two_acts(base, people) -> None:  # type: ignore[no-untyped-def]
    """The base recognises a replay by the execution id alone: the same session recorded twice
    the same day (two visits), each under its own id, is recorded twice."""
    physician, prescrits = people
    number = physician.prescribe(kind="podologie")
    podiatrist = prescrits["podologue"]
    session = [{"line": 1, "count": 1, "date": dt.date.today().isoformat()}]
    first, second = podiatrist.execute(number, session), podiatrist.execute(number, session)
    assert (first.json()["replayed"], second.json()["replayed"]) == (False, False)
    assert second.json()["lines"][0]["done"] == 2 and _rows(base, number) == 2


def test_kill_9_of_the_base_after_an_execution_then_a_retry(tmp_path, pki_dir, base_database) -> None:  # type: ignore[no-untyped-def]
    """The base dies right after recording (the prescrit never got its answer): the retry, to the
    restarted base, replays it."""
    from lap_app.standins.pki import init_pki

    from circuit_support import running_base

    pki = init_pki(pki_dir)
    with running_base(tmp_path / "base", pki_dir, database=base_database()) as process:
        physician = insider(process, pki.holder("medecin"), enrol=True)
        number = physician.prescribe(kind="podologie")
        nurse = insider(process, pki.holder("podologue"), physician.installation)
        execution_id = uuid.uuid4().hex
        assert nurse.execute(number, [{"line": 1, "count": 4}], execution_id).status_code == 200
        process.kill()
        process.start()
        retry = nurse.execute(number, [{"line": 1, "count": 4}], execution_id)
        assert retry.status_code == 200 and retry.json()["replayed"] is True
        assert retry.json()["lines"][0]["done"] == 4 and _rows(process, number) == 1
        for person in (physician, nurse):
            person.close()
