"""The ANSM interaction thesaurus and the mapping of BDPM substance names onto it.

The thesaurus names substances ("simvastatine") and classes ("INHIBITEURS PUISSANTS DU
CYP3A4"); ``substances.json`` says which classes each substance belongs to. BDPM names carry
salts, hydrates and counter-ions ("CHLORHYDRATE DE METFORMINE", "ATORVASTATINE CALCIQUE
TRIHYDRATÉE"): ``substance_candidates`` peels them off, in order, until a thesaurus name is met.
"""

from __future__ import annotations

import json
import re
import sqlite3
from functools import lru_cache
from typing import Iterable, Iterator

from lap_app.drugs.normalize import fold, fold_words

LEVEL_ORDER = ("CI", "AD", "PE", "APEC")  # most severe first


def level_code(label: str) -> str | None:
    folded = fold(label)
    if folded.startswith("CONTRE-INDICATION"):
        return "CI"
    if folded.startswith("ASSOCIATION DECONSEILLEE"):
        return "AD"
    if folded.startswith("PRECAUTION D'EMPLOI"):
        return "PE"
    if "PRENDRE EN COMPTE" in folded:
        return "APEC"
    return None


_LIST_ITEM = re.compile(r"\n\s*(?=[-•])")
_WRAP = re.compile(r"\s*\n\s*")


def clean_text(text: str) -> str:
    """Undo the PDF line wrapping of the thesaurus; keep list items on their own line."""
    text = _LIST_ITEM.sub("\u2028", (text or "").strip())
    text = _WRAP.sub(" ", text)
    return re.sub(r"[ \t]+", " ", text).replace("\u2028", "\n")


def load_thesaurus(conn: sqlite3.Connection, thesaurus: list[dict], substances: list[dict]) -> int:
    """Fill ``ansm_interaction`` and ``ansm_substance``; return the number of interactions."""
    conn.execute("DELETE FROM ansm_interaction")
    conn.execute("DELETE FROM ansm_substance")
    rows = []
    for entry in thesaurus:
        levels = []
        for level in entry.get("severity_levels") or []:
            code = level_code(level.get("level", ""))
            if code:
                levels.append({"level": code, "conduct": clean_text(level.get("info") or "")})
        if not levels:
            continue
        levels.sort(key=lambda item: LEVEL_ORDER.index(item["level"]))
        rows.append((
            fold(entry["main_drug"]), fold(entry["plus_drug"]),
            entry["main_drug"].strip(), entry["plus_drug"].strip(), levels[0]["level"],
            json.dumps(levels, ensure_ascii=False), clean_text(entry.get("interaction_mechanism") or ""),
        ))
    conn.executemany(
        "INSERT INTO ansm_interaction(key_a, key_b, label_a, label_b, level, levels_json, mechanism)"
        " VALUES (?,?,?,?,?,?,?)", rows)
    members = []
    for item in substances:
        key = fold(item["substance"])
        classes = item.get("drug_classes") or [None]
        members += [(key, item["substance"], fold(c) if c else None) for c in classes]
    conn.executemany("INSERT INTO ansm_substance(substance_key, label, class_key) VALUES (?,?,?)", members)
    return len(rows)


