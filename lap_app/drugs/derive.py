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
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache, partial
from itertools import groupby
from operator import itemgetter

from lap_app.drugs.conditions import classify_condition
from lap_app.drugs.models import GenericInfo, Substance, pack_listing
from lap_app.drugs.normalize import first_query_token, fold, strength_synonyms, tidy_strength
from lap_app.drugs.schema import DERIVED_INDEXES_SQL, DERIVED_TABLES_SQL, SOURCE_TABLES_SQL
from lap_app.drugs.thesaurus import SubstanceIndex, canonical_substance, combination_keys, map_substance_keys
from lap_app.drugs.writes import DirectWrites, Writes

GENERIC_ROLES = {0: "princeps", 1: "générique", 2: "complémentarité posologique", 4: "substituable"}
_DISPLAY_SUFFIXES = (" BASE", " ANHYDRE")


def run_script(conn: sqlite3.Connection | Writes, script: str) -> None:
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


@lru_cache(maxsize=16_384)  # the same substances in thousands of drugs
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


def _substances_of(rows: list[tuple]) -> list[tuple[str, str, str, str, str | None]]:
    """One entry per active moiety: the FT row of a link when there is one, else its SA row.

    Returns (name, strength, reference, code, sa_name), the fields of its ``Substance`` but the
    thesaurus key; rows are (element, code, name, strength, ref, nature, link).
    """
    groups: dict[tuple[str, object], dict[str, tuple]] = {}
    order: list[tuple[str, object]] = []
    for index, (element, code, name, strength, ref, nature, link) in enumerate(rows):
        key = (element, link if link is not None else f"#{index}")
        if key not in groups:
            groups[key] = {}
            order.append(key)
        groups[key].setdefault(nature, (code, name, strength, ref))
    result: list[tuple[str, str, str, str, str | None]] = []
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
        result.append((" ".join(name.split()), strength, ref, code, sa_name))
    return result


def _fields(value: object) -> dict:
    """A flat dataclass as a dict (``asdict`` deep-copies and is 5x slower on 15,000 drugs)."""
    return {name: getattr(value, name) for name in value.__dataclass_fields__}  # type: ignore[attr-defined]


class ThesaurusKeys:
    """The thesaurus as the derivation needs it: substance names, classes, fixed combinations."""

    def __init__(self, members: Iterable[tuple[str, str | None]], entry_keys: Iterable[str]) -> None:
        """``members``: (substance key, class key or None) as ``ansm_substance`` holds them;
        ``entry_keys``: the keys the interaction entries name."""
        self.classes_of: dict[str, set[str]] = defaultdict(set)
        self.substance_keys: set[str] = set()
        for key, class_key in members:
            self.substance_keys.add(key)
            if class_key:
                self.classes_of[key].add(class_key)
        class_keys = {c for cs in self.classes_of.values() for c in cs}
        # entries naming neither a listed substance nor a class (PAMPLEMOUSSE, ALCOOL…)
        self.substance_keys.update(key for key in entry_keys if key not in class_keys)
        self.combos = combination_keys(self.substance_keys)
        self.index = SubstanceIndex(self.substance_keys)
        self.mapping: dict[str, tuple[str | None, str]] = {}  # BDPM name → (key, method)
        self.extra: dict[str, list[str]] = {}  # BDPM name → further keys ("POTASSIUM (CITRATE DE)" → POTASSIUM)

    @classmethod
    def from_database(cls, conn: sqlite3.Connection) -> ThesaurusKeys:
        return cls(conn.execute("SELECT substance_key, class_key FROM ansm_substance").fetchall(),
                   [key for (key,) in conn.execute("SELECT key_a FROM ansm_interaction"
                                                   " UNION SELECT key_b FROM ansm_interaction")])

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


class _Composition:
    """What a composition gives each drug made of it, worked out once: generics share theirs
    (15,000 drugs, 9,000 compositions)."""

    __slots__ = ("_keys", "_thesaurus", "_wordings", "fully_mapped", "substances", "substances_json")

    def __init__(self, rows: list[tuple], thesaurus: ThesaurusKeys) -> None:
        mapped = thesaurus.mapped
        self.substances = [Substance(name, strength, reference, code, salt, mapped(name) or mapped(salt))
                           for name, strength, reference, code, salt in _substances_of(rows)]
        self.substances_json = "[" + ",".join(map(_substance_json, self.substances)) + "]"
        self.fully_mapped = bool(self.substances) and all(s.interaction_key for s in self.substances)
        self._thesaurus = thesaurus
        self._wordings: dict[str, tuple[str, str]] = {}
        self._keys: dict[str, list[tuple[str, str]]] = {}

    def wording(self, form: str) -> tuple[str, str]:
        """The DCI wording and the indexed body (the wording, its other strength spellings, the substances)."""
        known = self._wordings.get(form)
        if known is None:
            dci = dci_wording(self.substances, form)
            body = [dci, *strength_synonyms(dci)]
            for s in self.substances:
                body += [s.name, s.salt or "", canonical_substance(s.name)]
            known = self._wordings[form] = (dci, " ".join(p for p in body if p))
        return known

    def keys(self, routes: str) -> list[tuple[str, str]]:
        """Every thesaurus key the drug carries, with the substance key it comes through, in key
        order (the classes of a substance come from a set: the rows must not follow the hash seed)."""
        known = self._keys.get(routes)
        if known is None:
            known = self._keys[routes] = sorted(self._thesaurus.drug_keys(self.substances, routes).items())
        return known


