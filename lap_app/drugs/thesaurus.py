"""The ANSM interaction thesaurus and the mapping of BDPM substance names onto it.

The thesaurus names substances ("simvastatine") and classes ("INHIBITEURS PUISSANTS DU
CYP3A4"); ``substances.json`` says which classes each substance belongs to. BDPM names carry
salts, hydrates and counter-ions ("CHLORHYDRATE DE METFORMINE", "ATORVASTATINE CALCIQUE
TRIHYDRATÉE"): ``substance_candidates`` peels them off, in order, until a thesaurus name is met.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from functools import lru_cache

from lap_app.drugs.normalize import fold, fold_words
from lap_app.drugs.writes import Writes

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


_BLANKS = re.compile(r"[ \t]+")


@lru_cache(maxsize=4096)  # thousands of entries share a few hundred mechanisms and conducts
def clean_text(text: str) -> str:
    """Undo the PDF line wrapping of the thesaurus; keep list items on their own line."""
    text = _LIST_ITEM.sub("\u2028", (text or "").strip())
    text = _WRAP.sub(" ", text)
    return _BLANKS.sub(" ", text).replace("\u2028", "\n")


_LEVELS_JSON = json.JSONEncoder(ensure_ascii=False).encode  # json.dumps(…, ensure_ascii=False), made once
ThesaurusRows = tuple[list[tuple], list[tuple[str, str, str | None]]]  # ansm_interaction, ansm_substance


def thesaurus_rows(thesaurus: list[dict], substances: list[dict]) -> ThesaurusRows:
    """The rows of ``ansm_interaction`` and of ``ansm_substance``, from the thesaurus's two files."""
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
            thesaurus_key(entry["main_drug"]), thesaurus_key(entry["plus_drug"]),
            entry["main_drug"].strip(), entry["plus_drug"].strip(), levels[0]["level"],
            _LEVELS_JSON(levels), clean_text(entry.get("interaction_mechanism") or ""),
        ))
    members: list[tuple[str, str, str | None]] = []
    for item in substances:
        key = thesaurus_key(item["substance"])
        classes = item.get("drug_classes") or [None]
        members += [(key, item["substance"], thesaurus_key(c) if c else None) for c in classes]
    members += _members_listed_in_entries(thesaurus, {m[0] for m in members}, {m[2] for m in members})
    return rows, members


def load_thesaurus(conn: Writes, rows: ThesaurusRows) -> None:
    """Fill ``ansm_interaction`` and ``ansm_substance`` with ``thesaurus_rows``."""
    interactions, members = rows
    conn.execute("DELETE FROM ansm_interaction")
    conn.execute("DELETE FROM ansm_substance")
    conn.insert_many(
        "INSERT INTO ansm_interaction(key_a, key_b, label_a, label_b, level, levels_json, mechanism)"
        " VALUES (?,?,?,?,?,?,?)", interactions)
    conn.insert_many("INSERT INTO ansm_substance(substance_key, label, class_key) VALUES (?,?,?)", members)


_MEMBER_LIST = re.compile(r"^\s*\((.+)\)\s*$", re.S)


def _members_listed_in_entries(thesaurus: list[dict], substance_keys: set[str],
                               class_keys: set[str | None]) -> list[tuple[str, str, str]]:
    """Class members that an entry lists ("ANTICORPS MONOCLONAUX …" "(…, ATÉZOLIZUMAB, …)")
    but substances.json omits (2020-10: atézolizumab)."""
    extra: dict[tuple[str, str], str] = {}
    for entry in thesaurus:
        class_key = thesaurus_key(entry["main_drug"])
        listed = _MEMBER_LIST.match(entry.get("between_main_and_plus_drug") or "")
        if class_key not in class_keys or not listed:
            continue
        for name in listed.group(1).replace("\n", " ").split(","):
            key = thesaurus_key(name.strip())
            if key and key not in substance_keys and " " not in key.strip("-"):  # single names only
                extra[(key, class_key)] = name.strip().lower()
    return [(key, label, class_key) for (key, class_key), label in extra.items()]


