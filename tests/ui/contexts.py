"""Complete application contexts for widget tests: every field the widgets rely on is there.

The parts are real where they are cheap (a local store in a temporary file, the session's
drug base, the in-process virtual card reader); the e-prescription base is absent unless a
test passes an endpoint (the desk then says « non configurée », as on a fresh workstation).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lap_app.settings import PracticeSettings, Settings
from lap_app.ui.context import AppContext


def test_practice() -> PracticeSettings:
    """A complete practice (the tests' own, distinct from the demo's)."""
    return PracticeSettings(address_lines=["3 place des Essais"], postal_code="31000", city="Toulouse",
                            phone="05 61 00 00 00", email="cabinet.essais@example.org",
                            qualification="Médecine générale")


def complete_context(store_path: Path, *, drugs: Any = None, settings: Settings | None = None,
                     settings_file: Path | None = None, endpoint: Any = None) -> AppContext:
    """``drugs``: a drug base path or None for the session's own; ``settings``: default a
    complete practice (the first-start dialog stays closed)."""
    from lap_app.card import CardService
    from lap_app.ui.context import assemble_context

    drugs_path = getattr(drugs, "path", drugs)
    return assemble_context(settings if settings is not None else Settings(practice=test_practice()),
                            settings_file=settings_file or store_path.with_name("settings.json"),
                            store_path=store_path, endpoint=endpoint,
                            card_service=CardService(virtual=True, pcsc=False), drugs_path=drugs_path)