_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), check_circular=False).encode  # acyclic values
# The stored summary is what ``_JSON`` makes of the whole drug as one dict. Written field by
# field with the encoder's own string escaping (half the time of the dicts through ``_JSON``).
_quoted = json.encoder.encode_basestring


def _scalar(value: object) -> str:
    """One value as ``_JSON`` writes it: text, number, true/false or null."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    return _quoted(value) if isinstance(value, str) else repr(value)


def _substance_json(s: Substance) -> str:
    return (f'{{"name":{_scalar(s.name)},"strength":{_scalar(s.strength)},"reference":{_scalar(s.reference)},'
            f'"code":{_scalar(s.code)},"salt":{_scalar(s.salt)},"interaction_key":{_scalar(s.interaction_key)}}}')


@lru_cache(maxsize=256)  # a few distinct declarations and approvals
def _pack_flags(declaration: str | None, approval: str | None) -> str:
    marketed = fold(declaration or "").startswith("DECLARATION DE COMMERCIALISATION")
    return f'"marketed":{_scalar(marketed)},"hospital_approval":{_scalar((approval or "").lower() == "oui")}}}'


def _pack_json(row: tuple) -> str:
    """A presentation as the summary stores it (the fields of ``Presentation``), from its row
    (cip13, cip7, label, price, rate, declaration, approval)."""
    cip13, cip7, label, price, rate, declaration, approval = row
    return (f'{{"cip13":{_quoted(cip13)},"cip7":{_scalar(cip7)},"label":{_quoted(" ".join((label or "").split()))},'
            f'"price":{"null" if price is None else repr(price)},'
            f'"reimbursement_rate":{"null" if rate is None else repr(rate)},{_pack_flags(declaration, approval)}')


def _routes_json(routes: str | None) -> str:
    return f'[{",".join(_quoted(r.strip()) for r in (routes or "").split(";") if r.strip())}]'


def _generic(row: tuple) -> tuple[GenericInfo, str]:
    """A drug's generic group (group_id, label, type) and how the summary writes it."""
    group_id, label, kind = row
    generic = GenericInfo(group_id, label, GENERIC_ROLES.get(kind, str(kind)))
    return generic, (f'{{"group_id":{_scalar(generic.group_id)},"label":{_scalar(generic.label)},'
                     f'"role":{_scalar(generic.role)}}}')


# the source columns the derivation reads, by table
_READ_COLUMNS = {
    "composition": ("cis", "element", "substance_code", "substance_name", "strength", "strength_reference", "nature",
                    "link"),
    "presentation": ("cis", "cip13", "cip7", "label", "price", "reimbursement_rate", "marketing_declaration",
                     "hospital_approval"),
    "prescribing_condition": ("cis", "condition"),
    "generic_group": ("cis", "group_id", "label", "type"),
    "drug": ("cis", "name", "form", "routes", "authorisation_status", "marketing_state", "bdm_status", "holder",
             "enhanced_monitoring"),
}
# pass-2 rows handed to the writes this many drugs at a time (the writes start before the end)
_CHUNK = 1024

# a source table's rows as written (or read back), and where ``_READ_COLUMNS`` of it sit in each
RowsOf = Callable[[str], tuple[Iterable[tuple], Sequence[int]]]


@lru_cache(maxsize=1)
def _source_columns() -> dict[str, list[str]]:
    """Each source table's columns in order, from the schema itself (built in memory once)."""
    conn = sqlite3.connect(":memory:")
    try:
        run_script(conn, SOURCE_TABLES_SQL)
        return {table: [name for _cid, name, *_rest in conn.execute(f"PRAGMA table_info({table})")]
                for table in _READ_COLUMNS}  # names from this module
    finally:
        conn.close()


def _positions(table: str) -> list[int]:
    """Where ``_READ_COLUMNS`` of a table sit in its rows as inserted (every column, in order)."""
    names = _source_columns()[table]
    return [names.index(c) for c in _READ_COLUMNS[table]]


