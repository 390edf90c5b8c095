"""« Prescrit (démo) » for the kinds the whole-circuit test leaves out: a device supplier
delivers on rental with its end date, a physiotherapist records sessions « n sur N », a lab
records an analysis not done with its reason; a missing reason is said in French and nothing
is recorded."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import QApplication

from lap_app.domain.kinds import OrdonnanceKind

EXAMPLE_BUNDLE = Path(__file__).resolve().parents[1] / "fixtures" / "ordonnance-bundle.json"


@pytest.fixture(scope="module")
def registered(demo_env, tmp_path_factory):
    """One registered ordonnance per kind, signed with the demo physician's card."""
    from lap_app.card import default_virtual_reader, open_card
    from lap_app.demo.kind_samples import fill_with_sample_lines
    from lap_app.domain.care import DeviceSupply
    from lap_app.fhir import from_bundle
    from lap_app.services.base_connection import open_client
    from lap_app.services.card_session import unlock_card
    from lap_app.services.prescribing import prescribe
    from lap_app.storage import LocalStore

    demo_env.insert_card()
    assert default_virtual_reader().card_present
    store = LocalStore(tmp_path_factory.mktemp("prescrit-window") / "lap.sqlite3")
    numbers = {}
    with open_card(virtual=True) as card, open_client(demo_env.endpoint) as client:
        unlock_card(card, "1234")
        for kind in (OrdonnanceKind.DISPOSITIFS, OrdonnanceKind.KINESITHERAPIE, OrdonnanceKind.BIOLOGIE):
            draft = fill_with_sample_lines(from_bundle(json.loads(EXAMPLE_BUNDLE.read_text(encoding="utf-8"))), kind)
            if kind is OrdonnanceKind.DISPOSITIFS:  # the glucose meter rented for three months
                draft.devices[0].supply = DeviceSupply.RENTAL
                draft.devices[0].duration, draft.devices[0].duration_unit = 3, "mo"
            outcome = prescribe(draft, card=card, client=client, store=store)
            assert outcome.status == "registered", outcome.message
            numbers[kind] = outcome.number
    store.close()
    return numbers


@pytest.fixture
def prescrit(qtbot, demo_env):
    from lap_app.demo.prescrit_window import PrescritWindow

    window = PrescritWindow(demo_env.prescrits)
    qtbot.addWidget(window)
    window.show()
    return window


def _read(qtbot, window, holder: str, number: str) -> None:
    window.choose_profession(holder)
    window.number_edit.selectAll()
    qtbot.keyClicks(window.number_edit, number)
    qtbot.keyClick(window.number_edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.view is not None and window.view.number == number, timeout=15000)


def _record(qtbot, window) -> str:
    window.message.setText("")
    window.execution_form.record_button.click()
    qtbot.waitUntil(lambda: window.message.text() != "", timeout=15000)
    return window.message.text()


def test_a_device_on_rental_then_sessions_then_an_analysis_not_done(qtbot, prescrit, registered) -> None:
    form = prescrit.execution_form

    _read(qtbot, prescrit, "fournisseur", registered[OrdonnanceKind.DISPOSITIFS])
    prescrit.table.selectRow(0)  # the glucose meter, prescribed on rental: the form says so
    assert form.supply_combo.isVisible() and not form.act_edit.isVisible()
    assert form.supply_combo.currentData() == "location" and form.until_edit.isVisible()
    form.until_edit.setDate(QDate.currentDate().addMonths(3))
    assert "reste ouverte" in _record(qtbot, prescrit)
    [record] = prescrit.view.executions
    assert record.detail["supply"] == "location"
    assert record.detail["until"] == QDate.currentDate().addMonths(3).toPython().isoformat()
    prescrit.table.selectRow(1)  # the compression bandage, bought: 2 prescribed, renewable once
    assert form.supply_combo.currentData() == "achat" and not form.until_edit.isVisible()
    form.count_spin.setValue(2)
    _record(qtbot, prescrit)
    assert prescrit.table.item(1, 2).text() == "2 sur 4"

    # the next scan while the table has the focus: the digits go to the number field, Enter reads
    prescrit.choose_profession("kine")
    prescrit.activateWindow()
    prescrit.table.setFocus()
    qtbot.waitUntil(prescrit.table.hasFocus, timeout=3000)
    kinesitherapy = registered[OrdonnanceKind.KINESITHERAPIE]
    for digit in kinesitherapy:  # each key to the widget with the focus, as a scanner's keystrokes go
        qtbot.keyClick(QApplication.focusWidget(), digit)
    assert prescrit.number_edit.text() == kinesitherapy and prescrit.number_edit.hasFocus()
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: prescrit.view is not None and prescrit.view.number == kinesitherapy, timeout=15000)
    total = prescrit.view.lines[0].prescribed
    prescrit.table.selectRow(0)
    assert form.count_spin.isVisible() and "Séances réalisées" in form.form.labelForField(form.count_spin).text()
    form.count_spin.setValue(2)  # this week's two sessions
    _record(qtbot, prescrit)
    assert prescrit.table.item(0, 2).text() == f"2 sur {total:g}"
    prescrit.table.selectRow(0)
    form.count_spin.setValue(1)  # a third today opens next week too early: refused, nothing recorded
    assert "période 2 sur " in _record(qtbot, prescrit)
    assert prescrit.message.property("role") == "error" and prescrit.table.item(0, 2).text() == f"2 sur {total:g}"
    assert form.count_spin.value() == 1  # what was typed stays for a correction

    _read(qtbot, prescrit, "biologiste", registered[OrdonnanceKind.BIOLOGIE])
    prescrit.table.selectRow(0)
    form.not_done_check.setChecked(True)
    assert _record(qtbot, prescrit) == "Ligne 1 non réalisée : indiquez le motif"
    form.reason_edit.setText("patient non à jeun")
    _record(qtbot, prescrit)
    [record] = prescrit.view.executions
    assert (record.done, record.detail["reason"]) == (False, "patient non à jeun")
    assert prescrit.table.item(0, 2).text() == "0 sur 1 — non réalisé : patient non à jeun"  # nothing used up
    if os.environ.get("LAP_SCREENSHOTS"):
        prescrit.grab().save(str(Path(os.environ["LAP_SCREENSHOTS"]) / "prescrit-biologiste-non-realise.png"))
