"""Domain ordonnance → FHIR R4 document Bundle (a plain ``dict``, ready for ``json.dumps``)."""

from __future__ import annotations

import base64
from datetime import datetime
from typing import Any

from lap_app.domain.care import DeviceLine
from lap_app.domain.kinds import LineFamily, OrdonnanceKind
from lap_app.domain.model import (
    OID_CIP13,
    OID_CIS,
    OID_PS_NATIONAL_ID,
    SYSTEM_NON_SUBSTITUTION,
    SYSTEM_PRESCRIPTION_NUMBER,
    SYSTEM_ZONE,
    Address,
    Ordonnance,
    Patient,
    Prescriber,
    PrescriptionLine,
    Quantity,
    Signature,
    Zone,
)
from lap_app.domain.posology import Posology
from lap_app.domain.posology_text import render_sentence, time_word
from lap_app.fhir import constants as c
from lap_app.fhir.physiology import physiology_observations
from lap_app.fhir.write_care import device_request, service_request

JSON = dict[str, Any]


def number(value: float) -> int | float:
    """Integral values as JSON integers: the canonical bytes must not say ``1.0``."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def instant(value: datetime) -> str:
    return value.isoformat()


def to_bundle(ordonnance: Ordonnance) -> JSON:
    o = ordonnance
    bundle: JSON = {"resourceType": "Bundle"}
    if o.bundle_id:
        bundle["id"] = o.bundle_id
    if o.number:
        bundle["identifier"] = {"system": SYSTEM_PRESCRIPTION_NUMBER, "value": o.number}
    bundle["type"] = "document"
    bundle["timestamp"] = instant(o.timestamp or o.written_at)
    entries = [
        _entry(o.composition_id, _composition(o)),
        _entry(o.prescriber.resource_id, _practitioner(o.prescriber)),
        _entry(o.patient.resource_id, _patient(o.patient)),
    ]
    entries += [_entry(url, obs) for url, obs in physiology_observations(o.patient, o.written_at)]
    entries += [_entry(line.resource_id, _line_resource(family, line, o)) for family, _i, line in o.every_line()]
    bundle["entry"] = entries
    if o.signature is not None:
        bundle["signature"] = _signature(o.signature, o.prescriber)
    return bundle


def _line_resource(family: LineFamily, line: Any, o: Ordonnance) -> JSON:
    if family is LineFamily.MEDICINES:
        return _medication_request(line, o)
    if isinstance(line, DeviceLine):
        return device_request(line, o)
    return service_request(line, o)


def _entry(full_url: str, resource: JSON) -> JSON:
    return {"fullUrl": full_url, "resource": resource}


def _ref(full_url: str) -> JSON:
    return {"reference": full_url}


def _composition(o: Ordonnance) -> JSON:
    resource: JSON = {
        "resourceType": "Composition",
        "status": "final",
        "type": {
            "coding": [
                {"system": c.LOINC, "code": c.LOINC_PRESCRIPTION, "display": c.LOINC_PRESCRIPTION_DISPLAY}
            ]
        },
        "subject": _ref(o.patient.resource_id),
        "date": instant(o.written_at),
        "author": [_ref(o.prescriber.resource_id)],
        "title": o.title,
    }
    if o.kind is not OrdonnanceKind.MEDICAMENTS:  # absent: médicaments (the ordonnances of before)
        resource["category"] = [
            {"coding": [{"system": c.SYSTEM_KIND, "code": o.kind.value, "display": o.kind.label}]}
        ]
    if o.opposition:
        resource["extension"] = [{"url": c.EXT_OPPOSITION, "valueBoolean": True}]
    sections: list[JSON] = []
    every = [line for _f, _i, line in o.every_line()]
    if o.is_bizone:
        for zone in (Zone.ALD, Zone.HORS_ALD):
            lines = o.entries_in(zone)
            section: JSON = {
                "title": c.SECTION_TITLES[zone],
                "code": {"coding": [{"system": SYSTEM_ZONE, "code": zone.value}]},
            }
            if lines:
                sections.append({**section, "entry": [_ref(line.resource_id) for line in lines]})
            elif o.patient.ald:  # the patient in ALD: both zones, as on the paper
                sections.append({**section, "emptyReason": c.EMPTY_SECTION})
    elif every:
        sections.append(
            {"title": c.PLAIN_SECTION_TITLE, "entry": [_ref(line.resource_id) for line in every]}
        )
    if sections:
        resource["section"] = sections
    return resource


def _human_name(family: str, given: list[str], prefix: str = "") -> JSON:
    name: JSON = {}
    if prefix:
        name["prefix"] = [prefix]
    if family:
        name["family"] = family
    if given:
        name["given"] = list(given)
    return name


def _address(address: Address) -> JSON:
    out: JSON = {}
    if address.lines:
        out["line"] = list(address.lines)
    if address.postal_code:
        out["postalCode"] = address.postal_code
    if address.city:
        out["city"] = address.city
    if address.country:
        out["country"] = address.country
    return out


def _practitioner(p: Prescriber) -> JSON:
    resource: JSON = {"resourceType": "Practitioner"}
    if p.national_id:
        resource["identifier"] = [{"system": OID_PS_NATIONAL_ID, "value": p.national_id}]
    resource["name"] = [_human_name(p.family_name, p.given_names, p.prefix)]
    if p.qualification:
        resource["qualification"] = [{"code": {"text": p.qualification}}]
    telecom = [{"system": "phone", "value": p.phone}] if p.phone else []
    telecom += [{"system": "email", "value": p.email}] if p.email else []
    if telecom:
        resource["telecom"] = telecom
    if p.address is not None:
        resource["address"] = [_address(p.address)]
    return resource


def _patient(p: Patient) -> JSON:
    resource: JSON = {"resourceType": "Patient"}
    if p.ald:
        resource["extension"] = [{"url": c.EXT_PATIENT_ALD, "valueBoolean": True}]
    if p.ins:
        resource["identifier"] = [{"system": p.ins_system, "value": p.ins}]
    resource["name"] = [_human_name(p.family_name, p.given_names)]
    resource["gender"] = p.sex.value
    if p.birth_date is not None:
        resource["birthDate"] = p.birth_date.isoformat()
    return resource


def _time_quantity(value: float, code: str) -> JSON:
    return {"value": number(value), "unit": time_word(code, value), "system": c.UCUM, "code": code}


def dosage(p: Posology, instructions: str = "") -> JSON:
    out: JSON = {"text": p.text or render_sentence(p)}
    if p.as_needed:
        if p.as_needed_reason:
            out["asNeededCodeableConcept"] = {"text": p.as_needed_reason}
        else:
            out["asNeededBoolean"] = True
    repeat: JSON = {}
    interval_in_timing = (
        p.as_needed
        and p.min_interval_hours is not None
        and p.frequency is None
        and p.period is None
        and p.period_unit is None
        and not p.when
    )
    if interval_in_timing and p.min_interval_hours is not None:  # "at most once every N hours", as in the example Bundle
        repeat.update(frequency=1, period=number(p.min_interval_hours), periodUnit="h")
    elif p.min_interval_hours is not None:
        out["extension"] = [
            {"url": c.EXT_MIN_INTERVAL, "valueDuration": _time_quantity(p.min_interval_hours, "h")}
        ]
    if p.frequency is not None:
        repeat["frequency"] = p.frequency
    if p.period is not None:
        repeat["period"] = number(p.period)
    if p.period_unit is not None:
        repeat["periodUnit"] = p.period_unit
    if p.when:
        repeat["when"] = list(p.when)
    if p.duration is not None:
        repeat["boundsDuration"] = _time_quantity(p.duration, p.duration_unit or "d")
    if repeat:
        out["timing"] = {"repeat": repeat}
    if p.max_dose is not None:
        out["maxDosePerPeriod"] = {
            "numerator": {"value": number(p.max_dose), "unit": p.max_dose_unit or p.dose_unit},
            "denominator": _time_quantity(p.max_period if p.max_period is not None else 1, p.max_period_unit or "d"),
        }
    if p.route:
        out["route"] = {"text": p.route}
    if p.dose is not None:
        out["doseAndRate"] = [{"doseQuantity": {"value": number(p.dose), "unit": p.dose_unit}}]
    if instructions:
        out["patientInstruction"] = instructions
    return out


def _quantity(q: Quantity) -> JSON:
    out: JSON = {"value": number(q.value), "unit": q.unit}
    if q.code:
        out.update(system=c.UCUM, code=q.code)
    return out


def _medication_request(line: PrescriptionLine, o: Ordonnance) -> JSON:
    coding = []
    if line.cis:
        coding.append(_coding(OID_CIS, line.cis, line.product_name))
    if line.cip13:
        coding.append(_coding(OID_CIP13, line.cip13, line.pack_label))
    medication: JSON = {"coding": coding} if coding else {}
    medication["text"] = line.dci_wording
    resource: JSON = {"resourceType": "MedicationRequest", "status": line.status, "intent": "order"}
    if o.number:
        resource["groupIdentifier"] = {"system": SYSTEM_PRESCRIPTION_NUMBER, "value": o.number}
    resource.update(
        medicationCodeableConcept=medication,
        subject=_ref(o.patient.resource_id),
        authoredOn=o.date.isoformat(),
        requester=_ref(o.prescriber.resource_id),
        dosageInstruction=[dosage(line.posology, line.instructions)],
    )
    dispense: JSON = {"numberOfRepeatsAllowed": line.renewals}
    if line.supply_duration is not None:
        dispense["expectedSupplyDuration"] = _quantity(line.supply_duration)
    if line.boxes is not None:
        dispense["quantity"] = {"value": line.boxes, "unit": c.BOX_UNIT[line.boxes >= 2]}
    resource["dispenseRequest"] = dispense
    if not line.substitution_allowed:
        substitution: JSON = {"allowedBoolean": False}
        if line.non_substitution_reason is not None:
            reason = line.non_substitution_reason
            substitution["reason"] = {
                "coding": [
                    {"system": SYSTEM_NON_SUBSTITUTION, "code": reason.value, "display": c.NON_SUBSTITUTION_DISPLAYS[reason]}
                ]
            }
        resource["substitution"] = substitution
    return resource


def _coding(system: str, code: str, display: str | None) -> JSON:
    out = {"system": system, "code": code}
    if display:
        out["display"] = display
    return out


def _signature(s: Signature, prescriber: Prescriber) -> JSON:
    out: JSON = {
        "type": [{"system": c.SIGNATURE_TYPE_SYSTEM, "code": c.SIGNATURE_TYPE_AUTHOR, "display": c.SIGNATURE_TYPE_DISPLAY}],
        "when": instant(s.when),
        "who": {
            "reference": prescriber.resource_id,
            "identifier": {"system": OID_PS_NATIONAL_ID, "value": s.signer_id},
        },
        "sigFormat": s.sig_format,
        "data": base64.b64encode(s.data).decode("ascii"),
    }
    if s.certificate is not None:
        out["extension"] = [
            {"url": c.EXT_SIGNER_CERTIFICATE, "valueBase64Binary": base64.b64encode(s.certificate).decode("ascii")}
        ]
    return out
