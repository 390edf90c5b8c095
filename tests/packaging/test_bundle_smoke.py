"""The Linux desktop bundle, built once per session with PyInstaller and run as a user would.

Each run gets an empty environment (no Python on PATH, no virtualenv, no PYTHONPATH, a fresh
HOME, the current directory outside the source tree), so what works here works on a
workstation that has no Python at all. Checks: ``--version``; the example ordonnance rendered
to a PDF whose text and QR code are right; a bad file refused in French without traceback;
``card info --virtual`` as the source install prints it; a practice server (PostgreSQL over
TLS, the certificate checked) joined with ``practice-server``; the first start creating the store
in the platform's per-user directory; an old store upgraded in place with its data; the
per-user installer (install, update, uninstall) keeping the data.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from lap_app import __version__
from lap_app.domain.identifiers import format_prescription_number
from lap_app.storage import MIGRATIONS

pytestmark = pytest.mark.slow

REPO_ROOT = Path(__file__).resolve().parents[2]
FIXTURE_V1 = Path(__file__).parent / "fixtures" / "store-v1.sqlite3"
APP_ID = "fr.lap_app.LAP"


def _load_builder():
    spec = importlib.util.spec_from_file_location("build_bundle", REPO_ROOT / "packaging" / "build_bundle.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The built bundle folder (``lap-app/``, executable inside); removed after the session."""
    if importlib.util.find_spec("PyInstaller") is None:
        pytest.fail('PyInstaller is missing: pip install -e ".[packaging]" (packaging/bootstrap.sh does it)',
                    pytrace=False)
    root = tmp_path_factory.mktemp("bundle")
    build = _load_builder().build(root / "dist", root / "work", archive=False)
    shutil.rmtree(root / "work", ignore_errors=True)  # the build cache is not needed any more
    print(f"\nbundle built in {build.seconds:.1f} s, {build.size_bytes / 2**20:.1f} MiB")
    yield build.folder
    shutil.rmtree(root, ignore_errors=True)  # 170 MiB: pytest would keep it for three runs


