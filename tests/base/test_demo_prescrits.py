"""The « Prescrit (démo) » window's executions go through the prescrit's journal, as
``lap-app prescrit execute`` does: the base out of reach, nothing the tester recorded is lost."""

from __future__ import annotations

import pytest
from attack_support import insider

from circuit_support import card_in_hand, running_base


def test_an_execution_the_base_never_got_is_sent_before_the_next(tmp_path, pki_dir, base_database) -> None:  # type: ignore[no-untyped-def]
    from lap_app.base_client import BaseUnavailable
    from lap_app.demo.prescrit import DemoPrescrits
    from lap_app.services.base_connection import BaseEndpoint
    from lap_app.services.credentials import FileCredentials
    from lap_app.services.enrolment import enrol
    from lap_app.services.prescrit import LineExecution
    from lap_app.standins.pki import init_pki

    pki = init_pki(pki_dir)
    with running_base(tmp_path / "base", pki_dir, database=base_database()) as process:
        endpoint = BaseEndpoint(process.url, process.ca, credentials=FileCredentials(tmp_path / "credential.json"))
        with card_in_hand("medecin", pki_dir) as card:
            enrol(endpoint, card, name="démo")
        physician = insider(process, pki.holder("medecin"), enrol=True)
        number = physician.prescribe(kind="podologie")  # 5 sessions
        physician.close()
        prescrits = DemoPrescrits(endpoint, pki, "", tmp_path / "prescrits")
        try:
            assert prescrits.read("podologue", number).lines[0].done == 0  # the card's token obtained
            process.kill()
            with pytest.raises(BaseUnavailable):
                prescrits.execute("podologue", number, [LineExecution(1, count=2)])
            process.start()
            view = prescrits.execute("podologue", number, [LineExecution(1, count=1)])
        finally:
            prescrits.close()
        assert view.lines[0].done == 3  # the two sessions the base never got, then this one
        assert process.rows("SELECT count(*) FROM execution_lines WHERE number = ?", number)[0][0] == 2
        assert (tmp_path / "prescrits" / "podologue" / "prescrit-executions.sqlite3").exists()
