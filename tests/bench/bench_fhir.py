"""Bench: the domain core and the FHIR mapping on a 10-line ordonnance; prints medians.

    .venv/bin/python tests/bench/bench_fhir.py

What the base and the signing path pay per ordonnance: from_bundle (read + R.5132-3
validation), to_bundle, canonical_bytes, validate_ordonnance, render_sentence, and the
check key of a prescription number.
"""

from __future__ import annotations

import copy
import json
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from lap_app.domain.identifiers import is_valid_prescription_number
from lap_app.domain.posology_text import render_sentence
from lap_app.domain.validation import validate_ordonnance
from lap_app.fhir import canonical_bytes, from_bundle, to_bundle

EXAMPLE = Path(__file__).resolve().parents[1] / "fixtures" / "ordonnance-bundle.json"
RUNS = 200


def ten_line_bundle() -> dict:
    example = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    ordonnance = from_bundle(example)
    lines = []
    for i in range(10):
        line = copy.deepcopy(ordonnance.lines[i % 3])
        line.resource_id = f"urn:uuid:00000000-0000-4000-8000-{i:012d}"
        lines.append(line)
    ordonnance.lines = lines
    return to_bundle(ordonnance)


def median_us(label: str, action: Callable[[], object], runs: int = RUNS) -> None:
    action()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    print(f"{label:<44} median {statistics.median(times) * 1e6:8.1f} µs")


def main() -> None:
    bundle = ten_line_bundle()
    ordonnance = from_bundle(bundle)
    posology = ordonnance.lines[2].posology
    print(f"10-line ordonnance, {len(json.dumps(bundle))} bytes of JSON, {RUNS} runs")
    median_us("from_bundle (read + validate)", lambda: from_bundle(bundle))
    median_us("to_bundle", lambda: to_bundle(ordonnance))
    median_us("canonical_bytes", lambda: canonical_bytes(bundle))
    median_us("validate_ordonnance", lambda: validate_ordonnance(ordonnance))
    median_us("render_sentence (as needed, max, interval)", lambda: render_sentence(posology))
    median_us("is_valid_prescription_number", lambda: is_valid_prescription_number("2026112500004292"), 2000)


if __name__ == "__main__":
    main()
