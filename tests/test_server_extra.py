"""FastAPI, uvicorn, uvloop, httptools and orjson are the ``[server]`` extra: the reference base
and the demo need them, the desktop application does not. Checked on pyproject.toml and by
running the application with those packages made unimportable."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SERVER_PACKAGES = {"fastapi", "uvicorn", "orjson", "httptools", "uvloop"}
# what a plain install lacks: the extra and what it brings along
HIDDEN = (*sorted(SERVER_PACKAGES), "starlette", "pydantic")
EXAMPLE = REPO / "tests" / "fixtures" / "ordonnance-bundle.json"


def _name(requirement: str) -> str:
    return requirement.split(";")[0].split("[")[0].split(">")[0].split("<")[0].split("=")[0].strip().lower()


@pytest.fixture(scope="module")
def project() -> dict:
    return tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]


def test_a_plain_install_does_not_pull_the_server_in(project):
    assert not {_name(r) for r in project["dependencies"]} & SERVER_PACKAGES


def test_the_server_extra_has_them_and_the_tests_and_the_bundle_pull_it_in(project):
    extras = project["optional-dependencies"]
    assert {_name(r) for r in extras["server"]} == SERVER_PACKAGES
    for extra in ("test", "packaging"):  # the suite runs the base; the bundle keeps the demo
        assert "lap-app[server]" in extras[extra], extra


def _without_server(code: str, tmp_path: Path) -> subprocess.CompletedProcess:
    """Run ``code`` in a fresh interpreter where the server packages cannot be imported."""
    prelude = f"import sys\nfor name in {HIDDEN!r}:\n    sys.modules[name] = None\n"
    env = {**os.environ, "LAP_DATA_DIR": str(tmp_path / "data"), "LAP_CONFIG_DIR": str(tmp_path / "config"),
           "QT_QPA_PLATFORM": "offscreen"}
    return subprocess.run([sys.executable, "-c", prelude + code], capture_output=True, text=True, timeout=120,
                          env=env, cwd=tmp_path)


def test_the_desktop_application_imports_and_renders_without_them(tmp_path):
    code = f"""
import importlib, pkgutil
import lap_app
for info in pkgutil.walk_packages(lap_app.__path__, "lap_app."):
    if not info.name.startswith("lap_app.standins") and not info.name.endswith("__main__"):
        importlib.import_module(info.name)
from lap_app.base_client.client import _json_bytes
assert _json_bytes({{"é": 2 ** 70}}) == '{{"é":{2 ** 70}}}'.encode()
from lap_app.cli.main import main
sys.exit(main(["render", {str(EXAMPLE)!r}, "-o", "ordonnance.pdf"]))
"""
    result = _without_server(code, tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "ordonnance.pdf").read_bytes().startswith(b"%PDF")


@pytest.mark.parametrize(("argv", "what"), [
    (["base", "serve", "--data-dir", "base", "--pki", "pki"], "La base de référence"),
    (["base", "openapi"], "Le document OpenAPI de la base"),
    (["demo", "--no-pcsc"], "La démonstration"),
])
def test_the_base_and_the_demo_say_what_to_install(tmp_path, argv, what):
    result = _without_server(f"from lap_app.cli.main import main\nsys.exit(main({argv!r}))", tmp_path)
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    [line] = result.stderr.strip().splitlines()
    assert line.startswith(f"Erreur : {what} demande les modules du serveur (fastapi, uvicorn)"), line
    assert 'pip install "lap-app[server]"' in line
    assert not (tmp_path / "base").exists()  # refused before anything was made
