"""``lap-app drugs …``: the JSON shapes scripts rely on, the text output, the errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from lap_app.cli.main import main


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_search_json_shape(drug_db, capsys):
    code, out, _err = run(capsys, "drugs", "search", "doli", "1000", "--limit", "3", "--json")
    assert code == 0
    results = json.loads(out)
    assert len(results) == 3
    first = results[0]
    assert {"cis", "name", "dci", "form", "routes", "marketed", "presentations"} <= first.keys()
    assert first["cis"] == "60234100" and first["dci"] == "PARACÉTAMOL 1000 mg, comprimé"
    assert first["routes"] == ["orale"] and first["marketed"] is True
    pack = first["presentations"][0]
    assert {"cip13", "label", "price", "reimbursement_rate"} <= pack.keys()
    assert (pack["cip13"], pack["price"], pack["reimbursement_rate"]) == ("3400935955838", 1.16, 65)


def test_search_text_output(drug_db, capsys):
    code, out, _err = run(capsys, "drugs", "search", "skenan", "10", "--limit", "1")
    assert code == 0
    assert "SKENAN L.P. 10 mg" in out and "MORPHINE" in out
    assert "prescription particulière" in out and "stupéfiants" in out


def test_interactions_json_shape(drug_db, capsys):
    code, out, _err = run(capsys, "drugs", "interactions", "67037301", "68293225", "60234100",
                          "--allergy", "paracétamol", "--json")
    assert code == 0
    alerts = json.loads(out)
    assert [a["level"] for a in alerts][:2] == ["ALLERGY", "CI"]
    ci = alerts[1]
    assert {"level", "cis", "substances", "description"} <= ci.keys()
    assert sorted(ci["cis"]) == ["67037301", "68293225"]
    assert ci["substances"][0] == "SIMVASTATINE"


def test_interactions_text_and_current_treatments(drug_db, capsys):
    code, out, _err = run(capsys, "drugs", "interactions", "68293225", "--current", "67037301")
    assert code == 0
    assert "[CI] Contre-indication" in out and "INHIBITEURS PUISSANTS DU CYP3A4" in out


def test_unknown_cis_exits_1_with_a_french_message(drug_db, capsys):
    code, out, err = run(capsys, "drugs", "interactions", "99999999")
    assert code == 1 and out == ""
    assert err.strip() == "Erreur : Code CIS inconnu : 99999999"


def test_coverage_output(drug_db, capsys):
    code, out, _err = run(capsys, "drugs", "coverage", "--limit", "5")
    assert code == 0
    assert "/ 13099" in out and "GLUCOSE ANHYDRE" in out and "Hors substances sans profil" in out
    code, out, _err = run(capsys, "drugs", "coverage", "--json")
    data = json.loads(out)
    assert data["marketed"] == 13099 and 0 < data["share"] < 1
    assert data["unmapped"][0].keys() == {"substance", "drugs"}


def test_import_reports_changes_and_skipped_lines(drug_db_copy: Path, bdpm_2026: Path, tmp_path: Path, capsys):
    release = tmp_path / "2026-04"
    release.mkdir()
    data = (bdpm_2026 / "CIS_bdpm.txt").read_bytes()
    (release / "CIS_bdpm.txt").write_bytes(data + b"12345678\tTRONQU\xc9E\n")
    (release / "notes.txt").write_text("pas un fichier BDPM")
    code, out, _err = run(capsys, "drugs", "--db", str(drug_db_copy), "import", str(release))
    assert code == 0
    assert out.startswith("Version 2026-04 importée")
    assert "CIS ajoutés : " in out and "  + " in out and "  - " in out and "  ~ " in out
    line = len(data.split(b"\n"))
    assert f"CIS_bdpm.txt:{line} : ligne tronquée" in out
    assert "Fichiers non utilisés : notes.txt" in out


def test_import_missing_dir_is_a_clear_error(drug_db_copy: Path, tmp_path: Path, capsys):
    code, _out, err = run(capsys, "drugs", "--db", str(drug_db_copy), "import", str(tmp_path / "absent"))
    assert code == 1 and err.startswith("Erreur : Dossier BDPM introuvable")


def test_installed_entry_point(drug_db_path: Path):
    env = {**os.environ, "LAP_DATA_DIR": str(drug_db_path.parent)}
    exe = Path(sys.executable).with_name("lap-app")
    done = subprocess.run([str(exe), "drugs", "search", "--json", "3400935955838"], env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert [r["name"] for r in json.loads(done.stdout)] == ["DOLIPRANE 1000 mg, comprimé"]