def _grouped_by_cis(rows: Iterable[tuple], positions: Sequence[int]) -> dict[str, list[tuple]]:
    """CIS → the other read columns of its rows, in file order. Rows of a CIS mostly follow one
    another: each run of them is taken whole (the loop turns per drug, not per row)."""
    cis_at, *rest = positions
    # the other columns as a tuple (one column: zip makes the 1-tuples)
    pick: Callable[[Iterable[tuple]], Iterable[tuple]] = (
        partial(map, itemgetter(*rest)) if len(rest) > 1 else lambda run: zip(map(itemgetter(rest[0]), run)))
    grouped: dict[str, list[tuple]] = defaultdict(list)
    for cis, run in groupby(rows, itemgetter(cis_at)):
        grouped[cis] += pick(run)
    return grouped


def _latest_by_cis(rows: Iterable[tuple], positions: Sequence[int]) -> list[tuple]:
    """One row per CIS, the last written winning and taking the last place (INSERT OR REPLACE)."""
    picked = list(map(itemgetter(*positions), rows))
    if len(set(map(itemgetter(0), picked))) == len(picked):  # no CIS twice: the usual file
        return picked
    latest: dict[str, tuple] = {}
    for row in picked:
        latest.pop(row[0], None)
        latest[row[0]] = row
    return list(latest.values())


def rebuild_derived(conn: sqlite3.Connection, loaded: Mapping[str, Sequence[tuple]] | None = None) -> DeriveStats:
    """Every derived table, from the source tables. ``loaded``: the rows the caller has just
    written into some source tables (table → rows, as inserted), so they are not read back."""
    handed = loaded or {}

    def rows_of(table: str) -> tuple[Iterable[tuple], Sequence[int]]:
        if table in handed:
            return handed[table], _positions(table)
        return (conn.execute(f"SELECT {', '.join(_READ_COLUMNS[table])} FROM {table} ORDER BY rowid"),  # names from this module
                range(len(_READ_COLUMNS[table])))

    return _derive(DirectWrites(conn), rows_of, lambda: ThesaurusKeys.from_database(conn))


def store_vocabulary(writes: Writes) -> None:
    """``drug_vocab``: every word of the built full-text index, read once through fts5vocab."""
    writes.execute("CREATE VIRTUAL TABLE temp.drug_fts_words USING fts5vocab(main, drug_fts, row)")
    writes.execute("INSERT INTO drug_vocab(term) SELECT term FROM temp.drug_fts_words")
    writes.execute("DROP TABLE temp.drug_fts_words")


def derive_release(writes: Writes, loaded: Mapping[str, Sequence[tuple]], thesaurus: ThesaurusKeys) -> DeriveStats:
    """Every derived table of a new database, from the source rows just given to ``writes``
    (table → rows as inserted; a table not given is empty). Nothing is read back, so the
    writes may still be running in their own thread."""
    return _derive(writes, lambda table: (loaded.get(table, ()), _positions(table)), lambda: thesaurus)


