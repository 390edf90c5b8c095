"""Bounds on the HTTP layer itself: request head size, header count, slow and idle connections.

uvicorn's httptools protocol has no limit on a request head (a 100 MB header was parsed on
the event loop for 17 s, stalling every other request) and no timeout while a request
arrives. This subclass counts the bytes of each request head before the parser sees them
(431 past ``max_head_bytes``), counts headers (431 past ``max_headers``), closes a connection
whose request head has not arrived ``head_timeout`` seconds after the connection or the
previous response (408), and one whose body stops flowing for ``idle_timeout`` seconds.
Idle keep-alive connections between requests are closed by uvicorn (``timeout_keep_alive``).
Each answer leaves in one write (``response_writes.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httptools
import orjson
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from lap_app.standins.base_server.response_writes import HeadWithBody


@dataclass(frozen=True, slots=True)
class HttpLimits:
    max_head_bytes: int = 32 * 1024
    max_headers: int = 64
    head_timeout: float = 10.0  # seconds for a whole request head
    idle_timeout: float = 10.0  # seconds without a byte while a body is expected
    hang_up_grace: float = 1.0  # seconds for a last answer to leave before a closing connection is cut


class _HeadTooLarge(Exception):
    pass


def guarded_protocol(limits: HttpLimits) -> type[HttpToolsProtocol]:
    """uvicorn's httptools protocol with ``limits`` (pass it as ``uvicorn.Config(http=...)``)."""

    class GuardedHttpToolsProtocol(HttpToolsProtocol):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._in_head = True
            self._head_bytes = 0
            self._header_count = 0
            self._head_timer: Any = None
            self._idle_timer: Any = None
            self._last_data = 0.0
            self._head_started = 0.0
            self._lost = False

        def connection_made(self, transport: Any) -> None:
            super().connection_made(transport)
            # a connection that says nothing: closed after head_timeout (no keep-alive timer yet)
            self._head_timer = self.loop.call_later(limits.head_timeout, self._head_expired)

        def connection_lost(self, exc: Exception | None) -> None:
            self._cancel_timers()
            self._lost = True
            super().connection_lost(exc)

        def on_response_complete(self) -> None:
            if self.transport.is_closing():  # an answer with "connection: close" (413, ...)
                self._hang_up()
            super().on_response_complete()

        def _hang_up(self) -> None:
            """Cut the connection once the last answer had time to leave. A TLS close waits up to
            30 s for the peer's close_notify and keeps reading meanwhile: an oversized body would
            still be received (and decrypted) until then."""
            self.loop.call_later(limits.hang_up_grace, self._abort)

        def _abort(self) -> None:
            if not self._lost:
                self.transport.abort()

        def data_received(self, data: bytes) -> None:
            if self.transport.is_closing():  # refused or hung up: what still arrives is dropped
                return
            self._unset_keepalive_if_required()
            self._last_data = now = self.loop.time()
            if self._in_head:
                if self._head_bytes == 0:  # a head begins: it has head_timeout from now on
                    self._head_started = now
                allowance = limits.max_head_bytes - self._head_bytes
                if len(data) > allowance:  # feed the head's allowance only, then judge
                    head, data = data[:allowance], data[allowance:]
                    self._head_bytes += len(head)
                    if not self._feed(head) or self.transport.is_closing():
                        return
                    if self._in_head:
                        self._refuse(431, "headers_too_large", "En-têtes de requête trop volumineux")
                        return
                    if not data:
                        return
                else:
                    self._head_bytes += len(data)
            if self._feed(data):
                self._watch_unfinished()

        def _watch_unfinished(self) -> None:
            """Timers only for a request left unfinished by this chunk (the usual request comes
            whole in one or two chunks and costs no timer)."""
            if self.transport.is_closing():
                return
            if self._in_head:
                if self._head_bytes and self._head_timer is None:
                    delay = self._head_started + limits.head_timeout - self.loop.time()
                    self._head_timer = self.loop.call_later(max(0.0, delay), self._head_expired)
            elif self._idle_timer is None and self.cycle is not None and self.cycle.more_body:
                self._idle_timer = self.loop.call_later(limits.idle_timeout, self._check_idle)

        def _feed(self, data: bytes) -> bool:
            try:
                self.parser.feed_data(data)
            except httptools.HttpParserUpgrade:
                if self._should_upgrade():
                    self.handle_websocket_upgrade()
                else:
                    self._unsupported_upgrade_warning()
            except httptools.HttpParserError as error:
                if isinstance(error.__context__, _HeadTooLarge):
                    self._refuse(431, "headers_too_large", "Trop d'en-têtes de requête")
                else:
                    self.send_400_response("Invalid HTTP request received.")
                return False
            return True

        def on_header(self, name: bytes, value: bytes) -> None:
            self._header_count += 1
            if self._header_count > limits.max_headers:
                raise _HeadTooLarge()
            super().on_header(name, value)

        def on_headers_complete(self) -> None:
            self._in_head = False
            if self._head_timer is not None:
                self._head_timer.cancel()
                self._head_timer = None
            super().on_headers_complete()
            if self.cycle is not None and self.cycle.transport is self.transport:  # a new request's cycle
                self.cycle.transport = HeadWithBody(self.transport, self.cycle)  # type: ignore[assignment]  # its answer in one write

        def on_message_complete(self) -> None:
            if self._idle_timer is not None:
                self._idle_timer.cancel()
                self._idle_timer = None
            super().on_message_complete()
            # the next bytes are a request head (an idle connection meanwhile: uvicorn's keep-alive)
            self._in_head = True
            self._head_bytes = 0
            self._header_count = 0

        def _head_expired(self) -> None:
            self._head_timer = None
            if not self._in_head or self.transport.is_closing():
                return
            if self._head_bytes == 0:
                self.transport.close()  # idle: nothing to answer
                self._hang_up()
            else:
                self._refuse(408, "request_timeout", "Requête trop lente : délai dépassé")

        def _check_idle(self) -> None:
            self._idle_timer = None
            if self._in_head or self.transport.is_closing():
                return
            if self.cycle is not None and not self.cycle.more_body:
                return  # the body is complete (the app is answering)
            silent = self.loop.time() - self._last_data
            if silent >= limits.idle_timeout:
                if self.cycle is not None:
                    self.cycle.disconnected = True
                    self.cycle.message_event.set()
                self.transport.close()
                self._hang_up()
            else:
                self._idle_timer = self.loop.call_later(limits.idle_timeout - silent, self._check_idle)

        def _refuse(self, status: int, code: str, message: str) -> None:
            """Answer and close, whatever state the parser is in (no app involved)."""
            self._cancel_timers()
            payload = orjson.dumps({"error": code, "message": message})
            reason = {408: b"Request Timeout", 431: b"Request Header Fields Too Large"}[status]
            self.transport.write(b"HTTP/1.1 %d %s\r\ncontent-type: application/json\r\ncontent-length: %d\r\n"
                                 b"connection: close\r\n\r\n%s" % (status, reason, len(payload), payload))
            self.transport.close()
            self._hang_up()

        def _cancel_timers(self) -> None:
            self._cancel(self._head_timer)
            self._cancel(self._idle_timer)
            self._head_timer = self._idle_timer = None

        @staticmethod
        def _cancel(timer: Any) -> None:
            if timer is not None:
                timer.cancel()

    return GuardedHttpToolsProtocol
