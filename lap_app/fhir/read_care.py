"""FHIR → non-medicine lines: ``ServiceRequest`` → biology, nursing, session or act line
(the Composition's kind says which), ``DeviceRequest`` → ``DeviceLine``. docs/fhir-mapping.md.

``orderDetail`` is the printed sentence, derived from the structured fields: it is read
back only to be compared (a sentence that says something else is reported).
"""

from __future__ import annotations

from typing import Any

from lap_app.domain.care import ActLine, BiologyLine, DeviceLine, DeviceSupply, NursingLine, SessionLine
from lap_app.domain.care_text import line_wording
from lap_app.domain.identifiers import is_valid_prescription_number
from lap_app.domain.kinds import LineFamily
from lap_app.domain.model import SYSTEM_PRESCRIPTION_NUMBER
from lap_app.fhir import constants as c
from lap_app.fhir.json_reader import JsonObject, JsonReader, same_ref, time_quantity
from lap_app.i18n import _

CareLine = BiologyLine | NursingLine | SessionLine | ActLine | DeviceLine


def _head(r: JsonReader, path: str, res: JsonObject, ctx: dict[str, Any], line_path: str) -> str:
    """Status, intent, number, patient, prescriber and date of a line; returns the status."""
    r.map(line_path, path)
    status = r.text(res, "status", path, required=True) or "active"
    r.map(f"{line_path}.status", f"{path}.status")
    if res.get("intent") != "order":
        r.problem(f"{path}.intent", _("intention attendue : « order »"))
    group = r.obj(res, "groupIdentifier", path)
    number_ok = ctx["number"] is not None and is_valid_prescription_number(ctx["number"])
    if number_ok or (ctx["number"] is None and group is not None):
        if group is None:
            r.problem(f"{path}.groupIdentifier", _("numéro d'ordonnance manquant sur la ligne"))
        elif group.get("value") != ctx["number"] or group.get("system") != SYSTEM_PRESCRIPTION_NUMBER:
            r.problem(f"{path}.groupIdentifier", _("le numéro de la ligne diffère de celui de l'ordonnance"))
    same_ref(r, res, "subject", path, ctx["patient"], "Patient")
    same_ref(r, res, "requester", path, ctx["prescriber"], "Practitioner")
    authored = r.date(res, "authoredOn", path)
    if authored is not None and ctx["date"] is not None and authored != ctx["date"]:
        r.problem(f"{path}.authoredOn", _("la date de la ligne diffère de la date de l'ordonnance"))
    return status


def _extensions(r: JsonReader, res: JsonObject, path: str, allowed: tuple[str, ...]) -> set[str]:
    """The boolean extensions set to true (unknown ones are reported)."""
    found = set()
    for ext_path, ext in r.dicts(res, "extension", path):
        url = ext.get("url")
        if url not in allowed:
            r.problem(f"{ext_path}.url", _("extension inconnue : {u}").format(u=url))
            continue
        if r.get(ext, "valueBoolean", ext_path, bool, required=True):
            found.add(url)
    return found


def _at_home(r: JsonReader, res: JsonObject, path: str) -> bool:
    home = False
    for loc_path, loc in r.dicts(res, "locationCode", path):
        codes = r.codes(loc, loc_path, c.ROLE_CODE_SYSTEM)
        if codes == [c.AT_HOME_CODE]:
            home = True
        else:
            r.problem(loc_path, _("lieu attendu : domicile du patient (PTRES)"))
    return home


def _note(r: JsonReader, res: JsonObject, path: str) -> str:
    notes = r.dicts(res, "note", path)
    if len(notes) > 1:
        r.problem(f"{path}.note", _("une seule note par ligne est prise en charge"))
    return (r.text(notes[0][1], "text", notes[0][0], required=True) or "") if notes else ""


def _urgent(r: JsonReader, res: JsonObject, path: str) -> bool:
    priority = r.text(res, "priority", path)
    if priority not in (None, "routine", "urgent"):
        r.problem(f"{path}.priority", _("priorité attendue : routine ou urgent"))
    return priority == "urgent"


def _repeat(r: JsonReader, res: JsonObject, path: str) -> tuple[JsonObject, str]:
    timing = r.obj(res, "occurrenceTiming", path) or {}
    repeat_path = f"{path}.occurrenceTiming.repeat"
    return r.obj(timing, "repeat", f"{path}.occurrenceTiming") or {}, repeat_path


