"""Card login and unlock: reader and card status live, holder read from the card, PIN.

The same page serves the first login and the unlock after the card was pulled; on unlock the
card must be the logged-in holder's (the draft on screen is theirs).
"""

from __future__ import annotations

import logging
from functools import partial
from typing import Any

from PySide6.QtCore import QEvent, QTimer, Signal
from PySide6.QtGui import QRegularExpressionValidator
from PySide6.QtWidgets import (
    QApplication,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from lap_app.card.errors import CardError
from lap_app.card.pin import tries_text
from lap_app.domain.errors import UserError
from lap_app.i18n import _
from lap_app.ui.card_watch import CardWatcher, WatchState
from lap_app.ui.context import AppContext
from lap_app.ui.style import set_initial_role, set_role
from lap_app.ui.workers import card_pool, run_task

log = logging.getLogger(__name__)


def holder_name(identity) -> str:
    """"Dr Claire MARTIN" for a physician, the bare name otherwise."""
    prefix = "Dr " if identity.profession_code == "10" else ""
    return prefix + identity.display_name


def holder_summary(identity, separator: str = " — ") -> str:
    """"Dr Claire MARTIN — Médecin — RPPS 10101234564" from a CardIdentity."""
    ids = f"{identity.profession_label} — {identity.id_type_label} {identity.number}"
    return f"{holder_name(identity)}{separator}{ids}"


def holder_block(identity) -> str:
    """The same on two lines, for the login page."""
    return holder_summary(identity, "\n")


def paint_changes_now(widget: QWidget) -> None:
    """What changed in ``widget``'s window, laid out and painted now (only the parts that
    changed): Qt's own repaint is a low-priority event, which would wait for the work queued
    behind it — the working area's build, a second or more on a busy workstation."""
    QApplication.sendPostedEvents(None, QEvent.Type.LayoutRequest)
    QApplication.sendPostedEvents(widget.window(), QEvent.Type.UpdateRequest)


def _at_top(label: QLabel) -> QVBoxLayout:
    """A grid label kept at the top of its row (beside a value wrapped on several lines).
    Without ``Qt.AlignmentFlag``: the first use of PySide's ``Qt`` namespace builds its ~90
    enums (~25 ms), which the first window does not need — it comes once the GP is in."""
    column = QVBoxLayout()
    column.addWidget(label)
    column.addStretch(1)
    return column



class LoginPage(QWidget):
    """Emits ``unlocked(identity, card)`` once the PIN is accepted, ``pin_ready`` whenever the
    PIN field becomes usable (a card read)."""

    unlocked = Signal(object, object)
    pin_ready = Signal()

    def __init__(self, context: AppContext, watcher: CardWatcher, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._context = context
        self._watcher = watcher
        self._card: Any = None  # the open card (CpsCard, or the PKCS#11 token's)
        self._identity = None
        self._busy = False

        self.title = QLabel(_("Connexion par carte CPS"))
        set_initial_role(self.title, "title")
        self.subtitle = QLabel(_("Insérez votre carte CPS puis saisissez votre code porteur."))
        set_initial_role(self.subtitle, "subtitle")
        self.subtitle.setWordWrap(True)
        self.reader_label = QLabel()
        self.reader_label.setWordWrap(True)  # a module path to install is a long sentence
        self.card_label = QLabel()
        self.card_label.setWordWrap(True)  # two lines at least: see _show_card
        self.pin_edit = QLineEdit()
        self.pin_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.pin_edit.setMaxLength(8)
        self.pin_edit.setValidator(QRegularExpressionValidator(r"\d{0,8}"))
        self.pin_edit.setPlaceholderText(_("Code porteur (4 à 8 chiffres)"))
        self.pin_edit.setAccessibleName(_("Code porteur"))
        self.pin_edit.returnPressed.connect(self.submit)
        self.tries_label = QLabel()
        self.message_label = QLabel()
        self.message_label.setWordWrap(True)
        self.login_button = QPushButton(_("Se connecter"))
        self.login_button.setProperty("primary", True)
        self.login_button.clicked.connect(self.submit)

        box = QFrame()
        box.setObjectName("loginBox")
        box.setStyleSheet("#loginBox { background: #ffffff; border: 1px solid #d8dde3; border-radius: 8px; }")
        box.setFixedWidth(600)  # a fixed width lets the wrapped labels get their full height
        column = QVBoxLayout(box)
        column.setContentsMargins(28, 24, 28, 24)
        column.setSpacing(8)
        column.addWidget(self.title)
        column.addWidget(self.subtitle)  # outside the grid: a wrapped label gets its full height here
        grid = QGridLayout()
        grid.setVerticalSpacing(10)
        column.addLayout(grid)
        grid.addLayout(_at_top(QLabel(_("Lecteur"))), 0, 0)
        grid.addWidget(self.reader_label, 0, 1)
        grid.addLayout(_at_top(QLabel(_("Carte"))), 1, 0)
        grid.addWidget(self.card_label, 1, 1)
        grid.addWidget(QLabel(_("Code porteur")), 2, 0)
        grid.addWidget(self.pin_edit, 2, 1)
        grid.addWidget(self.tries_label, 3, 1)
        grid.setColumnStretch(1, 1)
        column.addWidget(self.message_label)
        buttons = QHBoxLayout()
        buttons.addStretch(1)  # the button on the right
        buttons.addWidget(self.login_button)
        column.addLayout(buttons)
        # no alignment flag on the box: an aligned item gets its plain size hint, which does not
        # account for the wrapped labels' height at the box's real width
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(box)
        row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        layout.addLayout(row)
        layout.addStretch(2)

        watcher.state_changed.connect(self._show_reader_state)
        watcher.card_inserted.connect(self._read_card)
        watcher.card_removed.connect(self._card_gone)
        self._show_reader_state(watcher.state)
        if watcher.state.card_reader is not None:  # a card is present
            self._read_card(watcher.state.card_reader)
        self._refresh_controls()

    # -- state shown -------------------------------------------------------------------------
    def set_locked_mode(self, holder: str, pulled: bool) -> None:
        self.title.setText(_("Session verrouillée"))
        why = _("La carte a été retirée.") if pulled else _("Vous avez verrouillé la session.")
        again = (_("Réinsérez la carte de {holder} et saisissez le code porteur.") if pulled
                 else _("Saisissez le code porteur de {holder} pour reprendre.")).format(holder=holder)
        self.subtitle.setText(f"{why} {_('Votre ordonnance en cours est conservée.')} {again}")

    def _show_reader_state(self, state: WatchState) -> None:
        if state.error:
            self.reader_label.setText(state.error)
        elif not state.readers:
            self.reader_label.setText(_("Aucun lecteur de carte détecté"))
        else:
            self.reader_label.setText(state.card_reader or state.readers[0])
        if not state.card_present:
            self._show_card(_("Insérez votre carte CPS dans le lecteur."))

    def _show_card(self, text: str) -> None:
        """What the card line says, always on two lines at least (a one-line text gets an empty
        second one): the holder's name and profession then take the place of « Lecture de la
        carte… » without moving the box, nor the PIN field the GP may be typing in."""
        self.card_label.setText(text if "\n" in text else text + "\n")

    def _show_message(self, text: str, role: str = "error") -> None:
        self.message_label.setText(text)
        set_role(self.message_label, role if text else "")  # no text: no style to change

    def _refresh_controls(self) -> None:
        ready = self._card is not None and not self._busy
        self.pin_edit.setEnabled(ready)
        self.login_button.setEnabled(ready)
        if ready and self.isVisible():  # hidden (session open): the working area keeps the focus
            self.pin_edit.setFocus()
        if ready:
            self.pin_ready.emit()

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if self.pin_edit.isEnabled():  # shown again on lock: the PIN is what is typed next
            self.pin_edit.setFocus()

    def keyPressEvent(self, event) -> None:
        from PySide6.QtCore import Qt  # (see _at_top: not on the start-up path)

        if event.key() == Qt.Key.Key_Escape and self.pin_edit.isEnabled():
            self.cancel()
            return
        super().keyPressEvent(event)

    def cancel(self) -> None:
        """Échap: the digits typed are dropped and the page says the session did not open (a PIN
        already sent to the card cannot be called back: the field is closed meanwhile)."""
        self.pin_edit.clear()
        if self._context.session.identity is None:
            self._show_message(_("Connexion annulée : code porteur non saisi. La session n'est pas ouverte."),
                               "subtitle")
        else:
            self._show_message(_("Déverrouillage annulé : code porteur non saisi. La session reste verrouillée."),
                               "subtitle")  # (the page says already that the draft is kept)

    # -- card --------------------------------------------------------------------------------
    def _read_card(self, reader: str) -> None:
        service = self._context.card_service
        # On unlock the holder is checked before the PIN field opens; on the first login the
        # certificate is parsed just after the field is painted (cryptography's import and the
        # parse are most of a cold start's work): the GP can type the PIN meanwhile.
        check_holder = self._context.session.identity is not None

        def read():
            card = service.open(reader)
            card.read_serial()  # the card's answers, read here on the card thread; parsed later
            card.auth_certificate_der()
            return card, card.identity() if check_holder else None, card.pin_tries_left()

        self._busy = True
        self._show_card(_("Lecture de la carte…"))
        self._show_message("")
        run_task(read, on_done=self._card_read, on_error=self._card_failed, pool=card_pool())

    def _card_read(self, result) -> None:
        card, identity, tries = result
        self._busy = False
        if not self._watcher.state.card_present:  # pulled while it was being read
            self._close(card)
            self._refresh_controls()
            return
        expected = self._context.session.identity
        if expected is not None and identity.national_id != expected.national_id:
            self._close(card)
            self._card = None
            self._show_card(holder_block(identity))
            self._show_message(_("Cette carte n'est pas celle du praticien connecté ({holder}).").format(
                holder=holder_summary(expected)))
            self._refresh_controls()
            return
        self._card, self._identity = card, identity
        if identity is not None:
            self._show_card(holder_block(identity))
        elif tries == 0:
            self._show_holder(card)
        else:
            QTimer.singleShot(0, self, partial(self._show_holder, card))  # after the PIN field's paint
        if tries == 0:
            self._card = None
            self.tries_label.setText("")
            self._show_message(_("Carte bloquée : le code porteur a été saisi faux trois fois. "
                                 "Débloquez-la avec votre code de déblocage (PUK) ou contactez l'ANS."))
        else:
            self.tries_label.setText(tries_text(tries))
        self._refresh_controls()

    def _show_holder(self, card) -> None:
        """The holder's name and profession, parsed from the certificate the card gave."""
        if card is not self._card or self._identity is not None:  # pulled, or shown already
            return
        try:
            self._identity = card.identity()
        except CardError as error:  # an unreadable certificate: the card is refused
            self._close(card)
            self._card_failed(error)
            return
        self._show_card(holder_block(self._identity))
        if self.isVisible():  # now, not after the working area's build
            paint_changes_now(self)

    def _card_failed(self, error: BaseException) -> None:
        self._busy = False
        self._card = None
        self._show_card(_("Carte illisible"))
        self._show_message(error.message if isinstance(error, UserError) else _("La carte n'a pas pu être lue."))
        if not isinstance(error, UserError):
            log.error("card read failed", exc_info=error)
        self._refresh_controls()

    @staticmethod
    def _close(card) -> None:
        if card is not None:
            run_task(card.close, pool=card_pool())

    def _card_gone(self) -> None:
        self._close(self._card)
        self._card = self._identity = None
        self.tries_label.setText("")
        self.pin_edit.clear()
        self._show_message("")
        self._refresh_controls()

    # -- PIN ---------------------------------------------------------------------------------
    def submit(self) -> None:
        if self._card is not None and self._identity is None:  # typed before the holder showed
            self._show_holder(self._card)
        if self._card is None or self._busy:
            return
        pin = self.pin_edit.text()
        self.pin_edit.clear()  # the PIN is not kept on screen or in memory longer than needed
        if not 4 <= len(pin) <= 8:
            self._show_message(_("Le code porteur compte de 4 à 8 chiffres."))
            return
        card = self._card
        self._busy = True
        self._refresh_controls()
        self._show_message(_("Vérification du code…"), "subtitle")
        # the partial holds the PIN only until the card thread has sent it
        run_task(partial(card.verify_pin, pin), on_done=self._pin_checked, on_error=self._card_failed,
                 pool=card_pool())

    def _pin_checked(self, result) -> None:
        from lap_app.card.cps import PinStatus

        self._busy = False
        if result.accepted:
            self._show_message("")
            self.tries_label.setText("")
            card, identity = self._card, self._identity
            self.unlocked.emit(identity, card)
        elif result.status is PinStatus.BLOCKED:
            self._card = None
            self.tries_label.setText("")
            self._show_message(_("Code faux : la carte est maintenant bloquée. Débloquez-la avec votre "
                                 "code de déblocage (PUK) ou contactez l'ANS."))
        else:
            self.tries_label.setText(tries_text(result.tries_left, result.low))
            self._show_message(_("Code porteur incorrect."))
        self._refresh_controls()
