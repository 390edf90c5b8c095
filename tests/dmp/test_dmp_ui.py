"""« Mon espace santé (démo) » opened from « Prescrit (démo) »: the patient's PDFs are listed
and one opens, the very bytes that were printed, its page drawn in the window; the patient
withdraws the consent to the physician following its execution, then gives it back.

The practice's store only serves to make the ordonnance here (an SQLite file): the window reads
the DMP and the base; the copies' states on both engines are in test_dmp_filing.py."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from circuit_support import EXAMPLE_BUNDLE, card_in_hand

SHOTS = Path(os.environ.get("LAP_SCREENSHOTS", "")) if os.environ.get("LAP_SCREENSHOTS") else None


@pytest.fixture(scope="module")
def filed(dmp_endpoint, dmp_pki_dir, tmp_path_factory):
    from lap_app.fhir import from_bundle
    from lap_app.services.base_connection import open_client
    from lap_app.services.prescribing import prescribe
    from lap_app.storage import LocalStore

    store = LocalStore(tmp_path_factory.mktemp("dmp-ui") / "lap.sqlite3")
    draft = from_bundle(json.loads(EXAMPLE_BUNDLE.read_text(encoding="utf-8")))
    with card_in_hand("medecin", dmp_pki_dir) as card, open_client(dmp_endpoint) as client:
        outcome = prescribe(draft, card=card, client=client, store=store)
    store.close()
    assert outcome.status == "registered"
    return outcome


@pytest.fixture(scope="module")
def demo_prescrits(dmp_base, dmp_endpoint, dmp_pki_dir, tmp_path_factory):
    from lap_app.base_client.protocol import PATIENT_PORTAL_KEY_FILE
    from lap_app.demo.prescrit import DemoPrescrits
    from lap_app.standins.pki import init_pki

    secret = (dmp_base.data_dir / PATIENT_PORTAL_KEY_FILE).read_bytes().hex()
    prescrits = DemoPrescrits(dmp_endpoint, init_pki(dmp_pki_dir), secret, tmp_path_factory.mktemp("prescrits"))
    yield prescrits
    prescrits.close()


def _has_ink(pixmap) -> bool:
    image = pixmap.toImage()
    dark = 0
    for y in range(0, image.height(), 4):
        for x in range(0, image.width(), 4):
            if image.pixelColor(x, y).lightness() < 128:
                dark += 1
    return dark > 50


def test_patient_space_lists_and_opens_the_printed_pdf(qtbot, filed, demo_prescrits, tmp_path):
    from PySide6.QtWidgets import QLabel

    from lap_app.demo.prescrit_window import PrescritWindow
    from lap_app.domain.identifiers import format_prescription_number

    window = PrescritWindow(demo_prescrits)
    qtbot.addWidget(window)
    window.show()
    window.number_edit.setText(format_prescription_number(filed.number))
    window.read()
    qtbot.waitUntil(lambda: "DUPONT" in window.header.text() or "Jean" in window.header.text(), timeout=15_000)

    window.patient_space_button.click()
    view = window.patient_space
    qtbot.addWidget(view)
    assert view.ins_edit.text() == "158037505612321"  # the scanned ordonnance's patient
    qtbot.waitUntil(lambda: view.table.rowCount() > 0, timeout=15_000)
    shown = [view.table.item(r, 1).text() for r in range(view.table.rowCount())]
    row = shown.index(f"Ordonnance n° {format_prescription_number(filed.number)}")
    view.table.selectRow(row)
    view.open_button.click()
    qtbot.waitUntil(lambda: view.opened_pdf is not None, timeout=15_000)
    assert view.opened_pdf == filed.pdf  # what the patient opens is what was printed
    pages = [w for w in view.pages.findChildren(QLabel) if w.pixmap() is not None and not w.pixmap().isNull()]
    assert len(pages) >= 1 and _has_ink(pages[0].pixmap())
    assert view.message.property("role") == "ok"

    # the patient withdraws the consent to the physician following this ordonnance, then gives it back
    assert view.table.item(row, 3).text() == "autorisé" and not view.give_button.isEnabled()
    view.withdraw_button.click()
    qtbot.waitUntil(lambda: view.table.item(row, 3).text() == "refusé par vous", timeout=15_000)
    assert "ne peut plus consulter" in view.message.text()
    assert demo_prescrits.consent_given("158037505612321", filed.number) is False
    if SHOTS is not None:
        SHOTS.mkdir(parents=True, exist_ok=True)
        view.grab().save(str(SHOTS / "mon_espace_sante.png"))
        window.grab().save(str(SHOTS / "prescrit_demo.png"))
    assert view.give_button.isEnabled() and not view.withdraw_button.isEnabled()
    view.give_button.click()
    qtbot.waitUntil(lambda: view.table.item(row, 3).text() == "autorisé", timeout=15_000)
    assert demo_prescrits.consent_given("158037505612321", filed.number) is True


def test_patient_space_refuses_a_wrong_ins_key(qtbot, demo_prescrits):
    from lap_app.demo.patient_space import MonEspaceSanteView

    view = MonEspaceSanteView(demo_prescrits, "1 58 03 75 056 123 22")
    qtbot.addWidget(view)
    view.refresh()
    assert view.message.text() == "INS invalide : clé du NIR incorrecte : vérifiez la saisie"
    assert view.message.property("role") == "error" and view.table.rowCount() == 0
