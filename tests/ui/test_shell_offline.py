"""Base unreachable at validation: the ordonnance is signed, printed with its QR code and queued
(status bar says so); when the base is back the window sends it and the history follows.
Also from the history: cancel before dispensing, the PDF again, and the dispensing consultation
refused when the patient objected."""

from __future__ import annotations

import os
from pathlib import Path

import pypdfium2 as pdfium
import zxingcpp
from PySide6.QtWidgets import QMessageBox

from ui_support import login


def qr_codes(pdf: bytes) -> list[str]:
    image = pdfium.PdfDocument(pdf)[0].render(scale=150 / 72).to_pil()
    return [c.text for c in zxingcpp.read_barcodes(image) if c.format == zxingcpp.BarcodeFormat.QRCode]


def write_and_validate(qtbot, window, query: str, patient: str = "ROUSSEAU"):
    from lap_app.services.drafting import line_for_drug

    record = window.context.services.patients.search(patient)[0]
    window.patient_panel.select(record)
    line = line_for_drug(window.context.drugs.search(query, limit=1)[0])
    line.posology.duration, line.posology.duration_unit = 5, "d"
    window.editor.load_lines([line])
    window.validate()
    qtbot.waitUntil(lambda: window._flow.result_dialog is not None or window._flow.message is not None,
                    timeout=20000)
    assert window._flow.message is None, window._flow.message.text()
    return window._flow.result_dialog


def test_offline_validation_is_queued_then_sent_when_the_base_is_back(qtbot, main_window, demo_env):
    from lap_app.demo.base import start_base

    window = main_window
    login(qtbot, window)
    qtbot.waitUntil(lambda: not window.is_locked(), timeout=5000)
    # a first ordonnance online: the number pool is filled and the token opened
    write_and_validate(qtbot, window, "paracetamol 500").close()

    port = int(demo_env.base.url.rsplit(":", 1)[1])
    demo_env.base.stop()
    try:
        dialog = write_and_validate(qtbot, window, "ibuprofene 200")
        result = dialog.result
        assert result.status == "waiting"
        assert "injoignable" in dialog.status_label.text()
        assert qr_codes(result.pdf) == [result.number]  # a reserved number: printed with its QR code
        dialog.close()
        window.refresh_status()
        # the status of this refresh, not an earlier one still on its way back
        qtbot.waitUntil(lambda: "injoignable" in window.base_status.text()
                        and window.outbox_status.text().startswith("1 ordonnance en attente"), timeout=10000)
    finally:
        demo_env.base = start_base(demo_env.root / "base", demo_env.root / "pki", port=port)

    window.refresh_status()  # the base answers again: the outbox is flushed in the background
    qtbot.waitUntil(lambda: window.outbox_status.text().startswith("0 ordonnance"), timeout=15000)
    history = window.history
    qtbot.waitUntil(lambda: any(history.table.item(r, 1).text().replace(" ", "") == result.number
                                and history.table.item(r, 2).text().startswith("enregistrée")
                                for r in range(history.table.rowCount())), timeout=10000)


