"""Where the PKCS#11 modules of a GP workstation usually are (offered as suggestions).

The ANS « Cryptolib CPS » installs ``libcps3_pkcs11_lux.so`` on Linux and
``cps3_pkcs11_w64.dll`` on 64-bit Windows; OpenSC's module reads CPS3/CPS4 cards too. The exact
folder depends on the installer's version: these are the usual ones, checked in this order.
"""

from __future__ import annotations

import sys
from pathlib import Path

LINUX_MODULES = (
    "/usr/lib/libcps3_pkcs11_lux.so",
    "/usr/lib64/libcps3_pkcs11_lux.so",
    "/usr/local/lib/libcps3_pkcs11_lux.so",
    "/opt/santesocial/CPS/lib/libcps3_pkcs11_lux.so",
    "/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so",
)
WINDOWS_MODULES = (
    r"C:\Windows\System32\cps3_pkcs11_w64.dll",
    r"C:\Program Files\santesocial\CPS\cps3_pkcs11_w64.dll",
    r"C:\Program Files\OpenSC Project\OpenSC\pkcs11\opensc-pkcs11.dll",
)


def suggested_modules(platform: str | None = None) -> tuple[str, ...]:
    """The usual module paths of this platform, the Cryptolib CPS first."""
    return WINDOWS_MODULES if (platform or sys.platform) == "win32" else LINUX_MODULES


def installed_modules(platform: str | None = None) -> list[str]:
    """The suggested modules that exist on this machine."""
    return [path for path in suggested_modules(platform) if Path(path).is_file()]
