"""Schema step 6: each ordonnance linked to its patient's stable FHIR id, not to a name.

The patient's name may change (marriage, a typo corrected); the FHIR Patient ``fullUrl``
(``PatientRecord.resource_id``) does not, so the history and renewal look ordonnances up by it.
Existing rows are back-filled from their stored Bundle; a row whose Bundle cannot be read keeps
NULL (it simply shows in no patient's history, as before it would have been skipped).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from lap_app.storage.engine import StoreConnection


def bundle_patient_ref(bundle: Any) -> str | None:
    """The ``fullUrl`` of the Patient entry of an ordonnance's Bundle, if there is one."""
    if not isinstance(bundle, dict):
        return None
    for entry in bundle.get("entry") or []:
        if not isinstance(entry, dict):
            continue
        resource = entry.get("resource")
        if isinstance(resource, dict) and resource.get("resourceType") == "Patient":
            url = entry.get("fullUrl")
            return url if isinstance(url, str) and url else None
    return None


def link_ordonnances_to_patients(conn: StoreConnection) -> None:
    conn.execute("ALTER TABLE ordonnances ADD COLUMN patient_ref TEXT")  # FHIR Patient fullUrl
    updates = []
    for ordonnance_id, text in conn.execute("SELECT id, bundle FROM ordonnances").fetchall():
        try:
            ref = bundle_patient_ref(json.loads(text))
        except (ValueError, TypeError):
            ref = None
        if ref is not None:
            updates.append((ref, ordonnance_id))
    conn.executemany("UPDATE ordonnances SET patient_ref = ? WHERE id = ?", updates)
    conn.execute("CREATE INDEX ordonnances_by_patient ON ordonnances (patient_ref, id)")
