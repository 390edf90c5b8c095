"""The client under the crash campaign: a process that forks one real prescribing client per
order, so that 200 kill -9 cost 200 forks rather than 200 interpreter starts.

Run by ``tests/base/test_crash.py`` (not a test): ``python crash_client.py STORE PKI URL CA``
with LAP_CONFIG_DIR pointing at an enrolled installation. It opens the virtual card, unlocks
it and opens a token once, then reads orders on stdin, one a line: ``PAUSE_AT`` (a phase
name, or ``-`` for none). For each it forks a child that prescribes the example ordonnance
with the application's own services into the store (its own SQLite connection: nothing
SQLite is shared across fork) and reports on stdout, one line each (atomic pipe writes):

    <pid> started | written | answered | done <status> <number> | failed <message>

and ``0 sync`` when told ``sync`` (after a kill: what the dead child wrote comes before).

``started``: a number is taken, the outbox write comes next; ``written``: the ordonnance and
its outbox entry are committed, the base has not answered; ``answered``: the base answered,
the local record of it comes next. A child told to pause at a phase stops there until the
test kills it, so every phase gets its kills; the others are killed wherever they stand.
"""

from __future__ import annotations

import json
import os
import signal
import sys
from pathlib import Path


def main(store_path: str, pki_dir: str, url: str, ca: str, bundle_path: str) -> None:
    import lap_app.render  # noqa: F401 - imported before the forks: each child starts warm
    from lap_app.base_client import HttpBaseClient
    from lap_app.fhir import from_bundle
    from lap_app.services.base_connection import base_endpoint, open_client
    from lap_app.services.card_session import ensure_token, unlock_card
    from lap_app.services.prescribing import prescribe
    from lap_app.standins.virtual_cps.testing import inprocess_card
    from lap_app.storage import LocalStore

    draft = json.loads(Path(bundle_path).read_text(encoding="utf-8"))
    endpoint = base_endpoint(url, Path(ca))
    pause_at = {"phase": "-"}

    def point(name: str) -> None:
        os.write(1, f"{os.getpid()} {name}\n".encode())
        if name == pause_at["phase"]:
            while True:  # until the kill -9
                signal.pause()

    save_signed = LocalStore.save_signed
    register = HttpBaseClient.register

    def saving(self, **fields):
        point("started")
        ordonnance_id = save_signed(self, **fields)
        point("written")
        return ordonnance_id

    def registering(self, number, bundle):
        result = register(self, number, bundle)
        point("answered")
        return result

    LocalStore.save_signed = saving  # type: ignore[method-assign]
    HttpBaseClient.register = registering  # type: ignore[method-assign]
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # the children are reaped by the kernel

    with inprocess_card("medecin", pki_dir=pki_dir) as _inserted:
        from lap_app.card import open_card

        card = open_card(virtual=True)
        unlock_card(card, "1234")
        with open_client(endpoint) as client:
            ensure_token(card, client)
            token = client.token
        os.write(1, b"ready\n")
        for line in sys.stdin:
            if line.strip() == "sync":  # every line a dead child wrote is already before this one
                os.write(1, b"0 sync\n")
                continue
            pause_at["phase"] = line.strip()
            if os.fork() == 0:
                try:
                    store = LocalStore(Path(store_path))
                    with open_client(endpoint, retries=0, timeout=5.0) as child_client:
                        child_client.token = token
                        outcome = prescribe(from_bundle(draft), card=card, client=child_client, store=store)
                    store.close()
                    os.write(1, f"{os.getpid()} done {outcome.status} {outcome.number}\n".encode())
                except BaseException as error:  # noqa: BLE001 - told to the test, which fails on it
                    message = " ".join(str(error).split()) or type(error).__name__
                    os.write(1, f"{os.getpid()} failed {message}\n".encode())
                os._exit(0)


if __name__ == "__main__":
    main(*sys.argv[1:6])
