"""A demo card from its holder's files, as ``init_pki`` made and checked them, without parsing them.

A program that puts a demo card in its in-process reader after the PKI was made (the start-up
bench: the card is in the reader when the application starts, as a real one is) pays nothing for
the card: no ``cryptography`` import, no certificate parsed. The certificates go on the card as
the PKI wrote them (the application parses and checks them as it does a real card's); the keys
are loaded when the card first signs.
"""

from __future__ import annotations

import base64
from pathlib import Path
from typing import TYPE_CHECKING

from lap_app.standins.holders import DEMO_PIN, HolderIdentity
from lap_app.standins.virtual_cps.card import VirtualCps
from lap_app.standins.virtual_cps.pin_store import FilePinCounter, MemoryPinCounter

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric import rsa


class HolderFilesMissing(FileNotFoundError):
    """The holder's files are not there (or not a PEM certificate): run ``init_pki`` first."""


def card_from_holder_files(pki_directory: Path, identity: HolderIdentity, *, persist_pin: bool = True,
                           pin: str | None = None) -> VirtualCps:
    """The card of ``identity`` from ``pki_directory/holders/<name>`` (made by ``init_pki``)."""
    directory = pki_directory / "holders" / identity.holder
    counter = FilePinCounter(directory / "pin-state.json") if persist_pin else MemoryPinCounter()
    return VirtualCps(serial=identity.serial_bytes,
                      auth_key=lambda: _load_key(directory / "auth.key"),
                      auth_cert_der=_certificate_der(directory / "auth.pem"),
                      sign_key=lambda: _load_key(directory / "sign.key"),
                      sign_cert_der=_certificate_der(directory / "sign.pem"),
                      pin=pin or DEMO_PIN, pin_counter=counter)


def _certificate_der(path: Path) -> bytes:
    """The DER of a one-certificate PEM file (the base64 between its two armour lines)."""
    try:
        lines = path.read_text("ascii").split()
    except (OSError, UnicodeDecodeError) as error:
        raise HolderFilesMissing(f"{path}: {error}") from error
    body = " ".join(lines)
    begin, end = "-----BEGIN CERTIFICATE-----", "-----END CERTIFICATE-----"
    if begin not in body or end not in body:
        raise HolderFilesMissing(f"{path}: not a PEM certificate")
    armoured = body.split(begin, 1)[1].split(end, 1)[0]
    return base64.b64decode("".join(armoured.split()), validate=True)


def _load_key(path: Path) -> rsa.RSAPrivateKey:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    # the PKI's own 0600 file, checked when it was made: no slow RSA consistency check
    key = serialization.load_pem_private_key(path.read_bytes(), password=None, unsafe_skip_rsa_key_validation=True)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError(f"{path}: not an RSA private key")
    return key
