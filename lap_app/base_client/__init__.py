"""Client of the e-prescription base: one interface (``EPrescriptionBase``), one HTTPS implementation.

The client classes load with their HTTP stack (httpx) on first use: the wire protocol and the
errors, which the card and the start-up path need, come without it.
"""

from typing import TYPE_CHECKING, Any

from lap_app.base_client.errors import (
    BaseFailing,
    BaseRateLimited,
    BaseRefused,
    BaseUnavailable,
    BaseUntrusted,
    NotEnrolled,
)

if TYPE_CHECKING:
    from lap_app.base_client.client import (
        EPrescriptionBase,
        HttpBaseClient,
        InstallationCredential,
        Registration,
        Token,
    )

_CLIENT_NAMES = frozenset({"EPrescriptionBase", "HttpBaseClient", "InstallationCredential", "Registration", "Token"})


def __getattr__(name: str) -> Any:
    if name in _CLIENT_NAMES:
        from lap_app.base_client import client

        return getattr(client, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "BaseFailing",
    "BaseRateLimited",
    "BaseRefused",
    "BaseUnavailable",
    "BaseUntrusted",
    "EPrescriptionBase",
    "HttpBaseClient",
    "InstallationCredential",
    "NotEnrolled",
    "Registration",
    "Token",
]
