"""The shell: card login, wrong PIN, blocked card, lock on card pull (< 2 s), unlock, status bar."""

from __future__ import annotations

from ui_support import login, looks_until_locked, paracetamol_for_petit


def test_login_shows_holder_from_card_then_opens_work_area(qtbot, main_window):
    page = main_window.login_page
    qtbot.waitUntil(lambda: page.pin_edit.isEnabled(), timeout=5000)
    # the holder, parsed from the certificate just after the PIN field opened
    qtbot.waitUntil(lambda: "Claire MARTIN" in page.card_label.text(), timeout=5000)
    assert "RPPS 10101234564" in page.card_label.text()
    assert page.tries_label.text() == "3 essais restants"
    assert page.pin_edit.echoMode() == page.pin_edit.EchoMode.Password
    assert main_window.is_locked()

    login(qtbot, main_window, "1234")
    qtbot.waitUntil(lambda: not main_window.is_locked(), timeout=5000)
    assert "MARTIN" in main_window.card_status.text()
    assert main_window.context.session.identity.national_id == "810101234564"


def test_pin_typed_before_the_holder_shows_still_logs_in_as_the_card_holder(qtbot, main_window):
    """The PIN field opens before the certificate is parsed: a PIN entered at once (in the same
    event-loop turn) parses it first; the session is the card holder's."""
    page = main_window.login_page
    typed = []

    def type_at_once():
        if not typed:
            typed.append(page.card_label.text().strip())  # (the line keeps room for two)
            page.pin_edit.setText("1234")
            page.submit()

    page.pin_ready.connect(type_at_once)
    qtbot.waitUntil(lambda: not main_window.is_locked(), timeout=10000)
    assert typed == ["Lecture de la carte…"]  # typed before the holder was shown
    assert main_window.context.session.identity.national_id == "810101234564"
    assert "Claire MARTIN" in page.card_label.text()


def test_the_holder_appearing_moves_neither_the_box_nor_the_pin_field(qtbot, main_window):
    """The PIN field opens while the card line still reads « Lecture de la carte… »; the holder's
    name and profession (two lines) replace it a moment later, maybe while the GP types."""
    from PySide6.QtCore import QEvent
    from PySide6.QtWidgets import QApplication, QFrame

    page = main_window.login_page
    box = page.findChild(QFrame, "loginBox")

    def where() -> tuple:
        QApplication.sendPostedEvents(None, QEvent.Type.LayoutRequest)  # laid out as the next paint shows it
        return (box.geometry().getRect(), page.pin_edit.mapTo(main_window, page.pin_edit.rect().topLeft()).toTuple(),
                page.login_button.mapTo(main_window, page.login_button.rect().topLeft()).toTuple())

    when_ready = []

    def note() -> None:
        if not when_ready:
            when_ready.append((page.card_label.text().strip(), where()))

    page.pin_ready.connect(note)
    qtbot.waitUntil(lambda: "Claire MARTIN" in page.card_label.text(), timeout=10000)
    assert when_ready[0][0] == "Lecture de la carte…"
    assert where() == when_ready[0][1]


def test_wrong_pin_says_tries_left_and_keeps_the_session_locked(qtbot, main_window):
    page = main_window.login_page
    login(qtbot, main_window, "9999")
    qtbot.waitUntil(lambda: page.message_label.text() == "Code porteur incorrect.", timeout=5000)
    assert page.tries_label.text() == "2 essais restants"
    assert page.pin_edit.text() == ""  # the PIN does not stay in the field
    assert main_window.is_locked()
    login(qtbot, main_window, "1234")  # a right PIN resets the counter
    qtbot.waitUntil(lambda: not main_window.is_locked(), timeout=5000)


def test_blocked_card_is_explained(qtbot, main_window, demo_env):
    from lap_app.standins.virtual_cps import VirtualCps

    page = main_window.login_page
    qtbot.waitUntil(lambda: page.pin_edit.isEnabled(), timeout=5000)
    spare = VirtualCps.from_holder(demo_env.pki.holder("medecin"), persist_pin=False)
    demo_env.pull_card()
    from lap_app.card.virtual_reader import default_virtual_reader

    qtbot.waitUntil(lambda: not page.pin_edit.isEnabled(), timeout=3000)
    default_virtual_reader().insert(spare)
    try:
        for expected in ("2 essais restants", "1 essai restant"):
            login(qtbot, main_window, "0000")
            qtbot.waitUntil(lambda expected=expected: page.tries_label.text() == expected, timeout=5000)
        login(qtbot, main_window, "0000")
        qtbot.waitUntil(lambda: "bloquée" in page.message_label.text(), timeout=5000)
        assert not page.pin_edit.isEnabled()
        assert main_window.is_locked()
    finally:
        default_virtual_reader().remove()
        demo_env.insert_card()


