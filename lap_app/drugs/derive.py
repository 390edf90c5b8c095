"""Everything derived from the source tables: DCI wording, search order and index,
per-drug summaries, and the mapping of substances onto the ANSM thesaurus.

Runs inside the import transaction, after the source tables are filled, so that a
failure leaves the previous database untouched.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache

from lap_app.drugs.conditions import classify_condition
from lap_app.drugs.models import GenericInfo, PrescribingCondition, Presentation, Substance, pack_listing
from lap_app.drugs.normalize import fold, query_tokens, strength_synonyms, tidy_strength
from lap_app.drugs.schema import DERIVED_TABLES_SQL
from lap_app.drugs.thesaurus import SubstanceIndex, canonical_substance, combination_keys, map_substance_keys

GENERIC_ROLES = {0: "princeps", 1: "générique", 2: "complémentarité posologique", 4: "substituable"}
_DISPLAY_SUFFIXES = (" BASE", " ANHYDRE")


def run_script(conn: sqlite3.Connection, script: str) -> None:
    """Run statements one by one: ``executescript`` would commit the open transaction."""
    for statement in script.split(";"):
        if statement.strip():
            conn.execute(statement)


@dataclass(slots=True)
class DeriveStats:
    drugs: int
    marketed: int
    marketed_fully_mapped: int
    substances: int
    substances_mapped: int


_REFERENCE_QUANTITY = re.compile(r"^(\d+(?:,\d+)?)\s*(ml|mL|l|L|g|mg|µg|microgrammes?|cm²|dose|goutte)\b")
_TRAILING_ACID = re.compile(r"^(.+?) \(ACIDE\)$", re.IGNORECASE)


def display_substance(name: str) -> str:
    """How a substance reads in a DCI wording: "CLAVULANIQUE (ACIDE)" → "ACIDE CLAVULANIQUE"."""
    name = " ".join(name.split())
    acid = _TRAILING_ACID.match(name)
    if acid:
        name = f"ACIDE {acid.group(1)}"
    for suffix in _DISPLAY_SUFFIXES:
        if name.upper().endswith(suffix):
            name = name[: -len(suffix)]
    return name


def dci_wording(substances: list[Substance], form: str) -> str:
    """ "PARACÉTAMOL 1000 mg, comprimé"; "AMOXICILLINE 100 mg/1 ml + …, poudre pour …"."""
    parts = []
    for s in substances:
        text = display_substance(s.name)
        if s.strength:
            text += f" {s.strength}"
            ref = s.reference.strip()
            quantity = _REFERENCE_QUANTITY.match(ref)
            if quantity:  # "5 ml de suspension reconstituée" → "250 mg/5 ml"; "1 mL" → "5 mg/mL"
                number, unit = quantity.groups()
                text += f"/{unit}" if number == "1" else f"/{number} {unit}"
            elif ref and not ref.lower().startswith(("un ", "une ")):
                text += f" pour {ref}"
        parts.append(text)
    wording = " + ".join(parts)
    return f"{wording}, {form}" if wording and form else wording or form


def _substances_of(rows: list[tuple]) -> list[tuple[Substance, str | None]]:
    """One entry per active moiety: the FT row of a link when there is one, else its SA row.

    Returns (substance, sa_name) pairs; rows are (element, code, name, strength, ref, nature, link).
    """
    groups: dict[tuple[str, object], dict[str, tuple]] = {}
    order: list[tuple[str, object]] = []
    for index, (element, code, name, strength, ref, nature, link) in enumerate(rows):
        key = (element, link if link is not None else f"#{index}")
        if key not in groups:
            groups[key] = {}
            order.append(key)
        groups[key].setdefault(nature, (code, name, strength, ref))
    result: list[tuple[Substance, str | None]] = []
    seen: set[tuple[str, str]] = set()
    for key in order:
        group = groups[key]
        chosen = group.get("FT") or group.get("SA")
        if chosen is None:
            continue
        code, name, strength, ref = chosen
        sa_name = group["SA"][1] if "FT" in group and "SA" in group else None
        strength = tidy_strength(strength)
        if (fold(name), strength) in seen:  # same substance in another element of a kit
            continue
        seen.add((fold(name), strength))
        result.append((Substance(name=" ".join(name.split()), strength=strength, reference=ref,
                                 code=code, salt=sa_name), sa_name))
    return result


def _fields(value: object) -> dict:
    """A flat dataclass as a dict (``asdict`` deep-copies and is 5x slower on 15,000 drugs)."""
    return {name: getattr(value, name) for name in value.__dataclass_fields__}  # type: ignore[attr-defined]


@lru_cache(maxsize=1024)
def _condition(text: str) -> PrescribingCondition:
    return classify_condition(text)


def _load_grouped(conn: sqlite3.Connection, sql: str) -> dict[str, list[tuple]]:
    grouped: dict[str, list[tuple]] = defaultdict(list)
    for row in conn.execute(sql):
        grouped[row[0]].append(row[1:])
    return grouped


class _ThesaurusKeys:
    """The thesaurus as the derivation needs it: substance names, classes, fixed combinations."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.classes_of: dict[str, set[str]] = defaultdict(set)
        for key, class_key in conn.execute("SELECT substance_key, class_key FROM ansm_substance"):
            if class_key:
                self.classes_of[key].add(class_key)
        self.substance_keys = {k for (k,) in conn.execute("SELECT DISTINCT substance_key FROM ansm_substance")}
        class_keys = {c for cs in self.classes_of.values() for c in cs}
        # entries naming neither a listed substance nor a class (PAMPLEMOUSSE, ALCOOL…)
        for (key,) in conn.execute("SELECT key_a FROM ansm_interaction UNION SELECT key_b FROM ansm_interaction"):
            if key not in class_keys:
                self.substance_keys.add(key)
        self.combos = combination_keys(self.substance_keys)
        self.index = SubstanceIndex(self.substance_keys)
        self.mapping: dict[str, tuple[str | None, str]] = {}  # BDPM name → (key, method)
        self.extra: dict[str, list[str]] = {}  # BDPM name → further keys ("POTASSIUM (CITRATE DE)" → POTASSIUM)

    def mapped(self, name: str | None) -> str | None:
        if not name:
            return None
        if name not in self.mapping:
            keys, method = map_substance_keys(name, self.index)
            self.mapping[name] = (keys[0] if keys else None, method)
            if len(keys) > 1:
                self.extra[name] = keys[1:]
        return self.mapping[name][0]

    def drug_keys(self, substances: list[Substance], routes: str = "") -> dict[str, str]:
        """Every thesaurus key a drug carries → the substance key it comes through."""
        keys: dict[str, str] = {}
        route_words = set(fold(routes).replace(";", " ").split())
        for route, key in _ROUTE_KEYS.items():  # "MÉDICAMENTS UTILISÉS PAR VOIE VAGINALE"
            if route in route_words and key in self.substance_keys:
                keys[key] = key
        for s in substances:
            if s.interaction_key:
                own = [s.interaction_key, *self.extra.get(s.name, ()), *self.extra.get(s.salt or "", ())]
                for key in own:
                    keys.setdefault(key, key)
                    for class_key in self.classes_of.get(key, ()):
                        keys.setdefault(class_key, key)
        if "FER" in keys and route_words & _INJECTABLE_ROUTES and not route_words & {"ORALE"}:
            # the thesaurus's FER is oral iron (absorption interactions); injectable iron has its own entry
            for key in [k for k, via in keys.items() if via == "FER"]:  # and its oral-absorption class
                del keys[key]
            keys[_INJECTABLE_IRON] = _INJECTABLE_IRON
        moieties = {canonical_substance(s.name) for s in substances} | set(keys)
        for combo, parts in self.combos.items():
            if parts <= moieties:
                keys.setdefault(combo, combo)
        return keys