# Words that name a salt, hydrate, ester or physical form rather than the active moiety.
_SALT_SUFFIX_WORDS = frozenset(["SODIQUE", "DISODIQUE", "TRISODIQUE", "MONOSODIQUE", "POTASSIQUE", "DIPOTASSIQUE", "MONOPOTASSIQUE", "CALCIQUE", "MAGNESIQUE", "LITHIQUE", "ZINCIQUE", "BASE", "ANHYDRE", "HYDRATE", "HYDRATEE", "MONOHYDRATE", "MONOHYDRATEE", "DIHYDRATE", "DIHYDRATEE", "TRIHYDRATE", "TRIHYDRATEE", "TETRAHYDRATE", "TETRAHYDRATEE", "PENTAHYDRATE", "PENTAHYDRATEE", "HEXAHYDRATE", "HEPTAHYDRATE", "HEMIHYDRATE", "HEMIHYDRATEE", "SESQUIHYDRATE", "HEMIPENTAHYDRATE", "HEMIPENTAHYDRATEE", "ARGININE", "ERBUMINE", "TERT-BUTYLAMINE", "TERTBUTYLAMINE", "MICRONISE", "MICRONISEE", "AMORPHE", "CRISTALLISE", "CRISTALLISEE", "RACEMIQUE", "ELEMENT", "ACIDE", "MEDOXOMIL", "PROXETIL", "AXETIL", "OLAMINE", "ETEXILATE", "POLACRILEX", "TROMETAMOL", "CHLORHYDRATE", "DICHLORHYDRATE", "BROMHYDRATE", "MESILATE", "MALEATE", "FUMARATE", "TARTRATE", "SUCCINATE", "BESILATE", "CITRATE", "SULFATE", "ACETATE", "PHOSPHATE", "NITRATE", "LACTATE", "OXALATE", "ETHANOLATE", "SOLVATE", "MAGNESIUM", "SODIUM", "POTASSIUM", "CALCIUM", "L", "DL"])
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
_COUNTER_IONS = frozenset(["SODIUM", "POTASSIUM", "CALCIUM", "MAGNESIUM", "LYSINE", "AZOTE", "ZINC", "ALUMINIUM"])
_IRON_SALT = re.compile(r"\b(?:FERREUX|FERRIQUE|FERREUSE)\b")
_HOMEOPATHIC = re.compile(r"HOMEOPATHIQUE")

# BDPM and ANSM sometimes name the same substance differently (checked on the 2021-05 data
# against substances.json and the thesaurus entries). Only true synonyms, each with its reason.
SYNONYMS: dict[str, str] = {
    "COLECALCIFEROL": "CHOLECALCIFEROL",      # INN spelling vs ANSM spelling, vitamin D3
    "VITAMINE D3": "CHOLECALCIFEROL",         # vitamin D3 is cholecalciferol
    "ERGOCALCIFEROL": "VITAMINE D",           # vitamin D2: ANSM lists it under "vitamine D"
    "VITAMINE D2": "VITAMINE D",
    "RETINOL": "VITAMINE A",                  # retinol is vitamin A
    "ACETYLSALICYLATE": "ACIDE ACETYLSALICYLIQUE",  # salt of the acid (also the -ATE rule)
    "CARBASALATE": "ACIDE ACETYLSALICYLIQUE",  # carbasalate calcique releases aspirin
    "VALPROATE": "ACIDE VALPROIQUE",
    "DIVALPROATE": "ACIDE VALPROIQUE",        # divalproate = valproic acid + valproate
    "TOXINE BOTULINIQUE": "BOTULIQUE (TOXINE)",  # ANSM writes "toxine botulique" (types A and B)
    "VIRUS DE LA RUBEOLE": "VIRUS RUBEOLEUX",    # the live attenuated rubella virus
    "VIRUS DE LA VARICELLE": "VIRUS VARICELLE-ZONA",  # varicella vaccine virus (souche OKA)
    "PENICILLINE V": "PHENOXYMETHYLPENICILLINE",  # common name of phenoxymethylpenicillin
    "ALTEPLASE": "ALTEPLASE RECOMBINANTE",    # ANSM keeps the production qualifier
    "ACIDE LEVOFOLINIQUE": "ACIDE FOLINIQUE",  # levofolinate is the active L-isomer of folinate
    "HYDROXYDE D'ALUMINIUM": "OXYDE D'ALUMINIUM",  # the BDPM also writes it "ALUMINIUM (OXYDE D') HYDRATÉ";
                                                     # member of the class ALUMINIUM (SELS)
    "IMMUNOGLOBULINE DE LAPIN ANTI-THYMOCYTES HUMAINS":
        "IMMUNOGLOBULINE DE LAPIN ANTI-LYMPHOCYTE T HUMAIN",  # the same rabbit ATG
}