def test_pulling_the_card_locks_within_two_seconds_and_keeps_the_draft(qtbot, main_window, demo_env):
    login(qtbot, main_window)
    qtbot.waitUntil(lambda: not main_window.is_locked(), timeout=5000)
    editor = main_window.editor
    patients = main_window.patient_panel
    record = main_window.context.services.patients.search("DURAND")[0]
    patients.select(record)
    drug = main_window.context.drugs.search("paracetamol", limit=1)[0]
    from lap_app.services.drafting import line_for_drug

    editor.load_lines([line_for_drug(drug)])
    assert len(editor.draft_lines()) == 1

    # the card thread busy (a slow network after a signature, say) must not delay the lock: it stays
    # busy until the window has locked (a lock waiting for it would never come)
    import threading

    from lap_app.ui.workers import card_pool, run_task

    busy = threading.Event()
    run_task(lambda: busy.wait(120), pool=card_pool())
    try:
        looks = looks_until_locked(main_window, demo_env.pull_card)
    finally:
        busy.set()
    assert looks <= 1, f"locked after {looks} looks at the reader"
    assert "verrouillée" in main_window.login_page.title.text()
    assert main_window.context.session.card is None

    demo_env.insert_card()
    login(qtbot, main_window)
    qtbot.waitUntil(lambda: not main_window.is_locked(), timeout=5000)
    assert [line.cis for line in editor.draft_lines()] == [drug.cis]  # the draft survived the lock
    editor.clear()  # the demo's store is shared by the next modules: no line left for DURAND


def test_status_bar_shows_base_and_outbox(qtbot, main_window):
    qtbot.waitUntil(lambda: "connectée" in main_window.base_status.text(), timeout=5000)
    assert "en attente d'envoi" in main_window.outbox_status.text()


def _medicines_and_biology_for_petit(qtbot, window) -> None:
    from lap_app.domain.kinds import OrdonnanceKind
    from lap_app.services.care_templates import BUILT_IN_TEMPLATES

    paracetamol_for_petit(qtbot, window)
    window.care_editor.choose_kind(OrdonnanceKind.BIOLOGIE)
    window.care_editor.apply_template(next(t for t in BUILT_IN_TEMPLATES if t.label == "Bilan diabète annuel"))


def _pin_asked_again(qtbot, window, demo_env):
    """The card reset, then Ctrl+Entrée: the flow, its PIN dialog open."""
    demo_env.physician_card.power_on()  # a card reset: the PIN must be presented again
    window.validate()
    flow = window._flow
    qtbot.waitUntil(lambda: (getattr(flow, "pin_dialog", None) is not None and flow.pin_dialog.isVisible())
                    or flow.message is not None, timeout=10000)
    assert flow.message is None, flow.message.text()
    return flow


def test_card_asking_for_its_pin_again_at_signature(qtbot, main_window, demo_env):
    window = main_window
    paracetamol_for_petit(qtbot, window)
    demo_env.physician_card.power_on()  # a card reset: the PIN must be presented again
    window.validate()
    qtbot.waitUntil(lambda: getattr(window._flow, "pin_dialog", None) is not None
                    and window._flow.pin_dialog.isVisible(), timeout=10000)
    window._flow.pin_dialog.setTextValue("1234")
    window._flow.pin_dialog.accept()
    qtbot.waitUntil(lambda: window._flow.result_dialog is not None, timeout=10000)
    assert window._flow.result_dialog.result.status == "registered"


def test_card_asking_for_its_pin_again_during_a_consultation(qtbot, main_window, demo_env):
    """Medicines and biology together (the consultation's validation): the card reset, the PIN is
    asked again and both ordonnances are made (the card's refusal used to be the end of it)."""
    window = main_window
    _medicines_and_biology_for_petit(qtbot, window)
    flow = _pin_asked_again(qtbot, window, demo_env)
    flow.pin_dialog.setTextValue("1234")
    flow.pin_dialog.accept()
    qtbot.waitUntil(lambda: flow.result_dialog is not None or flow.message is not None, timeout=20000)
    assert flow.message is None, flow.message.text()
    assert flow.result_dialog.result.complete
    assert [o.status for o in flow.result_dialog.result.outcomes] == ["registered", "registered"]
    flow.result_dialog.close()


def _stored_for(window, name: str) -> tuple[int, int]:
    """(ordonnances stored for the patient, entries waiting in the outbox)."""
    record = window.context.services.patients.search(name)[0]
    store = window.context.store
    return len(store.for_patient(record.resource_id)), len(store.outbox())


