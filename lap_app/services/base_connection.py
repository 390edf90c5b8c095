"""Which base to talk to, and opening a client for it.

``base_endpoint`` is the ONE place that resolves the base's address and CA: command-line
values first, then ``LAP_BASE_URL`` / ``LAP_BASE_CA``, then the user's settings.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path

from lap_app.base_client import HttpBaseClient, NotEnrolled
from lap_app.domain.errors import UserError
from lap_app.i18n import _

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class BaseEndpoint:
    url: str
    ca_path: Path


def base_endpoint(url: str | None = None, ca_path: str | os.PathLike[str] | None = None) -> BaseEndpoint:
    url = url or os.environ.get("LAP_BASE_URL") or ""
    ca = str(ca_path or os.environ.get("LAP_BASE_CA") or "")
    if not url or not ca:
        try:
            from lap_app.settings import load_settings

            settings = load_settings().base
            url = url or settings.url
            ca = ca or settings.ca_path
        except Exception:  # settings unusable: the messages below say what is missing
            log.exception("settings not read for the base address")
    if not url:
        raise UserError(_("Adresse de la base non configurée : utilisez --base-url ou les paramètres"))
    if not ca:
        raise UserError(_("Certificat d'autorité de la base non configuré : utilisez --base-ca ou les paramètres"))
    if not Path(ca).is_file():
        raise UserError(_("Certificat d'autorité introuvable : {path}").format(path=ca))
    return BaseEndpoint(url.rstrip("/"), Path(ca))


def open_client(endpoint: BaseEndpoint, *, enrolled: bool = True, **options: float) -> HttpBaseClient:
    """A client for ``endpoint``; with ``enrolled`` it carries this installation's credential."""
    from lap_app.services.credentials import load_credential

    client = HttpBaseClient(endpoint.url, endpoint.ca_path, **options)  # type: ignore[arg-type]
    if enrolled:
        credential = load_credential(endpoint.url)
        if credential is None:
            client.close()
            raise NotEnrolled(_("Cette installation n'est pas enrôlée auprès de la base : lancez « lap-app enrol »"))
        client.installation = credential
    return client
