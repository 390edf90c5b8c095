"""The physiological state on the prescription screen: typed in the patient form, kept, shown
with both clearances (formula and date) and the prompts for what is missing."""

from __future__ import annotations

from datetime import date

from lap_app.domain.model import Sex
from lap_app.ui.patient_panel import PatientPanel

from practice_store_support import adult, make_context


def test_creatinine_typed_in_gives_both_clearances_with_their_date(qtbot, tmp_path) -> None:
    context = make_context(tmp_path / "store.sqlite3")
    panel = PatientPanel(context)
    qtbot.addWidget(panel)
    form = panel.open_form(adult(birth_date=date(1940, 5, 5), sex=Sex.MALE, weight_kg=72, ins=None))
    form.creatinine_edit.setText("110")
    form.creatinine_date.setText("02/09/2026")
    record = form.save()
    assert record is not None and record.creatinine is not None and record.creatinine.unit == "µmol/L"
    panel.select(context.services.patients.get(record.id))
    text = panel.summary.text()
    assert "Créatinine : 110 µmol/L le 02/09/2026" in text
    assert "Clairance Cockcroft-Gault : " in text and "mL/min (créatinine du 02/09/2026)" in text
    assert "Clairance CKD-EPI : " in text and "mL/min/1,73 m² (créatinine du 02/09/2026)" in text


def test_missing_creatinine_of_an_elderly_patient_and_pregnancy_term(qtbot, tmp_path) -> None:
    context = make_context(tmp_path / "store.sqlite3")
    panel = PatientPanel(context)
    qtbot.addWidget(panel)
    old = context.services.patients.save(adult(birth_date=date(1930, 1, 1)))
    panel.select(old)
    assert "renseignez la dernière créatinine" in panel.summary.text()
    form = panel.open_form(adult(family_name="Roux", ins=None))
    form.pregnant_check.setChecked(True)
    form.weeks_edit.setText("vingt")
    assert form.save() is None and "semaines d'aménorrhée" in form.error_label.text()
    form.weeks_edit.setText("24")
    record = form.save()
    assert record is not None and (record.pregnant, record.pregnancy_weeks) == (True, 24)
    panel.select(record)
    assert "Enceinte : 24 SA" in panel.summary.text()


def test_the_settings_limit_decides_when_a_creatinine_is_stale(qtbot, tmp_path) -> None:
    from datetime import timedelta

    from lap_app.domain.physiology import Creatinine

    context = make_context(tmp_path / "store.sqlite3")
    panel = PatientPanel(context)
    qtbot.addWidget(panel)
    measured = date.today() - timedelta(days=200)
    record = context.services.patients.save(adult(birth_date=date(1930, 1, 1), weight_kg=60,
                                                  creatinine=Creatinine(90, "µmol/L", measured)))
    panel.select(record)
    assert "faites-la contrôler" not in panel.summary.text()  # 365 days by default
    context.settings.creatinine_max_age_days = 180
    panel.select(adult(family_name="Autre", ins=None))  # another patient, then back
    panel.select(record)
    assert "plus de 180 jours : faites-la contrôler" in panel.summary.text()
