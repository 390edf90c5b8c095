"""The one rule on the e-prescription base's address: HTTPS only (the ordonnance travels
encrypted, and the server proves who it is with its certificate), with a host to reach. The
settings dialog, the commands (``services.base_connection``) and the client itself apply it."""

from __future__ import annotations

from urllib.parse import urlsplit

from lap_app.i18n import _


def base_url_problem(url: str) -> str | None:
    """Why ``url`` cannot be the base's address (French), or None."""
    if not url.lower().startswith("https://"):
        return _("L'adresse de la base doit commencer par https:// (connexion chiffrée obligatoire) : « {url} »").format(
            url=url)
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises on a port that is not a number
    except ValueError:
        parts = None
    if parts is None or not parts.hostname:
        return _("Adresse de la base invalide : « {url} »").format(url=url)
    return None
