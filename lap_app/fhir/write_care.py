"""Non-medicine lines → FHIR: ``ServiceRequest`` (biology, nursing, paramedical sessions,
imaging and transport acts) and ``DeviceRequest`` (LPP devices). docs/fhir-mapping.md.

The act is text (``code.text``) plus structured fields (timing, quantity, priority,
location, extensions); ``orderDetail[0].text`` carries the French sentence printed on the
paper, so that a reader without our model still shows what the physician signed.
"""

from __future__ import annotations

from typing import Any

from lap_app.domain.care import ActLine, BiologyLine, DeviceLine, NursingLine, SessionLine
from lap_app.domain.care_text import line_wording
from lap_app.domain.model import SYSTEM_PRESCRIPTION_NUMBER, Ordonnance
from lap_app.domain.posology_text import time_word
from lap_app.fhir import constants as c

JSON = dict[str, Any]


def _number(value: float) -> int | float:
    return int(value) if isinstance(value, float) and value.is_integer() else value


def _duration(value: float, code: str) -> JSON:
    return {"value": _number(value), "unit": time_word(code, value), "system": c.UCUM, "code": code}


def _head(resource_type: str, line: Any, o: Ordonnance) -> JSON:
    out: JSON = {"resourceType": resource_type, "status": line.status, "intent": "order"}
    if o.number:
        out["groupIdentifier"] = {"system": SYSTEM_PRESCRIPTION_NUMBER, "value": o.number}
    return out


def _people(out: JSON, o: Ordonnance) -> None:
    out["subject"] = {"reference": o.patient.resource_id}
    out["authoredOn"] = o.date.isoformat()
    out["requester"] = {"reference": o.prescriber.resource_id}


def _at_home() -> list[JSON]:
    return [{"coding": [{"system": c.ROLE_CODE_SYSTEM, "code": c.AT_HOME_CODE, "display": c.AT_HOME_DISPLAY}]}]


def _repeat(frequency: int | None, period: float | None, unit: str | None, bounds: tuple[float, str] | None) -> JSON:
    repeat: JSON = {}
    if frequency is not None:
        repeat["frequency"] = frequency
    if period is not None:
        repeat["period"] = _number(period)
    if unit is not None:
        repeat["periodUnit"] = unit
    if bounds is not None:
        repeat["boundsDuration"] = _duration(*bounds)
    return repeat


def service_request(line: BiologyLine | NursingLine | SessionLine | ActLine, o: Ordonnance) -> JSON:
    out = _head("ServiceRequest", line, o)
    extensions: list[JSON] = []
    if isinstance(line, BiologyLine) and line.fasting:
        extensions.append({"url": c.EXT_FASTING, "valueBoolean": True})
    if isinstance(line, NursingLine) and line.sundays_and_holidays:
        extensions.append({"url": c.EXT_SUNDAYS_AND_HOLIDAYS, "valueBoolean": True})
    if extensions:
        out["extension"] = extensions
    if getattr(line, "urgent", False):
        out["priority"] = "urgent"
    if isinstance(line, BiologyLine):
        coding: JSON = {"system": c.SYSTEM_NABM, "code": line.code}
        if line.label:
            coding["display"] = line.label
        out["code"] = {"coding": [coding], "text": line.label}
    elif isinstance(line, NursingLine):
        out["code"] = {"text": line.act}
    elif isinstance(line, SessionLine):
        out["code"] = {"text": line.care}
    else:
        out["code"] = {"text": line.text}
    out["orderDetail"] = [{"text": line_wording(line).text()}]
    if isinstance(line, SessionLine) and line.sessions is not None:
        out["quantityQuantity"] = {"value": line.sessions, "unit": c.SESSIONS_UNIT}
    if isinstance(line, BiologyLine) and line.repeat_count is not None:
        out["quantityQuantity"] = {"value": line.repeat_count, "unit": c.TIMES_UNIT}
    _people(out, o)
    repeat: JSON = {}
    if isinstance(line, BiologyLine) and (line.every is not None or line.repeat_duration is not None):
        bounds = (line.repeat_duration, line.repeat_duration_unit or "d") if line.repeat_duration is not None else None
        repeat = _repeat(1 if line.every is not None else None, line.every, line.every_unit, bounds)
    elif isinstance(line, NursingLine):
        bounds = (line.duration, line.duration_unit or "d") if line.duration is not None else None
        repeat = _repeat(line.times, 1 if line.times is not None else None, line.per, bounds)
    elif isinstance(line, SessionLine) and line.rhythm is not None:
        repeat = _repeat(line.rhythm, 1, line.rhythm_unit, None)
    if repeat:
        out["occurrenceTiming"] = {"repeat": repeat}
    if getattr(line, "at_home", False):
        out["locationCode"] = _at_home()
    if line.note.strip():
        out["note"] = [{"text": line.note}]
    return out


def _parameter(code: str, **value: Any) -> JSON:
    return {"code": {"coding": [{"system": c.SYSTEM_DEVICE_PARAMETER, "code": code}]}, **value}


def device_request(line: DeviceLine, o: Ordonnance) -> JSON:
    out = _head("DeviceRequest", line, o)
    coding: JSON = {"system": c.SYSTEM_LPP, "code": line.code}
    if line.label:
        coding["display"] = line.label
    out["codeCodeableConcept"] = {"coding": [coding], "text": line.label}
    out["parameter"] = [
        _parameter(c.DEVICE_QUANTITY, valueQuantity={"value": line.quantity}),
        _parameter(c.DEVICE_SUPPLY, valueCodeableConcept={
            "coding": [{"system": c.SYSTEM_DEVICE_SUPPLY, "code": line.supply.value}]}),
        _parameter(c.DEVICE_RENEWALS, valueQuantity={"value": line.renewals}),
    ]
    _people(out, o)
    if line.duration is not None:
        out["occurrenceTiming"] = {"repeat": {"boundsDuration": _duration(line.duration, line.duration_unit or "d")}}
    if line.instructions.strip():
        out["note"] = [{"text": line.instructions}]
    return out
