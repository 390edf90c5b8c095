"""What the drug database hands to the rest of the application (immutable values)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Final

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


# What the results list shows is read with the search (plain columns, no decoding); the rest
# (substances, every presentation, conditions…) is decoded from the stored summary the first
# time it is asked for: a keystroke shows 20 drugs and the physician opens one.
_LIST_FIELDS = ("cis", "name", "dci", "form", "marketed", "availability_alert", "price_range",
                "reimbursement_rates", "generic")
_JSON_FIELDS = ("cis", "name", "dci", "form", "routes", "marketed", "availability_alert", "authorisation_status",
                "holder", "enhanced_monitoring", "substances", "presentations", "generic", "prescribing_conditions")


_SEPARATOR = "\x1f"


def pack_listing(cis: str, name: str, dci: str, form: str, marketed: bool, availability_alert: str | None,
                 price_range: tuple[float, float] | None, rates: tuple[int, ...], generic: GenericInfo | None) -> str:
    """What the results list shows of a drug, as one stored text (see ``drug_summary``)."""
    fields = [cis, name, dci, form, "1" if marketed else "", availability_alert or "",
              repr(price_range[0]) if price_range else "", repr(price_range[1]) if price_range else "",
              ",".join(map(str, rates)), str(generic.group_id) if generic else "",
              generic.label if generic else "", generic.role if generic else ""]
    text = _SEPARATOR.join(fields)
    if text.count(_SEPARATOR) != len(fields) - 1:  # a control character in a file
        text = _SEPARATOR.join(field.replace(_SEPARATOR, " ") for field in fields)
    return text


def unpack_listing(text: str, details: str | Callable[[str], str]) -> DrugResult:
    """``details``: the stored summary, or what reads it given the CIS (when first asked for)."""
    cis, name, dci, form, marketed, alert, low, high, rates, group, label, role = text.split(_SEPARATOR)
    return DrugResult(cis, name, dci, form, marketed == "1", alert or None,
                      (float(low), float(high)) if low else None,
                      (_rates.get(rates) or _parsed_rates(rates)) if rates else (),
                      (_generics.get((group, label, role)) or _generic(group, label, role)) if group else None,
                      details)


# a search unpacks 20 listings per keystroke: the few distinct rate lists and generic groups
# are parsed once
_rates: dict[str, tuple[int, ...]] = {}


def _parsed_rates(rates: str) -> tuple[int, ...]:
    if len(_rates) > 1000:
        _rates.clear()
    parsed = _rates[rates] = tuple(map(int, rates.split(",")))
    return parsed


_generics: dict[tuple[str, str, str], GenericInfo] = {}


def _generic(group: str, label: str, role: str) -> GenericInfo:
    """One (immutable) GenericInfo per group and role: a search lists many drugs of a group."""
    key = (group, label, role)
    info = _generics.get(key)
    if info is None:
        if len(_generics) > 20_000:
            _generics.clear()
        info = _generics[key] = GenericInfo(int(group), label, role)
    return info


class DrugResult:
    """One drug as the database hands it out (immutable).

    ``name``: brand wording, "DOLIPRANE 1000 mg, comprimé"; ``dci``: common-name wording,
    "PARACÉTAMOL 1000 mg, comprimé"; ``availability_alert``: "Warning disponibilité" / "Alerte"
    (tension or rupture); ``price_range``: lowest and highest public price of its presentations
    (None when none is priced); ``reimbursement_rates``: the distinct rates, in percent;
    ``enhanced_monitoring``: the black triangle.
    """

    __slots__ = (*_LIST_FIELDS, "_details_json", "_details")

    def __init__(self, cis: str, name: str, dci: str, form: str, marketed: bool, availability_alert: str | None,
                 price_range: tuple[float, float] | None, reimbursement_rates: tuple[int, ...],
                 generic: GenericInfo | None, details_json: str | Callable[[str], str]) -> None:
        # Final: immutable for the type checker; plain slot stores, since a search makes 20 of
        # these per keystroke and a guarded __setattr__ doubles the cost of the whole search
        self.cis: Final = cis
        self.name: Final = name
        self.dci: Final = dci
        self.form: Final = form
        self.marketed: Final = marketed
        self.availability_alert: Final = availability_alert
        self.price_range: Final = price_range
        self.reimbursement_rates: Final = reimbursement_rates
        self.generic: Final = generic
        self._details_json: Final = details_json
        self._details: dict | None = None

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, DrugResult):
            return NotImplemented
        return self.cis == other.cis and self._detail() == other._detail()

    def __hash__(self) -> int:
        return hash((self.cis, self.name))

    def __repr__(self) -> str:
        return f"DrugResult(cis={self.cis!r}, name={self.name!r})"

    def _detail(self) -> dict:
        if self._details is None:
            text = self._details_json
            data = json.loads(text if isinstance(text, str) else text(self.cis))
            self._details = {
                "routes": tuple(data["routes"]),
                "authorisation_status": data["authorisation_status"],
                "holder": data["holder"],
                "enhanced_monitoring": data["enhanced_monitoring"],
                "substances": tuple(Substance(**s) for s in data["substances"]),
                "presentations": tuple(Presentation(**p) for p in data["presentations"]),
                "prescribing_conditions": tuple(PrescribingCondition(**c) for c in data["prescribing_conditions"]),
            }
        return self._details

    @property
    def routes(self) -> tuple[str, ...]:
        return self._detail()["routes"]

    @property
    def authorisation_status(self) -> str:
        return self._detail()["authorisation_status"]

    @property
    def holder(self) -> str:
        return self._detail()["holder"]

    @property
    def enhanced_monitoring(self) -> bool:
        return self._detail()["enhanced_monitoring"]

    @property
    def substances(self) -> tuple[Substance, ...]:
        return self._detail()["substances"]

    @property
    def presentations(self) -> tuple[Presentation, ...]:
        return self._detail()["presentations"]

    @property
    def prescribing_conditions(self) -> tuple[PrescribingCondition, ...]:
        return self._detail()["prescribing_conditions"]

    @property
    def needs_special_prescription(self) -> bool:
        """True when the LAP cannot simply print this drug on a standard ordonnance."""
        return any(c.special_form for c in self.prescribing_conditions)

    @property
    def special_prescription_notes(self) -> list[str]:
        return [c.note for c in self.prescribing_conditions if c.special_form and c.note]

    def to_json(self) -> dict:
        """The shape of ``lap-app drugs search --json``."""
        data = {name: getattr(self, name) for name in _JSON_FIELDS}
        data["routes"] = list(self.routes)
        data["generic"] = asdict(self.generic) if self.generic else None
        for name in ("substances", "presentations", "prescribing_conditions"):
            data[name] = [asdict(item) for item in data[name]]
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
