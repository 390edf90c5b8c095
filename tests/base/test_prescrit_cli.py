"""``lap-app prescrit read|execute`` with a lab's virtual card, against the real base."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from attack_support import insider

from circuit_support import LAP_APP, REPO, cli_env, require_service, run_cli


def test_a_lab_reads_and_executes_from_the_command_line(base, pki_dir, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from lap_app.standins.pki import init_pki

    env = cli_env(tmp_path / "data", tmp_path / "config", base)
    enrolled = run_cli(["enrol", "--virtual", "--pki", str(pki_dir), "--pin-stdin"], env)
    assert enrolled.returncode == 0, enrolled.stderr
    physician = insider(base, init_pki(pki_dir).holder("medecin"), enrol=True)
    number = physician.prescribe(kind="biologie")
    physician.close()
    as_lab = ["--virtual", "--holder", "biologiste", "--pki", str(pki_dir), "--pin-stdin"]
    read = run_cli(["prescrit", "read", number, "--json", *as_lab], env)
    assert read.returncode == 0, read.stderr
    assert json.loads(read.stdout)["kind"] == "biologie"
    done = run_cli(["prescrit", "execute", number, "--line", "2", "--not-done", "patient non à jeun", "--json",
                    *as_lab], env)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["executions"][0]["detail"]["reason"] == "patient non à jeun"
    beyond = run_cli(["prescrit", "execute", number, "--line", "1", "--count", "5", *as_lab], env)
    assert beyond.returncode != 0 and "au-delà de la prescription" in beyond.stderr
    nurse = run_cli(["prescrit", "read", number, "--virtual", "--holder", "infirmier", "--pki", str(pki_dir),
                     "--pin-stdin"], env)
    assert nurse.returncode != 0 and "votre profession ne l'exécute pas" in nurse.stderr


@pytest.mark.pcsc
def test_a_physiotherapist_adjusts_with_the_prescriber_s_agreement_over_pcsc(base, pki_dir, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The card in vpcd slot 1 by ``lap-app card emulate --holder kine``, read through pcscd."""
    import base64
    import signal
    import subprocess

    from cryptography import x509

    from lap_app.base_client.protocol import adjustment_content
    from lap_app.standins.base_server.security import verify_rs256
    from lap_app.standins.pki import init_pki
    from lap_app.standins.virtual_cps.testing import pcsc_ready, wait_card_state
    from lap_app.standins.virtual_cps.vpcd import reader_name

    require_service(pcsc_ready(), "pcscd with the vpcd reader")
    reader = reader_name(1)
    env = cli_env(tmp_path / "data", tmp_path / "config", base)
    emulator = subprocess.Popen([*LAP_APP, "card", "emulate", "--holder", "kine", "--port", "35964", "--pki",
                                 str(pki_dir), "--reset-pin"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True, env=dict(env, PYTHONUNBUFFERED="1"), cwd=REPO)
    try:
        # (the emulator waits while another test's emulator holds the slot)
        assert "prête sur le port vpcd 35964" in _line_with(emulator, "prête", 60)
        assert wait_card_state(reader, True, 60), "the emulated card never showed up"
        physician = insider(base, init_pki(pki_dir).holder("medecin"), enrol=True)
        number = physician.prescribe(kind="kinesitherapie")
        physician.close()
        as_physio = ["--reader", reader, "--pin-stdin"]
        enrolled = run_cli(["enrol", "--virtual", "--pki", str(pki_dir), "--pin-stdin"], env)
        assert enrolled.returncode == 0, enrolled.stderr
        read = run_cli(["prescrit", "read", number, "--json", *as_physio], env)
        assert read.returncode == 0, read.stderr
        sessions = json.loads(read.stdout)["lines"][0]["prescribed"]

        agreement = ["--agreement", "telephone", "--agreed-at", "2026-01-01T09:30", "--agreed-by", "Dr Claire MARTIN"]
        missing = run_cli(["prescrit", "adjust", number, "--line", "1", "--agreement", "telephone", "--agreed-at",
                           "2026-12-01T09:30", "--sessions", "3", *as_physio], env)
        assert missing.returncode != 0 and "--agreed-by" in missing.stderr and "obligatoires" in missing.stderr
        early = run_cli(["prescrit", "adjust", number, "--line", "1", "--sessions", "beaucoup", "--line", "9",
                         *agreement, *as_physio], env)
        assert early.returncode == 1 and early.stderr.startswith("Erreur : Ajustement impossible")
        assert "ligne inexistante" in early.stderr and "accord antérieur à l'ordonnance" in early.stderr
        assert "nombre positif attendu" in early.stderr and "Traceback" not in early.stderr

        agreed_at = dt.datetime.now().replace(second=0, microsecond=0)
        adjusted = run_cli(["prescrit", "adjust", number, "--line", "1", "--sessions", str(int(sessions) + 5),
                            "--agreement", "messagerie", "--agreed-at", agreed_at.isoformat(timespec="minutes"),
                            "--agreed-by", "Dr Claire MARTIN", "--json", *as_physio], env)
        assert adjusted.returncode == 0, adjusted.stderr
        view = json.loads(adjusted.stdout)
        [record] = view["adjustments"]
        assert record["agreement"]["mode"] == "messagerie" and record["agreement"]["given_by"] == "Dr Claire MARTIN"
        assert view["lines"][0]["prescribed"] == sessions + 5
        # the record is signed by the physiotherapist's card: its signature certificate verifies it
        certificate = x509.load_der_x509_certificate(init_pki(pki_dir).holder("kine").sign_cert_der)
        signed = adjustment_content(number, 1, record["changes"], "messagerie", "Dr Claire MARTIN",
                                    record["agreement"]["at"])
        assert verify_rs256(certificate, base64.b64decode(record["signature"]), signed)
        assert dt.datetime.fromisoformat(record["agreement"]["at"]).replace(tzinfo=None) == agreed_at

        # 2 sessions a week: this week's two (a third today would open week 2 too early)
        done = run_cli(["prescrit", "execute", number, "--line", "1", "--count", "2", *as_physio], env)
        assert done.returncode == 0, done.stderr
        text = run_cli(["prescrit", "read", number, *as_physio], env)
        assert f"réalisé : 2 sur {int(sessions) + 5}" in text.stdout
        assert "nombre de séances : " in text.stdout and "accord par messagerie sécurisée de Dr Claire MARTIN" \
            in text.stdout
    finally:
        emulator.send_signal(signal.SIGTERM)
        emulator.communicate(timeout=60)


def _line_with(process, text: str, timeout: float) -> str:  # type: ignore[no-untyped-def]
    """The first line of ``process``'s stdout holding ``text`` (or all it printed, at the timeout or its end).

    Read from the descriptor itself: the text wrapper's ``readline()`` may take two lines into its
    buffer, and ``select()`` would then wait for the second, already read, until the timeout."""
    import os
    import select
    import time

    descriptor = process.stdout.fileno()
    seen = b""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if select.select([descriptor], [], [], 0.5)[0]:
            chunk = os.read(descriptor, 4096)
            if not chunk:
                break
            seen += chunk
            for line in seen.decode("utf-8", "replace").splitlines(keepends=True):
                if text in line and line.endswith("\n"):
                    return line
        elif process.poll() is not None:
            break
    ended = "" if process.poll() is None else f"[ended with {process.returncode}] {process.stderr.read()}"
    return seen.decode("utf-8", "replace") + ended
