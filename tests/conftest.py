"""Suite-wide fixtures.

The application writes only under temporary directories during tests (``LAP_DATA_DIR``,
``LAP_CONFIG_DIR``). ``require_service`` makes a test that needs pcscd, CUPS or PostgreSQL fail,
never skip, when CI=true.

PostgreSQL: one throw-away cluster per test session (tests/postgres_cluster.py, started on first
use); ``postgres_dsn`` is its administrative database, ``fresh_postgres_database`` a new empty
database per test, dropped afterwards.
"""

from __future__ import annotations

import gc
import os
import shutil
import signal
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from required_services import in_ci, require_service  # noqa: F401 - also read from here by the suites

from postgres_cluster import PostgresCluster, PostgresUnavailable

if TYPE_CHECKING:
    from lap_app.standins.pki import Pki

REPO_ROOT = Path(__file__).resolve().parent.parent
FIXTURES = REPO_ROOT / "tests" / "fixtures"  # provenance and licences: tests/fixtures/README.md
EXAMPLE_BUNDLE = FIXTURES / "ordonnance-bundle.json"


def pytest_configure(config: pytest.Config) -> None:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    if config.pluginmanager.hasplugin("xdist"):
        config.pluginmanager.register(FilesOnWorkers())
    _untimed_hypothesis()
    _interruptible()


# Parallel runs (pytest-xdist, ``-n 4 --dist loadfile`` by the README's command): each file runs on one worker.
# The machine's card reader (pcscd + vpcd's fixed ports), its CUPS queue and its X displays exist
# once: the files whose tests use them (``pcsc``, ``cups`` marks) all run on one worker, one test at
# a time. A marked test in a file missing from this list stops the run before any test starts.
HOST_DEVICE_MARKS = ("pcsc", "cups")
HOST_DEVICE_FILES = frozenset({
    "tests/base/test_cli.py",
    "tests/base/test_prescrit_cli.py",
    "tests/card/test_card_cli.py",
    "tests/card/test_card_pcsc.py",
    "tests/card/test_card_pcscd_restart.py",
    "tests/ui/test_editor_every_kind.py",
    "tests/ui/test_keyboard_under_x.py",
    "tests/ui/test_print_preview.py",
    "tests/ui/test_printing_cups.py",
    "tests/ui/test_shell_pcsc.py",
})
HOST_DEVICES = "host devices"


def file_of(nodeid: str) -> str:
    return nodeid.split("::", 1)[0]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    first = set(HOST_DEVICE_FILES)  # files that start first on a worker: the device group, the long ones
    for item in items:
        marked = [mark for mark in HOST_DEVICE_MARKS if item.get_closest_marker(mark)]
        if marked and file_of(item.nodeid) not in HOST_DEVICE_FILES:
            raise pytest.UsageError(f"{item.nodeid} is marked {marked[0]}: add its file to HOST_DEVICE_FILES "
                                    "(tests/conftest.py) so that it never runs beside another test of the device")
        if item.get_closest_marker("slow"):
            first.add(file_of(item.nodeid))
    if hasattr(config, "workerinput"):  # an xdist worker: the order it sends is the order work is handed out
        items.sort(key=lambda item: file_of(item.nodeid) not in first)


class FilesOnWorkers:
    """Registered when pytest-xdist is there (a run without plugins does not know its hooks)."""

    @staticmethod
    def pytest_xdist_make_scheduler(config: pytest.Config, log: object) -> object | None:
        """``--dist loadfile``: each test file on one worker (its module fixtures — a base, a world of
        cards — are set up once), the host-device files together; the long files handed out first."""
        if config.getoption("dist") != "loadfile":
            return None
        from xdist.scheduler import LoadScopeScheduling

        config.option.loadscopereorder = False  # keep the workers' order: the long files first

        class FilesAndHostDevices(LoadScopeScheduling):
            def _split_scope(self, nodeid: str) -> str:
                file = file_of(nodeid)
                return HOST_DEVICES if file in HOST_DEVICE_FILES else file

        return FilesAndHostDevices(config, log)


def _interruptible() -> None:
    """A suite started in the background by a script (a shell without job control) inherits
    Ctrl+C ignored, and every command the tests start would too: the Ctrl+C tests would see a
    command that never gets it. A user's terminal delivers it, so Python's handler is put back
    (before pytest-xdist starts its workers: they and their commands inherit it)."""
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)


def _untimed_hypothesis() -> None:
    """Property tests are not timed: Hypothesis's 200 ms deadline per example turns one stall of
    a loaded machine (a long pause of the process, a garbage collection) into a FlakyFailure."""
    try:
        from hypothesis import settings
    except ImportError:
        return
    settings.register_profile("lap", deadline=None)
    settings.load_profile("lap")


_GC_THRESHOLDS = gc.get_threshold()


def pytest_runtest_teardown(item: pytest.Item) -> None:
    # Once a Qt test has run, automatic garbage collection is off (lap_app.ui.gc_guard) and
    # only the GUI thread collects: do it between tests too, so later tests don't pile up cycles.
    # Generation by generation when the thresholds say so, as the automatic collector would: a
    # full collection after every test costs 50-300 ms once the suite's modules are loaded.
    if not gc.isenabled():
        counts = gc.get_count()
        for generation in (2, 1, 0):
            if counts[generation] > _GC_THRESHOLDS[generation]:
                gc.collect(generation)
                return


