"""Renal clearance by Cockcroft-Gault and CKD-EPI, and the prompts of the prescription screen."""

from __future__ import annotations

from datetime import date

import pytest

from lap_app.domain.model import Sex
from lap_app.domain.physiology import (
    Creatinine,
    PhysiologicalState,
    ckd_epi,
    clearances,
    cockcroft_gault,
    prompts,
    state_summary,
)

DAY = date(2026, 11, 25)
BORN_1956 = date(1956, 11, 1)  # 70 years old on DAY


def test_cockcroft_gault_man_and_woman() -> None:
    creat = Creatinine(100, "µmol/L", DAY)  # 1.131 mg/dL
    man = cockcroft_gault(BORN_1956, Sex.MALE, 70, creat)
    assert man is not None and man.value == pytest.approx(70 * 70 / (72 * 100 / 88.4), rel=1e-9)
    assert round(man.value) == 60
    woman = cockcroft_gault(BORN_1956, Sex.FEMALE, 70, creat)
    assert woman is not None and woman.value == pytest.approx(man.value * 0.85)
    assert cockcroft_gault(BORN_1956, Sex.MALE, None, creat) is None  # no weight, no CG


def test_ckd_epi_2009_reference_values() -> None:
    man = ckd_epi(BORN_1956, Sex.MALE, Creatinine(100, "µmol/L", DAY))
    assert man is not None and man.value == pytest.approx(65.4, abs=0.1)
    woman = ckd_epi(date(1986, 1, 1), Sex.FEMALE, Creatinine(6, "mg/L", DAY))  # 40 years, 0.6 mg/dL
    expected = 141 * (0.6 / 0.7) ** -0.329 * 0.993 ** 40 * 1.018
    assert woman is not None and woman.value == pytest.approx(expected)


def test_clearances_show_formula_value_and_date() -> None:
    state = PhysiologicalState(weight_kg=70, creatinine=Creatinine(100, "µmol/L", date(2026, 3, 12)))
    assert [c.text() for c in clearances(BORN_1956, Sex.MALE, state)] == [
        "Clairance Cockcroft-Gault : 61 mL/min (créatinine du 12/03/2026)",  # aged 69 on that day
        "Clairance CKD-EPI : 66 mL/min/1,73 m² (créatinine du 12/03/2026)",
    ]


def test_prompts_child_weight_elderly_creatinine_and_pregnancy_term() -> None:
    assert prompts(date(2020, 1, 1), PhysiologicalState(), DAY) == [
        "Enfant : renseignez le poids (posologies au poids)."]
    assert prompts(date(1940, 1, 1), PhysiologicalState(weight_kg=60), DAY) == [
        "Patient de 86 ans : renseignez la dernière créatinine (fonction rénale)."]
    stale = PhysiologicalState(creatinine=Creatinine(90, "µmol/L", date(2026, 1, 2)))
    assert prompts(date(1940, 1, 1), stale, DAY, creatinine_max_age_days=180) == [
        "Patient de 86 ans : la créatinine date du 02/01/2026, plus de 180 jours : faites-la contrôler."]
    assert prompts(date(1940, 1, 1), stale, DAY, creatinine_max_age_days=365) == []
    assert prompts(date(1990, 1, 1), PhysiologicalState(pregnant=True), DAY) == [
        "Grossesse : renseignez le terme (semaines d'aménorrhée)."]


def test_summary_lines() -> None:
    state = PhysiologicalState(weight_kg=62.5, height_cm=165, pregnant=True, pregnancy_weeks=24,
                               creatinine=Creatinine(58, "µmol/L", date(2026, 10, 1)))
    assert state_summary(state) == ["Poids : 62,5 kg", "Taille : 165 cm", "Enceinte : 24 SA",
                                    "Créatinine : 58 µmol/L le 01/10/2026"]
