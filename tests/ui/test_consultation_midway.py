"""A consultation the base stops midway, through the real widgets: the ordonnance made keeps
its number and leaves the draft, the GP reads in French which ones are not made, and
« Réessayer » makes only those — three numbers in the end, none twice."""

from __future__ import annotations

from PySide6.QtCore import Qt
from test_editor_every_kind import page_qr_codes
from wrong_signature import WrongSecondSignature

from lap_app.domain.kinds import OrdonnanceKind
from lap_app.services.care_templates import BUILT_IN_TEMPLATES

from ui_support import paracetamol_for_rousseau


def _wait_dialog(qtbot, flow, previous=None) -> object:  # type: ignore[no-untyped-def]
    qtbot.waitUntil(lambda: (flow.result_dialog is not None and flow.result_dialog is not previous)
                    or flow.message is not None, timeout=30000)
    assert flow.message is None, flow.message.text()
    return flow.result_dialog


def test_refused_midway_then_retry_makes_only_the_missing_ordonnances(qtbot, main_window) -> None:  # type: ignore[no-untyped-def]
    window = main_window
    care = paracetamol_for_rousseau(qtbot, window)
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


def test_the_pin_not_given_for_a_retry_leaves_the_made_ordonnance_and_the_rest_to_do(qtbot, main_window,  # type: ignore[no-untyped-def]
                                                                                    demo_env) -> None:
    """Stopped midway, the card reset, « Réessayer » asks the PIN and the GP cancels: the status
    bar says so, the result stays open with its number and its « NON ENREGISTRÉE » lines, the
    biology stays in the draft, nothing more is registered; the next retry with the PIN makes it."""
    window = main_window
    care = paracetamol_for_rousseau(qtbot, window)
    care.choose_kind(OrdonnanceKind.BIOLOGIE)
    care.apply_template(next(t for t in BUILT_IN_TEMPLATES if t.label == "Bilan diabète annuel"))
    store = window.context.store
    real_card = window.context.session.card
    window.context.session.card = WrongSecondSignature(real_card)
    window.validate()
    flow = window._flow
    dialog = _wait_dialog(qtbot, flow)
    assert len(dialog.number_labels) == 1 and len(dialog.missing_labels) == 1
    window.context.session.card = real_card
    stored_before = len(store.list())
    demo_env.physician_card.power_on()  # a card reset: the PIN must be presented again

    dialog.retry_button.click()
    qtbot.waitUntil(lambda: (flow.pin_dialog is not None and flow.pin_dialog.isVisible()) or flow.message is not None,
                    timeout=10000)
    flow.pin_dialog.reject()  # « Annuler »
    assert window.statusBar().currentMessage() == "Signature annulée : code porteur non saisi."
    assert flow.result_dialog is dialog and dialog.isVisible()
    assert len(dialog.number_labels) == 1 and len(dialog.missing_labels) == 1
    assert care.draft.kinds_with_lines() == [OrdonnanceKind.BIOLOGIE]
    assert len(store.list()) == stored_before

    dialog.retry_button.click()
    qtbot.waitUntil(lambda: flow.pin_dialog.isVisible() or flow.message is not None, timeout=10000)
    flow.pin_dialog.setTextValue("1234")
    flow.pin_dialog.accept()
    dialog = _wait_dialog(qtbot, flow, previous=dialog)
    assert dialog.missing_labels == [] and len(set(dialog.result.numbers)) == 2
    assert care.draft.count() == 0
    dialog.close()
