"""Identifiers printed on an ordonnance and their check keys (docs/domain.md §3 and §4).

Each identifier has ``is_valid_*`` (a bool) and ``*_problem`` (``None`` or a one-line
French message saying what is wrong), so that forms, the validator and the FHIR reader
share the same wording.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lap_app.domain.errors import UserError
from lap_app.i18n import _

# ---------------------------------------------------------------- prescription number
# 14-digit serial issued by the base + 2 check digits, ISO/IEC 7064 MOD 97-10 (as IBAN).

PRESCRIPTION_NUMBER_LENGTH = 16
_SEPARATORS = re.compile(r"[\s\-\.\u00a0\u202f]+")


def prescription_check_digits(serial14: str | int) -> str:
    """The two check digits: 98 − (serial × 100 mod 97)."""
    serial = _serial_digits(serial14)
    return f"{98 - (int(serial) * 100) % 97:02d}"


def prescription_number_from_serial(serial14: str | int) -> str:
    """The 16-digit number for a 14-digit serial (an int is zero-padded)."""
    serial = _serial_digits(serial14)
    return serial + prescription_check_digits(serial)


def _serial_digits(serial14: str | int) -> str:
    serial = f"{serial14:014d}" if isinstance(serial14, int) else serial14
    if len(serial) != 14 or not serial.isascii() or not serial.isdigit():
        raise ValueError(f"a serial has 14 digits, got {serial14!r}")
    return serial


def is_valid_prescription_number(number: str) -> bool:
    return prescription_number_problem(number) is None


def prescription_number_problem(number: str) -> str | None:
    if not isinstance(number, str) or not number.isascii() or not number.isdigit():
        return _("le numéro d'ordonnance ne doit contenir que des chiffres")
    if len(number) != PRESCRIPTION_NUMBER_LENGTH:
        return _("le numéro d'ordonnance compte 16 chiffres ({n} saisis)").format(n=len(number))
    if int(number) % 97 != 1:
        return _("numéro d'ordonnance erroné (clé de contrôle incorrecte) : vérifiez la saisie")
    return None


def format_prescription_number(number: str) -> str:
    """``2026112500004292`` → ``2026 1125 0000 4292`` (what people read and type)."""
    digits = _SEPARATORS.sub("", number)
    return " ".join(digits[i : i + 4] for i in range(0, len(digits), 4))


def normalize_prescription_number(text: str) -> str:
    """The 16 digits from typed input (spaces, dashes, dots allowed); ``UserError`` if wrong."""
    digits = _SEPARATORS.sub("", text or "")
    problem = prescription_number_problem(digits)
    if problem:
        raise UserError(problem[0].upper() + problem[1:])
    return digits


# ---------------------------------------------------------------- NIR / INS matricule
# 13 characters + 2-digit key = 97 − (NIR mod 97); Corsica: 2A → 19, 2B → 18 first.

_NIR_SHAPE = re.compile(r"^[12378]\d{4}(\d{2}|2[AB])\d{6}$")


def nir_key(nir13: str) -> int:
    body = nir13.upper()
    body = body[:5] + body[5:7].replace("2A", "19").replace("2B", "18") + body[7:]
    return 97 - int(body) % 97


def normalize_nir(text: str) -> str:
    return _SEPARATORS.sub("", text or "").upper()


def nir_problem(nir15: str) -> str | None:
    """What is wrong with a 15-character NIR/INS (13 characters + key), or ``None``."""
    value = normalize_nir(nir15)
    if len(value) != 15:
        return _("le NIR compte 15 caractères avec la clé ({n} saisis)").format(n=len(value))
    if not _NIR_SHAPE.match(value[:13]) or not value[13:].isdigit():
        return _(
            "le NIR contient des caractères invalides (chiffres seulement, 2A/2B pour la Corse)"
        )
    if int(value[13:]) != nir_key(value[:13]):
        return _("clé du NIR incorrecte : vérifiez la saisie")
    return None


def is_valid_nir(nir15: str) -> bool:
    return nir_problem(nir15) is None


# ---------------------------------------------------------------- RPPS, ADELI, national id


def luhn_is_valid(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        digit = int(char)
        if position % 2:
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return total % 10 == 0


def luhn_check_digit(payload: str) -> str:
    return next(str(d) for d in range(10) if luhn_is_valid(payload + str(d)))


def rpps_format_problem(rpps: str) -> str | None:
    if len(rpps) != 11 or not rpps.isascii() or not rpps.isdigit():
        return _("le numéro RPPS compte 11 chiffres")
    return None


def rpps_key_ok(rpps: str) -> bool:
    """Luhn key of the RPPS; a failure is only a warning (docs/domain.md §3)."""
    return rpps_format_problem(rpps) is None and luhn_is_valid(rpps)


@dataclass(frozen=True, slots=True)
class NationalId:
    """Identifiant national de PS: ``8`` + RPPS or ``0`` + ADELI."""

    kind: str  # "RPPS" or "ADELI"
    number: str

    @property
    def value(self) -> str:
        return ("8" if self.kind == "RPPS" else "0") + self.number


def national_id_problem(national_id: str) -> str | None:
    if not isinstance(national_id, str) or not national_id:
        return _("identifiant national du prescripteur manquant")
    if national_id[0] == "8":
        problem = rpps_format_problem(national_id[1:])
        return _("identifiant national invalide : {p}").format(p=problem) if problem else None
    if national_id[0] == "0":
        adeli = national_id[1:]
        if len(adeli) != 9 or not adeli.isascii() or not adeli.isalnum():
            return _("identifiant national invalide : le numéro ADELI compte 9 caractères")
        return None
    return _("identifiant national invalide : attendu 8 + RPPS ou 0 + ADELI")


def parse_national_id(national_id: str) -> NationalId:
    problem = national_id_problem(national_id)
    if problem:
        raise UserError(problem[0].upper() + problem[1:])
    return NationalId("RPPS" if national_id[0] == "8" else "ADELI", national_id[1:])


# ---------------------------------------------------------------- drugs: CIS and CIP13


def ean13_check_digit(payload12: str) -> str:
    total = sum(int(c) * (3 if i % 2 else 1) for i, c in enumerate(payload12))
    return str((10 - total % 10) % 10)


def cip13_problem(cip13: str) -> str | None:
    if len(cip13) != 13 or not cip13.isascii() or not cip13.isdigit():
        return _("le code CIP13 compte 13 chiffres")
    if not cip13.startswith("3400"):
        return _("le code CIP13 commence par 3400")
    if ean13_check_digit(cip13[:12]) != cip13[12]:
        return _("clé du code CIP13 incorrecte")
    return None


def is_valid_cip13(cip13: str) -> bool:
    return cip13_problem(cip13) is None


def cis_problem(cis: str) -> str | None:
    if len(cis) != 8 or not cis.isascii() or not cis.isdigit():
        return _("le code CIS compte 8 chiffres")
    return None


def is_valid_cis(cis: str) -> bool:
    return cis_problem(cis) is None
