"""Search as the physician types, on the full 2021-05 BDPM, and what each result carries."""

from __future__ import annotations

import pytest

from lap_app.drugs.normalize import fold


def names(results) -> list[str]:
    return [r.name for r in results]


def test_brand_prefixes_doli_1000(drug_db):
    results = drug_db.search("doli 1000")
    assert results[0].name == "DOLIPRANE 1000 mg, comprimé"
    assert all(fold(r.name).startswith("DOLIPRANE") and "1000" in r.name for r in results[:7])
    assert all(fold(r.name).startswith("DOLI") for r in results)


def test_substance_with_strength_in_grams_finds_generics_and_brands(drug_db):
    results = drug_db.search("paracetamol 1 g", limit=100)
    assert results, "nothing found"
    assert all(any(fold(s.name) == "PARACETAMOL" for s in r.substances) for r in results)
    assert all(any(s.strength in ("1 g", "1000 mg") for s in r.substances) for r in results[:20])
    found = names(results)
    assert any(n.startswith("PARACETAMOL ") for n in found[:5])  # names starting with the word first
    assert "DOLIPRANE 1000 mg, comprimé" in found  # a brand found through its substance


def test_short_prefix_amox_finds_amoxicillin_names_first_then_brands(drug_db):
    results = drug_db.search("amox", limit=200)
    assert all(any(fold(s.name).startswith("AMOX") for s in r.substances) or "AMOX" in fold(r.name)
               for r in results)
    assert fold(results[0].name).startswith("AMOX")
    assert any(r.name.startswith("CLAMOXYL") for r in results)


def test_levothyrox_100_first(drug_db):
    assert drug_db.search("levothyrox 100")[0].name == "LEVOTHYROX 100 microgrammes, comprimé sécable"


@pytest.mark.parametrize("query", ["PARACÉTAMOL", "paracétamol", "Paracetamol", "PARACETAMOL"])
def test_accents_and_case_do_not_matter(drug_db, query: str):
    assert [r.cis for r in drug_db.search(query)] == [r.cis for r in drug_db.search("paracetamol")]


def test_by_cis_and_by_scanned_cip13(drug_db):
    assert names(drug_db.search("60234100")) == ["DOLIPRANE 1000 mg, comprimé"]
    assert names(drug_db.search("3400935955838")) == ["DOLIPRANE 1000 mg, comprimé"]
    assert drug_db.by_cip13("3400935955838").cis == "60234100"
    assert drug_db.by_cip13("3595583").cis == "60234100"  # the older CIP7 printed on some boxes
    assert drug_db.by_cip13("3400000000000") is None
    assert drug_db.get("60234100").name == "DOLIPRANE 1000 mg, comprimé"
    assert drug_db.get("00000000") is None


def test_code_prefix_while_typing(drug_db):
    assert all(r.cis.startswith("602341") or any(p.cip13.startswith("602341") for p in r.presentations)
               for r in drug_db.search("602341"))
    assert "60234100" in [r.cis for r in drug_db.search("602341", limit=200)]


def test_marketed_first_and_exact_brand_first(drug_db):
    results = drug_db.search("levothyroxine", limit=80)
    flags = [r.marketed for r in results]
    assert True in flags and False in flags
    assert flags == sorted(flags, reverse=True)  # marketed ones first
    assert names(drug_db.search("zocor"))[0].startswith("ZOCOR")


def test_no_match_and_empty_query(drug_db):
    assert drug_db.search("zzzqqqxx") == []
    assert drug_db.search("   ") == []
    assert drug_db.search('"*^(') == []  # FTS syntax characters are not an error


def test_result_carries_presentations_with_price_and_rate(drug_db):
    doliprane = drug_db.get("60234100")
    assert doliprane.form == "comprimé" and doliprane.routes == ("orale",) and doliprane.marketed
    pack = next(p for p in doliprane.presentations if p.cip13 == "3400935955838")
    assert (pack.price, pack.reimbursement_rate) == (1.16, 65)
    assert "8 comprimé(s)" in pack.label
    expensive = drug_db.by_cip13("3400930144213")  # price "4,755,52" in the file
    assert next(p for p in expensive.presentations if p.cip13 == "3400930144213").price == 4755.52


def test_dci_wording_uses_the_therapeutic_fraction(drug_db):
    assert drug_db.get("60234100").dci == "PARACÉTAMOL 1000 mg, comprimé"
    metformin = drug_db.search("glucophage 1000")[0]
    assert metformin.dci.startswith("METFORMINE") and "CHLORHYDRATE" not in metformin.dci
    metformin_sa = [s for s in metformin.substances if "METFORMINE" in s.name]
    assert metformin_sa[0].salt and "CHLORHYDRATE" in metformin_sa[0].salt  # the salt is kept aside
    amoxicillin = drug_db.search("clamoxyl 500 mg gelule")[0]
    assert amoxicillin.dci == "AMOXICILLINE 500 mg, gélule"
    assert drug_db.search("josacine 250")[0].dci == "JOSAMYCINE 250 mg/5 ml, granulés pour suspension buvable"
    clavulanate = drug_db.search("augmentin 1 g/125 mg")[0]  # "CLAVULANIQUE (ACIDE)" in the file
    assert "+ ACIDE CLAVULANIQUE 125 mg" in clavulanate.dci


def test_generic_groups(drug_db):
    zocor = drug_db.get("67037301")
    assert zocor.generic.role == "princeps" and zocor.generic.group_id == 102
    generic = drug_db.search("simvastatine biogaran 20")[0]
    assert generic.generic.group_id == 102 and generic.generic.role == "générique"


def test_prescribing_conditions_and_special_prescription_flag(drug_db):
    zocor = drug_db.get("67037301")
    assert [c.kind for c in zocor.prescribing_conditions] == ["LISTE_I"]
    assert not zocor.needs_special_prescription
    skenan = drug_db.search("skenan 10")[0]
    assert any(c.kind == "STUPEFIANT" for c in skenan.prescribing_conditions)
    assert skenan.needs_special_prescription
    assert any("sécurisée" in note for note in skenan.special_prescription_notes)


def test_availability_alert_is_shown(drug_db):
    assert drug_db.get("65504674").availability_alert == "Alerte"
