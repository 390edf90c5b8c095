"""FHIR R4 document Bundle → domain ordonnance, with every problem reported at its JSON path.

Reading goes in two passes: the structure (types, references, dates, codes) is read into
the domain objects while each domain field remembers the JSON path it came from; then the
domain validator (CSP R.5132-3) runs and its errors are reported at those JSON paths. One
``ValidationError`` lists all problems of both passes; warnings are not raised (call
``validate_ordonnance`` for them).
"""

from __future__ import annotations

import re
from typing import Any

from lap_app.domain.errors import Problem, ValidationError
from lap_app.domain.kinds import LineFamily, OrdonnanceKind
from lap_app.domain.model import (
    OID_INS_NIA,
    OID_INS_NIR,
    OID_INS_NIR_TEST,
    OID_PS_NATIONAL_ID,
    SYSTEM_PRESCRIPTION_NUMBER,
    SYSTEM_ZONE,
    Address,
    Ordonnance,
    Patient,
    Prescriber,
    PrescriptionLine,
    Sex,
    Signature,
    Zone,
)
from lap_app.domain.validation import validate_ordonnance
from lap_app.fhir import constants as c
from lap_app.fhir.json_reader import (
    ByUrl,
    Fatal,
    JsonObject,
    JsonReader,
    base64_bytes,
    first_item,
    ref_target,
)
from lap_app.fhir.physiology import name_absent_observations, read_physiology_observation
from lap_app.fhir.read_care import read_device_request, read_service_request
from lap_app.fhir.read_lines import read_medication_request
from lap_app.i18n import _

INS_SYSTEMS = (OID_INS_NIR, OID_INS_NIA, OID_INS_NIR_TEST)
LINE_RESOURCES = ("MedicationRequest", "ServiceRequest", "DeviceRequest")
# the codes each enumeration accepts, gathered once (not at each Bundle read)
_KIND_CODES = frozenset(k.value for k in OrdonnanceKind)
_ZONE_CODES = frozenset(z.value for z in Zone)
_SEX_CODES = frozenset(s.value for s in Sex)


def from_bundle(data: Any) -> Ordonnance:
    """The ordonnance in a FHIR document Bundle; ``ValidationError`` lists every problem."""
    reader = JsonReader()
    try:
        ordonnance = _read_bundle(data, reader)
    except Fatal:
        raise _invalid(reader.problems) from None
    already = {p.path for p in reader.problems}  # a field unreadable is not also "missing"
    for problem in validate_ordonnance(ordonnance):
        path = _json_path(problem.path, reader.paths)
        if problem.is_error and path not in already:
            reader.problem(path, problem.message)
    if reader.problems:
        raise _invalid(reader.problems)
    return ordonnance


def _invalid(problems: list[Problem]) -> ValidationError:
    return ValidationError(_("Ordonnance FHIR invalide"), _in_document_order(problems))


def _in_document_order(problems: list[Problem]) -> list[Problem]:
    """Sorted by path, entry indexes as numbers (stable: a field's problems keep their order)."""

    def key(problem: Problem) -> list[int | str]:
        return [int(part) if part.isdigit() else part for part in re.split(r"\[(\d+)\]", problem.path)]

    return sorted(problems, key=key)


_PARENT = re.compile(r"(\.[^.\[]+|\[\d+\])$")


def _json_path(domain_path: str, paths: dict[str, str]) -> str:
    """The JSON path of the longest known prefix of ``domain_path``."""
    candidate = domain_path
    while candidate not in paths:
        shorter = _PARENT.sub("", candidate)
        if shorter == candidate:
            return paths.get("", "")
        candidate = shorter
    return paths[candidate]


