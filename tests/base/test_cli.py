"""The headless commands in subprocesses, against the real base over TLS, with the virtual
cards on the real PC/SC stack (pcscd + vpcd): the whole loop as a user types it."""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path

import pytest

from circuit_support import EXAMPLE_BUNDLE, cli_env, decode_qr, require_service, run_cli

PRESCRIBER_READER = "Virtual PCD 00 00"
PHARMACY_READER = "Virtual PCD 00 01"


@pytest.fixture(scope="module")
def vpcd_cards(pki_dir):
    from lap_app.standins.virtual_cps.testing import pcsc_ready, vpcd_card

    require_service(pcsc_ready(), "pcscd with the vpcd reader")
    with vpcd_card("medecin", slot=0, pki_dir=pki_dir), vpcd_card("pharmacien", slot=1, pki_dir=pki_dir):
        yield


@pytest.fixture(scope="module")
def env(tmp_path_factory, base):
    home = tmp_path_factory.mktemp("cli")
    return cli_env(home / "data", home / "config", base)


def _ok(result) -> str:
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    return result.stdout


def _refused(result, message: str) -> None:
    assert result.returncode == 1, result.stdout
    assert result.stderr.startswith("Erreur : ") and message in result.stderr, result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.pcsc
def test_loop_over_pcsc(vpcd_cards, env, tmp_path):
    as_doctor = ["--reader", PRESCRIBER_READER, "--pin-stdin"]
    as_pharmacist = ["--reader", PHARMACY_READER, "--pin-stdin"]
    enrolled = run_cli(["enrol", *as_doctor], env)
    assert "Installation enrôlée" in _ok(enrolled)
    assert "fichier" in enrolled.stderr  # no keyring service: the documented fallback, with its warning
    pdf = tmp_path / "ordonnance.pdf"
    result = json.loads(_ok(run_cli(["prescribe", str(EXAMPLE_BUNDLE), "-o", str(pdf), "--json", *as_doctor], env)))
    assert result["status"] == "registered"
    [number] = decode_qr(pdf.read_bytes())
    assert number == result["number"]

    spaced = " ".join(number[i:i + 4] for i in range(0, 16, 4))  # typed by hand
    read = json.loads(_ok(run_cli(["pharmacy", "read", spaced, "--json", *as_pharmacist], env)))
    assert read["patient"] == "Jean Émile DUPONT" and len(read["lines"]) == 3
    _ok(run_cli(["pharmacy", "dispense", number, "--line", "2", "--quantity", "1", *as_pharmacist], env))
    seen = json.loads(_ok(run_cli(["dispensing", number, "--json", *as_doctor], env)))
    assert seen["status"] == "partly_dispensed"
    assert [(d["line"], d["amount"], d["profession"]) for d in seen["executions"]] == [(2, 1.0, "pharmacien")]
    assert [line["done"] for line in seen["lines"]] == [0, 1, 0]
    text = _ok(run_cli(["dispensing", number, *as_doctor], env))
    assert "Ligne 2 · LEVOTHYROX" in text and "1 boîte(s) délivrée(s) le " in text and "par pharmacien" in text
    _ok(run_cli(["pharmacy", "dispense", number, "--all", *as_pharmacist], env))
    _refused(run_cli(["pharmacy", "read", number, *as_pharmacist], env), "numéro clos")
    _refused(run_cli(["pharmacy", "dispense", number, "--all", *as_pharmacist], env), "numéro clos")
    assert "Aucune ordonnance en attente" in _ok(run_cli(["outbox"], env, stdin=""))


@pytest.mark.pcsc
def test_opposition_and_refusals(vpcd_cards, env, tmp_path):
    as_doctor = ["--reader", PRESCRIBER_READER, "--pin-stdin"]
    pdf = tmp_path / "o.pdf"
    run_cli(["enrol", *as_doctor], env)  # idempotent
    result = json.loads(_ok(run_cli(["prescribe", str(EXAMPLE_BUNDLE), "--opposition", "-o", str(pdf), "--json",
                                     *as_doctor], env)))
    objected = _ok(run_cli(["dispensing", result["number"], *as_doctor], env))
    assert "Le patient s'est opposé" in objected and "Ligne" not in objected
    # the pharmacist's card cannot consult as a prescriber
    _refused(run_cli(["dispensing", result["number"], "--reader", PHARMACY_READER, "--pin-stdin"], env),
             "réservée aux prescripteurs")
    _refused(run_cli(["dispensing", "2026 1125 0000 0000", *as_doctor], env), "")
    _refused(run_cli(["prescribe", str(tmp_path / "absent.json"), "-o", str(pdf), *as_doctor], env), "introuvable")


