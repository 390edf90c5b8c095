"""MedicationRequest → ``PrescriptionLine``, Dosage → ``Posology`` (docs/fhir-mapping.md)."""

from __future__ import annotations

from dataclasses import fields

from lap_app.domain.identifiers import is_valid_prescription_number
from lap_app.domain.model import (
    OID_CIP13,
    OID_CIS,
    SYSTEM_NON_SUBSTITUTION,
    SYSTEM_PRESCRIPTION_NUMBER,
    NonSubstitutionReason,
    PrescriptionLine,
    Quantity,
)
from lap_app.domain.posology import Posology
from lap_app.domain.posology_text import render_sentence
from lap_app.fhir import constants as c
from lap_app.fhir.json_reader import JsonObject, JsonReader, same_ref, time_quantity
from lap_app.i18n import _

_NON_SUBSTITUTION_CODES = frozenset(x.value for x in NonSubstitutionReason)


def read_medication_request(r: JsonReader, path: str, url: str, res: JsonObject, ctx: JsonObject, line_path: str) -> PrescriptionLine:
    r.map(line_path, path)
    status = r.text(res, "status", path, required=True) or "active"
    r.map(f"{line_path}.status", f"{path}.status")
    if res.get("intent") != "order":
        r.problem(f"{path}.intent", _("intention attendue : « order »"))
    group = r.obj(res, "groupIdentifier", path)
    number_ok = ctx["number"] is not None and is_valid_prescription_number(ctx["number"])
    if number_ok or (ctx["number"] is None and group is not None):  # a wrong number is reported once
        if group is None:
            r.problem(f"{path}.groupIdentifier", _("numéro d'ordonnance manquant sur la ligne"))
        elif group.get("value") != ctx["number"] or group.get("system") != SYSTEM_PRESCRIPTION_NUMBER:
            r.problem(f"{path}.groupIdentifier", _("le numéro de la ligne diffère de celui de l'ordonnance"))
    same_ref(r, res, "subject", path, ctx["patient"], "Patient")
    same_ref(r, res, "requester", path, ctx["prescriber"], "Practitioner")
    authored = r.date(res, "authoredOn", path)
    if authored is not None and ctx["date"] is not None and authored != ctx["date"]:
        r.problem(f"{path}.authoredOn", _("la date de la ligne diffère de la date de l'ordonnance"))

    med_path = f"{path}.medicationCodeableConcept"
    med = r.obj(res, "medicationCodeableConcept", path, required=True) or {}
    cis = cip13 = product_name = pack_label = None
    for code_path, coding in r.dicts(med, "coding", med_path):
        system = coding.get("system")
        if system == OID_CIS:
            cis = r.text(coding, "code", code_path, required=True)
            product_name = r.text(coding, "display", code_path)
            r.map(f"{line_path}.cis", f"{code_path}.code")
        elif system == OID_CIP13:
            cip13 = r.text(coding, "code", code_path, required=True)
            pack_label = r.text(coding, "display", code_path)
            r.map(f"{line_path}.cip13", f"{code_path}.code")
    dci = r.text(med, "text", med_path) or ""
    r.map(f"{line_path}.dci_wording", f"{med_path}.text")

    dosages = r.dicts(res, "dosageInstruction", path, required=True)
    if len(dosages) > 1:
        r.problem(f"{path}.dosageInstruction", _("une seule posologie par ligne est prise en charge"))
    dosage_path, dosage = dosages[0] if dosages else (f"{path}.dosageInstruction", {})
    posology, instructions = _read_dosage(r, dosage, dosage_path, f"{line_path}.posology")

    dispense_path = f"{path}.dispenseRequest"
    dispense = r.obj(res, "dispenseRequest", path) or {}
    renewals = r.integer(dispense, "numberOfRepeatsAllowed", dispense_path)
    r.map(f"{line_path}.renewals", f"{dispense_path}.numberOfRepeatsAllowed")
    supply = None
    supply_obj = r.obj(dispense, "expectedSupplyDuration", dispense_path)
    if supply_obj is not None:
        value = r.decimal(supply_obj, "value", f"{dispense_path}.expectedSupplyDuration", required=True)
        unit = r.text(supply_obj, "unit", f"{dispense_path}.expectedSupplyDuration") or ""
        code = r.text(supply_obj, "code", f"{dispense_path}.expectedSupplyDuration")
        if value is not None:
            supply = Quantity(value=value, unit=unit, code=code)
        r.map(f"{line_path}.supply_duration", f"{dispense_path}.expectedSupplyDuration.value")
    boxes = None
    quantity = r.obj(dispense, "quantity", dispense_path)
    if quantity is not None:
        boxes = r.integer(quantity, "value", f"{dispense_path}.quantity", required=True)
        r.map(f"{line_path}.boxes", f"{dispense_path}.quantity.value")

    substitution_allowed, reason = True, None
    sub = r.obj(res, "substitution", path)
    if sub is not None:
        allowed = r.get(sub, "allowedBoolean", f"{path}.substitution", bool, required=True)
        substitution_allowed = allowed is not False
        reason_obj = r.obj(sub, "reason", f"{path}.substitution")
        r.map(f"{line_path}.non_substitution_reason", f"{path}.substitution")
        if reason_obj is not None:
            codes = r.codes(reason_obj, f"{path}.substitution.reason", SYSTEM_NON_SUBSTITUTION)
            if len(codes) == 1 and codes[0] in _NON_SUBSTITUTION_CODES:
                reason = NonSubstitutionReason(codes[0])
            else:
                r.problem(f"{path}.substitution.reason", _("justification de non-substitution inconnue : MTE, EFG ou CIF attendu"))
    return PrescriptionLine(
        dci_wording=dci,
        posology=posology,
        cis=cis,
        cip13=cip13,
        product_name=product_name,
        pack_label=pack_label,
        boxes=boxes,
        supply_duration=supply,
        renewals=renewals if renewals is not None else 0,
        substitution_allowed=substitution_allowed,
        non_substitution_reason=reason,
        instructions=instructions,
        status=status,
        resource_id=url,
    )