def test_offline_consultation_says_why_each_waits_and_where_its_dmp_copy_stands(qtbot, main_window, demo_env):
    """Medicines and biology with the base down: each ordonnance made says why it waits (the
    base's reason) and that its DMP copy follows, as the result of one ordonnance does."""
    from lap_app.demo.base import start_base
    from lap_app.domain.kinds import OrdonnanceKind
    from lap_app.services.care_templates import BUILT_IN_TEMPLATES
    from lap_app.services.dmp import PENDING_MESSAGE
    from lap_app.services.drafting import line_for_drug

    window = main_window
    login(qtbot, window)
    qtbot.waitUntil(lambda: not window.is_locked(), timeout=5000)
    write_and_validate(qtbot, window, "cetirizine").close()  # online: the pool holds numbers for offline work
    line = line_for_drug(window.context.drugs.search("paracetamol 500", limit=1)[0])
    line.posology.duration, line.posology.duration_unit = 3, "d"
    window.editor.load_lines([line])
    window.care_editor.choose_kind(OrdonnanceKind.BIOLOGIE)
    window.care_editor.apply_template(next(t for t in BUILT_IN_TEMPLATES if t.label == "Bilan diabète annuel"))
    port = int(demo_env.base.url.rsplit(":", 1)[1])
    demo_env.base.stop()
    try:
        window.validate()
        flow = window._flow
        qtbot.waitUntil(lambda: flow.result_dialog is not None or flow.message is not None, timeout=30000)
        assert flow.message is None, flow.message.text()
        dialog = flow.result_dialog
        assert [o.status for o in dialog.result.outcomes] == ["waiting", "waiting"]
        statuses = [label.text() for label in dialog.status_labels]
        assert all(o.message and o.message in text for o, text in zip(dialog.result.outcomes, statuses, strict=True))
        assert [label.text() for label in dialog.dmp_labels] == [PENDING_MESSAGE] * 2
        if os.environ.get("LAP_SCREENSHOTS"):
            dialog.grab().save(str(Path(os.environ["LAP_SCREENSHOTS"]) / "consultation-offline.png"))
        dialog.close()
    finally:
        demo_env.base = start_base(demo_env.root / "base", demo_env.root / "pki", port=port)


def test_cancel_before_dispensing_and_pdf_again(qtbot, main_window):
    window = main_window
    login(qtbot, window)
    qtbot.waitUntil(lambda: not window.is_locked(), timeout=5000)
    dialog = write_and_validate(qtbot, window, "cetirizine")
    number = dialog.result.number
    dialog.close()

    history = window.history
    qtbot.waitUntil(lambda: history.table.rowCount() > 0
                    and history.table.item(0, 1).text().replace(" ", "") == number, timeout=5000)
    history.table.selectRow(0)
    history.reprint_selected()  # the PDF again, rendered in a worker, then in the print preview
    assert not history.pdf_button.isEnabled()  # the GUI thread did not render it: one at a time
    qtbot.waitUntil(lambda: getattr(history, "_preview", None) is not None and history._preview.isVisible(),
                    timeout=5000)
    assert history.pdf_button.isEnabled()
    history._preview.close()

    assert history.cancel_button.isEnabled()
    history.cancel_button.click()
    history.confirm.button(QMessageBox.StandardButton.Yes).click()
    qtbot.waitUntil(lambda: history.table.item(0, 2) is not None
                    and history.table.item(0, 2).text().startswith("annulée"), timeout=10000)
    assert not history.cancel_button.isEnabled()


def test_dispensing_consultation_refused_when_the_patient_objected(qtbot, main_window):
    window = main_window
    login(qtbot, window)
    qtbot.waitUntil(lambda: not window.is_locked(), timeout=5000)
    dialog = write_and_validate(qtbot, window, "paracetamol 500", patient="BERNARD")  # opposition recorded
    number = dialog.result.number
    dialog.close()
    history = window.history
    qtbot.waitUntil(lambda: history.table.rowCount() > 0
                    and history.table.item(0, 1).text().replace(" ", "") == number, timeout=5000)
    history.table.selectRow(0)
    history.consult_follow_up()
    qtbot.waitUntil(lambda: "s'est opposé" in history.detail.text(), timeout=10000)
    assert "✓" not in history.detail.text() and "Ligne" not in history.detail.text()  # that statement only


