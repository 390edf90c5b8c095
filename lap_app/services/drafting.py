"""The ordonnance being written: its lines, the alerts they raise, favourites, templates, renewal.

No Qt here: the prescription editor (``lap_app.ui.editor``) drives a ``Draft`` and shows what
``draft_alerts`` finds. Favourites (one line) and templates (several lines) are stored in the
local store (tables created by ``lap_app.storage.practice_schema.DRAFTING_STEP``) as JSON, and
so is each patient's draft (``DRAFTS_STEP``), saved on every change to its lines so that
closing the application or a crash loses no ordonnance being written.
"""

from __future__ import annotations

import copy
import logging
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from lap_app.domain.errors import UserError
from lap_app.domain.kinds import OrdonnanceKind
from lap_app.domain.model import (
    NonSubstitutionReason,
    PrescriptionLine,
    Quantity,
    Zone,
    new_resource_id,
)
from lap_app.domain.posology import Posology
from lap_app.i18n import _
from lap_app.storage.drafting_library import (
    UNREADABLE,
    DraftingTables,
    SetAsideDraft,
    draft_parts,
    draft_set_aside,
    why,
)
from lap_app.storage.engine import StoreConnection

log = logging.getLogger(__name__)

# Alert levels: the drug base's interaction levels (CI, AD, PE, APEC, REDUNDANCY, ALLERGY) plus
# CONDITION, a prescribing condition worth the prescriber's eye.
LEVEL_LABELS = {
    "CI": _("Contre-indication"),
    "AD": _("Association déconseillée"),
    "PE": _("Précaution d'emploi"),
    "APEC": _("À prendre en compte"),
    "REDUNDANCY": _("Redondance"),
    "ALLERGY": _("Allergie"),
    "CONDITION": _("Condition de prescription"),
}
# The levels the physician must acknowledge before signing.
BLOCKING_LEVELS = ("CI", "ALLERGY")
# The order alerts are listed in, most severe first.
LEVEL_ORDER = {
    level: rank for rank, level in enumerate(("ALLERGY", "CI", "AD", "REDUNDANCY", "PE", "APEC", "CONDITION"))
}

# Dose units proposed from the pharmaceutical form (first keyword found wins).
_FORM_UNITS = (
    ("comprimé", "comprimé"), ("gélule", "gélule"), ("capsule", "capsule"), ("sachet", "sachet"),
    ("suppositoire", "suppositoire"), ("collyre", "goutte"), ("gouttes", "goutte"),
    ("inhalation", "bouffée"), ("pulvérisation", "pulvérisation"), ("crème", "application"),
    ("gel", "application"), ("pommade", "application"), ("injectable", "injection"),
    ("buvable", "ml"), ("sirop", "ml"), ("suspension", "ml"), ("solution", "ml"),
    ("patch", "patch"), ("dispositif transdermique", "patch"), ("ovule", "ovule"),
)


def unit_for_form(form: str | None) -> str:
    lowered = (form or "").lower()
    for keyword, unit in _FORM_UNITS:
        if keyword in lowered:
            return unit
    return "dose"


def unit_for_drug(drug: Any) -> str:
    """The dose unit a new line starts with. A powder or a liquid may come in single doses (the
    BDPM form of Smecta is "poudre pour suspension buvable", its packs are sachets): the name and
    the packs say so, and "1 sachet" is what the patient must read, not "1 ml"."""
    unit = unit_for_form(_attr(drug, "form"))
    if unit in ("ml", "dose"):
        packs = " ".join([str(_attr(drug, "name", default=""))] + [
            str(_attr(p, "label", default="")) for p in _attr(drug, "presentations", default=[]) or []]).lower()
        for keyword in ("sachet", "ampoule", "unidose"):
            if keyword in packs:
                return "dose" if keyword == "unidose" else keyword
    return unit


def _attr(obj: Any, *names: str, default: Any = None) -> Any:
    for name in names:
        value = getattr(obj, name, None)
        if value is not None:
            return value
    return default


