"""What the base lets be done with an ordonnance, from its stored status.

The rules are ``OrdonnanceStatus``'s (``lap_app.domain.status``), the one place that says what
each status allows; the base stores its value (registered | partly_dispensed | dispensed |
cancelled).
"""

from __future__ import annotations

from typing import Any

from lap_app.domain.status import OrdonnanceStatus
from lap_app.standins.base_server.errors import ApiError


def stored_status(row: Any) -> OrdonnanceStatus:
    """The status of a ``prescriptions`` row."""
    return OrdonnanceStatus(row["status"])


def status_after(complete: bool) -> OrdonnanceStatus:
    """The status once a dispensing or an execution is recorded (``complete``: the number closes)."""
    return OrdonnanceStatus.DISPENSED if complete else OrdonnanceStatus.PARTLY_DISPENSED


def check_still_open(row: Any, closed_message: str) -> None:
    """410 once nothing more can be carried out: cancelled, or done in full (``closed_message``)."""
    status = stored_status(row)
    if status.dispensable:
        return
    if status is OrdonnanceStatus.CANCELLED:
        raise ApiError(410, "cancelled", "Ordonnance annulée par son prescripteur")
    raise ApiError(410, "closed", closed_message)


def closed_problems(status: str, refused: str) -> list[dict[str, str]]:
    """The problem with carrying something out on a closed ordonnance (``refused``: what the
    cancel rules out, e.g. "aucune exécution possible"); none while it is open."""
    rules = OrdonnanceStatus(status)
    if rules.dispensable:
        return []
    if rules is OrdonnanceStatus.CANCELLED:
        return [{"path": "number", "message": f"ordonnance annulée par son prescripteur : {refused}"}]
    return [{"path": "number", "message": "ordonnance entièrement exécutée : numéro clos"}]
