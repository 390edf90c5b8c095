"""Prescribing and dispensing conditions (CIS_CPD_bdpm.txt) sorted by what they mean for a GP.

``special_form`` is True when the LAP cannot simply print the drug on a standard
ordonnance: it needs an ordonnance sécurisée, a form for médicaments d'exception, a hospital
or specialist prescriber, or is not for use outside hospital.
"""

from __future__ import annotations

import re

from lap_app.drugs.models import PrescribingCondition
from lap_app.drugs.normalize import fold
from lap_app.i18n import N_, _

# (pattern on the folded text, kind, special_form, note) — first match wins
_RULES: tuple[tuple[re.Pattern[str], str, bool, str], ...] = tuple(
    (re.compile(pattern), kind, special, note) for pattern, kind, special, note in (
        (r"^LISTE I$", "LISTE_I", False, ""),
        (r"^LISTE II$", "LISTE_II", False, ""),
        (r"STUPEFIANT", "STUPEFIANT", True,
         N_("Stupéfiant : ordonnance sécurisée, prescription en toutes lettres.")),
        (r"ORDONNANCE SECURISEE", "SECURISEE", True,
         N_("Prescription en toutes lettres sur ordonnance sécurisée.")),
        (r"MEDICAMENT D'EXCEPTION", "EXCEPTION", True,
         N_("Médicament d'exception : ordonnance spécifique (cerfa) conforme à la fiche d'information thérapeutique.")),
        (r"^PRESCRIPTION INITIALE HOSPITALIERE", "PIH", True,
         N_("Prescription initiale hospitalière : le renouvellement suppose l'ordonnance initiale.")),
        (r"^PRESCRIPTION HOSPITALIERE|MEDECINS HOSPITALIERS", "PH", True,
         N_("Prescription hospitalière : ne peut être prescrit en ville.")),
        (r"USAGE HOSPITALIER|RESERVE A L'USAGE|ETABLISSEMENT DE SANTE|MILIEU HOSPITALIER|"
         r"USAGE PROFESSIONNEL|STRUCTURE D'ASSISTANCE|TRANSPORT D'AIDE|CENTRES? D|"
         r"PHARMACIES A USAGE INTERIEUR|RESERVEE AUX ETS", "RH", True,
         N_("Réservé à un usage particulier (hôpital, professionnel, centre agréé).")),
        (r"^PRESCRIPTION INITIALE|RENOUVELLEMENT DE LA PRESCRIPTION RESERVE", "PR", True,
         N_("Prescription initiale ou renouvellement réservés à certains spécialistes.")),
        (r"^PRESCRIPTION RESERVEE|^PRESCRIPTION PAR UN MEDECIN", "PR", True,
         N_("Prescription réservée à certains spécialistes ou services.")),
        (r"^PRESCRIPTION LIMITEE A", "DUREE", False, ""),
    )
)


def classify_condition(text: str) -> PrescribingCondition:
    folded = fold(text)
    for pattern, kind, special, note in _RULES:
        if pattern.search(folded):
            return PrescribingCondition(text, kind, special, _(note) if note else "")
    return PrescribingCondition(text, "AUTRE", False, "")
