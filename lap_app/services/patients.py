"""The practice's patients in the local store: search, create, edit.

A ``PatientRecord`` holds what the physician records about a patient (identity, INS, weight and
height, ALD status, allergies, long-term treatments, the patient's choice about dispensing data)
and produces the ``domain.model.Patient`` printed on the ordonnance. ``PatientService`` is the
only code that runs SQL on the ``patients`` table; the UI calls it.

The table is created by ``lap_app.storage.practice_schema.PATIENTS_STEP`` (a step of the local
store's migration list).
"""

from __future__ import annotations

import json
import sqlite3
import unicodedata
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from typing import Any

from lap_app.domain.errors import Problem, ValidationError
from lap_app.domain.model import OID_INS_NIR, Patient, Sex, new_resource_id
from lap_app.i18n import _

# Children: weight (and height) are asked for, doses depend on them.
CHILD_AGE_YEARS = 18



@dataclass(slots=True)
class LongTermTreatment:
    """A drug the patient takes outside this ordonnance (checked for interactions)."""

    label: str
    cis: str | None = None


@dataclass(slots=True)
class PatientRecord:
    family_name: str
    given_names: list[str]
    sex: Sex
    birth_date: date | None
    ins: str | None = None
    weight_kg: float | None = None
    height_cm: float | None = None
    ald: bool = False
    ald_label: str = ""
    allergies: list[str] = field(default_factory=list)
    treatments: list[LongTermTreatment] = field(default_factory=list)
    opposition: bool = False  # objects to the prescriber seeing dispensing data
    id: int | None = None
    resource_id: str = field(default_factory=new_resource_id)

    @property
    def display_name(self) -> str:
        return " ".join([self.family_name.upper(), *self.given_names]).strip()

    def age_years(self, on: date | None = None) -> int | None:
        if self.birth_date is None:
            return None
        day = on or date.today()
        years = day.year - self.birth_date.year
        if (day.month, day.day) < (self.birth_date.month, self.birth_date.day):
            years -= 1
        return years

    def is_child(self, on: date | None = None) -> bool:
        age = self.age_years(on)
        return age is not None and age < CHILD_AGE_YEARS

    @property
    def treatment_cis(self) -> list[str]:
        return [t.cis for t in self.treatments if t.cis]

    def to_patient(self) -> Patient:
        return Patient(
            family_name=self.family_name,
            given_names=list(self.given_names),
            sex=self.sex,
            birth_date=self.birth_date,
            ins=self.ins,
            ins_system=OID_INS_NIR,
            weight_kg=self.weight_kg,
            height_cm=self.height_cm,
            resource_id=self.resource_id,
        )


