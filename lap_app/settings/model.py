"""The typed settings. The practice details start empty: the application asks for them at
first start, and an ordonnance is refused while they are missing (``lap_app.services.practice``);
the demo sets its fictitious practice itself (``lap_app.demo``)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from lap_app.domain.model import Address

PAPER_SIZES = ("A4", "A5")
CARD_BACKENDS = ("pcsc", "pkcs11")


@dataclass(slots=True)
class PracticeSettings:
    """Practice details printed on the ordonnance (CSP R.5132-3)."""

    address_lines: list[str] = field(default_factory=list)
    postal_code: str = ""
    city: str = ""
    country: str = "France"
    phone: str = ""
    email: str = ""
    qualification: str = ""

    def address(self) -> Address:
        from lap_app.domain.model import Address  # (the domain's classes: not needed at start-up)

        return Address(
            lines=list(self.address_lines), postal_code=self.postal_code, city=self.city, country=self.country
        )


@dataclass(slots=True)
class BaseSettings:
    """Where the e-prescription base is and which CA its TLS certificate chains to.

    An empty ``url``: no base configured (writing and the local history still work; signing
    says where to configure one). The demo passes its own base, never through these settings.
    """

    url: str = ""
    ca_path: str = ""


@dataclass(slots=True)
class StoreSettings:
    """Where the practice store is: empty ``url``, this workstation's SQLite file (the default);
    ``postgresql://user:password@server/base``, the practice server shared by the workstations,
    reached over TLS checked against ``ca_path`` (``sslmode=verify-full``). ``lap-app --store``
    overrides it for one command."""

    url: str = ""
    ca_path: str = ""


@dataclass(slots=True)
class CardSettings:
    """How the CPS is reached: PC/SC readers (default) or a PKCS#11 module (Cryptolib CPS)."""

    backend: str = "pcsc"  # one of CARD_BACKENDS
    pkcs11_module: str = ""  # path of the PKCS#11 module when backend == "pkcs11"


@dataclass(slots=True)
class Settings:
    practice: PracticeSettings = field(default_factory=PracticeSettings)
    base: BaseSettings = field(default_factory=BaseSettings)
    card: CardSettings = field(default_factory=CardSettings)
    store: StoreSettings = field(default_factory=StoreSettings)
    paper_size: str = "A4"
    default_printer: str = ""  # empty: the system's default destination
    # an elderly patient's creatinine older than this is asked for again (prescription screen)
    creatinine_max_age_days: int = 365

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Settings:
        """Build from a (current-version) dict; unknown keys are ignored, bad types fall back."""
        practice = _dataclass_from(PracticeSettings, data.get("practice"))
        base = _dataclass_from(BaseSettings, data.get("base"))
        card = _dataclass_from(CardSettings, data.get("card"))
        store = _dataclass_from(StoreSettings, data.get("store"))
        if card.backend not in CARD_BACKENDS:
            card = CardSettings()
        paper = data.get("paper_size")
        printer = data.get("default_printer")
        creatinine_days = data.get("creatinine_max_age_days")
        return cls(
            practice=practice,
            base=base,
            card=card,
            store=store,
            paper_size=paper if paper in PAPER_SIZES else "A4",
            default_printer=printer if isinstance(printer, str) else "",
            creatinine_max_age_days=creatinine_days if isinstance(creatinine_days, int)
            and not isinstance(creatinine_days, bool) and 7 <= creatinine_days <= 3650 else 365,
        )


def _dataclass_from(kind: type, raw: object) -> Any:
    default = kind()
    if not isinstance(raw, dict):
        return default
    values = {}
    for f in fields(kind):
        value = raw.get(f.name, getattr(default, f.name))
        expected = type(getattr(default, f.name))
        if expected is list:
            value = [str(item) for item in value] if isinstance(value, list) else getattr(default, f.name)
        elif not isinstance(value, expected):
            value = getattr(default, f.name)
        values[f.name] = value
    return kind(**values)