# A Qt test waits for a condition (``qtbot.waitUntil``, ``qtbot.waitSignal``) at least this long
# before it fails: a wait ends as soon as its condition holds, and the few seconds a test names
# are well within reach of a CI machine running 3–4× slower than usual (a card signature, a
# base probe, a PDF rendered in a worker). No test measures time with these waits.
QT_PATIENCE_MS = 60_000


@pytest.fixture
def qtbot(qtbot):  # type: ignore[no-untyped-def]
    """pytest-qt's ``qtbot``, patient (``QT_PATIENCE_MS``) whatever timeout a test gives its waits."""
    wait_until, wait_signal = qtbot.waitUntil, qtbot.waitSignal

    def patient_wait_until(callback, *, timeout: int = 5000):  # type: ignore[no-untyped-def]
        return wait_until(callback, timeout=max(timeout, QT_PATIENCE_MS))

    def patient_wait_signal(signal, *, timeout: int = 5000, raising=None, **options):  # type: ignore[no-untyped-def]
        if timeout > 0 and raising is not False:  # (raising=False: a test that expects the timeout)
            timeout = max(timeout, QT_PATIENCE_MS)
        return wait_signal(signal, timeout=timeout, raising=raising, **options)

    qtbot.waitUntil, qtbot.waitSignal = patient_wait_until, patient_wait_signal
    return qtbot


@pytest.fixture(scope="session", autouse=True)
def _isolated_user_dirs(tmp_path_factory: pytest.TempPathFactory) -> None:
    base = tmp_path_factory.mktemp("user")
    for var, sub in (("LAP_DATA_DIR", "data"), ("LAP_CONFIG_DIR", "config")):
        os.environ[var] = str(base / sub)


@pytest.fixture(scope="session")
def demo_pki_copy(tmp_path_factory: pytest.TempPathFactory) -> Callable[[Path], Pki]:
    """A function putting a copy of the session's demo PKI in a new directory and returning it.
    Its keys are made once per session (RSA key generation is the slow part); each copy keeps its
    own PIN counters, so a card blocked in one suite stays usable in the others."""
    from lap_app.standins.pki import init_pki

    source = tmp_path_factory.mktemp("demo-pki")
    init_pki(source)

    def copy(directory: Path) -> Pki:
        shutil.copytree(source, directory)
        return init_pki(directory)

    return copy


@pytest.fixture(scope="session")
def example_bundle_path() -> Path:
    return EXAMPLE_BUNDLE


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[PostgresCluster]:
    """The session's PostgreSQL cluster; fails under CI=true (skips elsewhere) when it cannot start.
    A failure is cached by pytest: the start is attempted once per session."""
    cluster = started_cluster()
    try:
        yield cluster
    finally:
        cluster.stop()


def started_cluster(**options: object) -> PostgresCluster:
    """A started ``PostgresCluster(**options)``; fails under CI=true (skips elsewhere) when it cannot start."""
    try:
        import psycopg  # noqa: F401 - the driver must be installed for the cluster to be usable
    except ImportError:
        require_service(False, "PostgreSQL (psycopg not installed)")
    try:
        return PostgresCluster(**options).start()  # type: ignore[arg-type]
    except PostgresUnavailable as exc:
        require_service(False, f"PostgreSQL ({exc})")
        raise  # unreachable: require_service fails or skips


@pytest.fixture(scope="session")
def postgres_tls_cluster(tmp_path_factory: pytest.TempPathFactory,
                         demo_pki_copy: Callable[[Path], Pki]) -> Iterator[tuple[PostgresCluster, Path]]:
    """A second cluster that speaks TLS, with a certificate for localhost/127.0.0.1 issued by a test
    CA; yields it and that CA's file (``sslmode=verify-full``, ``sslrootcert``)."""
    pki = demo_pki_copy(tmp_path_factory.mktemp("postgres") / "pki")
    cluster = started_cluster(tls=(pki.server_cert_path, pki.server_key_path))
    try:
        yield cluster, pki.ca_cert_path
    finally:
        cluster.stop()


@pytest.fixture(scope="session")
def postgres_dsn(postgres_cluster: PostgresCluster) -> str:
    """URL of the cluster's administrative database (postgresql://lap:…@127.0.0.1:PORT/postgres)."""
    return postgres_cluster.dsn()


@pytest.fixture
def fresh_postgres_database(postgres_cluster: PostgresCluster) -> Iterator[str]:
    """URL of a new, empty database for this test only."""
    with postgres_cluster.fresh_database() as dsn:
        yield dsn


STORE_ENGINES = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgresql)]


@pytest.fixture(params=STORE_ENGINES)
def store_location(request: pytest.FixtureRequest, tmp_path: Path) -> str | Path:
    """Where the practice store lives for this test, once per engine: an SQLite file, then a fresh
    database on the session's PostgreSQL cluster (a postgresql:// URL)."""
    if request.param == "sqlite":
        return tmp_path / "lap.sqlite3"
    dsn: str = request.getfixturevalue("fresh_postgres_database")
    return dsn
