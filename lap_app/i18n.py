"""Translation of user-facing strings.

Source strings are written in French (the application's language); ``_`` marks them for
extraction and looks them up in the catalogues under ``resources/locale`` when present.
Qt widgets use the same function so that one catalogue serves the CLI and the GUI.
"""

from __future__ import annotations

import gettext

from lap_app.paths import resources_dir

_translation = gettext.translation(
    "lap_app", localedir=str(resources_dir() / "locale"), fallback=True
)


def _(message: str) -> str:
    return _translation.gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return _translation.ngettext(singular, plural, n)
