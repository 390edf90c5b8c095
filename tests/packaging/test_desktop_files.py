"""The Linux desktop integration files: valid for the freedesktop tools, consistent, French."""

from __future__ import annotations

import configparser
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from lap_app import __version__

LINUX = Path(__file__).resolve().parents[2] / "packaging" / "linux"
APP_ID = "fr.lap_app.LAP"
DESKTOP = LINUX / f"{APP_ID}.desktop"
METAINFO = LINUX / f"{APP_ID}.metainfo.xml"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


def tool(name: str, package: str) -> str:
    path = shutil.which(name)
    if path is None:  # installed by packaging/bootstrap.sh on every machine
        pytest.fail(f"{name} is missing: apt-get install {package}", pytrace=False)
    return path


def desktop_entry() -> configparser.SectionProxy:
    parser = configparser.ConfigParser(interpolation=None, strict=True)
    parser.optionxform = str  # keys are case-sensitive
    parser.read(DESKTOP, encoding="utf-8")
    return parser["Desktop Entry"]


def test_desktop_file_is_valid() -> None:
    result = subprocess.run([tool("desktop-file-validate", "desktop-file-utils"), str(DESKTOP)],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "error" not in result.stdout


def test_desktop_file_speaks_french_and_starts_lap_app() -> None:
    entry = desktop_entry()
    assert entry["Exec"].split()[0] == "lap-app" == entry["TryExec"]
    assert entry["Icon"] == APP_ID
    assert "ordonnance" in entry["Comment[fr]"] and "CPS" in entry["Comment[fr]"]
    assert entry["GenericName[fr]"] == "Aide à la prescription"
    assert entry["Terminal"] == "false"


def test_metainfo_is_valid_for_appstream() -> None:
    result = subprocess.run([tool("appstreamcli", "appstream"), "validate", "--no-net", str(METAINFO)],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_metainfo_matches_the_application() -> None:
    root = ET.parse(METAINFO).getroot()
    assert root.findtext("id") == APP_ID
    assert root.find("launchable").text == DESKTOP.name
    assert next(r.get("version") for r in root.iter("release")) == __version__, "add a <release> for this version"
    french = [s.text for s in root.findall("summary") if s.get(XML_LANG) == "fr"]
    assert french == ["Logiciel d’aide à la prescription pour la médecine générale"]
    assert root.findtext("provides/binary") == "lap-app"


def test_icon_png_is_the_rendered_svg() -> None:
    from PIL import Image

    svg = ET.parse(LINUX / "lap-app.svg").getroot()
    assert (svg.get("width"), svg.get("height")) == ("256", "256")
    with Image.open(LINUX / "lap-app.png") as png:
        assert png.size == (256, 256) and png.mode == "RGBA"
        assert png.getpixel((0, 0))[3] == 0, "rounded corners must be transparent"
        assert png.getpixel((128, 240))[:3] == (0x1B, 0x7F, 0x4B), "green tile around the sheet"
        assert png.getpixel((80, 200))[:3] == (255, 255, 255), "white prescription sheet"
