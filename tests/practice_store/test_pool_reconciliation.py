"""Reconciling the number pool with the base while another workstation of the practice tops the
same pool up: the numbers it has just reserved are not burnt."""

from __future__ import annotations

import time

PRESCRIBER = "810000000001"


class _BaseAnsweringWhileAnotherWorkstationReserves:
    """The base's list of the prescriber's numbers, as of the moment it is asked; meanwhile
    another workstation reserves a fresh batch and puts it in the shared pool."""

    def __init__(self, other_workstation, known: dict[str, str]) -> None:
        self.other_workstation = other_workstation
        self.known = known

    def numbers_state(self) -> dict[str, str]:
        answer = dict(self.known)
        self.other_workstation.add_numbers(PRESCRIBER, ["N-0100", "N-0101"], time.time() + 86400)
        return answer


def test_numbers_reserved_meanwhile_by_another_workstation_stay_in_the_pool(open_workstation):
    from lap_app.services.number_pool import reconcile_pool

    this, other = open_workstation(), open_workstation()
    this.add_numbers(PRESCRIBER, ["N-0001", "N-0002"], time.time() + 86400)
    base = _BaseAnsweringWhileAnotherWorkstationReserves(other, {"N-0001": "reserved", "N-0002": "used"})
    assert reconcile_pool(this, base, PRESCRIBER) == 1  # N-0002, used elsewhere since a backup
    assert this.unused_numbers(PRESCRIBER) == ["N-0001", "N-0100", "N-0101"]
