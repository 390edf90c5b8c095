"""The practice details (address, phone…) live on the practice server: set on one workstation,
printed by all; each user's own settings (paper, printer) stay on their workstation."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from lap_app.services.shared_practice import adopt_shared_practice, share_practice
from lap_app.settings import PracticeSettings, Settings
from lap_app.storage import LocalStore

pytestmark = pytest.mark.postgresql

PRACTICE = PracticeSettings(address_lines=["12 rue des Lilas"], postal_code="69003", city="Lyon",
                            phone="04 72 00 00 00", qualification="Médecin généraliste")


def test_the_practice_details_set_on_one_workstation_are_seen_by_the_others(fresh_postgres_database):
    reception, consultation = LocalStore(fresh_postgres_database), LocalStore(fresh_postgres_database)
    try:
        first = Settings(practice=PracticeSettings(**vars_of(PRACTICE)))
        assert adopt_shared_practice(first, reception)  # the first workstation puts its details there
        second = Settings(paper_size="A5")
        adopt_shared_practice(second, consultation)
        assert second.practice == PRACTICE and second.paper_size == "A5"  # shared details, own paper size

        second.practice.phone = "04 72 11 11 11"
        share_practice(second, consultation)
        again = Settings()
        adopt_shared_practice(again, reception)
        assert again.practice.phone == "04 72 11 11 11"
    finally:
        reception.close()
        consultation.close()


def test_on_a_workstation_file_the_details_stay_in_the_settings(tmp_path):
    store = LocalStore(tmp_path / "lap.sqlite3")
    try:
        settings = Settings(practice=PracticeSettings(**vars_of(PRACTICE)))
        assert not adopt_shared_practice(settings, store)
        assert not share_practice(settings, store)
        assert store.conn.execute("SELECT count(*) FROM practice_settings").fetchone()[0] == 0
    finally:
        store.close()


def test_the_command_line_shares_the_practice_details(fresh_postgres_database, tmp_path):
    def lap(config: str, *args: str) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "LAP_CONFIG_DIR": str(tmp_path / config), "LAP_DATA_DIR": str(tmp_path / f"{config}-data")}
        return subprocess.run([sys.executable, "-m", "lap_app", "--store", fresh_postgres_database, "practice", *args],
                              capture_output=True, text=True, env=env, timeout=120, check=False)

    done = lap("dr-a", "--address", "12 rue des Lilas", "--postal-code", "69003", "--city", "Lyon",
               "--phone", "04 72 00 00 00", "--qualification", "Médecin généraliste")
    assert done.returncode == 0, done.stderr
    assert "partagées par tous les postes" in done.stdout
    shown = lap("dr-b")  # another physician, another workstation, empty settings
    assert shown.returncode == 0, shown.stderr
    assert "12 rue des Lilas" in shown.stdout and "04 72 00 00 00" in shown.stdout
    assert "À renseigner" not in shown.stdout


def vars_of(practice: PracticeSettings) -> dict:
    return {name: (list(value) if isinstance(value, list) else value)
            for name in practice.__slots__ for value in [getattr(practice, name)]}
