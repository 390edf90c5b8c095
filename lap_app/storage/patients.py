"""The practice's patients in the local store (table ``patients``): the only SQL on that table.

Rules (what a valid record is, how a typed search is read) are the service's
(``lap_app.services.patients``); this module stores and finds records.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any

from lap_app.domain.model import Sex
from lap_app.domain.patient_record import LongTermTreatment, PatientRecord, search_key
from lap_app.domain.physiology import Creatinine
from lap_app.i18n import _
from lap_app.storage.engine import StoreConnection
from lap_app.storage.errors import EditConflict
from lap_app.storage.transaction import write_transaction

_COLUMN_LIST = (
    "id", "resource_id", "family_name", "given_names", "sex", "birth_date", "ins", "weight_kg",
    "height_cm", "ald", "ald_label", "allergies", "treatments", "opposition", "physiology", "row_version",
)
_COLUMNS = ", ".join(_COLUMN_LIST)


class PatientTable:
    """Patients on one connection to the store (used from one thread)."""

    def __init__(self, connection: StoreConnection) -> None:
        self._db = connection

    def ins_owner(self, ins: str, other_than: int | None = None) -> int | None:
        """The id of the patient (other than ``other_than``) who has this INS, if any."""
        if other_than is None:
            row = self._db.execute("SELECT id FROM patients WHERE ins = ?", (ins,)).fetchone()
        else:
            row = self._db.execute("SELECT id FROM patients WHERE ins = ? AND id <> ?", (ins, other_than)).fetchone()
        return int(row[0]) if row else None

    def save(self, record: PatientRecord) -> PatientRecord:
        """Insert (``record.id`` None) or update; returns the record with its id and new version.

        An update applies only over the version the record was read at (``row_version``): when
        another workstation saved the patient meanwhile, nothing is written and ``EditConflict``
        says so (in French). A record never read from the store (``row_version`` 0) updates as is."""
        row = _to_row(record)
        with write_transaction(self._db):
            if record.id is None:
                (new_id,) = self._db.execute(
                    f"INSERT INTO patients ({', '.join(row)}) VALUES ({', '.join('?' * len(row))}) RETURNING id",
                    tuple(row.values())).fetchone()
                return replace(record, id=int(new_id), row_version=1)
            assignments = ", ".join(f"{column} = ?" for column in row)
            condition, params = ("id = ? AND row_version = ?", (record.id, record.row_version)) if record.row_version \
                else ("id = ?", (record.id,))
            updated = self._db.execute(
                f"UPDATE patients SET {assignments}, row_version = row_version + 1 WHERE {condition} RETURNING row_version",
                (*row.values(), *params)).fetchone()
        if updated is None:
            raise patient_conflict(record)
        return replace(record, row_version=int(updated[0]))

    def get(self, patient_id: int) -> PatientRecord | None:
        row = self._db.execute(f"SELECT {_COLUMNS} FROM patients WHERE id = ?", (patient_id,)).fetchone()
        return _from_row(row) if row else None

    def recent(self, limit: int) -> list[PatientRecord]:
        return self._select("ORDER BY updated_at DESC LIMIT ?", (limit,))

    def born_on(self, day: date, limit: int) -> list[PatientRecord]:
        return self._select("WHERE birth_date = ? ORDER BY search_key LIMIT ?", (day.isoformat(), limit))

    def ins_starting_with(self, prefix: str, limit: int) -> list[PatientRecord]:
        return self._select("WHERE ins LIKE ? ESCAPE '\\' ORDER BY search_key LIMIT ?",
                            (_escape_like(prefix) + "%", limit))

    def names_starting_with(self, words: list[str], limit: int) -> list[PatientRecord]:
        """Patients with a name word starting with each of ``words`` (already ``search_key``-ed)."""
        where = " AND ".join("search_key LIKE ?" for _word in words)
        params = [f"% {_escape_like(word)}%" for word in words]
        return self._select(f"WHERE {where} ESCAPE '\\' ORDER BY search_key LIMIT ?", (*params, limit))

    def count(self) -> int:
        count: int = self._db.execute("SELECT count(*) FROM patients").fetchone()[0]
        return count

    def _select(self, clauses: str, params: tuple[object, ...]) -> list[PatientRecord]:
        return [_from_row(r) for r in self._db.execute(f"SELECT {_COLUMNS} FROM patients {clauses}", params)]


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
        "physiology": _physiology_json(record),
        "search_key": " " + search_key(" ".join([record.family_name, *record.given_names])) + " ",
        "updated_at": datetime.now(UTC).isoformat(),
    }


def _from_row(row: tuple[object, ...]) -> PatientRecord:
    values: dict[str, Any] = dict(zip(_COLUMN_LIST, row, strict=True))
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
        **_physiology_fields(values["physiology"]),
        row_version=int(values["row_version"]),
    )


def _physiology_json(record: PatientRecord) -> str:
    """Pregnancy, breastfeeding and the last creatinine, as one JSON column."""
    creatinine = record.creatinine
    return json.dumps({
        "pregnant": record.pregnant, "pregnancy_weeks": record.pregnancy_weeks, "breastfeeding": record.breastfeeding,
        "creatinine": None if creatinine is None else {
            "value": creatinine.value, "unit": creatinine.unit, "date": creatinine.measured_on.isoformat()},
    }, ensure_ascii=False)


def _physiology_fields(text: str | None) -> dict[str, Any]:
    data = json.loads(text or "{}")
    creatinine = data.get("creatinine")
    return {
        "pregnant": bool(data.get("pregnant", False)),
        "pregnancy_weeks": data.get("pregnancy_weeks"),
        "breastfeeding": bool(data.get("breastfeeding", False)),
        "creatinine": None if not creatinine else Creatinine(
            float(creatinine["value"]), str(creatinine["unit"]), date.fromisoformat(creatinine["date"])),
    }


def patient_conflict(record: PatientRecord) -> EditConflict:
    return EditConflict(_("La fiche de {name} a été modifiée sur un autre poste depuis que vous l'avez ouverte : "
                          "rien n'a été écrasé ; rouvrez-la pour voir la version enregistrée, puis refaites vos "
                          "modifications")
                        .format(name=record.display_name))


def _escape_like(word: str) -> str:
    return word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
