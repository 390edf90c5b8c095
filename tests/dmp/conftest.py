"""Fixtures of the DMP tests: one PKI and one real base (TLS, DMP mounted) per session.

The helpers of the national-circuit tests (``tests/base/circuit_support.py``) are reused.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "base"))

from circuit_support import BaseProcess, card_in_hand, running_base


@pytest.fixture(scope="session")
def dmp_pki_dir(tmp_path_factory: pytest.TempPathFactory, demo_pki_copy) -> Path:
    return demo_pki_copy(tmp_path_factory.mktemp("dmp") / "pki").directory


@pytest.fixture(scope="session", autouse=True)
def _dmp_no_system_keyring() -> None:
    """In-process tests use the documented plain-file fallback (their config dir is temporary)."""
    import keyring
    from keyring.backends import fail

    keyring.set_keyring(fail.Keyring())


@pytest.fixture(scope="session")
def dmp_base(tmp_path_factory: pytest.TempPathFactory, dmp_pki_dir: Path):
    with running_base(tmp_path_factory.mktemp("dmp-base"), dmp_pki_dir) as process:
        yield process


@pytest.fixture(scope="session")
def dmp_endpoint(dmp_base: BaseProcess, dmp_pki_dir: Path):
    """This (test) installation enrolled with the session's base; returns the endpoint."""
    from lap_app.services.base_connection import base_endpoint
    from lap_app.services.enrolment import enrol

    endpoint = base_endpoint(dmp_base.url, dmp_base.ca)
    with card_in_hand("medecin", dmp_pki_dir) as card:
        enrol(endpoint, card, name="tests-dmp")
    return endpoint
