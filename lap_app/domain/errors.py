"""Errors that carry a message meant for the user (in French)."""

from __future__ import annotations

import errno
from enum import Enum


class UserError(Exception):
    """An error whose message can be shown to the user as is (one line, in French)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class DamagedFile(UserError):
    """A data file (local store, drug database, demo PKI) is damaged: refused, left untouched.

    Its own type so that the CLI and the GUI tell it apart from an ordinary refusal (the GUI
    shows it in a dialog at start-up rather than in a status line)."""

    def __init__(self, message: str, path: object = None) -> None:
        super().__init__(message)
        self.path = path


def os_error_reason(error: OSError) -> str:
    """A short French reason for a failed file operation (the system's own text is English)."""
    from lap_app.i18n import _

    reasons = {
        errno.ENOENT: _("dossier inexistant"),
        errno.ENOTDIR: _("le chemin traverse un fichier"),
        errno.EACCES: _("permission refusée"),
        errno.EPERM: _("opération non permise"),
        errno.EROFS: _("système de fichiers en lecture seule"),
        errno.ENOSPC: _("disque plein"),
        errno.EISDIR: _("c'est un dossier"),
        errno.EEXIST: _("un fichier de ce nom existe déjà"),
        errno.ENAMETOOLONG: _("nom trop long"),
        errno.EIO: _("erreur d'entrée-sortie du disque"),
        errno.EDQUOT: _("quota disque dépassé"),
        errno.EBUSY: _("ressource occupée"),
    }
    # never the system's English text: an unknown case says its number, for the support
    return reasons.get(error.errno or 0, _("erreur système {code}").format(code=error.errno or "?"))


class ValidationError(UserError):
    """A document or form failed validation; ``problems`` lists each problem with its path."""

    def __init__(self, summary: str, problems: list[Problem]) -> None:
        self.problems = problems
        details = "; ".join(p.render() for p in problems)
        super().__init__(f"{summary} : {details}" if problems else summary)


class Severity(str, Enum):
    """An error blocks the ordonnance; a warning is shown but does not block."""

    ERROR = "error"
    WARNING = "warning"


class Problem:
    """One validation problem: where (a path such as ``lines[2].quantity``), what, how bad."""

    __slots__ = ("message", "path", "severity")

    def __init__(self, path: str, message: str, severity: Severity = Severity.ERROR) -> None:
        self.path = path
        self.message = message
        self.severity = severity

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    def render(self) -> str:
        return f"{self.path} : {self.message}" if self.path else self.message

    def __repr__(self) -> str:
        return f"Problem({self.path!r}, {self.message!r}, {self.severity.value})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Problem) and (self.path, self.message, self.severity) == (
            other.path,
            other.message,
            other.severity,
        )

    def __hash__(self) -> int:
        return hash((self.path, self.message, self.severity))
