"""What the prescriber may see of an ordonnance when the patient objected (CSP: opposition to the
prescriber seeing dispensing data).

Under opposition no answer to the prescriber may reveal execution: not the status, not a
replay of the registration, not a cancel (accepted alike whatever was dispensed), hence one
function for every answer that carries a status.
"""

from __future__ import annotations

from typing import Any

DISPENSING_STATES = ("partly_dispensed", "dispensed")


def prescriber_status(row: Any) -> str:
    """The status as the prescriber may see it (``row``: a ``prescriptions`` row)."""
    status = str(row["status"])
    if not row["opposition"]:
        return status
    if status == "cancelled" or row["cancel_requested_at"] is not None:
        return "cancelled"
    return "registered" if status in DISPENSING_STATES else status
