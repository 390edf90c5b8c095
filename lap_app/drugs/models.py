"""What the drug database hands to the rest of the application (immutable values)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from lap_app.i18n import N_, _


@dataclass(frozen=True, slots=True)
class Presentation:
    cip13: str
    cip7: str
    label: str  # pack label, e.g. "plaquette(s) PVC aluminium de 8 comprimé(s)"
    price: float | None  # euros, public price without dispensing fees
    reimbursement_rate: int | None  # percent (65, 30, 15, 100), None when not reimbursed
    marketed: bool  # "Déclaration de commercialisation"
    hospital_approval: bool  # "agrément aux collectivités"


@dataclass(frozen=True, slots=True)
class Substance:
    name: str  # as the BDPM writes it: the therapeutic fraction when there is one
    strength: str  # "1000 mg", "" when the file gives none
    reference: str  # "un comprimé", "100 ml"
    code: str  # BDPM substance code
    salt: str | None = None  # the active-substance (SA) row behind a therapeutic fraction
    interaction_key: str | None = None  # ANSM thesaurus substance, None when unmapped


@dataclass(frozen=True, slots=True)
class GenericInfo:
    group_id: int
    label: str
    role: str  # "princeps", "générique", "complémentarité posologique", "substituable"


@dataclass(frozen=True, slots=True)
class PrescribingCondition:
    text: str  # as published, e.g. "liste I", "prescription hospitalière"
    kind: str  # LISTE_I, LISTE_II, STUPEFIANT, SECURISEE, PH, PIH, PR, RH, EXCEPTION, DUREE, AUTRE
    special_form: bool  # True: a standard ordonnance from a GP is not enough
    note: str  # why, in French, for the prescriber ("" when nothing to say)


@dataclass(frozen=True, slots=True)
class DrugResult:
    cis: str
    name: str  # brand wording, "DOLIPRANE 1000 mg, comprimé"
    dci: str  # common-name wording, "PARACÉTAMOL 1000 mg, comprimé"
    form: str
    routes: tuple[str, ...]
    marketed: bool
    availability_alert: str | None  # "Warning disponibilité" / "Alerte" (tension or rupture)
    authorisation_status: str
    holder: str
    enhanced_monitoring: bool  # black triangle
    substances: tuple[Substance, ...]
    presentations: tuple[Presentation, ...]
    generic: GenericInfo | None
    prescribing_conditions: tuple[PrescribingCondition, ...]

    @property
    def needs_special_prescription(self) -> bool:
        """True when the LAP cannot simply print this drug on a standard ordonnance."""
        return any(c.special_form for c in self.prescribing_conditions)

    @property
    def special_prescription_notes(self) -> list[str]:
        return [c.note for c in self.prescribing_conditions if c.special_form and c.note]

    def to_json(self) -> dict:
        """The shape of ``lap-app drugs search --json``."""
        data = asdict(self)
        data["routes"] = list(self.routes)
        data["needs_special_prescription"] = self.needs_special_prescription
        return data


@dataclass(frozen=True, slots=True)
class Alert:
    """One finding of ``check_interactions``: informs the prescriber, never blocks."""

    level: str  # CI, AD, PE, APEC, REDUNDANCY, ALLERGY
    cis: tuple[str, ...]  # the two drugs (one for ALLERGY)
    drug_names: tuple[str, ...]
    substances: tuple[str, ...]  # thesaurus substances or classes involved, one per drug
    description: str  # mechanism / risk
    conduct: str = ""  # conduct to hold, per level when the thesaurus grades it
    levels: tuple[tuple[str, str], ...] = field(default=())  # (level, conduct) graded by situation

    @property
    def level_label(self) -> str:
        return _(LEVEL_LABELS[self.level])

    def to_json(self) -> dict:
        return {
            "level": self.level, "level_label": self.level_label, "cis": list(self.cis),
            "drug_names": list(self.drug_names), "substances": list(self.substances),
            "description": self.description, "conduct": self.conduct,
            "levels": [{"level": lv, "conduct": c} for lv, c in self.levels],
        }


LEVEL_LABELS = {
    "CI": N_("Contre-indication"),
    "AD": N_("Association déconseillée"),
    "PE": N_("Précaution d'emploi"),
    "APEC": N_("À prendre en compte"),
    "REDUNDANCY": N_("Redondance (même substance)"),
    "ALLERGY": N_("Allergie déclarée"),
}
# Most severe first; the order in which alerts are listed.
LEVEL_RANK = {"ALLERGY": 0, "CI": 1, "REDUNDANCY": 2, "AD": 3, "PE": 4, "APEC": 5}
