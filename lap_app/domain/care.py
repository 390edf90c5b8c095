"""The lines of the ordonnances that are not medicines: devices, biology, nursing,
paramedical sessions, and the acts printed only (imaging, transport).

Each line keeps what the person who carries it out needs to read without asking (lab,
nurse, physiotherapist, device supplier); ``lap_app.domain.care_text`` renders its French
sentence and ``lap_app.domain.care_validation`` checks it. Time units are UCUM codes, as in
``Posology`` ("d", "wk", "mo").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from lap_app.domain.model import Zone, new_resource_id

NABM_CODE_DIGITS = 4
LPP_CODE_DIGITS = 7


class DeviceSupply(str, Enum):
    """How an LPP product is supplied (FHIR ``DeviceRequest`` has no field: our extension)."""

    PURCHASE = "achat"
    RENTAL = "location"


@dataclass(slots=True)
class DeviceLine:
    """An LPP-coded product: « Lecteur de glycémie, achat, 1 ».

    ``duration`` is the rental or treatment length; ``renewals`` as for a medicine."""

    code: str  # 7 digits
    label: str
    supply: DeviceSupply = DeviceSupply.PURCHASE
    quantity: int = 1
    duration: float | None = None
    duration_unit: str | None = None
    renewals: int = 0
    instructions: str = ""
    zone: Zone = Zone.HORS_ALD
    status: str = "active"
    resource_id: str = field(default_factory=new_resource_id)


@dataclass(slots=True)
class BiologyLine:
    """A NABM-coded analysis and what the lab needs: fasting, at home, urgent, repetition.

    Repetition is either ``repeat_count`` times in all, or every ``every``/``every_unit``
    for ``repeat_duration``/``repeat_duration_unit`` (« 1 fois par semaine pendant 3 mois »)."""

    code: str  # 4 digits
    label: str
    fasting: bool = False
    at_home: bool = False
    urgent: bool = False
    repeat_count: int | None = None
    every: float | None = None
    every_unit: str | None = None
    repeat_duration: float | None = None
    repeat_duration_unit: str | None = None
    note: str = ""  # clinical information for the biologist
    zone: Zone = Zone.HORS_ALD
    status: str = "active"
    resource_id: str = field(default_factory=new_resource_id)


# The acts a GP usually asks a nurse for (offered by the editor; free text stays allowed).
USUAL_NURSING_ACTS = (
    "Injection sous-cutanée",
    "Injection intramusculaire",
    "Pansement simple",
    "Pansement complexe",
    "Prise de sang à domicile",
    "Préparation et administration des médicaments",
    "Surveillance et observation de l'état de santé",
    "Surveillance de la glycémie capillaire",
    "Pose de bas de contention",
)


@dataclass(slots=True)
class NursingLine:
    """An act in words with its rhythm: ``times`` per ``per`` ("d" or "wk") for ``duration``."""

    act: str
    times: int | None = 1
    per: str = "d"
    duration: float | None = None
    duration_unit: str | None = "d"
    at_home: bool = False
    sundays_and_holidays: bool = False
    note: str = ""
    zone: Zone = Zone.HORS_ALD
    status: str = "active"
    resource_id: str = field(default_factory=new_resource_id)


@dataclass(slots=True)
class SessionLine:
    """Paramedical care (physiotherapy, speech therapy, orthoptics, podiatry): the care asked
    (« rééducation du rachis lombaire »), the number of sessions and their rhythm."""

    care: str
    sessions: int | None = None
    rhythm: int | None = None  # sessions per ``rhythm_unit``
    rhythm_unit: str = "wk"
    at_home: bool = False
    urgent: bool = False
    note: str = ""
    zone: Zone = Zone.HORS_ALD
    status: str = "active"
    resource_id: str = field(default_factory=new_resource_id)


@dataclass(slots=True)
class ActLine:
    """An act on a paper-only ordonnance (imaging, transport), in words."""

    text: str
    note: str = ""
    urgent: bool = False
    zone: Zone = Zone.HORS_ALD
    status: str = "active"
    resource_id: str = field(default_factory=new_resource_id)


CareLine = DeviceLine | BiologyLine | NursingLine | SessionLine | ActLine
