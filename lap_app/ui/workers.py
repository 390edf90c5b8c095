"""Run card and network work off the GUI thread.

``run_task(fn, on_done=..., on_error=...)`` runs ``fn()`` in a pool thread and calls back in
the GUI thread. Card work goes through ``card_pool()``: a single long-lived thread, so that the
card's APDU sequences happen in order; reader polling has its own thread (``watch_pool()``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

log = logging.getLogger(__name__)

_card_pool: QThreadPool | None = None
_watch_pool: QThreadPool | None = None


def _single_thread_pool() -> QThreadPool:
    pool = QThreadPool()
    pool.setMaxThreadCount(1)
    pool.setExpiryTimeout(-1)  # keep the one thread for the whole session
    return pool


def card_pool() -> QThreadPool:
    """Card operations (read, PIN, sign, authenticate), one at a time, in order."""
    global _card_pool
    if _card_pool is None:
        _card_pool = _single_thread_pool()
    return _card_pool


def watch_pool() -> QThreadPool:
    """Reader polling: its own thread, so that a long card operation (a signature followed by a
    slow network) never delays noticing that the card was pulled."""
    global _watch_pool
    if _watch_pool is None:
        _watch_pool = _single_thread_pool()
    return _watch_pool


def network_pool() -> QThreadPool:
    return QThreadPool.globalInstance()


class _Relay(QObject):
    """Lives in the GUI thread; signals emitted from the worker arrive there queued."""

    done = Signal(object)
    failed = Signal(object)


class TaskHandle:
    """What the caller keeps: ``cancel()`` drops the result (the work itself finishes)."""

    def __init__(self) -> None:
        self.cancelled = False
        self.finished = False

    def cancel(self) -> None:
        self.cancelled = True


_alive: set[_Relay] = set()  # relays must outlive their task


class _Task(QRunnable):
    def __init__(self, fn: Callable[[], Any], relay: _Relay) -> None:
        super().__init__()
        self.setAutoDelete(True)
        self._fn = fn
        self._relay = relay

    def run(self) -> None:
        try:
            result = self._fn()
        except BaseException as error:  # noqa: BLE001 - reported to the GUI thread, never lost
            self._deliver(self._relay.failed, error)
        else:
            self._deliver(self._relay.done, result)

    @staticmethod
    def _deliver(signal, value) -> None:
        try:
            signal.emit(value)
        except RuntimeError:  # the application is shutting down: nobody left to tell
            log.debug("result of a background task dropped at shutdown")


def run_task(
    fn: Callable[[], Any],
    *,
    on_done: Callable[[Any], object] | None = None,
    on_error: Callable[[BaseException], object] | None = None,
    pool: QThreadPool | None = None,
    receiver: QObject | None = None,
) -> TaskHandle:
    """``receiver``: the widget the callbacks belong to (default: the object of a bound-method
    callback); once it is destroyed the result is dropped instead of reaching a dead widget."""
    handle = TaskHandle()
    if receiver is None:
        receiver = next((getattr(cb, "__self__", None) for cb in (on_done, on_error)
                         if isinstance(getattr(cb, "__self__", None), QObject)), None)
    relay = _Relay(receiver)  # a child: destroyed with the receiver, and its signals with it
    _alive.add(relay)
    relay.destroyed.connect(lambda _obj=None: _alive.discard(relay))

    def finish(callback: Callable[[Any], object] | None, value: Any) -> None:
        handle.finished = True
        _alive.discard(relay)
        # Let go of the callbacks now, not in the relay's destructor: they may hold the last
        # reference to the receiver, whose deletion would then delete the relay a second time.
        relay.done.disconnect()
        relay.failed.disconnect()
        relay.deleteLater()
        if handle.cancelled:
            return
        if callback is not None:
            callback(value)
        elif isinstance(value, BaseException):
            log.error("background task failed", exc_info=value)

    relay.done.connect(lambda value: finish(on_done, value))
    relay.failed.connect(lambda error: finish(on_error, error))
    (pool or network_pool()).start(_Task(fn, relay))
    return handle


def wait_idle(timeout_ms: int = 10_000) -> bool:
    """Wait for every pool to drain (tests and shutdown)."""
    results = [pool.waitForDone(timeout_ms) for pool in (network_pool(), card_pool(), watch_pool())]
    return all(results)
