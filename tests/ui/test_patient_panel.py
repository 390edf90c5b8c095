"""Patients: the service on a real SQLite store, and the panel driven with keyboard and clicks."""

from __future__ import annotations

from datetime import date

import pytest
from PySide6.QtCore import Qt

from lap_app.domain.errors import ValidationError
from lap_app.domain.model import Sex
from lap_app.services.patients import LongTermTreatment, PatientService
from lap_app.storage import connect
from lap_app.ui.patient_panel import PatientPanel

from practice_store_support import adult, make_context, nir_with_key, type_text


@pytest.fixture()
def service(tmp_path) -> PatientService:
    return PatientService(connect(tmp_path / "store.sqlite3"))


def test_saved_patient_is_found_by_name_birth_date_and_ins(service: PatientService) -> None:
    saved = service.save(adult(
        allergies=["amoxicilline", "Amoxicilline "], ald=True, ald_label="Diabète de type 2",
        treatments=[LongTermTreatment("LEVOTHYROX 100 µg", "60483339")], opposition=True, weight_kg=71.5,
    ))
    service.save(adult(family_name="Durand", given_names=["Paul"], sex=Sex.MALE, birth_date=date(1990, 1, 2),
                       ins=nir_with_key("1900175056012")))
    assert service.count() == 2
    assert [p.family_name for p in service.search("mart hel")] == ["Martin"]
    assert [p.family_name for p in service.search("HELENE")] == ["Martin"]
    assert [p.family_name for p in service.search("17/04/1962")] == ["Martin"]
    assert [p.family_name for p in service.search("2 62 04")] == ["Martin"]
    assert service.search("dup") == []
    again = service.get(saved.id)
    assert again.allergies == ["amoxicilline"]  # the same substance typed twice is kept once
    assert again.treatments == [LongTermTreatment("LEVOTHYROX 100 µg", "60483339")]
    assert again.opposition and again.ald and again.weight_kg == 71.5
    assert again.to_patient().ins == saved.ins
    assert again.to_patient().resource_id == saved.resource_id


def test_wrong_nir_key_is_refused_with_the_field_named(service: PatientService) -> None:
    good = nir_with_key("2620469123045")
    wrong_key = good[:13] + f"{(int(good[13:]) + 1) % 97:02d}"
    with pytest.raises(ValidationError) as caught:
        service.save(adult(ins=wrong_key))
    assert [p.path for p in caught.value.problems] == ["ins"]
    assert "clé" in caught.value.problems[0].message
    assert service.count() == 0


def test_nir_sex_digit_must_match_and_ins_is_unique(service: PatientService) -> None:
    with pytest.raises(ValidationError) as caught:
        service.save(adult(sex=Sex.MALE))  # the NIR starts with 2
    assert "sexe" in caught.value.problems[0].message
    service.save(adult())
    with pytest.raises(ValidationError) as caught:
        service.save(adult(family_name="Autre"))
    assert "autre patient" in caught.value.problems[0].message


def test_child_needs_a_weight(service: PatientService) -> None:
    three_years_ago = date(date.today().year - 3, 1, 15)
    with pytest.raises(ValidationError) as caught:
        service.save(adult(birth_date=three_years_ago, ins=None))
    assert [p.path for p in caught.value.problems] == ["weight_kg"]
    saved = service.save(adult(birth_date=three_years_ago, ins=None, weight_kg=14.2, height_cm=96))
    assert saved.id is not None and saved.is_child()


@pytest.fixture()
def panel(qtbot, tmp_path):
    context = make_context(tmp_path / "store.sqlite3")
    widget = PatientPanel(context)
    qtbot.addWidget(widget)
    widget.resize(420, 600)
    widget.show()
    return widget


def _fill_form(qtbot, form, nir: str, birth: str = "17/04/1962") -> None:
    type_text(qtbot, form.family_edit, "Martin")
    type_text(qtbot, form.given_edit, "Hélène Anne")
    form.sex_combo.setCurrentIndex(form.sex_combo.findData(Sex.FEMALE))
    type_text(qtbot, form.birth_edit, birth)
    type_text(qtbot, form.ins_edit, nir)
    type_text(qtbot, form.allergy_edit, "pénicilline")
    qtbot.keyClick(form.allergy_edit, Qt.Key.Key_Return)