def _quantity(r: JsonReader, res: JsonObject, path: str, unit: str) -> int | None:
    quantity = r.obj(res, "quantityQuantity", path)
    if quantity is None:
        return None
    if quantity.get("unit") not in (None, unit):
        r.problem(f"{path}.quantityQuantity.unit", _("unité attendue : {u}").format(u=unit))
    return r.integer(quantity, "value", f"{path}.quantityQuantity", required=True)


def read_service_request(
    r: JsonReader, path: str, url: str, res: JsonObject, ctx: dict[str, Any], family: LineFamily, line_path: str
) -> CareLine:
    status = _head(r, path, res, ctx, line_path)
    code_path = f"{path}.code"
    concept = r.obj(res, "code", path, required=True) or {}
    text = r.text(concept, "text", code_path) or ""
    allowed = {LineFamily.ANALYSES: (c.EXT_FASTING,), LineFamily.NURSING: (c.EXT_SUNDAYS_AND_HOLIDAYS,)}
    flags = _extensions(r, res, path, allowed.get(family, ()))
    urgent, at_home, note = _urgent(r, res, path), _at_home(r, res, path), _note(r, res, path)
    repeat, repeat_path = _repeat(r, res, path)
    line: CareLine
    if family is LineFamily.ANALYSES:
        code = ""
        codings = r.dicts(concept, "coding", code_path)
        for coding_path, coding in codings:
            if coding.get("system") == c.SYSTEM_NABM:
                code = r.text(coding, "code", coding_path, required=True) or ""
                r.map(f"{line_path}.code", f"{coding_path}.code")
        if not codings or not code:
            r.problem(code_path, _("code NABM manquant ({s})").format(s=c.SYSTEM_NABM))
        r.map(f"{line_path}.label", f"{code_path}.text")
        every = r.decimal(repeat, "period", repeat_path)
        every_unit = r.text(repeat, "periodUnit", repeat_path)
        duration, duration_unit = time_quantity(r, r.obj(repeat, "boundsDuration", repeat_path), f"{repeat_path}.boundsDuration")
        for name, key in (("every", "period"), ("every_unit", "periodUnit"),
                          ("repeat_duration", "boundsDuration.value"), ("repeat_duration_unit", "boundsDuration.code")):
            r.map(f"{line_path}.{name}", f"{repeat_path}.{key}")
        count = _quantity(r, res, path, c.TIMES_UNIT)
        r.map(f"{line_path}.repeat_count", f"{path}.quantityQuantity.value")
        line = BiologyLine(code, text, fasting=c.EXT_FASTING in flags, at_home=at_home, urgent=urgent,
                           repeat_count=count, every=every, every_unit=every_unit, repeat_duration=duration,
                           repeat_duration_unit=duration_unit, note=note, status=status, resource_id=url)
    elif family is LineFamily.NURSING:
        if urgent:
            r.problem(f"{path}.priority", _("pas d'urgence sur un soin infirmier : précisez-le dans la note"))
        times = r.integer(repeat, "frequency", repeat_path)
        per = r.text(repeat, "periodUnit", repeat_path) or "d"
        if r.decimal(repeat, "period", repeat_path) not in (None, 1):
            r.problem(f"{repeat_path}.period", _("période attendue : 1 (par jour ou par semaine)"))
        duration, duration_unit = time_quantity(r, r.obj(repeat, "boundsDuration", repeat_path), f"{repeat_path}.boundsDuration")
        r.map(f"{line_path}.act", f"{code_path}.text")
        r.map(f"{line_path}.times", f"{repeat_path}.frequency")
        r.map(f"{line_path}.per", f"{repeat_path}.periodUnit")
        r.map(f"{line_path}.duration", f"{repeat_path}.boundsDuration")
        r.map(f"{line_path}.duration_unit", f"{repeat_path}.boundsDuration.code")
        line = NursingLine(text, times=times, per=per, duration=duration, duration_unit=duration_unit,
                           at_home=at_home, sundays_and_holidays=c.EXT_SUNDAYS_AND_HOLIDAYS in flags, note=note,
                           status=status, resource_id=url)
    elif family is LineFamily.SESSIONS:
        sessions = _quantity(r, res, path, c.SESSIONS_UNIT)
        r.map(f"{line_path}.care", f"{code_path}.text")
        r.map(f"{line_path}.sessions", f"{path}.quantityQuantity.value" if "quantityQuantity" in res else path)
        r.map(f"{line_path}.rhythm", f"{repeat_path}.frequency")
        rhythm = r.integer(repeat, "frequency", repeat_path)
        rhythm_unit = r.text(repeat, "periodUnit", repeat_path) or "wk"
        line = SessionLine(text, sessions=sessions, rhythm=rhythm, rhythm_unit=rhythm_unit, at_home=at_home,
                           urgent=urgent, note=note, status=status, resource_id=url)
    else:
        r.map(f"{line_path}.text", f"{code_path}.text")
        line = ActLine(text, note=note, urgent=urgent, status=status, resource_id=url)
    _check_detail(r, res, path, line)
    return line


