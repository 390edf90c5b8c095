"""The practice printed on the ordonnance, and the prescriber made of it and the CPS card.

``prescriber_for`` is the ONE place that derives the prescriber: the identity comes from the
card, the practice details (address, phone, qualification) from the physician's settings.
``require_practice`` refuses to go on while a detail the ordonnance must carry (CSP R.5132-3)
is missing, and says which ones and where to fill them in.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from lap_app.domain.errors import UserError
from lap_app.i18n import N_, _
from lap_app.settings import PracticeSettings

if TYPE_CHECKING:  # (the domain's classes: not needed to tell whether the practice is complete)
    from lap_app.domain.model import Prescriber

# The details an ordonnance cannot go without, in the order the physician fills them in.
REQUIRED_PRACTICE_FIELDS = {
    "address_lines": N_("adresse"),
    "postal_code": N_("code postal"),
    "city": N_("ville"),
    "phone": N_("téléphone"),
    "qualification": N_("qualification"),
}
WHERE_TO_FILL = N_("Renseignez-les dans Fichier › Paramètres › Cabinet (en ligne de commande : "
                   "« lap-app practice --address … --postal-code … --city … --phone … --qualification … »).")


class CardHolder(Protocol):
    """What the prescriber takes from the CPS card (``lap_app.card.CardIdentity``)."""

    @property
    def national_id(self) -> str: ...
    @property
    def family_name(self) -> str: ...
    @property
    def given_name(self) -> str: ...
    @property
    def profession_code(self) -> str: ...


class PracticeIncomplete(UserError):
    """The practice details are not all there; ``missing`` names them (French labels)."""

    def __init__(self, missing: list[str]) -> None:
        self.missing = missing
        super().__init__(_("Coordonnées du cabinet manquantes sur l'ordonnance : {fields}. {where}").format(
            fields=", ".join(missing), where=_(WHERE_TO_FILL)))


def missing_practice_fields(practice: PracticeSettings) -> list[str]:
    """The required details still empty, as the physician reads them (French)."""
    missing = []
    for name, label in REQUIRED_PRACTICE_FIELDS.items():
        value = getattr(practice, name)
        empty = not any(line.strip() for line in value) if isinstance(value, list) else not value.strip()
        if empty:
            missing.append(_(label))
    return missing


def practice_complete(practice: PracticeSettings) -> bool:
    return not missing_practice_fields(practice)


def require_practice(practice: PracticeSettings) -> None:
    missing = missing_practice_fields(practice)
    if missing:
        raise PracticeIncomplete(missing)


def practice_of(prescriber: Prescriber) -> PracticeSettings:
    """The practice details a prescriber already carries (a draft read from a FHIR Bundle)."""
    address = prescriber.address
    return PracticeSettings(
        address_lines=list(address.lines) if address else [], postal_code=(address.postal_code or "") if address else "",
        city=(address.city or "") if address else "", country=(address.country or "France") if address else "France",
        phone=prescriber.phone or "", email=prescriber.email or "", qualification=prescriber.qualification or "")


def prescriber_for(holder: CardHolder, practice: PracticeSettings, *, prefix: str = "Dr") -> Prescriber:
    """The prescriber printed on and signing the ordonnance: the card holder at the practice."""
    from lap_app.domain.model import Prescriber

    require_practice(practice)
    return Prescriber(
        family_name=holder.family_name,
        given_names=[holder.given_name] if holder.given_name else [],
        national_id=holder.national_id,
        qualification=practice.qualification.strip(),
        prefix=prefix,
        address=practice.address(),
        phone=practice.phone.strip(),
        email=practice.email.strip(),
        profession_code=holder.profession_code or "10",
    )
