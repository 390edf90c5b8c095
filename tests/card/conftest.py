"""Fixtures of the card tests: one demo PKI per session (RSA key generation is the slow part)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from lap_app.standins.pki import Pki, init_pki


@pytest.fixture(scope="session")
def card_pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return init_pki(tmp_path_factory.mktemp("card-pki"))


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
