"""Garbage collection in the application's own process: the GUI thread only, what start-up
loaded frozen out of the collector's way once the window is up, later cycles still freed."""

from __future__ import annotations

from pathlib import Path

from ui_support import run_application

APPLICATION = r"""
import gc, weakref
from PySide6.QtCore import QTimer
from lap_app.ui.app import create_application

app = create_application()
print("automatic collection:", gc.isenabled())
print("frozen at start:", gc.get_freeze_count())

class Node:
    pass

def after_start() -> None:
    print("frozen once started:", gc.get_freeze_count() > 1000)
    node = Node()
    node.self = node  # a cycle made while the GP works
    global gone
    gone = weakref.ref(node)
    del node
    global work
    work = [[] for _ in range(5_000)]  # the allocations that make a collection due
    QTimer.singleShot(1_500, finish)

def finish() -> None:
    print("later cycle freed:", gone() is None)
    app.quit()

QTimer.singleShot(1_200, after_start)
app.exec()
"""


def test_start_up_is_frozen_once_and_later_cycles_are_still_collected(tmp_path: Path):
    result = run_application(APPLICATION, tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "automatic collection: False",  # collected by the GUI thread's timer instead (gc_guard)
        "frozen at start: 0",
        "frozen once started: True",
        "later cycle freed: True",
    ]
