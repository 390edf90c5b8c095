"""``lap-app prescrit read|execute`` with a lab's virtual card, against the real base."""

from __future__ import annotations

import json

from attack_support import insider

from circuit_support import cli_env, run_cli


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
