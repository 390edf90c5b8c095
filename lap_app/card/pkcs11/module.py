"""Loading a PKCS#11 module (``PyKCS11``) once per process and calling it from one thread at a time.

A module is initialised once (C_Initialize) and kept: the Cryptolib CPS, like SoftHSM2, reads
its configuration then. All calls go through ``Pkcs11Module.lock``: the GUI polls the slots
from one thread while another signs, and we do not rely on the module's own locking.
"""

from __future__ import annotations

import ctypes
import threading
from pathlib import Path
from typing import Any

from lap_app.card.errors import (
    CardError,
    CardRemovedError,
    Pkcs11ModuleFailedError,
    Pkcs11ModuleInvalidError,
    Pkcs11ModuleMissingError,
    Pkcs11OperationError,
)

# PKCS#11 return values that mean "the card is no longer there" (or the session with it died).
CKR_GENERAL_ERROR = 0x05
CKR_DEVICE_ERROR = 0x30
CKR_DEVICE_REMOVED = 0x32
CKR_KEY_HANDLE_INVALID = 0x60
CKR_OBJECT_HANDLE_INVALID = 0x82
CKR_SESSION_CLOSED = 0xB0
CKR_SESSION_HANDLE_INVALID = 0xB3
CKR_TOKEN_NOT_PRESENT = 0xE0
CKR_TOKEN_NOT_RECOGNIZED = 0xE1
CKR_SLOT_ID_INVALID = 0x03
REMOVAL_CODES = frozenset({CKR_DEVICE_REMOVED, CKR_SESSION_CLOSED, CKR_SESSION_HANDLE_INVALID,
                           CKR_TOKEN_NOT_PRESENT, CKR_TOKEN_NOT_RECOGNIZED, CKR_SLOT_ID_INVALID})
# Codes a module may give when the card left without saying so (SoftHSM2 after its token was
# deleted): removal if the token is indeed gone, an error otherwise.
MAYBE_REMOVAL_CODES = frozenset({CKR_GENERAL_ERROR, CKR_DEVICE_ERROR, CKR_KEY_HANDLE_INVALID,
                                 CKR_OBJECT_HANDLE_INVALID})

_modules: dict[str, Pkcs11Module] = {}
_modules_lock = threading.Lock()


def code_name(code: int) -> str:
    from PyKCS11 import CKR

    name = CKR.get(code)
    return name if isinstance(name, str) else f"CKR 0x{code:08X}"


def error_code(error: BaseException) -> int | None:
    """The CKR_ value of a ``PyKCS11Error`` (None for anything else)."""
    from PyKCS11 import PyKCS11Error

    return int(error.value) if isinstance(error, PyKCS11Error) else None


def operation_error(error: BaseException, operation: str) -> CardError:
    """The user's error for a failed call; the caller decides first whether the card is gone."""
    code = error_code(error)
    if code in REMOVAL_CODES:
        return CardRemovedError()
    return Pkcs11OperationError(operation, code_name(code) if code is not None else type(error).__name__)


class Pkcs11Module:
    """One loaded PKCS#11 module. ``load(path)`` returns the process-wide instance."""

    def __init__(self, path: str, lib: Any) -> None:
        self.path = path
        self.lib = lib  # PyKCS11.PyKCS11Lib
        self.lock = threading.RLock()
        info = lib.getInfo()
        self.description = f"{info.manufacturerID.strip()} {info.libraryDescription.strip()}".strip()

    @classmethod
    def load(cls, path: str | Path) -> Pkcs11Module:
        key = str(Path(path).expanduser())
        with _modules_lock:
            module = _modules.get(key)
            if module is None:
                module = _modules[key] = cls(key, _load_library(key))
            return module

    def slots_with_token(self) -> list[int]:
        with self.lock:
            return [int(slot) for slot in self.lib.getSlotList(tokenPresent=True)]

    def all_slots(self) -> list[int]:
        with self.lock:
            return [int(slot) for slot in self.lib.getSlotList(tokenPresent=False)]


def _load_library(path: str) -> Any:
    """PyKCS11 prints its own English diagnostics on a bad file: check the file first."""
    from PyKCS11 import PyKCS11Error, PyKCS11Lib

    file = Path(path)
    if not file.is_file():
        raise Pkcs11ModuleMissingError(path)
    try:
        probe = ctypes.CDLL(str(file))
    except OSError:
        raise Pkcs11ModuleInvalidError(path) from None
    if not hasattr(probe, "C_GetFunctionList"):
        raise Pkcs11ModuleInvalidError(path)
    lib = PyKCS11Lib()
    try:
        lib.load(str(file))
        lib.getInfo()  # C_Initialize happened in load(); C_GetInfo proves it answers
    except PyKCS11Error as error:
        raise Pkcs11ModuleFailedError(path, code_name(int(error.value))) from None
    return lib