def line_for_drug(drug: Any, presentation: Any = None) -> PrescriptionLine:
    """A new line for a drug search result, with a starting posology the physician completes."""
    presentations = list(_attr(drug, "presentations", default=[]) or [])
    chosen = presentation or (presentations[0] if len(presentations) == 1 else None)
    return PrescriptionLine(
        dci_wording=_attr(drug, "dci", default="") or _attr(drug, "name", default=""),
        posology=Posology(dose=1, dose_unit=unit_for_drug(drug), frequency=1, period=1, period_unit="d"),
        cis=_attr(drug, "cis"),
        cip13=_attr(chosen, "cip13") if chosen is not None else None,
        product_name=_attr(drug, "name"),
        pack_label=_attr(chosen, "label") if chosen is not None else None,
    )


@dataclass(slots=True)
class OpenLine:
    """A line being written and not yet added (or a draft line being changed: ``editing``,
    the same ``resource_id``). It stays with its patient's draft when the physician moves to
    another patient, and is opened again when they come back."""

    line: PrescriptionLine
    editing: bool = False

    def index_in(self, lines: Sequence[PrescriptionLine]) -> int | None:
        """The draft line it changes (None: a new line, or the line it changed is gone)."""
        if not self.editing:
            return None
        return next((i for i, line in enumerate(lines) if line.resource_id == self.line.resource_id), None)


class Draft:
    """The lines of the ordonnance being written, in order, and the line left open in it."""

    def __init__(self, lines: Iterable[PrescriptionLine] = (), open_line: OpenLine | None = None) -> None:
        self.lines: list[PrescriptionLine] = list(lines)
        self.open_line = open_line

    def add(self, line: PrescriptionLine) -> int:
        self.lines.append(line)
        return len(self.lines) - 1

    def replace(self, index: int, line: PrescriptionLine) -> None:
        self.lines[index] = line

    def remove(self, index: int) -> PrescriptionLine:
        return self.lines.pop(index)

    def move(self, index: int, delta: int) -> int:
        """Move a line up (-1) or down (+1); returns its new index."""
        target = max(0, min(len(self.lines) - 1, index + delta))
        if target != index:
            self.lines.insert(target, self.lines.pop(index))
        return target

    def clear(self) -> None:
        self.lines.clear()

    def cis_list(self) -> list[str]:
        return [line.cis for line in self.lines if line.cis]

    def move_out_of_ald(self) -> list[PrescriptionLine]:
        """Put the ALD lines back in the "hors ALD" zone (the patient's ALD was taken off);
        returns the lines moved."""
        moved = [line for line in self.lines if line.zone is Zone.ALD]
        for line in moved:
            line.zone = Zone.HORS_ALD
        return moved


def fresh_copies(lines: Iterable[PrescriptionLine]) -> list[PrescriptionLine]:
    """Copies of lines with new identities, ready to be prescribed again (renewal, template)."""
    copies = []
    for line in lines:
        clone = copy.deepcopy(line)
        clone.resource_id = new_resource_id()
        clone.status = "active"
        copies.append(clone)
    return copies


def renewal_lines(ordonnance: Any) -> list[PrescriptionLine]:
    """The lines of a previous ordonnance (or a list of lines), to renew it in one action."""
    lines = ordonnance if isinstance(ordonnance, (list, tuple)) else ordonnance.lines
    return fresh_copies(lines)


def last_renewable(history: Sequence[Any], kind: OrdonnanceKind = OrdonnanceKind.MEDICAMENTS) -> Any:
    """The newest ordonnance of ``kind`` in a history (newest first) that was not cancelled
    or refused (« Renouveler » renews the medicines, the biology… the physician chose)."""
    for entry in history:
        ordonnance = getattr(entry, "ordonnance", entry)
        if getattr(ordonnance, "kind", OrdonnanceKind.MEDICAMENTS) is not kind:
            continue
        status = getattr(entry, "status", None)
        if status is None or status.renewable:
            return ordonnance
    return None


# ---- alerts -----------------------------------------------------------------------------------