# Metals that the thesaurus lists as substances. In "GLUCONATE DE CALCIUM" the metal is the
# active moiety; in "CLAVULANATE DE POTASSIUM" or "LÉVOFOLINATE DE CALCIUM" it is a mere
# counter-ion, and mapping it would raise false potassium/calcium alerts.
_METALS = frozenset(["SODIUM", "POTASSIUM", "CALCIUM", "MAGNESIUM", "ZINC", "ALUMINIUM"])
# Anions that only carry a metal (mineral supplements, antacids, electrolytes).
_MINERAL_ANIONS = frozenset(["CHLORURE", "CARBONATE", "BICARBONATE", "HYDROGENOCARBONATE", "OXYDE", "PEROXYDE", "HYDROXYDE", "SULFATE", "PHOSPHATE", "HYDROGENOPHOSPHATE", "DIHYDROGENOPHOSPHATE", "GLYCEROPHOSPHATE", "GLUCONATE", "GLUCOHEPTONATE", "LACTATE", "LACTOGLUCONATE", "BROMOGALACTOGLUCONATE", "ACETATE", "CITRATE", "ASPARTATE", "PIDOLATE", "THIOSULFATE", "TRISILICATE", "SILICATE", "TARTRATE"])
_ANION_WORD = re.compile(r"(?:ATE|URE|IDE|ITE)$")


def metal_is_moiety(bdpm_name: str) -> bool:
    """True unless the name holds an active anion ("CLAVULANATE DE POTASSIUM")."""
    for word in fold_words(bdpm_name).split(" "):
        if _ANION_WORD.search(word) and word not in _MINERAL_ANIONS and word not in _SALT_SUFFIX_WORDS:
            return False
    return True


def _strip_suffix_words(name: str) -> str:
    words = name.split(" ")
    # never strip "SODIUM" from "CHLORURE DE SODIUM": a counter-ion after DE is the substance
    while len(words) > 1 and words[-1] in _SALT_SUFFIX_WORDS and words[-2] not in ("DE", "D'"):
        words.pop()
    return " ".join(words)


_TRAILING_ACID = re.compile(r"^(.+?) \(ACIDE\)$")
# stereo descriptors: "L-TRYPTOPHANE", "BÊTA-ESTRADIOL", "17BÊTA-ESTRADIOL", "(S)-LACTATE"
_ISOMER_PREFIX = re.compile(r"^(?:L|D|DL|\([RS]+\)|ALPHA|BETA|17 ?BETA|17-BETA)-(.+)$")
_ISOMER_WORD = re.compile(r" (?:L|D|DL) ")  # "ACIDE L FOLINIQUE"
# "SODIUM (CHLORURE DE)" ↔ "CHLORURE DE SODIUM": the thesaurus uses both orders
_INVERTED = re.compile(r"^([^()]+?) \(([^()]+?) (DE|D')\)(?: [^()]+)?$")
_DE_PHRASE = re.compile(r"^(\S+) (?:DE |D')(\S+)$")
# "X SODIQUE" / "X POTASSIQUE" of a mineral anion: "CITRATE TRISODIQUE" is sodium citrate
_METAL_ADJECTIVE = re.compile(r"^(\S+) (?:MONO|DI|TRI)?(SODIQUE|POTASSIQUE|CALCIQUE|MAGNESIQUE)(?: .+)?$")
_METAL_OF_ADJECTIVE = {"SODIQUE": "SODIUM", "POTASSIQUE": "POTASSIUM", "CALCIQUE": "CALCIUM",
                       "MAGNESIQUE": "MAGNESIUM"}
# salt → acid: "RISÉDRONATE" → "ACIDE RISÉDRONIQUE", "FUSIDATE" → "ACIDE FUSIDIQUE"
_ATE_ANION = re.compile(r"^([A-Z]{4,})ATE$")
# herbal preparations: "EXTRAIT SEC DE LA SOMMITÉ FLEURIE DE MILLEPERTUIS" → MILLEPERTUIS
_HERBAL = re.compile(r"^(?:EXTRAIT|HUILE ESSENTIELLE|TEINTURE|ESSENCE)\b.* (?:DE |D')(?:LA |L')?([^ ]+(?: [^ ]+)?)$")
_LEADING_COUNTER_ION = re.compile(r"^(?:BENZATHINE|PROCAINE) (.+)$")  # "BENZATHINE BENZYLPÉNICILLINE"


