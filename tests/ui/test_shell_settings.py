"""Settings: stored per user as versioned JSON, upgraded, never lost; the dialog edits them."""

from __future__ import annotations

import json

from lap_app.settings import SETTINGS_VERSION, Settings, load_settings, save_settings


def test_defaults_when_no_file(tmp_path):
    settings = load_settings(tmp_path / "settings.json")
    assert settings.paper_size == "A4"
    # no practice until the physician gives theirs: nothing fictitious on a real ordonnance
    assert settings.practice.address_lines == [] and settings.practice.city == "" and settings.practice.phone == ""


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
    from contexts import complete_context

    from lap_app.standins.pki import init_pki
    from lap_app.ui.settings_dialog import SettingsDialog

    path = tmp_path / "settings.json"
    context = complete_context(tmp_path / "store.sqlite3", settings=Settings(), settings_file=path)
    dialog = SettingsDialog(context)
    qtbot.addWidget(dialog)
    dialog.base_url.setText("http://base.example")
    dialog.accept()
    assert "https://" in dialog.message.text()
    assert not path.exists()

    not_a_certificate = tmp_path / "ca.pem"
    not_a_certificate.write_text("-----BEGIN CERTIFICATE-----\n", encoding="utf-8")
    dialog.base_url.setText("https://base.example")
    dialog.base_ca.setText(str(not_a_certificate))
    dialog.accept()
    assert "illisible" in dialog.message.text() and not path.exists()

    ca = init_pki(tmp_path / "pki").ca_cert_path
    dialog.base_ca.setText(str(ca))
    dialog.practice_form.qualification.clear()
    qtbot.keyClicks(dialog.practice_form.qualification, "Medecin generaliste")  # keyClicks: ASCII only
    dialog.paper.setCurrentText("A5")
    dialog.accept()
    assert dialog.result() == dialog.DialogCode.Accepted
    saved = load_settings(path)
    assert saved.practice.qualification == "Medecin generaliste"
    assert saved.paper_size == "A5"
    assert saved.base.ca_path == str(ca)
    context.close()


def test_an_empty_base_address_does_not_claim_a_demo_base(qtbot, tmp_path):
    from contexts import complete_context

    from lap_app.ui.settings_dialog import SettingsDialog

    context = complete_context(tmp_path / "store.sqlite3", settings=Settings())
    dialog = SettingsDialog(context)
    qtbot.addWidget(dialog)
    assert dialog.base_url.text() == ""
    shown = dialog.base_url.placeholderText().lower()
    assert "démonstration" not in shown and "aucune base" in shown
    context.close()


def test_settings_written_by_older_versions_lose_the_built_in_demo_practice(tmp_path):
    path = tmp_path / "settings.json"
    path.write_text(json.dumps({"version": 2, "practice": {
        "address_lines": ["12 rue de la République"], "postal_code": "69002", "city": "Lyon",
        "phone": "+33 4 78 00 00 00", "email": "cabinet@example.fr", "qualification": "Pédiatrie"},
        "base": {"url": "https://base.example", "ca_path": ""}}), encoding="utf-8")
    practice = load_settings(path).practice
    assert (practice.address_lines, practice.postal_code, practice.city, practice.phone, practice.email) == (
        [], "", "", "", "")
    assert practice.qualification == "Pédiatrie"  # the physician's own choice stays


def _cut_labels(dialog) -> list[str]:  # type: ignore[no-untyped-def]
    """The texts of the dialog's labels and box titles that do not show whole at its current size."""
    from PySide6.QtWidgets import QGroupBox, QLabel

    cut = []
    for label in dialog.findChildren(QLabel):
        if not label.isVisible() or not label.text():
            continue
        if label.wordWrap():
            whole = label.width() >= label.minimumSizeHint().width() and (
                label.height() >= label.heightForWidth(label.width()))
        else:
            whole = label.width() >= label.sizeHint().width()
        if not whole:
            cut.append(label.text())
    for box in dialog.findChildren(QGroupBox):
        if box.fontMetrics().horizontalAdvance(box.title()) + 20 > box.width():  # title, its margin and padding
            cut.append(box.title())
    return cut + _cut_placeholders(dialog)


def _cut_placeholders(dialog) -> list[str]:  # type: ignore[no-untyped-def]
    """The hints shown in the dialog's empty fields that do not show whole (« postgresql://… (vide : le
    fichier d… » was): the text area is the field's contents less QLineEdit's 2 px each side."""
    from PySide6.QtWidgets import QLineEdit, QStyle, QStyleOptionFrame

    cut = []
    for field in dialog.findChildren(QLineEdit):
        if not field.isVisible() or field.text() or not field.placeholderText():
            continue
        option = QStyleOptionFrame()
        field.initStyleOption(option)
        area = field.style().subElementRect(QStyle.SubElement.SE_LineEditContents, option, field)
        margins = field.textMargins()
        room = area.width() - margins.left() - margins.right() - 2 * 2
        if field.fontMetrics().horizontalAdvance(field.placeholderText()) > room:
            cut.append(field.placeholderText())
    return cut


def test_every_label_of_the_settings_dialog_reads_whole_on_a_laptop_screen(qtbot, tmp_path):
    """At 1366×768 — opened at its own size, or shrunk as far as it goes — no label is cut
    (« Créatinine d'un pa… », « Module PKCS#1… » were), nor the hint of an empty field."""
    from contexts import complete_context

    from lap_app.ui.settings_dialog import SettingsDialog
    from lap_app.ui.style import STYLESHEET

    context = complete_context(tmp_path / "store.sqlite3", settings=Settings())
    dialog = SettingsDialog(context)
    qtbot.addWidget(dialog)
    dialog.setStyleSheet(STYLESHEET)  # the application's font size
    dialog.show()
    qtbot.waitExposed(dialog)
    opened = dialog.sizeHint()
    assert opened.width() <= 1366 and opened.height() <= 768
    for width, height in ((opened.width(), opened.height()), (1, 1)):  # (1, 1): its smallest size
        dialog.resize(width, height)
        qtbot.wait(10)
        assert dialog.width() <= 1366 and dialog.height() <= 768
        assert _cut_labels(dialog) == [], (dialog.size(), _cut_labels(dialog))
    context.close()
