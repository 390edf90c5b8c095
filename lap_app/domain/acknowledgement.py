"""The physician's acknowledgement of a safety alert (a contre-indication, an allergy).

Kept with the signed ordonnance: who acknowledged, when, and which alert as it was worded
then, so that the decision can be shown later exactly as it was taken.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class Acknowledgement:
    alert_id: str  # stable for the same alert (same level, drugs and substances), e.g. "CI-3f9a2c"
    level: str  # CI | ALLERGY
    text: str  # the alert as the physician read it
    by: str  # national identifier of the card holder who signed
    at: datetime  # timezone-aware
