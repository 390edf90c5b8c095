"""Checking an ordonnance against the ANSM thesaurus, for redundancy and declared allergies.

Each drug carries thesaurus keys: its mapped substances and the classes they belong to
(table ``drug_ansm_key``, built at import). Two drugs interact when a pair of their keys is
a thesaurus entry, e.g. SIMVASTATINE × INHIBITEURS PUISSANTS DU CYP3A4 (clarithromycine).
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from functools import lru_cache

from lap_app.drugs.models import LEVEL_RANK, Alert, DrugResult
from lap_app.drugs.normalize import fold, fold_words
from lap_app.drugs.thesaurus import canonical_substance
from lap_app.i18n import _


@dataclass(frozen=True, slots=True)
class ThesaurusEntry:
    label_a: str
    label_b: str
    level: str
    levels: tuple[tuple[str, str], ...]  # (level, conduct), most severe first
    mechanism: str


# A session checks the same few drugs again on every line added: the findings of a drug pair
# are kept (they depend on the release only, and the index is dropped with it). Bounded.
_MAX_CACHED_PAIRS = 50_000


class InteractionIndex:
    """The thesaurus in memory (3,000 entries), each key's partners, and caches of each drug's
    keys and of each drug pair's findings."""

    def __init__(self, conn: sqlite3.Connection, entries: dict[tuple[str, str], ThesaurusEntry],
                 labels: dict[str, str]) -> None:
        self._conn = conn
        self.entries = entries
        self.labels = labels  # folded key → label as the thesaurus writes it
        self._keys: dict[str, dict[str, str]] = {}
        # key → every key it interacts with, either direction: a drug pair is one set
        # intersection per key instead of a lookup per pair of keys
        partners: dict[str, set[str]] = {}
        for key_a, key_b in entries:
            partners.setdefault(key_a, set()).add(key_b)
            partners.setdefault(key_b, set()).add(key_a)
        self.partners = {key: frozenset(others) for key, others in partners.items()}
        self.pair_findings: dict[tuple[str, str], list[Alert]] = {}

    @classmethod
    def load(cls, conn: sqlite3.Connection) -> InteractionIndex:
        entries: dict[tuple[str, str], ThesaurusEntry] = {}
        labels: dict[str, str] = {}
        for key_a, key_b, label_a, label_b, level, levels_json, mechanism in conn.execute(
                "SELECT key_a, key_b, label_a, label_b, level, levels_json, mechanism FROM ansm_interaction"):
            levels = tuple((item["level"], item["conduct"]) for item in json.loads(levels_json))
            entries[(key_a, key_b)] = ThesaurusEntry(label_a, label_b, level, levels, mechanism)
            labels.setdefault(key_a, label_a)
            labels.setdefault(key_b, label_b)
        for key, label in conn.execute("SELECT DISTINCT substance_key, label FROM ansm_substance"):
            labels.setdefault(key, label.upper())  # substances.json writes them in lower case
        return cls(conn, entries, labels)

    def keys_of(self, cis_list: list[str]) -> dict[str, dict[str, str]]:
        """For each CIS: thesaurus key → the substance key it comes through (itself or a member)."""
        missing = [c for c in cis_list if c not in self._keys]
        if missing:
            for cis in missing:
                self._keys[cis] = {}
            marks = ",".join("?" * len(missing))
            for cis, key, via in self._conn.execute(
                    f"SELECT cis, ansm_key, via FROM drug_ansm_key WHERE cis IN ({marks})", missing):
                self._keys[cis][key] = via
        return {c: self._keys[c] for c in cis_list}


@lru_cache(maxsize=20_000)
def _canonical(name: str) -> str:
    return canonical_substance(name)


def _moieties(drug: DrugResult) -> dict[str, str]:
    """Folded active moieties of a drug → display name (for redundancy and allergy)."""
    result: dict[str, str] = {}
    for s in drug.substances:
        result.setdefault(s.interaction_key or _canonical(s.name), s.name)
    return result


def _side_label(index: InteractionIndex, key: str, via: str) -> str:
    label = index.labels.get(key, key)
    if via != key:  # reached through a class: name the member substance too
        return f"{label} ({index.labels.get(via, via)})"
    return label


def _strip_colon(text: str) -> str:
    return text.lstrip(": \n")  # the thesaurus writes "AD : :\n- avec ..."


def _names_of(index: InteractionIndex, *key_maps: dict[str, str]) -> set[str]:
    """Every substance and class name the two drugs carry, folded to words."""
    keys = {k for keys in key_maps for pair in keys.items() for k in pair}
    return {fold_words(index.labels.get(k, k)) for k in keys} | {fold_words(k) for k in keys}


