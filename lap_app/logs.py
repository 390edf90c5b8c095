"""Logging: a rotating file in the user data directory; the terminal sees the log only with
``--verbose`` (records are English, for developers: the user reads the commands' French messages).

Never log a PIN or the content of an APDU that carries one. A record logged with
``extra={"console": False}`` goes to the file only (the caller tells the user itself).
"""

from __future__ import annotations

import logging
import logging.handlers
from pathlib import Path

from lap_app.paths import user_data_dir
from lap_app.private_files import private_directory


def log_file_path() -> Path:
    return user_data_dir() / "logs" / "lap-app.log"


def configure_logging(verbose: bool = False) -> None:
    root = logging.getLogger("lap_app")
    if root.handlers:
        return
    # a log file that cannot be written (disk full, removed) must stay silent: logging would
    # otherwise print "--- Logging error ---" and a traceback on the user's terminal
    logging.raiseExceptions = False
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    try:
        path = log_file_path()
        private_directory(path.parent.parent)  # the user's data directory holds health data: 0700
        private_directory(path.parent)
        file_handler = logging.handlers.RotatingFileHandler(path, maxBytes=2_000_000, backupCount=3, encoding="utf-8")
        file_handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        root.addHandler(file_handler)
    except OSError:
        pass  # a read-only home must not stop the application
    if not verbose:
        root.addHandler(logging.NullHandler())  # without a file, logging's last resort would print
        return
    console = logging.StreamHandler()
    console.setLevel(logging.DEBUG)
    console.setFormatter(_NoTracebackFormatter("%(levelname)s: %(message)s"))
    console.addFilter(lambda record: getattr(record, "console", True))
    root.addHandler(console)


class _NoTracebackFormatter(logging.Formatter):
    """Tracebacks go to the log file only: the terminal is the user's."""

    def format(self, record: logging.LogRecord) -> str:
        saved = record.exc_info, record.exc_text, record.stack_info
        record.exc_info = record.exc_text = record.stack_info = None
        try:
            return super().format(record)
        finally:
            record.exc_info, record.exc_text, record.stack_info = saved
