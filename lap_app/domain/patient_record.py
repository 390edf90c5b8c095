"""A patient as the practice records them: identity, INS, weight and height, ALD status,
allergies, long-term treatments, and the patient's choice about dispensing data.

``PatientRecord.to_patient()`` gives the ``model.Patient`` printed on the ordonnance. Stored by
``lap_app.storage.patients``; validated and searched through ``lap_app.services.patients``.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from datetime import date

from lap_app.domain.model import CHILD_AGE_YEARS as CHILD_AGE_YEARS  # (children: weight asked for)
from lap_app.domain.model import OID_INS_NIR, Patient, Sex, new_resource_id
from lap_app.domain.physiology import Creatinine, PhysiologicalState


@dataclass(slots=True)
class LongTermTreatment:
    """A drug the patient takes outside this ordonnance (checked for interactions)."""

    label: str
    cis: str | None = None


@dataclass(slots=True)
class PatientRecord:
    family_name: str
    given_names: list[str]
    sex: Sex
    birth_date: date | None
    ins: str | None = None
    weight_kg: float | None = None
    height_cm: float | None = None
    ald: bool = False
    ald_label: str = ""
    allergies: list[str] = field(default_factory=list)
    treatments: list[LongTermTreatment] = field(default_factory=list)
    opposition: bool = False  # objects to the prescriber seeing dispensing data
    pregnant: bool = False
    pregnancy_weeks: int | None = None  # term, in weeks of amenorrhoea
    breastfeeding: bool = False
    creatinine: Creatinine | None = None  # the last one known
    id: int | None = None
    resource_id: str = field(default_factory=new_resource_id)
    # the stored version this record was read at (0: not read from the store): a save over a newer
    # one, made meanwhile on another workstation, is refused as an edit conflict
    row_version: int = 0

    @property
    def display_name(self) -> str:
        return " ".join([self.family_name.upper(), *self.given_names]).strip()

    def age_years(self, on: date | None = None) -> int | None:
        if self.birth_date is None:
            return None
        day = on or date.today()
        years = day.year - self.birth_date.year
        if (day.month, day.day) < (self.birth_date.month, self.birth_date.day):
            years -= 1
        return years

    def is_child(self, on: date | None = None) -> bool:
        age = self.age_years(on)
        return age is not None and age < CHILD_AGE_YEARS

    def physiological_state(self) -> PhysiologicalState:
        return PhysiologicalState(self.weight_kg, self.height_cm, self.pregnant, self.pregnancy_weeks,
                                  self.breastfeeding, self.creatinine)

    @property
    def treatment_cis(self) -> list[str]:
        return [t.cis for t in self.treatments if t.cis]

    def to_patient(self) -> Patient:
        return Patient(
            family_name=self.family_name,
            given_names=list(self.given_names),
            sex=self.sex,
            birth_date=self.birth_date,
            ins=self.ins,
            ins_system=OID_INS_NIR,
            weight_kg=self.weight_kg,
            height_cm=self.height_cm,
            ald=self.ald,
            pregnant=self.pregnant,
            pregnancy_weeks=self.pregnancy_weeks if self.pregnant else None,
            breastfeeding=self.breastfeeding,
            creatinine=self.creatinine,
            resource_id=self.resource_id,
        )


def search_key(text: str) -> str:
    """Upper case without accents or punctuation, so "Hélène d'Aubigné" matches "helene daub"."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).upper()
    cleaned = "".join(c if c.isalnum() else (" " if c in " -" else "") for c in plain)
    return " ".join(cleaned.split())
