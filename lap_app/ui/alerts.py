"""Live alerts beside the ordonnance: interactions by level, redundancy, allergies, conditions.

A contre-indication or an allergy (``DraftAlert.blocking``) needs an explicit acknowledgement
before the ordonnance can be signed: each such alert carries a check box;
``unacknowledged_alerts()`` tells the validation flow what is still unticked and
``acknowledged_ids()`` what the prescribing service records as acknowledged. Nothing else
blocks: the physician decides.
Acknowledgements survive recomputation as long as the same alert (same drugs, same
substances) is still raised. With no alert the panel folds to its title and « Aucune alerte »,
and the splitter it sits in gives the height to its neighbour (the patient's history); the
first alert unfolds it to the height it had, without taking the keyboard from where it is.
"""

from __future__ import annotations

from html import escape

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QCheckBox, QFrame, QLabel, QScrollArea, QSizePolicy, QSplitter, QVBoxLayout, QWidget

from lap_app.i18n import _, ngettext
from lap_app.services.drafting import DraftAlert
from lap_app.ui.object_names import named

QWIDGETSIZE_MAX = (1 << 24) - 1  # Qt's "no maximum"
UNFOLDED_SHARE = 0.6  # of the splitter, the first time alerts come (the window's 3 : 2)

LEVEL_COLOURS = {
    "CI": "#b3261e", "ALLERGY": "#b3261e", "AD": "#c25e00", "REDUNDANCY": "#9a6700",
    "PE": "#9a6700", "APEC": "#2f6f8f", "CONDITION": "#5a6670",
}


class AlertCard(QFrame):
    """One alert: level, drugs involved, description, what to do; a check box for a CI."""

    def __init__(self, alert: DraftAlert, acknowledged: bool, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.alert = alert
        colour = LEVEL_COLOURS.get(alert.level, "#5a6670")
        self.setObjectName(f"alert{alert.level}")
        self.setStyleSheet(
            f"QFrame#{self.objectName()} {{ background: #ffffff; border: 1px solid #d8dde3;"
            f" border-left: 5px solid {colour}; border-radius: 4px; }}"
        )
        text = f"<span style='color:{colour}; font-weight:600'>{escape(alert.level_label)}</span>"
        text += f"<br><b>{escape(alert.title)}</b>"
        if alert.drugs:
            text += f"<br><span style='color:#4a5560'>{escape(alert.drugs)}</span>"
        if alert.description:
            text += f"<br>{escape(alert.description)}"
        if alert.conduct:
            text += f"<br><i>{escape(alert.conduct)}</i>"
        label = QLabel(text, wordWrap=True)
        label.setTextFormat(Qt.TextFormat.RichText)
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        # wrap to the panel's width instead of widening it to the longest word run
        label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        label.setMinimumWidth(160)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 6)
        layout.addWidget(label)
        self.ack_check: QCheckBox | None = None
        if alert.blocking:
            self.ack_check = named(QCheckBox(_("Je maintiens en connaissance de cause")), "acknowledgeCI")
            self.ack_check.setToolTip(_("Alerte lue : je maintiens cette prescription."))
            self.ack_check.setChecked(acknowledged)
            layout.addWidget(self.ack_check)


