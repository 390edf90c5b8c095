"""Logging: a rotating file in the user data directory; the terminal sees warnings only.

Never log a PIN or the content of an APDU that carries one.
"""

from __future__ import annotations

import logging
import logging.handlers
from pathlib import Path

from lap_app.paths import user_data_dir


def log_file_path() -> Path:
    return user_data_dir() / "logs" / "lap-app.log"


def configure_logging(verbose: bool = False) -> None:
    root = logging.getLogger("lap_app")
    if root.handlers:
        return
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    try:
        path = log_file_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        file_handler = logging.handlers.RotatingFileHandler(path, maxBytes=2_000_000, backupCount=3, encoding="utf-8")
        file_handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        root.addHandler(file_handler)
    except OSError:
        pass  # a read-only home must not stop the application
    console = logging.StreamHandler()
    console.setLevel(logging.DEBUG if verbose else logging.WARNING)
    console.setFormatter(logging.Formatter("%(levelname)s: %(message)s"))
    root.addHandler(console)
