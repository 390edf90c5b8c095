"""The application context handed to every window and panel.

Built once by the wiring (``lap_app.cli.gui_cmd`` for a workstation, ``lap_app.demo`` for the
demo) through ``assemble_context``; widgets read what they need from it and never open
databases, sockets or card connections themselves. Every field is required: a widget never
has to guess whether drafts can be saved or alerts computed. Tests build complete contexts
over test doubles (``tests/ui/contexts.py``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lap_app.settings import Settings, save_settings

if TYPE_CHECKING:
    from lap_app.card import CardService
    from lap_app.card.identity import CardIdentity
    from lap_app.drugs import DrugDatabase
    from lap_app.services.base_connection import BaseEndpoint
    from lap_app.services.desk import PrescribingDesk
    from lap_app.services.drafting import DraftingLibrary
    from lap_app.services.patients import PatientService
    from lap_app.storage import LocalStore
    from lap_app.storage.engine import StoreConnection
    from lap_app.ui.main_window import MainWindow


class Services:
    """The application services (the same ones the CLI uses). The patients' and the drafts'
    are made on first use, by the working area: their modules are not on the way to the login
    page. All three use the GUI thread's own store connection."""

    def __init__(self, prescribing: PrescribingDesk, connection: StoreConnection) -> None:
        self.prescribing = prescribing  # its ``has_base``: a base is configured
        self._connection = connection

    @cached_property
    def patients(self) -> PatientService:
        from lap_app.services.patients import PatientService

        return PatientService(self._connection)

    @cached_property
    def drafting(self) -> DraftingLibrary:
        from lap_app.services.drafting import DraftingLibrary

        return DraftingLibrary(self._connection)


@dataclass(slots=True)
class Session:
    """The logged-in physician. ``card`` is the open ``CpsCard`` while it is in the reader."""

    identity: CardIdentity | None = None
    card: Any = None  # lap_app.card.CpsCard
    reader: str | None = None
    locked: bool = True


# Called with the main window once it is built: the demo wiring adds its banner, menu and
# windows this way (the main window knows nothing of the demo).
WindowExtension = Callable[["MainWindow"], None]


@dataclass(slots=True)
class AppContext:
    settings: Settings
    store: LocalStore
    drugs: DrugDatabase
    card_service: CardService
    services: Services
    settings_file: Path  # where « Paramètres » saves ``settings``
    session: Session = field(default_factory=Session)
    # False when the wiring brings its own base (the demo): the settings' base is not used then
    base_from_settings: bool = True
    window_extensions: list[WindowExtension] = field(default_factory=list)
    closers: list[Callable[[], object]] = field(default_factory=list)  # run by close(), last opened first

    def close(self) -> None:
        while self.closers:
            self.closers.pop()()

    def save_settings(self) -> None:
        """The user's own settings to their file; the practice details to the practice server too,
        when the workstations share one (every workstation then prints the same)."""
        from lap_app.services.shared_practice import share_practice

        save_settings(self.settings, self.settings_file)
        share_practice(self.settings, self.store)


def assemble_context(settings: Settings, *, settings_file: Path, store_path: Path | None,
                     endpoint: BaseEndpoint | None, card_service: CardService, drugs_path: Path | None = None,
                     base_from_settings: bool = True) -> AppContext:
    """Open the local store, the drug base and the services over them; ``AppContext.close`` undoes it.

    ``endpoint``: the e-prescription base (None: no base configured); ``store_path`` and
    ``drugs_path``: None for this user's own (``lap_app.paths``).
    """
    from lap_app.drugs import open_drug_database
    from lap_app.services.desk import PrescribingDesk
    from lap_app.storage import LocalStore, open_store
    from lap_app.storage.engine import default_store_location

    location = store_path or default_store_location()  # a file, or the practice server's URL
    store = LocalStore(location)
    try:
        gui_connection = open_store(location)  # the GUI thread's own connection (patients, drafts)
        from lap_app.services.shared_practice import adopt_shared_practice

        adopt_shared_practice(settings, store)  # on a practice server: its address, phone… for all
    except BaseException:
        store.close()
        raise
    drugs = open_drug_database(drugs_path)
    # without a base the desk still serves the local history (PDF again, renewal)
    services = Services(PrescribingDesk(endpoint, store, drugs_path=drugs.path), gui_connection)
    closers: list[Callable[[], object]] = [card_service.close, store.close, gui_connection.close, drugs.close,
                                           services.prescribing.close]
    return AppContext(settings=settings, store=store, drugs=drugs, card_service=card_service, services=services,
                      settings_file=settings_file, base_from_settings=base_from_settings, closers=closers)
