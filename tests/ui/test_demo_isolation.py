"""The demo keeps to its own folder: it never reads nor writes the user's settings, local
store, drug base or credentials (keyring included). Run as ``lap-app demo`` runs, in a process
of its own, with the user's folders and keyring pointed at temporary ones that are then
checked untouched."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

# Starts the demo with its default folder, signs one ordonnance through the services, prints
# what the test checks.
DEMO_RUN = r"""
import json, sys
from pathlib import Path
from lap_app.card import open_card
from lap_app.demo.environment import DemoEnvironment
from lap_app.services.card_session import unlock_card
from lap_app.services.drafting import line_for_drug
from lap_app.services.ordonnance_builder import build_ordonnance, patient_facts

env = DemoEnvironment(pcsc=False, base_port=0, drugs_path=Path(sys.argv[1])).start()
try:
    context = env.context()
    record = context.services.patients.search("ROUSSEAU")[0]
    line = line_for_drug(context.drugs.search("doliprane 1000")[0])
    line.posology.duration, line.posology.duration_unit = 5, "d"
    card = open_card(virtual=True)
    unlock_card(card, "1234")
    ordonnance = build_ordonnance(card.identity(), context.settings.practice, record, [line])
    outcome = context.services.prescribing.prescribe(ordonnance, card, practice=context.settings.practice,
                                                     patient=patient_facts(record))
    card.close()
    context.save_settings()  # « Paramètres » in the demo writes the demo's own file
    print(json.dumps({"root": str(env.root), "status": str(outcome.status), "pdf": outcome.pdf.decode("latin-1")}))
finally:
    env.stop()
"""


def _files(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*")) if folder.exists() else []


def test_the_demo_never_touches_the_users_own_files_or_keyring(tmp_path):
    from pdf_reading import pdf_text

    from lap_app.drugs import ensure_drug_database

    user = tmp_path / "user"
    real = {"data": user / "data", "config": user / "config", "xdg-data": user / "xdg-data",
            "xdg-config": user / "xdg-config"}
    real["config"].mkdir(parents=True)
    (real["config"] / "settings.json").write_text('{"version": 3, "practice": {"city": "Ma ville"}}', encoding="utf-8")
    before = {name: _files(folder) for name, folder in real.items()}
    demo_home = tmp_path / "demo-home"  # where the platform puts per-user data (the demo's folder goes there)
    env = dict(os.environ, LAP_DATA_DIR=str(real["data"]), LAP_CONFIG_DIR=str(real["config"]),
               XDG_DATA_HOME=str(demo_home), XDG_CONFIG_HOME=str(real["xdg-config"]),
               # a keyring that works and keeps its secrets in a file: any use of it would show
               PYTHON_KEYRING_BACKEND="keyrings.alt.file.PlaintextKeyring")
    env.pop("LAP_DEMO_DIR", None)
    env.pop("LAP_BASE_URL", None)
    env.pop("LAP_BASE_CA", None)
    done = subprocess.run([sys.executable, "-c", DEMO_RUN, str(ensure_drug_database())], capture_output=True,
                          text=True, env=env, cwd=REPO, timeout=180)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    root = Path(result["root"])

    assert root == demo_home / "lap-app-demo"  # its own folder, apart from the user's
    assert {name: _files(folder) for name, folder in real.items()} == before  # untouched, settings kept as is
    assert json.loads((real["config"] / "settings.json").read_text(encoding="utf-8"))["practice"] == {"city": "Ma ville"}
    assert not (demo_home / "python_keyring").exists()  # no secret in the keyring
    kept = _files(root)
    for expected in ("installation-credential.json", "lap.sqlite3", "settings.json", "pki"):
        assert expected in kept
    assert result["status"] == "registered"
    text = pdf_text(result["pdf"].encode("latin-1"))
    assert "12 rue de la République" in text and "69002" in text  # the demo's fictitious practice, on its paper