def _read_bundle(data: Any, r: JsonReader) -> Ordonnance:
    if not isinstance(data, dict):
        r.problem("", _("le document n'est pas un objet JSON"))
        raise Fatal
    if data.get("resourceType") != "Bundle":
        r.problem("resourceType", _("une ressource Bundle est attendue"))
        raise Fatal
    r.map("", "")
    r.map("lines", "entry")
    if data.get("type") != "document":
        r.problem("type", _("le Bundle doit être de type « document »"))
    bundle_id = r.text(data, "id", "")
    number = None
    identifier = r.obj(data, "identifier", "")
    if identifier is not None:
        if identifier.get("system") != SYSTEM_PRESCRIPTION_NUMBER:
            r.problem("identifier.system", _("système attendu : {s}").format(s=SYSTEM_PRESCRIPTION_NUMBER))
        number = r.text(identifier, "value", "identifier", required=True)
        r.map("number", "identifier.value")
    timestamp = r.datetime(data, "timestamp", "")
    by_url: ByUrl = {}
    entries = r.dicts(data, "entry", "", required=True)
    resources: list[tuple[str, str, JsonObject]] = []  # (path, fullUrl, resource)
    for path, entry in entries:
        url = r.text(entry, "fullUrl", path, required=True)
        resource = r.obj(entry, "resource", path, required=True)
        if resource is None:
            continue
        kind = r.text(resource, "resourceType", f"{path}.resource", required=True)
        if url is None or kind is None:
            continue
        if url in by_url:
            r.problem(f"{path}.fullUrl", _("fullUrl en double : {u}").format(u=url))
            continue
        by_url[url] = (f"{path}.resource", resource)
        resources.append((f"{path}.resource", url, resource))
    if not resources or resources[0][2].get("resourceType") != "Composition":
        r.problem("entry[0].resource", _("la première entrée doit être la Composition de l'ordonnance"))
        raise Fatal
    comp_path, composition_id, composition = resources[0]
    for path, _url, resource in resources[1:]:
        if resource.get("resourceType") == "Composition":
            r.problem(path, _("une seule Composition est permise"))

    if composition.get("status") != "final":
        r.problem(f"{comp_path}.status", _("le statut de la Composition doit être « final »"))
    doc_type = r.obj(composition, "type", comp_path, required=True) or {}
    codings = [x for _p, x in r.dicts(doc_type, "coding", f"{comp_path}.type")]
    if not any(x.get("system") == c.LOINC and x.get("code") == c.LOINC_PRESCRIPTION for x in codings):
        r.problem(f"{comp_path}.type", _("type de document attendu : LOINC 57833-6 (ordonnance)"))
    subject = r.obj(composition, "subject", comp_path, required=True)
    patient_url = ref_target(r, subject, f"{comp_path}.subject", by_url, "Patient")
    authors = r.dicts(composition, "author", comp_path, required=True)
    prescriber_url = ref_target(r, authors[0][1], authors[0][0], by_url, "Practitioner") if authors else None
    written_at = r.datetime(composition, "date", comp_path, required=True)
    r.map("written_at", f"{comp_path}.date")
    title = r.text(composition, "title", comp_path) or "Ordonnance"
    opposition = False
    for path, ext in r.dicts(composition, "extension", comp_path):
        if ext.get("url") == c.EXT_OPPOSITION:
            opposition = bool(r.get(ext, "valueBoolean", path, bool, required=True))
        else:
            r.problem(f"{path}.url", _("extension inconnue : {u}").format(u=ext.get("url")))
    ordonnance_kind = _read_kind(r, composition, comp_path)
    zones = _read_sections(r, composition, comp_path, by_url)

    # Without patient, prescriber or date no ordonnance can be built, but the rest of the
    # structure is still read so that every problem is reported at once.
    complete = patient_url is not None and prescriber_url is not None and written_at is not None
    if prescriber_url is not None:
        prescriber = _read_practitioner(r, *by_url[prescriber_url], prescriber_url)
    else:
        prescriber = Prescriber(family_name="", given_names=[], national_id="")
    if patient_url is not None:
        patient = _read_patient(r, *by_url[patient_url], patient_url)
    else:
        patient = Patient(family_name="", given_names=[], sex=Sex.UNKNOWN, birth_date=None)

    lines: list[PrescriptionLine] = []
    others: dict[LineFamily, list[Any]] = {family: [] for family in LineFamily if family is not LineFamily.MEDICINES}
    context = {
        "number": number,
        "patient": patient_url,
        "prescriber": prescriber_url,
        "date": written_at.date() if written_at else None,
    }
    for path, url, resource in resources[1:]:
        kind = resource["resourceType"]
        unread_person = kind in ("Patient", "Practitioner") and not complete
        if url in (patient_url, prescriber_url) or kind == "Composition" or unread_person:
            continue
        if kind == "Observation":
            read_physiology_observation(r, path, url, resource, patient, patient_url)
        elif kind in LINE_RESOURCES:
            if url not in zones:
                r.problem(path, _("ligne de prescription absente des sections de la Composition"))
            read = _read_line(r, path, url, resource, context, ordonnance_kind, lines, others)
            if read is not None:
                read.zone = zones.get(url, Zone.HORS_ALD)
        else:
            r.problem(f"{path}.resourceType", _("ressource inattendue dans une ordonnance : {k}").format(k=kind))

    signature = None
    sig = r.obj(data, "signature", "")
    if sig is not None:
        signature = _read_signature(r, sig, "signature", by_url, prescriber_url, prescriber)
    r.map("signature", "signature")

    if not complete or written_at is None:
        raise Fatal
    if timestamp is not None and timestamp.isoformat() == written_at.isoformat():
        timestamp = None
    return Ordonnance(
        prescriber=prescriber,
        patient=patient,
        lines=lines,
        written_at=written_at,
        number=number,
        opposition=opposition,
        title=title,
        bundle_id=bundle_id,
        composition_id=composition_id,
        signature=signature,
        timestamp=timestamp,
        kind=ordonnance_kind,
        devices=others[LineFamily.DEVICES],
        analyses=others[LineFamily.ANALYSES],
        nursing=others[LineFamily.NURSING],
        sessions=others[LineFamily.SESSIONS],
        acts=others[LineFamily.ACTS],
    )


