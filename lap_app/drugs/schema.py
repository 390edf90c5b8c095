"""SQLite schema of the drug database (a file of its own, separate from the local store).

Source tables mirror the BDPM files column for column; derived tables (search order,
summaries, full-text index, thesaurus mapping) are rebuilt from them after every import.
The whole database is derived from shipped or imported files, so a schema change simply
rebuilds it (``SCHEMA_VERSION`` in ``PRAGMA user_version``).
"""

from __future__ import annotations

SCHEMA_VERSION = 9  # 9: the index's words stored (drug_vocab); 8: the list apart from the whole drug, the first word indexed

SOURCE_TABLES_SQL = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);

-- CIS_bdpm.txt
CREATE TABLE drug (
    cis TEXT PRIMARY KEY, name TEXT NOT NULL, form TEXT, routes TEXT,
    authorisation_status TEXT, procedure TEXT, marketing_state TEXT, authorisation_date TEXT,
    bdm_status TEXT, eu_number TEXT, holder TEXT, enhanced_monitoring TEXT
);
-- CIS_CIP_bdpm.txt (prices in euros)
CREATE TABLE presentation (
    cis TEXT NOT NULL, cip7 TEXT, label TEXT, status TEXT, marketing_declaration TEXT,
    declaration_date TEXT, cip13 TEXT NOT NULL, hospital_approval TEXT,
    reimbursement_rate INTEGER, price REAL, price_with_fees REAL, fees REAL,
    reimbursement_conditions TEXT
);
-- CIS_COMPO_bdpm.txt
CREATE TABLE composition (
    cis TEXT NOT NULL, element TEXT, substance_code TEXT, substance_name TEXT NOT NULL,
    strength TEXT, strength_reference TEXT, nature TEXT NOT NULL, link INTEGER
);
-- CIS_GENER_bdpm.txt (type: 0 princeps, 1 generic, 2 complementary, 4 substitutable)
CREATE TABLE generic_group (
    group_id INTEGER NOT NULL, label TEXT, cis TEXT NOT NULL, type INTEGER NOT NULL, sort_order INTEGER
);
-- CIS_CPD_bdpm.txt
CREATE TABLE prescribing_condition (cis TEXT NOT NULL, condition TEXT NOT NULL);

-- ANSM thesaurus: one row per interaction, keys are folded names (see normalize.fold)
CREATE TABLE ansm_interaction (
    id INTEGER PRIMARY KEY, key_a TEXT NOT NULL, key_b TEXT NOT NULL,
    label_a TEXT NOT NULL, label_b TEXT NOT NULL, level TEXT NOT NULL,
    levels_json TEXT NOT NULL, mechanism TEXT NOT NULL
);
-- ANSM substances and the classes each belongs to (a substance with no class has one row, class_key NULL)
CREATE TABLE ansm_substance (substance_key TEXT NOT NULL, label TEXT NOT NULL, class_key TEXT);
"""

# created after the first bulk load (one sort each instead of a b-tree insert per row)
SOURCE_INDEXES_SQL = """
CREATE INDEX presentation_cis ON presentation(cis);
CREATE INDEX presentation_cip13 ON presentation(cip13);
CREATE INDEX presentation_cip7 ON presentation(cip7);
CREATE INDEX composition_cis ON composition(cis);
CREATE INDEX generic_group_cis ON generic_group(cis);
CREATE INDEX prescribing_condition_cis ON prescribing_condition(cis);
CREATE INDEX ansm_substance_key ON ansm_substance(substance_key);
"""

DERIVED_TABLES_SQL = """
DROP TABLE IF EXISTS drug_vocab;
DROP TABLE IF EXISTS drug_summary;
DROP TABLE IF EXISTS drug_detail;
DROP TABLE IF EXISTS drug_fts;
DROP TABLE IF EXISTS drug_lead;
DROP TABLE IF EXISTS substance_map;
DROP TABLE IF EXISTS drug_ansm_key;
-- search order (rank 1 is the best: marketed first, then by name, rowid of drug_fts = rank)
-- and what the results list shows: cis, name, dci, form, marketed, availability
-- alert, lowest and highest price, reimbursement rates, generic group, label and role, joined
-- by U+001F (one short column reads in a third of the time of twelve)
CREATE TABLE drug_summary (rank INTEGER PRIMARY KEY, cis TEXT NOT NULL UNIQUE, listing TEXT NOT NULL);
-- the whole drug, read when it is opened (substances, every presentation, conditions)
CREATE TABLE drug_detail (cis TEXT PRIMARY KEY, summary_json TEXT NOT NULL) WITHOUT ROWID;
CREATE VIRTUAL TABLE drug_fts USING fts5(
    name, body, codes, content='', tokenize='unicode61 remove_diacritics 2', prefix='1 2 3'
);
-- each name's first word alone, rowid = rank: "names starting with p" walks only first words
-- (in drug_fts, ^"p"* checks positions over every word starting with p: 0.5 ms, not 0.02)
CREATE VIRTUAL TABLE drug_lead USING fts5(
    lead, content='', tokenize='unicode61 remove_diacritics 2', prefix='1 2 3'
);
-- the index's words, stored once it is built (``derive.store_vocabulary``): a typed prefix is
-- expanded to the few words it starts by a b-tree range (an fts5vocab table would count each
-- word's documents on every lookup: 0.2 ms for "comprime", 4 µs here)
CREATE TABLE drug_vocab (term TEXT PRIMARY KEY) WITHOUT ROWID;
-- BDPM substance name → ANSM substance key (NULL when unmapped) and how it was found
CREATE TABLE substance_map (bdpm_name TEXT PRIMARY KEY, ansm_key TEXT, method TEXT NOT NULL);
-- every thesaurus key (substances and their classes) a drug carries
CREATE TABLE drug_ansm_key (cis TEXT NOT NULL, ansm_key TEXT NOT NULL, via TEXT NOT NULL);
"""

# after the derived tables are filled (one sort instead of a b-tree insert per row)
DERIVED_INDEXES_SQL = """
CREATE INDEX drug_ansm_key_cis ON drug_ansm_key(cis);
"""