# thesaurus entries that name a route rather than a substance. Not "MÉDICAMENTS ADMINISTRÉS PAR
# VOIE ORALE": its antacid entry is graded AD for the substances of the class "SUBSTANCES À
# ABSORPTION RÉDUITE PAR LES TOPIQUES…" (mapped), and would flag every oral drug as AD.
_ROUTE_KEYS = {"VAGINALE": "MEDICAMENTS UTILISES PAR VOIE VAGINALE"}
_INJECTABLE_ROUTES = frozenset({"INTRAVEINEUSE", "INTRAMUSCULAIRE"})
_INJECTABLE_IRON = "SELS DE FER PAR VOIE INJECTABLE"


def _presentations(rows: list[tuple]) -> list[Presentation]:
    return [
        Presentation(cip13=cip13, cip7=cip7, label=" ".join((label or "").split()), price=price,
                     reimbursement_rate=rate,
                     marketed=fold(declaration or "").startswith("DECLARATION DE COMMERCIALISATION"),
                     hospital_approval=(approval or "").lower() == "oui")
        for cip13, cip7, label, price, rate, declaration, approval in rows
    ]


def _search_texts(cis: str, name: str, dci: str, substances: list[Substance],
                  packs: list[Presentation]) -> tuple[str, str, str, str]:
    """The four indexed columns: lead (the name's first word), name, body (DCI and substances), codes."""
    body = [dci, *strength_synonyms(dci)]
    for s in substances:
        body += [s.name, s.salt or "", canonical_substance(s.name)]
    codes = [cis, *(p.cip13 for p in packs), *(p.cip7 for p in packs)]
    lead = next(iter(query_tokens(name)), "")
    return lead, " ".join([name, *strength_synonyms(name)]), " ".join(p for p in body if p), " ".join(codes)


