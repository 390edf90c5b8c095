"""Reference e-prescription base (stand-in for the Assurance Maladie's base), over HTTPS.

See docs/protocol.md. ``create_app(ServerConfig(...))`` builds the ASGI app; ``serve`` runs it
with uvicorn and the demo PKI's server certificate.
"""

from lap_app.standins.base_server.app import app_from_pki, create_app, serve
from lap_app.standins.base_server.context import ServerConfig

__all__ = ["ServerConfig", "app_from_pki", "create_app", "serve"]
