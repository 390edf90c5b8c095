"""Keyboard shortcuts with the reach they are meant to have.

PySide6 drops the ``context`` keyword of ``QShortcut(keys, parent, slot, context=...)`` (the
overload that takes a slot): the shortcut silently stays window-wide. A line editor's Entrée
would then add its line from the patient list, a list's Suppr remove a line from anywhere.
``shortcut`` sets the context on the object itself."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QWidget


def shortcut(keys: QKeySequence | QKeySequence.StandardKey | str, parent: QWidget, slot: Callable[[], object],
             context: Qt.ShortcutContext = Qt.ShortcutContext.WindowShortcut) -> QShortcut:
    """A shortcut on ``parent`` calling ``slot``, active in ``context`` only."""
    made = QShortcut(QKeySequence(keys), parent)
    made.setContext(context)
    made.activated.connect(slot)
    return made