def kind_of_bundle(bundle: Any) -> OrdonnanceKind | None:
    """The kind a Bundle declares (``Composition.category``), without reading the rest;
    None when it is not readable. Lets a client refuse a paper-only kind before sending it."""
    try:
        composition = bundle["entry"][0]["resource"]
        categories = composition.get("category") or []
        if not categories:
            return OrdonnanceKind.MEDICAMENTS
        code = categories[0]["coding"][0]["code"]
        return OrdonnanceKind(code)
    except (KeyError, IndexError, TypeError, ValueError, AttributeError):
        return None


def _read_kind(r: JsonReader, composition: JsonObject, comp_path: str) -> OrdonnanceKind:
    """``Composition.category`` (our system); absent: a medicines ordonnance."""
    categories = r.dicts(composition, "category", comp_path)
    r.map("kind", f"{comp_path}.category" if categories else comp_path)
    if not categories:
        return OrdonnanceKind.MEDICAMENTS
    path, category = categories[0]
    codes = r.codes(category, path, c.SYSTEM_KIND)
    if len(codes) != 1 or codes[0] not in _KIND_CODES:
        r.problem(path, _("type d'ordonnance inconnu : {v} attendu").format(v=", ".join(k.value for k in OrdonnanceKind)))
        return OrdonnanceKind.MEDICAMENTS
    return OrdonnanceKind(codes[0])


def _read_line(
    r: JsonReader,
    path: str,
    url: str,
    resource: JsonObject,
    context: dict[str, Any],
    kind: OrdonnanceKind,
    lines: list[PrescriptionLine],
    others: dict[LineFamily, list[Any]],
) -> Any:
    """Read one line resource into the list its type and the ordonnance's kind call for."""
    resource_type = resource["resourceType"]
    if resource_type == "MedicationRequest":
        line: Any = read_medication_request(r, path, url, resource, context, f"lines[{len(lines)}]")
        lines.append(line)
        return line
    if resource_type == "DeviceRequest":
        devices = others[LineFamily.DEVICES]
        line = read_device_request(r, path, url, resource, context, f"devices[{len(devices)}]")
        devices.append(line)
        return line
    family = kind.families[0]
    if family in (LineFamily.MEDICINES, LineFamily.DEVICES):
        r.problem(f"{path}.resourceType", _("ServiceRequest inattendue sur une ordonnance « {kind} »").format(kind=kind.label))
        return None
    target = others[family]
    line = read_service_request(r, path, url, resource, context, family, f"{family.value}[{len(target)}]")
    target.append(line)
    return line


def _read_sections(r: JsonReader, composition: JsonObject, comp_path: str, by_url: ByUrl) -> dict[str, Zone]:
    zones: dict[str, Zone] = {}
    for path, section in r.dicts(composition, "section", comp_path):
        zone = Zone.HORS_ALD
        code = r.obj(section, "code", path)
        if code is not None:
            codes = r.codes(code, f"{path}.code", SYSTEM_ZONE)
            if len(codes) != 1 or codes[0] not in _ZONE_CODES:
                r.problem(f"{path}.code", _("zone inconnue : ALD ou HORS-ALD attendu"))
            else:
                zone = Zone(codes[0])
        r.text(section, "title", path)
        for ref_path, ref in r.dicts(section, "entry", path):
            url = ref_target(r, ref, ref_path, by_url, LINE_RESOURCES)
            if url is None:
                continue
            if url in zones:
                r.problem(ref_path, _("ligne citée dans plusieurs sections"))
            zones[url] = zone
    return zones


