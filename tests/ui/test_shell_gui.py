"""``lap-app gui``: the context follows the settings (base URL and CA), and opens without a base."""

from __future__ import annotations

import pytest

from lap_app.settings import Settings, load_settings, save_settings


@pytest.fixture
def own_config(tmp_path, monkeypatch, drug_base_in_profile):
    monkeypatch.setenv("LAP_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("LAP_DATA_DIR", str(tmp_path / "data"))
    drug_base_in_profile(tmp_path / "data")
    monkeypatch.delenv("LAP_BASE_URL", raising=False)
    monkeypatch.delenv("LAP_BASE_CA", raising=False)
    return tmp_path


def test_without_a_base_the_window_opens_and_validation_says_where_to_configure(qtbot, own_config):
    from lap_app.cli.gui_cmd import build_context
    from lap_app.ui.main_window import MainWindow

    context = build_context()
    try:
        assert not context.services.prescribing.has_base  # the desk serves the local history all the same
        window = MainWindow(context)
        qtbot.addWidget(window)
        assert window.base_status.text() == "Base : non configurée"
        window.stack.setCurrentWidget(window.work_area)  # as if logged in
        window.validate()
        assert "Paramètres" in window._flow.message.text()
        window.close()
    finally:
        from lap_app.ui.workers import wait_idle

        wait_idle()  # as the application does: the status worker reads the store being closed
        context.close()


def test_base_from_settings_then_changed_in_the_dialog(qtbot, own_config, demo_env):
    from lap_app.cli.gui_cmd import build_context
    from lap_app.ui.main_window import MainWindow

    settings = Settings()
    settings.base.url, settings.base.ca_path = demo_env.base.url, str(demo_env.base.ca_path)
    save_settings(settings)
    context = build_context()
    try:
        assert context.services.prescribing.endpoint.url == demo_env.base.url
        window = MainWindow(context)
        qtbot.addWidget(window)
        qtbot.waitUntil(lambda: window.base_status.text() == "Base : connectée", timeout=5000)

        context.settings.base.url = "https://127.0.0.1:9"  # nothing listens there
        window._use_base_from_settings()
        assert context.services.prescribing.endpoint.url == "https://127.0.0.1:9"
        qtbot.waitUntil(lambda: window.base_status.text() == "Base : injoignable", timeout=5000)
        assert load_settings().base.url == demo_env.base.url  # only the dialog saves
        window.close()
    finally:
        from lap_app.ui.workers import wait_idle

        wait_idle()  # as the application does: the status worker reads the store being closed
        context.close()
