"""Past ordonnances of the demo patients — every kind at least once — so that the history,
« Renouveler » of a kind and the follow-up have something to show at the demo's first start.

They are kept in the demo's own store as paper ordonnances (no number, never registered,
the reason says they are demo examples): demo data never reaches the base nor a real store.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from lap_app.demo.kind_samples import fill_with_sample_lines
from lap_app.domain.kinds import OrdonnanceKind
from lap_app.domain.model import Ordonnance, Zone
from lap_app.i18n import N_, _

K = OrdonnanceKind
# patient (family name) → (kind, days ago) of their past ordonnances
PAST_ORDONNANCES: dict[str, list[tuple[OrdonnanceKind, int]]] = {
    "DURAND": [(K.MEDICAMENTS, 92), (K.BIOLOGIE, 60), (K.DISPOSITIFS, 120), (K.PODOLOGIE, 35)],
    "PETIT": [(K.ORTHOPHONIE, 45), (K.ORTHOPTIE, 100)],
    "BERNARD": [(K.SOINS_INFIRMIERS, 21), (K.TRANSPORT, 40), (K.IMAGERIE, 70)],
    "ROUSSEAU": [(K.KINESITHERAPIE, 14)],
}
EXAMPLE_REASON = N_("Exemple de la démonstration : ordonnance antérieure, sans numéro")


def seed_demo_history(store: Any, patients: Any, practice: Any, now: datetime | None = None) -> int:
    """Add the past ordonnances once (an empty history); returns how many were added."""
    from lap_app.fhir import to_bundle
    from lap_app.services.practice import prescriber_for
    from lap_app.standins.pki import HOLDERS

    if store.list(limit=1):
        return 0
    prescriber = prescriber_for(HOLDERS["medecin"], practice)
    today = now or datetime.now(UTC).astimezone()
    added = 0
    for family_name, past in PAST_ORDONNANCES.items():
        found = [r for r in patients.search(family_name) if r.family_name == family_name]
        if not found:
            continue
        record = found[0]
        for kind, days_ago in past:
            ordonnance = Ordonnance(prescriber=prescriber, patient=record.to_patient(), lines=[],
                                    written_at=(today - timedelta(days=days_ago)).replace(microsecond=0))
            fill_with_sample_lines(ordonnance, kind)
            if not record.ald:  # the ALD zone only for a patient in ALD
                for _family, _index, line in ordonnance.every_line():
                    line.zone = Zone.HORS_ALD
            store.save_paper(prescriber=prescriber.national_id, patient_name=record.display_name,
                             opposition=record.opposition, bundle=to_bundle(ordonnance), reason=_(EXAMPLE_REASON))
            added += 1
    return added
