"""French wording of the paper ordonnance: dates, ages, identities, line mentions.

Pure functions of the domain objects, so that the layout code only places strings.
"""

from __future__ import annotations

from datetime import date

from lap_app.domain.model import (
    CHILD_AGE_YEARS,
    OID_INS_NIA,
    OID_INS_NIR_TEST,
    Ordonnance,
    Patient,
    Prescriber,
    PrescriptionLine,
    Quantity,
    Sex,
    age_in_months,
)
from lap_app.domain.posology_text import TIME_UNITS, time_word
from lap_app.i18n import N_, _, ngettext

_MONTHS = (
    N_("janvier"), N_("février"), N_("mars"), N_("avril"), N_("mai"), N_("juin"),
    N_("juillet"), N_("août"), N_("septembre"), N_("octobre"), N_("novembre"), N_("décembre"),
)


def french_number(value: float) -> str:
    """12.5 -> "12,5"; 90.0 -> "90"."""
    if float(value).is_integer():
        return str(int(value))
    return f"{value:.2f}".rstrip("0").rstrip(".").replace(".", ",")


def long_date(day: date) -> str:
    """25 novembre 2026; 1er décembre 2026."""
    first = "1er" if day.day == 1 else str(day.day)
    return f"{first} {_(_MONTHS[day.month - 1])} {day.year}"


def place_and_date(ordonnance: Ordonnance) -> str:
    """"Paris, le 25 novembre 2026" (the prescriber's city when known)."""
    address = ordonnance.prescriber.address
    city = address.city.strip() if address else ""
    when = long_date(ordonnance.date)
    if city:
        return _("{city}, le {date}").format(city=city, date=when)
    return _("Le {date}").format(date=when)


def age_text(birth: date, on: date) -> str:
    """Age as a physician writes it: days for newborns, months under 2, years and months
    under 6 (doses by age), whole years above."""
    if on < birth:
        return ""
    months = age_in_months(birth, on)
    if months < 1:
        days = (on - birth).days
        return ngettext("{n} jour", "{n} jours", days).format(n=days)
    if months < 24:
        return _("{n} mois").format(n=months)
    years, rest = divmod(months, 12)
    year_text = ngettext("{n} an", "{n} ans", years).format(n=years)
    if years < 6 and rest:
        return _("{years} {months} mois").format(years=year_text, months=rest)
    return year_text


def format_ins(ins: str) -> str:
    """1 58 03 75 056 123 21 (sex, year, month, department, commune, order, key)."""
    if len(ins) != 15:
        return ins
    cuts = (1, 3, 5, 7, 10, 13)
    parts, start = [], 0
    for cut in cuts:
        parts.append(ins[start:cut])
        start = cut
    parts.append(ins[start:])
    return " ".join(parts)


def prescriber_lines(prescriber: Prescriber) -> list[str]:
    """Everything under the name: qualification, address, contact (R.5132-3)."""
    lines: list[str] = []
    if prescriber.qualification:
        lines.append(prescriber.qualification)
    address = prescriber.address
    if address:
        lines.extend(line for line in address.lines if line.strip())
        city_line = " ".join(part for part in (address.postal_code, address.city) if part)
        country = address.country or "France"
        lines.append(f"{city_line}, {country}" if city_line else country)
    if prescriber.phone:
        lines.append(_("Tél. : {phone}").format(phone=prescriber.phone))
    if prescriber.email:
        lines.append(_("Courriel : {email}").format(email=prescriber.email))
    return lines


def prescriber_identifier(prescriber: Prescriber) -> tuple[str, str]:
    """(label, value) of the printed professional identifier: RPPS, else ADELI."""
    national_id = prescriber.national_id
    if national_id.startswith("8"):
        return _("RPPS"), national_id[1:]
    if national_id.startswith("0"):
        return _("ADELI"), national_id[1:]
    return _("Identifiant"), national_id


def patient_lines(patient: Patient, on: date) -> list[str]:
    """Sex, birth date and age; weight and height of a child; INS."""
    lines: list[str] = []
    sex_word = {
        Sex.MALE: _("masculin"),
        Sex.FEMALE: _("féminin"),
        Sex.OTHER: _("autre"),
    }.get(patient.sex)
    born = {Sex.MALE: _("Né le"), Sex.FEMALE: _("Née le")}.get(patient.sex, _("Né(e) le"))
    first: list[str] = []
    if sex_word:
        first.append(_("Sexe : {sex}").format(sex=sex_word))
    if patient.birth_date:
        first.append(f"{born} {patient.birth_date:%d/%m/%Y}")
        age = age_text(patient.birth_date, on)
        if age:
            first.append(age)
    if first:
        lines.append(" · ".join(first))
    measures: list[str] = []
    # CSP R.5132-3: weight (and height) on the ordonnance of a child, not of an adult
    child = patient.birth_date is not None and age_in_months(patient.birth_date, on) < CHILD_AGE_YEARS * 12
    if patient.weight_kg is not None and child:
        measures.append(_("Poids : {kg} kg").format(kg=french_number(patient.weight_kg)))
    if patient.height_cm is not None and child:
        measures.append(_("Taille : {cm} cm").format(cm=french_number(patient.height_cm)))
    if measures:
        lines.append(" · ".join(measures))
    if patient.ins:
        label = {OID_INS_NIA: _("INS (NIA)"), OID_INS_NIR_TEST: _("INS (test)")}.get(
            patient.ins_system, _("INS")
        )
        lines.append(f"{label} : {format_ins(patient.ins)}")
    return lines


def quantity_text(quantity: Quantity) -> str:
    number = french_number(quantity.value)
    if quantity.code in TIME_UNITS:  # same agreement as the posology sentence: plural from 2 on
        # the posology sentence's own word, French by design like the sentence (lap_app.i18n)
        return f"{number} {time_word(quantity.code, quantity.value)}"
    return f"{number} {quantity.unit}".strip()


def renewal_text(renewals: int) -> str:
    if renewals <= 0:
        return _("Non renouvelable")
    return ngettext("À renouveler {n} fois", "À renouveler {n} fois", renewals).format(n=renewals)


def non_substitution_text(line: PrescriptionLine) -> str | None:
    """"Non substituable (MTE)" when the prescriber refused substitution."""
    if line.substitution_allowed:
        return None
    if line.non_substitution_reason is None:
        return _("Non substituable")
    return _("Non substituable ({reason})").format(reason=line.non_substitution_reason.value)


def line_details(line: PrescriptionLine) -> str:
    """Duration / quantity and renewals on one line."""
    parts: list[str] = []
    if line.supply_duration is not None:
        parts.append(_("Durée de traitement : {d}").format(d=quantity_text(line.supply_duration)))
    if line.boxes:
        parts.append(ngettext("Quantité : {n} boîte", "Quantité : {n} boîtes", line.boxes).format(n=line.boxes))
    parts.append(renewal_text(line.renewals))
    return " · ".join(parts)


def brand_text(line: PrescriptionLine) -> str | None:
    """The brand / pack wording when it adds something to the DCI wording."""
    parts: list[str] = []
    if line.product_name and line.product_name.strip().casefold() != line.dci_wording.strip().casefold():
        parts.append(line.product_name.strip())
    if line.pack_label:
        parts.append(_("Présentation : {pack}").format(pack=line.pack_label.strip()))
    return " — ".join(parts) if parts else None