def rebuild_derived(conn: sqlite3.Connection) -> DeriveStats:
    run_script(conn, DERIVED_TABLES_SQL)
    compositions = _load_grouped(conn, "SELECT cis, element, substance_code, substance_name, strength,"
                                       " strength_reference, nature, link FROM composition ORDER BY rowid")
    presentations = _load_grouped(conn, "SELECT cis, cip13, cip7, label, price, reimbursement_rate,"
                                        " marketing_declaration, hospital_approval FROM presentation"
                                        " ORDER BY rowid")
    conditions = _load_grouped(conn, "SELECT cis, condition FROM prescribing_condition ORDER BY rowid")
    generics = _load_grouped(conn, "SELECT cis, group_id, label, type FROM generic_group ORDER BY rowid")
    thesaurus = _ThesaurusKeys(conn)

    entries = []
    drug_keys_rows = []
    marketed_count = fully_mapped = 0
    for cis, name, form, routes, auth, state, bdm, holder, monitoring in conn.execute(
            "SELECT cis, name, form, routes, authorisation_status, marketing_state, bdm_status, holder,"
            " enhanced_monitoring FROM drug").fetchall():
        form = " ".join((form or "").split())
        substances = [Substance(s.name, s.strength, s.reference, s.code, s.salt,
                                thesaurus.mapped(s.name) or thesaurus.mapped(sa_name))
                      for s, sa_name in _substances_of(compositions.get(cis, []))]
        marketed = fold(state or "") == "COMMERCIALISEE"
        if marketed:
            marketed_count += 1
            fully_mapped += bool(substances) and all(s.interaction_key for s in substances)
        drug_keys_rows += [(cis, key, via) for key, via in thesaurus.drug_keys(substances, routes or "").items()]
        dci = dci_wording(substances, form)
        packs = _presentations(presentations.get(cis, []))
        generic = None
        if cis in generics:
            group_id, label, kind = generics[cis][0]
            generic = GenericInfo(group_id, label, GENERIC_ROLES.get(kind, str(kind)))
        summary = {
            "cis": cis, "name": name, "dci": dci, "form": form,
            "routes": [r.strip() for r in (routes or "").split(";") if r.strip()],
            "marketed": marketed, "availability_alert": bdm or None,
            "authorisation_status": auth or "", "holder": (holder or "").strip(),
            "enhanced_monitoring": (monitoring or "").lower() == "oui",
            "substances": [_fields(s) for s in substances],
            "presentations": [_fields(p) for p in packs],
            "generic": _fields(generic) if generic else None,
            "prescribing_conditions": [_fields(_condition(c)) for (c,) in conditions.get(cis, [])],
        }
        sort_key = (not marketed, fold(auth or "") != "AUTORISATION ACTIVE", fold(name))
        prices = [p.price for p in packs if p.price]
        rates = sorted({p.reimbursement_rate for p in packs if p.reimbursement_rate is not None})
        listing = pack_listing(cis, name, dci, form, marketed, bdm or None,
                               (min(prices), max(prices)) if prices else None, tuple(rates), generic)
        entries.append((sort_key, cis, listing, json.dumps(summary, ensure_ascii=False, separators=(",", ":")),
                        *_search_texts(cis, name, dci, substances, packs)))

    entries.sort(key=lambda e: e[0])
    conn.executemany("INSERT INTO drug_summary(rank, cis, listing) VALUES (?,?,?)",
                     [(rank, e[1], e[2]) for rank, e in enumerate(entries, start=1)])
    conn.executemany("INSERT INTO drug_detail(cis, summary_json) VALUES (?,?)", [(e[1], e[3]) for e in entries])
    conn.executemany("INSERT INTO drug_fts(rowid, name, body, codes) VALUES (?,?,?,?)",
                     [(rank, *e[5:]) for rank, e in enumerate(entries, start=1)])
    conn.executemany("INSERT INTO drug_lead(rowid, lead) VALUES (?,?)",
                     [(rank, e[4]) for rank, e in enumerate(entries, start=1)])
    conn.executemany("INSERT INTO substance_map(bdpm_name, ansm_key, method) VALUES (?,?,?)",
                     [(n, k, m) for n, (k, m) in thesaurus.mapping.items()])
    conn.executemany("INSERT INTO drug_ansm_key(cis, ansm_key, via) VALUES (?,?,?)", drug_keys_rows)
    conn.execute("INSERT INTO drug_fts(drug_fts) VALUES ('optimize')")
    conn.execute("INSERT INTO drug_lead(drug_lead) VALUES ('optimize')")
    conn.execute("INSERT OR REPLACE INTO meta VALUES ('marketed_count', ?)", (str(marketed_count),))
    return DeriveStats(
        drugs=len(entries), marketed=marketed_count, marketed_fully_mapped=fully_mapped,
        substances=len(thesaurus.mapping),
        substances_mapped=sum(1 for k, _m in thesaurus.mapping.values() if k),
    )
