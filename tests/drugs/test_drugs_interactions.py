"""ANSM interactions, redundancy and allergy alerts on real marketed drugs; substance mapping."""

from __future__ import annotations

import pytest

from lap_app.domain.errors import UserError
from lap_app.drugs.thesaurus import canonical_substance, map_substance

ZOCOR_20 = "67037301"  # simvastatine
CLARITHROMYCINE_500 = "68293225"
ITRACONAZOLE_100 = "60738303"
DOLIPRANE_1000 = "60234100"
EFFERALGAN_1000 = "61574554"
CLAMOXYL_500 = "67707794"
LEVOTHYROX_100 = "68416845"


def levels(alerts) -> list[str]:
    return [a.level for a in alerts]


def test_the_drugs_used_here_are_real_marketed_drugs(drug_db):
    expected = {ZOCOR_20: "ZOCOR", CLARITHROMYCINE_500: "CLARITHROMYCINE", ITRACONAZOLE_100: "ITRACONAZOLE",
                DOLIPRANE_1000: "DOLIPRANE", EFFERALGAN_1000: "EFFERALGAN", CLAMOXYL_500: "CLAMOXYL",
                LEVOTHYROX_100: "LEVOTHYROX"}
    for cis, brand in expected.items():
        drug = drug_db.get(cis)
        assert drug.name.startswith(brand) and drug.marketed


@pytest.mark.parametrize("inhibitor", [CLARITHROMYCINE_500, ITRACONAZOLE_100])
def test_statin_with_strong_cyp3a4_inhibitor_is_a_contre_indication_through_the_class(drug_db, inhibitor):
    alerts = drug_db.check_interactions([ZOCOR_20, inhibitor])
    ci = [a for a in alerts if a.level == "CI"]
    assert len(ci) == 1
    alert = ci[0]
    assert set(alert.cis) == {ZOCOR_20, inhibitor}
    assert alert.substances[0] == "SIMVASTATINE"
    assert alert.substances[1].startswith("INHIBITEURS PUISSANTS DU CYP3A4")  # a class, not a name
    assert "rhabdomyolyse" in alert.description
    assert alert.level_label == "Contre-indication"
    assert alerts[0] is alert  # the most severe first


def test_order_of_lines_does_not_change_the_findings(drug_db):
    one = drug_db.check_interactions([ZOCOR_20, CLARITHROMYCINE_500])
    other = drug_db.check_interactions([CLARITHROMYCINE_500, ZOCOR_20])
    assert sorted((a.level, frozenset(a.cis)) for a in one) == sorted((a.level, frozenset(a.cis)) for a in other)


def test_current_treatment_counts_but_pairs_of_current_treatments_are_not_new(drug_db):
    alerts = drug_db.check_interactions([CLARITHROMYCINE_500], current_cis=[ZOCOR_20])
    assert "CI" in levels(alerts)
    assert drug_db.check_interactions([DOLIPRANE_1000], current_cis=[ZOCOR_20, CLARITHROMYCINE_500]) == []


def test_redundancy_same_substance_twice(drug_db):
    alerts = drug_db.check_interactions([DOLIPRANE_1000, EFFERALGAN_1000])
    assert levels(alerts) == ["REDUNDANCY"]
    assert alerts[0].substances == ("PARACÉTAMOL",)


@pytest.mark.parametrize("declared", ["amoxicilline", "AMOXICILLINE", "Amoxicilline trihydratée"])
def test_declared_allergy(drug_db, declared: str):
    alerts = drug_db.check_interactions([CLAMOXYL_500, DOLIPRANE_1000], allergies=[declared])
    assert levels(alerts) == ["ALLERGY"]
    assert alerts[0].cis == (CLAMOXYL_500,)


def test_no_alert_for_unrelated_drugs(drug_db):
    assert drug_db.check_interactions([DOLIPRANE_1000, LEVOTHYROX_100, CLAMOXYL_500]) == []


def test_graded_entry_keeps_every_level_with_its_conduct(drug_db):
    aspirin = drug_db.search("kardegic 75")[0]
    warfarin = drug_db.search("coumadine 5")[0]
    alerts = [a for a in drug_db.check_interactions([aspirin.cis, warfarin.cis]) if a.level != "REDUNDANCY"]
    graded = next(a for a in alerts if len(a.levels) > 1)
    assert graded.level == graded.levels[0][0] == "CI"
    assert "CI :" in graded.conduct and "AD :" in graded.conduct


def test_unknown_cis_is_a_clear_error(drug_db):
    with pytest.raises(UserError, match="Code CIS inconnu : 12345678"):
        drug_db.check_interactions([DOLIPRANE_1000, "12345678"])


@pytest.mark.parametrize("bdpm_name, key", [
    ("SIMVASTATINE", "SIMVASTATINE"),
    ("CHLORHYDRATE DE METFORMINE", "METFORMINE"),
    ("ATORVASTATINE CALCIQUE TRIHYDRATÉE", "ATORVASTATINE"),
    ("BÉSILATE D'AMLODIPINE", "AMLODIPINE"),
    ("AMOXICILLINE TRIHYDRATÉE", "AMOXICILLINE"),
    ("GENTAMICINE (SULFATE DE)", "GENTAMICINE"),
    ("DICLOFÉNAC SODIQUE", "DICLOFENAC"),
    ("CARBONATE DE LITHIUM", "LITHIUM"),
    ("SULFATE FERREUX", "FER"),
    ("VALPROATE DE SODIUM", "ACIDE VALPROIQUE"),
])
def test_salts_accents_and_synonyms_are_mapped(drug_db, bdpm_name: str, key: str):
    keys = {k for (k,) in drug_db._conn.execute("SELECT DISTINCT substance_key FROM ansm_substance")}
    assert map_substance(bdpm_name, keys)[0] == key


def test_homeopathic_dilutions_are_never_mapped():
    assert map_substance("LITHIUM CARBONICUM POUR PRÉPARATIONS HOMÉOPATHIQUES", {"LITHIUM"}) == (None, "non trouvée")


def test_counter_ions_are_not_the_substance():
    assert canonical_substance("CHLORURE DE SODIUM") != canonical_substance("BICARBONATE DE SODIUM")


def test_coverage_is_measured_and_lists_what_is_missing(drug_db):
    cov = drug_db.coverage()
    assert cov["marketed"] == 13099  # "Commercialisée" lines of CIS_bdpm.txt 2021-05
    assert 0.6 < cov["share"] < 1
    assert cov["share"] == round(cov["fully_mapped"] / cov["marketed"], 4)
    unmapped = dict(cov["unmapped"])
    assert "SIMVASTATINE" not in unmapped
    assert unmapped.get("GLUCOSE ANHYDRE", 0) > 10  # not in the thesaurus: nothing to map it to


def test_allergy_to_a_class_of_the_thesaurus(drug_db):
    alerts = drug_db.check_interactions([CLAMOXYL_500, DOLIPRANE_1000], allergies=["pénicillines"])
    assert [(a.level, a.cis) for a in alerts] == [("ALLERGY", (CLAMOXYL_500,))]
    ibuprofen = drug_db.search("advil 400")[0]
    alerts = drug_db.check_interactions([ibuprofen.cis], allergies=["Anti-inflammatoires non stéroïdiens"])
    assert levels(alerts) == ["ALLERGY"]
