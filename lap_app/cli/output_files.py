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
