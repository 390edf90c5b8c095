"""The whole circuit through the real widgets: the GP prescribes medicines, biology and nursing
in one consultation; in « Prescrit (démo) » the pharmacist, the biologist and the nurse each
scan their number (digits then Enter, as a 2D scanner types them) under their own card and
record what they did, the pharmacist adjusts a line with the GP's agreement; the GP's
follow-up in the history shows all of it — then none of it once the patient withdraws the
consent in « Mon espace santé »."""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import Qt
from test_full_flow import add_drug

from lap_app.domain.kinds import OrdonnanceKind
from lap_app.services.follow_up import OBJECTION_STATEMENT

from ui_support import login

SHOTS = Path(os.environ["LAP_SCREENSHOTS"]) if os.environ.get("LAP_SCREENSHOTS") else None


def _shot(widget, name: str) -> None:
    if SHOTS is not None:
        SHOTS.mkdir(parents=True, exist_ok=True)
        widget.grab().save(str(SHOTS / name))


def _prescribe_three_kinds(qtbot, window) -> dict[OrdonnanceKind, str]:
    care = window.care_editor
    add_drug(qtbot, window.editor, "paracetamol 500")
    qtbot.keyClick(window, Qt.Key.Key_B, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier)
    qtbot.keyClicks(care.search_edit, "NFS")
    qtbot.waitUntil(lambda: care.results.count() > 0, timeout=3000)
    qtbot.keyClick(care.search_edit, Qt.Key.Key_Return)
    qtbot.keyClick(window, Qt.Key.Key_I, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier)
    care.act_combo.setCurrentText("Pansement simple d'une plaie")
    care.times_spin.setValue(1)
    care.nursing_duration.setValue(10)
    care.add_current()
    qtbot.mouseClick(care.validate_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: getattr(window, "_flow", None) is not None
                    and (window._flow.result_dialog is not None or window._flow.message is not None), timeout=30000)
    assert window._flow.message is None, window._flow.message.text()
    result = window._flow.result_dialog.result
    window._flow.result_dialog.close()
    assert [o.status for o in result.outcomes] == ["registered"] * 3
    return dict(zip(result.kinds, result.numbers, strict=True))


def _scan(qtbot, prescrit, holder: str, number: str, key=Qt.Key.Key_Return) -> None:
    """The profession's card chosen, then the scanner: the 16 digits and Enter, as key events."""
    prescrit.choose_profession(holder)
    prescrit.number_edit.selectAll()
    qtbot.keyClicks(prescrit.number_edit, number)
    qtbot.keyClick(prescrit.number_edit, key)
    qtbot.waitUntil(lambda: prescrit.view is not None or prescrit.message.property("role") == "error", timeout=15000)


def _record(qtbot, prescrit, row: int) -> None:
    prescrit.table.selectRow(row)
    assert prescrit.execution_form.isEnabled()
    prescrit.execution_form.record_button.click()
    qtbot.waitUntil(lambda: "enregistrée" in prescrit.message.text() or prescrit.message.property("role") == "error",
                    timeout=15000)
    assert prescrit.message.property("role") == "ok", prescrit.message.text()


def _follow_up(qtbot, window, number: str) -> str:
    """The history's « Suivi » of ``number``, as the GP reads it."""
    from lap_app.domain.identifiers import format_prescription_number

    history = window.history
    if not any(e.number == number for e in history._entries):
        history.refresh()
        qtbot.waitUntil(lambda: any(e.number == number for e in history._entries), timeout=5000)
    history.table.selectRow(next(i for i, e in enumerate(history._entries) if e.number == number))
    history.follow_up_button.click()
    title = f"Suivi de l'ordonnance {format_prescription_number(number)}"
    qtbot.waitUntil(lambda: history.detail.text().startswith(title), timeout=15000)
    return history.detail.text()


