"""Schema step of the DMP copies, appended to ``MIGRATIONS`` in ``migrations.py``.

One row per numbered ordonnance: the PDF exactly as printed, and where its filing stands.
"""

from __future__ import annotations

DMP_STEP = """
CREATE TABLE dmp_filings (
    ordonnance_id INTEGER PRIMARY KEY REFERENCES ordonnances(id),
    document_id TEXT NOT NULL UNIQUE,
    state TEXT NOT NULL,                -- pending | filed | no_ins | not_filed
    pdf BLOB,                           -- the printed PDF, byte for byte (NULL: rendered again)
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at REAL NOT NULL,
    last_error TEXT,
    filed_at REAL,
    updated_at REAL NOT NULL
);
CREATE INDEX dmp_filings_by_state ON dmp_filings (state);
"""
