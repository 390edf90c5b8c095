"""``lap-app gui`` with no base configured: the patient's history still comes from the local store
(status as stored, the PDF again, renewal); only the network actions say the base is missing."""

from __future__ import annotations

import io
import shutil
from datetime import UTC, datetime, timedelta

import pytest
from PySide6.QtCore import Qt

from lap_app.domain.identifiers import format_prescription_number, prescription_number_from_serial
from lap_app.domain.model import Address, Ordonnance, Prescriber, PrescriptionLine
from lap_app.domain.posology import Posology
from lap_app.domain.status import OrdonnanceStatus
from lap_app.fhir import to_bundle

from practice_store_support import adult

PRESCRIBER = Prescriber("MARTIN", ["Claire"], "810101234564", qualification="Médecine générale",
                        address=Address(["1 rue de la Paix"], "75002", "Paris"), phone="+33 1 00 00 00 00",
                        email="c.martin@example.fr")
LEVOTHYROX = PrescriptionLine("LÉVOTHYROXINE SODIQUE 100 µg, comprimé sécable",
                              Posology(dose=1, dose_unit="comprimé", when=["MORN"], duration=3, duration_unit="mo"),
                              cis="60483339", renewals=2)
AMOXICILLINE = PrescriptionLine("AMOXICILLINE 1 g, comprimé", Posology(
    dose=1, dose_unit="comprimé", frequency=3, period=1, period_unit="d", duration=6, duration_unit="d"))


@pytest.fixture(scope="module")
def no_base_window(qapp, tmp_path_factory, session_drug_base):
    """The window of ``lap-app gui`` without a base, a patient with two stored ordonnances shown
    (one window for the module; the user's drug base a copy of the session's)."""
    from lap_app.cli.gui_cmd import build_context
    from lap_app.ui.main_window import MainWindow
    from lap_app.ui.workers import wait_idle

    root = tmp_path_factory.mktemp("no-base")
    with pytest.MonkeyPatch.context() as env:
        env.setenv("LAP_CONFIG_DIR", str(root / "config"))
        env.setenv("LAP_DATA_DIR", str(root / "data"))
        (root / "data").mkdir(parents=True)
        shutil.copyfile(session_drug_base, root / "data" / session_drug_base.name)
        env.delenv("LAP_BASE_URL", raising=False)
        env.delenv("LAP_BASE_CA", raising=False)
        context = build_context()
        record = context.services.patients.save(adult())
        patient = record.to_patient()
        now = datetime.now(UTC)
        context.store.save_paper(prescriber=PRESCRIBER.national_id, patient_name=patient.display_name,
                                 opposition=False, reason="test", bundle=to_bundle(
                                     Ordonnance(PRESCRIBER, patient, [AMOXICILLINE], now - timedelta(days=30))))
        signed = Ordonnance(PRESCRIBER, patient, [LEVOTHYROX], now - timedelta(minutes=5))
        signed.number = prescription_number_from_serial("20261125000042")
        context.store.save_signed(number=signed.number, prescriber=PRESCRIBER.national_id,
                                  patient_name=patient.display_name, opposition=False, bundle=to_bundle(signed),
                                  signer_certificate=b"")
        context.store.set_status(signed.number, OrdonnanceStatus.REGISTERED)
        window = MainWindow(context)
        window.resize(1366, 728)
        window.show()
        window.stack.setCurrentWidget(window.work_area)  # as if logged in (no reader here)
        window.patient_panel.select(context.services.patients.get(record.id))
        yield window, signed.number
        window.close()
        wait_idle()
        context.close()
        window.deleteLater()


def test_history_shows_the_local_store_without_a_base(qtbot, no_base_window):
    window, number = no_base_window
    history = window.history
    assert not window.context.services.prescribing.has_base
    assert window.base_status.text() == "Base : non configurée"
    qtbot.waitUntil(lambda: history.table.rowCount() == 2, timeout=5000)
    assert history.table.item(0, 1).text() == format_prescription_number(number)
    assert history.table.item(0, 2).text().startswith("enregistrée")  # the status as stored
    assert history.table.item(1, 2).text().startswith("papier")
    assert "LÉVOTHYROXINE" in history.detail.text()
    # the outbox is local: its count shows without a base (the signed one still waits there)
    qtbot.waitUntil(lambda: window.outbox_status.text() == "1 ordonnance en attente d'envoi", timeout=5000)


def test_pdf_again_and_renewal_without_a_base(qtbot, no_base_window):
    from pypdf import PdfReader

    window, number = no_base_window
    history = window.history
    qtbot.waitUntil(lambda: history.table.rowCount() == 2, timeout=5000)
    history.table.selectRow(0)
    pdf = window.context.services.prescribing.pdf(history.selected().local_id)
    text = PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    assert format_prescription_number(number) in text and "LÉVOTHYROXINE" in text
    qtbot.mouseClick(history.pdf_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: getattr(history, "_preview", None) is not None, timeout=10000)
    assert history._preview.isVisible()
    history._preview.close()

    history.table.selectRow(1)
    qtbot.mouseClick(history.renew_button, Qt.MouseButton.LeftButton)
    assert [line.dci_wording for line in window.editor.draft_lines()] == [AMOXICILLINE.dci_wording]
    window.editor.clear()
    qtbot.mouseClick(window.editor.renew_button, Qt.MouseButton.LeftButton)  # "renew the last": the newest
    qtbot.waitUntil(lambda: len(window.editor.draft_lines()) == 1, timeout=5000)
    assert window.editor.draft_lines()[0].cis == LEVOTHYROX.cis


def test_network_actions_say_the_base_is_missing(qtbot, no_base_window):
    window, _number = no_base_window
    history = window.history
    qtbot.waitUntil(lambda: history.table.rowCount() == 2, timeout=5000)
    history.table.selectRow(0)
    for button in (history.follow_up_button, history.cancel_button):
        history.detail.setText("")
        assert button.isEnabled()
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
        assert "base ordonnance numérique n'est pas configurée" in history.detail.text()
        assert "Paramètres" in history.detail.text()
    assert getattr(history, "confirm", None) is None  # no cancellation was offered
    assert window.context.store.get(history.selected().local_id).status == "registered"  # nothing changed
