"""Packaging figures: build time, bundle and archive size, start-up time of the frozen build.

    .venv/bin/python tests/bench/bench_packaging.py [--builds 1] [--runs 7]

Builds with packaging/build_bundle.py into a temporary folder (``--builds`` times, fresh each
time: ``--clean``), then times commands of the built bundle against the source install, each
``--runs`` times in a fresh HOME. Prints medians.
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "tests" / "fixtures" / "ordonnance-bundle.json"


def load_builder():
    spec = importlib.util.spec_from_file_location("build_bundle", ROOT / "packaging" / "build_bundle.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def timed(command: list[str], home: Path) -> float:
    env = {"HOME": str(home), "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "QT_QPA_PLATFORM": "offscreen"}
    start = time.perf_counter()
    subprocess.run(command, env=env, cwd=home, check=True, capture_output=True)
    return time.perf_counter() - start


def median_ms(command: list[str], runs: int, home: Path) -> float:
    """Median wall time of ``command``, its first start (drug database, PKI...) excluded."""
    home.mkdir(parents=True, exist_ok=True)
    timed(command, home)
    return statistics.median(timed(command, home) for _ in range(runs)) * 1000


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--builds", type=int, default=1)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    builder = load_builder()
    with tempfile.TemporaryDirectory(prefix="lap-bench-pkg-") as tmp:
        tmp_path = Path(tmp)
        builds = []
        for index in range(args.builds):
            build = builder.build(tmp_path / "dist", tmp_path / f"work-{index}", archive=True)
            builds.append(build)
            print(f"build {index + 1}: {build.seconds:.1f} s")
        last = builds[-1]
        print(f"build time (median of {len(builds)}, PyInstaller --clean + archive): "
              f"{statistics.median(b.seconds for b in builds):.1f} s")
        print(f"bundle size unpacked: {last.size_bytes / 2**20:.1f} MiB")
        print(f"archive size (.tar.gz): {last.archive.stat().st_size / 2**20:.1f} MiB")

        frozen = [str(last.executable)]
        source = [sys.executable, "-m", "lap_app"]
        pdf = str(tmp_path / "o.pdf")
        cases = [
            ("--version", ["--version"]),
            ("card info --virtual", ["card", "info", "--virtual"]),
            ("render example", ["render", str(EXAMPLE), "-o", pdf]),
        ]
        for index, (label, argv) in enumerate(cases):
            frozen_ms = median_ms(frozen + argv, args.runs, tmp_path / f"frozen-{index}")
            source_ms = median_ms(source + argv, args.runs, tmp_path / f"source-{index}")
            print(f"{label}: frozen {frozen_ms:.0f} ms, source install {source_ms:.0f} ms "
                  f"(median of {args.runs})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