def _read_practitioner(r: JsonReader, path: str, res: JsonObject, url: str) -> Prescriber:
    national_id = ""
    r.map("prescriber", path)
    r.map("prescriber.national_id", f"{path}.identifier")
    for id_path, ident in r.dicts(res, "identifier", path):
        if ident.get("system") == OID_PS_NATIONAL_ID:
            national_id = r.text(ident, "value", id_path, required=True) or ""
            r.map("prescriber.national_id", f"{id_path}.value")
    name_path, name = first_item(r, res, "name", path)
    prefix = " ".join(r.strings(name, "prefix", name_path))
    family = r.text(name, "family", name_path) or ""
    given = r.strings(name, "given", name_path)
    r.map("prescriber.family_name", f"{name_path}.family")
    r.map("prescriber.given_names", f"{name_path}.given")
    qual_path, qual = first_item(r, res, "qualification", path)
    qualification = r.text(r.obj(qual, "code", qual_path) or {}, "text", f"{qual_path}.code") or ""
    r.map("prescriber.qualification", f"{qual_path}.code.text")
    phone = email = ""
    r.map("prescriber.phone", f"{path}.telecom")
    for tel_path, tel in r.dicts(res, "telecom", path):
        system = tel.get("system")
        value = r.text(tel, "value", tel_path, required=True) or ""
        if system == "phone" and not phone:
            phone = value
            r.map("prescriber.phone", f"{tel_path}.value")
        elif system == "email" and not email:
            email = value
            r.map("prescriber.email", f"{tel_path}.value")
    address = None
    r.map("prescriber.address", f"{path}.address")
    addr_items = r.dicts(res, "address", path)
    if addr_items:
        addr_path, addr = addr_items[0]
        address = Address(
            lines=r.strings(addr, "line", addr_path),
            postal_code=r.text(addr, "postalCode", addr_path) or "",
            city=r.text(addr, "city", addr_path) or "",
            country=r.text(addr, "country", addr_path) or "",
        )
        r.map("prescriber.address", f"{addr_path}.line")
        r.map("prescriber.address.postal_code", f"{addr_path}.postalCode")
        r.map("prescriber.address.city", f"{addr_path}.city")
    return Prescriber(
        family_name=family,
        given_names=given,
        national_id=national_id,
        qualification=qualification,
        prefix=prefix,
        address=address,
        phone=phone,
        email=email,
        resource_id=url,
    )


def _read_patient(r: JsonReader, path: str, res: JsonObject, url: str) -> Patient:
    r.map("patient", path)
    ins, ins_system = None, OID_INS_NIR
    for id_path, ident in r.dicts(res, "identifier", path):
        if ident.get("system") in INS_SYSTEMS and ins is None:
            ins_system = ident["system"]
            ins = r.text(ident, "value", id_path, required=True)
            r.map("patient.ins", f"{id_path}.value")
            r.map("patient.ins_system", f"{id_path}.system")
    name_path, name = first_item(r, res, "name", path)
    family = r.text(name, "family", name_path) or ""
    given = r.strings(name, "given", name_path)
    r.map("patient.family_name", f"{name_path}.family")
    r.map("patient.given_names", f"{name_path}.given")
    gender = r.text(res, "gender", path)
    r.map("patient.sex", f"{path}.gender")
    sex = Sex.UNKNOWN
    if gender is not None:
        if gender in _SEX_CODES:
            sex = Sex(gender)
        else:
            r.problem(f"{path}.gender", _("sexe inconnu : male, female, other ou unknown attendu"))
    birth_date = r.date(res, "birthDate", path)
    r.map("patient.birth_date", f"{path}.birthDate")
    ald = False
    for ext_path, ext in r.dicts(res, "extension", path):
        if ext.get("url") == c.EXT_PATIENT_ALD:
            ald = bool(r.get(ext, "valueBoolean", ext_path, bool, required=True))
            r.map("patient.ald", f"{ext_path}.valueBoolean")
        else:
            r.problem(f"{ext_path}.url", _("extension inconnue : {u}").format(u=ext.get("url")))
    return name_absent_observations(Patient(
        family_name=family, given_names=given, sex=sex, birth_date=birth_date, ins=ins,
        ins_system=ins_system, ald=ald, resource_id=url,
    ))


def _read_signature(r: JsonReader, sig: JsonObject, path: str, by_url: ByUrl, prescriber_url: str | None, prescriber: Prescriber) -> Signature | None:
    when = r.datetime(sig, "when", path, required=True)
    sig_format = r.text(sig, "sigFormat", path) or "application/jose"
    who = r.obj(sig, "who", path, required=True) or {}
    signer_id = prescriber.national_id
    if "reference" in who and prescriber_url is not None and who.get("reference") != prescriber_url:
        r.problem(f"{path}.who.reference", _("la signature doit désigner le prescripteur"))
    identifier = r.obj(who, "identifier", f"{path}.who")
    if identifier is not None:
        signer_id = r.text(identifier, "value", f"{path}.who.identifier", required=True) or ""
        r.map("signature.signer_id", f"{path}.who.identifier.value")
    data = base64_bytes(r, sig, "data", path, required=True)
    certificate = None
    for ext_path, ext in r.dicts(sig, "extension", path):
        if ext.get("url") == c.EXT_SIGNER_CERTIFICATE:
            certificate = base64_bytes(r, ext, "valueBase64Binary", ext_path, required=True)
        else:
            r.problem(f"{ext_path}.url", _("extension inconnue : {u}").format(u=ext.get("url")))
    if when is None or data is None:
        return None
    return Signature(when=when, signer_id=signer_id, data=data, certificate=certificate, sig_format=sig_format)


