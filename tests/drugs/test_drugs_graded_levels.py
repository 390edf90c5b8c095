"""Thesaurus entries graded by situation: the level that applies to the pair at hand.

The antacid entry reads "AD : avec les inhibiteurs d'intégrase (raltégravir, bictégravir,
dolutégravir) / PE : avec les autres substances": the same two classes give an AD for
dolutégravir and a PE for ciprofloxacine.
"""

from __future__ import annotations

import pytest

MAALOX = "64216427"  # hydroxydes d'aluminium et de magnésium
CIFLOX = "65126598"  # ciprofloxacine
TIVICAY = "64510425"  # dolutégravir


def _antacid_alert(drug_db, cis: str):
    alerts = [a for a in drug_db.check_interactions([cis, MAALOX])
              if set(a.cis) == {cis, MAALOX} and "inhibiteurs d'intégrase" in a.conduct]
    assert len(alerts) == 1, alerts
    return alerts[0]


@pytest.mark.parametrize(("cis", "level"), [(TIVICAY, "AD"), (CIFLOX, "PE")])
def test_the_level_named_for_the_substance_applies(drug_db, cis: str, level: str) -> None:
    assert _antacid_alert(drug_db, cis).level == level


def test_every_graded_level_stays_readable_without_stray_colons(drug_db) -> None:
    conduct = _antacid_alert(drug_db, CIFLOX).conduct
    lines = conduct.splitlines()
    assert lines[0].startswith("AD : - avec les inhibiteurs d'intégrase")
    assert lines[1].startswith("PE : - avec les autres substances")
    assert ": :" not in conduct
