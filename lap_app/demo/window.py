"""What the demo adds to the main window: a banner saying what it is, the « Démo » menu (put
the physician's card in and out, the prescrits) and the prescrits' window. Installed by the
demo wiring through ``AppContext.window_extensions``: the main window knows nothing of it."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel

from lap_app.i18n import _
from lap_app.ui.style import set_role

if TYPE_CHECKING:
    from lap_app.demo.environment import DemoEnvironment
    from lap_app.demo.prescrit import DemoPrescrits
    from lap_app.demo.prescrit_window import PrescritWindow
    from lap_app.ui.main_window import MainWindow


def demo_banner() -> QFrame:
    banner = QFrame()
    banner.setObjectName("demoBanner")
    set_role(banner, "banner")
    row = QHBoxLayout(banner)
    row.setContentsMargins(12, 4, 12, 4)
    row.addWidget(QLabel(_("Mode démonstration — base de référence locale, carte CPS virtuelle "
                           "(code porteur : 1234), cabinet et patients fictifs.")), 1)
    return banner


class DemoWindowExtension:
    """Installs the demo's banner and menu in a main window (``AppContext.window_extensions``)."""

    def __init__(self, environment: DemoEnvironment, prescrits: DemoPrescrits) -> None:
        self._environment = environment
        self._prescrits = prescrits
        self._window: MainWindow | None = None
        self.prescrit_window: PrescritWindow | None = None

    def __call__(self, window: MainWindow) -> None:
        self._window = window
        window.add_banner(demo_banner())
        menu = window.add_menu(_("&Démo"))
        window.add_action(menu, _("&Insérer la carte du médecin"), lambda: self._card(self._environment.insert_card),
                          "Ctrl+Shift+I")
        window.add_action(menu, _("&Retirer la carte"), lambda: self._card(self._environment.pull_card),
                          "Ctrl+Shift+R")
        menu.addSeparator()
        window.add_action(menu, _("&Prescrit (démo)…"), self.open_prescrit, "Ctrl+Shift+P")

    def _card(self, action: Callable[[], None]) -> None:
        try:
            action()
        except Exception as error:  # noqa: BLE001 - shown, never a traceback
            from lap_app.ui.errors import show_error

            show_error(self._window, error)

    def open_prescrit(self) -> PrescritWindow:
        """« Prescrit (démo) »: a pharmacy, a lab, a nurse... each with its own demo card."""
        from lap_app.demo.prescrit_window import PrescritWindow

        if self.prescrit_window is None:
            self.prescrit_window = PrescritWindow(self._prescrits)
        self.prescrit_window.show()
        self.prescrit_window.raise_()
        self.prescrit_window.activateWindow()  # the keys (a scanner's too) go to the prescrit
        self.prescrit_window.number_edit.setFocus()
        return self.prescrit_window
