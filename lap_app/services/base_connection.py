"""Which base to talk to, and opening a client for it.

``configured_endpoint`` is the ONE place that decides the base's address and CA: command-line
values first, then ``LAP_BASE_URL`` / ``LAP_BASE_CA``, then the user's settings; and
``endpoint_problem`` the one check of them (HTTPS only: ``base_client.address``; a CA file
that holds a certificate). The GUI, the settings dialog and every command go through them;
the demo hands its own in-process base to the services directly.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from lap_app.settings.base_address import base_url_problem

if TYPE_CHECKING:  # the HTTP client stack loads when a client is opened, off the start-up path
    from lap_app.base_client import HttpBaseClient
from lap_app.domain.errors import UserError
from lap_app.i18n import _
from lap_app.services.credentials import CredentialStore, SystemCredentials
from lap_app.settings import BaseSettings

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class BaseEndpoint:
    url: str
    ca_path: Path
    # where this installation's credential for the base is kept (the demo: a file of its own)
    credentials: CredentialStore = field(default_factory=SystemCredentials, compare=False)


def endpoint_problem(url: str, ca_path: str) -> str | None:
    """Why ``url`` and ``ca_path`` cannot be used to reach the base (French), or None."""
    problem = base_url_problem(url)
    if problem:
        return problem
    if not ca_path:
        return _("Certificat d'autorité de la base non configuré : indiquez le fichier du certificat de "
                 "l'autorité qui a émis celui de la base (Paramètres, ou --base-ca)")
    if not Path(ca_path).is_file():
        return _("Certificat d'autorité introuvable : {path}").format(path=ca_path)
    import ssl  # here, not on the start-up path (~12 ms)

    try:
        ssl.create_default_context(cafile=ca_path)
    except (OSError, ssl.SSLError, ValueError):
        return _("Certificat d'autorité de la base illisible : {path} (un certificat PEM est attendu)").format(
            path=ca_path)
    return None


def configured_endpoint(url: str | None = None, ca_path: str | os.PathLike[str] | None = None, *,
                        settings: BaseSettings | None = None) -> BaseEndpoint | None:
    """The base to use, or None when no address is given anywhere (no base configured).

    ``settings``: the base settings in use (None: read the user's settings file). A
    ``UserError`` says what is wrong with an address or CA that is given.
    """
    url = url or os.environ.get("LAP_BASE_URL") or ""
    ca = str(ca_path or os.environ.get("LAP_BASE_CA") or "")
    if not url or not ca:
        if settings is None:
            from lap_app.settings import load_settings

            settings = load_settings().base  # an unreadable file is set aside: defaults
        url = url or settings.url
        ca = ca or settings.ca_path
    url = url.strip()
    if not url:
        return None
    problem = endpoint_problem(url, ca.strip())
    if problem:
        raise UserError(problem)
    return BaseEndpoint(url.rstrip("/"), Path(ca.strip()))


def base_endpoint(url: str | None = None, ca_path: str | os.PathLike[str] | None = None, *,
                  settings: BaseSettings | None = None) -> BaseEndpoint:
    """``configured_endpoint``, for commands that need a base: none configured is an error."""
    endpoint = configured_endpoint(url, ca_path, settings=settings)
    if endpoint is None:
        raise UserError(_("Adresse de la base non configurée : utilisez --base-url ou les paramètres"))
    return endpoint


def open_client(endpoint: BaseEndpoint, *, enrolled: bool = True, **options: float) -> HttpBaseClient:
    """A client for ``endpoint``; with ``enrolled`` it carries this installation's credential."""
    from lap_app.base_client import HttpBaseClient, NotEnrolled

    client = HttpBaseClient(endpoint.url, endpoint.ca_path, **options)  # type: ignore[arg-type]
    if enrolled:
        credential = endpoint.credentials.load(endpoint.url)
        if credential is None:
            client.close()
            raise NotEnrolled(_("Cette installation n'est pas enrôlée auprès de la base : lancez « lap-app enrol »"))
        client.installation = credential
    return client