def test_panel_refuses_a_bad_nir_key_then_creates_the_patient(qtbot, panel: PatientPanel) -> None:
    qtbot.mouseClick(panel.new_button, Qt.MouseButton.LeftButton)
    form = panel.form
    assert form is not None and form.isVisible()
    form.activateWindow()
    qtbot.waitUntil(form.isActiveWindow, timeout=2000)
    good = nir_with_key("2620469123045")
    bad = good[:13] + ("00" if good[13:] != "00" else "01")
    save_clicks: list[bool] = []
    form.save_button.clicked.connect(lambda: save_clicks.append(True))
    _fill_form(qtbot, form, bad)
    assert form.allergy_list.count() == 1
    assert save_clicks == []  # Enter in the allergy field adds the allergy, it does not save
    # leaving the NIR field already checked its key
    assert form.ins_edit.property("invalid") == "true" and "clé" in form.error_label.text()

    qtbot.mouseClick(form.save_button, Qt.MouseButton.LeftButton)
    assert form.isVisible(), "a wrong key must keep the form open"
    assert form.ins_edit.property("invalid") == "true"
    assert "clé du NIR incorrecte" in form.error_label.text()
    assert panel._context.services.patients.count() == 0

    form.ins_edit.clear()
    type_text(qtbot, form.ins_edit, " ".join([good[:1], good[1:3], good[3:5], good[5:]]))
    with qtbot.waitSignal(panel.patient_selected, timeout=2000) as selected:
        qtbot.keyClick(form.ins_edit, Qt.Key.Key_Return)  # Enter saves
    record = selected.args[0]
    assert not form.isVisible()
    assert form.ins_edit.property("invalid") == "false"
    assert record.ins == good and record.given_names == ["Hélène", "Anne"] and record.allergies == ["pénicilline"]
    assert panel.current_patient() is record
    assert "Allergies" in panel.summary.text()
    assert panel._context.services.patients.count() == 1


def test_panel_search_and_enter_selects(qtbot, panel: PatientPanel) -> None:
    service = panel._context.services.patients
    service.save(adult())
    service.save(adult(family_name="Martinez", given_names=["Luis"], sex=Sex.MALE, ins=None))
    panel.search_edit.setFocus()
    qtbot.keyClicks(panel.search_edit, "martinez")
    qtbot.waitUntil(lambda: panel.results.count() == 1, timeout=2000)
    with qtbot.waitSignal(panel.patient_selected, timeout=2000) as selected:
        qtbot.keyClick(panel.search_edit, Qt.Key.Key_Return)
    assert selected.args[0].family_name == "Martinez"


def test_child_form_asks_for_weight(qtbot, panel: PatientPanel) -> None:
    form = panel.open_form()
    birth = date(date.today().year - 2, 3, 1).strftime("%d/%m/%Y")
    type_text(qtbot, form.family_edit, "Petit")
    type_text(qtbot, form.given_edit, "Léo")
    form.sex_combo.setCurrentIndex(form.sex_combo.findData(Sex.MALE))
    type_text(qtbot, form.birth_edit, birth)
    assert form.child_hint.isVisibleTo(form)
    assert "mois" in form.age_label.text() or "ans" in form.age_label.text()
    qtbot.mouseClick(form.save_button, Qt.MouseButton.LeftButton)
    assert form.isVisible()
    assert form.weight_edit.property("invalid") == "true"
    type_text(qtbot, form.weight_edit, "12,5")
    qtbot.mouseClick(form.save_button, Qt.MouseButton.LeftButton)
    assert not form.isVisible()
    assert panel.current_patient().weight_kg == 12.5


def test_allergy_and_treatment_completion_come_from_the_drug_base(qtbot, tmp_path) -> None:
    from lap_app.drugs import open_drug_database

    drugs = open_drug_database()
    context = make_context(tmp_path / "store.sqlite3", drugs=drugs)
    panel = PatientPanel(context)
    qtbot.addWidget(panel)
    form = panel.open_form()
    type_text(qtbot, form.allergy_edit, "amoxi")
    suggestions = form.allergy_edit.completer().model().stringList()
    assert "amoxicilline" in suggestions
    form.allergy_edit.setText("amoxicilline")  # the completion chosen
    qtbot.keyClick(form.allergy_edit, Qt.Key.Key_Return)
    type_text(qtbot, form.treatment_edit, "simvastatine 20")
    names = form.treatment_edit.completer().model().stringList()
    assert names and all("SIMVASTATINE" in name for name in names)
    form.treatment_edit.setText(names[0])
    qtbot.keyClick(form.treatment_edit, Qt.Key.Key_Return)
    treatment = form.treatment_list.item(0).data(Qt.ItemDataRole.UserRole)
    assert treatment.label == names[0] and drugs.get(treatment.cis).name == names[0]
    assert form.allergy_list.item(0).text() == "amoxicilline"
    drugs.close()


def test_the_highlighted_row_is_the_chosen_patient_or_none(qtbot, panel: PatientPanel) -> None:
    """Choosing a patient the current search does not list must not leave another one highlighted;
    a long name wraps in the narrow list instead of hiding behind a horizontal scrollbar."""
    service = panel._context.services.patients
    chosen = service.save(adult(family_name="de La Tour d'Auvergne-Lauraguais", given_names=["Marie-Amélie"]))
    other = service.save(adult(family_name="Bernard", ins=None))
    type_text(qtbot, panel.search_edit, "bern")
    assert panel.results.count() == 1 and panel.results.currentRow() == 0  # Enter would pick BERNARD
    panel.select(chosen)  # chosen elsewhere (after saving the form, say)
    assert panel.results.currentRow() == -1 and panel.current_patient() is chosen
    panel.search_edit.clear()
    panel.select(chosen)
    current = panel.results.currentItem()
    assert current is not None and current.data(Qt.ItemDataRole.UserRole).id == chosen.id != other.id
    panel.resize(240, 600)
    qtbot.wait(20)
    assert not panel.results.horizontalScrollBar().isVisible()
    assert panel.results.visualItemRect(current).width() <= panel.results.viewport().width()
