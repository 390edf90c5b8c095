"""Card authentication (challenge → INTERNAL AUTHENTICATE → token) and installation enrolment."""

from __future__ import annotations

import binascii
import hashlib
import secrets
import time

from fastapi import APIRouter
from pydantic import BaseModel, Field

from lap_app.base_client.protocol import PRESCRIBER_PROFESSIONS, b64d
from lap_app.standins.base_server.context import State, TokenHolder, audited
from lap_app.standins.base_server.errors import ApiError
from lap_app.standins.base_server.security import AUTHENTICATION, mint_token, verify_rs256

router = APIRouter(prefix="/v1", tags=["authentification"])


class ChallengeOut(BaseModel):
    challenge: str = Field(description="À signer par la carte (clé d'authentification) : octets ASCII de cette chaîne")
    expires_at: float


class TokenIn(BaseModel):
    challenge: str = Field(max_length=200)
    certificate: str = Field(max_length=20000, description="Certificat d'authentification de la carte, DER en base64")
    signature: str = Field(max_length=2000, description="Réponse INTERNAL AUTHENTICATE, base64")


class TokenOut(BaseModel):
    token: str
    expires_at: float
    national_id: str
    profession: str


class InstallationIn(BaseModel):
    name: str = Field(min_length=1, max_length=200)


class InstallationOut(BaseModel):
    installation_id: str
    secret: str
    name: str


@router.post("/auth/challenge", response_model=ChallengeOut)
def challenge(state: State) -> ChallengeOut:
    value, expires = state.challenges.issue()
    return ChallengeOut(challenge=value, expires_at=expires)


@router.post("/auth/token", response_model=TokenOut, responses={401: {"description": "Carte ou réponse refusée"}})
def token(body: TokenIn, state: State) -> TokenOut:
    # Everything that an unauthenticated caller controls is checked before the one write
    # (the challenge recorded as used): garbage answers cost the base no disk write (a refusal
    # is logged, not written: refusals.py).
    state.challenges.check(body.challenge)
    try:
        der = b64d(body.certificate)
        signature = b64d(body.signature)
    except (binascii.Error, ValueError):
        raise ApiError(401, "invalid_answer", "Réponse de la carte illisible") from None
    cert, holder = state.certificates.check(der, AUTHENTICATION)
    if not verify_rs256(cert, signature, body.challenge.encode("ascii")):
        raise ApiError(401, "invalid_answer", "La réponse de la carte ne correspond pas au défi")
    state.challenges.consume(body.challenge)
    expires = time.time() + state.config.token_ttl
    with state.store.transaction() as conn:
        state.store.audit(conn, holder.national_id, holder.profession, "", None, "authenticate", "ok")
    return TokenOut(token=mint_token(state.token_key, holder, expires), expires_at=expires,
                    national_id=holder.national_id, profession=holder.profession)


@router.post("/installations", response_model=InstallationOut, status_code=201,
             responses={401: {"description": "Jeton absent ou invalide"}, 403: {"description": "Pas un médecin"}})
def enrol(body: InstallationIn, state: State, holder: TokenHolder) -> InstallationOut:
    def run() -> InstallationOut:
        if holder.profession not in PRESCRIBER_PROFESSIONS:
            raise ApiError(403, "wrong_profession", "L'enrôlement d'une installation exige une carte de prescripteur")
        installation_id = secrets.token_hex(8)
        secret = secrets.token_urlsafe(32)
        with state.store.transaction() as conn:
            conn.execute(
                "INSERT INTO installations (id, secret_sha256, name, enrolled_by, enrolled_at) VALUES (?,?,?,?,?)",
                (installation_id, hashlib.sha256(secret.encode()).hexdigest(), body.name, holder.national_id, time.time()),
            )
            state.store.audit(conn, holder.national_id, holder.profession, installation_id, None, "enrol", "ok")
        return InstallationOut(installation_id=installation_id, secret=secret, name=body.name)

    return audited(state, holder, "", None, "enrol", run)


@router.delete("/installations/{installation_id}", status_code=204,
               responses={404: {"description": "Installation inconnue"}, 403: {"description": "Pas son enrôleur"}})
def revoke(installation_id: str, state: State, holder: TokenHolder) -> None:
    def run() -> None:
        with state.store.transaction() as conn:
            row = conn.execute("SELECT enrolled_by FROM installations WHERE id = ?", (installation_id,)).fetchone()
            if row is None:
                raise ApiError(404, "unknown_installation", "Installation inconnue")
            if row["enrolled_by"] != holder.national_id:
                raise ApiError(403, "not_enroller", "Seul le professionnel qui a enrôlé l'installation peut la révoquer")
            conn.execute("UPDATE installations SET revoked_at = ? WHERE id = ?", (time.time(), installation_id))
            state.store.audit(conn, holder.national_id, holder.profession, installation_id, None, "revoke", "ok")

    audited(state, holder, installation_id, None, "revoke", run)
