"""Schema steps for the practice's own tables: patients, favourites, templates, drafts.

Appended to ``MIGRATIONS`` in ``migrations.py``; the SQL on them is ``storage.patients`` and
``storage.drafting_library``, which ``lap_app.services.patients`` and
``lap_app.services.drafting`` call.
"""

from __future__ import annotations

PATIENTS_STEP = """
CREATE TABLE patients (
    id INTEGER PRIMARY KEY,
    resource_id TEXT NOT NULL,          -- FHIR Patient fullUrl, stable for the patient
    family_name TEXT NOT NULL,
    given_names TEXT NOT NULL,          -- JSON list
    sex TEXT NOT NULL,
    birth_date TEXT,                    -- ISO date
    ins TEXT,                           -- 15 characters, key included
    weight_kg REAL,
    height_cm REAL,
    ald INTEGER NOT NULL DEFAULT 0,
    ald_label TEXT NOT NULL DEFAULT '',
    allergies TEXT NOT NULL DEFAULT '[]',   -- JSON list of substance names
    treatments TEXT NOT NULL DEFAULT '[]',  -- JSON list of {label, cis}
    opposition INTEGER NOT NULL DEFAULT 0,  -- objects to the prescriber seeing dispensing data
    search_key TEXT NOT NULL,           -- ' NAME GIVEN ' upper case without accents
    updated_at TEXT NOT NULL
);
CREATE INDEX patients_by_key ON patients (search_key);
CREATE UNIQUE INDEX patients_by_ins ON patients (ins) WHERE ins IS NOT NULL;
"""

DRAFTING_STEP = """
CREATE TABLE favourites (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    line TEXT NOT NULL,                 -- JSON of one PrescriptionLine
    created_at TEXT NOT NULL
);
CREATE TABLE templates (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    lines TEXT NOT NULL,                -- JSON list of PrescriptionLine
    created_at TEXT NOT NULL
);
"""

# Shipped after the DMP step (4): the ordonnance being written, one per patient, saved on every
# change to its lines so that closing the application (or a crash) loses nothing.
DRAFTS_STEP = """
CREATE TABLE drafts (
    patient_id INTEGER PRIMARY KEY REFERENCES patients(id) ON DELETE CASCADE,
    lines TEXT NOT NULL,                -- JSON list of PrescriptionLine
    updated_at TEXT NOT NULL
);
"""

# The physiological state the prescription screen shows (HAS LAP certification): pregnancy and
# its term, breastfeeding, the last creatinine (value, unit, date), as one JSON object.
PHYSIOLOGY_STEP = """
ALTER TABLE patients ADD COLUMN physiology TEXT NOT NULL DEFAULT '{}';
"""

# The physician's own templates of the other kinds (biology, nursing…): lines as JSON.
CARE_TEMPLATES_STEP = """
CREATE TABLE care_templates (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,                 -- OrdonnanceKind value
    name TEXT NOT NULL,
    lines TEXT NOT NULL,                -- JSON list of the kind's lines
    created_at TEXT NOT NULL,
    UNIQUE (kind, name)
);
"""

# Several workstations on one practice server: a patient or a draft changed on one is not silently
# overwritten by another that read it before. Each write checks the version it read and adds one;
# a mismatch is an edit conflict shown to the user (``storage.errors.EditConflict``).
ROW_VERSIONS_STEP = """
ALTER TABLE patients ADD COLUMN row_version INTEGER NOT NULL DEFAULT 1;
ALTER TABLE drafts ADD COLUMN row_version INTEGER NOT NULL DEFAULT 1;
"""

# What the practice shares (address, phone… printed on every ordonnance), kept with the practice's
# data: on the practice server every workstation reads the same. Per-user settings stay local.
PRACTICE_SETTINGS_STEP = """
CREATE TABLE practice_settings (
    name TEXT PRIMARY KEY,              -- 'practice': lap_app.settings.PracticeSettings as JSON
    value TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
"""

# A draft this version cannot read back (damaged, or written by a newer version of LAP) is never
# overwritten: it moves here as it was stored, with why it could not be read, for support to read
# (``DraftingTables.set_aside_drafts``); the patient's next draft starts afresh.
DRAFTS_SET_ASIDE_STEP = """
CREATE TABLE drafts_set_aside (
    id INTEGER PRIMARY KEY,
    patient_id INTEGER NOT NULL REFERENCES patients(id) ON DELETE CASCADE,
    lines TEXT NOT NULL,                -- the draft as it was stored, unchanged
    row_version INTEGER NOT NULL,       -- its version then
    reason TEXT NOT NULL,               -- why it could not be read (technical, for support)
    set_aside_at TEXT NOT NULL
);
CREATE INDEX drafts_set_aside_by_patient ON drafts_set_aside (patient_id);
"""