class AlertsPanel(QWidget):
    """The list of alerts for the current draft; emits ``changed()`` when alerts or acks change."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("alertsPanel")
        self._alerts: list[DraftAlert] = []
        self._acknowledged: set[tuple] = set()
        self._cards: list[AlertCard] = []
        self.title = QLabel(_("Alertes"))
        self.title.setProperty("role", "title")
        self.summary = named(QLabel(wordWrap=True), "alertsSummary")
        self.summary.setProperty("role", "subtitle")
        self._body = QWidget()
        self._body_layout = QVBoxLayout(self._body)
        self._body_layout.setContentsMargins(0, 0, 0, 0)
        self._body_layout.addStretch(1)
        scroll = self._scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(self._body)
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addWidget(self.summary)
        layout.addWidget(scroll, 1)
        self._unfolded_sizes: list[int] | None = None  # the splitter's sizes before the panel folded
        self.set_alerts([])

    def set_alerts(self, alerts: list[DraftAlert]) -> None:
        """Show ``alerts`` (worst first); keep acknowledgements of alerts still present."""
        self._alerts = list(alerts)
        self._acknowledged &= {a.key for a in self._alerts if a.blocking}
        for card in self._cards:
            card.setParent(None)
            card.deleteLater()
        self._cards = []
        for alert in self._alerts:
            card = AlertCard(alert, alert.key in self._acknowledged, self._body)
            if card.ack_check is not None:
                card.ack_check.toggled.connect(lambda on, key=alert.key: self._acknowledge(key, on))
            self._body_layout.insertWidget(self._body_layout.count() - 1, card)
            card.show()  # a layout shows late-added children only at the next event loop turn
            self._cards.append(card)
        self._update_summary()
        self._fold(not self._alerts)
        self.changed.emit()

    def is_folded(self) -> bool:
        return self._scroll.isHidden()

    def _fold(self, fold: bool) -> None:
        """Fold to the title and the summary (no alert), or unfold (alerts): the list's room goes
        to the neighbour in a vertical splitter, and comes back as it was. Focus is not moved."""
        if fold == self.is_folded():
            return
        parent = self.parentWidget()
        splitter = parent if isinstance(parent, QSplitter) else None
        vertical = splitter is not None and splitter.orientation() == Qt.Orientation.Vertical
        if fold:
            if vertical and splitter is not None:
                self._unfolded_sizes = splitter.sizes()
            self._scroll.setVisible(False)
            self.setMaximumHeight(self.sizeHint().height())
            return
        self._scroll.setVisible(True)
        self.setMaximumHeight(QWIDGETSIZE_MAX)
        if vertical and splitter is not None:
            sizes = splitter.sizes()
            total, index = sum(sizes), splitter.indexOf(self)
            wanted = self._unfolded_sizes if self._unfolded_sizes and sum(self._unfolded_sizes) else None
            share = wanted[index] / sum(wanted) if wanted else UNFOLDED_SHARE
            mine = max(int(total * share), self.minimumSizeHint().height())
            rest = total - sizes[index]
            splitter.setSizes([mine if i == index else max(0, int(size * (total - mine) / rest)) if rest else 0
                               for i, size in enumerate(sizes)])

    def alerts(self) -> list[DraftAlert]:
        return list(self._alerts)

    def cards(self) -> list[AlertCard]:
        return list(self._cards)

    def unacknowledged_alerts(self) -> list[DraftAlert]:
        """The contre-indications and allergies not acknowledged yet (they block signing)."""
        return [a for a in self._alerts if a.blocking and a.key not in self._acknowledged]

    def acknowledged_ids(self) -> list[str]:
        """The ids of the blocking alerts the physician ticked (``DraftAlert.alert_id``)."""
        return [a.alert_id for a in self._alerts if a.blocking and a.key in self._acknowledged]

    def focus_first_unacknowledged(self) -> bool:
        """Put the keyboard on the first CI box still unticked (Space ticks it); False if none."""
        for card in self._cards:
            if card.ack_check is not None and not card.ack_check.isChecked():
                self._scroll.ensureWidgetVisible(card.ack_check)
                card.ack_check.setFocus(Qt.FocusReason.OtherFocusReason)
                return True
        return False

    def _acknowledge(self, key: tuple, on: bool) -> None:
        if on:
            self._acknowledged.add(key)
        else:
            self._acknowledged.discard(key)
        self._update_summary()
        self.changed.emit()

    def _update_summary(self) -> None:
        if not self._alerts:
            self.summary.setText(_("Aucune alerte pour cette ordonnance."))
            return
        text = ngettext("{n} alerte", "{n} alertes", len(self._alerts)).format(n=len(self._alerts))
        pending = self.unacknowledged_alerts()
        ci = sum(1 for a in pending if a.level == "CI")
        allergies = len(pending) - ci
        parts = []
        if ci:
            parts.append(ngettext("{n} contre-indication", "{n} contre-indications", ci).format(n=ci))
        if allergies:
            parts.append(ngettext("{n} allergie", "{n} allergies", allergies).format(n=allergies))
        if parts:
            text += " — " + _("{alerts} à confirmer avant de valider").format(alerts=_(" et ").join(parts))
        self.summary.setText(text)
