"""The headless commands with the card read through a PKCS#11 module (SoftHSM2 tokens, and the
card-like filter for PIN tries and removal), against the real base over TLS.

Each command runs in its own process, as a user types it: SoftHSM2 reads its tokens when a
process loads it. These tests fail (never skip) when CI=true and SoftHSM2 is missing.
"""

from __future__ import annotations

import json
import time

import pytest

from circuit_support import EXAMPLE_BUNDLE, cli_env, decode_qr, require_service, run_cli

pytestmark = pytest.mark.pkcs11


@pytest.fixture(scope="module")
def tokens(tmp_path_factory, pki_dir):
    """The doctor's CPS on a SoftHSM2 token (made with pkcs11-tool), and the card-like filter."""
    from lap_app.standins.pki import init_pki
    from lap_app.standins.softhsm import CardFilter, SoftHsm, card_filter_buildable, softhsm_available

    require_service(softhsm_available() and card_filter_buildable(),
                    "SoftHSM2, pkcs11-tool (opensc), gcc and the PKCS#11 header (libp11-kit-dev)")
    hsm = SoftHsm(tmp_path_factory.mktemp("softhsm-cli"))
    hsm.add_cps_token(init_pki(pki_dir).holder("medecin"), "CPS MARTIN")
    card_filter = CardFilter(hsm, tmp_path_factory.mktemp("card-filter-state"))
    return hsm, card_filter


@pytest.fixture(scope="module")
def env(tmp_path_factory, base, tokens):
    _hsm, card_filter = tokens
    home = tmp_path_factory.mktemp("cli-pkcs11")
    return cli_env(home / "data", home / "config", base, **{
        k: v for k, v in card_filter.env().items()
        if k in ("SOFTHSM2_CONF", "LAP_CARD_FILTER_TARGET", "LAP_CARD_FILTER_STATE")})


@pytest.fixture()
def card_like(tokens):
    _hsm, card_filter = tokens
    card_filter.reset()
    yield card_filter
    card_filter.reset()


def _ok(result) -> str:
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    return result.stdout


def _refused(result, *messages: str) -> str:
    assert result.returncode == 1, result.stdout
    assert result.stderr.startswith("Erreur : "), result.stderr
    assert all(m in result.stderr for m in messages), result.stderr
    assert "Traceback" not in result.stderr and "1234" not in result.stderr
    return result.stderr


def _signed_ordonnances(env) -> list:
    import os

    from lap_app.storage import LocalStore

    previous = os.environ.get("LAP_DATA_DIR")
    os.environ["LAP_DATA_DIR"] = env["LAP_DATA_DIR"]
    try:
        store = LocalStore()
        try:
            return [o for o in store.list() if o.number]
        finally:
            store.close()
    finally:
        if previous is None:
            del os.environ["LAP_DATA_DIR"]
        else:
            os.environ["LAP_DATA_DIR"] = previous


def test_card_info_and_readers_through_the_module(tokens, env):
    hsm, _filter = tokens
    module = ["--pkcs11-module", hsm.module_path]
    readers = _ok(run_cli(["card", "readers", *module], env))
    assert "carte « CPS MARTIN »" in readers and "vide" in readers
    info = json.loads(_ok(run_cli(["card", "info", "--json", *module], env)))
    assert info["identity"]["national_id"] == "810101234564" and info["identity"]["serial"] == "1000001234"
    assert info["pin_tries_left"] is None  # SoftHSM2 gives no count
    assert info["auth_certificate"].startswith("-----BEGIN CERTIFICATE-----")
    text = _ok(run_cli(["card", "info", *module], env))
    assert "Porteur : Claire MARTIN" in text and "CPS MARTIN" in text


def test_enrol_prescribe_and_consult_through_pkcs11(tokens, env, tmp_path):
    hsm, _filter = tokens
    as_doctor = ["--pkcs11-module", hsm.module_path, "--pin-stdin"]
    enrolled = run_cli(["enrol", *as_doctor], env)  # the base's challenge, answered with the auth key
    assert "Installation enrôlée" in _ok(enrolled)
    pdf = tmp_path / "ordonnance.pdf"
    result = json.loads(_ok(run_cli(["prescribe", str(EXAMPLE_BUNDLE), "-o", str(pdf), "--json", *as_doctor],
                                    env)))
    assert result["status"] == "registered"  # the base verified the signature with the certificate
    [number] = decode_qr(pdf.read_bytes())
    assert number == result["number"]
    seen = json.loads(_ok(run_cli(["dispensing", number, "--json", *as_doctor], env)))
    assert seen["status"] == "registered" and seen["executions"] == []


