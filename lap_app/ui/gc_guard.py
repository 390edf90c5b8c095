"""Python's cyclic garbage collector, run from the GUI thread only.

The collector runs in whichever thread happens to allocate when a threshold is crossed: in this
application that can be the in-process base server, a card worker or the outbox flusher. If the
cycle it frees holds a Qt object, the object is destroyed outside the GUI thread and Qt crashes
(seen as a segmentation fault inside "Garbage-collecting" in the uvicorn thread). So automatic
collection is switched off once a QApplication exists and a timer in the GUI thread collects
instead, generation by generation, when the thresholds say so.
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer

_INTERVAL_MS = 500
_guard: _GuiThreadCollector | None = None


class _GuiThreadCollector(QObject):
    def __init__(self, parent: QObject, freeze_start_up: bool) -> None:
        super().__init__(parent)
        self._freeze_pending = freeze_start_up
        self._thresholds = gc.get_threshold()
        gc.disable()
        self._timer = QTimer(self)
        self._timer.timeout.connect(self.collect_if_due)
        self._timer.start(_INTERVAL_MS)

    def collect_if_due(self) -> None:
        if self._freeze_pending:
            # The first pass comes once the window is up: what start-up allocated (modules,
            # classes, the first window) lives as long as the application. Frozen, it is never
            # traversed — neither now (~15 ms) nor by every full collection later, a pause while
            # the GP types. (A cycle already garbage by then stays: start-up leaves few.)
            self._freeze_pending = False
            gc.freeze()
            return
        counts = gc.get_count()
        for generation in (2, 1, 0):
            if counts[generation] > self._thresholds[generation]:
                gc.collect(generation)
                return


def install_gc_guard(app: QObject, freeze_start_up: bool = False) -> None:
    """Idempotent: one collector per process, owned by the application object.
    ``freeze_start_up``: the application's own process (not a test's, whose objects come and go)."""
    global _guard
    if _guard is None:
        _guard = _GuiThreadCollector(app, freeze_start_up)
