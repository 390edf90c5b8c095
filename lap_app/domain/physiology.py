"""The patient's physiological state on the prescription screen (HAS LAP certification):
weight, height, pregnancy (term in weeks of amenorrhoea) or breastfeeding, the last
creatinine with the renal clearance by Cockcroft-Gault and by CKD-EPI, each shown with its
formula and the date of the creatinine; and what the screen must prompt for.

Formulas (creatinine in mg/dL; µmol/L ÷ 88.4, mg/L ÷ 10):
- Cockcroft-Gault (1976): (140 − age) × weight / (72 × Scr), × 0.85 for a woman, mL/min;
- CKD-EPI 2009 without the ethnic factor (as French laboratories report it, HAS 2012):
  141 × min(Scr/κ, 1)^α × max(Scr/κ, 1)^−1.209 × 0.993^age (× 1.018 for a woman),
  κ 0.7 (F) / 0.9 (M), α −0.329 (F) / −0.411 (M), mL/min/1.73 m².
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from lap_app.domain.model import CHILD_AGE_YEARS, Sex, age_in_months
from lap_app.domain.model import CREATININE_UNITS as CREATININE_UNITS  # (defined with the patient)
from lap_app.domain.model import Creatinine as Creatinine
from lap_app.i18n import _

ELDERLY_AGE_YEARS = 75
DEFAULT_CREATININE_MAX_AGE_DAYS = 365  # the settings may lower it


@dataclass(slots=True)
class PhysiologicalState:
    weight_kg: float | None = None
    height_cm: float | None = None
    pregnant: bool = False
    pregnancy_weeks: int | None = None  # term, in weeks of amenorrhoea (SA)
    breastfeeding: bool = False
    creatinine: Creatinine | None = None


@dataclass(frozen=True, slots=True)
class Clearance:
    formula: str
    value: float
    unit: str
    measured_on: date

    def text(self) -> str:
        """« Clairance Cockcroft-Gault : 60 mL/min (créatinine du 12/03/2026) »."""
        return _("Clairance {formula} : {value} {unit} (créatinine du {day})").format(
            formula=self.formula, value=round(self.value), unit=self.unit, day=self.measured_on.strftime("%d/%m/%Y"))


def _age(birth: date, on: date) -> int:
    return age_in_months(birth, on) // 12


def cockcroft_gault(birth: date, sex: Sex, weight_kg: float | None, creatinine: Creatinine) -> Clearance | None:
    """None when the weight is unknown, the sex neither male nor female, or the value absurd."""
    if weight_kg is None or sex not in (Sex.MALE, Sex.FEMALE) or creatinine.mg_dl <= 0:
        return None
    age = _age(birth, creatinine.measured_on)
    value = (140 - age) * weight_kg / (72 * creatinine.mg_dl)
    if sex is Sex.FEMALE:
        value *= 0.85
    return Clearance("Cockcroft-Gault", value, "mL/min", creatinine.measured_on)


def ckd_epi(birth: date, sex: Sex, creatinine: Creatinine) -> Clearance | None:
    if sex not in (Sex.MALE, Sex.FEMALE) or creatinine.mg_dl <= 0:
        return None
    female = sex is Sex.FEMALE
    kappa, alpha = (0.7, -0.329) if female else (0.9, -0.411)
    ratio = creatinine.mg_dl / kappa
    value = 141 * min(ratio, 1) ** alpha * max(ratio, 1) ** -1.209 * 0.993 ** _age(birth, creatinine.measured_on)
    if female:
        value *= 1.018
    return Clearance("CKD-EPI", value, "mL/min/1,73 m²", creatinine.measured_on)


def clearances(birth: date | None, sex: Sex, state: PhysiologicalState) -> list[Clearance]:
    """Both clearances the screen shows (those that can be computed)."""
    if birth is None or state.creatinine is None:
        return []
    found = [cockcroft_gault(birth, sex, state.weight_kg, state.creatinine), ckd_epi(birth, sex, state.creatinine)]
    return [c for c in found if c is not None]


def state_summary(state: PhysiologicalState) -> list[str]:
    """The lines the prescription screen shows (French)."""
    out = []
    if state.weight_kg is not None:
        out.append(_("Poids : {kg} kg").format(kg=f"{state.weight_kg:g}".replace(".", ",")))
    if state.height_cm is not None:
        out.append(_("Taille : {cm} cm").format(cm=f"{state.height_cm:g}".replace(".", ",")))
    if state.pregnant:
        out.append(_("Enceinte : {weeks} SA").format(weeks=state.pregnancy_weeks) if state.pregnancy_weeks
                   else _("Enceinte (terme non renseigné)"))
    if state.breastfeeding:
        out.append(_("Allaitement"))
    if state.creatinine is not None:
        c = state.creatinine
        out.append(_("Créatinine : {value} {unit} le {day}").format(
            value=f"{c.value:g}".replace(".", ","), unit=c.unit, day=c.measured_on.strftime("%d/%m/%Y")))
    return out


def prompts(birth: date | None, state: PhysiologicalState, today: date,
            creatinine_max_age_days: int = DEFAULT_CREATININE_MAX_AGE_DAYS) -> list[str]:
    """What the screen asks for: a child's weight, an elderly patient's creatinine when it is
    missing or older than the limit set in the settings, the term of a pregnancy."""
    out = []
    age = _age(birth, today) if birth is not None and birth <= today else None
    if age is not None and age < CHILD_AGE_YEARS and state.weight_kg is None:
        out.append(_("Enfant : renseignez le poids (posologies au poids)."))
    if age is not None and age >= ELDERLY_AGE_YEARS:
        if state.creatinine is None:
            out.append(_("Patient de {age} ans : renseignez la dernière créatinine (fonction rénale).").format(age=age))
        elif (today - state.creatinine.measured_on).days > creatinine_max_age_days:
            out.append(_("Patient de {age} ans : la créatinine date du {day}, plus de {days} jours : "
                         "faites-la contrôler.").format(age=age, day=state.creatinine.measured_on.strftime("%d/%m/%Y"),
                                                        days=creatinine_max_age_days))
    if state.pregnant and state.pregnancy_weeks is None:
        out.append(_("Grossesse : renseignez le terme (semaines d'aménorrhée)."))
    if state.pregnant and state.pregnancy_weeks is not None and not 1 <= state.pregnancy_weeks <= 44:
        out.append(_("Terme de grossesse invraisemblable (1 à 44 SA)."))
    return out
