"""Run card and network work off the GUI thread.

``run_task(fn, on_done=..., on_error=...)`` runs ``fn()`` in a pool thread and calls back in
the GUI thread. Card work goes through ``card_pool()``: a single long-lived thread, so that the
card's APDU sequences happen in order; reader polling has its own thread (``watch_pool()``).
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable
from typing import Any

import shiboken6
from PySide6.QtCore import QCoreApplication, QObject, QRunnable, QThreadPool, Signal, Slot

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


class _Dispatcher(QObject):
    """One per application, in the GUI thread, never deleted while tasks run: workers emit on
    it only. (A QObject per task, child of the receiver, could be destroyed by the GUI thread
    while a worker was emitting on it: a crash inside Qt's event processing.)"""

    finished = Signal(object)  # an _Outcome

    def __init__(self, parent: QObject | None) -> None:
        super().__init__(parent)
        self.finished.connect(self._deliver)

    @Slot(object)
    def _deliver(self, outcome: _Outcome) -> None:
        task = _pending.pop(outcome.task_id, None)
        value, outcome.value = outcome.value, None  # the worker keeps an empty shell only
        if task is not None:
            task.finish(outcome.ok, value)


class TaskHandle:
    """What the caller keeps: ``cancel()`` drops the result (the work itself finishes)."""

    def __init__(self) -> None:
        self.cancelled = False
        self.finished = False

    def cancel(self) -> None:
        self.cancelled = True


class _Outcome:
    """What a worker hands back. The GUI thread takes the value out, so the last reference to
    it (and to any widget it holds) is always dropped in the GUI thread."""

    __slots__ = ("ok", "task_id", "value")

    def __init__(self, task_id: int) -> None:
        self.task_id = task_id
        self.ok = False
        self.value: Any = None


class _PendingTask:
    """Everything of a task that may hold Qt objects, kept and released by the GUI thread."""

    def __init__(self, fn: Callable[[], Any], on_done: Callable[[Any], object] | None,
                 on_error: Callable[[BaseException], object] | None, receiver: QObject | None,
                 handle: TaskHandle) -> None:
        self.fn = fn
        self.on_done = on_done
        self.on_error = on_error
        self.receiver = receiver
        self.handle = handle

    def finish(self, ok: bool, value: Any) -> None:
        if self.receiver is not None and not shiboken6.isValid(self.receiver):
            return  # the widget the callbacks belong to is gone: nobody to tell
        self.handle.finished = True
        if self.handle.cancelled:
            return
        callback = self.on_done if ok else self.on_error
        if callback is not None:
            callback(value)
        elif not ok:
            log.error("background task failed", exc_info=value)


_pending: dict[int, _PendingTask] = {}
_task_ids = itertools.count(1)
_dispatcher: _Dispatcher | None = None


def _gui_dispatcher() -> _Dispatcher:
    global _dispatcher
    if _dispatcher is None or not shiboken6.isValid(_dispatcher):
        _dispatcher = _Dispatcher(QCoreApplication.instance())
    return _dispatcher


class _Task(QRunnable):
    def __init__(self, task_id: int, fn: Callable[[], Any], dispatcher: _Dispatcher) -> None:
        super().__init__()
        self.setAutoDelete(True)
        self._task_id = task_id
        self._fn: Callable[[], Any] | None = fn
        self._dispatcher = dispatcher

    def run(self) -> None:
        # The GUI thread holds the function too (_PendingTask.fn) until the outcome arrives:
        # the worker lets go of it first, so a widget it captures is never freed here.
        fn, self._fn = self._fn, None
        outcome = _Outcome(self._task_id)
        try:
            outcome.value = fn() if fn is not None else None
            outcome.ok = True
        except BaseException as error:  # noqa: BLE001 - reported to the GUI thread, never lost
            outcome.value = error
        del fn
        try:
            self._dispatcher.finished.emit(outcome)
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
    callback); once it is destroyed the result is dropped instead of reaching a dead widget.
    Called from the GUI thread."""
    handle = TaskHandle()
    if receiver is None:
        receiver = next((getattr(cb, "__self__", None) for cb in (on_done, on_error)
                         if isinstance(getattr(cb, "__self__", None), QObject)), None)
    task_id = next(_task_ids)
    _pending[task_id] = _PendingTask(fn, on_done, on_error, receiver, handle)
    (pool or network_pool()).start(_Task(task_id, fn, _gui_dispatcher()))
    return handle


def wait_idle(timeout_ms: int = 10_000) -> bool:
    """Wait for every pool to drain (tests and shutdown)."""
    results = [pool.waitForDone(timeout_ms) for pool in (network_pool(), card_pool(), watch_pool())]
    return all(results)
