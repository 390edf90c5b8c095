"""Entry script of the frozen (PyInstaller) build: the same ``lap-app`` command line."""

from __future__ import annotations

import multiprocessing

from lap_app.cli.main import main

if __name__ == "__main__":
    multiprocessing.freeze_support()  # a frozen child process must not re-run the CLI
    raise SystemExit(main())
