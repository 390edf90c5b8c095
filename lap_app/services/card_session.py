"""The card side of a session with the base: PIN, authentication, token renewal.

The PIN is passed straight to the card and never kept, logged or stored.
"""

from __future__ import annotations

from typing import Any

from lap_app.base_client import EPrescriptionBase, Token


def unlock_card(card: Any, pin: str) -> None:
    """Verify the PIN on the card; a wrong or blocked PIN raises the card's French error."""
    card.verify_pin(pin).raise_unless_accepted()


def open_token(card: Any, client: EPrescriptionBase) -> Token:
    """Challenge → INTERNAL AUTHENTICATE on the card → token (the PIN must be verified)."""
    challenge = client.challenge()
    answer = card.authenticate(challenge.encode("ascii"))
    return client.open_token(challenge, card.auth_certificate_der(), answer)


def ensure_token(card: Any, client: EPrescriptionBase, margin: float = 30.0) -> Token:
    if client.token is not None and client.token.valid_for(margin):
        return client.token
    return open_token(card, client)


def renew_token(card: Any, client: EPrescriptionBase) -> Token:
    """The base refused the token (expired early, base restarted): authenticate again."""
    client.token = None
    return open_token(card, client)
