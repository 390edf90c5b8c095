"""A fresh workstation profile (``lap-app gui`` as first installed): the practice details are
asked before the first ordonnance, and no ordonnance is signed or printed without them."""

from __future__ import annotations

from datetime import date

import pytest

from lap_app.domain.model import Sex
from lap_app.services.drafting import line_for_drug
from lap_app.services.patients import PatientRecord

from ui_support import login


@pytest.fixture
def fresh_profile(tmp_path, monkeypatch, demo_env, drug_base_in_profile):
    """A new user's profile; the base is the demo's one, given as a workstation would (URL + CA)."""
    drug_base_in_profile(tmp_path / "data")
    monkeypatch.setenv("LAP_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("LAP_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("LAP_BASE_URL", demo_env.base.url)
    monkeypatch.setenv("LAP_BASE_CA", str(demo_env.base.ca_path))
    return tmp_path


def _window(qtbot, demo_env):
    from lap_app.card import CardService
    from lap_app.cli.gui_cmd import build_context
    from lap_app.ui.main_window import MainWindow

    context = build_context()
    context.card_service.close()
    context.card_service = CardService(virtual=True, pcsc=False)  # the demo's card, in the in-process reader
    demo_env.insert_card()
    window = MainWindow(context)
    qtbot.addWidget(window)
    window.resize(1400, 860)
    window.show()
    return window, context


def _close(window, context) -> None:
    from lap_app.ui.workers import wait_idle

    window.close()
    wait_idle()
    context.close()


def test_practice_is_asked_at_first_start_and_signing_is_refused_without_it(qtbot, fresh_profile, demo_env):
    window, context = _window(qtbot, demo_env)
    try:
        assert "République" not in str(context.settings.practice)  # nothing fictitious by default
        qtbot.waitUntil(lambda: window.practice_dialog is not None and window.practice_dialog.isVisible(),
                        timeout=3000)
        window.practice_dialog.grab().save(str(fresh_profile / "practice-dialog.png"))
        window.practice_dialog.reject()  # « Plus tard »

        login(qtbot, window)
        qtbot.waitUntil(lambda: not window.is_locked(), timeout=5000)
        patients = context.services.patients
        record = patients.save(PatientRecord("ESSAI", ["Marc"], Sex.MALE, date(1970, 1, 1)))
        window.patient_panel.select(record)
        editor = window.editor
        line = line_for_drug(context.drugs.search("doliprane 1000")[0])
        line.posology.duration, line.posology.duration_unit = 5, "d"
        editor.add_line(line)
        assert len(editor.draft_lines()) == 1

        window.validate()
        message = window._flow.message.text()
        for field in ("adresse", "code postal", "ville", "téléphone", "qualification"):
            assert field in message
        assert "Paramètres › Cabinet" in message
        assert window._flow.result_dialog is None and context.store.list() == []  # nothing signed or printed
        qtbot.waitUntil(lambda: window.practice_dialog.isVisible(), timeout=3000)  # asked again
        window._flow.message.close()

        dialog = window.practice_dialog
        dialog.form.address.setPlainText("3 place des Essais")
        dialog.accept()
        assert dialog.isVisible() and "code postal" in dialog.message.text()  # still missing: said
        for edit, text in ((dialog.form.postal_code, "31000"), (dialog.form.city, "Toulouse"),
                           (dialog.form.phone, "05 61 00 00 00"), (dialog.form.qualification, "Medecine generale")):
            qtbot.keyClicks(edit, text)
        dialog.accept()
        assert not dialog.isVisible()
        from lap_app.settings import load_settings

        saved = load_settings()
        assert saved.practice.city == "Toulouse" and saved.practice.address_lines == ["3 place des Essais"]
    finally:
        _close(window, context)
