"""One TLS write per answer: the response head held until its body follows.

uvicorn writes an answer's status line and headers, then its body, as two transport writes:
over TLS that is two records and two socket sends for one small JSON answer. The head of an
answer with a body of known length is held by this stand-in for the request's transport and
leaves with the body's first write (or when the connection closes first: an application that
failed mid-answer), so nothing is reordered or lost. Other heads (HEAD, 204, no body, chunked,
100 Continue) are written at once.
"""

from __future__ import annotations

from typing import Any


class HeadWithBody:
    """The transport one request/response cycle writes to (``RequestResponseCycle.transport``)."""

    __slots__ = ("_cycle", "_held", "_holding", "_transport")

    def __init__(self, transport: Any, cycle: Any) -> None:
        self._transport = transport
        self._cycle = cycle
        self._held: bytes | None = None
        self._holding = True  # until the head has been seen

    def write(self, data: bytes) -> None:
        if self._held is not None:
            data, self._held = self._held + data, None
        elif self._holding and self._cycle.response_started:  # the head (a 100 Continue goes before)
            self._holding = False
            cycle = self._cycle
            if cycle.expected_content_length > 0 and not cycle.chunked_encoding and cycle.scope["method"] != "HEAD":
                self._held = data  # its body follows in the same turn of the application
                return
        self._transport.write(data)

    def is_closing(self) -> bool:
        return bool(self._transport.is_closing())

    def close(self) -> None:
        if self._held is not None:
            data, self._held = self._held, None
            self._transport.write(data)
        self._transport.close()

    def __getattr__(self, name: str) -> Any:  # anything else: the connection's own transport
        return getattr(self._transport, name)
