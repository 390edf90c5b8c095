"""``lap-app dmp list|get|status`` as a user runs them (subprocesses, real base over TLS)."""

from __future__ import annotations

import json

import pytest

from circuit_support import EXAMPLE_BUNDLE, cli_env, run_cli

INS_AS_TYPED = ["1", "58", "03", "75", "056", "123", "21"]  # the example patient, with spaces


@pytest.fixture(scope="module")
def cli(tmp_path_factory, dmp_base, dmp_pki_dir):
    root = tmp_path_factory.mktemp("dmp-cli")
    env = cli_env(root / "data", root / "config", dmp_base)
    card = ["--virtual", "--pki", str(dmp_pki_dir), "--pin-stdin"]
    enrolled = run_cli(["enrol", *card], env)
    assert enrolled.returncode == 0, enrolled.stderr
    printed = root / "ordonnance.pdf"
    done = run_cli(["prescribe", str(EXAMPLE_BUNDLE), "-o", str(printed), "--json", *card], env)
    assert done.returncode == 0, done.stderr
    return env, card, root, printed, json.loads(done.stdout)


def test_prescribe_says_the_copy_is_filed(cli):
    _env, _card, _root, _printed, outcome = cli
    assert outcome["status"] == "registered"
    assert outcome["dmp"] == "Copie de l'ordonnance classée dans le DMP du patient (Mon espace santé)."


def test_list_and_get_return_the_printed_pdf(cli):
    from lap_app.domain.identifiers import format_prescription_number

    env, card, root, printed, outcome = cli
    listed = run_cli(["dmp", "list", *INS_AS_TYPED, *card], env)
    assert listed.returncode == 0, listed.stderr
    assert format_prescription_number(outcome["number"]) in listed.stdout
    assert "Claire MARTIN" in listed.stdout
    other = "2910913055089" + f"{97 - 2910913055089 % 97:02d}"  # a patient with nothing filed
    as_json = run_cli(["dmp", "list", "158037505612321", other, "--json", "--holder", "pharmacien", *card], env)
    assert as_json.returncode == 0, as_json.stderr
    patients = json.loads(as_json.stdout)["patients"]
    assert [p["patient"] for p in patients] == ["158037505612321", other]
    assert outcome["number"] in [d["number"] for d in patients[0]["documents"]]
    assert patients[1]["documents"] == []
    fetched = root / "from-dmp.pdf"
    got = run_cli(["dmp", "get", format_prescription_number(outcome["number"]), "-o", str(fetched), *card], env)
    assert got.returncode == 0, got.stderr
    assert fetched.read_bytes() == printed.read_bytes()


def test_wrong_ins_key_is_refused_plainly(cli):
    env, card, _root, _printed, _outcome = cli
    wrong = run_cli(["dmp", "list", "158037505612322", *card], env)
    assert wrong.returncode == 1
    assert wrong.stderr.strip() == "Erreur : INS invalide : clé du NIR incorrecte : vérifiez la saisie"
    unknown = run_cli(["dmp", "get", "ordonnance-inconnue", "-o", str(_root / "x.pdf"), *card], env)
    assert unknown.returncode == 1 and "Traceback" not in unknown.stderr
    assert "Aucun document du DMP" in unknown.stderr


def test_status_shows_where_each_copy_stands(cli):
    from lap_app.domain.identifiers import format_prescription_number

    env, card, _root, _printed, outcome = cli
    shown = run_cli(["dmp", "status", *card], env, stdin="")  # local: no card asked
    assert shown.returncode == 0, shown.stderr
    number = format_prescription_number(outcome["number"])
    assert f"{number} — DUPONT Jean Émile : copie classée dans le DMP" in shown.stdout
