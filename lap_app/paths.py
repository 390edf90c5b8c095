"""Where the application finds its shipped resources and its per-user data.

Resources live in the top-level ``resources/`` folder of the source tree; a frozen
(PyInstaller) build carries them beside the executable. ``LAP_RESOURCES`` overrides both.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

APP_NAME = "lap-app"
# The practice store's location for this process: a postgresql:// URL or an SQLite file
# (``lap-app --store``, or the settings), and the CA file of the server's TLS certificate.
STORE_ENV = "LAP_STORE"
STORE_CA_ENV = "LAP_STORE_CA"


def resources_dir() -> Path:
    override = os.environ.get("LAP_RESOURCES")
    if override:
        return Path(override)
    frozen_root = getattr(sys, "_MEIPASS", None)
    if frozen_root:
        return Path(frozen_root) / "resources"
    return Path(__file__).resolve().parent.parent / "resources"


def user_data_dir() -> Path:
    """Per-user data (drug database, local store, outbox). ``LAP_DATA_DIR`` overrides it."""
    override = os.environ.get("LAP_DATA_DIR")
    if override:
        return Path(override)
    import platformdirs

    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def user_config_dir() -> Path:
    """Per-user settings. ``LAP_CONFIG_DIR`` overrides it."""
    override = os.environ.get("LAP_CONFIG_DIR")
    if override:
        return Path(override)
    import platformdirs

    return Path(platformdirs.user_config_dir(APP_NAME, appauthor=False))


def demo_data_dir() -> Path:
    """The demo's own folder (its base, cards, store, drug base, settings, credential): apart
    from the user's data and settings, which the demo never reads nor writes. ``LAP_DEMO_DIR``
    overrides it."""
    override = os.environ.get("LAP_DEMO_DIR")
    if override:
        return Path(override)
    import platformdirs

    return Path(platformdirs.user_data_dir(APP_NAME + "-demo", appauthor=False))