def _read_dosage(r: JsonReader, d: JsonObject, path: str, pos_path: str) -> tuple[Posology, str]:
    p = Posology()
    r.map(pos_path, path)
    text = r.text(d, "text", path)
    instructions = r.text(d, "patientInstruction", path) or ""
    if "asNeededBoolean" in d:
        p.as_needed = bool(r.get(d, "asNeededBoolean", path, bool))
    concept = r.obj(d, "asNeededCodeableConcept", path)
    if concept is not None:
        p.as_needed = True
        p.as_needed_reason = r.text(concept, "text", f"{path}.asNeededCodeableConcept", required=True) or ""
    for ext_path, ext in r.dicts(d, "extension", path):
        if ext.get("url") == c.EXT_MIN_INTERVAL:
            value, code = time_quantity(r, r.obj(ext, "valueDuration", ext_path, required=True), f"{ext_path}.valueDuration")
            if code not in (None, "h"):
                r.problem(f"{ext_path}.valueDuration.code", _("intervalle attendu en heures (h)"))
            p.min_interval_hours = value
        else:
            r.problem(f"{ext_path}.url", _("extension inconnue : {u}").format(u=ext.get("url")))
    timing = r.obj(d, "timing", path) or {}
    repeat_path = f"{path}.timing.repeat"
    repeat = r.obj(timing, "repeat", f"{path}.timing") or {}
    p.frequency = r.integer(repeat, "frequency", repeat_path)
    p.period = r.decimal(repeat, "period", repeat_path)
    p.period_unit = r.text(repeat, "periodUnit", repeat_path)
    p.when = r.strings(repeat, "when", repeat_path)
    for name, key in (("frequency", "frequency"), ("period", "period"), ("period_unit", "periodUnit"), ("when", "when")):
        r.map(f"{pos_path}.{name}", f"{repeat_path}.{key}")
    bounds = r.obj(repeat, "boundsDuration", repeat_path)
    p.duration, p.duration_unit = time_quantity(r, bounds, f"{repeat_path}.boundsDuration")
    r.map(f"{pos_path}.duration", f"{repeat_path}.boundsDuration.value")
    r.map(f"{pos_path}.duration_unit", f"{repeat_path}.boundsDuration.code")
    if (  # "at most once every N hours" is the minimum interval (see docs/fhir-mapping.md)
        p.as_needed and p.min_interval_hours is None and p.frequency == 1 and p.period_unit == "h"
        and p.period is not None and not p.when
    ):
        p.min_interval_hours, p.frequency, p.period, p.period_unit = p.period, None, None, None
        r.map(f"{pos_path}.min_interval_hours", f"{repeat_path}.period")
    max_obj = r.obj(d, "maxDosePerPeriod", path)
    if max_obj is not None:
        max_path = f"{path}.maxDosePerPeriod"
        numerator = r.obj(max_obj, "numerator", max_path, required=True) or {}
        p.max_dose = r.decimal(numerator, "value", f"{max_path}.numerator", required=True)
        max_unit = r.text(numerator, "unit", f"{max_path}.numerator") or ""
        p.max_period, p.max_period_unit = time_quantity(r, r.obj(max_obj, "denominator", max_path, required=True), f"{max_path}.denominator")
        r.map(f"{pos_path}.max_dose", f"{max_path}.numerator.value")
        r.map(f"{pos_path}.max_period", f"{max_path}.denominator.value")
        r.map(f"{pos_path}.max_period_unit", f"{max_path}.denominator.code")
    route = r.obj(d, "route", path)
    if route is not None:
        p.route = r.text(route, "text", f"{path}.route") or ""
    rates = r.dicts(d, "doseAndRate", path)
    if rates:
        rate_path, rate = rates[0]
        dose = r.obj(rate, "doseQuantity", rate_path)
        if dose is not None:
            p.dose = r.decimal(dose, "value", f"{rate_path}.doseQuantity", required=True)
            p.dose_unit = r.text(dose, "unit", f"{rate_path}.doseQuantity") or ""
            r.map(f"{pos_path}.dose", f"{rate_path}.doseQuantity.value")
            r.map(f"{pos_path}.dose_unit", f"{rate_path}.doseQuantity.unit")
    if max_obj is not None:
        p.max_dose_unit = "" if max_unit == p.dose_unit else max_unit
    p.text = None if text is None or text == _sentence(p) else text  # kept only where it says otherwise
    return p, instructions


_RENDERED_FIELDS = tuple(f.name for f in fields(Posology) if f.name != "text")
_SENTENCES: dict[tuple[str, ...], str] = {}  # the same few posologies come back on every ordonnance


def _sentence(p: Posology) -> str:
    """``render_sentence(p)`` (a pure function of these fields), remembered: a base reads the
    same posologies many times a second."""
    # repr tells 1 from 1.0 and True, and round-trips floats: equal keys, equal sentences
    key = tuple(map(repr, map(p.__getattribute__, _RENDERED_FIELDS)))
    sentence = _SENTENCES.get(key)
    if sentence is None:
        if len(_SENTENCES) >= 4096:
            _SENTENCES.clear()
        sentence = _SENTENCES[key] = render_sentence(p)
    return sentence


