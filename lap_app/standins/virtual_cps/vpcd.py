"""The virtual CPS attached to pcscd through the vpcd reader driver (vsmartcard-vpcd).

Wire protocol (card side, docs/cps-card.md §4): connect to 127.0.0.1:35963 (slot 0) or 35964
(slot 1); each message is a 2-byte big-endian length then the payload; a 1-byte payload is
a control (0 power off, 1 power on, 2 reset, 4 "send your ATR"), anything else a C-APDU to
answer with the R-APDU. Connected = card inserted; socket closed = card removed.

One emulator per slot at a time: a lock file per port (in the temp dir) serialises emulators
of this project, including those of concurrently running test sessions.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import struct
import tempfile
import threading
from pathlib import Path
from typing import IO

from lap_app import file_lock
from lap_app.standins.virtual_cps.card import VirtualCps

log = logging.getLogger(__name__)

VPCD_HOST = "127.0.0.1"
VPCD_PORT = 35963  # slot 0; slot n listens on 35963 + n
CTRL_OFF, CTRL_ON, CTRL_RESET, CTRL_ATR = 0, 1, 2, 4


def reader_name(slot: int) -> str:
    """The PC/SC name of vpcd's slot ``slot``."""
    return f"Virtual PCD 00 {slot:02d}"


def port_for_slot(slot: int) -> int:
    return VPCD_PORT + slot


class SlotBusyError(RuntimeError):
    pass


class _SlotLock:
    def __init__(self, port: int) -> None:
        self.path = Path(tempfile.gettempdir()) / f"lap-vpcd-{port}.lock"
        self._handle: IO[str] | None = None

    def acquire(self, timeout: float) -> None:
        try:
            self._handle = file_lock.acquire(self.path, timeout)
        except file_lock.LockBusy:
            raise SlotBusyError(f"vpcd port is used by another emulator ({self.path})") from None

    def release(self) -> None:
        if self._handle is not None:
            file_lock.release(self._handle)
            self._handle = None


class VpcdEmulator:
    """Runs ``card`` on a vpcd slot from a background thread: ``start()`` inserts, ``stop()`` pulls.

    ``reconnect``: after pcscd drops the connection (restart), connect again (the CLI does).
    ``pull_before_ins``: test hook, the card is pulled when a command with this INS arrives,
    before it is answered (a card removed in the middle of an operation).
    """

    def __init__(self, card: VirtualCps, port: int = VPCD_PORT, host: str = VPCD_HOST, *,
                 reconnect: bool = True, pull_before_ins: int | None = None) -> None:
        self.card = card
        self.host, self.port = host, port
        self.reconnect = reconnect
        self.pull_before_ins = pull_before_ins
        self.powered = threading.Event()  # vpcd has talked to the card: it is inserted
        self.pulled = threading.Event()
        self._stop = threading.Event()
        self._sock: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self._lock = _SlotLock(port)

    def start(self, lock_timeout: float = 60.0) -> VpcdEmulator:
        self._lock.acquire(lock_timeout)
        self._stop.clear()
        self.pulled.clear()
        self._thread = threading.Thread(target=self._run, name=f"vpcd-card-{self.port}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Pull the card (close the socket) and stop the thread."""
        self._stop.set()
        self._close_socket()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        self._lock.release()

    def wait_powered(self, timeout: float) -> bool:
        return self.powered.wait(timeout)

    def _close_socket(self) -> None:
        sock = self._sock
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()
        self.powered.clear()

    def _run(self) -> None:
        waiting_logged = False
        while not self._stop.is_set():
            try:
                sock = socket.create_connection((self.host, self.port), timeout=2)
            except OSError:
                if not waiting_logged:
                    log.info("vpcd not reachable on %s:%d; retrying", self.host, self.port)
                    waiting_logged = True
                self._stop.wait(0.5)
                continue
            waiting_logged = False
            sock.settimeout(None)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self._sock = sock
            if self._stop.is_set():  # stop() raced with the connection
                self._close_socket()
                break
            try:
                self._serve(sock)
            except OSError:
                pass
            finally:
                self._close_socket()
                self._sock = None
            if not self.reconnect or self.pulled.is_set():
                break
            self._stop.wait(0.5)

    def _serve(self, sock: socket.socket) -> None:
        while not self._stop.is_set():
            header = _recv_exact(sock, 2)
            if header is None:
                return
            (length,) = struct.unpack(">H", header)
            payload = _recv_exact(sock, length)
            if payload is None:
                return
            if length == 1:
                control = payload[0]
                self.powered.set()
                if control in (CTRL_ON, CTRL_RESET):
                    self.card.power_on()
                elif control == CTRL_ATR:
                    _send(sock, self.card.atr)
                continue  # power off: nothing to answer
            if self.pull_before_ins is not None and len(payload) > 1 and payload[1] == self.pull_before_ins:
                self.pulled.set()
                return  # pulled before answering
            _send(sock, self.card.process(payload))


_QUICKACK = getattr(socket, "TCP_QUICKACK", None)


def _recv_exact(sock: socket.socket, size: int) -> bytes | None:
    data = bytearray()
    while len(data) < size:
        if _QUICKACK is not None:
            # vpcd writes the length and the payload separately: with Nagle on its side and a
            # delayed ACK on ours every APDU would wait ~40 ms. Linux resets QUICKACK: set it each time.
            sock.setsockopt(socket.IPPROTO_TCP, _QUICKACK, 1)
        chunk = sock.recv(size - len(data))
        if not chunk:
            return None
        data += chunk
    return bytes(data)


def _send(sock: socket.socket, payload: bytes) -> None:
    sock.sendall(struct.pack(">H", len(payload)) + payload)


__all__ = ["SlotBusyError", "VpcdEmulator", "port_for_slot", "reader_name"]
