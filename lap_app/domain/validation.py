"""What CSP R.5132-3 requires of a medication ordonnance, checked field by field.

``validate_ordonnance`` returns every problem (errors and warnings) with a domain path such
as ``lines[1].posology``; ``check_ordonnance`` raises one ``ValidationError`` listing the
errors only (warnings never block). Choices made here:
- an RPPS whose Luhn key fails is a warning (docs/domain.md §3): some real numbers fail it;
- a child under 12 without a weight is a warning: weight is required "when relevant"
  (doses by weight), which the software cannot decide alone;
- a line needs a duration (posology or supply) or a number of boxes: error;
- a line without any rhythm (moments, frequency, "si besoin") is a warning (single doses);
- "non substituable" EFG for a patient aged 6 or more is a warning.
The other kinds of ordonnance (biology, nursing, paramedical care, devices, imaging,
transport) are checked by ``lap_app.domain.care_validation``, called from here.
"""

from __future__ import annotations

import re
from datetime import date

from lap_app.domain import identifiers as ids
from lap_app.domain.care_validation import LINE_STATUSES, CodeCatalogue, kind_problems
from lap_app.domain.errors import Problem, Severity, ValidationError
from lap_app.domain.model import (
    OID_INS_NIA,
    OID_INS_NIR,
    OID_INS_NIR_TEST,
    NonSubstitutionReason,
    Ordonnance,
    Patient,
    Prescriber,
    PrescriptionLine,
    Sex,
    Zone,
)
from lap_app.domain.posology import Posology
from lap_app.domain.posology_rules import positive_or_none, posology_problems
from lap_app.i18n import _

CHILD_WEIGHT_AGE_YEARS = 12
MAX_AGE_YEARS = 130
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class _Collector:
    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def error(self, path: str, message: str) -> None:
        self.problems.append(Problem(path, message, Severity.ERROR))

    def warning(self, path: str, message: str) -> None:
        self.problems.append(Problem(path, message, Severity.WARNING))


def _blank(text: str | None) -> bool:
    return not (text or "").strip()


def validate_ordonnance(
    ordonnance: Ordonnance, *, today: date | None = None, catalogue: CodeCatalogue | None = None
) -> list[Problem]:
    """Every problem of ``ordonnance``; ``today`` (when given) catches dates in the future;
    ``catalogue`` (when given) refuses NABM/LPP codes unknown or closed."""
    out = _Collector()
    o = ordonnance
    if o.written_at.tzinfo is None:
        out.error("written_at", _("la date de l'ordonnance doit porter son fuseau horaire"))
    if today is not None and o.date > today:
        out.error("written_at", _("la date de l'ordonnance est dans le futur"))
    if o.number is not None:
        problem = ids.prescription_number_problem(o.number)
        if problem:
            out.error("number", problem)
    _check_prescriber(o.prescriber, out)
    _check_patient(o.patient, o.date, out)
    if not o.line_count:
        out.error("lines", _("l'ordonnance ne comporte aucune ligne de prescription"))
    for index, line in enumerate(o.lines):
        _check_line(line, f"lines[{index}]", o, out)
    out.problems.extend(kind_problems(o, catalogue))
    if o.signature is not None and o.signature.signer_id != o.prescriber.national_id:
        out.error("signature.signer_id", _("la signature n'est pas celle du prescripteur"))
    return out.problems


def check_ordonnance(
    ordonnance: Ordonnance, *, today: date | None = None, catalogue: CodeCatalogue | None = None
) -> list[Problem]:
    """Raise ``ValidationError`` listing the errors; return the warnings otherwise."""
    problems = validate_ordonnance(ordonnance, today=today, catalogue=catalogue)
    errors = [p for p in problems if p.is_error]
    if errors:
        raise ValidationError(_("Ordonnance incomplète ou invalide"), errors)
    return problems


def _check_prescriber(p: Prescriber, out: _Collector) -> None:
    base = "prescriber"
    if _blank(p.family_name):
        out.error(f"{base}.family_name", _("nom du prescripteur manquant"))
    if not any(not _blank(g) for g in p.given_names):
        out.error(f"{base}.given_names", _("prénom du prescripteur manquant"))
    if _blank(p.qualification):
        out.error(f"{base}.qualification", _("qualification ou spécialité du prescripteur manquante"))
    problem = ids.national_id_problem(p.national_id)
    if problem:
        out.error(f"{base}.national_id", problem)
    elif p.rpps is not None and not ids.rpps_key_ok(p.rpps):
        out.warning(f"{base}.national_id", _("clé du numéro RPPS incorrecte : vérifiez le numéro"))
    address = p.address
    if address is None or not any(not _blank(line) for line in address.lines):
        out.error(f"{base}.address", _("adresse professionnelle du prescripteur manquante"))
    else:
        if _blank(address.postal_code):
            out.error(f"{base}.address.postal_code", _("code postal du prescripteur manquant"))
        if _blank(address.city):
            out.error(f"{base}.address.city", _("commune du prescripteur manquante"))
    digits = re.sub(r"\D", "", p.phone or "")
    if _blank(p.phone):
        out.error(f"{base}.phone", _("téléphone du prescripteur manquant"))
    elif re.search(r"[^\d\s+().\-]", p.phone) or not 9 <= len(digits) <= 15:
        out.error(f"{base}.phone", _("numéro de téléphone du prescripteur invalide"))
    if not _blank(p.email) and not _EMAIL.match(p.email.strip()):
        out.error(f"{base}.email", _("adresse électronique du prescripteur invalide"))


