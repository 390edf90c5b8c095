"""The safety checks of an ordonnance before it is signed, whatever the front end.

The prescribing service runs them on the ordonnance about to be signed (the editor shows the
same alerts live, from ``lap_app.services.drafting.draft_alerts``): interactions between its
lines and with the patient's current treatments, redundancy, allergies, contre-indications.
A contre-indication or an allergy (``DraftAlert.blocking``) must be acknowledged by the
physician, by its id; the acknowledgements are recorded with the signed ordonnance.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from lap_app.domain.acknowledgement import Acknowledgement
from lap_app.domain.errors import UserError
from lap_app.domain.model import Ordonnance
from lap_app.i18n import ngettext
from lap_app.services.drafting import DraftAlert, draft_alerts


@dataclass(frozen=True, slots=True)
class PatientFacts:
    """What the checks know of the patient besides the ordonnance (the patient's record)."""

    allergies: tuple[str, ...] = ()
    current_cis: tuple[str, ...] = ()  # long-term treatments


class UnacknowledgedAlerts(UserError):
    """Blocking alerts the physician has not acknowledged; ``alerts`` lists them."""

    def __init__(self, alerts: Sequence[DraftAlert]) -> None:
        self.alerts = list(alerts)
        super().__init__(ngettext(
            "Ordonnance non signée : une alerte doit être confirmée avant de signer ({alerts}).",
            "Ordonnance non signée : {n} alertes doivent être confirmées avant de signer ({alerts}).",
            len(self.alerts)).format(n=len(self.alerts), alerts=" ; ".join(
                f"{a.alert_id} {a.level_label} : {a.title}" for a in self.alerts)))


def review(drugs: Any, ordonnance: Ordonnance, patient: PatientFacts) -> list[DraftAlert]:
    """Every alert the ordonnance raises, worst first (``drugs``: a ``DrugDatabase``)."""
    return draft_alerts(drugs, ordonnance.lines, current_cis=patient.current_cis, allergies=patient.allergies)


def require_acknowledged(alerts: Iterable[DraftAlert], acknowledged: Iterable[str]) -> list[DraftAlert]:
    """The blocking ``alerts``, all acknowledged; raises ``UnacknowledgedAlerts`` when one of
    them is not among the ``acknowledged`` ids."""
    given = {alert_id.strip() for alert_id in acknowledged}
    blocking = [alert for alert in alerts if alert.blocking]
    missing = [alert for alert in blocking if alert.alert_id not in given]
    if missing:
        raise UnacknowledgedAlerts(missing)
    return blocking


def acknowledgements_for(alerts: Iterable[DraftAlert], acknowledged: Iterable[str], *, by: str,
                         at: datetime) -> list[Acknowledgement]:
    """The record of the physician's acknowledgements of the blocking ``alerts`` (who, when,
    which alert as worded); ``UnacknowledgedAlerts`` when one is missing."""
    return [Acknowledgement(alert_id=alert.alert_id, level=alert.level, text=alert.text(), by=by, at=at)
            for alert in require_acknowledged(alerts, acknowledged)]