def test_wrong_codes_down_to_a_blocked_card(card_like, env, tmp_path):
    as_doctor = ["--pkcs11-module", card_like.module_path, "--pin-stdin"]
    pdf = tmp_path / "jamais.pdf"
    prescribe = ["prescribe", str(EXAMPLE_BUNDLE), "-o", str(pdf), *as_doctor]
    _refused(run_cli(prescribe, env, stdin="0000\n"), "Code porteur erroné", "peu d'essais")
    _refused(run_cli(prescribe, env, stdin="0000\n"), "il reste 1 essai")
    _refused(run_cli(prescribe, env, stdin="0000\n"), "bloqué", "débloquée")
    _refused(run_cli(prescribe, env), "bloqué")  # the right code no longer opens it
    info = _ok(run_cli(["card", "info", "--pkcs11-module", card_like.module_path], env))
    assert "Code porteur : bloqué" in info
    assert not pdf.exists()


def test_card_pulled_during_the_signature_leaves_nothing_signed(card_like, env, tmp_path):
    before = len(_signed_ordonnances(env))
    as_doctor = ["--pkcs11-module", card_like.module_path, "--pin-stdin"]
    pdf = tmp_path / "retiree.pdf"
    card_like.pull_on_next_signature(let_through=1)  # the base's challenge, then the ordonnance
    started = time.monotonic()
    result = run_cli(["prescribe", str(EXAMPLE_BUNDLE), "-o", str(pdf), *as_doctor], env)
    assert time.monotonic() - started < 30
    _refused(result, "La carte a été retirée pendant l'opération", "réinsérez-la et recommencez")
    assert card_like.pulled and not pdf.exists()
    assert len(_signed_ordonnances(env)) == before  # signed or a draft: nothing in between
    _refused(run_cli(["card", "info", "--pkcs11-module", card_like.module_path], env), "Aucune carte")
    card_like.insert()
    done = json.loads(_ok(run_cli(["prescribe", str(EXAMPLE_BUNDLE), "-o", str(pdf), "--json", *as_doctor], env)))
    assert done["status"] == "registered" and pdf.exists()


def test_bad_modules_and_a_token_without_certificates(tmp_path, env, pki_dir):
    from lap_app.standins.pki import init_pki
    from lap_app.standins.softhsm import SoftHsm

    pdf = tmp_path / "x.pdf"
    missing = tmp_path / "libcps3_pkcs11_lux.so"
    _refused(run_cli(["prescribe", str(EXAMPLE_BUNDLE), "-o", str(pdf), "--pkcs11-module", str(missing),
                      "--pin-stdin"], env), "introuvable", "Cryptolib CPS")
    not_a_module = tmp_path / "notes.so"
    not_a_module.write_text("texte", encoding="utf-8")
    _refused(run_cli(["card", "info", "--pkcs11-module", str(not_a_module)], env), "n'est pas un module PKCS#11")
    _refused(run_cli(["card", "info", "--pkcs11-module", str(missing), "--virtual"], env), "--virtual")

    keys_only = SoftHsm(tmp_path / "hsm")
    keys_only.add_cps_token(init_pki(pki_dir).holder("medecin"), "CLE SEULE", certificates=False)
    bare_env = {**env, "SOFTHSM2_CONF": str(keys_only.conf_path)}
    _refused(run_cli(["card", "info", "--pkcs11-module", keys_only.module_path], bare_env),
             "ne contient pas de certificat CPS", "pkcs11-tool")
    _refused(run_cli(["prescribe", str(EXAMPLE_BUNDLE), "-o", str(pdf), "--pkcs11-module", keys_only.module_path,
                      "--pin-stdin"], bare_env), "ne contient pas de certificat CPS")
    assert not pdf.exists()
