"""Bench: the DMP feed over loopback HTTPS (real base subprocess, virtual card, real PDFs).

    .venv/bin/python tests/bench/bench_dmp.py [--count 200] [--clients 8]

Prints medians: one filing round trip (a ~45 kB ordonnance PDF, durable on the server), a
replay, listing a patient's documents, fetching one (hash checked), the local queueing of a
copy, and sustained filings per second with concurrent clients.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "base"))

from circuit_support import EXAMPLE_BUNDLE, card_in_hand, running_base  # noqa: E402

INS = "158037505612321"


def median_ms(samples: list[float]) -> str:
    return f"{statistics.median(samples) * 1000:.1f} ms"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--clients", type=int, default=8)
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="bench-dmp-"))
    try:
        run(args, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def run(args: argparse.Namespace, tmp: Path) -> None:
    os.environ.update(LAP_DATA_DIR=str(tmp / "data"), LAP_CONFIG_DIR=str(tmp / "config"),
                      PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring")
    import json

    from lap_app.base_client.dmp import DmpClient
    from lap_app.base_client.dmp_protocol import document_reference, new_document_id
    from lap_app.fhir import from_bundle
    from lap_app.render import render_ordonnance_pdf
    from lap_app.services.base_connection import base_endpoint, open_client
    from lap_app.services.card_session import open_token
    from lap_app.services.enrolment import enrol
    from lap_app.standins.pki import init_pki
    from lap_app.storage import LocalStore
    from lap_app.storage.dmp_filings import DmpFilings

    init_pki(tmp / "pki")
    draft = from_bundle(json.loads(EXAMPLE_BUNDLE.read_text(encoding="utf-8")))
    with running_base(tmp / "base", tmp / "pki") as base:
        endpoint = base_endpoint(base.url, base.ca)
        with card_in_hand("medecin", tmp / "pki") as card:
            enrol(endpoint, card, name="bench")
            with open_client(endpoint) as client:
                open_token(card, client)
                numbers: list[str] = []
                while len(numbers) < args.count * 2:
                    numbers += client.reserve_numbers(50)[0]
                # the DMP files the copy of a registered ordonnance only (its prescriber's)
                sys.path.insert(0, str(ROOT / "tests" / "bench"))
                from bench_base import signed_bundles

                numbers = numbers[:args.count * 2]
                for number, bundle in zip(numbers, signed_bundles(card, numbers), strict=True):
                    client.register(number, bundle)
                token = client.token

        def reference(number: str) -> dict:
            draft.number = number
            pdf = render_ordonnance_pdf(draft)
            return document_reference(document_id=new_document_id(), number=number, ins=INS,
                                      ins_system="urn:oid:1.2.250.1.213.1.4.8", patient_name="DUPONT Jean Émile",
                                      author_id="810101234564", author_name="Dr Claire MARTIN",
                                      date="2026-11-25T09:42:00Z", pdf=pdf, title="Ordonnance")

        sequential = [reference(n) for n in numbers[:args.count]]
        concurrent = [reference(n) for n in numbers[args.count:args.count * 2]]
        size = len(sequential[0]["content"][0]["attachment"]["data"]) * 3 // 4

        with open_client(endpoint) as client:
            client.token = token
            dmp = DmpClient(client)
            filing, replay, listing, fetching = [], [], [], []
            for ref in sequential:
                document_id = ref["masterIdentifier"]["value"]
                started = time.perf_counter()
                dmp.file(document_id, ref)
                filing.append(time.perf_counter() - started)
            for ref in sequential[:50]:
                started = time.perf_counter()
                assert dmp.file(ref["masterIdentifier"]["value"], ref).replayed
                replay.append(time.perf_counter() - started)
            for _ in range(30):
                started = time.perf_counter()
                documents = dmp.documents(INS)
                listing.append(time.perf_counter() - started)
            for ref in sequential[:50]:
                started = time.perf_counter()
                dmp.pdf(ref["masterIdentifier"]["value"])
                fetching.append(time.perf_counter() - started)

        store = LocalStore(tmp / "queue.sqlite3")
        queueing = []
        pdf = render_ordonnance_pdf(draft)
        for i in range(100):
            ordonnance_id = store.save_signed(number=f"{i:016d}", prescriber="810101234564", patient_name="X",
                                              opposition=False, bundle={}, signer_certificate=b"")
            started = time.perf_counter()
            DmpFilings(store).queue(ordonnance_id, f"bench-{i}", pdf)
            queueing.append(time.perf_counter() - started)
        store.close()

        lock = threading.Lock()
        pending = list(concurrent)

        def worker() -> None:
            with open_client(endpoint) as own:
                own.token = token
                mine = DmpClient(own)
                while True:
                    with lock:
                        if not pending:
                            return
                        ref = pending.pop()
                    mine.file(ref["masterIdentifier"]["value"], ref)

        started = time.perf_counter()
        threads = [threading.Thread(target=worker) for _ in range(args.clients)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - started

    print(f"PDF size: {size / 1024:.0f} kB; documents listed: {len(documents)}")
    print(f"file one copy (TLS round trip, fsync):   median {median_ms(filing)}  (n={len(filing)})")
    print(f"replay of a filed copy (200):            median {median_ms(replay)}")
    print(f"list the patient's {len(documents)} documents:        median {median_ms(listing)}")
    print(f"fetch one PDF (hash checked):            median {median_ms(fetching)}")
    print(f"queue a copy locally (SQLite, FULL):     median {median_ms(queueing)}")
    print(f"sustained filings, {args.clients} clients:            {len(concurrent) / elapsed:.0f} /s")


if __name__ == "__main__":
    main()