def _check_detail(r: JsonReader, res: JsonObject, path: str, line: Any) -> None:
    details = r.dicts(res, "orderDetail", path)
    if not details:
        return
    detail_path, detail = details[0]
    text = r.text(detail, "text", detail_path)
    if text is not None and text != line_wording(line).text():
        r.problem(f"{detail_path}.text", _("la phrase imprimée ne correspond pas aux champs structurés de la ligne"))


def _parameters(r: JsonReader, res: JsonObject, path: str) -> dict[str, tuple[str, JsonObject]]:
    found: dict[str, tuple[str, JsonObject]] = {}
    for param_path, param in r.dicts(res, "parameter", path):
        codes = r.codes(r.obj(param, "code", param_path, required=True), f"{param_path}.code", c.SYSTEM_DEVICE_PARAMETER)
        known = (c.DEVICE_QUANTITY, c.DEVICE_SUPPLY, c.DEVICE_RENEWALS)
        if len(codes) != 1 or codes[0] not in known:
            r.problem(f"{param_path}.code", _("paramètre inconnu : quantite, mode ou renouvellements attendu"))
            continue
        found[codes[0]] = (param_path, param)
    return found


def read_device_request(r: JsonReader, path: str, url: str, res: JsonObject, ctx: dict[str, Any], line_path: str) -> DeviceLine:
    status = _head(r, path, res, ctx, line_path)
    concept_path = f"{path}.codeCodeableConcept"
    concept = r.obj(res, "codeCodeableConcept", path, required=True) or {}
    code = ""
    for coding_path, coding in r.dicts(concept, "coding", concept_path):
        if coding.get("system") == c.SYSTEM_LPP:
            code = r.text(coding, "code", coding_path, required=True) or ""
            r.map(f"{line_path}.code", f"{coding_path}.code")
    if not code:
        r.problem(concept_path, _("code LPP manquant ({s})").format(s=c.SYSTEM_LPP))
    label = r.text(concept, "text", concept_path) or ""
    r.map(f"{line_path}.label", f"{concept_path}.text")
    params = _parameters(r, res, path)
    quantity, renewals, supply = 1, 0, DeviceSupply.PURCHASE
    if c.DEVICE_QUANTITY in params:
        param_path, param = params[c.DEVICE_QUANTITY]
        value = r.integer(r.obj(param, "valueQuantity", param_path, required=True) or {}, "value",
                          f"{param_path}.valueQuantity", required=True)
        quantity = value if value is not None else 1
        r.map(f"{line_path}.quantity", f"{param_path}.valueQuantity.value")
    if c.DEVICE_RENEWALS in params:
        param_path, param = params[c.DEVICE_RENEWALS]
        value = r.integer(r.obj(param, "valueQuantity", param_path, required=True) or {}, "value",
                          f"{param_path}.valueQuantity", required=True)
        renewals = value if value is not None else 0
        r.map(f"{line_path}.renewals", f"{param_path}.valueQuantity.value")
    if c.DEVICE_SUPPLY in params:
        param_path, param = params[c.DEVICE_SUPPLY]
        concept_obj = r.obj(param, "valueCodeableConcept", param_path, required=True)
        codes = r.codes(concept_obj, f"{param_path}.valueCodeableConcept", c.SYSTEM_DEVICE_SUPPLY)
        if len(codes) == 1 and codes[0] in {s.value for s in DeviceSupply}:
            supply = DeviceSupply(codes[0])
        else:
            r.problem(f"{param_path}.valueCodeableConcept", _("mode attendu : achat ou location"))
        r.map(f"{line_path}.supply", f"{param_path}.valueCodeableConcept")
    repeat, repeat_path = _repeat(r, res, path)
    duration, duration_unit = time_quantity(r, r.obj(repeat, "boundsDuration", repeat_path), f"{repeat_path}.boundsDuration")
    r.map(f"{line_path}.duration", f"{repeat_path}.boundsDuration" if repeat else path)
    return DeviceLine(code, label, supply=supply, quantity=quantity, duration=duration, duration_unit=duration_unit,
                      renewals=renewals, instructions=_note(r, res, path), status=status, resource_id=url)
