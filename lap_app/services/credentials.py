"""Where this installation keeps its client credential for the base (CSP R.4071-2).

The secret goes to the system keyring (``keyring``; its own ``PYTHON_KEYRING_BACKEND``
variable selects another backend). On a machine with no keyring service at all, and only
then, it falls back to a plain file ``user_config_dir()/installation-credential.json``
(mode 0600) and says so with a warning: the demo must still run there. The PIN is never
stored anywhere.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from lap_app.i18n import _
from lap_app.paths import user_config_dir, user_data_dir

if TYPE_CHECKING:  # the HTTP client stack loads when a client is opened, off the start-up path
    from lap_app.base_client import InstallationCredential

log = logging.getLogger(__name__)
SERVICE = "lap-app"
FALLBACK_WARNING = _(
    "Aucun trousseau de clés système : l'identifiant de l'installation est conservé dans un fichier "
    "protégé ({path}). Installez un service de trousseau (Secret Service, KWallet) pour plus de sûreté."
)


def _account(base_url: str) -> str:
    """One credential per installation and base. The keyring is shared by every data directory
    of the user (a second workstation profile, the demo's own folder): the installation is
    named by a random id kept in its data directory, so a new or wiped data directory enrols
    afresh instead of presenting another installation's credential."""
    return f"installation:{installation_key()}:{base_url.rstrip('/')}"


def installation_key() -> str:
    path = user_data_dir() / "installation-id"
    try:
        key = path.read_text(encoding="ascii").strip()
        if key:
            return key
    except (OSError, UnicodeDecodeError):
        pass
    import secrets  # (with hmac and OpenSSL's hashes: not on the start-up path)

    key = secrets.token_hex(8)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(key, encoding="ascii")
    os.replace(tmp, path)
    return key


def fallback_path() -> Path:
    return user_config_dir() / "installation-credential.json"


def _keyring_usable() -> bool:
    import keyring
    from keyring.backends import fail

    return not isinstance(keyring.get_keyring(), fail.Keyring)


def save_credential(base_url: str, credential: InstallationCredential) -> str | None:
    """Store the credential; returns a warning to show when the plain-file fallback was used."""
    value = credential.header()
    if _keyring_usable():
        import keyring
        from keyring.errors import KeyringError

        try:
            keyring.set_password(SERVICE, _account(base_url), value)
            return None
        except KeyringError as error:
            log.warning("keyring refused the credential (%s): using the file fallback", type(error).__name__)
    path = fallback_path()
    data = _read_private_json(path)
    data[_account(base_url)] = value
    _write_private_json(path, data)
    warning = FALLBACK_WARNING.format(path=path)
    log.warning("installation credential stored in the plain-file fallback %s", path)
    return warning


def load_credential(base_url: str) -> InstallationCredential | None:
    value: str | None = None
    if _keyring_usable():
        import keyring
        from keyring.errors import KeyringError

        try:
            value = keyring.get_password(SERVICE, _account(base_url))
        except KeyringError:
            value = None
    if value is None:
        value = _read_private_json(fallback_path()).get(_account(base_url))
    return _credential(value)


class CredentialStore(Protocol):
    """Where an installation keeps its credential for a base (``BaseEndpoint.credentials``)."""

    def load(self, base_url: str) -> InstallationCredential | None: ...

    def save(self, base_url: str, credential: InstallationCredential) -> str | None:
        """Store it; returns a warning to show the user, or None."""
        ...


class SystemCredentials:
    """This user's workstation: the system keyring, or its documented file fallback."""

    def load(self, base_url: str) -> InstallationCredential | None:
        return load_credential(base_url)

    def save(self, base_url: str, credential: InstallationCredential) -> str | None:
        return save_credential(base_url, credential)


class FileCredentials:
    """A credential file of its own (mode 0600), never the keyring nor the user's profile: the
    demo's, for the demo base, in the demo's folder."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def load(self, base_url: str) -> InstallationCredential | None:
        return _credential(_read_private_json(self.path).get(base_url.rstrip("/")))

    def save(self, base_url: str, credential: InstallationCredential) -> str | None:
        data = _read_private_json(self.path)
        data[base_url.rstrip("/")] = credential.header()
        _write_private_json(self.path, data)
        return None


def _credential(value: str | None) -> InstallationCredential | None:
    from lap_app.base_client import InstallationCredential

    if not value or "." not in value:
        return None
    installation_id, secret = value.split(".", 1)
    return InstallationCredential(installation_id, secret)


def _read_private_json(path: Path) -> dict[str, str]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _write_private_json(path: Path, data: dict[str, str]) -> None:
    """Readable by this user only, replaced atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(data, handle)
    os.replace(tmp, path)
