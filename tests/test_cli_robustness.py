"""The command line under bad conditions: what goes wrong in real life, typed at the real
``lap-app`` in subprocesses (one PKI and one real base over TLS for the module).

Each refusal must be: exit code not 0, ONE stderr line "Erreur : ..." in French, no
traceback, no English system text; and nothing lost (the signed ordonnance stays in the
outbox, an existing file is not truncated, a failed import keeps the previous drug base).
"""

from __future__ import annotations

import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import tarfile
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent / "base"))
from circuit_support import EXAMPLE_BUNDLE, REPO, BaseProcess, free_port, set_up_workstation

LAP_APP = str(Path(sys.executable).parent / "lap-app")
PIN = "1234"
ENGLISH = re.compile(r"Traceback|Exception|\bError\b|\berror\b|Warning|WARNING|\binvalid\b|No such|"
                     r"[Pp]ermission denied|File exists|Read-only|usage:|required:|ConnectError")


class World:
    """Paths and environment shared by the cases; ``{name}`` in a case's arguments is one of them."""

    def __init__(self, root: Path, base: BaseProcess) -> None:
        self.root, self.base = root, base
        self.data, self.config = root / "data", root / "config"
        self.env = dict(os.environ, LAP_DATA_DIR=str(self.data), LAP_CONFIG_DIR=str(self.config),
                        LAP_BASE_URL=base.url, LAP_BASE_CA=str(base.ca),
                        PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring")
        self.env.pop("QT_QPA_PLATFORM", None)
        set_up_workstation(self.data, self.config)

    def values(self) -> dict[str, str]:
        return {"tmp": str(self.root), "pki": str(self.base.pki_dir), "bundle": str(EXAMPLE_BUNDLE),
                "port": str(self.base.port), "dead": f"https://127.0.0.1:{free_port()}",
                "unwritable": str(unwritable_dir(self.root))}


def unwritable_dir(root: Path) -> Path:
    """A folder nobody may write in: chmod for a user; sysfs for root (chmod does not stop root)."""
    if os.geteuid() == 0:
        return Path("/sys/fs")
    folder = root / "read-only"
    folder.mkdir(exist_ok=True)
    folder.chmod(0o555)
    return folder


def run(world: World, args: list[str], stdin: str = PIN + "\n", **env: str) -> subprocess.CompletedProcess:
    values = world.values()
    argv = [a.format(**values) for a in args]
    environment = dict(world.env, **{k: v.format(**values) for k, v in env.items()})
    # a new session: no controlling terminal, as under a service or a pipe (getpass cannot use /dev/tty)
    return subprocess.run([LAP_APP, *argv], input=stdin, capture_output=True, text=True, env=environment,
                          timeout=60, start_new_session=True)


def assert_refused(result: subprocess.CompletedProcess, fragment: str, code: int = 1) -> None:
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert result.returncode == code, (result.returncode, result.stderr, result.stdout)
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Erreur : ") and fragment in lines[0], lines[0]
    assert not ENGLISH.search(result.stderr + result.stdout), result.stderr


def ok(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    return result.stdout


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, demo_pki_copy):
    from lap_app.standins.pki import init_pki

    root = tmp_path_factory.mktemp("robust")
    demo_pki_copy(root / "pki")
    base = BaseProcess(root / "base", root / "pki", free_port()).start()
    try:
        w = World(root, base)
        (root / "dir").mkdir()
        (root / "empty.json").write_bytes(b"")
        (root / "binary.json").write_bytes(bytes(range(256)) * 4)
        (root / "list.json").write_text("[1, 2]")
        (root / "not-a-cert.pem").write_text("bonjour\n")
        bundle = EXAMPLE_BUNDLE.read_text(encoding="utf-8")
        (root / "bad-key.json").write_text(bundle.replace("2026112500004292", "2026112500004293"), encoding="utf-8")
        wrong_type = json.loads(bundle)
        wrong_type["entry"] = 5
        (root / "wrong-type.json").write_text(json.dumps(wrong_type), encoding="utf-8")
        init_pki(root / "other-pki")  # another CA: the base's certificate does not chain to it
        ok(run(w, ["enrol", "--virtual", "--pki", "{pki}", "--pin-stdin"]))
        yield w
    finally:
        base.stop()


V = ["--virtual", "--pki", "{pki}", "--pin-stdin"]
PHARMACIST = ["--virtual", "--holder", "pharmacien", "--pki", "{pki}", "--pin-stdin"]
NUMBER = "2026112500004292"  # a valid key; unknown to the base

# (case, arguments, stdin, environment, what the message says, exit code)
CASES = [
    ("render: missing file", ["render", "{tmp}/absent.json", "-o", "{tmp}/o.pdf"], "", {}, "introuvable", 1),
    ("render: a folder", ["render", "{tmp}/dir", "-o", "{tmp}/o.pdf"], "", {}, "dossier", 1),
    ("render: empty file", ["render", "{tmp}/empty.json", "-o", "{tmp}/o.pdf"], "", {}, "JSON", 1),
    ("render: binary file", ["render", "{tmp}/binary.json", "-o", "{tmp}/o.pdf"], "", {}, "UTF-8", 1),
    ("render: JSON list", ["render", "{tmp}/list.json", "-o", "{tmp}/o.pdf"], "", {}, "Bundle", 1),
    ("render: wrong JSON type", ["render", "{tmp}/wrong-type.json", "-o", "{tmp}/o.pdf"], "", {}, "entry", 1),
    ("render: wrong check digits", ["render", "{tmp}/bad-key.json", "-o", "{tmp}/o.pdf"], "", {},
     "clé de contrôle", 1),
    ("render: output is a folder", ["render", "{bundle}", "-o", "{tmp}/dir"], "", {}, "dossier", 1),
    ("render: output folder missing", ["render", "{bundle}", "-o", "{tmp}/no/o.pdf"], "", {}, "inexistant", 1),
    ("render: output a device", ["render", "{bundle}", "-o", "/dev/full"], "", {}, "fichier ordinaire", 1),
    ("render: output unwritable", ["render", "{bundle}", "-o", "{unwritable}/o.pdf"], "", {}, "Écriture impossible", 1),
    ("argparse: bad choice", ["render", "{bundle}", "-o", "{tmp}/o.pdf", "--format", "A3"], "", {}, "A3", 2),
    ("argparse: unknown command", ["ordonner"], "", {}, "ordonner", 2),
    ("argparse: not a number", ["pharmacy", "dispense", NUMBER, "--line", "1", "--quantity", "abc"], "", {},
     "valeur invalide", 2),
    ("argparse: missing argument", ["prescribe", "{bundle}"], "", {}, "obligatoires", 2),
    ("drugs: unknown CIS", ["drugs", "interactions", "123", "abc"], "", {}, "CIS inconnu", 1),
    ("drugs: bad limit", ["drugs", "search", "doli", "--limit", "0"], "", {}, "--limit", 1),
    ("drugs: import missing folder", ["drugs", "import", "{tmp}/absent"], "", {}, "introuvable", 1),
    ("pki: init onto a file", ["pki", "init", "{tmp}/not-a-cert.pem"], "", {}, "existe déjà", 1),
    ("base: port taken", ["base", "serve", "--port", "{port}", "--data-dir", "{tmp}/b2", "--pki", "{pki}"], "", {},
     "port déjà utilisé", 1),
    ("base: port out of range", ["base", "serve", "--port", "99999", "--data-dir", "{tmp}/b2", "--pki", "{pki}"], "",
     {}, "--port", 1),
    ("base: data dir is a file", ["base", "serve", "--data-dir", "{tmp}/not-a-cert.pem", "--pki", "{pki}"], "", {},
     "Dossier inutilisable", 1),
    ("base: openapi into a folder", ["base", "openapi", "-o", "{tmp}/dir"], "", {}, "dossier", 1),
    ("card: no such reader", ["card", "info", "--reader", "Lecteur absent"], "", {}, "introuvable", 1),
    ("enrol: plain http", ["enrol", *V, "--base-url", "http://127.0.0.1:{port}"], "", {}, "https://", 1),
    ("enrol: base unreachable", ["enrol", *V, "--base-url", "{dead}"], PIN + "\n", {}, "injoignable", 1),
    ("enrol: CA not a certificate", ["enrol", *V, "--base-ca", "{tmp}/not-a-cert.pem"], "", {}, "illisible", 1),
    ("enrol: CA missing", ["enrol", *V, "--base-ca", "{tmp}/absent.pem"], "", {}, "introuvable", 1),
    ("enrol: CA that does not match", ["enrol", *V, "--base-ca", "{tmp}/other-pki/ca.pem", "--force"],
     PIN + "\n", {}, "pas reconnu", 1),
    ("enrol: empty stdin", ["enrol", *V], "", {}, "non saisi", 1),
    ("enrol: PIN not digits", ["enrol", *V], "abc\n", {}, "chiffres", 1),
    ("enrol: no terminal for the PIN", ["enrol", "--virtual", "--pki", "{pki}"], PIN + "\n", {}, "--pin-stdin", 1),
    ("prescribe: wrong check digits", ["prescribe", "{tmp}/bad-key.json", "-o", "{tmp}/p.pdf", *V], PIN + "\n", {},
     "clé de contrôle", 1),
    ("prescribe: binary draft", ["prescribe", "{tmp}/binary.json", "-o", "{tmp}/p.pdf", *V], "", {}, "UTF-8", 1),
    ("prescribe: empty draft", ["prescribe", "{tmp}/empty.json", "-o", "{tmp}/p.pdf", *V], "", {}, "JSON", 1),
    ("prescribe: output is a folder", ["prescribe", "{bundle}", "-o", "{tmp}/dir", *V], PIN + "\n", {},
     "dossier", 1),
    ("prescribe: output unwritable", ["prescribe", "{bundle}", "-o", "{unwritable}/p.pdf", *V], PIN + "\n", {},
     "Écriture impossible", 1),
    ("pharmacy: wrong key", ["pharmacy", "read", "2026112500004293", *PHARMACIST], "", {}, "clé de contrôle", 1),
    ("pharmacy: wrong length", ["pharmacy", "read", "202611250000429", *PHARMACIST], "", {}, "16 chiffres", 1),
    ("pharmacy: letters", ["pharmacy", "read", "ABCD", *PHARMACIST], "", {}, "chiffres", 1),
    ("pharmacy: negative quantity", ["pharmacy", "dispense", NUMBER, "--line", "1", "--quantity", "-1",
                                     *PHARMACIST], "", {}, "Quantité invalide", 1),
    ("dispensing: wrong key", ["dispensing", "2026112500004293", *V], "", {}, "clé de contrôle", 1),
    ("dmp: bad INS", ["dmp", "list", "158037505612322", *V], "", {}, "INS invalide", 1),
    ("dmp get: output a folder", ["dmp", "get", NUMBER, "-o", "{tmp}/dir", *V], "", {}, "dossier", 1),
    ("gui: no screen", ["gui"], "", {"DISPLAY": "", "WAYLAND_DISPLAY": ""}, "écran", 1),
    ("demo: no screen", ["demo", "--no-pcsc"], "", {"DISPLAY": "", "WAYLAND_DISPLAY": ""}, "écran", 1),
    ("data dir read-only", ["outbox"], "", {"LAP_DATA_DIR": "{unwritable}"}, "permission refusée", 1),
    ("data dir through a file", ["outbox"], "", {"LAP_DATA_DIR": "{tmp}/not-a-cert.pem/data"}, "inutilisable", 1),
]


@pytest.mark.parametrize("args, stdin, env, fragment, code", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_refusal(world: World, args: list[str], stdin: str, env: dict[str, str], fragment: str, code: int) -> None:
    assert_refused(run(world, args, stdin, **env), fragment, code)


def _count_ordonnances(world: World) -> int:
    with sqlite3.connect(world.data / "lap.sqlite3") as conn:
        return conn.execute("SELECT count(*) FROM ordonnances").fetchone()[0]


def test_bad_output_is_refused_before_signing_and_keeps_the_old_file(world: World) -> None:
    ok(run(world, ["outbox"], ""))  # the local store exists
    before = _count_ordonnances(world)
    assert_refused(run(world, ["prescribe", "{bundle}", "-o", "{tmp}/dir", *V]), "dossier")
    assert_refused(run(world, ["render", "{tmp}/bad-key.json", "-o", "{tmp}/kept.pdf"]), "clé")
    assert _count_ordonnances(world) == before  # nothing signed, no number spent
    kept = world.root / "kept.pdf"
    kept.write_bytes(b"%PDF previous")
    assert_refused(run(world, ["render", "{tmp}/bad-key.json", "-o", "{tmp}/kept.pdf"]), "clé")
    assert kept.read_bytes() == b"%PDF previous"


def test_corrupt_local_store_is_named_and_left_untouched(world: World) -> None:
    data = world.root / "corrupt"
    data.mkdir()
    garbage = bytes(range(256)) * 64
    (data / "lap.sqlite3").write_bytes(garbage)
    for args in (["outbox"], ["dmp", "status"], ["prescribe", "{bundle}", "-o", "{tmp}/c.pdf", *V]):
        assert_refused(run(world, args, LAP_DATA_DIR=str(data)), "endommagée")
    assert (data / "lap.sqlite3").read_bytes() == garbage


def test_blocked_card_then_unblocked(world: World, tmp_path: Path, demo_pki_copy) -> None:
    pki_dir = demo_pki_copy(tmp_path / "pki").directory  # its own card: the module's PIN counter stays untouched
    own = ["enrol", "--virtual", "--pki", str(pki_dir), "--pin-stdin"]
    assert_refused(run(world, own, "9999\n"), "il reste 2 essais")
    assert_refused(run(world, own, "9999\n"), "il reste 1 essai")
    assert_refused(run(world, own, "9999\n"), "bloqué")
    assert_refused(run(world, own, PIN + "\n"), "bloqué")  # even the right PIN
    state = pki_dir / "holders" / "medecin" / "pin-state.json"
    state.write_text(json.dumps({"tries_left": 3, "max_tries": 3}))  # the PKI's reset
    assert "Porteur : Claire MARTIN" in ok(run(world, ["card", "info", "--virtual", "--pki", str(pki_dir)]))


# A Ctrl+C is sent once the command is under way, never during the interpreter's start-up (2.5–3 s
# for ``lap-app --version`` at load 16: a fixed delay before the signal struck Python's imports).
READ_SYSCALL = {"x86_64": "0", "aarch64": "63"}


def _wait_reading_stdin(process: subprocess.Popen, timeout: float = 120.0) -> None:
    """Until ``process`` waits in read() on its standard input (/proc/PID/syscall), or has ended."""
    import platform

    deadline = time.monotonic() + timeout
    while process.poll() is None:
        try:
            call = Path(f"/proc/{process.pid}/syscall").read_text().split()
        except OSError:
            call = []  # ending meanwhile: poll() says so on the next turn
        if call[:2] == [READ_SYSCALL[platform.machine()], "0x0"]:
            return
        assert time.monotonic() < deadline, "the command never came to read its standard input"
        time.sleep(0.01)


def _open_files(pid: int) -> set[str]:
    """What ``pid`` has open now. A descriptor closed between the listing and its readlink is
    skipped (the interpreter opens and closes many files as it starts: taking that for the end
    of the process sent Ctrl+C into Python's own start-up); an ended process has none."""
    opened: set[str] = set()
    try:
        descriptors = list(Path(f"/proc/{pid}/fd").iterdir())
    except OSError:
        return opened
    for descriptor in descriptors:
        try:
            opened.add(os.readlink(descriptor))
        except OSError:
            continue
    return opened


def _wait_running(process: subprocess.Popen, data_dir: Path, timeout: float = 120.0) -> None:
    """Until the command has opened its log file (it is past start-up, in its own hands), or has ended."""
    log_file = str((data_dir / "logs" / "lap-app.log").resolve())
    deadline = time.monotonic() + timeout
    while process.poll() is None:
        if log_file in _open_files(process.pid):
            return
        assert time.monotonic() < deadline, "the command never opened its log file"
        time.sleep(0.005)


def test_sigint_while_waiting_for_the_pin(world: World) -> None:
    process = subprocess.Popen([LAP_APP, "enrol", "--virtual", "--pki", str(world.base.pki_dir), "--pin-stdin"],
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env=world.env, start_new_session=True)
    _wait_reading_stdin(process)  # started, blocked on stdin
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=30)
    assert process.returncode == 130, err
    assert err.strip() == "Erreur : interrompu (Ctrl+C)." and "Traceback" not in out


# Installed as ``sitecustomize`` in the started command: the first import of HELD waits for a
# line on standard input, so the test presses Ctrl+C at a known point of the start-up imports.
HOLD_ONE_IMPORT = """
import sys


class HoldImport:
    def find_spec(self, name, path=None, target=None):
        if name == {held!r}:
            sys.meta_path.remove(self)
            sys.stdin.readline()
        return None


sys.meta_path.insert(0, HoldImport())
"""


@pytest.mark.parametrize("held", ["argparse", "lap_app.i18n"])
def test_sigint_while_the_command_starts(tmp_path: Path, held: str) -> None:
    """Ctrl+C while the interpreter imports the command line (the first ~0.3 s of every command),
    here held in the import of ``held``: the French line and 130, as later, no traceback."""
    (tmp_path / "sitecustomize.py").write_text(HOLD_ONE_IMPORT.format(held=held))
    path = os.pathsep.join(filter(None, [str(tmp_path), os.environ.get("PYTHONPATH")]))
    process = subprocess.Popen([LAP_APP, "--version"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, env=dict(os.environ, PYTHONPATH=path),
                               start_new_session=True)
    _wait_reading_stdin(process)  # held in the import
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=30)
    assert (process.returncode, err.strip(), out) == (130, "Erreur : interrompu (Ctrl+C).", "")


def test_interrupted_or_failed_import_keeps_the_drug_base(world: World) -> None:
    ok(run(world, ["drugs", "search", "doliprane", "--limit", "1"]))  # built from the shipped BDPM
    source = world.root / "bdpm"
    source.mkdir()
    (source / "CIS_bdpm.txt").write_bytes(bytes(range(256)) * 20)
    assert_refused(run(world, ["drugs", "import", str(source)]), "la base précédente reste en service")
    release = world.root / "bdpm-release"
    with tarfile.open(next((REPO / "resources" / "bdpm").glob("[0-9]*.tar.xz"))) as archive:
        archive.extractall(release, filter="data")  # the shipped release: seconds to import
    [folder] = {p.parent for p in release.rglob("CIS_bdpm.txt")}
    process = subprocess.Popen([LAP_APP, "drugs", "import", str(folder)], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, env=world.env, start_new_session=True)
    _wait_running(process, world.data)
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=60)
    assert "Traceback" not in err
    if process.returncode != 0:  # interrupted (a very fast machine may have finished or refused)
        assert err.strip().startswith("Erreur : "), err
    assert "DOLIPRANE 100 mg" in ok(run(world, ["drugs", "search", "doliprane 100", "--limit", "3"]))


