"""Where an ordonnance stands, and what each status allows.

The value is what the local store keeps and what the e-prescription base sends (its ``status``
field); the rules below are the only place that says which statuses can be cancelled, filed in
the DMP, renewed, dispensed or still change in the base.
"""

from __future__ import annotations

from enum import Enum

from lap_app.i18n import _


class OrdonnanceStatus(str, Enum):
    WAITING = "waiting"  # signed and numbered, in the outbox until the base answers
    REGISTERED = "registered"
    PARTLY_DISPENSED = "partly_dispensed"
    DISPENSED = "dispensed"
    CANCELLED = "cancelled"
    PAPER = "paper"  # printed without a number while the service was down
    REJECTED = "rejected"  # refused by the base: never valid

    def __str__(self) -> str:  # the stored value, in logs and messages alike
        return self.value

    @property
    def label(self) -> str:
        """What the physician reads."""
        return {
            OrdonnanceStatus.WAITING: _("en attente d'envoi"),
            OrdonnanceStatus.REGISTERED: _("enregistrée"),
            OrdonnanceStatus.PARTLY_DISPENSED: _("partiellement délivrée"),
            OrdonnanceStatus.DISPENSED: _("délivrée"),
            OrdonnanceStatus.CANCELLED: _("annulée"),
            OrdonnanceStatus.PAPER: _("papier seul (service indisponible)"),
            OrdonnanceStatus.REJECTED: _("refusée par la base"),
        }[self]

    @property
    def in_base(self) -> bool:
        """The base holds it: its dispensing can be consulted there."""
        return self in _IN_BASE

    @property
    def final(self) -> bool:
        """It will not change any more (nothing to ask the base, nothing left to send)."""
        return self in _FINAL

    @property
    def cancellable(self) -> bool:
        """The prescriber may still cancel it: nothing has been dispensed yet."""
        return self in (OrdonnanceStatus.WAITING, OrdonnanceStatus.REGISTERED)

    @property
    def dispensable(self) -> bool:
        """A pharmacy may still dispense (part of) it."""
        return self in (OrdonnanceStatus.REGISTERED, OrdonnanceStatus.PARTLY_DISPENSED)

    @property
    def fileable_in_dmp(self) -> bool:
        """Its copy can go to the patient's DMP now (the base holds a valid ordonnance)."""
        return self in (OrdonnanceStatus.REGISTERED, OrdonnanceStatus.PARTLY_DISPENSED, OrdonnanceStatus.DISPENSED)

    @property
    def never_in_dmp(self) -> bool:
        """Its copy will never go to the DMP (no valid ordonnance behind it)."""
        return self.final and not self.fileable_in_dmp

    @property
    def tells_dispensing(self) -> bool:
        """It says something was dispensed: under the patient's opposition the prescriber's side
        records ``REGISTERED`` instead."""
        return self in (OrdonnanceStatus.PARTLY_DISPENSED, OrdonnanceStatus.DISPENSED)

    @property
    def renewable(self) -> bool:
        """It can be prescribed again as it was (a cancelled or refused one is not a model)."""
        return self not in (OrdonnanceStatus.CANCELLED, OrdonnanceStatus.REJECTED)


_IN_BASE = frozenset({OrdonnanceStatus.REGISTERED, OrdonnanceStatus.PARTLY_DISPENSED, OrdonnanceStatus.DISPENSED,
                      OrdonnanceStatus.CANCELLED})
_FINAL = frozenset({OrdonnanceStatus.DISPENSED, OrdonnanceStatus.CANCELLED, OrdonnanceStatus.PAPER,
                    OrdonnanceStatus.REJECTED})
