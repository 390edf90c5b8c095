"""The card back end in the settings: stored, checked, chosen by the settings dialog."""

from __future__ import annotations

import json

from lap_app.settings import SETTINGS_VERSION, Settings, load_settings, save_settings


def test_card_backend_round_trip_and_bad_values(tmp_path):
    path = tmp_path / "settings.json"
    settings = Settings()
    assert settings.card.backend == "pcsc"  # PC/SC stays the default
    settings.card.backend, settings.card.pkcs11_module = "pkcs11", "/usr/lib/libcps3_pkcs11_lux.so"
    save_settings(settings, path)
    assert load_settings(path) == settings
    path.write_text(json.dumps({"version": SETTINGS_VERSION, "card": {"backend": "usb", "pkcs11_module": 3}}),
                    encoding="utf-8")
    assert load_settings(path).card == Settings().card


def test_dialog_refuses_a_missing_module_and_saves_the_choice(qtbot, tmp_path):
    from contexts import complete_context

    from lap_app.ui.settings_dialog import SettingsDialog

    path = tmp_path / "settings.json"
    context = complete_context(tmp_path / "store.sqlite3", settings=Settings(), settings_file=path)
    dialog = SettingsDialog(context)
    qtbot.addWidget(dialog)
    assert not dialog.pkcs11_module.isEnabled()  # PC/SC chosen: no module to give
    dialog.card_backend.setCurrentIndex(dialog.card_backend.findData("pkcs11"))
    assert dialog.pkcs11_module.isEnabled()
    assert dialog.pkcs11_module.findText("/usr/lib/libcps3_pkcs11_lux.so") >= 0  # the usual paths offered
    dialog.pkcs11_module.setCurrentText(str(tmp_path / "absent.so"))
    dialog.accept()
    assert "introuvable" in dialog.message.text() and "Cryptolib CPS" in dialog.message.text()
    assert not path.exists()

    module = tmp_path / "libcps3_pkcs11_lux.so"
    module.write_bytes(b"\x7fELF")
    dialog.pkcs11_module.setCurrentText(str(module))
    dialog.accept()
    saved = load_settings(path)
    assert (saved.card.backend, saved.card.pkcs11_module) == ("pkcs11", str(module))
