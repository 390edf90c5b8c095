"""A card the base refuses once: for a consultation stopped midway (tests and screenshots)."""

from __future__ import annotations


class WrongSecondSignature:
    """The session's card, whose second signature is wrong: the base refuses that ordonnance."""

    def __init__(self, card: object) -> None:
        self._card, self._count = card, 0

    def __getattr__(self, name: str) -> object:
        return getattr(self._card, name)

    def sign_digest(self, digest: bytes, **options: object) -> bytes:
        self._count += 1
        signature: bytes = self._card.sign_digest(digest, **options)  # type: ignore[attr-defined]
        return bytes(b ^ 0xFF for b in signature) if self._count == 2 else signature