@dataclass(slots=True)
class DraftAlert:
    """One alert shown beside the ordonnance. ``key`` identifies it across recomputations."""

    level: str
    title: str  # what interacts (substances or classes), or the condition
    drugs: str = ""  # the drugs of the ordonnance (or current treatments) involved
    description: str = ""
    conduct: str = ""
    cis: tuple[str, ...] = ()
    key: tuple[object, ...] = field(default=())

    @property
    def level_label(self) -> str:
        return LEVEL_LABELS.get(self.level, self.level)

    @property
    def blocking(self) -> bool:
        """A contre-indication or an allergy needs an explicit acknowledgement before signing
        (``lap_app.services.safety``); nothing else blocks."""
        return self.level in BLOCKING_LEVELS

    @property
    def alert_id(self) -> str:
        """A short id that names this alert on the command line (``--acknowledge CI-3f9a2c``):
        the same for the same level, drugs and substances, from one run to the next."""
        import hashlib

        digest = hashlib.sha256(repr(self.key or (self.level, self.title)).encode("utf-8")).hexdigest()
        return f"{self.level}-{digest[:6]}"

    def text(self) -> str:
        """The alert in one paragraph, as the physician reads it (French)."""
        parts = [f"{self.level_label} : {self.title}"]
        parts += [part for part in (self.drugs, self.description, self.conduct) if part]
        return " — ".join(parts)


def draft_alerts(drugs: Any, lines: Sequence[PrescriptionLine], current_cis: Sequence[str] = (),
                 allergies: Sequence[str] = ()) -> list[DraftAlert]:
    """Interactions, redundancy, allergies and prescribing conditions for the lines, worst first."""
    if drugs is None:
        return []
    names = {line.cis: line.dci_wording or line.product_name or "" for line in lines if line.cis}
    alerts: list[DraftAlert] = []
    known = {cis: drugs.get(cis) for cis in dict.fromkeys([*(line.cis for line in lines if line.cis), *current_cis])}
    cis_list = [line.cis for line in lines if line.cis and known.get(line.cis)]
    current = [cis for cis in current_cis if known.get(cis)]  # a drug gone from the base is skipped
    if cis_list:
        for found in drugs.check_interactions(cis_list, current_cis=current, allergies=tuple(allergies)):
            alerts.append(_from_interaction(found, names))
    for cis in dict.fromkeys(cis_list):
        drug = known[cis]
        for condition, note in _notable_conditions(drug):
            alerts.append(DraftAlert(
                level="CONDITION", title=condition, drugs=names.get(cis, cis), description=note, cis=(cis,),
                key=("CONDITION", cis, condition),
            ))
    alerts.sort(key=lambda a: LEVEL_ORDER.get(a.level, 99))
    return alerts


def load_interaction_index(path: Any) -> tuple[str, Any]:
    """Load the drug base's interaction index in the calling (worker) thread, on a connection of
    its own, for ``DrugDatabase.adopt_interaction_index`` in the GUI thread (see the editor)."""
    from lap_app.drugs import open_drug_database

    with open_drug_database(path) as own:
        return own.load_interaction_index()


def adopt_interaction_index(drugs: Any, loaded: tuple[str, Any]) -> bool:
    """Hand what ``load_interaction_index`` loaded to the GUI thread's drug base (in that
    thread); False when it is not taken (already loaded, another release, base closed)."""
    try:
        return bool(drugs.adopt_interaction_index(*loaded))
    except sqlite3.Error:  # the base was closed meanwhile: the application is shutting down
        return False


def substance_suggestions(drugs: Any, text: str, limit: int = 15) -> list[str]:
    """Substance names for an allergy field, from the drugs matching what is typed.

    The thesaurus name ("amoxicilline") is preferred: it is what the allergy check matches.
    """
    if drugs is None or len(text.strip()) < 2:
        return []
    needle = _fold(text)
    found: dict[str, str] = {}
    for drug in drugs.search(text, limit=40):
        for substance in _attr(drug, "substances", default=()) or ():
            name = str(_attr(substance, "interaction_key") or _attr(substance, "name", default="")).lower()
            if needle in _fold(name) and _fold(name) not in found:
                found[_fold(name)] = name
    return sorted(found.values(), key=lambda n: (not _fold(n).startswith(needle), n))[:limit]


