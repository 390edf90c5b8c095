"""The demo card holders: who each demo card belongs to, what its certificates say.

Apart from ``pki`` (which needs ``cryptography`` to make and check the certificates): a card
put in the in-process reader from files the PKI already made needs nothing else
(``virtual_cps.holder_files``).
"""

from __future__ import annotations

from dataclasses import dataclass

from lap_app.base_client.protocol import (
    DEVICE_SUPPLIER,
    NURSE,
    ORTHOPTIST,
    PHYSIOTHERAPIST,
    PODIATRIST,
    SPECIALTY_BIOLOGY,
    SPEECH_THERAPIST,
)


@dataclass(frozen=True, slots=True)
class HolderIdentity:
    """Who a demo card belongs to (what its certificates say)."""

    holder: str  # key in HOLDERS: "medecin" | "pharmacien"
    id_type: str  # "8" RPPS, "0" ADELI
    number: str  # the RPPS (11 digits) or ADELI (9 chars)
    family_name: str
    given_name: str
    profession_code: str
    profession_label: str
    serial: str  # card serial: 10 hex digits (the 5 bytes after the issuer in EF.SN.ICC)
    specialty: str = ""  # « savoir-faire »: a biologist's biology specialty

    @property
    def national_id(self) -> str:
        return self.id_type + self.number

    @property
    def serial_bytes(self) -> bytes:
        return bytes.fromhex(self.serial)


HOLDERS: dict[str, HolderIdentity] = {
    # The physician of tests/fixtures/ordonnance-bundle.json (RPPS 10101234564, Luhn-valid).
    "medecin": HolderIdentity("medecin", "8", "10101234564", "MARTIN", "Claire", "10", "Médecin", "1000001234"),
    "pharmacien": HolderIdentity("pharmacien", "8", "10201234563", "LEROY", "Paul", "21", "Pharmacien", "2100005678"),
    # The prescrits of every other kind (protocol.kinds_carried_out). RPPS numbers are Luhn-valid.
    "biologiste": HolderIdentity("biologiste", "8", "10201234571", "NGUYEN", "Anne", "21", "Pharmacien biologiste",
                                 "2100005679", specialty=SPECIALTY_BIOLOGY),
    "infirmier": HolderIdentity("infirmier", "8", "10601234569", "PETIT", "Julie", NURSE, "Infirmier", "6000001234"),
    "kine": HolderIdentity("kine", "8", "10701234568", "MOREAU", "Luc", PHYSIOTHERAPIST, "Masseur-kinésithérapeute",
                           "7000001234"),
    "orthophoniste": HolderIdentity("orthophoniste", "8", "10911234564", "GIRARD", "Emma", SPEECH_THERAPIST,
                                    "Orthophoniste", "9100001234"),
    "orthoptiste": HolderIdentity("orthoptiste", "8", "10921234562", "ROUX", "Hugo", ORTHOPTIST, "Orthoptiste",
                                  "9200001234"),
    "podologue": HolderIdentity("podologue", "8", "10801234567", "FAURE", "Léa", PODIATRIST, "Pédicure-podologue",
                                "8000001234"),
    "fournisseur": HolderIdentity("fournisseur", "8", "10991234567", "BLANC", "Marc", DEVICE_SUPPLIER,
                                  "Prestataire de dispositifs médicaux", "9900001234"),
}

DEMO_PIN = "1234"  # every demo card's PIN (code porteur)
