"""One workstation of a group practice, for ``test_practice_under_base_crashes.py`` (not a test):

    python practice_workstation.py STORE_URL PKI URL CA BUNDLE COUNT

with LAP_CONFIG_DIR / LAP_DATA_DIR of an enrolled workstation. The physician's virtual card is
opened and unlocked; the workstation keeps a stock of numbers in the practice's pool (as a
practice does, so that an outage of the base leaves every ordonnance a number), then prescribes
the example ordonnance COUNT times with the application's own services into the shared practice
store, the base being killed meanwhile. Once done, it flushes the practice's outbox until it is
empty. One JSON line per ordonnance on stdout: {"number", "status"}; then {"flushed": [numbers],
"seconds": the time the run took}.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

# Seconds for the whole run, outages included: only there to end a run that hangs. A run took
# about 200 s at load 12–18 on 2 cores (the base restarted in up to 19 s each time).
DEADLINE = 900.0


def main(store_url: str, pki_dir: str, url: str, ca: str, bundle_path: str, count: str) -> None:
    from lap_app.base_client import BaseRefused, BaseUnavailable
    from lap_app.card import open_card
    from lap_app.fhir import from_bundle
    from lap_app.services.base_connection import base_endpoint, open_client
    from lap_app.services.card_session import ensure_token, unlock_card
    from lap_app.services.outbox import flush_outbox
    from lap_app.services.prescribing import prescribe
    from lap_app.standins.virtual_cps.testing import inprocess_card
    from lap_app.storage import LocalStore

    draft = json.loads(Path(bundle_path).read_text(encoding="utf-8"))
    endpoint = base_endpoint(url, Path(ca))
    started = time.monotonic()
    deadline = started + DEADLINE
    store = LocalStore(store_url)

    def until_answered(call):  # type: ignore[no-untyped-def]
        while True:
            try:
                return call()
            except (BaseUnavailable, BaseRefused) as error:
                if (isinstance(error, BaseRefused) and error.status < 500) or time.monotonic() > deadline:
                    raise
                time.sleep(0.2)

    with inprocess_card("medecin", pki_dir=pki_dir), open_client(endpoint, retries=0, timeout=2.0) as client:
        card = open_card(virtual=True)
        unlock_card(card, "1234")
        until_answered(lambda: ensure_token(card, client))
        prescriber = client.token.national_id  # type: ignore[union-attr]
        numbers, expires_at = until_answered(lambda: client.reserve_numbers(int(count)))
        store.add_numbers(prescriber, numbers, expires_at)
        for _ in range(int(count)):
            outcome = prescribe(from_bundle(draft), card=card, client=client, store=store)
            print(json.dumps({"number": outcome.number, "status": str(outcome.status)}), flush=True)
        flushed: list[str] = []
        while store.outbox():
            if time.monotonic() > deadline:
                raise TimeoutError("outbox not empty at the deadline")
            try:
                ensure_token(card, client)
            except BaseUnavailable:
                time.sleep(0.2)
                continue
            report = flush_outbox(store, client)
            flushed += report.registered
            if report.error or report.refused:
                time.sleep(0.2)
        print(json.dumps({"flushed": flushed, "seconds": round(time.monotonic() - started, 1)}), flush=True)
    store.close()


if __name__ == "__main__":
    main(*sys.argv[1:7])