def test_validation_clears_the_draft_it_signed_even_after_a_patient_switch(qtbot, main_window):
    """The physician moves to another patient before the card thread answers: the draft deleted
    is the one signed, not the one now on screen."""
    from lap_app.services.drafting import line_for_drug

    window = main_window
    login(qtbot, window)
    qtbot.waitUntil(lambda: not window.is_locked(), timeout=5000)
    patients, drafts = window.context.services.patients, window.context.services.drafting
    signed_for, other = patients.search("ROUSSEAU")[0], patients.search("BERNARD")[0]

    def line(query: str):
        made = line_for_drug(window.context.drugs.search(query, limit=1)[0])
        made.posology.duration, made.posology.duration_unit = 5, "d"
        return made

    window.patient_panel.select(other)
    window.editor.load_lines([line("cetirizine")])
    kept = [item.dci_wording for item in window.editor.draft_lines()]
    window.patient_panel.select(signed_for)
    window.editor.load_lines([line("paracetamol 500")])
    window.validate()
    window.patient_panel.select(other)  # before the signature comes back
    qtbot.waitUntil(lambda: window._flow.result_dialog is not None or window._flow.message is not None,
                    timeout=20000)
    assert window._flow.message is None, window._flow.message.text()
    window._flow.result_dialog.close()

    assert drafts.load_draft(signed_for.id) == []
    assert [item.dci_wording for item in drafts.load_draft(other.id)] == kept
    assert [item.dci_wording for item in window.editor.draft_lines()] == kept
    window.editor.clear()
    assert drafts.load_draft(other.id) == []


def test_status_bar_warns_of_a_queued_number_near_its_deadline(qtbot, main_window, tmp_path):
    """The desk's status lists the queued numbers near the base's deadline: the status bar says
    so in red, each warning in the tooltip (``lap_app.services.outbox.expiring_entries``)."""
    from lap_app.services.desk import DeskStatus

    window = main_window
    warning = ("Le numéro 2026010100000160 (MARTIN Jeanne) doit être envoyé à la base avant le 07/12/2026, "
               "sinon l'ordonnance papier ne sera plus valable : connectez-vous à la base et envoyez les "
               "ordonnances en attente")
    window._show_outbox(DeskStatus(False, 2, (warning,)))
    assert window.outbox_status.text() == "2 ordonnances en attente d'envoi — 1 numéro bientôt expiré"
    assert window.outbox_status.toolTip() == warning and window.outbox_status.property("role") == "error"
    window.outbox_status.adjustSize()
    window.outbox_status.grab().save(str(tmp_path / "status-bar.png"))
    window._show_outbox(DeskStatus(True, 0, ()))
    assert window.outbox_status.text() == "0 ordonnance en attente d'envoi" and window.outbox_status.toolTip() == ""


def test_status_bar_says_when_the_practice_server_is_unreachable(qtbot, main_window, tmp_path):
    """On a practice server that stopped answering, the status bar says so in red, the reason in the
    tooltip; the next status after it came back shows the outbox again."""
    from lap_app.services.desk import DeskStatus

    window = main_window
    problem = ("Serveur du cabinet injoignable (cabinet-serveur.local:5432/lap_cabinet) : rien de ce qui est "
               "validé n'est perdu ; la connexion sera rétablie automatiquement")
    window.show()
    qtbot.wait(100)
    window._show_status(DeskStatus(True, 0, (), store_problem=problem))
    assert window.outbox_status.text() == "Serveur du cabinet injoignable"
    assert window.outbox_status.toolTip() == problem and window.outbox_status.property("role") == "error"
    qtbot.wait(20)  # laid out with its new text before it is looked at
    window.statusBar().grab().save(str(tmp_path / "status-bar-server-down.png"))
    window._show_status(DeskStatus(True, 1, ()))
    assert window.outbox_status.text() == "1 ordonnance en attente d'envoi"


def test_a_late_status_answer_never_replaces_a_newer_one(qtbot, main_window):
    shown: list[str] = []
    newer = main_window._status_asked + 2
    main_window._show_newest(newer, "base injoignable, 1 en attente", shown.append)
    main_window._show_newest(newer - 1, "base connectée, 0 en attente", shown.append)  # asked earlier, came later
    assert shown == ["base injoignable, 1 en attente"]
