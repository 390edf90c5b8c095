"""Translation of user-facing strings.

Source strings are written in French (the application's language); ``_`` marks them for
extraction and looks them up in the catalogues under ``resources/locale`` when present.
Qt widgets use the same function so that one catalogue serves the CLI and the GUI (Qt's own
strings, standard buttons and dialogs, come from Qt's catalogue: ``lap_app.ui.qt_translations``).

``N_`` marks a constant defined away from where it is translated (a table of labels, a
notice): it returns its argument unchanged, and ``_(CONSTANT)`` translates it at use. Every
``_()`` argument is a literal or such a marked constant, so that
``packaging/i18n/extract_messages.py`` finds every message (checked by ``tests/test_i18n.py``).

Not marked, by design: the texts that make up the prescription itself stay French whatever
the interface language: the posology sentence and its words (``lap_app.domain.posology_text``:
units, time words, also the duration printed beside a line), drug names and BDPM texts, and
everything that goes into the signed FHIR Bundle. A French pharmacist reads and the French
health insurance registers them.
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
    if isinstance(_translation, gettext.GNUTranslations):  # a catalogue: its own plural rule
        return _translation.ngettext(singular, plural, n)
    # The source strings are French, where 0 and 1 take the singular ("0 ordonnance en attente");
    # gettext's fallback would apply the English rule.
    return singular if abs(n) < 2 else plural


def N_(message: str) -> str:  # noqa: N802 (the gettext convention)
    """gettext_noop: marks ``message`` for extraction; ``_()`` translates it where it is used."""
    return message