# Words that name a salt, hydrate, ester or physical form rather than the active moiety.
_SALT_SUFFIX_WORDS = frozenset("""
SODIQUE DISODIQUE TRISODIQUE MONOSODIQUE POTASSIQUE DIPOTASSIQUE MONOPOTASSIQUE CALCIQUE
MAGNESIQUE LITHIQUE ZINCIQUE BASE ANHYDRE HYDRATE HYDRATEE MONOHYDRATE MONOHYDRATEE DIHYDRATE
DIHYDRATEE TRIHYDRATE TRIHYDRATEE TETRAHYDRATE TETRAHYDRATEE PENTAHYDRATE PENTAHYDRATEE
HEXAHYDRATE HEPTAHYDRATE HEMIHYDRATE HEMIHYDRATEE SESQUIHYDRATE HEMIPENTAHYDRATE
HEMIPENTAHYDRATEE ARGININE ERBUMINE TERT-BUTYLAMINE TERTBUTYLAMINE MICRONISE MICRONISEE
AMORPHE CRISTALLISE CRISTALLISEE RACEMIQUE ELEMENT ACIDE MEDOXOMIL PROXETIL AXETIL OLAMINE
ETEXILATE POLACRILEX TROMETAMOL CHLORHYDRATE DICHLORHYDRATE BROMHYDRATE MESILATE MALEATE
FUMARATE TARTRATE SUCCINATE BESILATE CITRATE SULFATE ACETATE PHOSPHATE NITRATE LACTATE
OXALATE ETHANOLATE SOLVATE MAGNESIUM SODIUM POTASSIUM CALCIUM L DL
""".split())
# "CHLORHYDRATE DE X", "PHOSPHATE SODIQUE DE X", "TERT-BUTYLAMINE DE X", "ACÉTONIDE DE X"
_SALT_PREFIX = re.compile(
    r"^\S+(?:ATE|URE|IDE|YDE|AMINE)(?:\s+(?:SODIQUE|DISODIQUE|ACIDE|MONOHYDRATE|DIHYDRATE|"
    r"TRIHYDRATE|HEMIHYDRATE))?\s+(?:DE\s+|D')(.+)$")
# "RANITIDINE (CHLORHYDRATE DE)", "HYDROCORTISONE (HÉMISUCCINATE SODIQUE D')"
_PAREN_SALT = re.compile(r"^(.+?)\s*\((?:[^()]*)\)(?:\s+\S+)?$")
_FORM_PREFIX = re.compile(r"^(?:CONCENTRAT|SOLUTION|SUSPENSION|EXTRAIT|POUDRE|TEINTURE|COMPLEXE(?: SODIQUE)?)"
                          r"\s+(?:DE\s+|D')?(.+)$")
_FORM_SUFFIX = re.compile(r"^(.+?)\s*,.*$")
_COUNTER_ION = re.compile(r"^(.+?)\s+(?:DE|D')\s*(?:SODIUM|POTASSIUM|CALCIUM|MAGNESIUM|DIETHYLAMINE|"
                          r"DIETHYLAMMONIUM|LYSINE|DL-LYSINE|ARGININE|TROMETAMOL|MEGLUMINE|EPOLAMINE|"
                          r"BENZATHINE|PROCAINE|ZINC|ALUMINIUM|DISODIUM)$")
# "CHLORURE DE SODIUM" and "BICARBONATE DE SODIUM" are not the same substance
_COUNTER_IONS = frozenset("SODIUM POTASSIUM CALCIUM MAGNESIUM LYSINE AZOTE ZINC ALUMINIUM".split())
_IRON_SALT = re.compile(r"\b(?:FERREUX|FERRIQUE|FERREUSE)\b")
_HOMEOPATHIC = re.compile(r"HOMEOPATHIQUE")

# BDPM and ANSM sometimes spell the same substance differently (checked on the 2021-05 data).
SYNONYMS: dict[str, str] = {
    "COLECALCIFEROL": "CHOLECALCIFEROL",
    "VITAMINE D3": "CHOLECALCIFEROL",
    "ERGOCALCIFEROL": "VITAMINE D",
    "VITAMINE D2": "VITAMINE D",
    "RETINOL": "VITAMINE A",
    "ACETYLSALICYLATE": "ACIDE ACETYLSALICYLIQUE",
    "CARBASALATE": "ACIDE ACETYLSALICYLIQUE",
    "VALPROATE": "ACIDE VALPROIQUE",
    "DIVALPROATE": "ACIDE VALPROIQUE",
    "LEVOTHYROXINE": "LEVOTHYROXINE",
    "LIOTHYRONINE": "LIOTHYRONINE",
}


