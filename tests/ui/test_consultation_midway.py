"""A consultation the base stops midway, through the real widgets: the ordonnance made keeps
its number and leaves the draft, the GP reads in French which ones are not made, and
« Réessayer » makes only those — three numbers in the end, none twice."""

from __future__ import annotations

from PySide6.QtCore import Qt
from test_editor_every_kind import page_qr_codes
from test_full_flow import add_drug
from wrong_signature import WrongSecondSignature

from lap_app.domain.kinds import OrdonnanceKind
from lap_app.services.care_templates import BUILT_IN_TEMPLATES

from ui_support import login


def _wait_dialog(qtbot, flow, previous=None) -> object:  # type: ignore[no-untyped-def]
    qtbot.waitUntil(lambda: (flow.result_dialog is not None and flow.result_dialog is not previous)
                    or flow.message is not None, timeout=30000)
    assert flow.message is None, flow.message.text()
    return flow.result_dialog


def test_refused_midway_then_retry_makes_only_the_missing_ordonnances(qtbot, main_window) -> None:  # type: ignore[no-untyped-def]
    window = main_window
    login(qtbot, window, "1234")
    qtbot.waitUntil(lambda: not window.is_locked(), timeout=5000)
    window.patient_panel.select(window.context.services.patients.search("ROUSSEAU")[0])
    care = window.care_editor
    add_drug(qtbot, window.editor, "paracetamol 500")
    care.choose_kind(OrdonnanceKind.BIOLOGIE)
    care.apply_template(next(t for t in BUILT_IN_TEMPLATES if t.label == "Bilan diabète annuel"))
    care.choose_kind(OrdonnanceKind.SOINS_INFIRMIERS)
    care.act_combo.setCurrentText("Pansement simple d'une plaie")
    care.nursing_duration.setValue(10)
    care.add_current()
    assert care.draft.kinds_with_lines() == [OrdonnanceKind.BIOLOGIE, OrdonnanceKind.SOINS_INFIRMIERS]
    store = window.context.store
    registered_before = len(store.list(status="registered"))

    real_card = window.context.session.card
    window.context.session.card = WrongSecondSignature(real_card)
    qtbot.mouseClick(care.validate_button, Qt.MouseButton.LeftButton)
    flow = window._flow
    dialog = _wait_dialog(qtbot, flow)
    assert dialog.windowTitle() == "Consultation incomplète"
    assert len(dialog.number_labels) == 1 and dialog.retry_button.isVisibleTo(dialog)
    missing = [label.text() for label in dialog.missing_labels]
    assert len(missing) == 2 and missing[0].startswith("NON ENREGISTRÉE — Ordonnance refusée par la base : ")
    assert missing[0].lower().count("refusée") == 1 and "signature invalide" in missing[0]  # the refusal said once
    assert "pas encore faite" in missing[1]
    made = dialog.result.numbers[0]
    assert page_qr_codes(dialog.result.pdf) == [[made]]
    # the medicines are made and leave the editor; biology and nursing stay in the draft
    assert window.editor.draft_lines() == []
    assert care.draft.kinds_with_lines() == [OrdonnanceKind.BIOLOGIE, OrdonnanceKind.SOINS_INFIRMIERS]

    window.context.session.card = real_card
    dialog.retry_button.click()
    dialog = _wait_dialog(qtbot, flow, previous=dialog)
    assert dialog.windowTitle() == "Ordonnances validées" and not dialog.retry_button.isVisibleTo(dialog)
    numbers = dialog.result.numbers
    assert numbers[0] == made and len(set(numbers)) == 3 and dialog.missing_labels == []
    assert [o.status for o in dialog.result.outcomes] == ["registered"] * 3
    assert page_qr_codes(dialog.result.pdf) == [[n] for n in numbers]
    assert care.draft.count() == 0
    assert len(store.list(status="registered")) == registered_before + 3  # none twice
    dialog.close()
