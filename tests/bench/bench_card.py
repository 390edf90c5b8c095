"""Bench of the card layer: identity read, PIN, sign — over pcscd/vpcd, in-process, and through
a PKCS#11 module (a SoftHSM2 token), the PKCS#11 figures beside their floor.

    .venv/bin/python tests/bench/bench_card.py [--runs 20]

Prints the median (and min/max) per operation and path. The vpcd part needs pcscd running and
vpcd slot 0 free, the PKCS#11 part SoftHSM2 and pkcs11-tool; each is skipped with a note
otherwise. The PKCS#11 floor is bare PyKCS11 on the same token: one session, the certificate
objects' values read and the first one parsed (identity), one C_Sign with a key handle already
found and the user logged in (signature) — no key-usage sorting, no key lookup, no checks.
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
from lap_app.standins.pki import Pki, init_pki
from lap_app.standins.virtual_cps.testing import inprocess_card, pcsc_ready, vpcd_card
from lap_app.standins.virtual_cps.vpcd import SlotBusyError

DIGEST = hashlib.sha256(b"bench").digest()
SHA256_DIGESTINFO_PREFIX = bytes.fromhex("3031300d060960864801650304020105000420")


def timings(runs: int, action: Callable[[], object]) -> list[float]:
    action()  # warm-up
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        times.append((time.perf_counter() - start) * 1000)
    return times


def measure(label: str, runs: int, action: Callable[[], object]) -> None:
    times = timings(runs, action)
    print(f"  {label:<38} median {statistics.median(times):7.2f} ms   "
          f"(min {min(times):.2f}, max {max(times):.2f}, n={runs})")


def bench(open_it: Callable[[], object], runs: int) -> None:
    def identity() -> None:
        with open_it() as card:  # fresh handle: no cached certificate
            card.identity()

    measure("open + identity (serial + cert)", runs, identity)
    with open_it() as card:
        measure("verify PIN (code porteur)", runs, lambda: card.verify_pin("1234"))
        measure("sign SHA-256 digest", runs, lambda: card.sign_digest(DIGEST))
        measure("verify + sign together", runs, lambda: card.sign_digest(DIGEST, pin="1234"))
        measure("authenticate (challenge)", runs, lambda: card.authenticate(b"challenge"))


class RawPkcs11:
    """The floor: bare PyKCS11 calls on the first token of ``module_path``."""

    def __init__(self, module_path: str) -> None:
        from PyKCS11 import PyKCS11Lib

        self.lib = PyKCS11Lib()
        self.lib.load(module_path)
        self.slot = self.lib.getSlotList(tokenPresent=True)[0]

    def identity(self) -> None:
        from cryptography import x509
        from PyKCS11.LowLevel import CKA_CLASS, CKA_VALUE, CKO_CERTIFICATE

        session = self.lib.openSession(self.slot)
        try:
            values = [session.getAttributeValue(h, [CKA_VALUE], allAsBinary=True)[0]
                      for h in session.findObjects([(CKA_CLASS, CKO_CERTIFICATE)])]
            x509.load_der_x509_certificate(bytes(values[0])).subject  # noqa: B018 - the parse is the work
        finally:
            session.closeSession()

    def signer(self) -> Callable[[], bytes]:
        from PyKCS11 import Mechanism
        from PyKCS11.LowLevel import CKA_CLASS, CKM_RSA_PKCS, CKO_PRIVATE_KEY

        session = self.lib.openSession(self.slot)  # the project's card has already logged the token in
        key = session.findObjects([(CKA_CLASS, CKO_PRIVATE_KEY)])[0]
        mechanism = Mechanism(CKM_RSA_PKCS, None)
        return lambda: bytes(session.sign(key, SHA256_DIGESTINFO_PREFIX + DIGEST, mechanism))


def pkcs11_figures(pki: Pki, work: Path, runs: int) -> list[tuple[str, float, float]] | None:
    """(name, project ms, floor ms) for identity and signature through PKCS#11; None without SoftHSM2."""
    from lap_app.card.pkcs11 import Pkcs11CardService
    from lap_app.standins.softhsm import SoftHsm, softhsm_available

    if not softhsm_available():
        print("PKCS#11 (SoftHSM2): softhsm2 or pkcs11-tool not installed, skipped")
        return None
    hsm = SoftHsm(work / "softhsm")
    hsm.add_cps_token(pki.holder("medecin"), "CPS MARTIN")
    hsm.use_in_this_process()
    service = Pkcs11CardService(hsm.module_path)
    print("PKCS#11 module (SoftHSM2 token made with pkcs11-tool):")
    bench(service.open, runs)

    def identity() -> None:
        with service.open() as card:
            card.identity()

    raw = RawPkcs11(hsm.module_path)
    with service.open() as card:
        card.verify_pin("1234")
        figures = [("PKCS#11 open + identity", *interleaved(runs, identity, raw.identity)),
                   ("PKCS#11 sign SHA-256 digest", *interleaved(runs, lambda: card.sign_digest(DIGEST),
                                                                raw.signer()))]
    service.close()
    return figures


def interleaved(runs: int, project: Callable[[], object], floor: Callable[[], object]) -> tuple[float, float]:
    """Medians (ms) of the project and its floor, run in turns so that the machine's load
    weighs on both alike."""
    project(), floor()
    times: tuple[list[float], list[float]] = ([], [])
    for _ in range(runs):
        for action, out in ((project, times[0]), (floor, times[1])):
            start = time.perf_counter()
            action()
            out.append((time.perf_counter() - start) * 1000)
    return statistics.median(times[0]), statistics.median(times[1])


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        pki_dir = Path(tmp) / "pki"
        start = time.perf_counter()
        pki = init_pki(pki_dir)
        print(f"PKI creation (6 RSA-2048 keys): {(time.perf_counter() - start) * 1000:.0f} ms")
        start = time.perf_counter()
        init_pki(pki_dir)
        print(f"PKI load (existing directory): {(time.perf_counter() - start) * 1000:.1f} ms")
        print("in-process virtual reader:")
        with inprocess_card("medecin", pki_dir=pki_dir):
            bench(lambda: open_card(virtual=True), args.runs)
        if pcsc_ready():
            print("pcscd + vpcd (Virtual PCD 00 00):")
            try:
                with vpcd_card("medecin", slot=0, pki_dir=pki_dir) as inserted:
                    bench(lambda: open_card(inserted.reader), args.runs)
            except SlotBusyError:
                print("  vpcd slot 0 in use by another emulator (another test run), skipped")
        else:
            print("pcscd/vpcd: not available, skipped")
        figures = pkcs11_figures(pki, Path(tmp), args.runs)
        for name, project, floor in figures or []:
            print(f"{name}: project {project:.2f} ms, floor {floor:.2f} ms (bare PyKCS11), "
                  f"ratio {project / floor:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