def test_base_down_then_back_nothing_lost(world: World) -> None:
    online = json.loads(ok(run(world, ["prescribe", "{bundle}", "-o", "{tmp}/online.pdf", "--json", *V])))
    assert online["status"] == "registered"  # and the pool now holds numbers for offline work
    world.base.kill()  # kill -9: the base vanishes between two commands
    try:
        result = json.loads(ok(run(world, ["prescribe", "{bundle}", "-o", "{tmp}/offline.pdf", "--json", *V])))
        assert result["status"] == "waiting" and "injoignable" in result["message"]
        assert (world.root / "offline.pdf").read_bytes().startswith(b"%PDF")
        assert result["number"] in ok(run(world, ["outbox"], ""))
        assert_refused(run(world, ["outbox", "--flush", *V]), "envoi interrompu")
        assert_refused(run(world, ["dispensing", result["number"], *V]), "injoignable")
        waiting = json.loads(ok(run(world, ["outbox", "--json"], "")))["waiting"]
        assert [w["number"] for w in waiting] == [result["number"]]  # still there, still signed
    finally:
        world.base.start()
    flushed = json.loads(ok(run(world, ["outbox", "--flush", "--json", *V])))
    assert flushed["registered"] == [result["number"]] and flushed["waiting"] == []


def test_base_down_before_the_token_the_kept_executions_are_told(world: World) -> None:
    """The base already out of reach when the prescrit's card asks for its token: the pharmacist
    is told that this dispensing was not recorded and that the one kept earlier waits for the
    base; it leaves, with the next one, once the base is back."""
    import datetime as dt

    from lap_app.services.prescrit import LineExecution
    from lap_app.storage.execution_journal import JOURNAL_NAME, ExecutionJournal

    number = json.loads(ok(run(world, ["prescribe", "{bundle}", "-o", "{tmp}/dispensed.pdf", "--json", *V])))["number"]
    journal = ExecutionJournal(world.data / JOURNAL_NAME)
    try:  # a dispensing the base never answered (it went away while the box was recorded)
        kept = LineExecution(1, quantity=1, on=dt.date.today()).payload()
        journal.keep(number, json.dumps({"lines": [kept], "complete": False}, sort_keys=True))
        execute = ["prescrit", "execute", number, "--line", "2", "--quantity", "1", *PHARMACIST]
        world.base.kill()
        try:
            assert_refused(run(world, execute), "Cette exécution n'a pas été enregistrée : refaites-la quand la base "
                           "sera joignable. 1 exécution enregistrée plus tôt est conservée sur ce poste : elle sera "
                           "envoyée à la base avec la prochaine exécution")
            assert len(journal.pending()) == 1
        finally:
            world.base.start()
        view = json.loads(ok(run(world, [*execute, "--json"])))
        assert journal.pending() == []
    finally:
        journal.close()
    assert [line["done"] for line in view["lines"][:2]] == [1, 1]  # the kept box, then this one
