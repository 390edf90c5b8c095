"""The main window: login/lock page or the working area, menus, shortcuts, status bar."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QRect, QTimer
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QApplication, QLabel, QMainWindow, QMenu, QStackedWidget, QVBoxLayout, QWidget

from lap_app.domain.errors import UserError
from lap_app.i18n import _, ngettext
from lap_app.services.practice import practice_complete
from lap_app.ui.card_watch import CardWatcher, WatchState
from lap_app.ui.context import AppContext
from lap_app.ui.login import LoginPage, holder_name, holder_summary, paint_changes_now
from lap_app.ui.style import set_role
from lap_app.ui.workers import card_pool, run_task

if TYPE_CHECKING:  # (Qt's classes are built on first use: these not before the working area)
    from PySide6.QtWidgets import QDialog, QTabWidget

    from lap_app.ui.editor import PrescriptionEditor
    from lap_app.ui.editor.care_editor import CareEditor
    from lap_app.ui.history import HistoryPanel
    from lap_app.ui.patient_panel import PatientPanel

log = logging.getLogger(__name__)

STATUS_REFRESH_MS = 10_000
BACKGROUND_WORK_DELAY_MS = 1_000  # at the latest, when the card's state is slow to come
RENDERER_WARM_UP_DELAY_MS = 1_500  # after the first unlock: the working area painted, the GP reading it


class MainWindow(QMainWindow):
    def __init__(self, context: AppContext) -> None:
        super().__init__()
        self.context = context
        self.setWindowTitle(_("Ordonnance numérique"))  # Qt appends the display name, « LAP »
        self.resize(1360, 820)
        self.watcher = CardWatcher(context.card_service, self)

        self.login_page = LoginPage(context, self.watcher)
        self.login_page.unlocked.connect(self._on_unlocked)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.login_page)
        # The working area is built once the login page can take the PIN (or on first use):
        # the GP types the PIN meanwhile, instead of waiting for widgets not yet shown.
        self._work_area: QWidget | None = None
        self._closed = False

        central = QWidget()
        self._column = QVBoxLayout(central)
        self._column.setContentsMargins(0, 0, 0, 0)
        self._column.setSpacing(0)
        self._column.addWidget(self.stack, 1)
        self.setCentralWidget(central)

        self._build_status_bar()
        self._build_menus()
        for extend in context.window_extensions:  # the demo's banner, menu and windows
            extend(self)
        self.watcher.state_changed.connect(self._show_card_state)
        self.watcher.card_removed.connect(lambda: self.lock(pulled=True))
        self._status_asked = self._status_shown = 0  # an answer older than the one shown is dropped
        self._status_timer = QTimer(self)
        self._status_timer.setInterval(STATUS_REFRESH_MS)
        self._status_timer.timeout.connect(self.refresh_status)
        self._status_timer.start()
        self.watcher.start()
        self.practice_dialog: QDialog | None = None
        # The working area, the base probe and the client and rendering stacks load once the
        # login page can take the PIN (the card read; at once without a card to read) or after
        # a moment: their imports in a worker hold the interpreter lock, which would delay the
        # window the GP is waiting for.
        self._background_started = False
        self._renderer_warmed = False  # (once per window: the first unlock)
        if not self._has_base():
            self._show_no_base()  # known at once: no probe to wait for
        self.login_page.pin_ready.connect(self._start_background_work)
        self.watcher.state_changed.connect(self._start_unless_card_read)
        QTimer.singleShot(BACKGROUND_WORK_DELAY_MS, self, self._start_background_work)
        if not practice_complete(context.settings.practice):
            QTimer.singleShot(0, self.ask_practice)  # first start: before the first ordonnance

    # -- layout ------------------------------------------------------------------------------
    def add_banner(self, banner: QWidget) -> None:
        """A strip above the working area (the demo says what it is there)."""
        self._column.insertWidget(0, banner)

    def add_menu(self, title: str) -> QMenu:
        """A menu of the menu bar, after the application's own."""
        return self.menuBar().addMenu(title)

    def add_action(self, menu: QMenu, text: str, slot, shortcut: str = "") -> QAction:
        return self._action(menu, text, slot, None, shortcut)

    @property
    def work_area(self) -> QWidget:
        if self._work_area is None:
            wrapper = QWidget()
            self._build_work_area(wrapper)
            self.stack.addWidget(wrapper)
            self._work_area = wrapper
        return self._work_area

    @property
    def patient_panel(self) -> PatientPanel:
        return self._part("_patient_panel")

    @property
    def editor(self) -> PrescriptionEditor:
        return self._part("_editor")

    @property
    def care_editor(self) -> CareEditor:
        return self._part("_care_editor")

    @property
    def kinds_tabs(self) -> QTabWidget:
        return self._part("_kinds_tabs")

    @property
    def history(self) -> HistoryPanel:
        return self._part("_history")

    def _part(self, name: str) -> Any:
        self.work_area  # noqa: B018 - built on first use
        return getattr(self, name)

    def _build_work_area(self, wrapper: QWidget) -> None:
        from PySide6.QtCore import Qt  # (not on the start-up path: see login._at_top)
        from PySide6.QtGui import QShortcut
        from PySide6.QtWidgets import QSplitter, QTabWidget

        from lap_app.ui.editor import PrescriptionEditor
        from lap_app.ui.editor.care_editor import KIND_SHORTCUTS, CareEditor
        from lap_app.ui.history import HistoryPanel
        from lap_app.ui.patient_panel import PatientPanel

        # Containers first, then each panel joins its place: a widget given a parent is re-styled
        # with everything under it (the application's stylesheet), so panels nested bottom-up
        # were re-styled once per level (the editor four times: ~0.1 s of the build).
        layout = QVBoxLayout(wrapper)
        layout.setContentsMargins(6, 6, 6, 6)  # with the panels' minimums: fits a 1366-pixel screen
        splitter = QSplitter(Qt.Orientation.Horizontal)
        layout.addWidget(splitter)
        self._patient_panel = patient_panel = PatientPanel(self.context)
        splitter.addWidget(patient_panel)
        self._kinds_tabs = kinds_tabs = QTabWidget()
        kinds_tabs.setObjectName("kindsTabs")
        splitter.addWidget(kinds_tabs)
        right = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(right)

        self._editor = editor = PrescriptionEditor(self.context)
        kinds_tabs.addTab(editor, _("Médicaments (Ctrl+Alt+M)"))
        self._care_editor = care_editor = CareEditor(self.context)
        kinds_tabs.addTab(care_editor, _("Biologie, soins, dispositifs"))
        care_editor.kind_requested.connect(self._show_kind)
        care_editor.validate_button.clicked.connect(self.validate)
        for kind, sequence in KIND_SHORTCUTS.items():  # one per kind, whichever tab is shown
            QShortcut(QKeySequence(sequence), self, lambda k=kind: care_editor.choose_kind(k))
        right.addWidget(editor.alerts_panel())
        self._history = history = HistoryPanel(self.context)
        right.addWidget(history)
        right.setStretchFactor(0, 3)
        right.setStretchFactor(1, 2)
        splitter.setStretchFactor(0, 2)
        splitter.setStretchFactor(1, 5)
        splitter.setStretchFactor(2, 3)
        # once the panels are in: set before, the sizes would follow their growing contents
        splitter.setSizes([250, 790, 340])  # the editor's results get the width (1366-pixel laptop)

        patient_panel.patient_selected.connect(self._on_patient_selected)
        patient_panel.done.connect(editor.resume)  # Enter on a patient: their open line, or the drugs
        editor.validate_requested.connect(self.validate)
        history.renew_requested.connect(editor.renew_with)
        editor.lines_changed.connect(patient_panel.refresh_draft_marks)  # drafts saved
        care_editor.lines_changed.connect(patient_panel.refresh_draft_marks)
        care_editor.lines_changed.connect(self._count_care_lines)

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
        self._action(menu_rx, _("Rechercher un &médicament\tCtrl+F"), lambda: self.editor.focus_search(), None, "")
        # Ctrl+Entrée is the editor's own shortcut (it checks the line being edited first)
        self.validate_action = self._action(menu_rx, _("&Valider et signer\tCtrl+Entrée"), self.validate, None, "")
        self._action(menu_rx, _("&Nouvelle ordonnance"), self.new_ordonnance, None, "Ctrl+N")
        self._action(menu_rx, _("Imprimer à nouveau la &dernière"), self.reprint_last, None, "Ctrl+P")
        self._action(menu_rx, _("Envoyer les ordonnances en &attente"), self.flush_outbox, None, "Ctrl+Shift+E")

        menu_card = self.menuBar().addMenu(_("&Carte"))
        self._action(menu_card, _("&Verrouiller la session"), self.lock, None, "Ctrl+L")

    def _action(self, menu, text, slot, standard, fallback: str) -> QAction:
        action = menu.addAction(text)  # (``QAction(text, parent)`` would build PySide's QIcon class, ~2 ms)
        keys = QKeySequence.keyBindings(standard) if standard is not None else []
        if keys or fallback:
            action.setShortcuts(keys or [QKeySequence(fallback)])
        action.triggered.connect(slot)
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
        if not self._renderer_warmed:
            self._renderer_warmed = True
            QTimer.singleShot(RENDERER_WARM_UP_DELAY_MS, self, self._warm_renderer)

    def _warm_renderer(self) -> None:
        """The PDF renderer's one-time set-up (fonts, ~0.2 s) done now, on the card thread, rather
        than during the first validation the GP waits for; never before the login: it would
        compete with the window's start-up."""
        run_task(self.context.services.prescribing.warm_renderer,
                 on_error=lambda error: log.warning("renderer warm-up failed: %s", error), pool=card_pool(),
                 receiver=self)

    def lock(self, pulled: bool = False) -> None:
        """Lock the session: the working area (and the draft in it) stays as is, hidden."""
        session = self.context.session
        if session.locked:
            return
        session.locked, session.card = True, None
        focused = QApplication.focusWidget()
        in_work_area = focused is not None and self._work_area is not None and self._work_area.isAncestorOf(focused)
        self._focus_before_lock = focused if in_work_area else None
        if session.identity is not None:
            self.login_page.set_locked_mode(holder_name(session.identity), pulled)
        self.stack.setCurrentWidget(self.login_page)
        self.statusBar().clearMessage()  # (a signature abandoned is the unlocked session's news)
        self.card_status.setText(_("Carte : session verrouillée"))
        log.info("session locked")

    def _prepare_work_area(self) -> None:
        if not self._closed:  # closed meanwhile: its context (store, drug base) may be closed too
            self.work_area  # noqa: B018 - built now, not at the first use

    def _start_unless_card_read(self, state: WatchState) -> None:
        if not state.card_present:  # no card to read: the login page is as usable as it gets
            self._start_background_work()

    def _start_background_work(self) -> None:
        if self._background_started:
            return
        self._background_started = True
        # The page with its PIN field enabled is painted now (see paint_changes_now), not after
        # the working area's build: the GP would look at a greyed-out field all that time. The
        # GP types while the rest runs.
        if self.isVisible():
            paint_changes_now(self)
        QTimer.singleShot(0, self, self._prepare_work_area)
        self.refresh_status()
        run_task(self.context.services.prescribing.warm_up)

    def _show_card_state(self, state: WatchState) -> None:
        session = self.context.session
        if not session.locked and session.identity is not None:
            return  # the holder's name stays shown while the session is open
        self.card_status.setToolTip(state.error)
        if state.error:
            # a long reason (a PKCS#11 module to install) is on the login page; here, its gist
            short = state.error if len(state.error) <= 60 else _("lecteur de carte inaccessible")
            self.card_status.setText(_("Carte : {error}").format(error=short))
        elif state.card_present:
            self.card_status.setText(_("Carte : insérée"))
        else:
            self.card_status.setText(_("Carte : absente"))

    # -- status bar --------------------------------------------------------------------------
    def _has_base(self) -> bool:
        return self.context.services.prescribing.has_base

    def _show_no_base(self) -> None:
        self.base_status.setText(_("Base : non configurée"))
        set_role(self.base_status, "")

    def refresh_status(self) -> None:
        prescribing = self.context.services.prescribing
        self._status_asked += 1
        asked = self._status_asked
        if not prescribing.has_base:
            self._show_no_base()
            # the outbox is local: its count shows all the same
            run_task(prescribing.status, on_done=lambda status: self._show_newest(asked, status, self._show_outbox),
                     receiver=self)
            return
        run_task(prescribing.status, on_done=lambda status: self._show_newest(asked, status, self._show_status),
                 on_error=lambda e: self._show_newest(asked, None, self._show_status), receiver=self)

    def _show_newest(self, asked: int, status: Any, show: Callable[[Any], None]) -> None:
        """Status answers can come back out of order (a slow base): a late, older one never
        replaces what a newer one showed (a queued ordonnance counted as « 0 en attente »)."""
        if asked < self._status_shown:
            return
        self._status_shown = asked
        show(status)

    def _show_status(self, status) -> None:
        if status is None:
            self.base_status.setText(_("Base : état inconnu"))
            return
        self.base_status.setText(_("Base : connectée") if status.base_reachable else _("Base : injoignable"))
        set_role(self.base_status, "ok" if status.base_reachable else "error")
        self._show_outbox(status)
        if status.base_reachable and status.outbox_count and not status.store_problem:  # the base is back: send
            self.flush_outbox(quiet=True)

    def _show_outbox(self, status) -> None:
        problem = getattr(status, "store_problem", None)
        if problem:  # the practice server is down: said at once; validated ordonnances stay queued there
            self.outbox_status.setText(_("Serveur du cabinet injoignable"))
            self.outbox_status.setToolTip(problem)
            set_role(self.outbox_status, "error")
            return
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
    def _show_kind(self, kind) -> None:
        from lap_app.domain.kinds import OrdonnanceKind

        self.kinds_tabs.setCurrentWidget(self.editor if kind is OrdonnanceKind.MEDICAMENTS else self.care_editor)

    def _count_care_lines(self) -> None:
        """The tab says how many lines wait there: the other ordonnances are not forgotten."""
        count = self.care_editor.draft.count()
        title = _("Biologie, soins, dispositifs")
        self.kinds_tabs.setTabText(1, f"{title} ({count})" if count else title)

    def _on_patient_selected(self, record) -> None:
        self.care_editor.set_patient(record)
        self._count_care_lines()
        self.editor.set_patient(record)
        self.history.set_patient(record)

    def validate(self) -> None:
        if self.is_locked():
            return
        from lap_app.ui.validation_flow import ValidationFlow

        record = self.patient_panel.current_patient()
        self.statusBar().clearMessage()  # a signature abandoned earlier is no news any more
        if self.care_editor.draft.count():  # several ordonnances: one validation for them all
            from lap_app.ui.consultation_flow import ConsultationFlow

            consultation = ConsultationFlow(self.context, self)
            consultation.finished_ok.connect(lambda result: self._after_consultation(result, record))
            consultation.practice_missing.connect(self.ask_practice)
            consultation.abandoned.connect(self.statusBar().showMessage)
            alerts = self.editor.alerts_panel()
            consultation.start(record, self.editor.draft_lines(), self.care_editor.draft,
                               alerts.unacknowledged_alerts(), alerts.acknowledged_ids())
            self._flow: Any = consultation  # either flow; tests read its dialogs
            return
        flow = ValidationFlow(self.context, self)
        # the draft cleared is the one signed, even if another patient is shown by then
        flow.finished_ok.connect(lambda result: self._after_validation(result, record))
        flow.practice_missing.connect(self.ask_practice)
        flow.abandoned.connect(self.statusBar().showMessage)  # until the next validation
        alerts = self.editor.alerts_panel()
        flow.start(record, self.editor.draft_lines(), alerts.unacknowledged_alerts(), alerts.acknowledged_ids())
        self._flow = flow

    def _after_consultation(self, result, record) -> None:
        """The ordonnances made leave the drafts; those not made (consultation stopped midway)
        stay, for the retry or the next « Valider »."""
        from lap_app.domain.kinds import OrdonnanceKind

        made = set(result.kinds)
        self.care_editor.clear(record, kinds=made)
        if OrdonnanceKind.MEDICAMENTS in made:
            self.editor.clear(record)
        self.history.refresh()
        self.refresh_status()

    def _after_validation(self, result, record) -> None:
        self.editor.clear(record)
        self.history.refresh()
        self.refresh_status()

    def new_ordonnance(self) -> None:
        from PySide6.QtWidgets import QMessageBox

        if (self.editor.draft_lines() or self.editor.has_open_line()) and QMessageBox.question(
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
        if not prescribing.has_base or card is None:
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
        if dialog.exec() and self.context.base_from_settings and before != (
                self.context.settings.base.url, self.context.settings.base.ca_path):
            self._use_base_from_settings()

    def ask_practice(self) -> None:
        """The practice details printed on every ordonnance, asked for while they are missing."""
        from lap_app.ui.settings_dialog import PracticeDialog

        if self.practice_dialog is not None and self.practice_dialog.isVisible():
            return
        self.practice_dialog = PracticeDialog(self.context, self)
        self.practice_dialog.open()

    def _use_base_from_settings(self) -> None:
        """Another base in the settings: the next validations go there."""
        from lap_app.services.base_connection import configured_endpoint
        from lap_app.services.desk import PrescribingDesk

        old = self.context.services.prescribing
        base = self.context.settings.base
        try:  # the settings' base only (no base: the local history stays)
            endpoint = configured_endpoint(base.url or None, base.ca_path or None, settings=base)
        except UserError as error:
            self._error(error)
            return
        self.context.services.prescribing = PrescribingDesk(endpoint, self.context.store, drugs_path=old.drugs_path)
        self.context.closers.append(self.context.services.prescribing.close)
        old.close()
        self.refresh_status()

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
        self._closed = True
        if self._work_area is not None:  # (never built: no line was open)
            self.editor.keep_open_line()  # found again at the next start, with the patient's draft
        self.watcher.stop()
        self._status_timer.stop()
        super().closeEvent(event)
