"""The patient's physiological state in the Bundle, both ways: weight, height, pregnancy (with
its term), breastfeeding and the last creatinine, each an ``Observation`` of the Patient
(docs/fhir-mapping.md, "Physiological state"). A pharmacist adapting a dose to the kidney,
or to a pregnancy, reads them from the ordonnance itself.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from lap_app.domain.model import Creatinine, Patient, derived_resource_id
from lap_app.fhir import constants as c
from lap_app.fhir.json_reader import JsonObject, JsonReader, same_ref
from lap_app.i18n import _

JSON = dict[str, Any]

LOINC_PREGNANCY = "82810-3"
LOINC_PREGNANCY_DISPLAY = "Pregnancy status"
LOINC_GESTATIONAL_AGE = "49051-6"
LOINC_GESTATIONAL_AGE_DISPLAY = "Gestational age in weeks"
LOINC_BREASTFEEDING = "63895-7"
LOINC_BREASTFEEDING_DISPLAY = "Breastfeeding status"
SNOMED = "http://snomed.info/sct"
SNOMED_PREGNANT = ("77386006", "Pregnant")
SNOMED_BREASTFEEDING = ("413712001", "Breastfeeding (mother)")
# LOINC of the serum creatinine by the kind of its unit; UCUM code of each unit
LOINC_CREATININE = {"µmol/L": ("14682-9", "Creatinine [Moles/volume] in Serum or Plasma"),
                    "mg/L": ("2160-0", "Creatinine [Mass/volume] in Serum or Plasma"),
                    "mg/dL": ("2160-0", "Creatinine [Mass/volume] in Serum or Plasma")}
UCUM_OF = {"µmol/L": "umol/L", "mg/L": "mg/L", "mg/dL": "mg/dL", "kg": "kg", "cm": "cm", "wk": "wk"}
UNIT_OF_UCUM = {"umol/L": "µmol/L", "mg/L": "mg/L", "mg/dL": "mg/dL"}


def _number(value: float) -> int | float:
    return int(value) if isinstance(value, float) and value.is_integer() else value


def _quantity(value: float, unit: str) -> JSON:
    return {"value": _number(value), "unit": unit, "system": c.UCUM, "code": UCUM_OF[unit]}


def _loinc(code: str, display: str) -> JSON:
    return {"coding": [{"system": c.LOINC, "code": code, "display": display}]}


def _observation(p: Patient, code: JSON, when: str, **value: Any) -> JSON:
    return {"resourceType": "Observation", "status": "final", "code": code,
            "subject": {"reference": p.resource_id}, "effectiveDateTime": when, **value}


def physiology_observations(p: Patient, written_at: datetime) -> list[tuple[str, JSON]]:
    """(fullUrl, Observation) of what is known, in a fixed order."""
    when = written_at.isoformat()
    out: list[tuple[str, JSON]] = []
    if p.weight_kg is not None:
        out.append((p.weight_resource_id, _observation(p, _loinc(c.LOINC_WEIGHT, c.LOINC_WEIGHT_DISPLAY), when,
                                                       valueQuantity=_quantity(p.weight_kg, "kg"))))
    if p.height_cm is not None:
        out.append((p.height_resource_id, _observation(p, _loinc(c.LOINC_HEIGHT, c.LOINC_HEIGHT_DISPLAY), when,
                                                       valueQuantity=_quantity(p.height_cm, "cm"))))
    if p.pregnant:
        pregnancy = _observation(p, _loinc(LOINC_PREGNANCY, LOINC_PREGNANCY_DISPLAY), when,
                                 valueCodeableConcept=_snomed(SNOMED_PREGNANT))
        if p.pregnancy_weeks is not None:
            pregnancy["component"] = [{"code": _loinc(LOINC_GESTATIONAL_AGE, LOINC_GESTATIONAL_AGE_DISPLAY),
                                       "valueQuantity": _quantity(p.pregnancy_weeks, "wk")}]
        out.append((p.pregnancy_resource_id, pregnancy))
    if p.breastfeeding:
        out.append((p.breastfeeding_resource_id, _observation(
            p, _loinc(LOINC_BREASTFEEDING, LOINC_BREASTFEEDING_DISPLAY), when,
            valueCodeableConcept=_snomed(SNOMED_BREASTFEEDING))))
    if p.creatinine is not None:
        k = p.creatinine
        out.append((p.creatinine_resource_id, _observation(
            p, _loinc(*LOINC_CREATININE[k.unit]), k.measured_on.isoformat(), valueQuantity=_quantity(k.value, k.unit))))
    return out


def _snomed(code: tuple[str, str]) -> JSON:
    return {"coding": [{"system": SNOMED, "code": code[0], "display": code[1]}]}


OBSERVATIONS = ("weight", "height", "pregnancy", "breastfeeding", "creatinine")  # Patient.<name>_resource_id


def name_absent_observations(patient: Patient) -> Patient:
    """The ids of the patient's Observations before any is read: derived from the Patient's
    ``fullUrl``, so that reading the same Bundle twice gives the same ordonnance (and the same
    Bundle written back once a weight or a creatinine is added); those read replace them."""
    for name in OBSERVATIONS:
        setattr(patient, f"{name}_resource_id", derived_resource_id(f"{patient.resource_id}#observation-{name}"))
    return patient


def read_physiology_observation(r: JsonReader, path: str, url: str, res: JsonObject, patient: Patient,
                                patient_url: str | None) -> None:
    """One Observation of the patient onto ``patient``; anything else is reported at its path."""
    codes = r.codes(r.obj(res, "code", path, required=True), f"{path}.code", c.LOINC)
    same_ref(r, res, "subject", path, patient_url, "Patient")
    if c.LOINC_WEIGHT in codes or c.LOINC_HEIGHT in codes:
        weight = c.LOINC_WEIGHT in codes
        value = _measure(r, res, path, {"kg"} if weight else {"cm"})
        if (patient.weight_kg if weight else patient.height_cm) is not None:
            r.problem(path, _("mesure en double"))
        if weight:
            patient.weight_kg, patient.weight_resource_id = value, url
        else:
            patient.height_cm, patient.height_resource_id = value, url
        r.map("patient.weight_kg" if weight else "patient.height_cm", f"{path}.valueQuantity.value")
    elif LOINC_PREGNANCY in codes:
        _expect_answer(r, res, path, SNOMED_PREGNANT)
        patient.pregnant, patient.pregnancy_resource_id = True, url
        for comp_path, component in r.dicts(res, "component", path):
            weeks = _measure(r, component, comp_path, {"wk"})
            patient.pregnancy_weeks = int(weeks) if weeks is not None else None
            r.map("patient.pregnancy_weeks", f"{comp_path}.valueQuantity.value")
    elif LOINC_BREASTFEEDING in codes:
        _expect_answer(r, res, path, SNOMED_BREASTFEEDING)
        patient.breastfeeding, patient.breastfeeding_resource_id = True, url
    elif any(code for code, _display in LOINC_CREATININE.values() if code in codes):
        value = _measure(r, res, path, set(UNIT_OF_UCUM))
        quantity = res.get("valueQuantity")
        unit = UNIT_OF_UCUM.get(str(quantity.get("code")) if isinstance(quantity, dict) else "", "µmol/L")
        day = r.date(res, "effectiveDateTime", path, required=True)
        if value is not None and day is not None:
            patient.creatinine, patient.creatinine_resource_id = Creatinine(value, unit, day), url
        r.map("patient.creatinine", f"{path}.valueQuantity")
    else:
        r.problem(f"{path}.code", _("observation inattendue : poids (29463-7), taille (8302-2), grossesse "
                                    "(82810-3), allaitement (63895-7) ou créatinine (14682-9, 2160-0)"))


def _measure(r: JsonReader, res: JsonObject, path: str, units: set[str]) -> float | None:
    quantity = r.obj(res, "valueQuantity", path, required=True) or {}
    value = r.decimal(quantity, "value", f"{path}.valueQuantity", required=True)
    unit = quantity.get("code") or quantity.get("unit")
    if not isinstance(unit, str) or unit not in units:
        r.problem(f"{path}.valueQuantity", _("unité attendue : {u}").format(u=" ou ".join(sorted(units))))
    return value


def _expect_answer(r: JsonReader, res: JsonObject, path: str, answer: tuple[str, str]) -> None:
    if answer[0] not in r.codes(r.obj(res, "valueCodeableConcept", path, required=True),
                                f"{path}.valueCodeableConcept", SNOMED):
        r.problem(f"{path}.valueCodeableConcept", _("réponse attendue : SNOMED {code} ({display})").format(
            code=answer[0], display=answer[1]))
