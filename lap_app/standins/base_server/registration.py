"""Registration of a signed ordonnance: checks (number, content, signer, signature) and the write.

Every problem is collected (422 lists them all); the heavy work (FHIR parsing, RSA) runs
outside the store lock. ``prepare_registration`` is shared by the FastAPI route and the lean
ASGI path (``fast_path.py``): it returns the write to commit (a replay writes only its audit row).
"""

from __future__ import annotations

import binascii
import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import orjson

from lap_app.base_client.protocol import (
    SIGNATURE_FORMAT,
    SIGNED_NUMBER_GRACE,
    b64d,
    bundle_number,
    practitioner_ids,
    signed_digest,
    signer_certificate_b64,
)
from lap_app.domain.status import OrdonnanceStatus
from lap_app.standins.base_server.errors import ApiError
from lap_app.standins.base_server.opposition import prescriber_status
from lap_app.standins.base_server.security import SIGNATURE, CardCertificates, Holder, verify_rs256

if TYPE_CHECKING:
    import sqlite3

    from lap_app.standins.base_server.context import BaseState, Caller


@dataclass(frozen=True, slots=True)
class Registered:
    number: str
    status: str
    registered_at: float
    opposition: bool
    replayed: bool  # 200 (already registered with the same content) instead of 201

    def body(self) -> dict[str, Any]:
        return {"number": self.number, "status": self.status, "registered_at": self.registered_at,
                "opposition": self.opposition}


Write = Callable[["sqlite3.Connection"], Registered]
_EXISTING = ("SELECT number, prescriber, content_sha256, status, registered_at, opposition, cancel_requested_at"
             " FROM prescriptions WHERE number = ?")  # not the stored Bundle


def prepare_registration(state: BaseState, caller: Caller, number: str,
                         bundle: dict[str, Any]) -> Registered | Write:
    """Every check of ``PUT /v1/prescriptions/{number}``: the write to hand to the group commit
    (it re-checks the number inside the transaction; a replay only writes its audit row).
    Raises ApiError."""
    from lap_app.standins.base_server.context import check_number_format

    holder = caller.holder
    check_number_format(number)
    if not isinstance(bundle, dict):
        raise ApiError(422, "invalid_request", "Requête invalide",
                       [{"path": "body.bundle", "message": "un objet JSON est attendu"}])
    try:
        signed = signed_digest(bundle)
    except Exception:  # noqa: BLE001 - unserialisable foreign content
        raise ApiError(422, "invalid_content", "Bundle illisible", [{"path": "bundle", "message": "illisible"}]) from None
    # "Same content" for idempotency: the signed part of the Bundle (opposition included),
    # stored as SHA-256 of its digest (as since the base's first version).
    digest = hashlib.sha256(signed).hexdigest()
    signed_at = _signed_at(bundle)
    with state.store.reading() as conn:
        existing = conn.execute(_EXISTING, (number,)).fetchone()
        if existing is None:
            try:
                _check_reserved(conn, number, holder.national_id, time.time(), signed_at)  # cheap refusals first
            except ApiError as refused:  # registered between the two reads (a concurrent send of itself)?
                existing = conn.execute(_EXISTING, (number,)).fetchone() if refused.code == "number_used" else None
                if existing is None:
                    raise
        if existing is not None:
            _same_or_conflict(existing, digest, holder.national_id)
            return _replay(state, caller, number, existing)
    problems, opposition = check_content(bundle, number, holder, state.certificates, signed)
    if problems:
        raise ApiError(422, "invalid_content", "Contenu invalide", problems)
    stored = _stored_text(bundle)
    certificate = signer_certificate_b64(bundle) or ""

    def write(conn: sqlite3.Connection) -> Registered:
        state.store.lock_number(conn, number)  # a concurrent replay of itself waits, then sees this one
        now = time.time()
        existing = conn.execute(_EXISTING, (number,)).fetchone()
        if existing is not None:  # raced with a replay of itself
            _same_or_conflict(existing, digest, holder.national_id)
            state.store.audit(conn, holder.national_id, holder.profession, caller.installation, number,
                              "register", "replayed")
            return _replayed(existing)
        _check_reserved(conn, number, holder.national_id, now, signed_at)
        conn.execute(
            "INSERT INTO prescriptions (number, prescriber, installation, content_sha256, bundle, signer_certificate,"
            " opposition, status, registered_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?)",
            (number, holder.national_id, caller.installation, digest, stored, certificate, int(opposition),
             OrdonnanceStatus.REGISTERED.value, now, now),
        )
        conn.execute("UPDATE numbers SET state = 'used' WHERE number = ?", (number,))
        state.store.audit(conn, holder.national_id, holder.profession, caller.installation, number, "register", "ok")
        return Registered(number, OrdonnanceStatus.REGISTERED.value, now, opposition, replayed=False)

    return write


