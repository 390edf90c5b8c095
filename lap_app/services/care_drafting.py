"""The non-medicine ordonnances being written in a consultation: lines per kind, their
search in the NABM/LPP nomenclatures, templates (built-in and the physician's own),
renewal of the last ordonnance of a kind, and the ordonnances built for validation.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from lap_app.domain.care import ActLine, BiologyLine, DeviceLine, DeviceSupply, NursingLine, SessionLine
from lap_app.domain.care_validation import CodeState
from lap_app.domain.errors import UserError
from lap_app.domain.kinds import LineFamily, OrdonnanceKind
from lap_app.domain.model import Ordonnance, Patient, Prescriber, Zone, new_resource_id
from lap_app.i18n import _
from lap_app.services.care_templates import BUILT_IN_TEMPLATES, CareTemplate
from lap_app.services.drafting import last_renewable

CARE_KINDS = tuple(kind for kind in OrdonnanceKind if kind is not OrdonnanceKind.MEDICAMENTS)
# The draft also holds the LPP devices written on the medicines ordonnance (a pharmacy delivers
# both): under MEDICAMENTS, whose medicine lines the medicines editor keeps.
DRAFT_KINDS = (OrdonnanceKind.MEDICAMENTS, *CARE_KINDS)


def draft_family(kind: OrdonnanceKind) -> LineFamily:
    """The family of the lines the draft holds for ``kind`` (devices for the medicines ordonnance)."""
    return LineFamily.DEVICES if kind is OrdonnanceKind.MEDICAMENTS else kind.families[0]
LINE_TYPES: dict[LineFamily, type] = {
    LineFamily.DEVICES: DeviceLine,
    LineFamily.ANALYSES: BiologyLine,
    LineFamily.NURSING: NursingLine,
    LineFamily.SESSIONS: SessionLine,
    LineFamily.ACTS: ActLine,
}
NOMENCLATURE_OF = {OrdonnanceKind.BIOLOGIE: "biologie", OrdonnanceKind.DISPOSITIFS: "dispositifs"}


def care_line_to_dict(line: Any) -> dict[str, Any]:
    data = dataclasses.asdict(line)
    data.pop("resource_id", None)
    for key, value in data.items():
        if isinstance(value, (Zone, DeviceSupply)):
            data[key] = value.value
    return data


def care_line_from_dict(family: LineFamily, data: dict[str, Any]) -> Any:
    values = dict(data)
    values["zone"] = Zone(values.get("zone", Zone.HORS_ALD.value))
    if family is LineFamily.DEVICES:
        values["supply"] = DeviceSupply(values.get("supply", DeviceSupply.PURCHASE.value))
    return LINE_TYPES[family](**values)


def fresh(line: Any) -> Any:
    """A copy with a new identity (renewal, template)."""
    return dataclasses.replace(line, resource_id=new_resource_id())


@dataclass(frozen=True, slots=True)
class CareFavourite:
    """A line of a non-medicine kind the physician writes often, added in one click."""

    id: int
    name: str
    kind: OrdonnanceKind
    data: dict[str, Any]  # care_line_to_dict of the line

    def make_line(self) -> Any:
        return care_line_from_dict(draft_family(self.kind), self.data)


class CareDraft:
    """The lines of each non-medicine kind in the consultation being written, and the devices
    of the medicines ordonnance (``lines[MEDICAMENTS]``)."""

    def __init__(self) -> None:
        self.lines: dict[OrdonnanceKind, list[Any]] = {kind: [] for kind in DRAFT_KINDS}

    def add(self, kind: OrdonnanceKind, line: Any) -> None:
        family = draft_family(kind)
        if not isinstance(line, LINE_TYPES[family]):
            raise UserError(_("Cette ligne n'a pas sa place sur une ordonnance « {kind} ».").format(kind=kind.label))
        self.lines[kind].append(line)

    def remove(self, kind: OrdonnanceKind, index: int) -> Any:
        return self.lines[kind].pop(index)

    def clear(self, kinds: Iterable[OrdonnanceKind] | None = None) -> None:
        """Empty ``kinds`` (None: every kind) — those just made into ordonnances."""
        for kind, lines in self.lines.items():
            if kinds is None or kind in kinds:
                lines.clear()

    def kinds_with_lines(self) -> list[OrdonnanceKind]:
        return [kind for kind in DRAFT_KINDS if self.lines[kind]]

    def count(self) -> int:
        return sum(len(lines) for lines in self.lines.values())

    def move_out_of_ald(self) -> None:
        for lines in self.lines.values():
            for line in lines:
                line.zone = Zone.HORS_ALD


def build_ordonnances(draft: CareDraft, prescriber: Prescriber, patient: Patient, *,
                      opposition: bool = False) -> list[Ordonnance]:
    """One ordonnance per kind that has lines, in the order of ``OrdonnanceKind`` (the devices
    of the medicines ordonnance go on it: ``ordonnance_builder.build_consultation``)."""
    written_at = datetime.now(UTC).astimezone()
    out = []
    for kind in draft.kinds_with_lines():
        if kind is OrdonnanceKind.MEDICAMENTS:
            continue
        ordonnance = Ordonnance(prescriber=dataclasses.replace(prescriber), patient=dataclasses.replace(patient),
                                lines=[], written_at=written_at, opposition=opposition, kind=kind)
        ordonnance.family(kind.families[0]).extend(draft.lines[kind])
        out.append(ordonnance)
    return out


def renewal_of_kind(history: Sequence[Any], kind: OrdonnanceKind) -> list[Any]:
    """The lines of the newest ordonnance of ``kind`` (fresh copies), [] when there is none."""
    previous = last_renewable(history, kind)
    if previous is None:
        return []
    return [fresh(line) for line in previous.family(kind.families[0])]


def templates_for(kind: OrdonnanceKind, own: Sequence[CareTemplate] = ()) -> list[CareTemplate]:
    """The templates of ``kind`` among the practice's own (the ready-made ones are the demo's:
    ``seed_ready_made_templates``)."""
    return [t for t in own if t.kind is kind]


def seed_ready_made_templates(library: Any) -> int:
    """Give an empty template list the ready-made ones (the demo ships them); returns how many."""
    if library.care_templates():
        return 0
    for template in BUILT_IN_TEMPLATES:
        library.save_care_template(template.label, template.kind, template.make_lines())
    return len(BUILT_IN_TEMPLATES)


def template_from_lines(name: str, kind: OrdonnanceKind, lines: Sequence[Any]) -> CareTemplate:
    family = kind.families[0]
    stored = [care_line_to_dict(line) for line in lines]
    if not name.strip():
        raise UserError(_("Donnez un nom au modèle."))
    if not stored:
        raise UserError(_("Le modèle ne contient aucune ligne."))
    return CareTemplate(name.strip(), kind, lambda: [care_line_from_dict(family, d) for d in stored])


class NomenclatureSearch:
    """NABM / LPP search and the code check the editor uses (the database opened once)."""

    def __init__(self, database: Any = None) -> None:
        self._database = database

    @property
    def database(self) -> Any:
        if self._database is None:
            from lap_app.nomenclatures import open_nomenclatures

            self._database = open_nomenclatures()
        return self._database

    def search(self, kind: OrdonnanceKind, query: str, limit: int = 30) -> list[Any]:
        nomenclature = NOMENCLATURE_OF.get(kind)
        if nomenclature is None or not query.strip():
            return []
        return list(self.database.search(nomenclature, query, limit=limit))

    def line_for(self, kind: OrdonnanceKind, entry: Any, **options: Any) -> Any:
        """A line for a search result, refused in French when its code is closed."""
        if entry.closed:
            from lap_app.domain.care_validation import closed_code_message

            system = "NABM" if kind is OrdonnanceKind.BIOLOGIE else "LPP"
            raise UserError(closed_code_message(system, entry.code, entry.closed_on))
        if kind is OrdonnanceKind.BIOLOGIE:
            return BiologyLine(entry.code, entry.label, **options)
        return DeviceLine(entry.code, entry.label, **options)

    def is_open(self, system: str, code: str) -> bool:
        return bool(self.database.code_status(system, code).state is CodeState.OPEN)