def user_env(home: Path, **extra: str) -> dict[str, str]:
    """What a desktop session gives a program: no Python anywhere, no LAP_* overrides."""
    env = {"HOME": str(home), "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "QT_QPA_PLATFORM": "offscreen"}
    env.update(extra)
    return env


def run(bundle: Path, home: Path, *args: str, **extra: str) -> subprocess.CompletedProcess:
    home.mkdir(parents=True, exist_ok=True)
    return subprocess.run([str(bundle / "lap-app"), *args], cwd=home, env=user_env(home, **extra),
                          capture_output=True, text=True, timeout=300)


def assert_clean(result: subprocess.CompletedProcess) -> None:
    assert "Traceback" not in result.stderr + result.stdout, result.stderr
    assert result.returncode == 0, result.stderr


def test_bundle_runs_without_python(bundle: Path, tmp_path: Path) -> None:
    internal = bundle / "_internal"
    assert list(internal.glob("libpython3*.so*")), "the Python runtime must be inside the bundle"
    assert (internal / "resources" / "fonts").is_dir() and (internal / "resources" / "bdpm").is_dir()
    assert not (internal / "PySide6" / "QtQml.abi3.so").exists(), "unused Qt modules must be left out"

    result = run(bundle, tmp_path / "home", "--version")

    assert_clean(result)
    assert result.stdout.strip() == f"lap-app {__version__}"


def test_bundle_renders_the_example_ordonnance(bundle: Path, tmp_path: Path, example_bundle_path: Path) -> None:
    import pypdfium2
    import zxingcpp
    from pypdf import PdfReader

    example = json.loads(example_bundle_path.read_text(encoding="utf-8"))
    number = example["identifier"]["value"]
    patient = next(e["resource"] for e in example["entry"] if e["resource"]["resourceType"] == "Patient")
    out = tmp_path / "ordonnance.pdf"

    result = run(bundle, tmp_path / "home", "render", str(example_bundle_path), "-o", str(out))

    assert_clean(result)
    text = " ".join(page.extract_text() for page in PdfReader(out).pages)
    assert format_prescription_number(number) in text
    assert patient["name"][0]["family"].upper() in text.upper()
    page = pypdfium2.PdfDocument(out)[0].render(scale=200 / 72).to_pil()
    codes = [code.text for code in zxingcpp.read_barcodes(page) if code.format == zxingcpp.BarcodeFormat.QRCode]
    assert codes == [number]


def test_bundle_refuses_a_bad_file_in_french(bundle: Path, tmp_path: Path) -> None:
    broken = tmp_path / "cassé.json"
    broken.write_text('{"resourceType": "Bundle", "entry": [', encoding="utf-8")
    out = tmp_path / "never.pdf"

    result = run(bundle, tmp_path / "home", "render", str(broken), "-o", str(out))

    assert result.returncode == 1
    assert result.stderr.startswith("Erreur : ") and "Traceback" not in result.stderr
    assert not out.exists()


def test_bundle_reads_the_virtual_card_like_the_source_install(bundle: Path, tmp_path: Path) -> None:
    frozen = run(bundle, tmp_path / "frozen", "card", "info", "--virtual")
    source = subprocess.run([sys.executable, "-m", "lap_app", "card", "info", "--virtual"], cwd=tmp_path,
                            env={**user_env(tmp_path / "source"), "PATH": os.environ["PATH"]},
                            capture_output=True, text=True, timeout=120)

    assert_clean(frozen)
    assert_clean(source)
    assert "Code porteur : 3 essai(s) restant(s)" in frozen.stdout
    assert frozen.stdout == source.stdout


@pytest.mark.postgresql
def test_bundle_reaches_a_practice_server_over_checked_tls(bundle: Path, tmp_path: Path,
                                                          postgres_tls_cluster) -> None:
    """A workstation installed from the bundle joins the practice server: psycopg's binary build
    (libpq and its TLS inside the bundle) connects with the certificate checked against the CA."""
    cluster, ca = postgres_tls_cluster
    assert list((bundle / "_internal").glob("psycopg_binary/pq.*")), "psycopg's binary build must be inside"
    database = cluster.create_database("bundle")
    try:
        joined = run(bundle, tmp_path / "home", "practice-server", cluster.dsn(database), "--ca", str(ca))
        assert_clean(joined)
        assert "utilise désormais le serveur du cabinet 127.0.0.1:" in joined.stdout
        checked = run(bundle, tmp_path / "home", "practice-server")
        assert_clean(checked)
        assert "Connexion vérifiée ; 0 ordonnance(s) en attente d'envoi." in checked.stdout
        import psycopg

        with psycopg.connect(cluster.dsn(database)) as conn:  # the bundle created the schema there
            assert conn.execute("SELECT count(*) FROM pg_tables WHERE tablename = 'ordonnances'").fetchone() == (1,)
    finally:
        cluster.drop_database(database)


def test_first_start_creates_the_store_in_the_user_data_dir(bundle: Path, tmp_path: Path) -> None:
    home = tmp_path / "home"
    files_before = sorted(p.relative_to(bundle) for p in bundle.rglob("*"))

    result = run(bundle, home, "outbox")

    assert_clean(result)
    store = home / ".local" / "share" / "lap-app" / "lap.sqlite3"  # platformdirs' XDG default
    assert store.is_file()
    conn = sqlite3.connect(store)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
    conn.close()
    assert sorted(p.relative_to(bundle) for p in bundle.rglob("*")) == files_before, "nothing written in the program"

    # XDG_DATA_HOME is honoured, as on any freedesktop session
    moved = run(bundle, home, "outbox", XDG_DATA_HOME=str(tmp_path / "xdg"))
    assert_clean(moved)
    assert (tmp_path / "xdg" / "lap-app" / "lap.sqlite3").is_file()


def test_bundle_opens_the_demo_window_on_first_start(bundle: Path, tmp_path: Path) -> None:
    """``lap-app demo`` (the menu entry's command): base, card, drug database, then the window."""
    home = tmp_path / "home"
    home.mkdir()
    log = tmp_path / "demo.log"
    with log.open("w") as out:
        process = subprocess.Popen([str(bundle / "lap-app"), "demo", "--no-pcsc"], cwd=home, env=user_env(home),
                                   stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 240
        while "Base de démonstration" not in log.read_text(encoding="utf-8"):
            assert process.poll() is None, f"the demo stopped:\n{log.read_text(encoding='utf-8')}"
            assert time.monotonic() < deadline, "the demo did not start in time"
            time.sleep(0.5)
        time.sleep(5)  # the main window is built and shown after that line
        assert process.poll() is None, f"the demo stopped:\n{log.read_text(encoding='utf-8')}"
    finally:
        process.terminate()
        process.wait(timeout=30)
    text = log.read_text(encoding="utf-8")
    assert "Traceback" not in text and "ERROR" not in text, text
    demo = home / ".local" / "share" / "lap-app-demo"  # the demo's own folder, apart from the user's data
    assert (demo / "drugs.sqlite3").is_file()  # built from the bundled BDPM at first start
    assert (demo / "lap.sqlite3").is_file(), "the demo's local store is created per user"
    assert not (home / ".local" / "share" / "lap-app" / "lap.sqlite3").exists()  # never the user's own store


def test_upgraded_build_keeps_the_previous_versions_data(bundle: Path, tmp_path: Path) -> None:
    home = tmp_path / "home"
    data = home / ".local" / "share" / "lap-app"
    data.mkdir(parents=True)
    shutil.copyfile(FIXTURE_V1, data / "lap.sqlite3")  # what release 0.1 left on the workstation
    old = sqlite3.connect(FIXTURE_V1)
    waiting = [row[0] for row in old.execute("SELECT number FROM outbox ORDER BY id")]
    ordonnances = old.execute("SELECT COUNT(*) FROM ordonnances").fetchone()[0]
    old.close()

    result = run(bundle, home, "outbox", "--json")

    assert_clean(result)
    assert [entry["number"] for entry in json.loads(result.stdout)["waiting"]] == waiting
    conn = sqlite3.connect(data / "lap.sqlite3")
    assert conn.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
    assert conn.execute("SELECT COUNT(*) FROM ordonnances").fetchone()[0] == ordonnances
    conn.close()


def test_per_user_install_update_and_uninstall_keep_the_data(bundle: Path, tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    unpacked = tmp_path / "download" / "lap-app"
    shutil.copytree(bundle, unpacked, symlinks=True)
    prefix = home / ".local"

    def install(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(["sh", str(unpacked / "install.sh"), *args], env=user_env(home), cwd=home,
                              capture_output=True, text=True, timeout=300)

    first = install()
    assert first.returncode == 0, first.stderr
    desktop = prefix / "share" / "applications" / f"{APP_ID}.desktop"
    exec_line = next(line for line in desktop.read_text(encoding="utf-8").splitlines() if line.startswith("Exec="))
    program = exec_line.removeprefix("Exec=").split('"')[1]
    assert program == str(prefix / "opt" / "lap-app" / "lap-app")
    assert (prefix / "share" / "icons" / "hicolor" / "scalable" / "apps" / f"{APP_ID}.svg").is_file()
    validate = subprocess.run(["desktop-file-validate", str(desktop)], capture_output=True, text=True)
    assert validate.returncode == 0, validate.stdout + validate.stderr
    launched = run(prefix / "bin", home, "outbox")  # the ~/.local/bin/lap-app symlink
    assert_clean(launched)
    store = prefix / "share" / "lap-app" / "lap.sqlite3"
    store_bytes = store.read_bytes()

    update = install()  # the same archive again stands for the next version
    assert update.returncode == 0, update.stderr
    assert store.read_bytes() == store_bytes
    assert not (prefix / "opt" / "lap-app.old").exists() and not (prefix / "opt" / "lap-app.new").exists()

    removed = install("--uninstall")
    assert removed.returncode == 0, removed.stderr
    assert not (prefix / "opt" / "lap-app").exists() and not desktop.exists()
    assert store.read_bytes() == store_bytes
    shutil.rmtree(unpacked.parent)