def search_key(text: str) -> str:
    """Upper case without accents or punctuation, so "Hélène d'Aubigné" matches "helene daub"."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).upper()
    cleaned = "".join(c if c.isalnum() else (" " if c in " -" else "") for c in plain)
    return " ".join(cleaned.split())


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
    """Patients in the local store (one SQLite connection, used from one thread)."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        # its own connection to the store file (``lap_app.storage.connect``), used from the GUI
        # thread, so patient edits never interleave with a worker's transaction on another one
        self._db = connection

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
        if record.ins and not problems:
            clash = self._db.execute(
                "SELECT id FROM patients WHERE ins = ? AND id IS NOT ?", (record.ins, record.id)
            ).fetchone()
            if clash:
                problems.append(Problem("ins", _("ce NIR est déjà celui d'un autre patient")))
        if problems:
            raise ValidationError(_("Patient incomplet ou incorrect"), problems)
        row = _to_row(record)
        with self._db:
            if record.id is None:
                cursor = self._db.execute(
                    f"INSERT INTO patients ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})",
                    tuple(row.values()),
                )
                record = replace(record, id=cursor.lastrowid)
            else:
                assignments = ", ".join(f"{column} = ?" for column in row)
                self._db.execute(
                    f"UPDATE patients SET {assignments} WHERE id = ?", (*row.values(), record.id)
                )
        return record

    def get(self, patient_id: int) -> PatientRecord | None:
        row = self._db.execute(f"SELECT {_COLUMNS} FROM patients WHERE id = ?", (patient_id,)).fetchone()
        return _from_row(row) if row else None

    def search(self, text: str, limit: int = 50) -> list[PatientRecord]:
        """Patients whose names start with every word typed, or by INS or birth date."""
        text = text.strip()
        if not text:
            sql = f"SELECT {_COLUMNS} FROM patients ORDER BY updated_at DESC LIMIT ?"
            return [_from_row(r) for r in self._db.execute(sql, (limit,))]
        day = _parse_day(text)
        if day is not None:
            sql = f"SELECT {_COLUMNS} FROM patients WHERE birth_date = ? ORDER BY search_key LIMIT ?"
            return [_from_row(r) for r in self._db.execute(sql, (day.isoformat(), limit))]
        compact = normalize_ins(text) or ""
        if len(compact) >= 3 and compact[0].isdigit() and compact[1:].replace("A", "").replace("B", "").isdigit():
            sql = f"SELECT {_COLUMNS} FROM patients WHERE ins LIKE ? ORDER BY search_key LIMIT ?"
            return [_from_row(r) for r in self._db.execute(sql, (compact + "%", limit))]
        words = search_key(text).split()
        if not words:
            return []
        where = " AND ".join("search_key LIKE ?" for _word in words)
        params = [f"% {_escape_like(word)}%" for word in words]
        sql = f"SELECT {_COLUMNS} FROM patients WHERE {where} ESCAPE '\\' ORDER BY search_key LIMIT ?"
        return [_from_row(r) for r in self._db.execute(sql, (*params, limit))]

    def count(self) -> int:
        count: int = self._db.execute("SELECT count(*) FROM patients").fetchone()[0]
        return count


_COLUMN_LIST = (
    "id", "resource_id", "family_name", "given_names", "sex", "birth_date", "ins", "weight_kg",
    "height_cm", "ald", "ald_label", "allergies", "treatments", "opposition",
)
_COLUMNS = ", ".join(_COLUMN_LIST)


def _to_row(record: PatientRecord) -> dict[str, object]:
    return {
        "resource_id": record.resource_id,
        "family_name": record.family_name,
        "given_names": json.dumps(record.given_names, ensure_ascii=False),
        "sex": record.sex.value,
        "birth_date": record.birth_date.isoformat() if record.birth_date else None,
        "ins": record.ins,
        "weight_kg": record.weight_kg,
        "height_cm": record.height_cm,
        "ald": int(record.ald),
        "ald_label": record.ald_label.strip(),
        "allergies": json.dumps(record.allergies, ensure_ascii=False),
        "treatments": json.dumps(
            [{"label": t.label, "cis": t.cis} for t in record.treatments], ensure_ascii=False
        ),
        "opposition": int(record.opposition),
        "search_key": " " + search_key(" ".join([record.family_name, *record.given_names])) + " ",
        "updated_at": datetime.now(UTC).isoformat(),
    }


def _from_row(row: tuple[Any, ...]) -> PatientRecord:
    values = dict(zip(_COLUMN_LIST, row, strict=False))
    return PatientRecord(
        id=values["id"],
        resource_id=values["resource_id"],
        family_name=values["family_name"],
        given_names=json.loads(values["given_names"]),
        sex=Sex(values["sex"]),
        birth_date=date.fromisoformat(values["birth_date"]) if values["birth_date"] else None,
        ins=values["ins"],
        weight_kg=values["weight_kg"],
        height_cm=values["height_cm"],
        ald=bool(values["ald"]),
        ald_label=values["ald_label"],
        allergies=json.loads(values["allergies"]),
        treatments=[LongTermTreatment(t["label"], t.get("cis")) for t in json.loads(values["treatments"])],
        opposition=bool(values["opposition"]),
    )


def _parse_day(text: str) -> date | None:
    for fmt in ("%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y-%m-%d"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def _escape_like(word: str) -> str:
    return word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _unique(items: list[str]) -> list[str]:
    seen: dict[str, str] = {}
    for item in items:
        cleaned = item.strip()
        if cleaned and search_key(cleaned) not in seen:
            seen[search_key(cleaned)] = cleaned
    return list(seen.values())
