"""Before opening a window: is there a screen? Without one Qt aborts the process with English
text and a core dump, which no ``except`` can turn into a French message."""

from __future__ import annotations

import os
import sys

from lap_app.domain.errors import UserError
from lap_app.i18n import _


def require_display() -> None:
    if not sys.platform.startswith("linux") or os.environ.get("QT_QPA_PLATFORM"):
        return  # another system, or a platform chosen on purpose (offscreen, vnc...)
    if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        raise UserError(_("Aucun écran graphique (ni DISPLAY ni WAYLAND_DISPLAY) : lancez l'application depuis "
                          "la session graphique du poste"))