@pytest.mark.pcsc
def test_wrong_pin_is_a_clear_message(vpcd_cards, env):
    result = run_cli(["dispensing", "2026112500000121", "--reader", PRESCRIBER_READER, "--pin-stdin"], env,
                     stdin="9999\n")
    _refused(result, "Code porteur erroné")
    assert "9999" not in result.stderr + result.stdout


def test_keyring_backend_holds_the_credential(base, pki_dir, tmp_path):
    """With a keyring service (PYTHON_KEYRING_BACKEND honoured), no plain file and no warning."""
    env = cli_env(tmp_path / "data", tmp_path / "config", base,
                  PYTHON_KEYRING_BACKEND="keyrings.alt.file.PlaintextKeyring",
                  XDG_DATA_HOME=str(tmp_path / "xdg"))
    result = run_cli(["enrol", "--virtual", "--pki", str(pki_dir), "--pin-stdin"], env)
    assert "Installation enrôlée" in _ok(result) and "Attention" not in result.stderr
    assert not (tmp_path / "config" / "installation-credential.json").exists()
    stored = (tmp_path / "xdg" / "python_keyring" / "keyring_pass.cfg").read_text()
    assert "lap" in stored and "installation" in stored
    assert "1234" not in stored  # never the PIN
    assert "déjà enrôlée" in _ok(run_cli(["enrol", "--virtual", "--pki", str(pki_dir), "--pin-stdin"], env))


def test_pin_never_an_argument():
    result = run_cli(["prescribe", "--pin", "1234", "x.json", "-o", "x.pdf"], {**cli_env(Path("/tmp"), Path("/tmp"), fresh=True)})
    assert result.returncode == 2


def test_offline_prescribe_then_outbox_flush(pki_dir, tmp_path):
    from circuit_support import running_base

    card = ["--virtual", "--pki", str(pki_dir), "--pin-stdin"]
    with running_base(tmp_path / "base", pki_dir, cold=True) as base:  # « lap-app base serve » as typed, twice
        env = cli_env(tmp_path / "data", tmp_path / "config", base)
        _ok(run_cli(["enrol", *card], env))
        _ok(run_cli(["prescribe", str(EXAMPLE_BUNDLE), "-o", str(tmp_path / "a.pdf"), *card], env))  # fills the pool
        base.kill()
        offline = run_cli(["prescribe", str(EXAMPLE_BUNDLE), "-o", str(tmp_path / "b.pdf"), "--json", *card], env)
        result = json.loads(_ok(offline))
        assert result["status"] == "waiting" and "injoignable" in result["message"]
        assert decode_qr((tmp_path / "b.pdf").read_bytes()) == [result["number"]]
        listed = _ok(run_cli(["outbox"], env, stdin=""))
        assert f"En attente : {result['number']} — DUPONT Jean Émile" in listed
        failed = run_cli(["outbox", "--flush", *card], env)
        assert failed.returncode == 1 and "injoignable" in failed.stderr and "Traceback" not in failed.stderr
        base.start()
        flushed = _ok(run_cli(["outbox", "--flush", *card], env))
        assert f"Enregistrée : {result['number']}" in flushed and "Aucune ordonnance en attente" in flushed


def _ci_bundle(tmp_path: Path) -> Path:
    """The example ordonnance with two drugs that must not be taken together (simvastatin +
    clarithromycin: contre-indication, rhabdomyolysis)."""
    bundle = json.loads(EXAMPLE_BUNDLE.read_text(encoding="utf-8"))
    requests = [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "MedicationRequest"]
    for request, (cis, name) in zip(requests, (("63073499", "SIMVASTATINE"), ("68293225", "CLARITHROMYCINE"))):
        request["medicationCodeableConcept"]["coding"][0]["code"] = cis
        request["medicationCodeableConcept"]["coding"][0]["display"] = name
    path = tmp_path / "ci.json"
    path.write_text(json.dumps(bundle), encoding="utf-8")
    return path


