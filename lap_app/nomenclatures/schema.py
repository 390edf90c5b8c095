"""SQLite schema of the nomenclature database (a file of its own, rebuilt from the files).

``rank`` is the search order (1 = best: open codes first, billed LPP codes first, shorter
labels first) and doubles as the rowid of the full-text index, so a query walks the index
in rank order and stops after ``limit`` hits.
"""

from __future__ import annotations

SCHEMA_VERSION = 1

META_SQL = "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"

NABM_SQL = """
DROP TABLE IF EXISTS nabm;
DROP TABLE IF EXISTS nabm_fts;
CREATE TABLE nabm (
    rank INTEGER PRIMARY KEY, code TEXT NOT NULL UNIQUE, label TEXT NOT NULL, closed_on TEXT,
    chapter TEXT, coefficient REAL, grp TEXT, source TEXT NOT NULL
);
CREATE VIRTUAL TABLE nabm_fts USING fts5(
    words, content='', tokenize='unicode61 remove_diacritics 2', prefix='1 2 3'
);
"""

LPP_SQL = """
DROP TABLE IF EXISTS lpp;
DROP TABLE IF EXISTS lpp_fts;
CREATE TABLE lpp (
    rank INTEGER PRIMARY KEY, code TEXT NOT NULL UNIQUE, label TEXT NOT NULL, closed_on TEXT,
    supply_type TEXT, max_age INTEGER, title TEXT, chapter_label TEXT, section_label TEXT,
    billed INTEGER NOT NULL
);
CREATE VIRTUAL TABLE lpp_fts USING fts5(
    words, content='', tokenize='unicode61 remove_diacritics 2', prefix='1 2 3'
);
"""
