"""The main window: login/lock page or the working area, menus, shortcuts, status bar."""

from __future__ import annotations

import logging

from PySide6.QtCore import QRect, Qt, QTimer
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QFrame,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QMessageBox,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from lap_app.domain.errors import UserError
from lap_app.i18n import _, ngettext
from lap_app.ui.card_watch import CardWatcher, WatchState
from lap_app.ui.context import AppContext
from lap_app.ui.login import LoginPage, holder_name, holder_summary
from lap_app.ui.style import set_role
from lap_app.ui.workers import card_pool, run_task

log = logging.getLogger(__name__)

STATUS_REFRESH_MS = 10_000
WARM_UP_DELAY_MS = 300  # the client and rendering stacks load once the window is painted


class MainWindow(QMainWindow):
    def __init__(self, context: AppContext) -> None:
        super().__init__()
        self.context = context
        self.setWindowTitle(_("Ordonnance numérique"))  # Qt appends the display name, « LAP »
        self.resize(1360, 820)
        self.watcher = CardWatcher(context.card_service, self)

        self.login_page = LoginPage(context, self.watcher)
        self.login_page.unlocked.connect(self._on_unlocked)
        self.work_area = self._build_work_area()
        self.stack = QStackedWidget()
        self.stack.addWidget(self.login_page)
        self.stack.addWidget(self.work_area)

        central = QWidget()
        column = QVBoxLayout(central)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        if context.demo is not None:
            column.addWidget(self._demo_banner())
        column.addWidget(self.stack, 1)
        self.setCentralWidget(central)

        self._build_status_bar()
        self._build_menus()
        self.watcher.state_changed.connect(self._show_card_state)
        self.watcher.card_removed.connect(lambda: self.lock(pulled=True))
        self._status_timer = QTimer(self)
        self._status_timer.setInterval(STATUS_REFRESH_MS)
        self._status_timer.timeout.connect(self.refresh_status)
        self._status_timer.start()
        self.watcher.start()
        self.refresh_status()
        if context.services.prescribing is not None:
            # after the first paint: importing the client and rendering stacks in a thread holds
            # the interpreter lock, which would delay the window the GP is waiting for
            warm_up = context.services.prescribing.warm_up
            QTimer.singleShot(WARM_UP_DELAY_MS, self, lambda: run_task(warm_up))

    # -- layout ------------------------------------------------------------------------------
    def _demo_banner(self) -> QFrame:
        banner = QFrame()
        set_role(banner, "banner")
        row = QHBoxLayout(banner)
        row.setContentsMargins(12, 4, 12, 4)
        text = QLabel(_("Mode démonstration — base de référence locale, carte CPS virtuelle "
                        "(code porteur : 1234), données fictives."))
        row.addWidget(text, 1)
        return banner

    def _build_work_area(self) -> QWidget:
        from lap_app.ui.editor import PrescriptionEditor
        from lap_app.ui.history import HistoryPanel
        from lap_app.ui.patient_panel import PatientPanel

        self.patient_panel = PatientPanel(self.context)
        self.editor = PrescriptionEditor(self.context)
        self.history = HistoryPanel(self.context)
        self.patient_panel.patient_selected.connect(self._on_patient_selected)
        self.patient_panel.done.connect(self.editor.focus_search)  # Enter on a patient: the drugs next
        self.editor.validate_requested.connect(self.validate)
        self.history.renew_requested.connect(self.editor.renew_with)
        self.editor.lines_changed.connect(self.patient_panel.refresh_draft_marks)  # drafts saved

        right = QSplitter(Qt.Orientation.Vertical)
        right.addWidget(self.editor.alerts_panel())
        right.addWidget(self.history)
        right.setStretchFactor(0, 3)
        right.setStretchFactor(1, 2)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self.patient_panel)
        splitter.addWidget(self.editor)
        splitter.addWidget(right)
        splitter.setStretchFactor(0, 2)
        splitter.setStretchFactor(1, 5)
        splitter.setStretchFactor(2, 3)
        splitter.setSizes([250, 790, 340])  # the editor's results get the width (1366-pixel laptop)
        wrapper = QWidget()
        layout = QVBoxLayout(wrapper)
        layout.setContentsMargins(6, 6, 6, 6)  # with the panels' minimums: fits a 1366-pixel screen
        layout.addWidget(splitter)
        return wrapper

    def _build_status_bar(self) -> None:
        bar = self.statusBar()
        self.card_status = QLabel(_("Carte : —"))
        self.base_status = QLabel(_("Base : —"))
        self.outbox_status = QLabel(_("En attente d'envoi : —"))
        for label in (self.card_status, self.base_status, self.outbox_status):
            bar.addPermanentWidget(label)

    def _build_menus(self) -> None:
        menu_file = self.menuBar().addMenu(_("&Fichier"))
        self._action(menu_file, _("&Paramètres…"), self.open_settings, QKeySequence.StandardKey.Preferences,
                     "Ctrl+,")
        menu_file.addSeparator()
        self._action(menu_file, _("&Quitter"), self.close, QKeySequence.StandardKey.Quit, "Ctrl+Q")

        menu_patient = self.menuBar().addMenu(_("&Patient"))
        self._action(menu_patient, _("&Rechercher un patient"), self.focus_patient_search, None, "Ctrl+Shift+F")
        self._action(menu_patient, _("&Nouveau patient…"), self._new_patient, None, "")

        menu_rx = self.menuBar().addMenu(_("&Ordonnance"))
        # Ctrl+F is the editor's own shortcut (it works wherever the keyboard is in the window)
        self._action(menu_rx, _("Rechercher un &médicament\tCtrl+F"), self.editor.focus_search, None, "")
        # Ctrl+Entrée is the editor's own shortcut (it checks the line being edited first)
        self.validate_action = self._action(menu_rx, _("&Valider et signer\tCtrl+Entrée"), self.validate, None, "")
        self._action(menu_rx, _("&Nouvelle ordonnance"), self.new_ordonnance, None, "Ctrl+N")
        self._action(menu_rx, _("Imprimer à nouveau la &dernière"), self.reprint_last, None, "Ctrl+P")
        self._action(menu_rx, _("Envoyer les ordonnances en &attente"), self.flush_outbox, None, "Ctrl+Shift+E")

        menu_card = self.menuBar().addMenu(_("&Carte"))
        self._action(menu_card, _("&Verrouiller la session"), self.lock, None, "Ctrl+L")

        if self.context.demo is not None:
            menu_demo = self.menuBar().addMenu(_("&Démo"))
            self._action(menu_demo, _("&Insérer la carte du médecin"), lambda: self._demo_card("insert_card"),
                         None, "Ctrl+Shift+I")
            self._action(menu_demo, _("&Retirer la carte"), lambda: self._demo_card("pull_card"), None,
                         "Ctrl+Shift+R")
            menu_demo.addSeparator()
            self._action(menu_demo, _("&Pharmacie (démo)…"), self.open_pharmacy, None, "Ctrl+Shift+P")

    def _demo_card(self, what: str) -> None:
        try:
            getattr(self.context.demo, what)()
        except Exception as error:  # noqa: BLE001 - shown, never a traceback
            self._error(error)

    def _action(self, menu, text, slot, standard, fallback: str) -> QAction:
        action = QAction(text, self)
        keys = QKeySequence.keyBindings(standard) if standard is not None else []
        if keys or fallback:
            action.setShortcuts(keys or [QKeySequence(fallback)])
        action.triggered.connect(slot)
        menu.addAction(action)
        return action

    # -- session -----------------------------------------------------------------------------
    def is_locked(self) -> bool:
        return self.stack.currentWidget() is self.login_page

    def _on_unlocked(self, identity, card) -> None:
        session = self.context.session
        session.identity, session.card, session.locked = identity, card, False
        session.reader = self.watcher.state.card_reader
        self.stack.setCurrentWidget(self.work_area)
        self.card_status.setText(_("Carte : {holder}").format(holder=holder_summary(identity)))
        # back where the physician was before the lock (typing goes on where it stopped)
        resume: QWidget | None = getattr(self, "_focus_before_lock", None)
        self._focus_before_lock: QWidget | None = None
        try:
            resumed = resume is not None and resume.isVisible() and resume.isEnabled()
        except RuntimeError:  # the widget went away while locked (a line editor closed)
            resumed = False
        (resume if resumed and resume is not None else self.patient_panel.search_edit).setFocus()
        self.flush_outbox(quiet=True)

    def lock(self, pulled: bool = False) -> None:
        """Lock the session: the working area (and the draft in it) stays as is, hidden."""
        session = self.context.session
        if session.locked:
            return
        session.locked, session.card = True, None
        focused = QApplication.focusWidget()
        self._focus_before_lock = focused if focused is not None and self.work_area.isAncestorOf(focused) else None
        if session.identity is not None:
            self.login_page.set_locked_mode(holder_name(session.identity), pulled)
        self.stack.setCurrentWidget(self.login_page)
        self.card_status.setText(_("Carte : session verrouillée"))
        log.info("session locked")

    def _show_card_state(self, state: WatchState) -> None:
        session = self.context.session
        if not session.locked and session.identity is not None:
            return  # the holder's name stays shown while the session is open
        if state.error:
            self.card_status.setText(_("Carte : {error}").format(error=state.error))
        elif state.card_present:
            self.card_status.setText(_("Carte : insérée"))
        else:
            self.card_status.setText(_("Carte : absente"))

    # -- status bar --------------------------------------------------------------------------
    def refresh_status(self) -> None:
        prescribing = self.context.services.prescribing
        if prescribing is None or not prescribing.has_base:
            self.base_status.setText(_("Base : non configurée"))
            set_role(self.base_status, "")
            if prescribing is not None:  # the outbox is local: its count shows all the same
                run_task(prescribing.status, on_done=self._show_outbox, receiver=self)
            return
        run_task(prescribing.status, on_done=self._show_status, on_error=lambda e: self._show_status(None),
                 receiver=self)

    def _show_status(self, status) -> None:
        if status is None:
            self.base_status.setText(_("Base : état inconnu"))
            return
        self.base_status.setText(_("Base : connectée") if status.base_reachable else _("Base : injoignable"))
        set_role(self.base_status, "ok" if status.base_reachable else "error")
        self._show_outbox(status)
        if status.base_reachable and status.outbox_count:  # the base is back: send what waits
            self.flush_outbox(quiet=True)

    def _show_outbox(self, status) -> None:
        text = ngettext("{n} ordonnance en attente d'envoi", "{n} ordonnances en attente d'envoi",
                        status.outbox_count).format(n=status.outbox_count)
        expiring = getattr(status, "expiring", ())
        if expiring:  # a queued number near its deadline: its printed QR code would die
            text += " — " + ngettext("{n} numéro bientôt expiré", "{n} numéros bientôt expirés",
                                     len(expiring)).format(n=len(expiring))
        self.outbox_status.setText(text)
        self.outbox_status.setToolTip("\n".join(expiring))
        set_role(self.outbox_status, "error" if expiring else "")

    # -- actions -----------------------------------------------------------------------------
    def _on_patient_selected(self, record) -> None:
        self.editor.set_patient(record)
        self.history.set_patient(record)

    def validate(self) -> None:
        if self.is_locked():
            return
        from lap_app.ui.validation_flow import ValidationFlow

        record = self.patient_panel.current_patient()
        flow = ValidationFlow(self.context, self)
        # the draft cleared is the one signed, even if another patient is shown by then
        flow.finished_ok.connect(lambda result: self._after_validation(result, record))
        flow.start(record, self.editor.draft_lines(), self.editor.alerts_panel().unacknowledged_contraindications())
        self._flow = flow

    def _after_validation(self, result, record) -> None:
        self.editor.clear(record)
        self.history.refresh()
        self.refresh_status()

    def new_ordonnance(self) -> None:
        if self.editor.draft_lines() and QMessageBox.question(
            self, _("Nouvelle ordonnance"), _("Abandonner l'ordonnance en cours ?")
        ) != QMessageBox.StandardButton.Yes:
            return
        self.editor.clear()

    def focus_patient_search(self) -> None:
        if not self.is_locked():
            self.patient_panel.focus_search()

    def _new_patient(self) -> None:
        if not self.is_locked():
            self.patient_panel.open_form()

    def reprint_last(self) -> None:
        self.history.reprint_selected()

    def flush_outbox(self, quiet: bool = False) -> None:
        prescribing, card = self.context.services.prescribing, self.context.session.card
        if prescribing is None or not prescribing.has_base or card is None:
            return
        run_task(lambda: prescribing.flush(card), on_done=self._flushed,
                 on_error=lambda e: None if quiet else self._error(e), pool=card_pool(), receiver=self)

    def _flushed(self, report) -> None:
        if report is None:
            return
        self.statusBar().showMessage(ngettext(
            "{n} ordonnance envoyée à la base", "{n} ordonnances envoyées à la base", len(report.registered))
            .format(n=len(report.registered)), 8000)
        self.history.refresh()
        if report.refused:
            self._error(UserError(_("Refusée(s) par la base : {details}").format(
                details="; ".join(f"{number} : {reason}" for number, reason in report.refused.items()))))
        if report.registered:  # a failed flush would otherwise loop with the status refresh
            self.refresh_status()

    def _error(self, error: BaseException) -> None:
        from lap_app.ui.errors import show_error

        show_error(self, error)

    def open_settings(self) -> None:
        from lap_app.ui.settings_dialog import SettingsDialog

        before = (self.context.settings.base.url, self.context.settings.base.ca_path)
        dialog = SettingsDialog(self.context, self)
        if dialog.exec() and self.context.demo is None and before != (
                self.context.settings.base.url, self.context.settings.base.ca_path):
            self._use_base_from_settings()

    def _use_base_from_settings(self) -> None:
        """Another base in the settings: the next validations go there (the demo keeps its own)."""
        from lap_app.services.base_connection import base_endpoint
        from lap_app.services.desk import PrescribingDesk

        old = self.context.services.prescribing
        try:
            endpoint = base_endpoint(self.context.settings.base.url, self.context.settings.base.ca_path or None) \
                if self.context.settings.base.url else None  # no base: the local history stays
        except UserError as error:
            self._error(error)
            return
        self.context.services.prescribing = PrescribingDesk(endpoint, self.context.store)
        self.context.closers.append(self.context.services.prescribing.close)
        if old is not None:
            old.close()
        self.refresh_status()

    def open_pharmacy(self) -> None:
        from lap_app.ui.pharmacy_demo import PharmacyWindow

        if getattr(self, "_pharmacy", None) is None:
            self._pharmacy = PharmacyWindow(self.context)
        self._pharmacy.show()
        self._pharmacy.raise_()
        self._pharmacy.activateWindow()  # the keys go to the pharmacy, as the GP expects

    # -- screen ------------------------------------------------------------------------------
    def fit_to_screen(self, available: QRect | None = None) -> None:
        """Never taller than the screen's available geometry (without the taskbar), title bar
        included: on a 1366 × 768 laptop the status bar and « Valider » stay on screen (the
        editor's middle scrolls when a line and a notice need more height)."""
        if available is None:
            screen = self.screen()
            if screen is None:
                return
            available = screen.availableGeometry()
        title_bar = max(0, self.frameGeometry().height() - self.geometry().height())  # 0 until shown
        limit = max(self.minimumSizeHint().height(), available.height() - title_bar)
        self.setMaximumHeight(limit)
        if self.height() > limit:
            self.resize(self.width(), limit)

    def showEvent(self, event) -> None:
        super().showEvent(event)
        self.fit_to_screen()
        handle = self.windowHandle()
        if handle is not None and not getattr(self, "_screen_followed", False):
            handle.screenChanged.connect(lambda _screen: self.fit_to_screen())  # moved to another screen
            self._screen_followed = True

    def closeEvent(self, event) -> None:
        self.watcher.stop()
        self._status_timer.stop()
        super().closeEvent(event)
