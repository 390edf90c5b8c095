"""The application context handed to every window and panel.

Built once by the shell (``lap_app.ui.app`` / ``lap_app.demo``); widgets read what they need
from it and never open databases, sockets or card connections themselves.

Attributes other panels rely on:
- ``settings``: ``lap_app.settings.Settings`` (``save_settings()`` writes them back);
- ``store``: the local SQLite store (``lap_app.storage``);
- ``drugs``: the ``DrugDatabase`` (``lap_app.drugs``);
- ``card_service``: the ``CardService`` (``lap_app.card``);
- ``services``: the application services (``Services`` below);
- ``session``: who is logged in with which card (``Session`` below).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lap_app.domain.model import Prescriber
from lap_app.settings import Settings, save_settings


@dataclass(slots=True)
class Services:
    """Application services (the same ones the CLI uses); ``None`` until wired."""

    prescribing: Any = None  # lap_app.services.desk.PrescribingDesk (its ``has_base``: a base is configured)
    patients: Any = None  # lap_app.services.patients.PatientService
    drafting: Any = None  # lap_app.services.drafting.DraftingLibrary


@dataclass(slots=True)
class Session:
    """The logged-in physician. ``card`` is the open ``CpsCard`` while it is in the reader."""

    identity: Any = None  # lap_app.card CardIdentity
    card: Any = None
    reader: str | None = None
    locked: bool = True


@dataclass(slots=True)
class AppContext:
    settings: Settings
    store: Any = None
    drugs: Any = None
    card_service: Any = None
    services: Services = field(default_factory=Services)
    session: Session = field(default_factory=Session)
    demo: Any = None  # lap_app.demo.DemoEnvironment in demo mode
    settings_file: Path | None = None
    closers: list = field(default_factory=list)  # run by close(), last opened first

    def close(self) -> None:
        while self.closers:
            self.closers.pop()()

    def save_settings(self) -> None:
        save_settings(self.settings, self.settings_file)

    def prescriber(self) -> Prescriber | None:
        """The prescriber printed on the ordonnance: the card holder + the practice settings."""
        identity = self.session.identity
        if identity is None:
            return None
        practice = self.settings.practice
        given = getattr(identity, "given_name", "") or ""
        return Prescriber(
            family_name=identity.family_name,
            given_names=[given] if given else [],
            national_id=identity.national_id,
            qualification=practice.qualification,
            address=practice.address(),
            phone=practice.phone,
            email=practice.email,
            profession_code=getattr(identity, "profession_code", "10") or "10",
        )


def assemble_context(settings: Settings, *, store_path: Path | None, endpoint, card_service,
                     demo: Any = None, settings_file: Path | None = None) -> AppContext:
    """Open the local store, the drug base and the services over them; ``AppContext.close`` undoes it.

    ``endpoint``: the ``BaseEndpoint`` of the e-prescription base (None: no base configured).
    """
    from lap_app.drugs import open_drug_database
    from lap_app.services.desk import PrescribingDesk
    from lap_app.services.drafting import DraftingLibrary
    from lap_app.services.patients import PatientService
    from lap_app.storage import LocalStore, connect, default_store_path

    store_path = store_path or default_store_path()
    store = LocalStore(store_path)
    gui_connection = connect(store_path)  # the GUI thread's own connection (patients, drafts)
    services = Services(
        # without a base the desk still serves the local history (PDF again, renewal)
        prescribing=PrescribingDesk(endpoint, store),
        patients=PatientService(gui_connection),
        drafting=DraftingLibrary(gui_connection),
    )
    closers = [card_service.close, store.close, gui_connection.close, services.prescribing.close]
    return AppContext(settings=settings, store=store, drugs=open_drug_database(), card_service=card_service,
                      services=services, demo=demo, settings_file=settings_file, closers=closers)
