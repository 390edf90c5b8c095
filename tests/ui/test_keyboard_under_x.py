"""The whole consultation with the keyboard alone, in a real X server (Xvfb, 1366 × 768) under a
real window manager (openbox), keys sent by xdotool as a keyboard would: login to printed page.
The page cups-pdf wrote is then read from outside: the patient's name in its text layer."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from test_printing_cups import _cups_pdf_queue_ready, _file_cups_wrote, _text_of

from ui_support import require_service

HERE = Path(__file__).resolve().parent


def _free_display() -> int:
    for number in range(90, 140):
        if not Path(f"/tmp/.X11-unix/X{number}").exists() and not Path(f"/tmp/.X{number}-lock").exists():
            return number
    raise AssertionError("no free X display number")


@pytest.fixture()
def x_display():
    tools = all(shutil.which(tool) for tool in ("Xvfb", "xdotool", "openbox"))
    require_service(tools, "Xvfb, xdotool and openbox (packaging/bootstrap.sh installs them)")
    number = _free_display()
    display = f":{number}"
    server = subprocess.Popen(["Xvfb", display, "-screen", "0", "1366x768x24", "-nolisten", "tcp"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    manager = None
    try:
        deadline = time.monotonic() + 60  # at once on a quiet machine; seconds at load 15–20
        while not Path(f"/tmp/.X11-unix/X{number}").exists():
            assert time.monotonic() < deadline and server.poll() is None, "Xvfb did not start"
            time.sleep(0.05)
        env = {**os.environ, "DISPLAY": display}
        manager = subprocess.Popen(["openbox"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(0.5)
        yield display
    finally:
        for process in (manager, server):
            if process is not None:
                process.terminate()
                try:
                    process.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    process.kill()


@pytest.mark.cups
def test_a_consultation_from_login_to_printed_page_with_the_keyboard_alone(x_display):
    require_service(_cups_pdf_queue_ready(), "CUPS with the cups-pdf queue PDF")
    env = {**os.environ, "DISPLAY": x_display, "QT_QPA_PLATFORM": "xcb"}
    done = subprocess.run([sys.executable, str(HERE / "keyboard_consultation_x.py")], env=env,
                          capture_output=True, text=True, timeout=900)  # each of its steps waits up to 60 s
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["patient"] == "BERNARD" and seen["lines"] == 2
    assert seen["focus_after_dialog"] == "drugSearchEdit"  # focus after the dialogs, real window manager
    written = _file_cups_wrote(f"ordonnance-{seen['number']}")
    text = _text_of(written)
    assert "BERNARD" in text and "pendant 5 jours" in text
