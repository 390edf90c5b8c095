"""Fixtures of the card tests: one demo PKI per session (a copy of the session's, tests/conftest.py)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from lap_app.standins.pki import Pki


@pytest.fixture(scope="session")
def card_pki(tmp_path_factory: pytest.TempPathFactory, demo_pki_copy: Callable[[Path], Pki]) -> Pki:
    return demo_pki_copy(tmp_path_factory.mktemp("card") / "pki")


@pytest.fixture(scope="session")
def card_pki_dir(card_pki: Pki) -> Path:
    return card_pki.directory


@pytest.fixture(scope="session")
def require_service(request: pytest.FixtureRequest) -> Callable[[bool, str], None]:
    """tests/conftest.py ``require_service``: skip locally, FAIL in CI."""
    # The suite-wide conftest is registered under its path; "import conftest" would be ambiguous
    # with this file's module name.
    root = request.config.pluginmanager.get_plugin(str(Path(__file__).resolve().parents[1] / "conftest.py"))
    return root.require_service


@pytest.fixture(scope="session")
def pcsc_stack(require_service: Callable[[bool, str], None]) -> None:
    """pcscd + vpcd must be there: skip locally, FAIL in CI."""
    from lap_app.standins.virtual_cps.testing import pcsc_ready

    require_service(pcsc_ready(), "pcscd with the vpcd virtual reader")


@pytest.fixture(scope="session")
def softhsm_tokens(card_pki: Pki, require_service: Callable[[bool, str], None],
                   tmp_path_factory: pytest.TempPathFactory):
    """A SoftHSM2 token directory with the demo CPS tokens, made before this process loads the
    module (SoftHSM2 reads its tokens once). Skip locally, FAIL in CI, when SoftHSM2 is missing."""
    import os

    from lap_app.standins.softhsm import AUTH_LABELS, SIGN_LABELS, SoftHsm, softhsm_available

    require_service(softhsm_available(), "SoftHSM2 (softhsm2) and pkcs11-tool (opensc)")
    hsm = SoftHsm(tmp_path_factory.mktemp("softhsm"))
    tokens = {
        "medecin": hsm.add_cps_token(card_pki.holder("medecin"), "CPS MARTIN"),
        "pharmacien": hsm.add_cps_token(card_pki.holder("pharmacien"), "CPS LEROY"),
        "without_certificates": hsm.add_cps_token(card_pki.holder("medecin"), "CPS SANS CERTIFICAT",
                                                  certificates=False),
    }
    # another middleware's names: the labels say the opposite of the objects, other IDs
    tokens["other_labels"] = hsm.add_cps_token(card_pki.holder("medecin"), "CPS AUTRE INTERGICIEL",
                                               ids=("a1", "b2"), labels=(SIGN_LABELS, AUTH_LABELS))
    for n in range(3):  # one for each test that pulls a card
        tokens[f"pulled{n}"] = hsm.add_cps_token(card_pki.holder("medecin"), f"CPS RETIREE {n}")
    os.environ["SOFTHSM2_CONF"] = str(hsm.conf_path)
    return hsm, tokens


@pytest.fixture(scope="session")
def card_like_module(softhsm_tokens, require_service: Callable[[bool, str], None],
                     tmp_path_factory: pytest.TempPathFactory):
    """The card-like PKCS#11 filter over the session's SoftHSM2 tokens (PIN tries, removal)."""
    from lap_app.standins.softhsm import CardFilter, card_filter_buildable

    require_service(card_filter_buildable(), "gcc and the PKCS#11 header (libp11-kit-dev)")
    hsm, _tokens = softhsm_tokens
    card_filter = CardFilter(hsm, tmp_path_factory.mktemp("card-filter"))
    card_filter.install_in_this_process()
    return card_filter


@pytest.fixture()
def card_like(card_like_module):
    """The filter with the card in the reader and three PIN tries, reset after the test."""
    card_like_module.reset()
    yield card_like_module
    card_like_module.reset()
