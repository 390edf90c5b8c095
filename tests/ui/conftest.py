"""Fixtures of the UI tests: the demo environment (reference base over loopback TLS, virtual
cards in the in-process reader, demo patients, the real drug base) and a main window on it."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def demo_root(tmp_path_factory):
    # The installation secret goes to the documented plain-file fallback under LAP_CONFIG_DIR,
    # never to the keyring of the machine running the tests.
    os.environ.setdefault("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    return tmp_path_factory.mktemp("demo")


@pytest.fixture(scope="session")
def session_drug_base() -> Path:
    """The session's drug base, built once from the shipped BDPM under the session's LAP_DATA_DIR."""
    from lap_app.drugs import ensure_drug_database

    return ensure_drug_database()


@pytest.fixture
def drug_base_in_profile(session_drug_base: Path) -> Callable[[Path], None]:
    """A function putting a copy of the session's drug base in a user's data directory: the
    profile of a workstation started before (a first start builds it: test_shell_first_start.py),
    without seconds of build for a test about something else."""

    def put(data_dir: Path) -> None:
        data_dir.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(session_drug_base, data_dir / session_drug_base.name)

    return put


@pytest.fixture(scope="module")
def demo_env(demo_root, session_drug_base):
    from lap_app.demo.environment import DemoEnvironment

    # the session's drug base (the demo would otherwise build its own in its folder)
    env = DemoEnvironment(demo_root, pcsc=False, base_port=0, drugs_path=session_drug_base).start()
    yield env
    env.stop()  # (its card leaves the process's reader too)


@pytest.fixture(scope="module")
def demo_context(demo_env, qapp):
    from lap_app.ui.app import apply_style

    apply_style(qapp)
    return demo_env.context()


@pytest.fixture
def main_window(qtbot, demo_env, demo_context):
    from lap_app.ui.context import Session
    from lap_app.ui.main_window import MainWindow
    from lap_app.ui.workers import wait_idle

    demo_env.insert_card()
    demo_context.session = Session()
    window = MainWindow(demo_context)
    qtbot.addWidget(window)
    window.resize(1400, 860)
    window.show()
    yield window
    window.close()
    wait_idle()


@pytest.fixture(autouse=True)
def _gc_in_gui_thread(qapp):
    """As in the application: cycles are collected in the GUI thread only (see gc_guard)."""
    from lap_app.ui.gc_guard import install_gc_guard

    install_gc_guard(qapp)
