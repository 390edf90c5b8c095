"""A workstation sending its practice's outbox to a base that takes its time: it says which number
it is sending (one line on stdout) and then hangs in the middle of that registration, so that the
test can look at the outbox from another workstation and kill this one with SIGKILL.

Usage: python outbox_sender.py POSTGRESQL_URL
"""

from __future__ import annotations

import sys
import time

from lap_app.services.outbox import send_entry
from lap_app.storage import LocalStore


class SlowBase:
    """The e-prescription base's client, as far as sending an outbox entry needs it."""

    token = None

    def register(self, number: str, bundle: dict) -> object:
        print(number, flush=True)
        time.sleep(600)  # killed before the answer comes
        raise AssertionError("the test kills this workstation first")


def main() -> None:
    store = LocalStore(sys.argv[1])
    for entry in store.outbox():
        send_entry(store, SlowBase(), entry)  # type: ignore[arg-type]


if __name__ == "__main__":
    main()
