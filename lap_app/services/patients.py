"""The practice's patients: search, create, edit, with the rules a record must follow.

A ``PatientRecord`` (``lap_app.domain.patient_record``) holds what the physician records about a
patient; ``PatientService`` validates it and reads a typed search (name words, INS, birth date);
the SQL is ``lap_app.storage.patients``. The UI calls the service.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime

from lap_app.domain.errors import Problem, ValidationError
from lap_app.domain.model import Sex
from lap_app.domain.patient_record import CHILD_AGE_YEARS, LongTermTreatment, PatientRecord, search_key
from lap_app.i18n import _
from lap_app.storage.engine import StoreConnection
from lap_app.storage.patients import PatientTable

__all__ = [
    "CHILD_AGE_YEARS", "LongTermTreatment", "PatientRecord", "PatientService", "ins_problems", "normalize_ins",
    "search_key", "validate_patient",
]


def normalize_ins(text: str | None) -> str | None:
    """Spaces and dots removed, upper case (Corsica 2A/2B); None when empty."""
    if text is None:
        return None
    compact = "".join(c for c in text if c not in " .-\t").upper()
    return compact or None


def validate_patient(record: PatientRecord, today: date | None = None) -> list[Problem]:
    """Every problem with the record, with the field it concerns, in French."""
    today = today or date.today()
    problems: list[Problem] = []
    if not record.family_name.strip():
        problems.append(Problem("family_name", _("le nom de famille est obligatoire")))
    if not any(name.strip() for name in record.given_names):
        problems.append(Problem("given_names", _("le prénom est obligatoire")))
    if record.sex not in (Sex.MALE, Sex.FEMALE, Sex.OTHER):
        problems.append(Problem("sex", _("le sexe est obligatoire")))
    if record.birth_date is None:
        problems.append(Problem("birth_date", _("la date de naissance est obligatoire")))
    elif record.birth_date > today:
        problems.append(Problem("birth_date", _("la date de naissance est dans le futur")))
    elif today.year - record.birth_date.year > 130:
        problems.append(Problem("birth_date", _("la date de naissance est invraisemblable")))
    if record.ins:
        problems.extend(Problem("ins", message) for message in ins_problems(record.ins, record.sex))
    if record.weight_kg is not None and not 0.2 <= record.weight_kg <= 400:
        problems.append(Problem("weight_kg", _("le poids doit être compris entre 0,2 et 400 kg")))
    if record.height_cm is not None and not 20 <= record.height_cm <= 250:
        problems.append(Problem("height_cm", _("la taille doit être comprise entre 20 et 250 cm")))
    if record.birth_date and record.birth_date <= today and record.is_child(today) and record.weight_kg is None:
        problems.append(Problem("weight_kg", _("le poids est obligatoire pour un enfant")))
    if record.ald and not record.ald_label.strip():
        problems.append(Problem("ald_label", _("précisez l'affection de longue durée")))
    return problems


def ins_problems(ins: str, sex: Sex) -> list[str]:
    """French messages for a wrong INS/NIR (length, characters, key, sex digit)."""
    from lap_app.domain.identifiers import nir_problem

    message = nir_problem(ins)
    if message:
        return [message]
    sex_digit = ins[0]
    if (sex_digit == "1" and sex is Sex.FEMALE) or (sex_digit == "2" and sex is Sex.MALE):
        return [_("le NIR commence par {digit} : il ne correspond pas au sexe indiqué").format(
            digit=sex_digit
        )]
    return []


class PatientService:
    """Patients in the practice store (one connection, SQLite or the practice server, used from one thread)."""

    def __init__(self, connection: StoreConnection) -> None:
        # its own connection to the store (``lap_app.storage.open_store``), used from the GUI
        # thread, so patient edits never interleave with a worker's transaction on another one
        self._table = PatientTable(connection)

    def save(self, record: PatientRecord) -> PatientRecord:
        """Insert or update; raises ``ValidationError`` (French, per field) when invalid."""
        record = replace(
            record,
            family_name=record.family_name.strip(),
            given_names=[name.strip() for name in record.given_names if name.strip()],
            sex=Sex(record.sex) if record.sex in Sex._value2member_map_ else Sex.UNKNOWN,
            ins=normalize_ins(record.ins),
            allergies=_unique(record.allergies),
        )
        problems = validate_patient(record)
        if record.ins and not problems and self._table.ins_owner(record.ins, record.id) is not None:
            problems.append(Problem("ins", _("ce NIR est déjà celui d'un autre patient")))
        if problems:
            raise ValidationError(_("Patient incomplet ou incorrect"), problems)
        return self._table.save(record)

    def get(self, patient_id: int) -> PatientRecord | None:
        return self._table.get(patient_id)

    def by_ins(self, ins: str | None) -> PatientRecord | None:
        """The practice's record of the patient with this INS (spaces and dots ignored), if any."""
        ins = normalize_ins(ins)
        owner = self._table.ins_owner(ins) if ins else None
        return self._table.get(owner) if owner is not None else None

    def search(self, text: str, limit: int = 50) -> list[PatientRecord]:
        """Patients whose names start with every word typed, or by INS or birth date."""
        text = text.strip()
        if not text:
            return self._table.recent(limit)
        day = _parse_day(text)
        if day is not None:
            return self._table.born_on(day, limit)
        compact = normalize_ins(text) or ""
        if len(compact) >= 3 and compact[0].isdigit() and compact[1:].replace("A", "").replace("B", "").isdigit():
            return self._table.ins_starting_with(compact, limit)
        words = search_key(text).split()
        return self._table.names_starting_with(words, limit) if words else []

    def count(self) -> int:
        return self._table.count()


def _parse_day(text: str) -> date | None:
    for fmt in ("%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y-%m-%d"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def _unique(items: list[str]) -> list[str]:
    seen: dict[str, str] = {}
    for item in items:
        cleaned = item.strip()
        if cleaned and search_key(cleaned) not in seen:
            seen[search_key(cleaned)] = cleaned
    return list(seen.values())
