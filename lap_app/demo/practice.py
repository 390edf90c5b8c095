"""The demo's fictitious practice and its settings (never the user's own settings file)."""

from __future__ import annotations

from pathlib import Path

from lap_app.settings import PracticeSettings, Settings, load_settings


def demo_practice() -> PracticeSettings:
    return PracticeSettings(
        address_lines=["12 rue de la République"], postal_code="69002", city="Lyon",
        phone="+33 4 78 00 00 00", email="cabinet@example.fr", qualification="Médecine générale",
    )


def demo_settings(path: Path) -> Settings:
    """The demo's settings file (what « Paramètres » saved during a previous demo), or a
    fresh one with the fictitious practice."""
    if path.exists():
        return load_settings(path)
    return Settings(practice=demo_practice())
