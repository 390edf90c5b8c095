"""Run inside private mount + network namespaces (see test_card_pcscd_restart.py): starts its
own pcscd, so stopping and restarting it disturbs nobody. Prints one line per step."""

from __future__ import annotations

import os
import subprocess
import sys
import time

from lap_app.card import CardError, CardService, EventKind, open_card
from lap_app.standins.pki import init_pki
from lap_app.standins.virtual_cps import VirtualCps
from lap_app.standins.virtual_cps.vpcd import VpcdEmulator

# Generous: pcscd's start, its vpcd driver reaching the emulator and the card's power-up take a few
# seconds on a loaded CI machine (4 test workers on 2 cores); a wait ends as soon as the event comes.
PATIENCE = 60.0


def until(service: CardService, kind: EventKind, timeout: float = PATIENCE) -> list:
    seen: list = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        seen += service.poll()
        if any(e.kind is kind for e in seen):
            return seen
        time.sleep(0.05)
    raise SystemExit(f"no {kind.value} within {timeout} s; saw {[e.kind.value for e in seen]}")


def start_pcscd() -> subprocess.Popen:
    process = subprocess.Popen(["pcscd", "--foreground"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + PATIENCE
    while not os.path.exists("/run/pcscd/pcscd.comm") and time.monotonic() < deadline:
        time.sleep(0.05)
    return process


def main() -> None:
    service = CardService()
    print("start", service.poll() == [], service.pcsc_available, flush=True)  # no pcscd at all
    try:
        open_card()
    except CardError as error:
        print("open_without_pcscd", type(error).__name__, flush=True)
    cli = subprocess.run([sys.executable, "-m", "lap_app", "card", "info"], capture_output=True, text=True)
    print("cli_without_pcscd", cli.returncode, cli.stderr.strip().replace(" ", "_"), flush=True)
    card = VirtualCps.from_holder(init_pki(sys.argv[1]).holder("medecin"), persist_pin=False)
    emulator = VpcdEmulator(card).start()  # waits for vpcd, reconnects after restarts
    pcscd = start_pcscd()
    print("up", [e.kind.value for e in until(service, EventKind.CARD_INSERTED)], flush=True)
    held = open_card("Virtual PCD 00 00")
    pcscd.terminate()
    pcscd.wait()
    print("down", [e.kind.value for e in until(service, EventKind.SERVICE_LOST)], flush=True)
    try:
        held.pin_tries_left()
    except CardError as error:  # the reader went away under an open card
        print("held_card", type(error).__name__, flush=True)
    held.close()
    pcscd = start_pcscd()
    print("restarted", [e.kind.value for e in until(service, EventKind.CARD_INSERTED)], flush=True)
    with open_card("Virtual PCD 00 00") as opened:
        print("identity", opened.identity().national_id, flush=True)
    emulator.stop()
    service.close()
    pcscd.terminate()
    pcscd.wait()


if __name__ == "__main__":
    main()