def _fold(text: str) -> str:
    import unicodedata

    decomposed = unicodedata.normalize("NFKD", text.strip().lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _from_interaction(found: Any, names: dict[str, str]) -> DraftAlert:
    level = str(_attr(found, "level", default="APEC"))
    level = getattr(level, "value", level)
    cis = tuple(str(c) for c in (_attr(found, "cis", default=()) or ()) if c)
    substances = [str(s) for s in (_attr(found, "substances", default=()) or ())]
    drug_names = [str(n) for n in (_attr(found, "drug_names", default=()) or ())]
    who = []
    for index, code in enumerate(cis):
        if code in names:
            who.append(names[code])
        else:  # not on this ordonnance: a long-term treatment
            name = drug_names[index] if index < len(drug_names) else code
            who.append(_("{name} (traitement en cours)").format(name=name))
    what = " + ".join(substances)
    return DraftAlert(
        level=level,
        title=what or " + ".join(who),
        drugs=" + ".join(who) if what else "",
        description=" ".join(str(_attr(found, "description", default="") or "").split()),
        conduct=" ".join(str(_attr(found, "conduct", default="") or "").split()),
        cis=cis,
        key=(level, tuple(sorted(cis)), tuple(sorted(substances))),
    )


# Conditions that every prescription drug carries (liste I/II) are noise; the others (stupéfiant,
# hospital-only, exception…) deserve the prescriber's eye, with the drug base's note on why.
_ROUTINE_KINDS = ("LISTE_I", "LISTE_II")


def _notable_conditions(drug: Any) -> list[tuple[str, str]]:
    """(condition as published, why it matters) for the conditions worth an alert."""
    notable = []
    for condition in _attr(drug, "prescribing_conditions", default=()) or ():
        text = str(getattr(condition, "text", condition)).strip()
        kind = getattr(condition, "kind", "")
        if not text or kind in _ROUTINE_KINDS or text.lower().rstrip(".") in ("liste i", "liste ii"):
            continue
        note = str(getattr(condition, "note", "") or "").strip()
        if note.lower().rstrip(".") == text.lower().rstrip("."):
            note = ""
        if getattr(condition, "special_form", False):
            note = " ".join(filter(None, (note, _("Une ordonnance ordinaire ne suffit pas."))))
        notable.append((text[:1].upper() + text[1:], note))
    return notable


# ---- favourites and templates -----------------------------------------------------------------

CARE_KIND_KEY = "care_kind"  # marks a favourite line of another kind than medicines


def line_to_dict(line: PrescriptionLine) -> dict[str, Any]:
    posology = {name: getattr(line.posology, name) for name in Posology.__slots__}
    return {
        "dci_wording": line.dci_wording,
        "posology": posology,
        "cis": line.cis,
        "cip13": line.cip13,
        "product_name": line.product_name,
        "pack_label": line.pack_label,
        "boxes": line.boxes,
        "supply_duration": (
            {"value": line.supply_duration.value, "unit": line.supply_duration.unit,
             "code": line.supply_duration.code} if line.supply_duration else None
        ),
        "renewals": line.renewals,
        "substitution_allowed": line.substitution_allowed,
        "non_substitution_reason": line.non_substitution_reason.value if line.non_substitution_reason else None,
        "instructions": line.instructions,
        "zone": line.zone.value,
    }


def line_from_dict(data: dict[str, Any]) -> PrescriptionLine:
    posology_fields = {k: v for k, v in (data.get("posology") or {}).items() if k in Posology.__slots__}
    supply = data.get("supply_duration")
    reason = data.get("non_substitution_reason")
    return PrescriptionLine(
        dci_wording=data["dci_wording"],
        posology=Posology(**posology_fields),
        cis=data.get("cis"),
        cip13=data.get("cip13"),
        product_name=data.get("product_name"),
        pack_label=data.get("pack_label"),
        boxes=data.get("boxes"),
        supply_duration=Quantity(**supply) if supply else None,
        renewals=int(data.get("renewals") or 0),
        substitution_allowed=bool(data.get("substitution_allowed", True)),
        non_substitution_reason=NonSubstitutionReason(reason) if reason else None,
        instructions=data.get("instructions") or "",
        zone=Zone(data.get("zone") or Zone.HORS_ALD.value),
    )


@dataclass(slots=True)
class Favourite:
    id: int
    name: str
    line: PrescriptionLine


@dataclass(slots=True)
class Template:
    id: int
    name: str
    lines: list[PrescriptionLine]


class DraftingLibrary:
    """Favourite lines and ordonnance templates of the practice, and each patient's draft
    (local store, ``lap_app.storage.drafting_library``). Raises ``UserError`` when the store fails."""

    def __init__(self, connection: StoreConnection) -> None:
        self._tables = DraftingTables(connection)
        # each patient's draft version as this workstation last read or wrote it: a save over a
        # draft changed meanwhile on another workstation is refused (``EditConflict``), not lost
        self._read_versions: dict[int, int] = {}

    def add_favourite(self, line: PrescriptionLine, name: str | None = None) -> Favourite:
        label = (name or "").strip() or f"{line.dci_wording} — {line.posology.sentence()}"
        return Favourite(self._tables.add_favourite(label, line_to_dict(line)), label, line)

    def favourites(self) -> list[Favourite]:
        """The medicine favourites (the other kinds': ``care_favourites``)."""
        return [Favourite(i, n, line_from_dict(data)) for i, n, data in self._tables.favourites()
                if CARE_KIND_KEY not in data]

    def add_care_favourite(self, kind: OrdonnanceKind, line: Any, name: str | None = None) -> Any:
        """One line of a non-medicine kind (an INR every week, a dressing…), kept with its kind
        in the same table as the medicine favourites."""
        from lap_app.domain.care_text import line_wording
        from lap_app.services.care_drafting import CareFavourite, care_line_to_dict

        label = (name or "").strip() or line_wording(line).text()
        data = {CARE_KIND_KEY: kind.value, "line": care_line_to_dict(line)}
        return CareFavourite(self._tables.add_favourite(label, data), label, kind, care_line_to_dict(line))

    def care_favourites(self, kind: OrdonnanceKind) -> list[Any]:
        from lap_app.services.care_drafting import CareFavourite

        return [CareFavourite(i, n, kind, data["line"]) for i, n, data in self._tables.favourites()
                if data.get(CARE_KIND_KEY) == kind.value]

    def remove_favourite(self, favourite_id: int) -> None:
        self._tables.remove_favourite(favourite_id)

    def save_template(self, name: str, lines: Sequence[PrescriptionLine]) -> Template:
        """Create or replace the template called ``name``."""
        name = name.strip()
        if not name:
            raise UserError(_("Donnez un nom au modèle d'ordonnance."))
        if not lines:
            raise UserError(_("L'ordonnance est vide : rien à enregistrer comme modèle."))
        template_id = self._tables.save_template(name, [line_to_dict(line) for line in lines])
        return Template(template_id, name, list(lines))

    def save_care_template(self, name: str, kind: OrdonnanceKind, lines: Sequence[Any]) -> Any:
        """Keep the lines of a non-medicine kind as the physician's own template."""
        from lap_app.services.care_drafting import care_line_to_dict, template_from_lines

        template = template_from_lines(name, kind, lines)  # refuses an empty name or no line
        self._tables.save_care_template(kind.value, template.name, [care_line_to_dict(line) for line in lines])
        return template

    def care_templates(self) -> list[Any]:
        """The physician's own templates of every non-medicine kind (``CareTemplate``)."""
        from lap_app.services.care_templates import CareTemplate

        out = []
        for _id, kind_value, name, data in self._tables.care_templates():
            kind = OrdonnanceKind(kind_value)
            family = kind.families[0]
            out.append(CareTemplate(name, kind, partial(_care_lines, family, data)))
        return out

    def templates(self) -> list[Template]:
        return [Template(i, n, [line_from_dict(d) for d in data]) for i, n, data in self._tables.templates()]

    def remove_template(self, template_id: int) -> None:
        self._tables.remove_template(template_id)

    # ---- each patient's draft ----------------------------------------------------------------

    def save_draft(self, patient_id: int, lines: Sequence[PrescriptionLine]) -> None:
        """Keep ``lines`` as the patient's medicines being written (the other kinds' lines stay;
        a draft with no line left is deleted); raises ``UserError`` when the store cannot write
        it (locked, disk full...)."""
        self._save_part(patient_id, "lines", [{**line_to_dict(line), "resource_id": line.resource_id}
                                               for line in lines])

    def _save_part(self, patient_id: int, part: str, data: Any) -> None:
        self._read_versions[patient_id] = self._tables.save_draft_part(
            patient_id, part, data, read_version=self._read_versions.get(patient_id), readable=_read_parts)

    def _read(self, patient_id: int) -> dict[str, Any]:
        """The parts of the patient's stored draft ({} when none), every part read: one that
        cannot be (damaged, or written by a newer version) is set aside, kept as it was for
        support, and the physician is told (``UserError``); the patient then has no draft."""
        found = self._tables.draft_and_version(patient_id)
        if found is None:
            self._read_versions[patient_id] = 0
            return {}
        stored, version = found
        try:
            parts = draft_parts(stored)
            _read_parts(parts)
        except UNREADABLE as error:
            log.warning("stored draft of patient %s unreadable, set aside: %s", patient_id, why(error))
            self._tables.set_aside_draft(patient_id, version, error)
            self._read_versions[patient_id] = 0
            raise draft_set_aside() from error
        self._read_versions[patient_id] = version
        return parts

    def load_draft(self, patient_id: int) -> list[PrescriptionLine]:
        """The patient's saved medicine lines (empty when there is none)."""
        return _draft_lines(self._read(patient_id))

    def save_open_line(self, patient_id: int, open_line: OpenLine | None) -> None:
        """Keep the line left open in the patient's draft (None: no line open any more); same
        errors as ``save_draft``."""
        data = None if open_line is None else {
            "line": {**line_to_dict(open_line.line), "resource_id": open_line.line.resource_id},
            "editing": open_line.editing}
        self._save_part(patient_id, "open", data)

    def load_open_line(self, patient_id: int) -> OpenLine | None:
        """The line left open in the patient's saved draft, if any."""
        return _open_line(self._read(patient_id))

    def save_care_draft(self, patient_id: int, draft: Any) -> None:
        """Keep the lines of the other kinds (a ``CareDraft``: biology, nursing, devices...) as
        the patient's draft beside the medicines; same errors as ``save_draft``."""
        from lap_app.services.care_drafting import care_line_to_dict

        care = {kind.value: [{**care_line_to_dict(line), "resource_id": line.resource_id}
                             for line in draft.lines[kind]] for kind in draft.kinds_with_lines()}
        self._save_part(patient_id, "care", care)

    def load_care_draft(self, patient_id: int) -> Any:
        """The patient's saved lines of the other kinds, as a ``CareDraft`` (empty when none)."""
        return _care_draft(self._read(patient_id))

    def set_aside_drafts(self) -> list[SetAsideDraft]:
        """The drafts that could not be read back, as they were stored (for support)."""
        return self._tables.set_aside_drafts()

    def delete_draft(self, patient_id: int) -> None:
        self._tables.delete_draft(patient_id)
        self._read_versions[patient_id] = 0

    def patients_with_draft(self) -> set[int]:
        """Patients whose ordonnance is being written (the patient list marks them)."""
        return self._tables.patients_with_draft()


def _draft_lines(parts: dict[str, Any]) -> list[PrescriptionLine]:
    return [_with_identity(line_from_dict(item), item.get("resource_id")) for item in parts.get("lines") or []]


def _open_line(parts: dict[str, Any]) -> OpenLine | None:
    data = parts.get("open")
    if not data:
        return None
    item = data["line"]
    return OpenLine(_with_identity(line_from_dict(item), item.get("resource_id")), bool(data.get("editing")))


def _care_draft(parts: dict[str, Any]) -> Any:
    from lap_app.services.care_drafting import CareDraft, care_line_from_dict, draft_family

    draft = CareDraft()
    for kind_value, items in (parts.get("care") or {}).items():
        kind = OrdonnanceKind(kind_value)
        for item in items:
            draft.add(kind, care_line_from_dict(draft_family(kind), item))
    return draft


def _read_parts(parts: dict[str, Any]) -> None:
    """Every part of a stored draft read as this version reads it (raises ``UNREADABLE``)."""
    _draft_lines(parts)
    _open_line(parts)
    _care_draft(parts)


def _with_identity(line: PrescriptionLine, resource_id: str | None) -> PrescriptionLine:
    if resource_id:
        line.resource_id = resource_id
    return line


def _care_lines(family: Any, data: list[dict[str, Any]]) -> list[Any]:
    """Fresh lines of a stored care template."""
    from lap_app.services.care_drafting import care_line_from_dict

    return [care_line_from_dict(family, item) for item in data]