def _strip_suffix_words(name: str) -> str:
    words = name.split(" ")
    # never strip "SODIUM" from "CHLORURE DE SODIUM": a counter-ion after DE is the substance
    while len(words) > 1 and words[-1] in _SALT_SUFFIX_WORDS and words[-2] not in ("DE", "D'"):
        words.pop()
    return " ".join(words)


_TRAILING_ACID = re.compile(r"^(.+?) \(ACIDE\)$")
_ISOMER_PREFIX = re.compile(r"^(?:L|D|DL)-(.+)$")


def _reductions(current: str) -> Iterator[tuple[str, str]]:
    acid = _TRAILING_ACID.match(current)
    if acid:  # "ACÉTYLSALICYLIQUE (ACIDE)" is how the BDPM writes "ACIDE ACÉTYLSALICYLIQUE"
        yield f"ACIDE {acid.group(1)}", "orthographe"
    isomer = _ISOMER_PREFIX.match(current)
    if isomer:
        yield isomer.group(1), "orthographe"
    if current in SYNONYMS:
        yield SYNONYMS[current], "synonyme"
    if _IRON_SALT.search(current):
        yield "FER", "synonyme"
    words = fold_words(current)
    if words != current:
        yield words, "orthographe"
    for pattern, rule in ((_PAREN_SALT, "sel"), (_SALT_PREFIX, "sel"), (_FORM_PREFIX, "forme"),
                          (_FORM_SUFFIX, "forme"), (_COUNTER_ION, "sel")):
        match = pattern.match(current)
        if match:
            yield match.group(1).strip(), rule
    stripped = _strip_suffix_words(current)
    if stripped != current:
        yield stripped, "sel"


def substance_candidates(bdpm_name: str) -> Iterator[tuple[str, str]]:
    """Names to look up in the thesaurus, each with the rule that produced it, best first."""
    name = fold(bdpm_name)
    if _HOMEOPATHIC.search(name):  # a dilution is not the substance: never map it
        return
    seen: set[str] = set()
    queue: list[tuple[str, str]] = [(name, "exact")]
    while queue:
        current, method = queue.pop(0)
        if not current or current in seen:
            continue
        seen.add(current)
        yield current, method
        for reduced, rule in _reductions(current):
            queue.append((reduced, rule if method == "exact" else method))


def map_substance(bdpm_name: str, substance_keys: set[str]) -> tuple[str | None, str]:
    """The thesaurus substance a BDPM substance name stands for, and the rule that found it."""
    candidates = list(substance_candidates(bdpm_name))
    for candidate, method in candidates:
        if candidate in substance_keys:
            return candidate, method
    # last resort: a leading part that is a thesaurus substance ("INSULINE GLULISINE" → INSULINE)
    for candidate, _method in candidates:
        words = candidate.split(" ")
        for end in range(len(words) - 1, 0, -1):
            head = " ".join(words[:end])
            if head in substance_keys and head not in ("ACIDE", "SODIUM", "DE"):
                return head, "préfixe"
    return None, "non trouvée"


@lru_cache(maxsize=20_000)
def canonical_substance(bdpm_name: str) -> str:
    """The active moiety's folded name without salt: the key for redundancy and allergy."""
    current = fold(bdpm_name)
    for _step in range(8):  # greedy: keep reducing while a rule applies
        reduced = next((r for r, rule in _reductions(current) if rule != "orthographe" and r), None)
        if reduced is None or reduced == current or reduced in _COUNTER_IONS:
            break
        current = reduced
    return current


def combination_keys(thesaurus_keys: Iterable[str]) -> dict[str, frozenset[str]]:
    """Thesaurus entries naming a fixed combination ("GLECAPREVIR + PIBRENTASVIR") → their parts."""
    return {key: frozenset(p.strip() for p in key.split("+")) for key in thesaurus_keys if "+" in key}