def test_prescribe_refuses_an_unacknowledged_contraindication(base, pki_dir, tmp_path):
    card = ["--virtual", "--pki", str(pki_dir), "--pin-stdin"]
    env = cli_env(tmp_path / "data", tmp_path / "config", base)
    _ok(run_cli(["enrol", *card], env))
    draft, pdf = _ci_bundle(tmp_path), tmp_path / "ci.pdf"

    refused = run_cli(["prescribe", str(draft), "-o", str(pdf), "--json", *card], env)
    assert refused.returncode == 1 and refused.stdout == "", refused.stderr
    assert "Traceback" not in refused.stderr and "non signée" in refused.stderr
    assert "Contre-indication" in refused.stderr and "SIMVASTATINE" in refused.stderr
    [alert_id] = re.findall(r"\[(CI-[0-9a-f]{6})\]", refused.stderr)
    assert f"--acknowledge {alert_id}" in refused.stderr
    assert not pdf.exists()
    assert "Aucune ordonnance en attente" in _ok(run_cli(["outbox"], env, stdin=""))

    signed = json.loads(_ok(run_cli(["prescribe", str(draft), "-o", str(pdf), "--json", "--acknowledge", alert_id,
                                     *card], env)))
    assert signed["status"] == "registered" and signed["acknowledged"] == [alert_id]
    assert decode_qr(pdf.read_bytes()) == [signed["number"]]
    with sqlite3.connect(tmp_path / "data" / "lap.sqlite3") as db:
        rows = db.execute("SELECT a.alert_id, a.level, a.alert_text, a.acknowledged_by FROM alert_acknowledgements a"
                          " JOIN ordonnances o ON o.id = a.ordonnance_id WHERE o.number = ?",
                          (signed["number"],)).fetchall()
    assert [(r[0], r[1]) for r in rows] == [(alert_id, "CI")]
    assert "SIMVASTATINE" in rows[0][2] and rows[0][3].startswith("8")


def test_prescribe_checks_the_allergies_recorded_for_the_patient(base, pki_dir, tmp_path):
    """The bundle says nothing of allergies: the practice's record of its patient does."""
    from datetime import date

    from lap_app.domain.model import Sex
    from lap_app.services.patients import PatientRecord, PatientService
    from lap_app.storage import connect

    env = cli_env(tmp_path / "data", tmp_path / "config", base)
    connection = connect(tmp_path / "data" / "lap.sqlite3")
    PatientService(connection).save(PatientRecord(
        family_name="DUPONT", given_names=["Jean", "Émile"], sex=Sex.MALE, birth_date=date(1958, 3, 14),
        ins="158037505612321", allergies=["paracétamol"]))
    connection.close()
    pdf = tmp_path / "o.pdf"
    refused = run_cli(["prescribe", str(EXAMPLE_BUNDLE), "-o", str(pdf), "--virtual", "--pki", str(pki_dir),
                       "--pin-stdin"], env)
    assert refused.returncode == 1 and "Traceback" not in refused.stderr, refused.stderr
    [alert_id] = re.findall(r"\[(ALLERGY-[0-9a-f]{6})\]", refused.stderr)
    assert "Allergie" in refused.stderr and "PARAC" in refused.stderr.upper()
    assert f"--acknowledge {alert_id}" in refused.stderr and not pdf.exists()


def test_prescribe_on_a_fresh_profile_names_the_missing_practice_details(base, pki_dir, tmp_path):
    card = ["--virtual", "--pki", str(pki_dir), "--pin-stdin"]
    env = cli_env(tmp_path / "data", tmp_path / "config", base, fresh=True)
    refused = run_cli(["prescribe", str(EXAMPLE_BUNDLE), "-o", str(tmp_path / "o.pdf"), *card], env, stdin="")
    assert refused.returncode == 1 and "Traceback" not in refused.stderr
    message = refused.stderr
    assert message.startswith("Erreur : Coordonnées du cabinet manquantes")
    for field in ("adresse", "code postal", "ville", "téléphone", "qualification"):
        assert field in message
    assert "Paramètres › Cabinet" in message and "lap-app practice" in message
    assert "République" not in message

    _ok(run_cli(["practice", "--address", "3 place des Essais", "--postal-code", "31000", "--city", "Toulouse",
                 "--phone", "05 61 00 00 00", "--qualification", "Médecine générale"], env, stdin=""))
    shown = _ok(run_cli(["practice"], env, stdin=""))
    assert "3 place des Essais" in shown and "À renseigner" not in shown
