"""What the screenshot scripts share: the demo environment and its main window, offscreen, in a
temporary data directory (nothing of the user's is touched), and waiting for a screen."""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent.parent


def pump(seconds: float = 0.3) -> None:
    from PySide6.QtWidgets import QApplication

    end = time.monotonic() + seconds
    while time.monotonic() < end:
        QApplication.processEvents()
        time.sleep(0.01)


def until(predicate: Callable[[], Any], timeout: float = 15.0, what: str = "") -> None:
    from PySide6.QtWidgets import QApplication

    end = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > end:
            raise SystemExit(f"screen not reached in time: {what}")
        QApplication.processEvents()
        time.sleep(0.01)


def log_in(window: Any, pin: str = "1234") -> None:
    page = window.login_page
    until(page.pin_edit.isEnabled)
    page.pin_edit.setText(pin)
    page.submit()
    until(lambda: not window.is_locked())


@contextlib.contextmanager
def demo_window(out: Path, *, size: tuple[int, int] | None = (1440, 900), screen: tuple[int, int] | None = None,
                logged_in: bool = True) -> Iterator[tuple[Any, Any]]:
    """(the started ``DemoEnvironment``, its ``MainWindow`` shown); ``screen``: the offscreen
    screen's size (Qt's default otherwise); ``logged_in``: the demo card's PIN typed."""
    work = Path(tempfile.mkdtemp(prefix="lap-shots-"))
    if screen is not None:
        config = work / "screens.json"
        config.write_text(json.dumps({"screens": [{"name": "s", "x": 0, "y": 0, "width": screen[0],
                                                   "height": screen[1], "logicalDpi": 96, "logicalBaseDpi": 96,
                                                   "dpr": 1}]}))
        os.environ["QT_QPA_PLATFORM"] = f"offscreen:configfile={config}"
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ.setdefault("LAP_DATA_DIR", str(work / "data"))
    os.environ["LAP_CONFIG_DIR"] = str(work / "config")
    os.environ["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"
    out.mkdir(parents=True, exist_ok=True)

    from lap_app.demo.environment import DemoEnvironment
    from lap_app.ui.app import apply_style, create_application
    from lap_app.ui.main_window import MainWindow

    app = create_application()
    env = DemoEnvironment(work / "demo", pcsc=False, base_port=0).start()
    try:
        window = MainWindow(env.context())
        apply_style(app)
        if size is not None:
            window.resize(*size)
        window.show()
        if logged_in:
            log_in(window)
        yield env, window
        window.close()
    finally:
        env.stop()
    print(f"screenshots in {out}")


def output_folder(argv: list[str]) -> Path:
    """The folder named on the command line, else docs/screenshots/."""
    return Path(argv[1]) if len(argv) > 1 else REPO / "docs" / "screenshots"