def test_cancelling_the_pin_asked_at_signature_says_so_and_keeps_the_draft(qtbot, main_window, demo_env):
    """The card reset, its PIN dialog cancelled (Échap): the status bar says the signature was
    abandoned, the line stays in the editor, nothing is stored nor queued, the digits typed are
    not kept, the keyboard is back where the GP validated from; Ctrl+Entrée again asks again."""
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QApplication

    window = main_window
    paracetamol_for_petit(qtbot, window)
    before = _stored_for(window, "PETIT")
    lines = [line.cis for line in window.editor.draft_lines()]
    window.activateWindow()
    window.editor.search.edit.setFocus()
    qtbot.waitUntil(lambda: window.focusWidget() is window.editor.search.edit, timeout=2000)
    flow = _pin_asked_again(qtbot, window, demo_env)
    flow.pin_dialog.setTextValue("12")  # begun, then given up
    qtbot.keyClick(QApplication.focusWidget() or flow.pin_dialog, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: not flow.pin_dialog.isVisible(), timeout=2000)

    assert window.statusBar().currentMessage() == "Signature annulée : code porteur non saisi ; rien n'a été signé."
    assert flow.result_dialog is None and flow.message is None
    assert [line.cis for line in window.editor.draft_lines()] == lines
    assert _stored_for(window, "PETIT") == before
    assert flow.pin_dialog.textValue() == ""
    qtbot.waitUntil(lambda: window.focusWidget() is window.editor.search.edit, timeout=2000)

    window.validate()  # the card still wants its PIN: asked again, then signed
    assert window.statusBar().currentMessage() == ""
    flow = window._flow
    qtbot.waitUntil(lambda: getattr(flow, "pin_dialog", None) is not None and flow.pin_dialog.isVisible(),
                    timeout=10000)
    flow.pin_dialog.setTextValue("1234")
    flow.pin_dialog.accept()
    qtbot.waitUntil(lambda: flow.result_dialog is not None or flow.message is not None, timeout=10000)
    assert flow.message is None, flow.message.text()
    assert flow.result_dialog.result.status == "registered"
    assert _stored_for(window, "PETIT")[0] == before[0] + 1
    flow.result_dialog.close()


def test_cancelling_the_pin_asked_during_a_consultation_keeps_every_ordonnance_to_do(qtbot, main_window, demo_env):
    window = main_window
    _medicines_and_biology_for_petit(qtbot, window)
    care_lines = window.care_editor.draft.count()
    before = _stored_for(window, "PETIT")
    flow = _pin_asked_again(qtbot, window, demo_env)
    flow.pin_dialog.reject()  # « Annuler »

    assert window.statusBar().currentMessage() == "Signature annulée : code porteur non saisi ; rien n'a été signé."
    assert flow.result_dialog is None
    assert len(window.editor.draft_lines()) == 1 and window.care_editor.draft.count() == care_lines
    assert _stored_for(window, "PETIT") == before
    window.care_editor.clear()
    window.editor.clear()


def test_escape_on_the_login_page_says_the_session_stays_closed(qtbot, main_window):
    from PySide6.QtCore import Qt

    page = main_window.login_page
    qtbot.waitUntil(lambda: page.pin_edit.isEnabled(), timeout=5000)
    qtbot.keyClicks(page.pin_edit, "12")
    qtbot.keyClick(page.pin_edit, Qt.Key.Key_Escape)
    assert page.pin_edit.text() == ""
    assert page.message_label.text() == "Connexion annulée : code porteur non saisi. La session n'est pas ouverte."
    assert main_window.is_locked() and page.pin_edit.hasFocus()
    login(qtbot, main_window)  # the PIN typed again opens the session
    qtbot.waitUntil(lambda: not main_window.is_locked(), timeout=5000)
    assert page.message_label.text() == ""


def test_escape_while_unlocking_keeps_the_lock_and_the_draft(qtbot, main_window):
    from PySide6.QtCore import Qt

    window = main_window
    paracetamol_for_petit(qtbot, window)
    lines = [line.cis for line in window.editor.draft_lines()]
    window.lock()
    page = window.login_page
    qtbot.waitUntil(lambda: page.pin_edit.isEnabled() and page.pin_edit.hasFocus(), timeout=5000)
    qtbot.keyClicks(page.pin_edit, "123")
    qtbot.keyClick(page.pin_edit, Qt.Key.Key_Escape)
    assert page.pin_edit.text() == ""
    assert page.message_label.text() == "Déverrouillage annulé : code porteur non saisi. La session reste verrouillée."
    assert window.is_locked()
    login(qtbot, window)
    qtbot.waitUntil(lambda: not window.is_locked(), timeout=5000)
    assert [line.cis for line in window.editor.draft_lines()] == lines
    window.editor.clear()


