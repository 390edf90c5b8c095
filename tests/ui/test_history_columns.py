"""The history's status column on a 1366×768 laptop: « partiellement délivrée · DMP en attente »
reads whole, never « parti… délivr… »; the number wraps over two lines rather than cut a status."""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtWidgets import QStyle
from test_shell_offline import write_and_validate

from ui_support import login


def _fits(table, row: int, column: int, words: list[str]) -> bool:
    """Each word drawn whole in its cell (Qt's item text margin on each side)."""
    margin = table.style().pixelMetric(QStyle.PixelMetric.PM_FocusFrameHMargin, None, table) + 1
    room = table.visualItemRect(table.item(row, column)).width() - 2 * margin
    return all(table.fontMetrics().horizontalAdvance(word) <= room for word in words)


def test_long_statuses_read_whole_at_1366x768(qtbot, main_window) -> None:
    from lap_app.domain.status import OrdonnanceStatus as Status
    from lap_app.services.dmp import COLUMN_LABELS
    from lap_app.ui.workers import wait_idle

    window = main_window
    window.resize(1366, 768)
    window.show()
    login(qtbot, window)
    qtbot.waitUntil(lambda: not window.is_locked(), timeout=5000)
    write_and_validate(qtbot, window, "paracetamol 500").close()
    history = window.history
    qtbot.waitUntil(lambda: history.table.rowCount() > 0, timeout=10000)
    for _ in range(3):  # the history reloads after the validation, then asks the base: let both answer
        wait_idle()
        qtbot.wait(100)
    entry = history._entries[0]
    # ids of their own: the base's late answer about the real ordonnance does not rewrite these rows
    history._show([replace(entry, local_id=-1, status=Status.PARTLY_DISPENSED, dmp=COLUMN_LABELS["pending"]),
                   replace(entry, local_id=-2, status=Status.PARTLY_DISPENSED, dmp=COLUMN_LABELS["no_ins"]),
                   replace(entry, local_id=-3, status=Status.PAPER, number=None, dmp="")])
    qtbot.wait(50)

    table = history.table
    assert table.viewport().width() < 400  # the narrow side panel of a laptop screen
    for row in range(table.rowCount()):
        status = table.item(row, 2).text()
        assert _fits(table, row, 2, status.split(" ")), status
        assert _fits(table, row, 1, table.item(row, 1).text().split(" "))
    assert table.item(0, 2).text().startswith("partiellement délivrée · DMP")
    header = table.horizontalHeader()
    assert sum(header.sectionSize(c) for c in range(3)) <= table.viewport().width()  # no sideways scrolling
