"""The BDPM → ANSM thesaurus mapping rules, each on real names of the 2021-05 BDPM and real
thesaurus keys, with the negative cases that would raise false alerts."""

from __future__ import annotations

import pytest

from lap_app.drugs.coverage import no_profile_reason
from lap_app.drugs.thesaurus import SubstanceIndex, map_substance, map_substance_keys

TERALITHE_250 = "62124478"
BICARBONATE_SODIUM = "60812091"
AUGMENTIN_1G = "66053338"
ALDACTONE_25 = "64565845"
MAALOX = "64216427"


@pytest.fixture(scope="module")
def keys(drug_db) -> SubstanceIndex:
    return SubstanceIndex(k for (k,) in drug_db._conn.execute("SELECT DISTINCT substance_key FROM ansm_substance"))


@pytest.mark.parametrize("bdpm_name, key", [
    # "X DE Y" ↔ "Y (X DE)": the thesaurus writes sodium salts inverted
    ("CHLORURE DE SODIUM", "SODIUM (CHLORURE DE)"),
    ("BICARBONATE DE SODIUM", "SODIUM (BICARBONATE DE)"),
    ("ALUMINIUM (OXYDE D') HYDRATÉ", "OXYDE D'ALUMINIUM"),
    ("SODIUM (VALPROATE DE)", "ACIDE VALPROIQUE"),
    ("FUMARATE DE DIMÉTHYLE", "DIMETHYLE (FUMARATE DE)"),  # thesaurus spells "( FUMARATE DE)"
    # "X TRISODIQUE" of a mineral anion is the sodium salt
    ("CITRATE TRISODIQUE ANHYDRE", "SODIUM (CITRATE DE)"),
    # salt of an acid → the acid: "-ATE" → "ACIDE -IQUE"
    ("RISÉDRONATE MONOSODIQUE ANHYDRE", "ACIDE RISEDRONIQUE"),
    ("FUSIDATE DE SODIUM", "ACIDE FUSIDIQUE"),
    ("AMIDOTRIZOATE DE MÉGLUMINE", "ACIDE AMIDOTRIZOIQUE"),
    ("LÉVOFOLINATE DE CALCIUM", "ACIDE FOLINIQUE"),  # and not CALCIUM
    # INN spelling variants (th/t, final e), unambiguous ones only
    ("THIOGUANINE", "TIOGUANINE"),
    ("CHLORHYDRATE DE BUPROPIONE", "BUPROPION"),
    ("RÉMIFENTANYL", "REMIFENTANIL"),
    ("PSEUDO-ÉPHÉDRINE", "PSEUDOEPHEDRINE"),
    ("PEGINTERFÉRON ALFA-2A", "PEG-INTERFERON ALFA-2A"),
    ("ACIDE URSODÉOXYCHOLIQUE", "ACIDE URSODESOXYCHOLIQUE"),
    ("HYDROXYDE D'ALUMINIUM", "OXYDE D'ALUMINIUM"),
    # stereo descriptors
    ("BÊTA-ESTRADIOL", "ESTRADIOL"),
    ("ACIDE L FOLINIQUE", "ACIDE FOLINIQUE"),
    # herbal preparations and counter-ion prefixes
    ("EXTRAIT SEC DE LA SOMMITÉ FLEURIE DE MILLEPERTUIS", "MILLEPERTUIS"),
    ("HUILE ESSENTIELLE DE NIAOULI", "NIAOULI"),
    ("BENZATHINE BENZYLPÉNICILLINE", "BENZYLPENICILLINE"),
    # reviewed synonyms
    ("TOXINE BOTULINIQUE TYPE A", "BOTULIQUE (TOXINE)"),
    ("PENICILLINE V", "PHENOXYMETHYLPENICILLINE"),
    ("VIRUS DE LA RUBÉOLE (SOUCHE WISTAR RA 27/3) (VIVANT, ATTÉNUÉ)", "VIRUS RUBEOLEUX"),
    # a metal stays the moiety of its mineral salts
    ("GLUCONATE DE CALCIUM", "CALCIUM"),
    ("CHLORURE DE POTASSIUM", "POTASSIUM"),
    ("PHOSPHATE DIPOTASSIQUE", "POTASSIUM"),
])
def test_mapping_rules(keys, bdpm_name: str, key: str):
    assert map_substance(bdpm_name, keys)[0] == key


@pytest.mark.parametrize("bdpm_name", [
    "CLAVULANATE DE POTASSIUM",   # the potassium is a counter-ion: no hyperkalaemia alert
    "DOBÉSILATE DE CALCIUM",
    "UNDÉCYLÉNATE DE ZINC",
    "IODURE DE POTASSIUM",
    "TRASTUZUMAB",                # not TRASTUZUMAB EMTANSINE
    "INTERFÉRON BÊTA-1A",         # not INTERFERON ALFA
    "ACÉTATE DE SODIUM TRIHYDRATÉ",  # not SODIUM (CHLORURE DE) nor any sodium entry
    "DIPROPIONATE DE BÉCLOMÉTHASONE",  # not BÉTAMÉTHASONE
    "CALCIPOTRIOL",               # not CALCITRIOL
    "PEGINTERFÉRON ALFA-2B",      # the thesaurus lists only the alfa-2a
    "LITHIUM CARBONICUM POUR PRÉPARATIONS HOMÉOPATHIQUES",
])
def test_names_that_must_stay_unmapped(keys, bdpm_name: str):
    assert map_substance(bdpm_name, keys) == (None, "non trouvée")