def _stored_text(bundle: dict[str, Any]) -> str:
    try:
        return orjson.dumps(bundle).decode("utf-8")
    except TypeError:  # integers beyond 64 bits (accepted by Python's json): the slow, exact way
        import json

        return json.dumps(bundle, ensure_ascii=False, separators=(",", ":"))


def _replay(state: BaseState, caller: Caller, number: str, existing: Any) -> Write:
    """A replay answers the first registration's result, and is audited like any access."""
    holder = caller.holder

    def write(conn: sqlite3.Connection) -> Registered:
        state.store.audit(conn, holder.national_id, holder.profession, caller.installation, number,
                          "register", "replayed")
        return _replayed(existing)

    return write


def _replayed(row: Any) -> Registered:
    # A replay must not tell more than GET status: under opposition, no dispensing progress.
    return Registered(row["number"], prescriber_status(row), row["registered_at"], bool(row["opposition"]),
                      replayed=True)


def _not_issued_to_caller() -> ApiError:
    """A number never issued and one issued (or registered) for another prescriber answer alike:
    a prescriber cannot learn which numbers exist."""
    return ApiError(422, "unknown_number", "Numéro non délivré par la base à ce prescripteur",
                    [{"path": "number", "message": "numéro non délivré à ce prescripteur"}])


def _same_or_conflict(existing: Any, digest: str, prescriber: str) -> None:
    if existing["prescriber"] != prescriber:
        raise _not_issued_to_caller()
    if existing["content_sha256"] != digest:
        raise ApiError(409, "number_used", "Numéro déjà utilisé pour une autre ordonnance")


def _signed_at(bundle: dict[str, Any]) -> float | None:
    """When the ordonnance says it was written (Composition.date: signed content), or None."""
    from datetime import datetime

    entries = bundle.get("entry")
    for entry in entries if isinstance(entries, list) else []:
        resource = entry.get("resource") if isinstance(entry, dict) else None
        if isinstance(resource, dict) and resource.get("resourceType") == "Composition":
            try:
                when = datetime.fromisoformat(str(resource.get("date", "")).replace("Z", "+00:00"))
            except ValueError:
                return None
            return when.timestamp() if when.tzinfo is not None else None
    return None


def _check_reserved(conn: Any, number: str, prescriber: str, now: float, signed_at: float | None = None) -> None:
    row = conn.execute("SELECT prescriber, expires_at, state FROM numbers WHERE number = ?", (number,)).fetchone()
    if row is None or row["prescriber"] != prescriber:
        raise _not_issued_to_caller()
    if row["state"] != "reserved":
        raise ApiError(409, "number_used", "Numéro déjà utilisé")
    if row["expires_at"] < now:
        # signed while its number was valid (queued offline meanwhile): still registered, within the grace
        signed_in_time = signed_at is not None and signed_at <= row["expires_at"]
        if not signed_in_time or now > row["expires_at"] + SIGNED_NUMBER_GRACE:
            raise ApiError(422, "expired_number", "Numéro réservé expiré",
                           [{"path": "number", "message": "réservation expirée avant la signature"
                             if not signed_in_time else "ordonnance signée à temps mais envoyée trop tard"}])


