"""Settings: stored per user as versioned JSON, upgraded, never lost; the dialog edits them."""

from __future__ import annotations

import json

from lap_app.settings import SETTINGS_VERSION, Settings, load_settings, save_settings


def test_defaults_when_no_file(tmp_path):
    settings = load_settings(tmp_path / "settings.json")
    assert settings.paper_size == "A4"
    assert settings.practice.city and settings.practice.phone.startswith("+33")


def test_save_then_load_round_trip(tmp_path):
    path = tmp_path / "settings.json"
    settings = Settings()
    settings.practice.address_lines = ["3 place Bellecour", "Bâtiment B"]
    settings.paper_size = "A5"
    settings.default_printer = "PDF"
    settings.base.url = "https://127.0.0.1:8443"
    save_settings(settings, path)
    on_disk = json.loads(path.read_text(encoding="utf-8"))
    assert on_disk["version"] == SETTINGS_VERSION
    again = load_settings(path)
    assert again == settings


def test_version_1_file_is_upgraded(tmp_path):
    path = tmp_path / "settings.json"
    path.write_text(json.dumps({
        "version": 1,
        "base_url": "https://base.example:443",
        "base_ca": "/etc/ca.pem",
        "practice": {"address": "1 rue A\n\n69001 Lyon", "phone": "+33 1 23 45 67 89"},
        "paper_size": "A5",
    }), encoding="utf-8")
    settings = load_settings(path)
    assert settings.base.url == "https://base.example:443"
    assert settings.base.ca_path == "/etc/ca.pem"
    assert settings.practice.address_lines == ["1 rue A", "69001 Lyon"]
    assert settings.practice.phone == "+33 1 23 45 67 89"
    assert settings.paper_size == "A5"


def test_corrupt_file_is_set_aside_not_lost(tmp_path):
    path = tmp_path / "settings.json"
    path.write_text("{ not json", encoding="utf-8")
    settings = load_settings(path)
    assert settings == Settings()
    assert (tmp_path / "settings.json.bad").read_text(encoding="utf-8") == "{ not json"


def test_bad_values_fall_back_field_by_field(tmp_path):
    path = tmp_path / "settings.json"
    path.write_text(json.dumps({"version": SETTINGS_VERSION, "paper_size": "A3",
                                "practice": {"city": 12, "email": "x@y.fr"}}), encoding="utf-8")
    settings = load_settings(path)
    assert settings.paper_size == "A4"
    assert settings.practice.city == Settings().practice.city
    assert settings.practice.email == "x@y.fr"


def test_dialog_refuses_plain_http_and_saves_valid_input(qtbot, tmp_path):
    from lap_app.ui.context import AppContext
    from lap_app.ui.settings_dialog import SettingsDialog

    path = tmp_path / "settings.json"
    context = AppContext(settings=Settings(), settings_file=path)
    dialog = SettingsDialog(context)
    qtbot.addWidget(dialog)
    dialog.base_url.setText("http://base.example")
    dialog.accept()
    assert "https://" in dialog.message.text()
    assert not path.exists()

    ca = tmp_path / "ca.pem"
    ca.write_text("-----BEGIN CERTIFICATE-----\n", encoding="utf-8")
    dialog.base_url.setText("https://base.example")
    dialog.base_ca.setText(str(ca))
    dialog.qualification.clear()
    qtbot.keyClicks(dialog.qualification, "Medecin generaliste")  # keyClicks: ASCII only
    dialog.paper.setCurrentText("A5")
    dialog.accept()
    assert dialog.result() == dialog.DialogCode.Accepted
    saved = load_settings(path)
    assert saved.practice.qualification == "Medecin generaliste"
    assert saved.paper_size == "A5"
    assert saved.base.ca_path == str(ca)
