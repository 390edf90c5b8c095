"""The desktop application with the card read through a PKCS#11 module (a SoftHSM2 token behind
the card-like filter): login, wrong code, a signed ordonnance, lock on card pull (< 2 s)."""

from __future__ import annotations

import pytest
from contexts import test_practice as complete_practice  # aliased: pytest would collect a test_ name

from ui_support import login, looks_until_locked, paracetamol_for_petit, require_service, wait_for

pytestmark = pytest.mark.pkcs11


@pytest.fixture(scope="module")
def card_like(demo_env, tmp_path_factory):
    from lap_app.standins.softhsm import CardFilter, SoftHsm, card_filter_buildable, softhsm_available

    require_service(softhsm_available() and card_filter_buildable(),
                    "SoftHSM2, pkcs11-tool (opensc), gcc and the PKCS#11 header (libp11-kit-dev)")
    hsm = SoftHsm(tmp_path_factory.mktemp("softhsm-gui"))
    hsm.add_cps_token(demo_env.pki.holder("medecin"), "CPS MARTIN")
    card_filter = CardFilter(hsm, tmp_path_factory.mktemp("card-filter-gui"))
    card_filter.install_in_this_process()  # read when this module copy is loaded
    return card_filter


@pytest.fixture
def pkcs11_window(qtbot, qapp, demo_env, card_like, tmp_path):
    from lap_app.card.pkcs11 import Pkcs11CardService
    from lap_app.settings import Settings
    from lap_app.ui.app import apply_style
    from lap_app.ui.context import assemble_context
    from lap_app.ui.main_window import MainWindow
    from lap_app.ui.workers import wait_idle

    card_like.reset()
    apply_style(qapp)
    context = assemble_context(Settings(practice=complete_practice()), settings_file=tmp_path / "settings.json",
                               store_path=tmp_path / "lap.sqlite3", endpoint=demo_env.endpoint,
                               card_service=Pkcs11CardService(card_like.module_path))
    from lap_app.demo.patients import seed_demo_patients

    seed_demo_patients(context.services.patients)
    window = MainWindow(context)
    qtbot.addWidget(window)
    window.resize(1400, 860)
    window.show()
    yield window
    window.close()
    wait_idle()
    context.close()
    card_like.reset()


def test_login_with_the_token_then_a_wrong_code(qtbot, pkcs11_window, card_like):
    window = pkcs11_window
    page = window.login_page
    qtbot.waitUntil(lambda: page.pin_edit.isEnabled(), timeout=5000)
    qtbot.waitUntil(lambda: "Claire MARTIN" in page.card_label.text(), timeout=5000)  # parsed just after
    assert "RPPS 10101234564" in page.card_label.text()
    assert page.tries_label.text() == ""  # three tries: the token says nothing
    login(qtbot, window, "9999")
    qtbot.waitUntil(lambda: page.message_label.text() == "Code porteur incorrect.", timeout=5000)
    assert page.tries_label.text() == "peu d'essais restants" and window.is_locked()
    login(qtbot, window, "1234")
    qtbot.waitUntil(lambda: not window.is_locked(), timeout=5000)
    assert "MARTIN" in window.card_status.text() and card_like.tries_left == 3


def test_a_signed_ordonnance_then_the_card_pulled_locks_within_two_seconds(qtbot, pkcs11_window, card_like):
    window = pkcs11_window
    paracetamol_for_petit(qtbot, window)
    window.validate()
    qtbot.waitUntil(lambda: window._flow.result_dialog is not None, timeout=20000)
    assert window._flow.result_dialog.result.status == "registered"
    window._flow.result_dialog.close()

    looks = looks_until_locked(window, card_like.pull)
    assert looks <= 1, f"locked after {looks} looks at the token"  # within 2 s: the first look after the pull
    assert "verrouillée" in window.login_page.title.text() and window.context.session.card is None
    card_like.insert()
    login(qtbot, window)
    qtbot.waitUntil(lambda: not window.is_locked(), timeout=5000)


def test_a_module_that_is_not_installed_is_said_on_the_login_page(qtbot, qapp, tmp_path):
    from lap_app.card.pkcs11 import Pkcs11CardService
    from lap_app.settings import Settings
    from lap_app.ui.context import assemble_context
    from lap_app.ui.main_window import MainWindow
    from lap_app.ui.workers import wait_idle

    context = assemble_context(Settings(practice=complete_practice()), settings_file=tmp_path / "settings.json",
                               store_path=tmp_path / "lap.sqlite3", endpoint=None,
                               card_service=Pkcs11CardService(tmp_path / "libcps3_pkcs11_lux.so"))
    window = MainWindow(context)
    qtbot.addWidget(window)
    window.show()
    page = window.login_page
    qtbot.waitUntil(lambda: "introuvable" in page.reader_label.text(), timeout=5000)
    assert "Cryptolib CPS" in page.reader_label.text() and not page.pin_edit.isEnabled()
    assert window.card_status.text() == "Carte : lecteur de carte inaccessible"
    assert "introuvable" in window.card_status.toolTip()
    window.close()
    wait_idle()
    context.close()


def test_card_pulled_during_the_signature_keeps_the_draft_and_signs_nothing(qtbot, pkcs11_window, card_like):
    window = pkcs11_window
    paracetamol_for_petit(qtbot, window)
    card_like.pull_on_next_signature()  # the card goes at the first signature the card is asked for
    window.validate()
    qtbot.waitUntil(lambda: window._flow.message is not None, timeout=20000)
    assert "retirée" in window._flow.message.text() and "recommencez" in window._flow.message.text()
    assert window._flow.result_dialog is None
    window._flow.message.close()
    wait_for(window.is_locked)
    assert [record for record in window.context.store.list() if record.number] == []  # nothing signed
    assert len(window.editor.draft_lines()) == 1  # the draft is still there

    card_like.insert()
    login(qtbot, window)
    qtbot.waitUntil(lambda: not window.is_locked(), timeout=5000)
    window.validate()
    qtbot.waitUntil(lambda: window._flow.result_dialog is not None, timeout=20000)
    assert window._flow.result_dialog.result.status == "registered"
    window._flow.result_dialog.close()