def _graded_level(entry: ThesaurusEntry, names: set[str]) -> str:
    """The level that applies to this pair when the thesaurus grades it by situation.

    Some entries read "AD : avec les inhibiteurs d'intégrase (raltégravir…) / PE : avec les
    autres substances": for ciprofloxacine the PE applies. Take the level whose text names one
    of the two drugs' substances or classes; else the one "avec les autres"; when unsure, the
    most severe (an alert too strong is read, one too weak is missed).
    """
    if len(entry.levels) < 2:
        return entry.level
    names = names - {fold_words(entry.label_a), fold_words(entry.label_b)}  # the pair itself
    texts = [(level, f" {fold_words(text)} ") for level, text in entry.levels]
    for level, text in texts:  # most severe first
        if any(f" {name} " in text for name in names if len(name) > 3):
            return level
    for level, text in texts:
        if " AVEC LES AUTRES " in text:
            return level
    return entry.level


def _pair_alerts(index: InteractionIndex, a: DrugResult, b: DrugResult, keys_a: dict[str, str],
                 keys_b: dict[str, str]) -> list[Alert]:
    alerts = []
    seen: set[frozenset[str]] = set()
    partners = index.partners
    for key_a, via_a in keys_a.items():
        hits = partners.get(key_a)
        if not hits or hits.isdisjoint(keys_b):
            continue
        for key_b, via_b in keys_b.items():
            if key_b not in hits:
                continue
            for first, second in ((key_a, key_b), (key_b, key_a)):
                entry = index.entries.get((first, second))
                if entry is None:
                    continue
                pair = frozenset((key_a, key_b))
                if pair in seen:  # the thesaurus lists most pairs in both directions
                    continue
                seen.add(pair)
                conduct = "\n".join(
                    f"{level} : {_strip_colon(text)}" if len(entry.levels) > 1 else text
                    for level, text in entry.levels if text or len(entry.levels) > 1)
                names = _names_of(index, keys_a, keys_b)
                alerts.append(Alert(
                    level=_graded_level(entry, names), cis=(a.cis, b.cis), drug_names=(a.name, b.name),
                    substances=(_side_label(index, key_a, via_a), _side_label(index, key_b, via_b)),
                    description=entry.mechanism, conduct=conduct, levels=entry.levels,
                ))
    return alerts


def check(index: InteractionIndex, drugs: dict[str, DrugResult], new: list[str], current: list[str],
          allergies: list[str]) -> list[Alert]:
    keys = index.keys_of(list(drugs))
    moieties = {cis: _moieties(drug) for cis, drug in drugs.items()}
    pairs = [(new[i], new[j]) for i in range(len(new)) for j in range(i + 1, len(new))]
    pairs += [(n, c) for n in new for c in current]
    alerts: list[Alert] = []
    cache = index.pair_findings
    for pair in pairs:
        found = cache.get(pair)
        if found is None:
            if len(cache) >= _MAX_CACHED_PAIRS:
                cache.clear()
            found = cache[pair] = _pair_findings(index, drugs[pair[0]], drugs[pair[1]], keys, moieties)
        alerts += found
    alerts += _allergy_alerts(index, [drugs[cis] for cis in dict.fromkeys(new)], keys, moieties, allergies)
    alerts.sort(key=lambda alert: (LEVEL_RANK[alert.level], alert.cis))
    return alerts


def _pair_findings(index: InteractionIndex, a: DrugResult, b: DrugResult, keys: dict[str, dict[str, str]],
                   moieties: dict[str, dict[str, str]]) -> list[Alert]:
    """Redundancy and thesaurus alerts of one pair of drugs (the same for a given release)."""
    alerts = []
    shared = moieties[a.cis].keys() & moieties[b.cis].keys()
    if shared:
        names = tuple(sorted(moieties[a.cis][k] for k in shared))
        alerts.append(Alert(
            level="REDUNDANCY", cis=(a.cis, b.cis), drug_names=(a.name, b.name),
            substances=names,
            description=_("Même substance active dans les deux médicaments : risque de surdosage."),
            conduct=_("Vérifier que la double prescription est voulue."),
        ))
    if a.cis != b.cis:
        alerts += _pair_alerts(index, a, b, keys[a.cis], keys[b.cis])
    return alerts


def _allergy_alerts(index: InteractionIndex, drugs: list[DrugResult], keys: dict[str, dict[str, str]],
                    moieties: dict[str, dict[str, str]], allergies: list[str]) -> list[Alert]:
    """One alert per (declared allergy, new drug) whose substance, salt or class matches it."""
    allergies = [allergy.strip() for allergy in allergies if allergy.strip()]
    if not allergies:
        return []
    # every name a drug can be recognised by, computed once for all the allergies
    names_of = {
        drug.cis: set(moieties[drug.cis]) | set(keys[drug.cis]) | {fold(s.name) for s in drug.substances}
        | {fold(s.salt) for s in drug.substances if s.salt}
        for drug in drugs
    }
    alerts: list[Alert] = []
    for allergy in allergies:
        wanted = {fold(allergy), _canonical(allergy)}
        for drug in drugs:
            hits = wanted & names_of[drug.cis]
            if hits:
                alerts.append(Alert(
                    level="ALLERGY", cis=(drug.cis,), drug_names=(drug.name,),
                    substances=(index.labels.get(min(hits), allergy),),  # min: stable across runs
                    description=_("Allergie déclarée du patient : {allergy}.").format(allergy=allergy),
                    conduct=_("Ne pas prescrire sans avis : le patient a déclaré cette allergie."),
                ))
    return alerts
