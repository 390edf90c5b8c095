"""What R.5132-3 requires: one precise French message per missing or invalid field."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date, datetime

import pytest

from lap_app.domain.errors import Severity, ValidationError
from lap_app.domain.model import Address, NonSubstitutionReason, Ordonnance, Quantity, Sex, Signature
from lap_app.domain.validation import check_ordonnance, validate_ordonnance

from domain_samples import make_ordonnance

E, W = Severity.ERROR, Severity.WARNING


def test_complete_ordonnance_has_no_problem() -> None:
    assert validate_ordonnance(make_ordonnance(), today=date(2026, 11, 25)) == []
    assert check_ordonnance(make_ordonnance()) == []


def _set(path: str, value: object) -> Callable[[Ordonnance], None]:
    def mutate(o: Ordonnance) -> None:
        *parents, last = path.split(".")
        target: object = o
        for part in parents:
            target = target.lines[int(part[6:-1])] if part.startswith("lines[") else getattr(target, part)
        setattr(target, last, value)

    return mutate


def _child_without_weight(o: Ordonnance) -> None:
    o.patient.birth_date = date(2020, 1, 1)
    o.patient.ins = None


def _efg_for_adult(o: Ordonnance) -> None:
    o.lines[1].non_substitution_reason = NonSubstitutionReason.EFG


def _no_duration(o: Ordonnance) -> None:
    o.lines[0].posology.duration = None


def _no_rhythm(o: Ordonnance) -> None:
    o.lines[0].posology.when = []


def _signed_by_someone_else(o: Ordonnance) -> None:
    o.signature = Signature(o.written_at, "899700000001", b"sig")


CASES: list[tuple[str, Callable[[Ordonnance], None], str, Severity, str]] = [
    ("prescriber name", _set("prescriber.family_name", " "), "prescriber.family_name", E, "nom du prescripteur manquant"),
    ("prescriber given", _set("prescriber.given_names", []), "prescriber.given_names", E, "prénom du prescripteur"),
    ("qualification", _set("prescriber.qualification", ""), "prescriber.qualification", E, "qualification"),
    ("no national id", _set("prescriber.national_id", ""), "prescriber.national_id", E, "identifiant national du prescripteur manquant"),
    ("short RPPS", _set("prescriber.national_id", "81010123456"), "prescriber.national_id", E, "11 chiffres"),
    ("RPPS key", _set("prescriber.national_id", "810101234565"), "prescriber.national_id", W, "clé du numéro RPPS"),
    ("no address", _set("prescriber.address", None), "prescriber.address", E, "adresse professionnelle"),
    ("no postcode", _set("prescriber.address", Address(["1 rue X"], "", "Paris")), "prescriber.address.postal_code", E, "code postal"),
    ("no city", _set("prescriber.address", Address(["1 rue X"], "75011", "")), "prescriber.address.city", E, "commune"),
    ("no phone", _set("prescriber.phone", ""), "prescriber.phone", E, "téléphone du prescripteur manquant"),
    ("bad phone", _set("prescriber.phone", "01 23 AB"), "prescriber.phone", E, "téléphone du prescripteur invalide"),
    ("bad email", _set("prescriber.email", "claire@"), "prescriber.email", E, "adresse électronique"),
    ("naive date", _set("written_at", datetime(2026, 11, 25, 10, 42)), "written_at", E, "fuseau horaire"),
    ("future date", _set("written_at", datetime.fromisoformat("2026-12-25T10:00:00+01:00")), "written_at", E, "dans le futur"),
    ("bad number", _set("number", "2026112500004293"), "number", E, "clé de contrôle"),
    ("patient name", _set("patient.family_name", ""), "patient.family_name", E, "nom du patient manquant"),
    ("patient given", _set("patient.given_names", [""]), "patient.given_names", E, "prénom du patient"),
    ("sex", _set("patient.sex", Sex.UNKNOWN), "patient.sex", E, "sexe du patient manquant"),
    ("birth date", _set("patient.birth_date", None), "patient.birth_date", E, "date de naissance du patient manquante"),
    ("born later", _set("patient.birth_date", date(2027, 1, 1)), "patient.birth_date", E, "postérieure"),
    ("too old", _set("patient.birth_date", date(1850, 1, 1)), "patient.birth_date", E, "invraisemblable"),
    ("child weight", _child_without_weight, "patient.weight_kg", W, "poids non renseigné pour un enfant"),
    ("weight", _set("patient.weight_kg", 0.0), "patient.weight_kg", E, "poids invraisemblable"),
    ("height", _set("patient.height_cm", 400.0), "patient.height_cm", E, "taille invraisemblable"),
    ("INS key", _set("patient.ins", "158037505612322"), "patient.ins", E, "clé du NIR"),
    ("INS sex", _set("patient.sex", Sex.FEMALE), "patient.ins", W, "sexe"),
    ("INS system", _set("patient.ins_system", "urn:oid:1.2.3"), "patient.ins_system", E, "INS inconnu"),
    ("no lines", _set("lines", []), "lines", E, "aucune ligne"),
    ("DCI", _set("lines[0].dci_wording", ""), "lines[0].dci_wording", E, "DCI"),
    ("CIS", _set("lines[0].cis", "6906516"), "lines[0].cis", E, "CIS compte 8 chiffres"),
    ("CIP13", _set("lines[1].cip13", "3400930065892"), "lines[1].cip13", E, "clé du code CIP13"),
    ("dose", _set("lines[0].posology.dose", None), "lines[0].posology", E, "posologie manquante"),
    ("dose unit", _set("lines[0].posology.dose_unit", ""), "lines[0].posology.dose_unit", E, "unité de la dose"),
    ("negative dose", _set("lines[0].posology.dose", -1), "lines[0].posology.dose", E, "nombre positif"),
    ("time unit", _set("lines[0].posology.duration_unit", "days"), "lines[0].posology.duration_unit", E, "unité de temps inconnue"),
    ("moment", _set("lines[0].posology.when", ["BREAKFAST"]), "lines[0].posology.when", E, "moment de prise inconnu : BREAKFAST"),
    ("frequency vs moments", _set("lines[0].posology.frequency", 3), "lines[0].posology.frequency", W, "ne correspond pas aux moments"),
    ("infinite dose", _set("lines[0].posology.dose", float("inf")), "lines[0].posology.dose", E, "nombre positif"),
    ("rhythm", _no_rhythm, "lines[0].posology", W, "rythme des prises"),
    ("duration", _no_duration, "lines[0]", E, "durée de traitement ou nombre de boîtes manquant"),
    ("boxes", _set("lines[0].boxes", 0), "lines[0].boxes", E, "nombre de boîtes"),
    ("renewals", _set("lines[0].renewals", -1), "lines[0].renewals", E, "renouvellements"),
    ("no reason", _set("lines[1].non_substitution_reason", None), "lines[1].non_substitution_reason", E, "sans justification"),
    ("reason alone", _set("lines[0].non_substitution_reason", NonSubstitutionReason.CIF), "lines[0].non_substitution_reason", E, "ligne substituable"),
    ("EFG adult", _efg_for_adult, "lines[1].non_substitution_reason", W, "moins de 6 ans"),
    ("status", _set("lines[0].status", "done"), "lines[0].status", E, "statut"),
    ("signer", _signed_by_someone_else, "signature.signer_id", E, "pas celle du prescripteur"),
]


@pytest.mark.parametrize(("mutate", "path", "severity", "words"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_each_rule_reports_its_field(mutate, path: str, severity: Severity, words: str) -> None:
    ordonnance = make_ordonnance()
    mutate(ordonnance)
    problems = validate_ordonnance(ordonnance, today=date(2026, 11, 25))
    assert [(p.path, p.severity) for p in problems] == [(path, severity)], problems
    assert words in problems[0].message


def test_boxes_or_supply_duration_replace_the_posology_duration() -> None:
    ordonnance = make_ordonnance()
    ordonnance.lines[0].posology.duration = None
    ordonnance.lines[0].boxes = 3
    ordonnance.lines[1].posology.duration = None
    ordonnance.lines[1].supply_duration = Quantity(30, "jours", "d")
    assert validate_ordonnance(ordonnance) == []


def test_check_raises_one_error_listing_every_error_but_no_warning() -> None:
    ordonnance = make_ordonnance()
    ordonnance.prescriber.family_name = ""
    ordonnance.patient.birth_date = None
    ordonnance.lines[1].substitution_allowed = True  # MTE given for a substitutable line
    ordonnance.prescriber.national_id = "810101234565"  # RPPS key: warning only
    with pytest.raises(ValidationError) as caught:
        check_ordonnance(ordonnance)
    paths = [p.path for p in caught.value.problems]
    assert paths == ["prescriber.family_name", "patient.birth_date", "lines[1].non_substitution_reason"]
    assert "nom du prescripteur manquant" in caught.value.message
    assert "\n" not in caught.value.message


def test_warnings_alone_do_not_block() -> None:
    ordonnance = make_ordonnance()
    ordonnance.prescriber.national_id = "810101234565"
    warnings = check_ordonnance(ordonnance)
    assert [(p.path, p.severity) for p in warnings] == [("prescriber.national_id", W)]


def test_adeli_identifier_and_child_with_weight_are_accepted() -> None:
    ordonnance = replace(make_ordonnance())
    ordonnance.prescriber.national_id = "0751234567"
    ordonnance.patient.birth_date = date(2022, 5, 1)
    ordonnance.patient.ins = None
    ordonnance.patient.weight_kg = 14.5
    ordonnance.lines[1].non_substitution_reason = NonSubstitutionReason.EFG  # child under 6
    assert validate_ordonnance(ordonnance) == []
