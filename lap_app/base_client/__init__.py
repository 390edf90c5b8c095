"""Client of the e-prescription base: one interface (``EPrescriptionBase``), one HTTPS implementation."""

from lap_app.base_client.client import (
    EPrescriptionBase,
    HttpBaseClient,
    InstallationCredential,
    Registration,
    Token,
)
from lap_app.base_client.errors import (
    BaseFailing,
    BaseRateLimited,
    BaseRefused,
    BaseUnavailable,
    BaseUntrusted,
    NotEnrolled,
)

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
