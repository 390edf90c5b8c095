"""What the prescriber may see of an ordonnance when the patient objected (CSP: opposition to the
prescriber seeing dispensing data).

Under opposition no answer to the prescriber may reveal execution: not the status, not a
replay of the registration, not a cancel (accepted alike whatever was dispensed), hence one
function for every answer that carries a status.

A cancel accepted under opposition stays a cancel once the patient gives the consent back: the
prescriber was told « annulée » and is never told otherwise (``cancel_requested_at``, the moment
of every cancel, also stands for an ordonnance already dispensed in full, whose stored status
could not change).
"""

from __future__ import annotations

from typing import Any

from lap_app.domain.status import OrdonnanceStatus
from lap_app.standins.base_server.status_rules import stored_status


def prescriber_status(row: Any) -> str:
    """The status as the prescriber may see it (``row``: a ``prescriptions`` row)."""
    status = stored_status(row)
    if status is OrdonnanceStatus.CANCELLED or row["cancel_requested_at"] is not None:
        return OrdonnanceStatus.CANCELLED.value
    if row["opposition"] and status.tells_dispensing:
        return OrdonnanceStatus.REGISTERED.value
    return status.value
