"""The ordonnance and the people on it, as plain data.

Identifiers are kept as strings of digits exactly as printed; checks live in
``lap_app.domain.identifiers`` and ``lap_app.domain.validation``. ``resource_id`` fields hold
the FHIR ``fullUrl`` UUIDs so that a Bundle read and written back keeps its references.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import Enum
from typing import TYPE_CHECKING, Any

from lap_app.domain.kinds import LineFamily, OrdonnanceKind
from lap_app.domain.posology import Posology

if TYPE_CHECKING:
    from lap_app.domain.care import ActLine, BiologyLine, DeviceLine, NursingLine, SessionLine

# FHIR systems (docs/domain.md §3)
OID_INS_NIR = "urn:oid:1.2.250.1.213.1.4.8"
OID_INS_NIA = "urn:oid:1.2.250.1.213.1.4.9"
OID_INS_NIR_TEST = "urn:oid:1.2.250.1.213.1.4.10"
OID_PS_NATIONAL_ID = "urn:oid:1.2.250.1.71.4.2.1"
OID_CIS = "urn:oid:1.2.250.1.213.2.3.1"
OID_CIP13 = "urn:oid:1.2.250.1.213.2.3.2"
OID_UCD = "urn:oid:1.2.250.1.213.2.61"
SYSTEM_PRESCRIPTION_NUMBER = "urn:ordonnance-numerique:numero"
SYSTEM_ZONE = "urn:ordonnance-numerique:zone"
SYSTEM_NON_SUBSTITUTION = "urn:ordonnance-numerique:non-substitution"


def new_resource_id() -> str:
    """A random (version 4) UUID URN, as ``uuid.uuid4()`` writes it; built from the bytes
    directly: reading a Bundle makes several (``uuid`` also costs ~5 ms of imports)."""
    return _uuid_urn(os.urandom(16), version=4)


_URL_NAMESPACE = bytes.fromhex("6ba7b8119dad11d180b400c04fd430c8")  # uuid.NAMESPACE_URL (RFC 4122)


def derived_resource_id(name: str) -> str:
    """A name-based (version 5) UUID URN, as ``uuid.uuid5(uuid.NAMESPACE_URL, name)`` writes it:
    the same ``name`` always gives the same id (a resource a Bundle does not hold, named from
    what it does hold)."""
    return _uuid_urn(hashlib.sha1(_URL_NAMESPACE + name.encode("utf-8"), usedforsecurity=False).digest(), version=5)


def _uuid_urn(source: bytes, *, version: int) -> str:
    """The URN of the UUID made of ``source``'s first 16 bytes, its version and RFC 4122 variant set."""
    raw = bytearray(source[:16])
    raw[6] = (raw[6] & 0x0F) | (version << 4)
    raw[8] = (raw[8] & 0x3F) | 0x80  # RFC 4122 variant
    h = raw.hex()
    return f"urn:uuid:{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def age_in_months(birth: date, day: date) -> int:
    """Whole months from ``birth`` to ``day`` (a month is complete on its day of the month)."""
    months = (day.year - birth.year) * 12 + day.month - birth.month
    return months - 1 if day.day < birth.day else months


class Sex(str, Enum):
    MALE = "male"
    FEMALE = "female"
    OTHER = "other"
    UNKNOWN = "unknown"


CHILD_AGE_YEARS = 18  # under it, a child: dosed by weight, which the ordonnance prints (CSP R.5132-3)
CREATININE_UNITS = {"µmol/L": 1 / 88.4, "mg/L": 0.1, "mg/dL": 1.0}  # → mg/dL


@dataclass(frozen=True, slots=True)
class Creatinine:
    """The last serum creatinine known (``lap_app.domain.physiology`` computes the clearances)."""

    value: float
    unit: str  # "µmol/L", "mg/L" or "mg/dL"
    measured_on: date

    @property
    def mg_dl(self) -> float:
        return self.value * CREATININE_UNITS[self.unit]


class Zone(str, Enum):
    """Zones of the bizone ordonnance (cerfa 12708)."""

    ALD = "ALD"
    HORS_ALD = "HORS-ALD"


class NonSubstitutionReason(str, Enum):
    """Justification codes for "non substituable" (arrêté of 12 Nov 2019)."""

    MTE = "MTE"  # marge thérapeutique étroite
    EFG = "EFG"  # enfant de moins de 6 ans, pas de générique à forme adaptée
    CIF = "CIF"  # contre-indication formelle à un excipient


@dataclass(slots=True)
class Address:
    lines: list[str] = field(default_factory=list)
    postal_code: str = ""
    city: str = ""
    country: str = "France"


@dataclass(slots=True)
class Prescriber:
    family_name: str
    given_names: list[str]
    national_id: str  # identifiant national PS: "8" + RPPS, or "0" + ADELI
    qualification: str = ""
    prefix: str = "Dr"
    address: Address | None = None
    phone: str = ""
    email: str = ""
    profession_code: str = "10"
    resource_id: str = field(default_factory=new_resource_id)

    @property
    def rpps(self) -> str | None:
        return self.national_id[1:] if self.national_id.startswith("8") else None

    @property
    def display_name(self) -> str:
        given = " ".join(self.given_names)
        return " ".join(part for part in (self.prefix, given, self.family_name) if part)


