"""Per-user settings (practice details, paper, printer, base URL and CA).

Stored as JSON in ``user_config_dir()/settings.json`` with a version number; older files are
brought up to date by the upgrade hooks in ``store.py``.
"""

from lap_app.settings.model import BaseSettings, CardSettings, PracticeSettings, Settings
from lap_app.settings.store import SETTINGS_VERSION, load_settings, save_settings, settings_path

__all__ = [
    "SETTINGS_VERSION",
    "BaseSettings",
    "CardSettings",
    "PracticeSettings",
    "Settings",
    "load_settings",
    "save_settings",
    "settings_path",
]