_FORM_WORDS = ("CONCENTRAT", "SOLUTION", "SUSPENSION", "EXTRAIT", "POUDRE", "TEINTURE", "COMPLEXE")
_HERBAL_WORDS = ("EXTRAIT", "HUILE ESSENTIELLE", "TEINTURE", "ESSENCE")


def _reductions(current: str) -> Iterator[tuple[str, str]]:
    # Each pattern is tried only when the text holds what it cannot match without (the same
    # reductions: a name goes through a dozen patterns, most of which cannot apply).
    if current.endswith(" (ACIDE)"):
        acid = _TRAILING_ACID.match(current)
        if acid:  # "ACÉTYLSALICYLIQUE (ACIDE)" is how the BDPM writes "ACIDE ACÉTYLSALICYLIQUE"
            yield f"ACIDE {acid.group(1)}", "orthographe"
    has_de = "DE" in current or "D'" in current
    if has_de and " (" in current:
        inverted = _INVERTED.match(current)
        if inverted:
            head, salt, link = inverted.groups()
            yield (f"{salt} D'{head}" if link == "D'" else f"{salt} DE {head}"), "orthographe"
    if " DE " in current or " D'" in current:
        phrase = _DE_PHRASE.match(current)
        if phrase:
            yield f"{phrase.group(2)} ({phrase.group(1)} DE)", "orthographe"
    if "IQUE" in current:
        adjective = _METAL_ADJECTIVE.match(current)
        if adjective and adjective.group(1) in _MINERAL_ANIONS:
            yield f"{_METAL_OF_ADJECTIVE[adjective.group(2)]} ({adjective.group(1)} DE)", "sel"
    if "-" in current:
        isomer = _ISOMER_PREFIX.match(current)
        if isomer:
            yield isomer.group(1), "orthographe"
    if (" L " in current or " D " in current or " DL " in current) and _ISOMER_WORD.search(current):
        yield _ISOMER_WORD.sub(" ", current), "orthographe"
    if current in SYNONYMS:
        yield SYNONYMS[current], "synonyme"
    if "FERR" in current and _IRON_SALT.search(current):
        yield "FER", "synonyme"
    if current.endswith("ATE"):
        anion = _ATE_ANION.match(current)
        if anion and current not in _MINERAL_ANIONS and current not in _SALT_SUFFIX_WORDS:
            yield f"ACIDE {anion.group(1)}IQUE", "sel"
    words = fold_words(current)
    if words != current:
        yield words, "orthographe"
    for pattern, rule, applies in ((_PAREN_SALT, "sel", "(" in current), (_SALT_PREFIX, "sel", has_de),
                                   (_FORM_PREFIX, "forme", current.startswith(_FORM_WORDS)),
                                   (_FORM_SUFFIX, "forme", "," in current), (_COUNTER_ION, "sel", has_de),
                                   (_HERBAL, "forme", current.startswith(_HERBAL_WORDS)),
                                   (_LEADING_COUNTER_ION, "sel", current.startswith(("BENZATHINE ", "PROCAINE ")))):
        match = pattern.match(current) if applies else None
        if match:
            yield match.group(1).strip(), rule
    stripped = _strip_suffix_words(current)
    if stripped != current:
        yield stripped, "sel"


@lru_cache(maxsize=32_768)  # the names of a release share their salts' and moieties' reductions
def _reduced(current: str) -> tuple[tuple[str, str], ...]:
    """``_reductions`` of a name, worked out once."""
    return tuple(_reductions(current))


@lru_cache(maxsize=16_384)  # each entry names two of the same few thousand substances and classes
def thesaurus_key(text: str) -> str:
    """The comparison key of a thesaurus name: folded, no space inside parentheses
    ("DIMETHYLE ( FUMARATE DE)" → "DIMETHYLE (FUMARATE DE)") nor after a hyphen broken at a
    PDF line end ("BÊTA- BLOQUANTS" in substances.json, "BÊTA-BLOQUANTS" in the entries)."""
    key = _PAREN_SPACES.sub(lambda m: m.group(0).replace(" ", ""), fold(text))
    return _BROKEN_HYPHEN.sub("-", key)


_PAREN_SPACES = re.compile(r"\(\s+|\s+\)")
_BROKEN_HYPHEN = re.compile(r"(?<=[A-Z])- (?=[A-Z])")


def substance_candidates(bdpm_name: str) -> Iterator[tuple[str, str]]:
    """Names to look up in the thesaurus, each with the rule that produced it, best first."""
    name = thesaurus_key(bdpm_name)
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
        for reduced, rule in _reduced(current):
            queue.append((reduced, rule if method == "exact" else method))


