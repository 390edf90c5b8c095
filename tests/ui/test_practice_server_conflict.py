"""Two workstations of a practice on its PostgreSQL server, as the GP sees them: the patient form of
the second one, saved after the first changed the same patient, says so in French, keeps what was
typed and overwrites nothing."""

from __future__ import annotations

from dataclasses import replace

import pytest
from PySide6.QtCore import Qt

from lap_app.services.patients import PatientService
from lap_app.storage import open_store
from lap_app.ui.patient_panel import PatientPanel

from practice_store_support import adult, make_context, type_text

pytestmark = pytest.mark.postgresql


def test_the_second_workstation_sees_the_conflict_in_the_patient_form(qtbot, tmp_path, fresh_postgres_database):
    reception = PatientService(open_store(fresh_postgres_database))  # the secretary's workstation
    patient = reception.save(adult(weight_kg=70.0))
    context = make_context(tmp_path / "store.sqlite3", connection=open_store(fresh_postgres_database))
    panel = PatientPanel(context)
    qtbot.addWidget(panel)
    panel.show()
    panel.refresh()

    form = panel.open_form(context.services.patients.get(patient.id))  # the GP opens the record
    reception.save(replace(reception.get(patient.id), weight_kg=72.5))  # meanwhile, at the reception desk
    type_text(qtbot, form.allergy_edit, "pénicilline")
    qtbot.keyClick(form.allergy_edit, Qt.Key.Key_Return)
    qtbot.mouseClick(form.save_button, Qt.MouseButton.LeftButton)

    assert form.isVisible()  # not closed: what the GP typed is still there
    assert form.allergy_list.count() == 1
    assert "modifiée sur un autre poste" in form.error_label.text()
    assert "rien n'a été écrasé" in form.error_label.text()
    form.grab().save(str(tmp_path / "patient-form-conflict.png"))
    stored = reception.get(patient.id)
    assert stored.weight_kg == 72.5 and stored.allergies == []
    form.reject()
    context.close()


def test_a_start_while_the_practice_server_is_down_offers_to_try_again(qtbot, monkeypatch, tmp_path, postgres_cluster,
                                                                       drug_base_in_profile):
    """Started while the practice server is off: a French dialog says so and offers « Réessayer »;
    once the server is back, trying again opens the application on it."""
    from PySide6.QtWidgets import QMessageBox

    from lap_app.cli import gui_cmd
    from lap_app.ui import errors

    with postgres_cluster.fresh_database() as dsn:
        monkeypatch.setenv("LAP_STORE", dsn)
        monkeypatch.setenv("LAP_DATA_DIR", str(tmp_path / "data"))
        drug_base_in_profile(tmp_path / "data")
        monkeypatch.setenv("LAP_CONFIG_DIR", str(tmp_path / "config"))
        monkeypatch.setattr("lap_app.cli.display.require_display", lambda: None)
        asked: list[QMessageBox] = []

        def server_back_then_retry(error: BaseException) -> bool:
            box, retry = errors.retry_box(error)
            asked.append(box)
            assert retry.text() == "Réessayer"
            box.show()
            qtbot.wait(50)
            box.grab().save(str(tmp_path / "startup-server-down.png"))
            box.close()
            postgres_cluster.resume()
            return True

        opened: list[object] = []
        monkeypatch.setattr(errors, "ask_retry_at_startup", server_back_then_retry)
        monkeypatch.setattr("lap_app.ui.app.run_main_window", lambda context: opened.append(context) or 0)

        class Args:
            base_url = base_ca = pkcs11_module = None
            pcsc = False

        postgres_cluster.halt("fast")
        try:
            assert gui_cmd.run(Args()) == 0  # type: ignore[arg-type]
        finally:
            if not asked:
                postgres_cluster.resume()
        assert len(asked) == 1 and asked[0].windowTitle() == "Démarrage impossible"
        assert "Serveur du cabinet injoignable" in asked[0].text()
        assert len(opened) == 1  # the second try opened the application on the server


def test_the_practice_server_is_chosen_in_the_settings_dialog(qtbot, tmp_path):
    from contexts import complete_context

    from lap_app.settings import Settings, load_settings
    from lap_app.ui.settings_dialog import SettingsDialog

    path = tmp_path / "settings.json"
    context = complete_context(tmp_path / "store.sqlite3", settings=Settings(), settings_file=path)
    dialog = SettingsDialog(context)
    qtbot.addWidget(dialog)
    assert dialog.store_url.text() == "" and "fichier de ce poste" in dialog.store_url.placeholderText()
    dialog.store_url.setText("https://cabinet.example")
    dialog.accept()
    assert "postgresql://" in dialog.message.text() and not path.exists()
    dialog.store_url.setText("postgresql://lap@cabinet-serveur.local:5432/lap_cabinet")
    dialog.store_ca.setText(str(tmp_path / "absent.pem"))
    dialog.accept()
    assert "introuvable" in dialog.message.text() and not path.exists()
    ca = tmp_path / "ca.pem"
    ca.write_text("-----BEGIN CERTIFICATE-----\n", encoding="utf-8")
    dialog.store_ca.setText(str(ca))
    dialog.show()
    qtbot.wait(50)
    dialog.grab().save(str(tmp_path / "settings-practice-server.png"))
    dialog.practice_form.qualification.clear()
    qtbot.keyClicks(dialog.practice_form.qualification, "Medecin generaliste")
    dialog.accept()
    assert dialog.result() == dialog.DialogCode.Accepted, dialog.message.text()
    saved = load_settings(path)
    assert saved.store.url == "postgresql://lap@cabinet-serveur.local:5432/lap_cabinet"
    assert saved.store.ca_path == str(ca)
    context.close()
