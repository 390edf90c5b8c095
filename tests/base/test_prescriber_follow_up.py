"""The prescriber follows an ordonnance of any kind, against the real base over TLS: what each
prescrit did (by which profession, when), what was adjusted and how the agreement was obtained;
nothing but the patient's objection once they objected, whenever they did."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from attack_support import physician_and_prescrits, physicians_client
from test_prescrit_adjustments import _adjust

from circuit_support import on_both_engines

pytestmark = on_both_engines


@pytest.fixture(scope="module")
def people(base, pki_dir):  # type: ignore[no-untyped-def]
    with physician_and_prescrits(base, pki_dir, ("pharmacien", "biologiste", "infirmier", "kine",
                                                 "fournisseur")) as both:
        yield both


@pytest.fixture(scope="module")
def prescriber_client(base, people):  # type: ignore[no-untyped-def]
    with physicians_client(base, people[0]) as client:
        yield client


def _execute(person, number: str, lines: list[dict[str, Any]]) -> None:  # type: ignore[no-untyped-def]
    response = person.execute(number, lines)
    assert response.status_code == 200, response.text


def _set_opposition(base, number: str, objected: bool) -> None:  # type: ignore[no-untyped-def]
    """The patient changes their mind after the consultation (as « Mon espace santé » records it)."""
    base.rows("UPDATE prescriptions SET opposition = ? WHERE number = ?", int(objected), number)


def test_every_kind_shows_who_did_what_and_when(people, prescriber_client) -> None:  # type: ignore[no-untyped-def]
    from lap_app.services.follow_up import consult_follow_up

    physician, prescrits = people
    today = dt.date.today()
    medicines = physician.prescribe()
    _execute(prescrits["pharmacien"], medicines, [{"line": 1, "quantity": 2, "substituted": True}])
    biology = physician.prescribe(kind="biologie")
    _execute(prescrits["biologiste"], biology, [{"line": 1}, {"line": 2, "done": False, "reason": "patient non à jeun"}])
    nursing = physician.prescribe(kind="soins-infirmiers")
    _execute(prescrits["infirmier"], nursing, [{"line": 1, "date": today.isoformat(), "act": "Pansement simple"}])
    devices = physician.prescribe(kind="dispositifs")
    _execute(prescrits["fournisseur"], devices, [{"line": 2, "count": 2}])

    seen = {number: consult_follow_up(prescriber_client, number)
            for number in (medicines, biology, nursing, devices)}
    day = today.strftime("%d/%m/%Y")
    assert [(e.line, e.amount, e.profession, e.date) for e in seen[medicines].executions] == [
        (1, 2, "pharmacien", today.isoformat())]
    assert [(e.line, e.done, e.profession) for e in seen[biology].executions] == [
        (1, True, "biologiste"), (2, False, "biologiste")]
    text = "\n".join(seen[biology].text_lines())
    assert f"✗ non réalisé le {day} par biologiste : patient non à jeun" in text
    assert f"✓ réalisée le {day} par biologiste" in text
    nursing_text = "\n".join(seen[nursing].text_lines())
    assert "(Soins infirmiers) : partiellement délivrée" in nursing_text
    assert "Ligne 1 · Pansement simple d'une plaie" in nursing_text and ": 1 sur 15 acte(s)" in nursing_text
    assert f"✓ 1 acte(s) le {day} par infirmier (Pansement simple)" in nursing_text
    assert "Ligne 2 · Injection sous-cutanée d'anticoagulant : 0 sur 10 acte(s)" in nursing_text
    assert f"2 unité(s) délivrée(s) le {day} par fournisseur de dispositifs médicaux" in "\n".join(
        seen[devices].text_lines())
    medicines_text = "\n".join(seen[medicines].text_lines())
    assert f"✓ 2 boîte(s) délivrée(s) le {day} par pharmacien (substitué)" in medicines_text
    # no number of boxes written on these lines: what was delivered, not « sur 50 » (the base's ceiling)
    assert ("Ligne 1 · CHLORHYDRATE DE METFORMINE 1000 mg, comprimé pelliculé : 2 boîte(s) "
            "(nombre de boîtes non précisé)") in medicines_text
    assert " sur 50" not in medicines_text and " sur 150" not in medicines_text


def test_an_adjustment_shows_how_the_agreement_was_obtained(people, prescriber_client) -> None:  # type: ignore[no-untyped-def]
    from lap_app.services.follow_up import consult_follow_up

    physician, prescrits = people
    number = physician.prescribe(kind="kinesitherapie")
    physio = prescrits["kine"]
    agreed_at = dt.datetime.now(dt.UTC).replace(microsecond=0)
    adjusted = _adjust(physio, number, 1, [{"field": "seances", "value": "12"}],
                       {"mode": "messagerie", "at": agreed_at.isoformat(), "given_by": "Dr Claire MARTIN"})
    assert adjusted.status_code == 200, adjusted.text
    _execute(physio, number, [{"line": 1, "count": 1}])

    seen = consult_follow_up(prescriber_client, number)
    [adjustment] = seen.adjustments
    assert (adjustment.line, adjustment.changes, adjustment.mode, adjustment.given_by, adjustment.profession) == (
        1, (("seances", "12"),), "messagerie", "Dr Claire MARTIN", "masseur-kinésithérapeute")
    assert seen.lines[0].prescribed == 12 and seen.lines[0].done == 1
    text = "\n".join(seen.text_lines())
    moment = agreed_at.astimezone().strftime("%d/%m/%Y %H:%M")
    assert ("✎ ajustée par masseur-kinésithérapeute (nombre de séances : 12) avec l'accord du prescripteur "
            f"obtenu par messagerie sécurisée le {moment}, donné par Dr Claire MARTIN") in text
    assert "1 sur 12 séance(s)" in text


def test_the_patients_objection_hides_everything_whenever_given(base, people, prescriber_client) -> None:  # type: ignore[no-untyped-def]
    from lap_app.services.follow_up import OBJECTION_STATEMENT, consult_follow_up

    physician, prescrits = people
    objected_at_once = physician.prescribe(kind="biologie", opposition=True)
    _execute(prescrits["biologiste"], objected_at_once, [{"line": 1}])
    seen = consult_follow_up(prescriber_client, objected_at_once)
    assert seen.objected and seen.text_lines()[1:] == [OBJECTION_STATEMENT]
    assert seen.as_json() == {"number": objected_at_once, "objected": True, "message": OBJECTION_STATEMENT}

    later = physician.prescribe(kind="soins-infirmiers")
    _execute(prescrits["infirmier"], later, [{"line": 1, "act": "Pansement simple"}])
    assert consult_follow_up(prescriber_client, later).executions
    _set_opposition(base, later, True)  # withdrawn after the consultation: every later consultation
    withdrawn = consult_follow_up(prescriber_client, later)
    assert withdrawn.objected and not withdrawn.executions and "Pansement" not in "\n".join(withdrawn.text_lines())
    _set_opposition(base, later, False)  # given again
    assert [e.profession for e in consult_follow_up(prescriber_client, later).executions] == ["infirmier"]
    outcomes = [row[0] for row in base.rows("SELECT outcome FROM audit WHERE number = ? AND action = 'follow_up'"
                                            " ORDER BY id", later)]
    assert outcomes == ["ok", "refused:403:patient_opposition", "ok"]  # each consultation audited


def test_only_its_prescriber_follows_it(people, prescriber_client) -> None:  # type: ignore[no-untyped-def]
    from lap_app.domain.errors import UserError
    from lap_app.services.follow_up import consult_follow_up

    physician, prescrits = people
    number = physician.prescribe()
    refused = prescrits["pharmacien"].call("GET", f"/prescriptions/{number}/follow-up")
    assert refused.status_code == 403 and refused.json()["error"] == "wrong_profession"
    with pytest.raises(UserError, match="Consultation refusée : Aucune ordonnance enregistrée sous ce numéro"):
        consult_follow_up(prescriber_client, "2026 1125 0000 0121")


def test_a_cancelled_ordonnance_says_when_it_was_cancelled(people, prescriber_client) -> None:  # type: ignore[no-untyped-def]
    """What the history's « Suivi » and ``lap-app dispensing`` show: the day and time of the cancel."""
    import time

    from lap_app.services.follow_up import consult_follow_up

    physician, _ = people
    number = physician.prescribe(kind="biologie")
    before = time.time()
    assert physician.call("POST", f"/prescriptions/{number}/cancel").status_code == 200
    after = time.time()
    assert physician.call("POST", f"/prescriptions/{number}/cancel").status_code == 200  # again: the first one counts
    seen = consult_follow_up(prescriber_client, number)
    assert seen.cancelled_at is not None and before <= seen.cancelled_at <= after
    moment = dt.datetime.fromtimestamp(seen.cancelled_at).strftime("%d/%m/%Y %H:%M")
    text = seen.text_lines()
    assert text[0].endswith(f"(Biologie médicale) : annulée le {moment}")
    assert text[-1] == "Rien n'a été exécuté avant l'annulation."
    assert seen.as_json()["cancelled_at"] == seen.cancelled_at
