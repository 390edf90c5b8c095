"""The Qt UI stays a thin layer: no socket, TLS, SQL, HTTP client or APDU in ``lap_app.ui`` —
widgets call the application services (``lap_app.services``), which hold that work. Nor does
it know the demo: the demo's windows live in ``lap_app.demo`` and plug into the main window
through ``AppContext.window_extensions``."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

UI = Path(__file__).resolve().parents[2] / "lap_app" / "ui"
FORBIDDEN = ("socket", "ssl", "sqlite3", "httpx", "smartcard", "lap_app.base_client", "lap_app.standins",
             "lap_app.demo")


def imported_names(path: Path) -> set[str]:
    """Every module a file imports, at the top or inside a function (the lazy imports count)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


@pytest.mark.parametrize("path", sorted(UI.rglob("*.py")), ids=lambda p: str(p.relative_to(UI)))
def test_ui_module_does_no_io_of_its_own(path: Path) -> None:
    bad = sorted(name for name in imported_names(path)
                 if any(name == f or name.startswith(f + ".") for f in FORBIDDEN))
    assert not bad, f"{path.name} imports {bad}: move that work into lap_app.services (the demo's into lap_app.demo)"


def test_the_checker_sees_a_lazy_import(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text("def probe():\n    import ssl\n    from socket import create_connection\n", encoding="utf-8")
    assert {"ssl", "socket"} <= imported_names(sample)
