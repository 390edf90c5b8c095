"""Ports for the servers the suite starts (bases, stand-in servers, PostgreSQL clusters).

A port is chosen here and bound later by another process (a base starts in 1–9 s, a crash
campaign restarts it on the same port many times). A port the kernel hands out for ``bind(0)``
lies in its ephemeral range, where every outgoing connection and every other worker's
``bind(0)`` draws too: in between, another worker could take it (its own base on the same port,
or a connection's local port) and the base would refuse to start ("port déjà utilisé").

So the ports come from below the ephemeral range, where nothing is handed out automatically, and
each pytest-xdist worker draws from its own slice of it: two workers never pick the same port, and
within a process each call gives the next port of the slice that nothing listens on. The slice
starts at a random place, so two test sessions on one machine rarely meet either.
"""

from __future__ import annotations

import errno
import os
import random
import socket
import threading
from pathlib import Path

LOWEST = 20000  # below: ports that services of the machine may have reserved


def _ephemeral_start() -> int:
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text(encoding="ascii").split()[0])
    except (OSError, ValueError, IndexError):
        return 32768  # Linux's default range: 32768-60999


def _slice() -> range:
    top = _ephemeral_start()
    if top - LOWEST < 1000:
        return range(0)  # no room below the ephemeral range: the kernel's choice
    workers = max(1, int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1") or 1))
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw")
    index = int(worker) % workers if worker.isdigit() else 0
    size = (top - LOWEST) // workers
    return range(LOWEST + index * size, LOWEST + (index + 1) * size)


class _Ports:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._slice = _slice()
        self._pid, self._next = 0, 0

    def take(self) -> int:
        with self._lock:
            if self._pid != os.getpid():  # first call, or a forked child: a place of its own
                self._pid, self._next = os.getpid(), random.randrange(len(self._slice)) if self._slice else 0
            for _ in range(len(self._slice)):
                port = self._slice[self._next]
                self._next = (self._next + 1) % len(self._slice)
                if _bindable(port):
                    return port
        with socket.socket() as sock:  # no room or every port taken: the kernel's choice
            sock.bind(("127.0.0.1", 0))
            return int(sock.getsockname()[1])


def _bindable(port: int) -> bool:
    """Nothing listens on ``port`` nor holds it (no SO_REUSEADDR: a connection's TIME_WAIT counts)."""
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError as exc:
            if exc.errno in (errno.EADDRINUSE, errno.EACCES):
                return False
            raise
    return True


_PORTS = _Ports()


def free_port() -> int:
    """A port on 127.0.0.1 that nothing holds now and that no other worker of this run is given."""
    return _PORTS.take()
