"""Reading and writing the settings file, with versioned upgrade hooks."""

from __future__ import annotations

import contextlib
import json
import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from lap_app.paths import user_config_dir
from lap_app.settings.model import Settings

log = logging.getLogger(__name__)

SETTINGS_VERSION = 3


def _v1_to_v2(data: dict[str, Any]) -> dict[str, Any]:
    """v1 kept the base URL and CA at top level and the address as one multi-line string."""
    data["base"] = {"url": data.pop("base_url", ""), "ca_path": data.pop("base_ca", "")}
    practice = data.get("practice") or {}
    address = practice.pop("address", None)
    if isinstance(address, str):
        practice["address_lines"] = [line.strip() for line in address.splitlines() if line.strip()]
    data["practice"] = practice
    return data


# The practice that versions 1 and 2 wrote as their defaults: a file holding it never had the
# physician's own details, only the demo's (they must not reach a real ordonnance).
_OLD_DEMO_PRACTICE = {
    "address_lines": ["12 rue de la République"], "postal_code": "69002", "city": "Lyon",
    "phone": "+33 4 78 00 00 00", "email": "cabinet@example.fr",
}


def _v2_to_v3(data: dict[str, Any]) -> dict[str, Any]:
    """v3 has no default practice: the old built-in one is cleared, field by field."""
    practice = data.get("practice")
    if isinstance(practice, dict):
        for name, demo_value in _OLD_DEMO_PRACTICE.items():
            if practice.get(name) == demo_value:
                practice[name] = [] if isinstance(demo_value, list) else ""
    return data


# UPGRADES[n] turns a version-n dict into a version-(n+1) dict; append, never edit.
UPGRADES: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {1: _v1_to_v2, 2: _v2_to_v3}


def settings_path() -> Path:
    return user_config_dir() / "settings.json"


def load_settings(path: Path | None = None) -> Settings:
    """The user's settings; defaults when there is no file.

    A file that cannot be read is set aside (``.bad`` suffix) rather than lost, and the
    defaults are used.
    """
    path = path or settings_path()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(data, dict):
            raise ValueError("settings root is not an object")
    except FileNotFoundError:
        return Settings()
    except (OSError, ValueError) as error:
        log.warning("settings file %s unreadable (%s); set aside, defaults used", path, error)
        _set_aside(path)
        return Settings()
    version = data.get("version", 1)
    if not isinstance(version, int) or version > SETTINGS_VERSION:
        log.warning("settings file %s has unknown version %r; defaults used", path, version)
        return Settings()
    while version < SETTINGS_VERSION:
        data = UPGRADES[version](data)
        version += 1
    return Settings.from_dict(data)


def configured_store(path: Path | None = None) -> tuple[str, str]:
    """(url, CA file) of the practice server in the settings, ("", "") for the local file; reads
    the file without setting a bad one aside (``load_settings`` does that, in the GUI)."""
    try:
        data = json.loads((path or settings_path()).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return "", ""
    store = data.get("store") if isinstance(data, dict) else None
    if not isinstance(store, dict):
        return "", ""
    url, ca_path = store.get("url"), store.get("ca_path")
    return (url if isinstance(url, str) else "", ca_path if isinstance(ca_path, str) else "")


def save_settings(settings: Settings, path: Path | None = None) -> Path:
    """Write atomically (temp file + rename) so a crash never leaves half a file."""
    path = path or settings_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {"version": SETTINGS_VERSION, **settings.to_dict()}
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(payload, ensure_ascii=False, indent=2), encoding="utf-8")
    tmp.chmod(0o600)  # the practice server's address may carry its password: this user's only
    os.replace(tmp, path)
    return path


def _set_aside(path: Path) -> None:
    with contextlib.suppress(OSError):
        os.replace(path, path.with_suffix(path.suffix + ".bad"))
