"""The lines of the ordonnance, in order, as the physician will read them on paper.

Keys: Enter edits the selected line, Delete removes it, Alt+Up / Alt+Down move it.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QHBoxLayout, QListWidget, QListWidgetItem, QPushButton, QVBoxLayout, QWidget

from lap_app.domain.model import PrescriptionLine, Zone
from lap_app.domain.posology_rules import IncompletePosology
from lap_app.i18n import _, ngettext
from lap_app.ui.object_names import named
from lap_app.ui.shortcuts import shortcut

MIN_LINES_SHOWN, MAX_LINES_SHOWN = 2, 5
DURATION_WORDS = {"d": ("jour", "jours"), "wk": ("semaine", "semaines"), "mo": ("mois", "mois")}


def line_summary(index: int, line: PrescriptionLine) -> str:
    """Two lines of text: the wording, then posology and the mentions that go with it."""
    try:
        sentence = line.posology.sentence()
    except IncompletePosology:  # a line kept from an incomplete draft: the validation will say what
        sentence = "…"
    details = [sentence]
    if line.boxes:
        details.append(ngettext("{n} boîte", "{n} boîtes", line.boxes).format(n=line.boxes))
    if line.renewals:
        details.append(ngettext("à renouveler {n} fois", "à renouveler {n} fois", line.renewals).format(n=line.renewals))
    if not line.substitution_allowed:
        reason = line.non_substitution_reason.value if line.non_substitution_reason else "?"
        details.append(_("non substituable ({reason})").format(reason=reason))
    if line.instructions:
        details.append(line.instructions)
    zone = "  [ALD]" if line.zone is Zone.ALD else ""
    return f"{index + 1}. {line.dci_wording}{zone}\n    " + " · ".join(details)


class LinesView(QWidget):
    edit_requested = Signal(int)
    remove_requested = Signal(int)
    move_requested = Signal(int, int)  # index, delta
    favourite_requested = Signal(int)

    def __init__(self, parent: QWidget | None = None, buttons_apart: bool = False) -> None:
        """``buttons_apart``: the owner lays out ``buttons_bar`` (beside « Valider », so that
        the height goes to the drug results)."""
        super().__init__(parent)
        self.setObjectName("linesView")
        self.list = named(QListWidget(), "lines")
        self.list.setAlternatingRowColors(True)
        self.list.setWordWrap(True)
        self.up_button = named(QPushButton(_("Monter")), "lineUp")
        self.down_button = named(QPushButton(_("Descendre")), "lineDown")
        self.edit_button = named(QPushButton(_("Modifier")), "lineEdit")
        self.remove_button = named(QPushButton(_("Supprimer")), "lineRemove")
        self.favourite_button = named(QPushButton(_("★ Favori")), "lineFavourite")
        self.up_button.setToolTip("Alt+↑")
        self.down_button.setToolTip("Alt+↓")
        self.remove_button.setToolTip(_("Suppr"))
        self.buttons_bar = named(QWidget(), "lineButtons")
        buttons = QHBoxLayout(self.buttons_bar)
        buttons.setContentsMargins(0, 0, 0, 0)
        for button in (self.up_button, self.down_button, self.edit_button, self.remove_button, self.favourite_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.list)
        if not buttons_apart:
            layout.addWidget(self.buttons_bar)

        self.up_button.clicked.connect(lambda: self._emit_move(-1))
        self.down_button.clicked.connect(lambda: self._emit_move(1))
        self.edit_button.clicked.connect(lambda: self._emit(self.edit_requested))
        self.remove_button.clicked.connect(lambda: self._emit(self.remove_requested))
        self.favourite_button.clicked.connect(lambda: self._emit(self.favourite_requested))
        self.list.itemActivated.connect(lambda _item: self._emit(self.edit_requested))
        self.list.currentRowChanged.connect(self._update_buttons)
        shortcuts = (
            (QKeySequence(Qt.Key.Key_Delete), lambda: self._emit(self.remove_requested)),
            (QKeySequence("Alt+Up"), lambda: self._emit_move(-1)),
            (QKeySequence("Alt+Down"), lambda: self._emit_move(1)),
        )
        for sequence, slot in shortcuts:
            shortcut(sequence, self.list, slot, Qt.ShortcutContext.WidgetShortcut)
        self._fit_height(0)
        self._update_buttons()

    def show_lines(self, lines: list[PrescriptionLine], current: int | None = None) -> None:
        self.list.clear()
        for index, line in enumerate(lines):
            item = QListWidgetItem(line_summary(index, line))
            if line.zone is Zone.ALD:
                item.setBackground(Qt.GlobalColor.transparent)
            self.list.addItem(item)
        if lines:
            self.list.setCurrentRow(min(len(lines) - 1, current if current is not None else len(lines) - 1))
        self._fit_height(len(lines))
        self._update_buttons()

    def _fit_height(self, count: int) -> None:
        """As tall as its lines, from two to five (then it scrolls): the height left goes to the
        drug results above, which the GP reads while writing."""
        row = self.list.sizeHintForRow(0) if count else 2 * self.list.fontMetrics().lineSpacing() + 6
        shown = min(max(count, MIN_LINES_SHOWN), MAX_LINES_SHOWN)
        self.list.setFixedHeight(shown * max(row, 1) + 2 * self.list.frameWidth() + 4)

    def _emit(self, signal) -> None:
        row = self.list.currentRow()
        if row >= 0:
            signal.emit(row)

    def _emit_move(self, delta: int) -> None:
        row = self.list.currentRow()
        if row >= 0:
            self.move_requested.emit(row, delta)

    def _update_buttons(self, *_args) -> None:
        row, count = self.list.currentRow(), self.list.count()
        for button in (self.edit_button, self.remove_button, self.favourite_button):
            button.setEnabled(row >= 0)
        self.up_button.setEnabled(row > 0)
        self.down_button.setEnabled(0 <= row < count - 1)
