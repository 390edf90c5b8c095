"""The repository needs nothing beside it: a user's clone has no ``../shared``.

Two checks: no file of the application, its tests, packaging or docs names the reference folder
beside the repository; and a copy of the repository's tracked files, alone in an empty folder,
passes a few representative tests (domain rules, the example rendered with a QR code that scans,
the April 2026 drug release read from the test fixtures) with the same virtual environment.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent

CHECKED_DIRS = ("lap_app", "tests", "packaging", "docs", "resources")
# "../shared", 'parent / "shared"', '"shared" / "examples"' and the like (spelled in pieces so
# that this file does not match itself).
SIBLING = "sh" + "ared"
SIBLING_PATH = re.compile(
    rf"\.\./{SIBLING}\b|/ ?[\"']{SIBLING}[\"']|[\"']{SIBLING}[\"'] ?/|\b{SIBLING}/(docs|examples|bdpm|ansm|nomenclatures)")
TEXT_SUFFIXES = {".py", ".md", ".sh", ".spec", ".toml", ".cfg", ".ini", ".txt", ".json", ".iss", ".desktop", ""}
# One fast test per area that reads data: a pure domain rule, the example Bundle rendered and
# its QR scanned, the FHIR mapping of the example, and the April 2026 release from tests/fixtures.
REPRESENTATIVE = (
    "tests/domain/test_domain_identifiers.py",
    "tests/render/test_render_cli.py::test_example_bundle_renders_and_its_qr_scans[A4]",
    "tests/fhir/test_fhir_mapping.py::test_example_round_trips_exactly",
    "tests/drugs/test_drugs_bdpm_format.py::test_the_april_2026_release_parses_line_for_line",
)


def tracked_files() -> list[str]:
    """The repository's files as git knows them (the suite runs from a git clone)."""
    listing = subprocess.run(["git", "ls-files", "-z"], cwd=REPO_ROOT, capture_output=True, check=True)
    return [name for name in listing.stdout.decode("utf-8").split("\0") if name]


def test_nothing_reads_the_reference_folder_beside_the_repository():
    offending = []
    for name in tracked_files():
        path = REPO_ROOT / name
        if (not name.startswith(tuple(d + "/" for d in CHECKED_DIRS)) or path.suffix not in TEXT_SUFFIXES
                or not path.is_file() or path == Path(__file__)):
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        offending += [f"{name}:{n}: {line.strip()}" for n, line in enumerate(text.splitlines(), 1)
                      if SIBLING_PATH.search(line)]
    assert not offending, "\n".join(offending)


def test_the_pattern_catches_the_usual_spellings():
    for spelling in (f"../{SIBLING}/examples/x.json", f'ROOT.parent / "{SIBLING}" / "bdpm"',
                     f"parents[3] / '{SIBLING}'", f"`{SIBLING}/docs/domain.md`"):
        assert SIBLING_PATH.search(spelling), spelling
    assert not SIBLING_PATH.search("a shared connection to the card")


@pytest.fixture(scope="module")
def lone_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tracked files (as they are in the working tree) copied into an otherwise empty folder."""
    alone = tmp_path_factory.mktemp("alone")
    copy = alone / "lap"
    for name in tracked_files():
        source = REPO_ROOT / name
        if source.is_file():
            target = copy / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    assert sorted(p.name for p in alone.iterdir()) == ["lap"]
    return copy


def test_a_lone_copy_passes_representative_tests(lone_copy: Path, tmp_path: Path):
    # The copy's own lap_app must be the one imported (the venv's editable install points here).
    # (the representative tests need no pytest plugin: not loading them halves the run)
    env = {**os.environ, "PYTHONPATH": str(lone_copy), "PYTHONDONTWRITEBYTECODE": "1",
           "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}
    for var in ("LAP_DATA_DIR", "LAP_CONFIG_DIR", "LAP_RESOURCES"):
        env.pop(var, None)
    env["HOME"] = str(tmp_path / "home")
    where = subprocess.run([sys.executable, "-c", "import lap_app; print(lap_app.__file__)"], cwd=lone_copy,
                           env=env, capture_output=True, text=True, check=True)
    assert Path(where.stdout.strip()).is_relative_to(lone_copy), where.stdout

    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-x", *REPRESENTATIVE],
        cwd=lone_copy, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    summary = result.stdout.strip().splitlines()[-1]
    assert "passed" in summary and "skipped" not in summary and "failed" not in summary, summary
