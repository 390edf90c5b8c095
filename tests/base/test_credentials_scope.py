"""The installation credential belongs to one installation (one data directory), not to the
user's whole keyring: a wiped or second data directory enrols afresh rather than presenting a
credential the base may not know (seen with two demo folders against a new demo base)."""

from __future__ import annotations

from lap_app.base_client import InstallationCredential
from lap_app.services import credentials

BASE = "https://127.0.0.1:47443"


def test_a_credential_is_found_only_by_the_installation_that_saved_it(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    monkeypatch.setenv("LAP_CONFIG_DIR", str(tmp_path / "config"))  # one user, one shared store
    monkeypatch.setenv("LAP_DATA_DIR", str(tmp_path / "first"))
    credentials.save_credential(BASE, InstallationCredential("inst-1", "s3cret"))
    assert credentials.load_credential(BASE) == InstallationCredential("inst-1", "s3cret")

    monkeypatch.setenv("LAP_DATA_DIR", str(tmp_path / "second"))
    assert credentials.load_credential(BASE) is None

    monkeypatch.setenv("LAP_DATA_DIR", str(tmp_path / "first"))
    assert credentials.load_credential(BASE) == InstallationCredential("inst-1", "s3cret")
    (tmp_path / "first" / "installation-id").unlink()  # the data directory wiped
    assert credentials.load_credential(BASE) is None
