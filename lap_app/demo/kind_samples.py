"""One realistic set of lines per kind of ordonnance, with real NABM and LPP codes.

Used by the demo templates, by docs/examples/ordonnance-<kind>.json and by the tests; the
patient and the prescriber come from the caller (demo values never reach a real ordonnance
through here: these are lines only).
"""

from __future__ import annotations

from lap_app.domain.care import ActLine, BiologyLine, DeviceLine, NursingLine, SessionLine
from lap_app.domain.kinds import OrdonnanceKind
from lap_app.domain.model import Ordonnance, PrescriptionLine, Zone
from lap_app.domain.posology import Posology
from lap_app.services.care_templates import diabetes_yearly_checkup, low_back_pain_physiotherapy


def fill_with_sample_lines(o: Ordonnance, kind: OrdonnanceKind) -> Ordonnance:
    """Give ``o`` the kind ``kind`` and its sample lines (replacing any lines it had)."""
    o.kind = kind
    o.lines, o.devices, o.analyses, o.nursing, o.sessions, o.acts = [], [], [], [], [], []
    if kind is OrdonnanceKind.MEDICAMENTS:
        o.lines = [
            PrescriptionLine(
                "METFORMINE 1000 mg, comprimé pelliculé",
                Posology(1, "comprimé", ["CM", "CV"], duration=3, duration_unit="mo"),
                cis="69065160",
                zone=Zone.ALD,
            )
        ]
        o.devices = [
            DeviceLine(
                "1136894",
                "AUTOCONTROLE DU SUCRE DANS LE SANG, 50 BANDELETTES, CAPTEURS OU ELECTRODES",
                quantity=2,
                duration=3,
                duration_unit="mo",
                zone=Zone.ALD,
            )
        ]
    elif kind is OrdonnanceKind.DISPOSITIFS:
        o.devices = [
            DeviceLine("1101720", "AUTOCONTROLE, APPAREIL POUR LECTURE AUTOMATIQUE CHIFFREE DE LA GLYCEMIE"),
            DeviceLine(
                "1301117",
                "BANDE DE CONTENTION ELASTIQUE EN TOUS SENS : V24 EN 10CM DE LARGE, 3M LONG",
                quantity=2,
                renewals=1,
            ),
        ]
    elif kind is OrdonnanceKind.BIOLOGIE:
        o.analyses = [
            *diabetes_yearly_checkup(Zone.ALD),
            BiologyLine("1104", "HEMOGRAMME Y COMPRIS PLAQUETTES (NFS, NFP)", urgent=True, note="Asthénie"),
            BiologyLine("1208", "T.S.H.", fasting=False),
        ]
    elif kind is OrdonnanceKind.SOINS_INFIRMIERS:
        o.nursing = [
            NursingLine("Pansement simple d'une plaie", times=1, per="d", duration=15, duration_unit="d",
                        at_home=True, sundays_and_holidays=True),
            NursingLine("Injection sous-cutanée d'anticoagulant", times=1, per="d", duration=10, at_home=True,
                        sundays_and_holidays=True),
            NursingLine("Préparation et administration des médicaments", times=1, per="wk", duration=1,
                        duration_unit="mo", at_home=True),
        ]
    elif kind is OrdonnanceKind.KINESITHERAPIE:
        o.sessions = low_back_pain_physiotherapy()
    elif kind is OrdonnanceKind.ORTHOPHONIE:
        o.sessions = [SessionLine("Bilan orthophonique avec rééducation si nécessaire", sessions=1,
                                  note="Retard de langage oral")]
    elif kind is OrdonnanceKind.ORTHOPTIE:
        o.sessions = [SessionLine("Rééducation orthoptique de l'insuffisance de convergence", sessions=12, rhythm=1)]
    elif kind is OrdonnanceKind.PODOLOGIE:
        o.sessions = [SessionLine("Soins de prévention du pied diabétique (grade 2)", sessions=5, zone=Zone.ALD)]
    elif kind is OrdonnanceKind.IMAGERIE:
        o.acts = [
            ActLine("Radiographie du rachis lombaire, face et profil", note="Lombalgie persistante depuis 8 semaines"),
            ActLine("Échographie abdominale", urgent=True),
        ]
    elif kind is OrdonnanceKind.TRANSPORT:
        o.acts = [
            ActLine(
                "Transport assis professionnalisé (VSL ou taxi conventionné), aller et retour",
                note="Séances de radiothérapie, 5 par semaine pendant 6 semaines",
                zone=Zone.ALD,
            )
        ]
    if not kind.registrable:
        o.number = None
    return o
