"""The « Prescrit (démo) » window's executions go through the prescrit's journal, as
``lap-app prescrit execute`` does: the base out of reach, nothing the tester recorded is lost."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from attack_support import insider

from circuit_support import card_in_hand, running_base

KEPT = "L'exécution n'est pas perdue : elle est conservée sur ce poste et sera envoyée à la base avec la prochaine"


@dataclass
class Podology:
    """A running base, the endpoint the prescrits use, the demo PKI and a 5-session ordonnance."""

    base: Any
    endpoint: Any
    pki: Any
    number: str


@pytest.fixture
def podology(tmp_path, pki_dir, base_database):  # type: ignore[no-untyped-def]
    from lap_app.services.base_connection import BaseEndpoint
    from lap_app.services.credentials import FileCredentials
    from lap_app.services.enrolment import enrol
    from lap_app.standins.pki import init_pki

    pki = init_pki(pki_dir)
    with running_base(tmp_path / "base", pki_dir, database=base_database()) as process:
        endpoint = BaseEndpoint(process.url, process.ca, credentials=FileCredentials(tmp_path / "credential.json"))
        with card_in_hand("medecin", pki_dir) as card:
            enrol(endpoint, card, name="démo")
        physician = insider(process, pki.holder("medecin"), enrol=True)
        number = physician.prescribe(kind="podologie")  # 5 sessions
        physician.close()
        yield Podology(process, endpoint, pki, number)


def test_an_execution_the_base_never_got_is_sent_before_the_next(qtbot, tmp_path, podology) -> None:  # type: ignore[no-untyped-def]
    """The tester is told at once that the execution is kept and leaves with the next one."""
    from lap_app.base_client import BaseUnavailable
    from lap_app.demo.prescrit import DemoPrescrits
    from lap_app.demo.prescrit_window import PrescritWindow
    from lap_app.services.prescrit import LineExecution

    process, number = podology.base, podology.number
    prescrits = DemoPrescrits(podology.endpoint, podology.pki, "", tmp_path / "prescrits")
    window = PrescritWindow(prescrits)
    qtbot.addWidget(window)
    try:
        window.choose_profession("podologue")
        window.number_edit.setText(number)
        window.read()  # the card's token obtained
        qtbot.waitUntil(lambda: window.view is not None, timeout=15000)
        assert window.view.lines[0].done == 0
        process.kill()
        window._record([LineExecution(1, count=2)], complete=False)
        qtbot.waitUntil(lambda: window.message.property("role") == "error", timeout=30000)
        assert KEPT in window.message.text()
        if os.environ.get("LAP_SCREENSHOTS"):
            window.grab().save(str(Path(os.environ["LAP_SCREENSHOTS"]) / "prescrit-execution-kept.png"))
        with pytest.raises(BaseUnavailable, match=KEPT):  # the service's message: the command line's too
            prescrits.execute("podologue", number, [LineExecution(1, count=2)])  # told kept: another visit
        process.start()
        view = prescrits.execute("podologue", number, [LineExecution(1, count=1)])
    finally:
        prescrits.close()
    assert view.lines[0].done == 5  # the two visits of two sessions the base never got, then this one
    assert process.rows("SELECT count(*) FROM execution_lines WHERE number = ?", number)[0][0] == 3
    assert (tmp_path / "prescrits" / "podologue" / "prescrit-executions.sqlite3").exists()


def test_the_base_gone_before_the_token_the_executions_kept_are_told(tmp_path, podology) -> None:  # type: ignore[no-untyped-def]
    """The base already out of reach when the card's token is asked (a new session: the demo
    restarted, or the next command): the prescrit is told that this execution was not recorded
    and that the one kept earlier waits for the base; nothing is lost."""
    from lap_app.base_client import BaseUnavailable
    from lap_app.demo.prescrit import DemoPrescrits
    from lap_app.services.prescrit import LineExecution

    process, number = podology.base, podology.number
    earlier = DemoPrescrits(podology.endpoint, podology.pki, "", tmp_path / "prescrits")
    try:
        earlier.read("podologue", number)  # the card's token obtained
        process.kill()
        with pytest.raises(BaseUnavailable, match=KEPT):
            earlier.execute("podologue", number, [LineExecution(1, count=2)])
    finally:
        earlier.close()
    prescrits = DemoPrescrits(podology.endpoint, podology.pki, "", tmp_path / "prescrits")
    try:
        with pytest.raises(BaseUnavailable) as unsent:  # its token asked of a base out of reach
            prescrits.execute("podologue", number, [LineExecution(1, count=1)])
        assert "Cette exécution n'a pas été enregistrée : refaites-la quand la base sera joignable." in \
            unsent.value.message
        assert unsent.value.message.endswith(
            "1 exécution enregistrée plus tôt est conservée sur ce poste : elle sera envoyée à la base avec la "
            "prochaine exécution, quand la base sera de nouveau joignable.")
        process.start()
        view = prescrits.execute("podologue", number, [LineExecution(1, count=1)])
    finally:
        prescrits.close()
    assert view.lines[0].done == 3  # the two sessions kept, then this one


def test_executions_kept_one_after_the_other_are_counted(tmp_path, podology) -> None:  # type: ignore[no-untyped-def]
    """Two sessions recorded while the base is out of reach: the second says the first waits too."""
    from lap_app.base_client import BaseUnavailable
    from lap_app.demo.prescrit import DemoPrescrits
    from lap_app.services.prescrit import LineExecution

    prescrits = DemoPrescrits(podology.endpoint, podology.pki, "", tmp_path / "prescrits")
    try:
        prescrits.read("podologue", podology.number)  # the card's token obtained
        podology.base.kill()
        with pytest.raises(BaseUnavailable, match=KEPT) as first:
            prescrits.execute("podologue", podology.number, [LineExecution(1, count=1)])
        assert "plus tôt" not in first.value.message
        assert first.value.message.endswith("Ne la saisissez pas une seconde fois : ce serait un autre acte.")
        with pytest.raises(BaseUnavailable, match=KEPT) as second:
            prescrits.execute("podologue", podology.number, [LineExecution(1, count=2)])
        assert second.value.message.endswith("1 exécution enregistrée plus tôt l'attend aussi sur ce poste.")
        podology.base.start()
        absent = LineExecution(1, done=False, reason="patient absent")  # the next one recorded
        view = prescrits.execute("podologue", podology.number, [absent])
    finally:
        prescrits.close()
    assert view.lines[0].done == 3  # nothing lost: the 1 and 2 sessions kept left before it


def test_two_identical_executions_kept_the_same_day_are_two_acts(tmp_path, podology) -> None:  # type: ignore[no-untyped-def]
    """Two visits of one session each, the same day, both while the base is out of reach: the
    tester was told each was kept, so each is an act of its own, with its own execution id, and
    the base records both (it recognises a replay by the id alone)."""
    from lap_app.base_client import BaseUnavailable
    from lap_app.demo.prescrit import DemoPrescrits
    from lap_app.services.prescrit import LineExecution

    process, number = podology.base, podology.number
    prescrits = DemoPrescrits(podology.endpoint, podology.pki, "", tmp_path / "prescrits")
    try:
        prescrits.read("podologue", number)  # the card's token obtained
        process.kill()
        for visit in range(2):
            with pytest.raises(BaseUnavailable, match=KEPT) as kept:
                prescrits.execute("podologue", number, [LineExecution(1, count=1)])
            assert ("1 exécution enregistrée plus tôt l'attend aussi" in kept.value.message) == (visit == 1)
        process.start()
        view = prescrits.execute("podologue", number, [LineExecution(1, count=1)])
    finally:
        prescrits.close()
    assert view.lines[0].done == 3
    assert process.rows("SELECT count(*) FROM executions WHERE number = ?", number)[0][0] == 3
    assert process.rows("SELECT count(*) FROM audit WHERE number = ? AND outcome = 'replayed'", number)[0][0] == 0


def test_an_execution_whose_answer_was_lost_is_sent_again_under_its_id(tmp_path, podology, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The base records the execution but its answer never arrives: the execution is kept and
    leaves again, under the same id, with the next one; the base replays it (recorded once)."""
    from lap_app.base_client import BaseUnavailable, HttpBaseClient
    from lap_app.demo.prescrit import DemoPrescrits
    from lap_app.services.prescrit import LineExecution

    process, number = podology.base, podology.number
    execute, sent = HttpBaseClient.prescrit_execute, []

    def answer_lost_once(self, number, execution_id, lines, complete):  # type: ignore[no-untyped-def]
        answer = execute(self, number, execution_id, lines, complete)  # recorded by the base
        sent.append(execution_id)
        if len(sent) == 1:
            raise BaseUnavailable("Base des ordonnances numériques injoignable (réponse perdue).")
        return answer

    monkeypatch.setattr(HttpBaseClient, "prescrit_execute", answer_lost_once)
    prescrits = DemoPrescrits(podology.endpoint, podology.pki, "", tmp_path / "prescrits")
    try:
        with pytest.raises(BaseUnavailable, match=KEPT):
            prescrits.execute("podologue", number, [LineExecution(1, count=2)])
        view = prescrits.execute("podologue", number, [LineExecution(1, count=1)])
    finally:
        prescrits.close()
    assert len(sent) == 3 and sent[0] == sent[1] != sent[2]  # the lost one again, under its id, then the next
    assert view.lines[0].done == 3  # 2 + 1: the lost answer's execution recorded once
    assert process.rows("SELECT count(*) FROM executions WHERE number = ?", number)[0][0] == 2
    assert process.rows("SELECT outcome FROM audit WHERE number = ? AND action = 'execute' ORDER BY id", number) == [
        ("ok:partly_dispensed",), ("replayed",), ("ok:partly_dispensed",)]
