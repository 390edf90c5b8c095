"""Starting and stopping everything the demo needs, and the application context over it.

Everything the demo keeps lives under its own folder (``paths.demo_data_dir()``): the base's
data, the PKI, the local store, the drug base, the settings with the fictitious practice and
the installation's credential (a file there, never the system keyring). It never opens the
user's own settings, store, drug base or credentials.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from lap_app.domain.errors import UserError
from lap_app.i18n import _
from lap_app.paths import demo_data_dir
from lap_app.ui.context import AppContext

if TYPE_CHECKING:  # imported when the demo starts: they load the server and card stacks
    from lap_app.demo.base import RunningBase
    from lap_app.demo.prescrit import DemoPrescrits
    from lap_app.demo.window import DemoWindowExtension
    from lap_app.standins.pki import Pki
    from lap_app.standins.virtual_cps import VirtualCps
    from lap_app.standins.virtual_cps.vpcd import VpcdEmulator

log = logging.getLogger(__name__)

DEMO_BASE_PORT = 47443  # stable, so the demo enrols once; any free port when it is taken (and said)


class DemoEnvironment:
    """The demo's outside world: base, PKI, cards, the prescrits. ``start()`` then ``context()``.

    ``pcsc``: None = use pcscd with the vpcd reader when it is there, else the in-process reader;
    True = pcscd or fail; False = the in-process reader. ``base_port``: None = the usual port,
    else any free one (``notice`` then says which); a number = that port or fail (0: any).
    """

    def __init__(self, root: Path | None = None, *, pcsc: bool | None = None,
                 base_port: int | None = None, drugs_path: Path | None = None) -> None:
        self.root = Path(root) if root else demo_data_dir()
        # a drug base built from the shipped BDPM in the demo's folder (tests pass a prebuilt one)
        self.drugs_path = drugs_path or self.root / "drugs.sqlite3"
        self.window_extension: DemoWindowExtension | None = None  # set by context()
        self._base_port = base_port
        self._want_pcsc = pcsc
        self.pki: Pki | None = None
        self.base: RunningBase | None = None
        self.prescrits: DemoPrescrits | None = None
        self.physician_card: VirtualCps | None = None
        self.uses_pcsc = False
        self.notice: str | None = None  # what the user should know of this start (the base's port moved)
        self._emulator: VpcdEmulator | None = None
        self._closers: list[Callable[[], object]] = []

    # -- life cycle --------------------------------------------------------------------------
    def start(self) -> DemoEnvironment:
        try:
            self._start()
        except BaseException:
            self.stop()  # nothing left running behind a failed start
            raise
        return self

    def _start(self) -> None:
        from lap_app.standins.server_extra import require_server_extra

        require_server_extra(_("La démonstration"))
        from lap_app.base_client.protocol import PATIENT_PORTAL_KEY_FILE
        from lap_app.demo.base import start_base
        from lap_app.demo.prescrit import DemoPrescrits
        from lap_app.services.base_connection import BaseEndpoint
        from lap_app.services.credentials import FileCredentials
        from lap_app.standins.pki import init_pki
        from lap_app.standins.virtual_cps import VirtualCps

        pki_dir = self.root / "pki"
        pki = self.pki = init_pki(pki_dir)
        usual = self._base_port is None  # the demo's own: any free port will do, said to the user
        port = DEMO_BASE_PORT if self._base_port is None else self._base_port
        base = self.base = start_base(self.root / "base", pki_dir, port=port, or_any_free_port=usual)
        if usual and base.port != DEMO_BASE_PORT:
            self.notice = _("Le port habituel {usual} de la base de démonstration est occupé (une autre "
                            "démonstration est-elle ouverte ?) : elle utilise le port {port}.").format(
                                usual=DEMO_BASE_PORT, port=base.port)
        self._closers.append(base.stop)
        self.endpoint = BaseEndpoint(base.url, base.ca_path,
                                     credentials=FileCredentials(self.root / "installation-credential.json"))
        self._enrol(pki)
        # « Mon espace santé » acts for the patient with the portal's credential, a file of the base
        portal_secret = (self.root / "base" / PATIENT_PORTAL_KEY_FILE).read_bytes().hex()
        prescrits = self.prescrits = DemoPrescrits(self.endpoint, pki, portal_secret, self.root / "prescrits")
        self._closers.append(prescrits.close)
        # a fresh PIN counter each start: a card blocked while trying the demo is not blocked forever
        self.physician_card = VirtualCps.from_holder(pki.holder("medecin"), persist_pin=False)
        self.uses_pcsc = self._want_pcsc is not False and self._start_vpcd()
        if self._want_pcsc and not self.uses_pcsc:
            raise UserError(_("pcscd ou son lecteur virtuel vpcd n'est pas disponible (ou déjà occupé)."))
        self.insert_card()

    def stop(self) -> None:
        """Everything started, stopped; every card the demo put in a reader, pulled out (the
        in-process reader outlives the demo: a card left there would still answer)."""
        if self._emulator is not None:
            self._emulator.stop()
            self._emulator = None
        self._pull_own_card()
        while self._closers:
            try:
                self._closers.pop()()
            except Exception:  # stopping the rest matters more
                log.exception("demo shutdown step failed")

    def _enrol(self, pki: Pki) -> None:
        """Enrol this installation with the demo base once, with a second demo physician card."""
        from lap_app.card.cps import CpsCard
        from lap_app.card.virtual_reader import VirtualReader
        from lap_app.services.enrolment import enrol
        from lap_app.standins.pki import DEMO_PIN
        from lap_app.standins.virtual_cps import VirtualCps

        reader = VirtualReader("enrolment")
        reader.insert(VirtualCps.from_holder(pki.holder("medecin"), persist_pin=False))
        try:
            with CpsCard(reader.connect()) as card:
                card.verify_pin(DEMO_PIN).raise_unless_accepted()
                result = enrol(self.endpoint, card, name=_("LAP démo"))
        finally:
            reader.remove()
        if result.warning:
            log.warning("%s", result.warning)

    def _start_vpcd(self) -> bool:
        """Attach the physician's card to pcscd through vpcd slot 0, if pcscd lists that reader."""
        from lap_app.card import CardService
        from lap_app.standins.virtual_cps.vpcd import SlotBusyError, VpcdEmulator, reader_name

        probe = CardService(pcsc=True)
        try:
            if reader_name(0) not in probe.readers():
                return False
        finally:
            probe.close()
        emulator = VpcdEmulator(self._card())
        try:
            emulator.start(lock_timeout=0.5)
        except SlotBusyError:  # another emulator (a test run) holds the slot
            return False
        if not emulator.wait_powered(3.0):
            emulator.stop()
            return False
        self._emulator = emulator  # the card is in the reader
        return True

    def _card(self) -> VirtualCps:
        """The physician's card, made by ``start()``."""
        if self.physician_card is None:
            raise RuntimeError("the demo environment is not started")
        return self.physician_card

    # -- the demo menu -----------------------------------------------------------------------
    def insert_card(self) -> None:
        if self.uses_pcsc:
            from lap_app.standins.virtual_cps.vpcd import SlotBusyError, VpcdEmulator

            if self._emulator is None:
                try:
                    self._emulator = VpcdEmulator(self._card()).start(lock_timeout=2.0)
                except SlotBusyError:
                    raise UserError(_("Le lecteur virtuel est occupé par un autre émulateur de carte.")) from None
        else:
            from lap_app.card.virtual_reader import default_virtual_reader

            if not default_virtual_reader().card_present:
                default_virtual_reader().insert(self._card())

    def pull_card(self) -> None:
        if self.uses_pcsc:
            if self._emulator is not None:
                self._emulator.stop()
                self._emulator = None
        else:
            from lap_app.card.virtual_reader import default_virtual_reader

            default_virtual_reader().remove()

    def _pull_own_card(self) -> None:
        """The physician's card out of the in-process reader, if it is still there (another
        card put there since — a test's — is not the demo's to pull)."""
        if self.physician_card is None:
            return
        from lap_app.card.virtual_reader import default_virtual_reader

        reader = default_virtual_reader()
        if reader.card is self.physician_card:
            reader.remove()

    # -- the application context -------------------------------------------------------------
    def context(self) -> AppContext:
        from lap_app.card import CardService
        from lap_app.demo.patients import seed_demo_patients
        from lap_app.demo.practice import demo_settings
        from lap_app.demo.window import DemoWindowExtension
        from lap_app.ui.context import assemble_context

        if self.prescrits is None:
            raise RuntimeError("DemoEnvironment.context() before start()")
        card_service = CardService(virtual=not self.uses_pcsc, pcsc=self.uses_pcsc)
        settings_file = self.root / "settings.json"
        context = assemble_context(demo_settings(settings_file), settings_file=settings_file,
                                   store_path=self.root / "lap.sqlite3", endpoint=self.endpoint,
                                   card_service=card_service, drugs_path=self.drugs_path, base_from_settings=False)
        extension = self.window_extension = DemoWindowExtension(self, self.prescrits)
        context.window_extensions.append(extension)
        self._closers.append(context.close)
        seed_demo_patients(context.services.patients)
        from lap_app.services.care_drafting import seed_ready_made_templates

        seed_ready_made_templates(context.services.drafting)  # « bilan diabète annuel », « INR hebdomadaire »…
        from lap_app.demo.history import seed_demo_history

        seed_demo_history(context.store, context.services.patients, context.settings.practice)
        return context
