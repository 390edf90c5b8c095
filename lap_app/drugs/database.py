"""The drug database as the application uses it: search, lookup, interaction checks.

Threading: a ``DrugDatabase`` holds one SQLite connection and must be used from the thread
that opened it (SQLite's own check enforces it). A worker thread calls
``open_drug_database()`` to get its own instance; opening an existing database is cheap.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from lap_app.domain.errors import UserError, os_error_reason
from lap_app.drugs.integrity import file_state, keep_release, rebuild
from lap_app.drugs.normalize import query_tokens
from lap_app.file_lock import locked
from lap_app.i18n import _
from lap_app.paths import user_data_dir

if TYPE_CHECKING:
    from lap_app.drugs.importer import ImportReport
    from lap_app.drugs.interactions import InteractionIndex
    from lap_app.drugs.models import Alert, DrugResult

# The interaction and coverage modules (thesaurus mapping, their patterns) load on the first
# check, in the worker that warms the index; the value types (``models``) with the first drug
# read: none of them on the way to the first window.

log = logging.getLogger(__name__)

DB_FILE_NAME = "drugs.sqlite3"


def default_database_path() -> Path:
    return user_data_dir() / DB_FILE_NAME


def _build_locked(path: Path) -> None:
    """Build the database (with the releases imported so far) unless another process did it
    while we waited for the lock."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with locked(path.parent / f".{path.name}.lock"):
        if file_state(path) != "usable":
            log.info("building the drug database at %s from the shipped BDPM", path)
            releases = rebuild(path)  # parsing stacks imported there: not on the search path
            log.info("drug database built (releases re-imported: %s)", releases)


def ensure_drug_database(path: Path | None = None) -> Path:
    """Build the database if it is missing or outdated (5–10 s on first start); any thread.

    A damaged file raises ``DrugDatabaseDamaged`` (French message, file untouched). The UI
    calls it from a worker at start-up, then ``open_drug_database()`` in the GUI thread
    returns at once.
    """
    path = Path(path) if path else default_database_path()
    if file_state(path) != "usable":
        try:
            _build_locked(path)
        except OSError as error:
            raise UserError(_("Impossible de créer la base des médicaments dans {dir} : {error}")
                            .format(dir=path.parent, error=os_error_reason(error))) from error
    return path


def open_drug_database(path: Path | None = None) -> DrugDatabase:
    """Open the drug database, building it from the shipped BDPM on first use (a few seconds).

    The returned object belongs to the calling thread (see the module doc).
    """
    return DrugDatabase(ensure_drug_database(path))


def _digits_only(text: str) -> str | None:
    compact = text.replace(" ", "")
    return compact if compact.isdigit() else None


def _phrase(token: str) -> str:
    return '"' + token.replace('"', "") + '"*'


# Prefixes up to this length are in the FTS5 prefix index; a longer one is expanded to the
# words it starts ("comprime" → comprime OR comprimes): FTS5 then walks a few doclists in rank
# order and stops at the limit, instead of merging every matching doclist (1–2 ms → 0.05 ms).
_INDEXED_PREFIX = 3
_MAX_EXPANSION = 32


