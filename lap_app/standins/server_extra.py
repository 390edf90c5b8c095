"""The reference base and the demo need the ``[server]`` extra (FastAPI, uvicorn…); a plain
install of the desktop application does not have it. Asked before anything starts, so the user
reads what to install instead of a traceback."""

from __future__ import annotations

import importlib.util

from lap_app.domain.errors import UserError
from lap_app.i18n import _

SERVER_MODULES = ("fastapi", "uvicorn")


def require_server_extra(what: str) -> None:
    """Raise a French ``UserError`` naming the missing modules and how to install them."""
    missing = [name for name in SERVER_MODULES if importlib.util.find_spec(name) is None]
    if missing:
        raise UserError(_("{what} demande les modules du serveur ({missing}), absents de cette installation : "
                          "installez l'option « server » (pip install \"lap-app[server]\")").format(
            what=what, missing=", ".join(missing)))
