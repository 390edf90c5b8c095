"""Background work reports back in the GUI thread; card work is serialised on one thread."""

from __future__ import annotations

import threading
import time

from PySide6.QtCore import QThread

from lap_app.domain.errors import UserError
from lap_app.ui.workers import card_pool, run_task


def test_result_arrives_in_gui_thread_and_gui_stays_free(qtbot):
    gui_thread = QThread.currentThread()
    seen = {}
    caller_free = threading.Event()

    def slow():
        seen["worker"] = threading.current_thread().name
        seen["caller_was_free"] = caller_free.wait(30)  # False: run_task held the caller until the work ended
        return 42

    def done(value):
        seen["value"] = value
        seen["in_gui"] = QThread.currentThread() is gui_thread

    run_task(slow, on_done=done)
    caller_free.set()  # the caller is back while the work still runs
    qtbot.waitUntil(lambda: "value" in seen, timeout=3000)
    assert seen["caller_was_free"]
    assert seen["value"] == 42 and seen["in_gui"]
    assert seen["worker"] != threading.main_thread().name


def test_errors_are_delivered_not_lost(qtbot):
    errors = []

    def fail():
        raise UserError("Carte retirée pendant l'opération")

    run_task(fail, on_error=errors.append)
    qtbot.waitUntil(lambda: bool(errors), timeout=3000)
    assert errors[0].message == "Carte retirée pendant l'opération"


def test_card_pool_runs_tasks_in_order_on_one_thread(qtbot):
    threads, order = set(), []

    def job(i):
        def run():
            threads.add(threading.get_ident())
            time.sleep(0.01)
            return i
        return run

    for i in range(5):
        run_task(job(i), on_done=order.append, pool=card_pool())
    qtbot.waitUntil(lambda: len(order) == 5, timeout=3000)
    assert order == [0, 1, 2, 3, 4]
    assert len(threads) == 1


def test_cancelled_task_result_is_dropped(qtbot):
    results = []
    handle = run_task(lambda: time.sleep(0.1) or "late", on_done=results.append)
    handle.cancel()
    qtbot.waitUntil(lambda: handle.finished, timeout=3000)
    assert results == []


def test_result_for_a_destroyed_widget_is_dropped(qtbot):
    from PySide6.QtWidgets import QLabel

    label = QLabel()
    seen = []
    gone = threading.Event()
    label.destroyed.connect(lambda *_: gone.set())

    def slow():
        gone.wait(30)  # the label is gone before the result
        return "late"

    handle = run_task(slow, on_done=lambda value: (seen.append(value), label.setText(value)), receiver=label)
    label.deleteLater()
    qtbot.waitUntil(gone.is_set, timeout=3000)
    qtbot.waitUntil(lambda: not _pending(), timeout=3000)
    assert seen == [] and not handle.finished


def _pending() -> bool:
    from lap_app.ui.workers import network_pool

    return network_pool().activeThreadCount() > 0


def _destroyed_in_gui_thread(obj, seen: dict) -> None:
    """Records, at the moment the C++ object dies, whether that happens in the GUI thread."""
    from PySide6.QtCore import Qt

    gui_thread = QThread.currentThread()
    obj.destroyed.connect(lambda *_: seen.setdefault("in_gui", QThread.currentThread() is gui_thread),
                          Qt.ConnectionType.DirectConnection)


def test_a_qt_object_held_only_by_the_task_is_freed_in_the_gui_thread(qtbot):
    # Qt objects must die in their own thread: freed by a worker, they crash the event loop.
    from PySide6.QtCore import QObject

    seen: dict = {}
    holder = QObject()
    _destroyed_in_gui_thread(holder, seen)
    handle = run_task(lambda held=holder: held.objectName())
    del holder  # from now on the task's function holds the only reference
    qtbot.waitUntil(lambda: handle.finished, timeout=3000)
    qtbot.waitUntil(lambda: "in_gui" in seen, timeout=3000)
    assert seen["in_gui"]


def test_a_qt_object_in_the_result_is_freed_in_the_gui_thread(qtbot):
    from PySide6.QtCore import QObject

    seen: dict = {}
    box = [QObject()]
    _destroyed_in_gui_thread(box[0], seen)
    handle = run_task(box.pop)  # the result is then the only reference
    qtbot.waitUntil(lambda: handle.finished, timeout=3000)
    qtbot.waitUntil(lambda: "in_gui" in seen, timeout=3000)
    assert seen["in_gui"]
