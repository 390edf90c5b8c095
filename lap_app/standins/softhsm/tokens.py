"""SoftHSM2 directories and CPS tokens made with ``softhsm2-util`` and ``pkcs11-tool``."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

from lap_app.standins.pki import Holder

SOFTHSM_MODULES = ("/usr/lib/softhsm/libsofthsm2.so", "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
                   "/usr/local/lib/softhsm/libsofthsm2.so")
# Object labels and IDs of the demo tokens; the application reads neither label (it tells the
# certificates apart by key usage), the IDs pair each certificate with its key.
AUTH_ID, SIGN_ID = "01", "02"
AUTH_LABELS = ("Certificat d'authentification CPS", "CPS_PRIV_AUT")
SIGN_LABELS = ("Certificat de signature CPS", "CPS_PRIV_SIG")
DEMO_SO_PIN = "12345678"
DEMO_PIN = "1234"


def find_softhsm_module() -> str | None:
    return next((path for path in SOFTHSM_MODULES if Path(path).is_file()), None)


def softhsm_available() -> bool:
    """SoftHSM2's module and tools, and OpenSC's pkcs11-tool."""
    return (find_softhsm_module() is not None and shutil.which("softhsm2-util") is not None
            and shutil.which("pkcs11-tool") is not None)


@dataclass(frozen=True, slots=True)
class SoftHsmToken:
    label: str
    pin: str
    directory: Path  # the token's own folder under the token directory (deleted = card pulled)


class SoftHsm:
    """A SoftHSM2 configuration and token directory under ``directory``.

    ``module_path`` is this directory's own copy of the module: a process that loads it gets an
    instance of its own, which reads ``SOFTHSM2_CONF`` when it is first loaded. Several
    SoftHsm (one per test PKI, say) can so live in one process; set the variable (``env()``)
    before loading each copy.
    """

    def __init__(self, directory: str | os.PathLike[str]) -> None:
        module = find_softhsm_module()
        if module is None:
            raise RuntimeError("SoftHSM2 is not installed (Debian package softhsm2)")
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.module_path = str(self.directory / "libsofthsm2.so")
        shutil.copyfile(module, self.module_path)
        self.token_dir = self.directory / "tokens"
        self.token_dir.mkdir(parents=True, exist_ok=True)
        self.conf_path = self.directory / "softhsm2.conf"
        self.conf_path.write_text(f"directories.tokendir = {self.token_dir}\nobjectstore.backend = file\n"
                                  "log.level = ERROR\nslots.removable = true\n", encoding="utf-8")

    def env(self) -> dict[str, str]:
        """The environment of a process that must see these tokens."""
        return {**os.environ, "SOFTHSM2_CONF": str(self.conf_path)}

    def use_in_this_process(self) -> None:
        """Point this process's next load of ``module_path`` at these tokens."""
        os.environ["SOFTHSM2_CONF"] = str(self.conf_path)

    def _run(self, *args: str) -> str:
        done = subprocess.run(args, env=self.env(), capture_output=True, text=True, timeout=60)  # noqa: S603 - our argv
        if done.returncode != 0:
            raise RuntimeError(f"{args[0]} failed: {done.stderr.strip() or done.stdout.strip()}")
        return done.stdout

    def init_token(self, label: str, pin: str = DEMO_PIN) -> SoftHsmToken:
        before = set(self.token_dir.iterdir())
        self._run("softhsm2-util", "--init-token", "--free", "--label", label, "--so-pin", DEMO_SO_PIN, "--pin", pin)
        created = [path for path in self.token_dir.iterdir() if path not in before]
        return SoftHsmToken(label, pin, created[0] if created else self.token_dir)

    def write_object(self, token: SoftHsmToken, der: bytes, kind: str, object_id: str, label: str) -> None:
        """``pkcs11-tool --write-object`` of a DER key or certificate, from a private temp file."""
        fd, name = tempfile.mkstemp(suffix=".der", dir=self.directory)
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(der)
            self._run("pkcs11-tool", "--module", self.module_path, "--token-label", token.label, "--login",
                      "--pin", token.pin, "--write-object", name, "--type", kind, "--id", object_id,
                      "--label", label)
        finally:
            os.unlink(name)

    def add_cps_token(self, holder: Holder, label: str, *, pin: str = DEMO_PIN, certificates: bool = True,
                      ids: tuple[str, str] = (AUTH_ID, SIGN_ID),
                      labels: tuple[tuple[str, str], tuple[str, str]] = (AUTH_LABELS, SIGN_LABELS)) -> SoftHsmToken:
        """A token holding ``holder``'s two keys and certificates (``certificates=False``: keys only);
        ``ids`` and ``labels`` are those of the authentication objects, then the signature ones."""
        token = self.init_token(label, pin)
        for object_id, labels_of, key, cert in ((ids[0], labels[0], holder.auth_key, holder.auth_cert),
                                                 (ids[1], labels[1], holder.sign_key, holder.sign_cert)):
            key_der = key.private_bytes(Encoding.DER, PrivateFormat.PKCS8, NoEncryption())
            self.write_object(token, key_der, "privkey", object_id, labels_of[1])
            if certificates:
                self.write_object(token, cert.public_bytes(Encoding.DER), "cert", object_id, labels_of[0])
        return token

    def delete_token(self, token: SoftHsmToken) -> None:
        """The card is pulled: the token's files go (the module notices at its next call)."""
        self._run("softhsm2-util", "--delete-token", "--token", token.label)
