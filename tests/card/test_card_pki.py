"""The demo PKI: files, idempotence, holder certificates as on real CPS, a TLS certificate that verifies."""

from __future__ import annotations

import shutil
import socket
import ssl
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.x509.oid import NameOID, ObjectIdentifier

from lap_app.standins.pki import HOLDERS, init_pki


def _luhn_ok(digits: str) -> bool:
    total = 0
    for i, char in enumerate(reversed(digits)):
        d = int(char) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


def test_layout_and_private_key_modes(card_pki) -> None:
    root = card_pki.directory
    assert card_pki.ca_cert_path == root / "ca.pem"
    keys = [root / "ca.key", card_pki.server_key_path] + [
        root / "holders" / name / f"{usage}.key" for name in HOLDERS for usage in ("auth", "sign")]
    for key in keys:
        assert stat.S_IMODE(key.stat().st_mode) == 0o600, key


def test_second_init_loads_instead_of_regenerating(card_pki) -> None:
    again = init_pki(card_pki.directory)
    assert again.ca_cert == card_pki.ca_cert
    for name in HOLDERS:
        assert again.holder(name).sign_cert == card_pki.holder(name).sign_cert
        assert again.holder(name).auth_key.private_numbers() == card_pki.holder(name).auth_key.private_numbers()


def test_holder_certificates_carry_the_identity_like_a_real_cps(card_pki) -> None:
    doctor = card_pki.holder("medecin")
    assert doctor.identity.national_id == "810101234564"  # the example bundle's prescriber
    for name in HOLDERS:
        holder = card_pki.holder(name)
        assert _luhn_ok(holder.identity.number)
        for cert in (holder.auth_cert, holder.sign_cert):
            subject = cert.subject
            assert subject.get_attributes_for_oid(NameOID.COUNTRY_NAME)[0].value == "FR"
            assert subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == holder.identity.national_id
            assert subject.get_attributes_for_oid(NameOID.SURNAME)[0].value == holder.identity.family_name
            assert subject.get_attributes_for_oid(NameOID.GIVEN_NAME)[0].value == holder.identity.given_name
            assert subject.get_attributes_for_oid(NameOID.TITLE)[0].value == holder.identity.profession_label
            serial = cert.extensions.get_extension_for_oid(ObjectIdentifier("1.2.250.1.71.1.2.3")).value.value
            assert serial[2:].decode() == f"8025000001/{holder.identity.serial}"
            code = cert.extensions.get_extension_for_oid(ObjectIdentifier("1.2.250.1.71.1.2.7")).value.value
            assert code[2:].decode() == holder.identity.profession_code
            assert card_pki.issued_by_ca(cert)
            assert cert.public_key().key_size == 2048
        assert holder.auth_cert.extensions.get_extension_for_class(x509.KeyUsage).value.digital_signature
        assert holder.sign_cert.extensions.get_extension_for_class(x509.KeyUsage).value.content_commitment
    assert {h: card_pki.holder(h).identity.profession_code for h in HOLDERS} == {
        "medecin": "10", "pharmacien": "21", "biologiste": "21", "infirmier": "60", "kine": "70",
        "orthophoniste": "91", "orthoptiste": "92", "podologue": "80", "fournisseur": "PSDM"}
    specialty = card_pki.holder("biologiste").auth_cert.extensions.get_extension_for_oid(
        ObjectIdentifier("1.2.250.1.71.1.2.8")).value.value
    assert specialty[2:].decode() == "biologie-medicale"


def test_server_certificate_passes_strict_tls_verification(card_pki) -> None:
    server_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_ctx.load_cert_chain(card_pki.server_cert_path, card_pki.server_key_path)
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]

    def serve() -> None:
        conn, _ = listener.accept()
        with server_ctx.wrap_socket(conn, server_side=True) as tls:
            tls.sendall(b"ok")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    client_ctx = ssl.create_default_context(cafile=str(card_pki.ca_cert_path))
    client_ctx.verify_flags |= ssl.VERIFY_X509_STRICT
    with socket.create_connection(("127.0.0.1", port)) as raw:
        with client_ctx.wrap_socket(raw, server_hostname="127.0.0.1") as tls:
            assert tls.recv(2) == b"ok"
    thread.join(5)
    listener.close()
    names = x509.load_pem_x509_certificate(card_pki.server_cert_path.read_bytes()).extensions.get_extension_for_class(
        x509.SubjectAlternativeName).value
    assert "localhost" in names.get_values_for_type(x509.DNSName)
    assert {str(ip) for ip in names.get_values_for_type(x509.IPAddress)} == {"127.0.0.1", "::1"}


def test_a_missing_issued_file_is_recreated_but_a_missing_ca_key_is_refused(card_pki, tmp_path: Path) -> None:
    from lap_app.standins.pki import PkiDamaged

    root = tmp_path / "pki"
    shutil.copytree(card_pki.directory, root)
    (root / "server.pem").unlink()
    pki = init_pki(root)
    assert pki.server_cert_path.exists()
    assert pki.issued_by_ca(x509.load_pem_x509_certificate(pki.server_cert_path.read_bytes()))
    # a new CA would silently orphan every ordonnance signed under the old one: refused, files kept
    (root / "ca.key").unlink()
    before = {path.name: path.read_bytes() for path in root.iterdir() if path.is_file()}
    with pytest.raises(PkiDamaged):
        init_pki(root)
    assert {path.name: path.read_bytes() for path in root.iterdir() if path.is_file()} == before
    assert x509.load_pem_x509_certificate((root / "ca.pem").read_bytes()) == card_pki.ca_cert


def test_concurrent_first_use_gives_one_ca(tmp_path: Path) -> None:
    root = tmp_path / "pki"  # one PKI directory, two processes
    code = "import sys; from lap_app.standins.pki import init_pki; print(init_pki(sys.argv[1]).ca_cert.serial_number)"
    procs = [subprocess.Popen([sys.executable, "-c", code, str(root)], stdout=subprocess.PIPE, text=True)
             for _ in range(2)]
    serials = {p.communicate(timeout=60)[0].strip() for p in procs}
    assert all(p.returncode == 0 for p in procs)
    assert len(serials) == 1


def test_cli_pki_init(tmp_path: Path, capsys) -> None:
    from lap_app.cli.main import main

    assert main(["pki", "init", str(tmp_path / "p")]) == 0
    out = capsys.readouterr().out
    assert "ca.pem" in out and "MARTIN" in out and "code porteur" not in out
    assert (tmp_path / "p" / "ca.pem").exists()