def check_content(bundle: dict[str, Any], number: str, holder: Holder, certificates: CardCertificates,
                  digest: bytes | None = None) -> tuple[list[dict[str, str]], bool]:
    """Every problem of the registration, and the patient's opposition as the signed Bundle says.

    ``digest``: ``signed_digest(bundle)`` when the caller already computed it."""
    from lap_app.domain.errors import ValidationError
    from lap_app.fhir import from_bundle

    problems: list[dict[str, str]] = []
    if bundle.get("resourceType") != "Bundle":
        return [{"path": "bundle.resourceType", "message": "un Bundle FHIR est attendu"}], False
    if bundle_number(bundle) != number:
        problems.append({"path": "bundle.identifier.value", "message": "ne correspond pas au numéro de l'URL"})
    try:
        ordonnance = from_bundle(bundle)
    except ValidationError as error:
        problems.extend({"path": f"bundle.{p.path}" if p.path else "bundle", "message": p.message}
                        for p in error.problems)
        ordonnance = None
    except Exception:  # noqa: BLE001 - any parse failure of foreign input is the sender's problem
        problems.append({"path": "bundle", "message": "Bundle illisible"})
        ordonnance = None
    if ordonnance is not None:
        from lap_app.domain.care_validation import registration_problems

        # from_bundle has run the R.5132-3 validation already: an error there raised above
        problems.extend({"path": f"ordonnance.{p.path}", "message": p.message}
                        for p in registration_problems(ordonnance))  # imaging, transport: paper only
    if holder.national_id not in practitioner_ids(bundle):
        problems.append({"path": "bundle.Practitioner.identifier",
                         "message": "le prescripteur du Bundle n'est pas le porteur de la carte authentifiée"})
    problems.extend(_signature_problems(bundle, holder, certificates, digest))
    return problems, bool(ordonnance is not None and ordonnance.opposition)


def _signature_problems(bundle: dict[str, Any], holder: Holder, certificates: CardCertificates,
                        digest: bytes | None) -> list[dict[str, str]]:
    signature = bundle.get("signature")
    if not isinstance(signature, dict):
        return [{"path": "bundle.signature", "message": "signature CPS absente"}]
    problems = []
    who_ref = signature.get("who")
    identifier = who_ref.get("identifier") if isinstance(who_ref, dict) else None
    who = identifier.get("value") if isinstance(identifier, dict) else None
    if who != holder.national_id:
        problems.append({"path": "bundle.signature.who", "message": "le signataire n'est pas le porteur de la carte"})
    if signature.get("sigFormat") != SIGNATURE_FORMAT:
        problems.append({"path": "bundle.signature.sigFormat", "message": f"format attendu : {SIGNATURE_FORMAT}"})
    try:
        data = b64d(str(signature.get("data", "")))
        der = b64d(signer_certificate_b64(bundle) or "")
    except (binascii.Error, ValueError):
        return [*problems, {"path": "bundle.signature.data", "message": "signature ou certificat illisible"}]
    try:
        cert, signer = certificates.check(der, SIGNATURE)
    except ApiError as error:
        return [*problems, {"path": "bundle.signature.extension", "message": error.message}]
    if signer.national_id != holder.national_id:
        problems.append({"path": "bundle.signature.extension", "message": "certificat de signature d'un autre porteur"})
    if digest is None:
        try:
            digest = signed_digest(bundle)
        except Exception:  # noqa: BLE001 - a Bundle the canonical form cannot serialise
            return [*problems, {"path": "bundle", "message": "Bundle non sérialisable"}]
    if not verify_rs256(cert, data, digest=digest):
        problems.append({"path": "bundle.signature.data",
                         "message": "signature invalide : le contenu ne correspond pas à ce qui a été signé"})
    return problems
