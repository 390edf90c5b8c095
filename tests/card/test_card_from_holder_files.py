"""A demo card made from its holder's PKI files without parsing them: the same card as
``VirtualCps.from_holder`` (identity, certificates, signatures that verify)."""

from __future__ import annotations

import hashlib
import subprocess
import sys

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from cryptography.hazmat.primitives.hashes import SHA256

from lap_app.card import VirtualReader
from lap_app.card.cps import card_on
from lap_app.standins.holders import HOLDERS
from lap_app.standins.virtual_cps.holder_files import HolderFilesMissing, card_from_holder_files


def test_the_card_from_files_reads_and_signs_as_the_holder(card_pki) -> None:
    reader = VirtualReader()
    reader.insert(card_from_holder_files(card_pki.directory, HOLDERS["medecin"], persist_pin=False))
    with card_on(reader.connect()) as card:
        identity = card.identity()
        assert (identity.national_id, identity.family_name, identity.serial) == ("810101234564", "MARTIN", "1000001234")
        assert card.auth_certificate_der() == card_pki.holder("medecin").auth_cert_der
        assert card.sign_certificate_der() == card_pki.holder("medecin").sign_cert_der
        assert card.verify_pin("1234").accepted
        data = b'{"resourceType":"Bundle"}'
        signature = card.sign_digest(hashlib.sha256(data).digest())
        x509.load_der_x509_certificate(card.sign_certificate_der()).public_key().verify(
            signature, data, PKCS1v15(), SHA256())
        proof = card.authenticate(b"nonce-1234567890")
        x509.load_der_x509_certificate(card.auth_certificate_der()).public_key().verify(
            proof, b"nonce-1234567890", PKCS1v15(), SHA256())


def test_putting_the_card_in_the_reader_imports_no_cryptography(card_pki) -> None:
    code = ("import sys; from pathlib import Path; from lap_app.standins.holders import HOLDERS; "
            "from lap_app.standins.virtual_cps.holder_files import card_from_holder_files; "
            "card_from_holder_files(Path(sys.argv[1]), HOLDERS['medecin'], persist_pin=False); "
            "print(any(name.startswith('cryptography') for name in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code, str(card_pki.directory)], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False"


def test_a_pki_not_made_yet_is_said(tmp_path) -> None:
    with pytest.raises(HolderFilesMissing):
        card_from_holder_files(tmp_path, HOLDERS["medecin"])
