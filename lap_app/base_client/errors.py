"""What can go wrong when talking to the base, each with a French message for the user."""

from __future__ import annotations

import math

from lap_app.domain.errors import Problem, UserError
from lap_app.i18n import _

RATE_LIMITED = "too_many_unknown_numbers"  # the base's error code (docs/protocol.md)


class BaseUnavailable(UserError):
    """The base could not be reached (network, timeout, 502/503/504 after the retries)."""


class BaseUntrusted(BaseUnavailable):
    """The server's TLS certificate does not chain to the configured CA: we refuse to talk."""


class BaseFailing(BaseUnavailable):
    """The base answered with its own failure (5xx): not a verdict on the request, retried later.

    ``code`` is the base's error code (``storage_full`` when its disk is full)."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code


class BaseRefused(UserError):
    """The base answered with a refusal (4xx): never retried."""

    def __init__(self, status: int, code: str, message: str, problems: list[Problem] | None = None) -> None:
        self.status = status
        self.code = code
        self.problems = problems or []
        details = "; ".join(p.render() for p in self.problems)
        super().__init__(f"{message} : {details}" if details else message)
        self.reason = message


class NotEnrolled(UserError):
    """This installation has no client credential yet (``lap-app enrol``)."""


class BaseRateLimited(BaseRefused):
    """Too many unknown numbers read from this card or installation: the base answers 429 with
    a delay. Not retried (the client waits out the delay without calling the base)."""

    def __init__(self, retry_after: float) -> None:
        self.retry_after = max(1, math.ceil(retry_after))
        super().__init__(429, RATE_LIMITED, _("trop de lectures de numéros inconnus : réessayez dans {seconds} s").format(
            seconds=self.retry_after))


class PaperOnlyOrdonnance(UserError):
    """An imaging or transport ordonnance offered to the base: they are printed only."""
