"""Enrolment of this installation with the base (CSP R.4071-2): once, with a physician's card."""

from __future__ import annotations

import socket
from dataclasses import dataclass
from typing import Any

from lap_app.base_client import BaseRefused, InstallationCredential
from lap_app.domain.errors import UserError
from lap_app.i18n import _
from lap_app.services.base_connection import BaseEndpoint, open_client
from lap_app.services.card_session import open_token


@dataclass(frozen=True, slots=True)
class EnrolmentResult:
    credential: InstallationCredential
    already: bool
    warning: str | None  # set when the plain-file fallback holds the secret


def enrol(endpoint: BaseEndpoint, card: Any, *, name: str | None = None, force: bool = False) -> EnrolmentResult:
    """Enrol this installation (card PIN already verified) unless it already is."""
    existing = endpoint.credentials.load(endpoint.url)
    if existing is not None and not force:
        return EnrolmentResult(existing, True, None)
    with open_client(endpoint, enrolled=False) as client:
        open_token(card, client)
        try:
            credential = client.enrol(name or f"LAP {socket.gethostname()}")
        except BaseRefused as error:
            raise UserError(_("Enrôlement refusé : {reason}").format(reason=error.reason)) from None
    warning = endpoint.credentials.save(endpoint.url, credential)
    return EnrolmentResult(credential, False, warning)
