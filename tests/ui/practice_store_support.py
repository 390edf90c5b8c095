"""What the patient and editor tests share: a real local store on a temp file, the application
context the widgets take, valid identifiers computed from their rule."""

from __future__ import annotations

import sqlite3
from datetime import date
from pathlib import Path

from PySide6.QtCore import QTimer

from lap_app.domain.model import Sex
from lap_app.services.drafting import DraftingLibrary
from lap_app.services.patients import PatientRecord, PatientService
from lap_app.ui.context import AppContext


def nir_with_key(nir13: str) -> str:
    """A NIR with the key computed by the published rule (97 − NIR mod 97)."""
    body = nir13.replace("2A", "19").replace("2B", "18")
    return nir13 + f"{97 - int(body) % 97:02d}"


def make_context(store_path: Path, drugs=None, connection: sqlite3.Connection | None = None) -> AppContext:
    """A complete context over the store at ``store_path`` (``tests/ui/contexts.py``); with
    ``connection``, the patients and drafts go through that one."""
    from contexts import complete_context

    context = complete_context(store_path, drugs=drugs)
    if connection is not None:
        context.services.patients = PatientService(connection)
        context.services.drafting = DraftingLibrary(connection)
        context.closers.append(connection.close)
    return context


def adult(**changes) -> PatientRecord:
    values = dict(family_name="Martin", given_names=["Hélène"], sex=Sex.FEMALE, birth_date=date(1962, 4, 17),
                  ins=nir_with_key("2620469123045"))
    values.update(changes)
    return PatientRecord(**values)


def type_text(qtbot, widget, text: str) -> None:
    """Type ``text`` key by key; QTest only synthesises ASCII keys (it aborts on "é"), so
    accented letters are inserted as an input method would. The widget gets the focus first,
    as it would from a click or Tab (so leaving a field fires its editingFinished)."""
    widget.setFocus()
    for char in text:
        if char.isascii():
            qtbot.keyClicks(widget, char)
        else:
            widget.insert(char)


def answer_confirmation(editor, button, seen: list) -> None:
    """Answer the editor's confirmation box with ``button`` once it is up (it runs its own event
    loop); its text goes into ``seen``."""
    def answer() -> None:
        box = editor.confirm_box
        if box is None or not box.isVisible():
            QTimer.singleShot(10, answer)
            return
        seen.append(box.text())
        box.button(button).click()

    QTimer.singleShot(0, answer)