def test_ambiguous_spelling_is_never_guessed():
    assert map_substance("PHENOLE", {"FENOL", "PHENOL"}) == (None, "non trouvée")
    assert map_substance("PHENOLE", {"PHENOL"})[0] == "PHENOL"


def test_a_salt_listed_on_its_own_keeps_its_metal(keys, drug_db):
    assert map_substance_keys("CITRATE DE POTASSIUM", keys)[0] == ["POTASSIUM (CITRATE DE)", "POTASSIUM"]
    carried = {k for (k,) in drug_db._conn.execute("SELECT ansm_key FROM drug_ansm_key WHERE cis = ?", (MAALOX,))}
    assert {"MAGNESIUM (HYDROXYDE DE)", "MAGNESIUM", "TOPIQUES GASTRO-INTESTINAUX, ANTIACIDES ET ADSORBANTS",
            "OXYDE D'ALUMINIUM"} <= carried


def test_lithium_and_sodium_bicarbonate_now_alert(drug_db):
    alerts = drug_db.check_interactions([TERALITHE_250, BICARBONATE_SODIUM])
    assert [(a.level, a.substances) for a in alerts] == [("PE", ("LITHIUM", "SODIUM (BICARBONATE DE)"))]


def test_clavulanate_no_longer_raises_a_potassium_alert(drug_db):
    assert drug_db.check_interactions([AUGMENTIN_1G, ALDACTONE_25]) == []


@pytest.mark.parametrize("bdpm_name, category", [
    ("ARNICA MONTANA POUR PRÉPARATIONS HOMÉOPATHIQUES", "homeopathy"),
    ("L-ARGININE", "amino_acid"),
    ("ACIDE GLUTAMIQUE", "amino_acid"),
    ("GLUCOSE ANHYDRE", "nutrient"),
    ("HUILE DE SOJA RAFFINÉE", "nutrient"),
    ("ACÉTATE DE SODIUM TRIHYDRATÉ", "electrolyte"),
    ("ANATOXINE TÉTANIQUE", "vaccine"),
    ("VIRUS POLIOMYÉLITIQUE SOUCHE MEF-1 DE TYPE 2 INACTIVÉ", "vaccine"),
    ("FACTEUR VIII DE COAGULATION HUMAIN", "plasma"),
    ("LÉVÉTIRACÉTAM", None),          # may have interactions: stays in the mappable figure
    ("VIRUS DE LA ROUGEOLE, SOUCHE SCHWARTZ, VIVANT, ATTÉNUÉ", None),  # live vaccines interact
    ("CHLORURE DE SODIUM", None),
])
def test_no_profile_categories(bdpm_name: str, category):
    assert no_profile_reason(bdpm_name) == category


def test_no_thesaurus_name_is_declared_without_profile(drug_db):
    names = [label for (label,) in drug_db._conn.execute(
        "SELECT label FROM ansm_substance UNION SELECT label_a FROM ansm_interaction")]
    assert len(names) > 1000
    assert [n for n in names if no_profile_reason(n)] == []


def test_coverage_reports_raw_and_mappable_figures(drug_db):
    cov = drug_db.coverage()
    mappable = cov["mappable"]
    assert cov["fully_mapped"] >= 8798 and cov["share"] >= 0.6715
    assert mappable["marketed"] < cov["marketed"] and mappable["share"] > cov["share"]
    assert mappable["excluded_drugs"]["homeopathy"] > 1000
    unmapped = dict(cov["unmapped"])
    assert "CHLORURE DE SODIUM" not in unmapped and "GLYCINE" in unmapped
    relevant = dict(mappable["unmapped"])
    assert "GLYCINE" not in relevant and "LÉVÉTIRACÉTAM" in relevant


AVLOCARDYL_40 = "61078266"
TILDIEM_60 = "63692245"
CIFLOX_500 = "65636245"
VENOFER = "60080232"
TARDYFERON_80 = "68269288"
PHARMATEX_CREME = "65147126"
ECONAZOLE_OVULE = "65261489"


def test_classes_broken_at_a_pdf_hyphen_are_joined(drug_db):
    # substances.json writes "bêta- bloquants (sauf esmolol)" for propranolol: it used to miss the class
    alerts = drug_db.check_interactions([AVLOCARDYL_40, TILDIEM_60])
    assert ("AD", ("BÊTA-BLOQUANTS (SAUF ESMOLOL) (Y COMPRIS COLLYRES) (PROPRANOLOL)", "DILTIAZEM")) in [
        (a.level, a.substances) for a in alerts]
    # ciprofloxacine is reached through the antacid entry, whose AD is for integrase inhibitors only
    assert "PE" in [a.level for a in drug_db.check_interactions([CIFLOX_500, MAALOX])]


def test_route_entries_of_the_thesaurus(drug_db):
    iv_oral = drug_db.check_interactions([VENOFER, TARDYFERON_80])
    assert ("AD", ("SELS DE FER PAR VOIE INJECTABLE", "FER")) in [(a.level, a.substances) for a in iv_oral]
    # injectable iron is not oral iron: no antacid absorption alert
    assert drug_db.check_interactions([VENOFER, MAALOX]) == []
    vaginal = drug_db.check_interactions([PHARMATEX_CREME, ECONAZOLE_OVULE])
    assert "AD" in [a.level for a in vaginal]


def test_class_members_listed_only_in_the_entries(drug_db):
    # substances.json omits atézolizumab; the entry of its class lists it
    rows = drug_db._conn.execute(
        "SELECT class_key FROM ansm_substance WHERE substance_key = 'ATEZOLIZUMAB'").fetchall()
    assert rows == [("ANTICORPS MONOCLONAUX (HORS ANTI-TNF ALPHA)",)]