def _derive(writes: Writes, rows_of: RowsOf, thesaurus_keys: Callable[[], ThesaurusKeys]) -> DeriveStats:
    run_script(writes, DERIVED_TABLES_SQL)
    compositions = _grouped_by_cis(*rows_of("composition"))
    presentations = _grouped_by_cis(*rows_of("presentation"))
    conditions = _grouped_by_cis(*rows_of("prescribing_condition"))
    generics = _grouped_by_cis(*rows_of("generic_group"))
    drugs = _latest_by_cis(*rows_of("drug"))
    thesaurus = thesaurus_keys()

    # First pass, in the file's order (the order of the mapping's and the keys' rows): each
    # distinct composition worked out once, with the thesaurus keys each drug carries.
    made_of: dict[tuple, _Composition] = {}
    composition_of: list[_Composition] = []
    drug_keys_rows = []
    for cis, _name, _form, routes, *_rest in drugs:
        rows = tuple(compositions.get(cis, ()))
        composition = made_of.get(rows)
        if composition is None:
            composition = made_of[rows] = _Composition(list(rows), thesaurus)
        composition_of.append(composition)
        drug_keys_rows += [(cis, key, via) for key, via in composition.keys(routes or "")]
    writes.insert_many("INSERT INTO substance_map(bdpm_name, ansm_key, method) VALUES (?,?,?)",
                       [(n, k, m) for n, (k, m) in thesaurus.mapping.items()])
    writes.insert_many("INSERT INTO drug_ansm_key(cis, ansm_key, via) VALUES (?,?,?)", drug_keys_rows)

    # Second pass, in search order (rank 1 is the best: marketed first, then by name), each
    # drug's rows written as they come: the full-text index builds while the next are derived.
    # The texts that many drugs share (forms, routes, states, generic groups, lists of
    # conditions) are worked out once each.
    is_marketed = {s: fold(s or "") == "COMMERCIALISEE" for s in set(map(itemgetter(5), drugs))}
    is_active = {a: fold(a or "") == "AUTORISATION ACTIVE" for a in set(map(itemgetter(4), drugs))}
    order = [(not is_marketed[state], not is_active[auth], fold(name))
             for _cis, name, _form, _routes, auth, state, *_rest in drugs]
    forms: dict[str | None, str] = {}
    routes_json: dict[str | None, str] = {}
    generic_of: dict[tuple, tuple[GenericInfo, str]] = {}
    conditions_json: dict[tuple, str] = {}
    details = []
    marketed_count = fully_mapped = 0
    summaries: list[tuple] = []
    indexed: list[tuple] = []
    leads: list[tuple] = []
    for rank, index in enumerate(sorted(range(len(drugs)), key=order.__getitem__), start=1):
        cis, name, raw_form, routes, auth, state, bdm, holder, monitoring = drugs[index]
        composition = composition_of[index]
        form = forms.get(raw_form)
        if form is None:
            form = forms[raw_form] = " ".join((raw_form or "").split())
        marketed = is_marketed[state]
        if marketed:
            marketed_count += 1
            fully_mapped += composition.fully_mapped
        dci, body = composition.wording(form)
        packs = presentations.get(cis, ())  # (cip13, cip7, label, price, rate, declaration, approval)
        if cis in generics:
            group = generics[cis][0]
            generic, generic_json = generic_of.get(group) or generic_of.setdefault(group, _generic(group))
        else:
            generic, generic_json = None, "null"
        texts = tuple(conditions.get(cis, ()))
        if texts not in conditions_json:
            conditions_json[texts] = _JSON([_fields(classify_condition(text)) for (text,) in texts])
        if routes not in routes_json:
            routes_json[routes] = _routes_json(routes)
        # the whole drug as ``drug_detail`` stores it: what ``_JSON`` would make of it as one dict
        details.append((cis, (
            f'{{"cis":{_quoted(cis)},"name":{_quoted(name)},"dci":{_quoted(dci)},"form":{_quoted(form)},'
            f'"routes":{routes_json[routes]},"marketed":{"true" if marketed else "false"},'
            f'"availability_alert":{_quoted(bdm) if bdm else "null"},"authorisation_status":{_quoted(auth or "")},'
            f'"holder":{_quoted((holder or "").strip())},'
            f'"enhanced_monitoring":{"true" if (monitoring or "").lower() == "oui" else "false"},'
            f'"substances":{composition.substances_json},"presentations":[{",".join(map(_pack_json, packs))}],'
            f'"generic":{generic_json},"prescribing_conditions":{conditions_json[texts]}}}')))
        prices = [p[3] for p in packs if p[3]]
        rates = sorted({p[4] for p in packs if p[4] is not None})
        summaries.append((rank, cis, pack_listing(cis, name, dci, form, marketed, bdm or None,
                                                  (min(prices), max(prices)) if prices else None, tuple(rates),
                                                  generic)))
        codes = " ".join([cis, *(p[0] for p in packs), *(p[1] for p in packs)])
        indexed.append((rank, " ".join([name, *strength_synonyms(name)]), body, codes))
        leads.append((rank, first_query_token(name)))
        if rank % _CHUNK == 0 or rank == len(drugs):
            writes.executemany("INSERT INTO drug_summary(rank, cis, listing) VALUES (?,?,?)", summaries)
            writes.executemany("INSERT INTO drug_fts(rowid, name, body, codes) VALUES (?,?,?,?)", indexed)
            writes.executemany("INSERT INTO drug_lead(rowid, lead) VALUES (?,?)", leads)
            summaries, indexed, leads = [], [], []

    # in key order: a WITHOUT ROWID table fills its b-tree page after page (3x faster than in rank order)
    details.sort(key=itemgetter(0))  # by CIS alone (one per drug): strings compared, not tuples
    writes.executemany("INSERT INTO drug_detail(cis, summary_json) VALUES (?,?)", details)
    run_script(writes, DERIVED_INDEXES_SQL)
    writes.execute("INSERT INTO drug_fts(drug_fts) VALUES ('optimize')")
    writes.execute("INSERT INTO drug_lead(drug_lead) VALUES ('optimize')")
    store_vocabulary(writes)
    writes.execute("INSERT OR REPLACE INTO meta VALUES ('marketed_count', ?)", (str(marketed_count),))
    return DeriveStats(
        drugs=len(drugs), marketed=marketed_count, marketed_fully_mapped=fully_mapped,
        substances=len(thesaurus.mapping),
        substances_mapped=sum(1 for k, _m in thesaurus.mapping.values() if k),
    )