def _check_patient(p: Patient, day: date, out: _Collector) -> None:
    base = "patient"
    if _blank(p.family_name):
        out.error(f"{base}.family_name", _("nom du patient manquant"))
    if not any(not _blank(g) for g in p.given_names):
        out.error(f"{base}.given_names", _("prénom du patient manquant"))
    if not isinstance(p.sex, Sex) or p.sex is Sex.UNKNOWN:
        out.error(f"{base}.sex", _("sexe du patient manquant"))
    if p.birth_date is None:
        out.error(f"{base}.birth_date", _("date de naissance du patient manquante"))
    elif p.birth_date > day:
        out.error(f"{base}.birth_date", _("la date de naissance est postérieure à l'ordonnance"))
    elif (years := p.age_on(day)[0]) > MAX_AGE_YEARS:
        out.error(f"{base}.birth_date", _("date de naissance invraisemblable"))
    elif years < CHILD_WEIGHT_AGE_YEARS and p.weight_kg is None:
        out.warning(
            f"{base}.weight_kg", _("poids non renseigné pour un enfant de moins de 12 ans")
        )
    if p.weight_kg is not None and not 0.2 <= p.weight_kg <= 400:
        out.error(f"{base}.weight_kg", _("poids invraisemblable (en kg)"))
    if p.height_cm is not None and not 20 <= p.height_cm <= 260:
        out.error(f"{base}.height_cm", _("taille invraisemblable (en cm)"))
    if p.ins is not None:
        if p.ins_system not in (OID_INS_NIR, OID_INS_NIA, OID_INS_NIR_TEST):
            out.error(f"{base}.ins_system", _("système d'identifiant INS inconnu"))
        problem = ids.nir_problem(p.ins)
        if problem:
            out.error(f"{base}.ins", problem)
        elif p.ins[0] in "12" and p.sex in (Sex.MALE, Sex.FEMALE) and (p.ins[0] == "1") != (p.sex is Sex.MALE):
            out.warning(f"{base}.ins", _("le NIR ne correspond pas au sexe du patient"))


def _check_posology(p: Posology, base: str, out: _Collector) -> None:
    out.problems.extend(posology_problems(p, base))


def _check_line(line: PrescriptionLine, base: str, o: Ordonnance, out: _Collector) -> None:
    if _blank(line.dci_wording):
        out.error(f"{base}.dci_wording", _("dénomination commune (DCI) du médicament manquante"))
    if line.cis is not None and (problem := ids.cis_problem(line.cis)):
        out.error(f"{base}.cis", problem)
    if line.cip13 is not None and (problem := ids.cip13_problem(line.cip13)):
        out.error(f"{base}.cip13", problem)
    _check_posology(line.posology, f"{base}.posology", out)
    has_duration = line.posology.duration is not None or line.supply_duration is not None
    if not has_duration and line.boxes is None:
        out.error(base, _("durée de traitement ou nombre de boîtes manquant"))
    if line.boxes is not None and (not isinstance(line.boxes, int) or line.boxes < 1):
        out.error(f"{base}.boxes", _("nombre de boîtes : entier positif attendu"))
    if line.supply_duration is not None and not positive_or_none(line.supply_duration.value):
        out.error(f"{base}.supply_duration", _("durée de traitement : nombre positif attendu"))
    if not isinstance(line.renewals, int) or line.renewals < 0:
        out.error(f"{base}.renewals", _("nombre de renouvellements : entier positif ou nul attendu"))
    if not line.substitution_allowed and line.non_substitution_reason is None:
        out.error(
            f"{base}.non_substitution_reason",
            _("« non substituable » sans justification (MTE, EFG ou CIF)"),
        )
    if line.substitution_allowed and line.non_substitution_reason is not None:
        out.error(
            f"{base}.non_substitution_reason",
            _("justification de non-substitution donnée pour une ligne substituable"),
        )
    if (
        line.non_substitution_reason is NonSubstitutionReason.EFG
        and o.patient.birth_date is not None
        and o.patient.birth_date <= o.date
        and o.patient.age_on(o.date)[0] >= 6
    ):
        out.warning(
            f"{base}.non_substitution_reason",
            _("la mention EFG est réservée aux enfants de moins de 6 ans"),
        )
    if not isinstance(line.zone, Zone):
        out.error(f"{base}.zone", _("zone inconnue (ALD ou HORS-ALD)"))
    if line.status not in LINE_STATUSES:
        out.error(f"{base}.status", _("statut de ligne inconnu : {s}").format(s=line.status))
