"""Ready-made lines for the non-medicine ordonnances a GP writes every week (« bilan diabète
annuel », « INR hebdomadaire », « kiné lombalgie 10 séances », « soins de pansement »),
with real NABM codes. The demo ships them as templates of its practice
(``care_drafting.seed_ready_made_templates``); a real practice starts with its own only.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from lap_app.domain.care import BiologyLine, NursingLine, SessionLine
from lap_app.domain.kinds import OrdonnanceKind
from lap_app.domain.model import Zone
from lap_app.i18n import N_, _


def diabetes_yearly_checkup(zone: Zone = Zone.HORS_ALD) -> list[BiologyLine]:
    """HAS type 2 diabetes follow-up: HbA1c, EAL, creatinine, microalbuminuria."""
    return [
        BiologyLine("1577", "HBA1C : DOSAGE", zone=zone),
        BiologyLine("0996", "EXPLORATION D'UNE ANOMALIE LIPIDIQUE (EAL)", fasting=True, zone=zone),
        BiologyLine("0592", "CREATININE", zone=zone),
        BiologyLine("1133", "MICROALBUMINURIE", zone=zone),
    ]


def weekly_inr() -> list[BiologyLine]:
    """An INR every week for 3 months, at home."""
    return [
        BiologyLine("0127", "TEMPS DE QUICK EN CAS DE TRAITEMENT ANTIVITAMINE K (INR)", at_home=True, every=1,
                    every_unit="wk", repeat_duration=3, repeat_duration_unit="mo",
                    note="Traitement par antivitamine K, INR cible entre 2 et 3"),
    ]


def low_back_pain_physiotherapy() -> list[SessionLine]:
    return [SessionLine("Rééducation du rachis lombaire", sessions=10, rhythm=2, note="Lombalgie commune subaiguë")]


def dressing_care() -> list[NursingLine]:
    return [NursingLine("Pansement simple d'une plaie", times=1, per="d", duration=15, duration_unit="d",
                        at_home=True, sundays_and_holidays=True)]


BUILT_IN_NAMES = {
    "diabetes": N_("Bilan diabète annuel"),
    "inr": N_("INR hebdomadaire"),
    "low-back": N_("Kiné lombalgie 10 séances"),
    "dressing": N_("Soins de pansement"),
}


@dataclass(frozen=True, slots=True)
class CareTemplate:
    name: str  # a built-in key, or the name the physician gave
    kind: OrdonnanceKind
    make_lines: Callable[[], list[Any]]  # fresh lines (new identities) each time

    @property
    def label(self) -> str:
        return _(BUILT_IN_NAMES[self.name]) if self.name in BUILT_IN_NAMES else self.name


BUILT_IN_TEMPLATES = (
    CareTemplate("diabetes", OrdonnanceKind.BIOLOGIE, diabetes_yearly_checkup),
    CareTemplate("inr", OrdonnanceKind.BIOLOGIE, weekly_inr),
    CareTemplate("low-back", OrdonnanceKind.KINESITHERAPIE, low_back_pain_physiotherapy),
    CareTemplate("dressing", OrdonnanceKind.SOINS_INFIRMIERS, dressing_care),
)
