"""The kind of an ordonnance: who carries it out, and whether it goes to the national base.

Since 2025 the ordonnance numérique covers medicines (with the LPP devices a pharmacy
delivers on the same sheet), devices alone, biology, nursing, physiotherapy, speech
therapy, orthoptics and podiatry. Imaging and medical transport stay outside it: they are
printed only, with no number and no QR code (domain.md §8).
"""

from __future__ import annotations

from enum import Enum

from lap_app.i18n import N_, _


class LineFamily(str, Enum):
    """The lists of ``Ordonnance`` a line can live in (one per line type)."""

    MEDICINES = "lines"
    DEVICES = "devices"
    ANALYSES = "analyses"
    NURSING = "nursing"
    SESSIONS = "sessions"
    ACTS = "acts"


class OrdonnanceKind(str, Enum):
    """One kind per ordonnance; the value is the stable identifier (FHIR code, file names)."""

    MEDICAMENTS = "medicaments"
    DISPOSITIFS = "dispositifs"
    BIOLOGIE = "biologie"
    SOINS_INFIRMIERS = "soins-infirmiers"
    KINESITHERAPIE = "kinesitherapie"
    ORTHOPHONIE = "orthophonie"
    ORTHOPTIE = "orthoptie"
    PODOLOGIE = "podologie"
    IMAGERIE = "imagerie"
    TRANSPORT = "transport"

    @property
    def label(self) -> str:
        """The French name the physician reads (« Biologie »)."""
        return _(KIND_LABELS[self])

    @property
    def registrable(self) -> bool:
        """Registered in the national base, with a number and a QR code."""
        return self not in PAPER_ONLY_KINDS

    @property
    def families(self) -> tuple[LineFamily, ...]:
        """The line lists this kind accepts, the first being its main one."""
        return KIND_FAMILIES[self]

    @property
    def is_paramedical_sessions(self) -> bool:
        return LineFamily.SESSIONS in self.families


PAPER_ONLY_KINDS = frozenset({OrdonnanceKind.IMAGERIE, OrdonnanceKind.TRANSPORT})

KIND_LABELS: dict[OrdonnanceKind, str] = {
    OrdonnanceKind.MEDICAMENTS: N_("Médicaments"),
    OrdonnanceKind.DISPOSITIFS: N_("Dispositifs médicaux"),
    OrdonnanceKind.BIOLOGIE: N_("Biologie médicale"),
    OrdonnanceKind.SOINS_INFIRMIERS: N_("Soins infirmiers"),
    OrdonnanceKind.KINESITHERAPIE: N_("Masso-kinésithérapie"),
    OrdonnanceKind.ORTHOPHONIE: N_("Orthophonie"),
    OrdonnanceKind.ORTHOPTIE: N_("Orthoptie"),
    OrdonnanceKind.PODOLOGIE: N_("Pédicurie-podologie"),
    OrdonnanceKind.IMAGERIE: N_("Imagerie médicale"),
    OrdonnanceKind.TRANSPORT: N_("Transport de patient"),
}

# Who carries each paramedical kind out, as printed (« Séances de kinésithérapie »).
SESSION_PROFESSIONS: dict[OrdonnanceKind, str] = {
    OrdonnanceKind.KINESITHERAPIE: N_("masseur-kinésithérapeute"),
    OrdonnanceKind.ORTHOPHONIE: N_("orthophoniste"),
    OrdonnanceKind.ORTHOPTIE: N_("orthoptiste"),
    OrdonnanceKind.PODOLOGIE: N_("pédicure-podologue"),
}

KIND_FAMILIES: dict[OrdonnanceKind, tuple[LineFamily, ...]] = {
    OrdonnanceKind.MEDICAMENTS: (LineFamily.MEDICINES, LineFamily.DEVICES),
    OrdonnanceKind.DISPOSITIFS: (LineFamily.DEVICES,),
    OrdonnanceKind.BIOLOGIE: (LineFamily.ANALYSES,),
    OrdonnanceKind.SOINS_INFIRMIERS: (LineFamily.NURSING,),
    OrdonnanceKind.KINESITHERAPIE: (LineFamily.SESSIONS,),
    OrdonnanceKind.ORTHOPHONIE: (LineFamily.SESSIONS,),
    OrdonnanceKind.ORTHOPTIE: (LineFamily.SESSIONS,),
    OrdonnanceKind.PODOLOGIE: (LineFamily.SESSIONS,),
    OrdonnanceKind.IMAGERIE: (LineFamily.ACTS,),
    OrdonnanceKind.TRANSPORT: (LineFamily.ACTS,),
}

# Why a paper-only kind has no number: printed on its page and given when it is refused.
PAPER_ONLY_REASONS: dict[OrdonnanceKind, str] = {
    OrdonnanceKind.IMAGERIE: N_(
        "Ordonnance d'imagerie : hors du champ de l'ordonnance numérique, "
        "elle n'est pas enregistrée dans la base et ne porte ni numéro ni QR code."
    ),
    OrdonnanceKind.TRANSPORT: N_(
        "Prescription de transport : hors du champ de l'ordonnance numérique, "
        "elle n'est pas enregistrée dans la base et ne porte ni numéro ni QR code."
    ),
}
