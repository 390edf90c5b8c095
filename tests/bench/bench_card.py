"""Bench of the card layer: identity read, VERIFY, sign — over pcscd/vpcd and in-process.

    .venv/bin/python tests/bench/bench_card.py [--runs 20]

Prints the median (and min/max) per operation and transport. The vpcd part needs pcscd
running and vpcd slot 0 free; it is skipped with a note otherwise.
"""

from __future__ import annotations

import argparse
import hashlib
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from lap_app.card import open_card
from lap_app.standins.pki import init_pki
from lap_app.standins.virtual_cps.testing import inprocess_card, pcsc_ready, vpcd_card


def measure(label: str, runs: int, action: Callable[[], object]) -> None:
    action()  # warm-up
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        times.append((time.perf_counter() - start) * 1000)
    print(f"  {label:<38} median {statistics.median(times):7.2f} ms   "
          f"(min {min(times):.2f}, max {max(times):.2f}, n={runs})")


def bench(open_it: Callable[[], object], runs: int) -> None:
    digest = hashlib.sha256(b"bench").digest()

    def identity() -> None:
        with open_it() as card:  # fresh handle: no cached certificate
            card.identity()

    measure("open + identity (EF.SN.ICC + cert)", runs, identity)
    with open_it() as card:
        measure("VERIFY (code porteur)", runs, lambda: card.verify_pin("1234"))
        measure("sign SHA-256 digest (MSE + PSO CDS)", runs, lambda: card.sign_digest(digest))
        measure("verify + sign in one transaction", runs, lambda: card.sign_digest(digest, pin="1234"))
        measure("authenticate (INTERNAL AUTHENTICATE)", runs, lambda: card.authenticate(b"challenge"))


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        pki_dir = Path(tmp) / "pki"
        start = time.perf_counter()
        init_pki(pki_dir)
        print(f"PKI creation (6 RSA-2048 keys): {(time.perf_counter() - start) * 1000:.0f} ms")
        start = time.perf_counter()
        init_pki(pki_dir)
        print(f"PKI load (existing directory): {(time.perf_counter() - start) * 1000:.1f} ms")
        print("in-process virtual reader:")
        with inprocess_card("medecin", pki_dir=pki_dir):
            bench(lambda: open_card(virtual=True), args.runs)
        if not pcsc_ready():
            print("pcscd/vpcd: not available, skipped")
            return 0
        print("pcscd + vpcd (Virtual PCD 00 00):")
        with vpcd_card("medecin", slot=0, pki_dir=pki_dir) as inserted:
            bench(lambda: open_card(inserted.reader), args.runs)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
