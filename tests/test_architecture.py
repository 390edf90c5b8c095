"""The dependency rules of the design card, checked on the source.

- the domain core (``lap_app.domain``, ``lap_app.fhir``) is pure: no Qt, no I/O libraries, no
  other part of the application;
- nothing but the demo wiring, the command line and the stand-ins themselves imports the
  stand-ins for the outside world (``lap_app.standins``);
- the Qt UI never talks SQL, APDUs or PKCS#11 directly;
- only the demo wiring (and the commands that start it) knows the demo: the application's
  windows, services and adapters never import ``lap_app.demo``.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "lap_app"


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(source: str, module: str, is_package: bool = False) -> set[str]:
    """Every module (or module attribute) ``module`` imports, absolute: a relative import
    (``from . import x``, ``from ..storage import y``) is resolved against ``module``'s package,
    so it meets the same rules as the absolute spelling."""
    names: set[str] = set()
    package = module.split(".") if is_package else module.split(".")[:-1]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base_parts = package[:len(package) - (node.level - 1)] if node.level > 1 else package
                base = ".".join([*base_parts, *([node.module] if node.module else [])])
            else:
                base = node.module or ""
            # ``from pkg import sub`` may import the submodule ``pkg.sub``: keep both spellings
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names if alias.name != "*")
    return names


def _imports(path: Path) -> set[str]:
    return imports_of(path.read_text(encoding="utf-8"), _module_name(path), path.name == "__init__.py")


def _relative_imports(path: Path) -> list[int]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    return [node.lineno for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.level]


MODULES = {_module_name(p): _imports(p) for p in sorted(PACKAGE.rglob("*.py"))}


def _in(module: str, *packages: str) -> bool:
    return any(module == p or module.startswith(p + ".") for p in packages)


CORE = ("lap_app.domain", "lap_app.fhir")
CORE_MAY_IMPORT = (*CORE, "lap_app.i18n")
IO_LIBRARIES = ("PySide6", "httpx", "sqlite3", "reportlab", "smartcard", "PyKCS11", "socket", "fastapi", "uvicorn", "keyring")


@pytest.mark.parametrize("module", sorted(m for m in MODULES if _in(m, *CORE)))
def test_core_is_pure(module: str) -> None:
    bad = sorted(
        name
        for name in MODULES[module]
        if _in(name, *IO_LIBRARIES) or (_in(name, "lap_app") and not _in(name, *CORE_MAY_IMPORT))
    )
    assert not bad, f"{module} imports {bad}"


STANDIN_USERS = ("lap_app.standins", "lap_app.demo", "lap_app.cli")


@pytest.mark.parametrize("module", sorted(m for m in MODULES if not _in(m, *STANDIN_USERS)))
def test_only_demo_cli_and_tests_import_the_standins(module: str) -> None:
    bad = sorted(name for name in MODULES[module] if _in(name, "lap_app.standins"))
    assert not bad, f"{module} imports the stand-ins {bad}"


@pytest.mark.parametrize("module", sorted(m for m in MODULES if _in(m, "lap_app.ui")))
def test_ui_goes_through_services(module: str) -> None:
    bad = sorted(name for name in MODULES[module] if _in(name, "sqlite3", "psycopg", "smartcard", "PyKCS11", "httpx"))
    assert not bad, f"{module} imports {bad}"


def test_no_relative_imports():
    """Absolute imports only: the module a line depends on is read from the line itself."""
    found = {str(p.relative_to(PACKAGE.parent)): lines for p in sorted(PACKAGE.rglob("*.py"))
             if (lines := _relative_imports(p))}
    assert not found, f"relative imports (lines): {found}"


@pytest.mark.parametrize(("source", "module", "is_package", "expected"), [
    ("from ..storage import LocalStore", "lap_app.domain.model", False, "lap_app.storage.LocalStore"),
    ("from .. import storage", "lap_app.domain.model", False, "lap_app.storage"),
    ("from . import sqlite_helpers", "lap_app.domain", True, "lap_app.domain.sqlite_helpers"),
    ("from ...standins import pki", "lap_app.ui.editor.lines_view", False, "lap_app.standins.pki"),
    ("from .database import connect", "lap_app.storage.ordonnances", False, "lap_app.storage.database"),
])
def test_relative_imports_are_resolved_so_the_layering_rules_see_them(source, module, is_package, expected):
    assert expected in imports_of(source, module, is_package)


def test_a_relative_import_that_breaks_the_layering_is_caught():
    names = imports_of("from ..storage import LocalStore\nfrom .. import standins", "lap_app.domain.model")
    assert any(_in(name, "lap_app") and not _in(name, *CORE_MAY_IMPORT) for name in names)
    assert any(_in(name, "lap_app.standins") for name in names)


# How the work was organised ("engineer F2", "issue 5", f2_support.py) is no name for code or tests.
_ORGANISATION = re.compile(r"\b[Ee]ngineer [A-Z][A-Z0-9]?\b|\b[Ii]ssue #?\d+|\b[a-z]\d_support\b")


def test_code_and_test_names_speak_of_the_product_only():
    root = PACKAGE.parent
    found = [f"{path.relative_to(root)}:{n}: {line.strip()}"
             for folder in ("lap_app", "tests", "packaging")
             for path in sorted((root / folder).rglob("*.py")) if path != Path(__file__)
             for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
             if _ORGANISATION.search(line)]
    found += [str(p.relative_to(root)) for p in sorted((root / "tests").rglob("*.py")) if _ORGANISATION.search(p.name)]
    assert not found, "\n".join(found)


@pytest.mark.parametrize("text", ["(engineer F2)", "issue 5 bench", "from f2_support import adult", "Issue #12"])
def test_the_organisation_pattern_catches_the_usual_labels(text):
    assert _ORGANISATION.search(text)


DEMO_USERS = ("lap_app.demo", "lap_app.cli.demo_cmd")


@pytest.mark.parametrize("module", sorted(m for m in MODULES if not _in(m, *DEMO_USERS)))
def test_only_the_demo_wiring_imports_the_demo(module: str) -> None:
    bad = sorted(name for name in MODULES[module] if _in(name, "lap_app.demo"))
    assert not bad, f"{module} imports the demo {bad}"
