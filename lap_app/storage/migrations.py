"""The local store's schema, as an ordered list of migration steps.

``PRAGMA user_version`` holds how many steps a database has applied; opening the store runs
the missing ones, each in its own transaction, in order.

To change the schema, APPEND a step to ``MIGRATIONS`` (never edit, reorder or remove one that
has shipped). A step is either an SQL script (``str``, may hold several statements, in SQLite's
words: ``schema_version.dialect_ddl`` gives PostgreSQL's column types) or a callable
``step(conn: StoreConnection) -> None`` for data moves, written in SQL both engines run. The same
steps, in the same order, serve the SQLite file and the practice server. The steps of a part's own
tables live in ``storage`` too (``practice_schema.py``, ``dmp_schema.py``), so that the store
never imports the services.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from lap_app.storage.acknowledgement_schema import ACKNOWLEDGEMENTS_STEP
from lap_app.storage.dmp_schema import DMP_STEP
from lap_app.storage.patient_link import link_ordonnances_to_patients
from lap_app.storage.practice_schema import (
    CARE_TEMPLATES_STEP,
    DRAFTING_STEP,
    DRAFTS_SET_ASIDE_STEP,
    DRAFTS_STEP,
    PATIENTS_STEP,
    PHYSIOLOGY_STEP,
    PRACTICE_SETTINGS_STEP,
    ROW_VERSIONS_STEP,
)

if TYPE_CHECKING:
    from lap_app.storage.engine import StoreConnection

Step = str | Callable[["StoreConnection"], None]

_CIRCUIT = """
CREATE TABLE ordonnances (
    id INTEGER PRIMARY KEY,
    number TEXT UNIQUE,                 -- NULL for a paper ordonnance printed without number
    status TEXT NOT NULL,               -- see lap_app.domain.status.OrdonnanceStatus
    prescriber TEXT NOT NULL,           -- national identifier of the signer
    patient_name TEXT NOT NULL,
    opposition INTEGER NOT NULL DEFAULT 0,
    bundle TEXT NOT NULL,               -- the FHIR Bundle (signed once status >= signed)
    signer_certificate BLOB,            -- DER of the signing certificate
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL,
    last_error TEXT
);
CREATE INDEX ordonnances_by_status ON ordonnances (status);
CREATE TABLE outbox (
    id INTEGER PRIMARY KEY,
    ordonnance_id INTEGER NOT NULL UNIQUE REFERENCES ordonnances(id),
    number TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at REAL NOT NULL,
    last_error TEXT,
    created_at REAL NOT NULL
);
CREATE TABLE number_pool (
    number TEXT PRIMARY KEY,
    prescriber TEXT NOT NULL,
    expires_at REAL NOT NULL,
    taken_at REAL                       -- set once the number is given to an ordonnance
);
"""

MIGRATIONS: list[Step] = [
    _CIRCUIT,  # 1: ordonnances, outbox, reserved numbers
    PATIENTS_STEP,  # 2: patients (lap_app/storage/practice_schema.py)
    DRAFTING_STEP,  # 3: favourite lines and ordonnance templates
    DMP_STEP,  # 4: the DMP copies of the ordonnances (lap_app/storage/dmp_schema.py)
    DRAFTS_STEP,  # 5: each patient's ordonnance being written (practice_schema.py)
    link_ordonnances_to_patients,  # 6: ordonnances.patient_ref, back-filled (patient_link.py)
    ACKNOWLEDGEMENTS_STEP,  # 7: the acknowledged safety alerts of each ordonnance
    PHYSIOLOGY_STEP,  # 8: pregnancy, breastfeeding, last creatinine (practice_schema.py)
    CARE_TEMPLATES_STEP,  # 9: own templates of biology, nursing… (practice_schema.py)
    ROW_VERSIONS_STEP,  # 10: row versions of patients and drafts: edit conflicts seen (practice_schema.py)
    PRACTICE_SETTINGS_STEP,  # 11: the practice's shared settings (practice_schema.py)
    DRAFTS_SET_ASIDE_STEP,  # 12: the drafts that could not be read back, kept for support (practice_schema.py)
]