class DrugDatabase:
    """Read access to one drug database file (one thread at a time: see the module doc)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        # autocommit: ``_snapshot`` opens explicit read transactions
        self._conn = sqlite3.connect(self.path, isolation_level=None)
        self._conn.execute("PRAGMA query_only = ON")  # imports go through their own connection
        self._interactions: InteractionIndex | None = None
        self._summary_cache: dict[str, DrugResult] = {}  # by CIS
        self._rank_cache: dict[int, DrugResult] = {}  # the same results, by search rank
        self._marketed: int | None = None
        self._expansions: dict[str, list[str] | None] = {}
        self._read_details = partial(read_details, self.path)  # a found drug's details, when asked for
        self._data_version = self._conn.execute("PRAGMA data_version").fetchone()[0]

    @contextmanager
    def _snapshot(self) -> Iterator[None]:
        """One read transaction: a search sees one release even if an import commits meanwhile;
        an import committed by another connection since the last call empties the caches."""
        self._conn.execute("BEGIN")
        try:
            version = self._conn.execute("PRAGMA data_version").fetchone()[0]
            if version != self._data_version:
                self._data_version = version
                self._summary_cache.clear()
                self._rank_cache.clear()
                self._interactions = None
                self._marketed = None
                self._expansions.clear()
            yield
        finally:
            self._conn.execute("COMMIT")

    def clear_caches(self) -> None:
        """Forget the cached results and prefix expansions (a cold search, as after a start)."""
        self._summary_cache.clear()
        self._rank_cache.clear()
        self._expansions.clear()

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> DrugDatabase:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- metadata -----------------------------------------------------------------------
    def release(self) -> str:
        with self._snapshot():
            return self._release()

    def _release(self) -> str:
        row = self._conn.execute("SELECT value FROM meta WHERE key = 'release'").fetchone()
        return row[0] if row else ""

    def count(self, table: str) -> int:
        allowed = {"drug", "presentation", "composition", "generic_group", "prescribing_condition",
                   "ansm_interaction", "drug_summary", "drug_detail"}
        if table not in allowed:
            raise ValueError(table)
        return self._conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]

    # -- lookup -------------------------------------------------------------------------
    def get(self, cis: str) -> DrugResult | None:
        with self._snapshot():
            return next(iter(self._by_cis([cis.strip()])), None)

    def by_cip13(self, cip13: str) -> DrugResult | None:
        """The drug in a box whose CIP13 (or CIP7) was scanned or typed."""
        with self._snapshot():
            return self._by_code(cip13)

    def _by_code(self, cip: str) -> DrugResult | None:
        code = (_digits_only(cip) or "")
        column = "cip13" if len(code) == 13 else "cip7" if len(code) == 7 else None
        if column is None:
            return None
        row = self._conn.execute(f"SELECT cis FROM presentation WHERE {column} = ?", (code,)).fetchone()
        return next(iter(self._by_cis([row[0]])), None) if row else None

    def _by_cis(self, cis_list: Sequence[str]) -> list[DrugResult]:
        missing = [c for c in cis_list if c not in self._summary_cache]
        if missing:
            self._load(missing)
        return [self._summary_cache[c] for c in cis_list if c in self._summary_cache]

    def _load(self, cis_list: Sequence[str]) -> None:
        """These drugs into the caches (bounded: a session looks at few drugs). Looked up by CIS,
        a drug comes whole; found by a search, its details are read when first asked for."""
        if len(self._summary_cache) + len(cis_list) > 5000:
            self._summary_cache.clear()
            self._rank_cache.clear()
        from lap_app.drugs.models import unpack_listing

        marks = ",".join("?" * len(cis_list))
        rows = self._conn.execute(
            "SELECT s.rank, s.listing, d.summary_json FROM drug_summary s JOIN drug_detail d USING (cis)"
            f" WHERE s.cis IN ({marks})", list(cis_list))
        for rank, listing, details in rows:
            result = unpack_listing(listing, details)
            self._summary_cache[result.cis] = self._rank_cache[rank] = result

    # -- search -------------------------------------------------------------------------
    def search(self, query: str, limit: int = 20) -> list[DrugResult]:
        """Drugs matching what the physician typed: brand, substance, CIS or CIP13.

        Every word is a prefix; accents and case do not matter. Order: a code that matches
        exactly, then names starting with the first word, then names containing all the words,
        then drugs whose substances match; within each tier marketed drugs come first, then
        alphabetical (a static rank stored at import, so the query can stop at ``limit``).
        """
        with self._snapshot():
            return self._search(query, max(1, min(int(limit), 200)))

    def _search(self, query: str, limit: int) -> list[DrugResult]:
        digits = _digits_only(query)
        if digits and len(digits) >= 7:
            exact = self._by_code(digits) if len(digits) in (7, 13) else next(iter(self._by_cis([digits])), None)
            if exact:
                return [exact]
        tokens = query_tokens(query)
        if not tokens:
            return []
        if digits and len(digits) >= 5:
            tiers = [("drug_fts", f"codes : {_phrase(digits)}")]
        else:
            terms = [self._expand(t) for t in tokens]
            if any(t == [] for t in terms):  # a word that starts no indexed word: nothing matches
                return []
            exprs = [self._term_expr(tok, exp) for tok, exp in zip(tokens, terms)]
            words = " AND ".join(exprs)
            # names starting with the first word: one word alone reads the first words' own index
            first = self._term_expr(tokens[0], terms[0], initial=True)
            starting = (("drug_fts", f"name : ({' AND '.join([first, *exprs[1:]])})") if len(exprs) > 1
                        else ("drug_lead", exprs[0]))
            tiers = [starting, ("drug_fts", f"name : ({words})"), ("drug_fts", f"{{name body}} : ({words})")]
        # Order: marketed first, then tier, then the static rank (marketed drugs hold ranks
        # 1..marketed). Each tier in rank order places its drugs in that same order, so the
        # first ``limit`` of each tier are enough; once ``limit`` marketed drugs are found, the
        # later tiers cannot place any.
        # Each tier's query brings its drugs' listings along (one statement, no second lookup).
        marketed = self._marketed_count()
        found: dict[int, tuple[bool, int, int]] = {}  # rank → its place: (not marketed, tier, rank)
        listings: dict[int, str] = {}
        marketed_found = 0
        for tier, (table, match) in enumerate(tiers):
            rows = self._conn.execute(
                f"SELECT f.rowid, s.listing FROM {table} f JOIN drug_summary s ON s.rank = f.rowid"
                f" WHERE {table} MATCH ? ORDER BY f.rowid LIMIT ?", (match, limit)).fetchall()
            for rank, listing in rows:
                if rank not in found:
                    found[rank] = (rank > marketed, tier, rank)
                    listings[rank] = listing
                    marketed_found += rank <= marketed
            if marketed_found >= limit:
                break
        places = sorted(found.values())[:limit]
        if len(self._summary_cache) + len(places) > 5000:
            self._summary_cache.clear()
            self._rank_cache.clear()
        from lap_app.drugs.models import unpack_listing

        results = []
        for _later, _tier, rank in places:  # each drug from its listing, cached: its details once read stay
            result = self._rank_cache.get(rank)
            if result is None:
                result = unpack_listing(listings[rank], self._read_details)
                self._summary_cache[result.cis] = self._rank_cache[rank] = result
            results.append(result)
        return results

    def _expand(self, token: str) -> list[str] | None:
        """Indexed words starting with ``token``; None when the prefix index serves it better."""
        if len(token) <= _INDEXED_PREFIX:
            return None
        if token not in self._expansions:
            rows = self._conn.execute(
                "SELECT term FROM drug_vocab WHERE term >= ? AND term < ? LIMIT ?",
                (token, token + "\uffff", _MAX_EXPANSION + 1)).fetchall()
            if len(self._expansions) > 10_000:
                self._expansions.clear()
            self._expansions[token] = [r[0] for r in rows] if len(rows) <= _MAX_EXPANSION else None
        return self._expansions[token]

    @staticmethod
    def _term_expr(token: str, expansion: list[str] | None, initial: bool = False) -> str:
        caret = "^" if initial else ""
        if expansion is None:
            return caret + _phrase(token)
        return "(" + " OR ".join(f'{caret}"{term}"' for term in expansion) + ")"

    def _marketed_count(self) -> int:
        if self._marketed is None:
            row = self._conn.execute("SELECT value FROM meta WHERE key = 'marketed_count'").fetchone()
            self._marketed = int(row[0]) if row else 0
        return self._marketed

    # -- interactions -------------------------------------------------------------------
    def _interaction_index(self) -> InteractionIndex:
        if self._interactions is None:
            from lap_app.drugs.interactions import InteractionIndex

            self._interactions = InteractionIndex.load(self._conn)
        return self._interactions

    def load_interaction_index(self) -> tuple[str, InteractionIndex]:
        """(release, index) loaded now (~60 ms): a worker's own instance warms the GUI's one."""
        with self._snapshot():
            return self._release(), self._interaction_index()

    def adopt_interaction_index(self, release: str, loaded: InteractionIndex) -> bool:
        """Take the entries another thread's instance loaded (never its connection), if this one
        has none yet and reads the same release; True when adopted."""
        with self._snapshot():
            if self._interactions is not None or self._release() != release:
                return False
            from lap_app.drugs.interactions import InteractionIndex

            self._interactions = InteractionIndex(self._conn, loaded.entries, loaded.labels)
            return True

    def check_interactions(self, cis_list: Iterable[str], current_cis: Iterable[str] = (),
                           allergies: Iterable[str] = ()) -> list[Alert]:
        """Alerts for the drugs of an ordonnance, against each other and the current treatments.

        ``cis_list``: the ordonnance lines; ``current_cis``: drugs the patient already takes
        (pairs among current treatments alone are not reported: they are not new);
        ``allergies``: substances the patient is allergic to, as typed ("amoxicilline").
        Alerts inform, they never block; most severe first.
        """
        from lap_app.drugs.interactions import check

        new = [c.strip() for c in cis_list if c and c.strip()]
        current = [c.strip() for c in current_cis if c and c.strip()]
        with self._snapshot():
            drugs = {d.cis: d for d in self._by_cis(list(dict.fromkeys(new + current)))}
            unknown = [c for c in new + current if c not in drugs]
            if unknown:
                raise UserError(_("Code CIS inconnu : {codes}").format(codes=", ".join(unknown)))
            return check(self._interaction_index(), drugs, new, current, list(allergies))

    # -- coverage -----------------------------------------------------------------------
    def coverage(self) -> dict:
        """Share of marketed drugs whose every active substance is found in the thesaurus."""
        with self._snapshot():
            return self._coverage()

    def _coverage(self) -> dict:
        """Raw figure: every active substance mapped. "Mappable" figure: the same, ignoring
        unmapped substances that have no interaction profile (``coverage.no_profile_reason``);
        a drug made only of such substances leaves the denominator."""
        from lap_app.drugs.coverage import no_profile_reason

        marketed = fully = mappable = mappable_fully = 0
        unmapped: dict[str, int] = {}
        excluded: dict[str, int] = {}  # category → marketed drugs left out of the denominator
        reasons: dict[str, str | None] = {}
        for (text,) in self._conn.execute("SELECT summary_json FROM drug_detail"):
            data = json.loads(text)
            if not data["marketed"]:
                continue
            marketed += 1
            missing = [s["name"] for s in data["substances"] if not s["interaction_key"]]
            if data["substances"] and not missing:
                fully += 1
            for name in missing:
                unmapped[name] = unmapped.get(name, 0) + 1
                if name not in reasons:
                    reasons[name] = no_profile_reason(name)
            relevant_missing = [n for n in missing if reasons[n] is None]
            if data["substances"] and len(missing) == len(data["substances"]) and not relevant_missing:
                category = reasons[missing[0]] or ""
                excluded[category] = excluded.get(category, 0) + 1
                continue
            mappable += 1
            mappable_fully += bool(data["substances"]) and not relevant_missing
        methods = dict(self._conn.execute(
            "SELECT method, count(*) FROM substance_map GROUP BY method").fetchall())
        ranked = sorted(unmapped.items(), key=lambda item: (-item[1], item[0]))
        return {
            "marketed": marketed, "fully_mapped": fully,
            "share": round(fully / marketed, 4) if marketed else 0.0,
            "unmapped": ranked,
            "methods": methods,
            "mappable": {
                "marketed": mappable, "fully_mapped": mappable_fully,
                "share": round(mappable_fully / mappable, 4) if mappable else 0.0,
                "excluded_drugs": excluded,
                "unmapped": [(n, c) for n, c in ranked if reasons[n] is None],
                "without_profile": [(n, c, reasons[n]) for n, c in ranked if reasons[n] is not None],
            },
        }


_readers = threading.local()  # per thread: path → read-only connection for the details


def read_details(path: Path, cis: str) -> str:
    """The whole stored summary of a drug a search found, from any thread (its own connection)."""
    connections: dict[Path, sqlite3.Connection] = _readers.__dict__.setdefault("connections", {})
    conn = connections.get(path)
    if conn is None:
        conn = connections[path] = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True,
                                                   check_same_thread=True)
    row = conn.execute("SELECT summary_json FROM drug_detail WHERE cis = ?", (cis,)).fetchone()
    if row is None:  # replaced by a newer release meanwhile, without this drug
        raise UserError(_("Le médicament {cis} n'est plus dans la base des médicaments.").format(cis=cis))
    return row[0]


def import_into(path: Path | None, source: Path, release: str | None = None) -> ImportReport:
    """``lap-app drugs import``: update the database at ``path`` (built first if missing); the
    release's files are kept so that a rebuild re-imports them."""
    from lap_app.drugs.importer import import_release, read_source_files

    db_path = ensure_drug_database(path)
    report = import_release(db_path, source, release)
    files, _ignored = read_source_files(source)
    try:
        keep_release(db_path, files, report.release)
    except OSError as error:
        log.warning("release %s imported but not kept for a rebuild: %s", report.release, error)
    return report


def rebuild_drug_database(path: Path | None = None) -> list[str]:
    """``lap-app drugs rebuild``: the shipped BDPM, then every release imported since."""
    path = Path(path) if path else default_database_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    with locked(path.parent / f".{path.name}.lock"):
        return rebuild(path)

