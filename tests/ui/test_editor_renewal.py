"""Renew the patient's last ordonnance in one action: from the real local store, through the
prescribing desk's history (FHIR Bundles read back), skipping a cancelled one."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from contexts import complete_context
from PySide6.QtCore import Qt

from lap_app.domain.identifiers import prescription_number_from_serial
from lap_app.domain.model import Address, Ordonnance, Prescriber, PrescriptionLine
from lap_app.domain.posology import Posology
from lap_app.domain.status import OrdonnanceStatus
from lap_app.fhir import to_bundle
from lap_app.ui.editor import PrescriptionEditor

from practice_store_support import adult

PRESCRIBER = Prescriber("DUPONT", ["Claire"], "810001234567", qualification="Médecine générale",
                        address=Address(["1 rue de la Paix"], "75002", "Paris"), phone="+33 1 00 00 00 00",
                        email="c.dupont@example.fr")


def _ordonnance(patient, lines, minutes_ago: int) -> Ordonnance:
    return Ordonnance(PRESCRIBER, patient, lines, datetime.now(UTC) - timedelta(minutes=minutes_ago))


@pytest.fixture()
def setup(qtbot, tmp_path):
    context = complete_context(tmp_path / "store.sqlite3")
    editor = PrescriptionEditor(context)
    qtbot.addWidget(editor)
    editor.show()
    yield editor, context.store, context.services.patients
    context.close()


def test_renew_last_takes_the_newest_ordonnance_not_cancelled(qtbot, setup) -> None:
    editor, store, patients = setup
    record = patients.save(adult())
    other = patients.save(adult(family_name="Autre", ins=None))
    kept = [
        PrescriptionLine("LÉVOTHYROXINE SODIQUE 100 µg, comprimé sécable",
                         Posology(dose=1, dose_unit="comprimé", when=["MORN"], duration=3, duration_unit="mo"),
                         cis="60483339", renewals=2),
        PrescriptionLine("METFORMINE 780 mg, comprimé pelliculé",
                         Posology(dose=1, dose_unit="comprimé", when=["MORN", "EVE"], duration=3, duration_unit="mo")),
    ]
    store.save_paper(prescriber=PRESCRIBER.national_id, patient_name=record.to_patient().display_name, opposition=False,
                     bundle=to_bundle(_ordonnance(record.to_patient(), kept, 60)), reason="test")
    cancelled = _ordonnance(record.to_patient(), [PrescriptionLine(
        "AMOXICILLINE 1 g, comprimé", Posology(dose=1, dose_unit="comprimé", frequency=3, period=1,
                                               period_unit="d", duration=6, duration_unit="d"))], 5)
    cancelled.number = prescription_number_from_serial("20261125000042")
    store.save_signed(number=cancelled.number, prescriber=PRESCRIBER.national_id, patient_name=record.to_patient().display_name,
                      opposition=False, bundle=to_bundle(cancelled), signer_certificate=b"")
    store.set_status(cancelled.number, OrdonnanceStatus.CANCELLED)

    editor.set_patient(other)
    qtbot.keyClick(editor, Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: "Pas d'ordonnance précédente" in editor.message_label.text(), timeout=5000)
    assert editor.draft_lines() == []

    editor.set_patient(record)
    qtbot.mouseClick(editor.renew_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(editor.draft_lines()) == 2, timeout=5000)
    renewed = editor.draft_lines()
    assert [line.dci_wording for line in renewed] == [line.dci_wording for line in kept]
    assert renewed[0].posology.sentence() == "1 comprimé le matin pendant 3 mois"
    assert renewed[0].renewals == 2 and renewed[0].cis == "60483339"
    assert {line.resource_id for line in renewed}.isdisjoint({line.resource_id for line in kept})
    assert "reprise" in editor.message_label.text()


def test_a_renamed_patient_keeps_their_history_and_renewal(qtbot, setup) -> None:
    """Ordonnances are linked to the patient's stable FHIR id, not to the name printed on them."""
    from dataclasses import replace

    editor, store, patients = setup
    record = patients.save(adult())
    line = PrescriptionLine("LÉVOTHYROXINE SODIQUE 100 µg, comprimé sécable",
                            Posology(dose=1, dose_unit="comprimé", when=["MORN"], duration=3, duration_unit="mo"),
                            cis="60483339")
    store.save_paper(prescriber=PRESCRIBER.national_id, patient_name=record.display_name, opposition=False,
                     bundle=to_bundle(_ordonnance(record.to_patient(), [line], 60)), reason="test")
    # a namesake (same names and birth date, another person) must not see it
    namesake = patients.save(adult(ins=None))

    renamed = patients.save(replace(record, family_name="Martin-Durand", given_names=["Hélène", "Marie"]))
    assert renamed.display_name != store.list()[0].patient_name
    history = editor._context.services.prescribing.history(renamed.to_patient())
    assert [entry.summary for entry in history] == [line.dci_wording]
    assert editor._context.services.prescribing.history(namesake.to_patient()) == []

    editor.set_patient(patients.get(renamed.id))
    qtbot.keyClick(editor, Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: len(editor.draft_lines()) == 1, timeout=5000)
    assert editor.draft_lines()[0].cis == "60483339"
