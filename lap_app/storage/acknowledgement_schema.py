"""The acknowledgements of safety alerts, kept with the ordonnance they were given for."""

ACKNOWLEDGEMENTS_STEP = """
CREATE TABLE alert_acknowledgements (
    id INTEGER PRIMARY KEY,
    ordonnance_id INTEGER NOT NULL REFERENCES ordonnances(id),
    alert_id TEXT NOT NULL,             -- e.g. CI-3f9a2c (lap_app.services.drafting.DraftAlert.alert_id)
    level TEXT NOT NULL,                -- CI | ALLERGY
    alert_text TEXT NOT NULL,           -- the alert as the physician read it
    acknowledged_by TEXT NOT NULL,      -- national identifier of the card holder
    acknowledged_at TEXT NOT NULL       -- ISO 8601 with its time zone
);
CREATE INDEX alert_acknowledgements_by_ordonnance ON alert_acknowledgements (ordonnance_id);
"""
