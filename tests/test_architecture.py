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
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "lap_app"


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


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
    bad = sorted(name for name in MODULES[module] if _in(name, "sqlite3", "smartcard", "PyKCS11", "httpx"))
    assert not bad, f"{module} imports {bad}"


DEMO_USERS = ("lap_app.demo", "lap_app.cli.demo_cmd")


@pytest.mark.parametrize("module", sorted(m for m in MODULES if not _in(m, *DEMO_USERS)))
def test_only_the_demo_wiring_imports_the_demo(module: str) -> None:
    bad = sorted(name for name in MODULES[module] if _in(name, "lap_app.demo"))
    assert not bad, f"{module} imports the demo {bad}"
