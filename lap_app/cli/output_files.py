"""Files the commands write (``-o OUT.pdf``): checked before any work, written atomically.

The check runs before the card is asked for its PIN and before anything is sent to the base,
so that a typo in ``-o`` never costs a signed, registered ordonnance its PDF. The write goes
through a temporary file renamed over the target: an existing file is never left truncated.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from lap_app.domain.errors import UserError, os_error_reason
from lap_app.i18n import _


def check_output_path(path: Path) -> None:
    """A ``UserError`` now if ``path`` cannot be written later (a folder, no folder, no right)."""
    if path.is_dir():
        raise UserError(_("{path} est un dossier : indiquez un nom de fichier").format(path=path))
    if path.exists() and not path.is_file():  # a device (/dev/full): never renamed over
        raise UserError(_("{path} n'est pas un fichier ordinaire : indiquez un nom de fichier").format(path=path))
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise UserError(_("Dossier de sortie introuvable : {path}").format(path=folder))
    try:  # a real probe: permissions, read-only file systems and root all answer truthfully
        with tempfile.TemporaryFile(prefix=".lap-", dir=folder):
            pass
    except OSError as error:
        raise UserError(
            _("Écriture impossible de {path} : {reason}").format(path=path, reason=os_error_reason(error))
        ) from None


def write_atomically(path: Path, content: bytes) -> None:
    """Check ``path`` (``check_output_path``), then write it through ``replace_file``."""
    check_output_path(path)
    replace_file(path, content)


def replace_file(path: Path, content: bytes) -> None:
    """Write through a temporary file in the same folder, then rename it over ``path``."""
    folder = path.parent if str(path.parent) else Path(".")
    try:
        handle, temporary = tempfile.mkstemp(prefix=".lap-", suffix=".tmp", dir=folder)
    except OSError as error:
        raise UserError(
            _("Écriture impossible de {path} : {reason}").format(path=path, reason=os_error_reason(error))
        ) from None
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(content)
        os.replace(temporary, path)
    except OSError as error:
        Path(temporary).unlink(missing_ok=True)
        raise UserError(
            _("Écriture impossible de {path} : {reason}").format(path=path, reason=os_error_reason(error))
        ) from None


class OutputReservation:
    """Room for an output file taken on the disk before the work that produces it.

    ``prescribe`` registers an ordonnance with the base before its PDF exists as a file: the
    space is reserved first (a temporary file of ``size`` bytes in the target folder, synced),
    so that a disk that fills up meanwhile cannot cost a registered ordonnance its PDF. ``fill``
    writes the content over the reserved bytes, trims and renames; ``release`` gives the room back.
    """

    def __init__(self, path: Path, size: int) -> None:
        check_output_path(path)
        self.path = path
        folder = path.parent if str(path.parent) else Path(".")
        try:
            handle, temporary = tempfile.mkstemp(prefix=".lap-", suffix=".tmp", dir=folder)
        except OSError as error:
            raise UserError(_("Écriture impossible de {path} : {reason}").format(
                path=path, reason=os_error_reason(error))) from None
        self._temporary = Path(temporary)
        try:
            with os.fdopen(handle, "r+b") as stream:
                chunk = b"\0" * 65536
                for _start in range(0, size, len(chunk)):
                    stream.write(chunk)
                stream.flush()
                os.fsync(stream.fileno())
        except OSError as error:
            self._temporary.unlink(missing_ok=True)
            raise UserError(_("Place insuffisante pour écrire {path} ({reason}) : rien n'a été signé ni envoyé ; "
                              "libérez de la place puis recommencez").format(
                path=path, reason=os_error_reason(error))) from None

    def fill(self, content: bytes) -> None:
        try:
            with open(self._temporary, "r+b") as stream:
                stream.write(content)
                stream.truncate(len(content))
                stream.flush()
                os.fsync(stream.fileno())
            os.replace(self._temporary, self.path)
        except OSError as error:
            self.release()
            raise UserError(_("Écriture impossible de {path} : {reason}").format(
                path=self.path, reason=os_error_reason(error))) from None

    def release(self) -> None:
        self._temporary.unlink(missing_ok=True)