def test_the_pdf_renderer_is_made_ready_once_the_session_is_open(qtbot, main_window, monkeypatch):
    """The renderer's one-time set-up (its fonts, ~0.2 s: ``lap_app.render.warm``) is done in the
    background after the login — not during the start-up, which it would slow, nor during the
    first validation, which the GP waits for."""
    import lap_app.render.warm as warm

    session = main_window.context.session
    during: list[bool] = []  # the session open when the warm-up ran?
    monkeypatch.setattr(warm, "warm_up", lambda: during.append(session.identity is not None and not session.locked))
    login(qtbot, main_window)
    qtbot.waitUntil(lambda: not main_window.is_locked(), timeout=5000)
    qtbot.waitUntil(lambda: during == [True], timeout=10000)


def test_ctrl_l_locks_and_the_pin_unlocks(qtbot, main_window):
    from PySide6.QtCore import Qt

    login(qtbot, main_window)
    qtbot.waitUntil(lambda: not main_window.is_locked(), timeout=5000)
    qtbot.keyClick(main_window, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    assert main_window.is_locked()
    assert "verrouillé la session" in main_window.login_page.subtitle.text()
    login(qtbot, main_window)
    qtbot.waitUntil(lambda: not main_window.is_locked(), timeout=5000)


def test_working_area_fits_a_1366_by_768_laptop_screen(qtbot, main_window):
    """A GP's laptop: the window, a patient chosen and their ordonnance being written, needs no
    more than 1366 × 768 (minus a taskbar); the patient list never scrolls sideways."""
    from PySide6.QtCore import Qt

    window = main_window
    login(qtbot, window)
    qtbot.waitUntil(lambda: not window.is_locked(), timeout=5000)
    window.patient_panel.select(window.context.services.patients.search("DURAND")[0])
    window.editor.search.edit.setText("amoxicilline")
    qtbot.wait(50)
    needed = window.minimumSizeHint()
    assert needed.width() <= 1366 and needed.height() <= 768 - 40, needed
    window.resize(1366, 728)
    qtbot.waitUntil(lambda: window.width() == 1366, timeout=2000)
    results = window.patient_panel.results
    assert results.horizontalScrollBarPolicy() == Qt.ScrollBarPolicy.ScrollBarAlwaysOff
    assert results.wordWrap()
    window.editor.search.edit.clear()


def test_worst_case_editor_stays_on_a_1366_by_768_screen(qtbot, main_window):
    """A line being written (its drug's long name, a hint under it) and a notice above the search:
    the window stays within a 1366 × 768 screen minus a 30-pixel taskbar, title bar included;
    the status bar and « Valider » stay in view, the middle of the editor scrolls to the line."""
    from PySide6.QtCore import QPoint, QRect

    window = main_window
    editor = window.editor
    login(qtbot, window)
    qtbot.waitUntil(lambda: not window.is_locked(), timeout=5000)
    title_bar = 32  # a desktop's title bar, above the window's contents
    screen = QRect(0, 0, 1366, 768 - 30)  # the available geometry: the screen less the taskbar
    window.resize(1366, 900)
    window.fit_to_screen(screen.adjusted(0, 0, 0, -title_bar))  # as if the window manager framed it
    qtbot.waitUntil(lambda: window.height() <= screen.height() - title_bar, timeout=2000)
    window.resize(1366, 900)  # nor can the user make it taller than the screen
    assert window.height() <= screen.height() - title_bar

    window.patient_panel.select(window.context.services.patients.search("DURAND")[0])
    editor.show_notice("Ordonnance en cours reprise (3 lignes) : elle n'a pas encore été validée. "
                       "Le patient n'est plus en ALD : 1 ligne a été replacée hors ALD (METFORMINE).")
    editor.search.edit.setText("amoxicilline acide clavulanique 500")
    qtbot.waitUntil(lambda: editor.search.model.rowCount() > 0, timeout=3000)
    editor.search.view.selectRow(0)
    editor.search._choose_current()  # the line editor opens with the drug's long name
    assert editor.line_editor.isEnabled() and editor.line_editor.hint_label.isVisible()
    qtbot.wait(50)  # the editor scrolls to the line once laid out
    needed = window.minimumSizeHint()
    assert needed.width() <= 1366 and needed.height() <= screen.height() - title_bar, needed
    assert window.height() <= screen.height() - title_bar

    def inside(widget) -> bool:
        top_left = widget.mapTo(window, QPoint(0, 0))
        return (widget.isVisible() and not widget.visibleRegion().isEmpty()
                and window.rect().contains(QRect(top_left, widget.size())))

    assert inside(window.statusBar()) and inside(window.base_status)
    assert inside(editor.validate_button)
    assert editor.validate_button.visibleRegion().boundingRect().size() == editor.validate_button.size()
    viewport = editor.scroll_area.viewport()
    for button in (editor.line_editor.commit_button, editor.line_editor.cancel_button):
        box = QRect(button.mapTo(viewport, QPoint(0, 0)), button.size())
        assert viewport.rect().contains(box), (viewport.rect(), box)  # the line's buttons in view
    # nothing cut at the right: the scroll bar has its own room beside the line editor
    assert editor.line_editor.width() >= editor.line_editor.minimumSizeHint().width()
    editor.line_editor.cancel()
    editor.show_notice("")


def test_drug_results_show_every_column_without_sideways_scrolling(qtbot, main_window):
    """At 1366 pixels wide, name, DCI, form, status, price, reimbursement and generic group are
    all in view; the price and the rate whole, a cut text whole in its tooltip."""
    from PySide6.QtCore import Qt

    window = main_window
    login(qtbot, window)
    qtbot.waitUntil(lambda: not window.is_locked(), timeout=5000)
    window.resize(1366, 728)
    qtbot.waitUntil(lambda: window.width() == 1366, timeout=2000)
    window.patient_panel.select(window.context.services.patients.search("DURAND")[0])
    search = window.editor.search
    generic_tips: list[str] = []
    for query in ("levothyrox", "amoxicilline acide clavulanique", "doliprane 1000"):
        search.edit.setText(query)
        qtbot.wait(30)
        view, model = search.view, search.model
        header = view.horizontalHeader()
        assert model.rowCount() > 0
        assert not view.horizontalScrollBar().isVisible()
        assert header.length() <= view.viewport().width()
        for column in range(model.columnCount()):
            left = header.sectionViewportPosition(column)
            assert left >= 0 and left + header.sectionSize(column) <= view.viewport().width(), column
            assert header.sectionSize(column) >= 45, (column, header.sectionSize(column))
        cells = view.fontMetrics()
        generic_tips += [model.index(r, 5).data(Qt.ItemDataRole.ToolTipRole) for r in range(model.rowCount())]
        for row in range(model.rowCount()):
            marketed = model.index(row, 2).data()  # Comm.: oui / non (⚠), never cut
            assert cells.horizontalAdvance(marketed) <= header.sectionSize(2) - 4, marketed
            for column in (3, 4):  # Prix, Remb.: read whole (a price range of two-digit prices aside)
                text = model.index(row, column).data()
                if len(text) <= len("1,96–5,18 €"):
                    assert cells.horizontalAdvance(text) <= header.sectionSize(column) - 4, (text, column)
            for column in (0, 1, 3, 4, 5):  # whatever is cut is whole in the tooltip
                text = model.index(row, column).data()
                assert text in model.index(row, column).data(Qt.ItemDataRole.ToolTipRole) or not text
    assert header.sectionSize(0) >= 110 and header.sectionSize(1) >= 110  # the stretch, shared
    assert any(tip.startswith("Générique : princeps (LEVOTHYROX") for tip in generic_tips)  # its group
    search.edit.clear()


def test_the_pin_field_is_on_screen_enabled_before_the_working_area_is_built(qtbot, demo_env, demo_context):
    """The card read, the GP sees the PIN field enabled at once; the working area (a second or
    more on a busy workstation) is built while they type, not before the field is painted."""
    from PySide6.QtWidgets import QLineEdit

    from lap_app.ui.context import Session
    from lap_app.ui.main_window import MainWindow
    from lap_app.ui.workers import wait_idle

    demo_env.insert_card()
    demo_context.session = Session()
    window = MainWindow(demo_context)
    qtbot.addWidget(window)
    seen: list[str] = []
    pin_edit = window.login_page.pin_edit

    def paint(event) -> None:
        QLineEdit.paintEvent(pin_edit, event)
        seen.append("PIN field painted enabled" if pin_edit.isEnabled() else "PIN field painted disabled")

    build = window._build_work_area

    def build_noted(*args):
        seen.append("working area built")
        return build(*args)

    pin_edit.paintEvent = paint
    window._build_work_area = build_noted
    window.show()
    try:
        qtbot.waitUntil(lambda: "working area built" in seen, timeout=5000)
        assert "PIN field painted enabled" in seen
        assert seen.index("PIN field painted enabled") < seen.index("working area built"), seen
    finally:
        window.close()
        wait_idle()
