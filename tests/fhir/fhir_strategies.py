"""Hypothesis strategies for valid ordonnances, in the canonical form the mapping keeps.

Canonical form (docs/fhir-mapping.md): display texts are None rather than "", a duration
always has its unit, a maximum dose always has its period, ``text`` is only set when it
differs from the rendering, and "as needed, once every N hours" is written as a minimum
interval (``min_interval_hours``), which is how the reader reads it back.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

from hypothesis import strategies as st

from lap_app.domain import identifiers as ids
from lap_app.domain.model import (
    OID_INS_NIA,
    OID_INS_NIR,
    OID_INS_NIR_TEST,
    Address,
    Creatinine,
    NonSubstitutionReason,
    Ordonnance,
    Patient,
    Prescriber,
    PrescriptionLine,
    Quantity,
    Sex,
    Signature,
    Zone,
)
from lap_app.domain.posology import Posology
from lap_app.domain.validation import LINE_STATUSES

LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZéèêëàâîïôöùûüçœÉÈÊÀÂÎÔÙÇŒ’'- "
words = st.text(LETTERS, min_size=1, max_size=20).filter(lambda s: s.strip() != "")
amounts = st.sampled_from([0.25, 0.5, 1, 1.5, 2, 2.5, 3, 4, 5, 10, 20, 40, 500, 1000])
zones = [UTC, timezone(timedelta(hours=1)), timezone(timedelta(hours=2)), timezone(timedelta(hours=-3, minutes=-30))]
instants = st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2035, 12, 31), timezones=st.sampled_from(zones))
time_units = st.sampled_from(["h", "d", "wk", "mo"])
digits = lambda n: st.text("0123456789", min_size=n, max_size=n)  # noqa: E731


@st.composite
def posologies(draw: st.DrawFn) -> Posology:
    dose = draw(st.none() | amounts)
    p = Posology(dose=dose, dose_unit=draw(st.sampled_from(["comprimé", "gélule", "ml", "mg", "goutte", "UI", "bouffée", "sachet"])) if dose is not None else "")
    if draw(st.booleans()):
        p.when = draw(st.lists(st.sampled_from(["MORN", "NOON", "EVE", "HS", "ACM", "CM", "CD", "CV", "AC", "PC", "NIGHT"]), min_size=1, max_size=4, unique=True))
    if draw(st.booleans()):
        p.frequency = draw(st.integers(1, 6))
        p.period = draw(st.sampled_from([1, 2, 6, 8, 12]))
        p.period_unit = draw(time_units)
    p.as_needed = draw(st.booleans())
    if p.as_needed:
        p.as_needed_reason = draw(st.sampled_from(["", "douleur", "fièvre", "nausées", "gêne respiratoire"]))
    if draw(st.booleans()):
        p.max_dose = draw(amounts)
        p.max_period = draw(st.sampled_from([1, 24]))
        p.max_period_unit = draw(st.sampled_from(["d", "h"]))
        p.max_dose_unit = draw(st.sampled_from(["", "mg"]))
        if p.max_dose_unit == p.dose_unit:
            p.max_dose_unit = ""  # only kept when it differs from the dose unit
    if draw(st.booleans()):
        p.min_interval_hours = draw(st.sampled_from([4, 6, 8, 1.5]))
    if p.as_needed and p.frequency == 1 and p.period_unit == "h" and not p.when and p.min_interval_hours is None:
        p.period_unit = "d"  # keep clear of the one equivalent spelling (see module docstring)
    if dose is None or draw(st.booleans()):
        p.duration = draw(st.sampled_from([1, 3, 5, 7, 10, 30]))
        p.duration_unit = draw(time_units)
    p.route = draw(st.sampled_from(["", "orale", "cutanée", "inhalée"]))
    if dose is None or draw(st.integers(0, 4)) == 0:
        p.text = "Texte signé : " + draw(words)
    return p


@st.composite
def lines(draw: st.DrawFn) -> PrescriptionLine:
    posology = draw(posologies())
    cis = draw(st.none() | digits(8))
    cip13 = None
    if draw(st.booleans()):
        payload = "3400" + draw(digits(8))
        cip13 = payload + ids.ean13_check_digit(payload)
    substitutable = draw(st.booleans())
    has_duration = posology.duration is not None
    supply = draw(st.none() | st.builds(Quantity, st.sampled_from([28, 30, 90]), st.sampled_from(["jours", "j"]), st.sampled_from([None, "d"])))
    return PrescriptionLine(
        dci_wording=draw(words),
        posology=posology,
        cis=cis,
        cip13=cip13,
        product_name=draw(st.none() | words) if cis else None,
        pack_label=draw(st.none() | words) if cip13 else None,
        boxes=draw(st.none() | st.integers(1, 6)) if (has_duration or supply) else draw(st.integers(1, 6)),
        supply_duration=supply,
        renewals=draw(st.integers(0, 11)),
        substitution_allowed=substitutable,
        non_substitution_reason=None if substitutable else draw(st.sampled_from([NonSubstitutionReason.MTE, NonSubstitutionReason.CIF])),
        instructions=draw(st.sampled_from(["", "À prendre avec un grand verre d'eau", "Ne pas écraser"])),
        zone=draw(st.sampled_from(list(Zone))),
        status=draw(st.sampled_from(sorted(LINE_STATUSES))),
    )


@st.composite
def ordonnances(draw: st.DrawFn) -> Ordonnance:
    written_at = draw(instants)
    rpps_payload = draw(digits(10))
    prescriber = Prescriber(
        family_name=draw(words),
        given_names=draw(st.lists(words, min_size=1, max_size=2)),
        national_id=draw(st.sampled_from(["8" + rpps_payload + ids.luhn_check_digit(rpps_payload), "0" + draw(digits(9))])),
        qualification=draw(st.sampled_from(["Médecin qualifié en médecine générale", "Pédiatre", "Sage-femme"])),
        prefix=draw(st.sampled_from(["Dr", "Pr", ""])),
        address=Address([draw(words)], draw(digits(5)), draw(words), draw(st.sampled_from(["France", ""]))),
        phone=draw(st.sampled_from(["+33 1 23 45 67 89", "01 23 45 67 89", "+33 (0)4 91 00 00 00"])),
        email=draw(st.sampled_from(["", "dr@exemple.fr"])),
    )
    birth = draw(st.dates(min_value=date(1920, 1, 1), max_value=written_at.date()))
    sex = draw(st.sampled_from([Sex.MALE, Sex.FEMALE, Sex.OTHER]))
    ins = None
    if draw(st.booleans()):
        body = ("1" if sex is Sex.MALE else "2") + draw(digits(4)) + draw(st.sampled_from(["75", "2A", "2B", "13"])) + draw(digits(6))
        ins = body + f"{ids.nir_key(body):02d}"
    child = written_at.date().year - birth.year < 13
    patient = Patient(
        family_name=draw(words),
        given_names=draw(st.lists(words, min_size=1, max_size=3)),
        sex=sex,
        birth_date=birth,
        ins=ins,
        ins_system=draw(st.sampled_from([OID_INS_NIR, OID_INS_NIA, OID_INS_NIR_TEST])) if ins else OID_INS_NIR,
        weight_kg=draw(st.sampled_from([3.4, 14.5, 72])) if child else draw(st.none() | st.sampled_from([3.4, 72, 101.5])),
        height_cm=draw(st.none() | st.sampled_from([52, 170.5])),
        ald=draw(st.booleans()),
        breastfeeding=draw(st.booleans()),
        creatinine=draw(st.none() | st.builds(Creatinine, st.sampled_from([62, 88.4, 10.5, 1.2]),
                                              st.sampled_from(["µmol/L", "mg/L", "mg/dL"]),
                                              st.dates(date(2020, 1, 1), date(2035, 12, 31)))),
    )
    if sex is Sex.FEMALE and draw(st.booleans()):
        patient.pregnant, patient.pregnancy_weeks = True, draw(st.none() | st.integers(4, 41))
    number = None
    if draw(st.booleans()):
        number = ids.prescription_number_from_serial(draw(st.integers(0, 10**14 - 1)))
    ordonnance = Ordonnance(
        prescriber=prescriber,
        patient=patient,
        lines=draw(st.lists(lines(), min_size=1, max_size=5)),
        written_at=written_at,
        number=number,
        opposition=draw(st.booleans()),
        title=draw(st.sampled_from(["Ordonnance", "Ordonnance bizone"])),
        bundle_id=draw(st.none() | st.just("ord-1")),
    )
    if draw(st.booleans()):
        ordonnance.timestamp = written_at + timedelta(seconds=draw(st.integers(1, 3600)))
    if draw(st.booleans()):
        ordonnance.signature = Signature(
            when=draw(instants),
            signer_id=prescriber.national_id,
            data=draw(st.binary(min_size=1, max_size=64)),
            certificate=draw(st.none() | st.binary(min_size=1, max_size=64)),
            sig_format=draw(st.sampled_from(["application/jose", "application/x-lap-rs256"])),
        )
    return ordonnance