def spelling_key(name: str) -> str:
    """INN spelling variants folded together: PH/F, TH/T, Y/I, DÉSOXY/DÉOXY, a final E, hyphens
    ("THIOGUANINE" ↔ "TIOGUANINE", "BUPROPIONE" ↔ "BUPROPION", "TÉDIZOLID" ↔ "TÉDIZOLIDE")."""
    text = name.replace("DESOXY", "DEOXY").replace("PH", "F").replace("TH", "T").replace("Y", "I")
    return re.sub(r"E\b", "", text).replace("-", "")  # "PEGINTERFÉRON" ↔ "PEG-INTERFERON"


class SubstanceIndex:
    """The thesaurus substance names, with a spelling-variant index of the unambiguous ones."""

    def __init__(self, keys: Iterable[str]) -> None:
        self.keys = set(keys)
        by_spelling: dict[str, set[str]] = {}
        for key in self.keys:
            by_spelling.setdefault(spelling_key(key), set()).add(key)
        # a spelling shared by two thesaurus names is ambiguous: never guess between them
        self.by_spelling = {s: next(iter(k)) for s, k in by_spelling.items() if len(k) == 1}

    def __contains__(self, key: object) -> bool:
        return key in self.keys


def _index(substance_keys: set[str] | SubstanceIndex) -> SubstanceIndex:
    return substance_keys if isinstance(substance_keys, SubstanceIndex) else SubstanceIndex(substance_keys)


def _acceptable(bdpm_name: str, key: str) -> bool:
    return key not in _METALS or metal_is_moiety(bdpm_name)


def map_substance_keys(bdpm_name: str, substance_keys: set[str] | SubstanceIndex) -> tuple[list[str], str]:
    """Every thesaurus substance a BDPM name stands for, best first, and the rule of the first.

    Usually one; a salt the thesaurus lists on its own and whose metal it also lists
    ("CITRATE DE POTASSIUM" → POTASSIUM (CITRATE DE) and POTASSIUM) carries both.
    """
    index = _index(substance_keys)
    candidates = list(substance_candidates(bdpm_name))
    found: list[str] = []
    method = "non trouvée"
    for candidate, rule in candidates:
        if candidate in index.keys and candidate not in found and _acceptable(bdpm_name, candidate):
            found.append(candidate)
            method = method if len(found) > 1 else rule
    if found:
        return found, method
    for candidate, _rule in candidates:
        key = index.by_spelling.get(spelling_key(candidate))
        if key and len(candidate) >= 6 and _acceptable(bdpm_name, key):
            return [key], "orthographe"
    # last resort: a leading part that is a thesaurus substance ("INSULINE GLULISINE" → INSULINE)
    for candidate, _method in candidates:
        words = candidate.split(" ")
        for end in range(len(words) - 1, 0, -1):
            head = " ".join(words[:end])
            head = SYNONYMS.get(head, head)  # "TOXINE BOTULINIQUE TYPE A" → BOTULIQUE (TOXINE)
            if head in index.keys and head not in ("ACIDE", "SODIUM", "DE") and _acceptable(bdpm_name, head):
                return [head], "préfixe"
    return [], "non trouvée"


def map_substance(bdpm_name: str, substance_keys: set[str] | SubstanceIndex) -> tuple[str | None, str]:
    """The thesaurus substance a BDPM substance name stands for, and the rule that found it."""
    keys, method = map_substance_keys(bdpm_name, substance_keys)
    return (keys[0] if keys else None), method


@lru_cache(maxsize=20_000)
def canonical_substance(bdpm_name: str) -> str:
    """The active moiety's folded name without salt: the key for redundancy and allergy."""
    current = fold(bdpm_name)
    for _step in range(8):  # greedy: keep reducing while a rule applies
        reduced = next((r for r, rule in _reduced(current) if rule != "orthographe" and r), None)
        if reduced is None or reduced == current or reduced in _COUNTER_IONS:
            break
        current = reduced
    return current


def combination_keys(thesaurus_keys: Iterable[str]) -> dict[str, frozenset[str]]:
    """Thesaurus entries naming a fixed combination ("GLECAPREVIR + PIBRENTASVIR") → their parts."""
    return {key: frozenset(p.strip() for p in key.split("+")) for key in thesaurus_keys if "+" in key}