def test_each_prescrit_under_its_own_card_then_the_follow_up_until_consent_is_withdrawn(
        qtbot, main_window, demo_env) -> None:
    window = main_window
    login(qtbot, window, "1234")
    qtbot.waitUntil(lambda: not window.is_locked(), timeout=5000)
    window.patient_panel.select(window.context.services.patients.search("ROUSSEAU")[0])
    numbers = _prescribe_three_kinds(qtbot, window)
    medicines, biology, nursing = (numbers[k] for k in (OrdonnanceKind.MEDICAMENTS, OrdonnanceKind.BIOLOGIE,
                                                        OrdonnanceKind.SOINS_INFIRMIERS))

    # opened from the main window's « Démo » menu
    demo_menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&Démo")
    action = next(a for a in demo_menu.actions() if a.text() == "&Prescrit (démo)…")
    assert action.shortcut().toString() == "Ctrl+Shift+P"
    action.trigger()
    prescrit = demo_env.window_extension.prescrit_window
    qtbot.waitUntil(lambda: prescrit is not None and prescrit.isVisible())

    # a nurse's card does not read a biology ordonnance: the base's French refusal
    _scan(qtbot, prescrit, "infirmier", biology)
    assert prescrit.view is None and prescrit.table.rowCount() == 0
    assert "votre profession ne l'exécute pas" in prescrit.message.text()

    # the pharmacist: one box of the medicine, then the quantity changed with the GP's agreement
    _scan(qtbot, prescrit, "pharmacien", medicines)
    assert prescrit.view.kind is OrdonnanceKind.MEDICAMENTS and "PARAC" in prescrit.table.item(0, 0).text().upper()
    _record(qtbot, prescrit, 0)
    # no number of boxes on the ordonnance: what was delivered, never the base's ceiling
    assert prescrit.table.item(0, 2).text() == "1 (nombre de boîtes non précisé)"
    prescrit.table.selectRow(0)
    form = prescrit.adjustment_form
    form.field_combo.setCurrentIndex(form.field_combo.findData("quantite"))
    form.value_edit.setText("2")
    form.mode_combo.setCurrentIndex(form.mode_combo.findData("telephone"))
    form.given_by_edit.setText("Dr Claire MARTIN")
    form.adjust_button.click()
    qtbot.waitUntil(lambda: "Ajustement de la ligne 1 enregistré" in prescrit.message.text()
                    or prescrit.message.property("role") == "error", timeout=15000)
    assert prescrit.message.property("role") == "ok", prescrit.message.text()
    assert prescrit.table.item(0, 2).text() == "1 sur 2"
    assert "accord par téléphone de Dr Claire MARTIN" in prescrit.adjustments.text()
    _shot(prescrit, "prescrit-pharmacien.png")

    # the biologist: the blood count done (the scanner's keypad Enter works as well)
    _scan(qtbot, prescrit, "biologiste", biology, key=Qt.Key.Key_Enter)
    assert prescrit.view.kind is OrdonnanceKind.BIOLOGIE and "HEMOGRAMME" in prescrit.table.item(0, 0).text()
    _record(qtbot, prescrit, 0)
    _shot(prescrit, "prescrit-biologiste.png")

    # the nurse: a visit with its act and its day
    _scan(qtbot, prescrit, "infirmier", nursing)
    assert prescrit.view.kind is OrdonnanceKind.SOINS_INFIRMIERS
    prescrit.table.selectRow(0)
    assert prescrit.execution_form.act_edit.isVisible() and not prescrit.execution_form.quantity_spin.isVisible()
    prescrit.execution_form.act_edit.setText("Pansement simple, plaie propre")
    _record(qtbot, prescrit, 0)
    assert prescrit.table.item(0, 2).text().startswith("1 sur ")
    _shot(prescrit, "prescrit-infirmier.png")

    # the GP's follow-up: all of it
    shown = _follow_up(qtbot, window, medicines)
    assert "✓ 1 boîte(s) délivrée(s)" in shown and "par pharmacien" in shown
    assert "ajustée par pharmacien (quantité : 2) avec l'accord du prescripteur obtenu par téléphone" in shown
    assert "donné par Dr Claire MARTIN" in shown
    shown = _follow_up(qtbot, window, biology)
    assert "✓ réalisée" in shown and "par biologiste" in shown
    shown = _follow_up(qtbot, window, nursing)
    assert "✓ 1 acte(s)" in shown and "par infirmier" in shown and "Pansement simple, plaie propre" in shown
    _shot(window, "follow-up-shown.png")

    # the patient withdraws the consent for the three ordonnances in « Mon espace santé »
    prescrit.patient_space_button.click()
    space = prescrit.patient_space
    qtbot.addWidget(space)
    qtbot.waitUntil(lambda: {d.number for d in space._documents} >= set(numbers.values()), timeout=15000)
    for row, doc in enumerate(space._documents):
        if doc.number not in numbers.values():
            continue
        space.table.selectRow(row)
        space.withdraw_button.click()
        qtbot.waitUntil(lambda row=row: space.table.item(row, 3).text() == "refusé par vous", timeout=15000)
    _shot(space, "mon-espace-sante-withdrawn.png")

    # ... and the GP's follow-up shows none of it, not even the progress the history had learnt
    history = window.history
    for number in (medicines, biology, nursing):
        shown = _follow_up(qtbot, window, number)
        assert shown.splitlines()[1:] == [OBJECTION_STATEMENT], shown
        assert "✓" not in shown and "pharmacien" not in shown and "MARTIN" not in shown
        row = next(i for i, e in enumerate(history._entries) if e.number == number)
        assert history.table.item(row, 2).text().startswith("enregistrée"), history.table.item(row, 2).text()
    history.refresh()  # from the store, then the base: still nothing of the execution
    qtbot.waitUntil(lambda: len(history._entries) >= 3, timeout=5000)
    for row, entry in enumerate(history._entries):
        if entry.number in numbers.values():
            assert "délivrée" not in history.table.item(row, 2).text()
    _shot(window, "follow-up-withdrawn.png")
    space.close()
    prescrit.close()
