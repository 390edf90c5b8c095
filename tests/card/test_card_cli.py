"""``lap-app card info|readers|emulate`` as a user runs them."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator

import pytest
from cryptography import x509

from lap_app.cli.main import main
from lap_app.standins.virtual_cps.testing import wait_card_state
from lap_app.standins.virtual_cps.vpcd import reader_name


@pytest.fixture(autouse=True)
def _virtual_reader_emptied() -> Iterator[None]:
    """``card info --virtual`` leaves its holder's card in the process's virtual reader, which
    ends with the command; run in this process, the card would outlive the test and be the card
    a later test of the process finds there (a pharmacist's where a physician's is expected)."""
    from lap_app.card import default_virtual_reader

    yield
    if default_virtual_reader().card_present:
        default_virtual_reader().remove()


def test_info_virtual_json_has_identity_and_both_certificates(card_pki_dir, card_pki, capsys) -> None:
    assert main(["card", "info", "--virtual", "--pki", str(card_pki_dir), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["identity"]["national_id"] == "810101234564"
    assert out["pin_tries_left"] == 3
    auth = x509.load_pem_x509_certificate(out["auth_certificate"].encode())
    sign = x509.load_pem_x509_certificate(out["sign_certificate"].encode())
    assert auth != sign and card_pki.issued_by_ca(auth) and card_pki.issued_by_ca(sign)


def test_info_virtual_text_in_french(card_pki_dir, capsys) -> None:
    assert main(["card", "info", "--virtual", "--holder", "pharmacien", "--pki", str(card_pki_dir)]) == 0
    out = capsys.readouterr().out
    assert "Porteur : Paul LEROY" in out and "Pharmacien (code 21)" in out and "3 essai(s)" in out


def test_info_on_a_missing_reader_is_a_one_line_french_error(capsys) -> None:
    assert main(["card", "info", "--reader", "Lecteur absent"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("Erreur : ") and "Lecteur absent" in err and "Traceback" not in err


@pytest.mark.parametrize("command", [["card", "info", "--virtual"], ["card", "emulate"], ["pki", "init"]])
def test_unusable_pki_directory_is_a_one_line_french_error(command, tmp_path, capsys) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    pki_dir = str(blocker / "pki")
    args = [*command, pki_dir] if command[0] == "pki" else [*command, "--pki", pki_dir]
    assert main(args) == 1
    err = capsys.readouterr().err
    assert err.startswith("Erreur : impossible de créer ou de lire la PKI dans ") and pki_dir in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1


@pytest.mark.pcsc
def test_emulate_inserts_until_stopped(card_pki_dir, pcsc_stack) -> None:
    reader = reader_name(1)
    assert wait_card_state(reader, False, 60), "vpcd slot 1 is busy"
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    process = subprocess.Popen(
        [sys.executable, "-m", "lap_app", "card", "emulate", "--holder", "pharmacien", "--port", "35964",
         "--pki", str(card_pki_dir), "--reset-pin"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        assert wait_card_state(reader, True, 60), "the emulated card never showed up"
        result = subprocess.run([sys.executable, "-m", "lap_app", "card", "info", "--reader", reader, "--json"],
                                capture_output=True, text=True, timeout=60, env=env)
        assert result.returncode == 0, result.stderr
        assert json.loads(result.stdout)["identity"]["family_name"] == "LEROY"
    finally:
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    assert "Carte retirée." in out and "Ctrl+C" in out
    assert wait_card_state(reader, False, 60)


PROFESSION_OF_HOLDER = {"medecin": "10", "pharmacien": "21", "biologiste": "21", "infirmier": "60", "kine": "70",
                        "orthophoniste": "91", "orthoptiste": "92", "podologue": "80", "fournisseur": "PSDM"}


@pytest.mark.pcsc
def test_every_profession_s_card_can_be_emulated(card_pki_dir, pcsc_stack) -> None:
    from lap_app.cli.circuit_options import HOLDER_CHOICES

    assert sorted(PROFESSION_OF_HOLDER) == sorted(HOLDER_CHOICES)
    reader = reader_name(1)
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    for holder, profession in PROFESSION_OF_HOLDER.items():
        assert wait_card_state(reader, False, 60), "vpcd slot 1 is busy"
        process = subprocess.Popen(
            [sys.executable, "-m", "lap_app", "card", "emulate", "--holder", holder, "--port", "35964",
             "--pki", str(card_pki_dir)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        try:
            assert wait_card_state(reader, True, 60), f"{holder}: the emulated card never showed up"
            result = subprocess.run([sys.executable, "-m", "lap_app", "card", "info", "--reader", reader, "--json"],
                                    capture_output=True, text=True, timeout=60, env=env)
            assert result.returncode == 0, result.stderr
            assert json.loads(result.stdout)["identity"]["profession_code"] == profession, holder
        finally:
            process.send_signal(signal.SIGTERM)
            process.communicate(timeout=60)
        assert process.returncode == 0, holder
