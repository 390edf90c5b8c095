"""Bench: render a 10-line ordonnance (A4 and A5, bizone and plain) and print the median
milliseconds per page. Target: under 30 ms per page.

    .venv/bin/python tests/bench/bench_render.py
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "render"))

from lap_app.domain.model import Zone
from lap_app.render import render_ordonnance_pdf

import render_samples as samples

RUNS = 40


def page_count(pdf: bytes) -> int:
    import io

    from pypdf import PdfReader

    return len(PdfReader(io.BytesIO(pdf)).pages)


def bench(label: str, ordonnance, page_size: str) -> None:
    pdf = render_ordonnance_pdf(ordonnance, page_size)  # warm-up (font registration)
    pages = page_count(pdf)
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        render_ordonnance_pdf(ordonnance, page_size)
        times.append(time.perf_counter() - start)
    median = statistics.median(times) * 1000
    print(f"{label:<28} {page_size}  {pages} page(s)  median {median:6.1f} ms/document"
          f"  {median / pages:6.1f} ms/page  ({len(pdf) // 1024} KiB)")


def main() -> None:
    start = time.perf_counter()
    render_ordonnance_pdf(samples.plain(1))
    print(f"first render in a fresh process (font loading): {(time.perf_counter() - start) * 1000:.0f} ms")
    ten = [samples.numbered_line(i) for i in range(1, 11)]
    bizone = [samples.numbered_line(i, Zone.ALD if i <= 4 else Zone.HORS_ALD) for i in range(1, 11)]
    bench("10 lines, plain", samples.ordonnance(ten), "A4")
    bench("10 lines, bizone", samples.ordonnance(bizone), "A4")
    bench("10 lines, plain", samples.ordonnance(ten), "A5")
    bench("25 lines, plain (multi-page)", samples.plain(25), "A4")


if __name__ == "__main__":
    main()