@dataclass(slots=True)
class Patient:
    family_name: str
    given_names: list[str]
    sex: Sex
    birth_date: date | None
    ins: str | None = None  # 15 chars: NIR (13) + key (2)
    ins_system: str = OID_INS_NIR
    weight_kg: float | None = None
    height_cm: float | None = None
    ald: bool = False  # in ALD: the ordonnance is bizone, even with no line in the ALD zone
    pregnant: bool = False
    pregnancy_weeks: int | None = None  # term, in weeks of amenorrhoea
    breastfeeding: bool = False
    creatinine: Creatinine | None = None  # the last one known
    resource_id: str = field(default_factory=new_resource_id)
    weight_resource_id: str = field(default_factory=new_resource_id)
    height_resource_id: str = field(default_factory=new_resource_id)
    # the ids of Observations a Bundle may not have: not part of what the patient is (==)
    pregnancy_resource_id: str = field(default_factory=new_resource_id, compare=False)
    breastfeeding_resource_id: str = field(default_factory=new_resource_id, compare=False)
    creatinine_resource_id: str = field(default_factory=new_resource_id, compare=False)

    def age_on(self, day: date) -> tuple[int, int]:
        """Age in whole (years, months) on ``day``."""
        if self.birth_date is None:
            raise ValueError("birth date unknown")
        return divmod(age_in_months(self.birth_date, day), 12)

    @property
    def display_name(self) -> str:
        return " ".join([self.family_name, *self.given_names]).strip()


@dataclass(slots=True)
class Quantity:
    """A value with its unit, e.g. 90 jours (UCUM code ``d``) or 3 boîtes."""

    value: float
    unit: str
    code: str | None = None  # UCUM code when the unit is a time unit


@dataclass(slots=True)
class PrescriptionLine:
    dci_wording: str  # the common-name wording printed on the ordonnance (CSS L.161-38)
    posology: Posology
    cis: str | None = None
    cip13: str | None = None
    product_name: str | None = None  # brand wording (display of the CIS coding)
    pack_label: str | None = None  # display of the CIP13 coding
    boxes: int | None = None  # number of boxes, when the physician gives it
    supply_duration: Quantity | None = None  # dispenseRequest.expectedSupplyDuration
    renewals: int = 0
    substitution_allowed: bool = True
    non_substitution_reason: NonSubstitutionReason | None = None
    instructions: str = ""  # free text for the patient
    zone: Zone = Zone.HORS_ALD
    status: str = "active"
    resource_id: str = field(default_factory=new_resource_id)


@dataclass(slots=True)
class Signature:
    """The CPS signature of the Bundle (``Bundle.signature``)."""

    when: datetime
    signer_id: str  # national identifier of the signer
    data: bytes  # PKCS#1 v1.5 signature
    certificate: bytes | None = None  # DER of the signing certificate
    sig_format: str = "application/jose"


@dataclass(slots=True)
class Ordonnance:
    """One ordonnance of one kind. Medicines are in ``lines``; the other line types have
    their own list, and ``kind`` says which lists may hold lines (``OrdonnanceKind.families``)."""

    prescriber: Prescriber
    patient: Patient
    lines: list[PrescriptionLine]
    written_at: datetime  # timezone-aware
    number: str | None = None  # 16 digits, issued by the base
    opposition: bool = False  # the patient objects to the prescriber seeing dispensing data
    title: str = "Ordonnance"
    bundle_id: str | None = None
    composition_id: str = field(default_factory=new_resource_id)
    signature: Signature | None = None
    timestamp: datetime | None = None  # Bundle.timestamp, when it differs from written_at
    kind: OrdonnanceKind = OrdonnanceKind.MEDICAMENTS
    devices: list[DeviceLine] = field(default_factory=list)
    analyses: list[BiologyLine] = field(default_factory=list)
    nursing: list[NursingLine] = field(default_factory=list)
    sessions: list[SessionLine] = field(default_factory=list)
    acts: list[ActLine] = field(default_factory=list)

    @property
    def is_bizone(self) -> bool:
        """Bizone (cerfa 12708) whenever the patient has an ALD, or a line is in the ALD zone."""
        return self.patient.ald or any(line.zone is Zone.ALD for _, _, line in self.every_line())

    def lines_in(self, zone: Zone) -> list[PrescriptionLine]:
        """The medicine lines of ``zone``."""
        return [line for line in self.lines if line.zone is zone]

    def family(self, family: LineFamily) -> list[Any]:
        """The list holding the lines of ``family`` (``lines``, ``devices``…)."""
        return getattr(self, family.value)  # type: ignore[no-any-return]

    def every_line(self) -> list[tuple[LineFamily, int, Any]]:
        """(family, index in its list, line) for every line, medicines first."""
        return [
            (family, index, line)
            for family in LineFamily
            for index, line in enumerate(self.family(family))
        ]

    def entries_in(self, zone: Zone) -> list[Any]:
        """Every line of ``zone``, whatever its type, in ``every_line`` order."""
        return [line for _, _, line in self.every_line() if line.zone is zone]

    @property
    def line_count(self) -> int:
        return len(self.every_line())

    @property
    def registrable(self) -> bool:
        return self.kind.registrable

    @property
    def date(self) -> date:
        return self.written_at.date()
