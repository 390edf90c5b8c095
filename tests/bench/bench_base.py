"""Bench: the reference base over loopback HTTPS, signatures checked, every acknowledged
registration durable (SQLite WAL, synchronous=FULL).

    .venv/bin/python tests/bench/bench_base.py [--workers 1] [--clients 16] [--client-procs 2]
                                               [--httpx] [--count 3000] [--profile FILE]

Prints: the median round trip of one registration with the application's client (ms);
sustained registrations per second with concurrent keep-alive connections from separate
load-generator processes (lean asyncio clients, or ``--httpx`` threads of the application's
HttpBaseClient), the server's and the clients' CPU per registration, and the count of rows
stored; then where the server's time goes (in-process breakdown). ``--workers N`` serves with
``lap-app base serve --workers N``; ``--profile`` records the server with py-spy (pip install py-spy).
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests"))  # postgres_cluster, for tests/conftest.py that circuit_support reads
sys.path.insert(0, str(ROOT / "tests" / "base"))

from circuit_support import EXAMPLE_BUNDLE, card_in_hand, running_base  # noqa: E402


def signed_bundles(card, numbers: list[str]) -> list[dict]:
    from lap_app.base_client.protocol import SIGNATURE_FORMAT, signed_digest
    from lap_app.domain.model import Signature
    from lap_app.fhir import from_bundle, to_bundle

    draft = json.loads(EXAMPLE_BUNDLE.read_text(encoding="utf-8"))
    certificate = card.sign_certificate_der()
    out = []
    for number in numbers:
        ordonnance = from_bundle(draft)
        ordonnance.number = number
        digest = signed_digest(to_bundle(ordonnance))
        ordonnance.signature = Signature(datetime.now(UTC), "810101234564", card.sign_digest(digest),
                                         certificate, SIGNATURE_FORMAT)
        out.append(to_bundle(ordonnance))
    return out


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process and its live children (Linux /proc)."""
    return sum(process_cpu(pid).values())


def process_cpu(pid: int) -> dict[int, float]:
    """CPU seconds of ``pid`` and of each of its live descendants."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    out = {pid: (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")}
    for task in Path(f"/proc/{pid}/task").iterdir():
        for child in (task / "children").read_text().split():
            out.update(process_cpu(int(child)))
    return out


def start_profiler(pid: int, output: str | None):
    """py-spy (not a project dependency: pip install py-spy) on the server, raw format."""
    if not output:
        return None
    import subprocess

    spy = subprocess.Popen([str(Path(sys.executable).parent / "py-spy"), "record", "-p", str(pid), "--subprocesses", "--gil",
                            "-r", "250", "-f", "raw", "-o", output, "--nonblocking"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(1.0)
    return spy


def stop_profiler(spy) -> None:  # type: ignore[no-untyped-def]
    """py-spy writes its profile on SIGINT."""
    if spy is not None:
        import signal

        spy.send_signal(signal.SIGINT)
        spy.wait(30)


REGISTRATION = ("/v1/prescriptions/{}", "HTTP/1.1 201", '"registered"')


def sustained(port: int, ca: Path, client, work_items, connections: int, procs: int,
              use_httpx: bool, encode=None, operation: tuple[str, str, str] = REGISTRATION
              ) -> tuple[int, float, float, list[float]]:
    """``procs`` load-generator processes sharing ``connections`` keep-alive HTTPS connections,
    requests prepared beforehand; certificate verified, every answer checked. Each process runs
    either a lean asyncio (uvloop) client or threads of the application's HttpBaseClient (httpx).

    ``operation``: the PUT path (``{}``: the item's key), the expected status line and a word of
    the expected answer; ``encode``: an item's body (else a registration's ``{"bundle": …}``)."""
    import multiprocessing

    auth = {"token": [client.token.value, client.token.expires_at, client.token.national_id, client.token.profession],
            "installation": [client.installation.installation_id, client.installation.secret]}
    context = multiprocessing.get_context("spawn")
    start_event = context.Event()
    results = context.Queue()
    shares = [work_items[i::procs] for i in range(procs)]
    target = httpx_process if use_httpx else lean_process
    encode = encode or (lambda bundle: json.dumps({"bundle": bundle}).encode())
    workers = [context.Process(target=target, args=(port, str(ca), auth, share if use_httpx else
                                                    [(n, encode(b)) for n, b in share],
                                                    max(1, connections // procs), start_event, results,
                                                    *([] if use_httpx else [operation])))
               for share in shares]
    for worker in workers:
        worker.start()
    ready = [results.get(timeout=120) for _ in workers]
    assert all(r == "ready" for r in ready), ready
    start = time.monotonic()
    start_event.set()
    reports = [results.get(timeout=600) for _ in workers]
    for worker in workers:
        worker.join()
    errors = [e for r in reports for e in r["errors"]]
    assert not errors, errors[:5]
    elapsed = max(r["end"] for r in reports) - start
    latencies = [x for r in reports for x in r["latencies"]]
    return len(latencies), elapsed, sum(r["cpu"] for r in reports), latencies


def lean_process(port: int, ca: str, auth: dict, items: list[tuple[str, bytes]], connections: int,
                 start_event, results, operation: tuple[str, str, str] = REGISTRATION) -> None:
    import asyncio
    import ssl

    try:
        from uvloop import run as run_loop
    except ImportError:
        run_loop = asyncio.run
    context = ssl.create_default_context(cafile=ca)  # verification on, as the application does
    head = f"Authorization: Bearer {auth['token'][0]}\r\nX-LAP-Installation: {'.'.join(auth['installation'])}\r\n"
    path, status, word = operation
    requests = [(f"PUT {path.format(key)} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n{head}"
                 f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n").encode() + body
                for key, body in items]
    latencies: list[float] = []
    errors: list[str] = []
    cpu0 = 0.0

    async def run() -> None:
        nonlocal cpu0
        streams = [await asyncio.open_connection("127.0.0.1", port, ssl=context, server_hostname="127.0.0.1")
                   for _ in range(connections)]
        results.put("ready")
        await asyncio.get_running_loop().run_in_executor(None, start_event.wait)
        for i, (reader, _writer) in enumerate(streams):  # closed by the server while idle (keep-alive timeout)
            if reader.at_eof():
                streams[i] = await asyncio.open_connection("127.0.0.1", port, ssl=context, server_hostname="127.0.0.1")
        cpu0 = time.process_time()

        async def one_connection(reader, writer) -> None:
            while requests:
                request = requests.pop()
                t0 = time.perf_counter()
                writer.write(request)
                response = await reader.readuntil(b"\r\n\r\n")
                length = int(response.lower().split(b"content-length:", 1)[1].split(b"\r\n", 1)[0])
                body = await reader.readexactly(length)
                latencies.append(time.perf_counter() - t0)
                if not response.startswith(status.encode()) or word.encode() not in body:
                    errors.append(response.split(b"\r\n", 1)[0].decode() + " " + body[:200].decode())

        await asyncio.gather(*(one_connection(r, w) for r, w in streams))
        for _r, writer in streams:
            writer.close()

    run_loop(run())
    results.put({"latencies": latencies, "errors": errors, "cpu": time.process_time() - cpu0, "end": time.monotonic()})


def httpx_process(port: int, ca: str, auth: dict, items: list[tuple[str, dict]], connections: int,
                  start_event, results) -> None:
    from lap_app.base_client import HttpBaseClient
    from lap_app.base_client.client import InstallationCredential, Token

    clients = []
    for _ in range(connections):
        client = HttpBaseClient(f"https://127.0.0.1:{port}", ca, installation=InstallationCredential(*auth["installation"]),
                                retries=0)
        client.token = Token(*auth["token"])
        clients.append(client)
    lock = threading.Lock()
    latencies: list[float] = []
    errors: list[str] = []

    def worker(client) -> None:
        while True:
            with lock:
                if not items:
                    return
                number, bundle = items.pop()
            t0 = time.perf_counter()
            try:
                result = client.register(number, bundle)
            except Exception as error:  # noqa: BLE001 - reported to the parent
                errors.append(repr(error))
                continue
            latencies.append(time.perf_counter() - t0)
            if result.status != "registered" or result.replayed:
                errors.append(f"{number}: {result}")

    results.put("ready")
    start_event.wait()
    cpu0 = time.process_time()
    threads = [threading.Thread(target=worker, args=(c,)) for c in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    results.put({"latencies": latencies, "errors": errors, "cpu": time.process_time() - cpu0, "end": time.monotonic()})
    for client in clients:
        client.close()


def reserve(client, count: int) -> list[str]:
    numbers: list[str] = []
    while len(numbers) < count:
        numbers += client.reserve_numbers(min(50, count - len(numbers)))[0]
    return numbers


def measure(work: Path, count: int, single: int = 150, clients: int = 16, client_procs: int = 2,
            workers: int = 1, use_httpx: bool = False, profile: str | None = None,
            database: str | None = None, database_pid: int | None = None, warmup: int = 0) -> dict:
    """A base in ``work``, ``single`` sequential round trips then ``count`` sustained registrations;
    every acknowledged one checked to be stored. Returns the figures and one signed bundle.

    ``database``: a PostgreSQL URL (else SQLite in the data directory); ``database_pid``: its
    server's postmaster, whose CPU (all its backends) is counted as ``database_cpu``; ``warmup``:
    registrations sent by the same clients before the measured ones (each process's connections
    opened: the steady state of a server that runs for days)."""
    from lap_app.base_client import HttpBaseClient
    from lap_app.services.base_connection import base_endpoint
    from lap_app.services.card_session import open_token
    from lap_app.services.credentials import load_credential
    from lap_app.services.enrolment import enrol
    from lap_app.standins.pki import init_pki

    os.environ["LAP_CONFIG_DIR"] = str(work / "config")
    os.environ["LAP_DATA_DIR"] = str(work / "data")
    os.environ["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"
    init_pki(work / "pki")
    with running_base(work / "base", work / "pki", workers=workers, database=database) as base:
        endpoint = base_endpoint(base.url, base.ca)
        with card_in_hand("medecin", work / "pki") as card:
            enrol(endpoint, card, name="bench")
            credential = load_credential(endpoint.url)
            first = HttpBaseClient(endpoint.url, endpoint.ca_path, installation=credential, retries=0)
            open_token(card, first)
            numbers = reserve(first, single + warmup + count)
            bundles = signed_bundles(card, numbers)

        # 1. one registration round trip, sequential, keep-alive connection
        round_trips = []
        for number, bundle in zip(numbers[:single], bundles[:single]):
            start = time.perf_counter()
            result = first.register(number, bundle)
            round_trips.append(time.perf_counter() - start)
            assert result.status == "registered" and not result.replayed

        # 2. sustained, concurrent clients (after the warm-up, not measured)
        if warmup:
            sustained(base.port, base.ca, first, list(zip(numbers[single:single + warmup], bundles[single:single + warmup])),
                      clients, client_procs, use_httpx)
        single += warmup
        work_items = list(zip(numbers[single:], bundles[single:]))
        spy = start_profiler(base.process.pid, profile)
        server_cpu0, per_process0 = cpu_seconds(base.process.pid), process_cpu(base.process.pid)
        database_cpu0 = cpu_seconds(database_pid) if database_pid else 0.0
        done, elapsed, client_cpu, latencies = sustained(base.port, base.ca, first, work_items, clients,
                                                         client_procs, use_httpx)
        server_cpu = cpu_seconds(base.process.pid) - server_cpu0
        database_cpu = cpu_seconds(database_pid) - database_cpu0 if database_pid else 0.0
        per_process = {p: c - per_process0.get(p, 0.0) for p, c in process_cpu(base.process.pid).items()}
        stop_profiler(spy)
        stored = base.rows("SELECT COUNT(*) FROM prescriptions")[0][0]  # every acknowledged one is there
        assert stored == single + done, (stored, single, done)
        first.close()
    return {"round_trips": round_trips, "done": done, "elapsed": elapsed, "client_cpu": client_cpu,
            "server_cpu": server_cpu, "database_cpu": database_cpu, "data_dir": base.data_dir, "per_process": per_process, "latencies": latencies,
            "bundle": bundles[0], "number": numbers[0]}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=16, help="concurrent connections")
    parser.add_argument("--client-procs", type=int, default=2, help="load-generator processes")
    parser.add_argument("--httpx", action="store_true",
                        help="load generators made of the application's HttpBaseClient (httpx, threads)")
    parser.add_argument("--count", type=int, default=3000)
    parser.add_argument("--workers", type=int, default=1, help="server processes (lap-app base serve --workers)")
    parser.add_argument("--single", type=int, default=150)
    parser.add_argument("--profile", metavar="FILE", help="py-spy raw profile of the server during the sustained run")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="bench-base-"))
    run = measure(work, args.count, args.single, args.clients, args.client_procs, args.workers, args.httpx,
                  args.profile)
    times, done, elapsed = run["round_trips"], run["done"], run["elapsed"]
    server_cpu, client_cpu, latencies = run["server_cpu"], run["client_cpu"], run["latencies"]
    print(f"single registration round trip (loopback HTTPS): median {statistics.median(times) * 1000:.1f} ms,"
          f" p90 {statistics.quantiles(times, n=10)[-1] * 1000:.1f} ms")
    how = (f"{args.clients} keep-alive connections from {args.client_procs} load-generator processes"
           + (" (threads of the application's HttpBaseClient, httpx)" if args.httpx else " (asyncio, uvloop)"))
    how += f", {args.workers} server process{'es' if args.workers > 1 else ''}"
    print(f"sustained: {done} registrations in {elapsed:.2f} s = {done / elapsed:.0f} registrations/s"
          f" ({how}; clients and server share the 2 cores)")
    print(f"  latency under load: median {statistics.median(latencies) * 1000:.1f} ms,"
          f" p99 {statistics.quantiles(latencies, n=100)[-1] * 1000:.1f} ms")
    print(f"  CPU per registration: server {server_cpu / done * 1000:.2f} ms, clients {client_cpu / done * 1000:.2f} ms"
          f" -> 2 idle cores would allow ~{2000 / ((server_cpu + client_cpu) / done * 1000):.0f}/s;"
          f" load average {os.getloadavg()[0]:.1f}")
    if args.workers > 1:
        print("  server CPU by process: " + ", ".join(f"{c:.2f} s" for c in run["per_process"].values()))
    print(f"  floor (every check and the fsynced write, without TLS and HTTP):"
          f" {floor_cpu_per_registration(work, run['bundle'], run['number'], 300) * 1000:.2f} ms CPU per registration")
    print(f"  barest floor (JSON parse, canonical digest, RSA verification, fsynced insert):"
          f" {crypto_floor_cpu_per_registration(work, run['bundle'], 300) * 1000:.2f} ms CPU per registration")
    breakdown(run["bundle"], run["number"], work)
    import shutil

    shutil.rmtree(work, ignore_errors=True)


def floor_cpu_per_registration(work: Path, bundle: dict, number: str, count: int, *, fsync: bool = True) -> float:
    """The issue's floor, « the same checks with RSA verification and the fsync alone »: CPU
    per registration of every check the base does, done plainly in one process, one
    registration and one fsync at a time — and nothing else.

    Kept (``_PlainBase.register``): the card token's HMAC and expiry, the installation
    credential (one SELECT, SHA-256), the number's reservation and any earlier registration
    (one SELECT each), the JSON parsed, the FHIR Bundle read and validated with the project's
    rules (``from_bundle``: the R.5132-3 rules have no plainer implementation), the prescriber
    = the card holder, canonical form + SHA-256 and RSA verification against the signer's
    certificate, then the row, the number marked used and the audit row in one transaction
    committed durably (WAL, synchronous=FULL), the JSON answer.

    Dropped, because they are not checks but the way a request arrives and leaves: TLS, HTTP
    parsing, the server framework and its event loop, the kernel's socket work
    (``every_check_floor_cpu_per_registration`` adds TLS and HTTP back, as information). Also
    dropped: the card certificate's chain to the CA, which the project checks once per
    certificate and remembers. ``crypto_floor_cpu_per_registration`` is the barest reading of
    the issue (RSA and one fsynced insert, none of the other checks), also told as information.

    One fsync per registration costs about a third of this floor's CPU, and the project's group
    commit shares one among the registrations queued meanwhile: under load the project can come
    below this floor. ``fsync=False`` (synchronous=OFF: the same writes, none durable) gives the
    checks' own lower bound, told beside it."""
    base = _PlainBase(work / f"checks-floor{'' if fsync else '-no-fsync'}.sqlite3", count)
    if not fsync:
        base.db.execute("PRAGMA synchronous=OFF")
    key, authorization, installation = base.key, base.authorization, base.installation
    body = json.dumps({"bundle": bundle}).encode()
    started = time.process_time()
    for i in range(count):
        base.register(key, authorization, installation, body, number, i)
    cpu = time.process_time() - started
    base.close()
    return cpu / count


def crypto_floor_cpu_per_registration(work: Path, bundle: dict, count: int) -> float:
    """CPU per registration of the barest floor, done plainly in one process: parse the
    request, canonical form + SHA-256, RSA verification against the signer's certificate, one
    row inserted and committed durably (WAL, synchronous=FULL).

    Work every base must also do that this floor leaves out (``floor_cpu_per_registration``
    adds it): the card token's MAC and expiry, the installation credential, the number's
    reservation, the FHIR reading and validation of the Bundle (R.5132-3 rules, prescriber =
    card holder), the audit row; and TLS and HTTP (``every_check_floor_cpu_per_registration``)."""
    import base64

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding
    from cryptography.hazmat.primitives.asymmetric.utils import Prehashed

    from lap_app.base_client.protocol import signed_digest, signer_certificate_b64

    text = json.dumps({"bundle": bundle})
    db = sqlite3.connect(work / "floor.sqlite3", isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=FULL")
    db.execute("CREATE TABLE IF NOT EXISTS prescriptions (number TEXT PRIMARY KEY, bundle TEXT)")
    started = time.process_time()
    for i in range(count):
        request = json.loads(text)["bundle"]
        digest = signed_digest(request)
        cert = x509.load_der_x509_certificate(base64.b64decode(signer_certificate_b64(request)))
        cert.public_key().verify(base64.b64decode(request["signature"]["data"]), digest,  # type: ignore[union-attr]
                                 padding.PKCS1v15(), Prehashed(hashes.SHA256()))
        db.execute("BEGIN IMMEDIATE")
        db.execute("INSERT INTO prescriptions VALUES (?, ?)", (f"{i:016d}", text))
        db.execute("COMMIT")
    cpu = time.process_time() - started
    db.close()
    return cpu / count


class _PlainBase:
    """Every check of a registration and its durable write, done plainly (the floors' base):
    its own SQLite file with one installation and ``count`` numbers reserved for the holder."""

    def __init__(self, path: Path, count: int) -> None:
        import base64
        import hashlib
        import hmac

        self.key, secret = b"k" * 32, "s" * 43
        payload = json.dumps({"sub": "810101234564", "prof": "10", "exp": int(time.time()) + 600}).encode()
        token = (base64.urlsafe_b64encode(payload).rstrip(b"=").decode() + "."
                 + base64.urlsafe_b64encode(hmac.digest(self.key, payload, "sha256")).rstrip(b"=").decode())
        self.authorization = f"Bearer {token}".encode()
        self.installation = f"i.{secret}".encode()
        self.db = db = sqlite3.connect(path, isolation_level=None)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=FULL")
        db.executescript("""
            CREATE TABLE installations (id TEXT PRIMARY KEY, secret_sha256 TEXT, revoked_at REAL);
            CREATE TABLE numbers (number TEXT PRIMARY KEY, prescriber TEXT, expires_at REAL, state TEXT);
            CREATE TABLE prescriptions (number TEXT PRIMARY KEY, prescriber TEXT, bundle TEXT, at REAL);
            CREATE TABLE audit (id INTEGER PRIMARY KEY, at REAL, actor TEXT, number TEXT, outcome TEXT);""")
        db.execute("INSERT INTO installations VALUES ('i', ?, NULL)", (hashlib.sha256(secret.encode()).hexdigest(),))
        db.executemany("INSERT INTO numbers VALUES (?, '810101234564', 1e12, 'reserved')",
                       [(f"{i:016d}",) for i in range(count)])

    def register(self, key: bytes, authorization: bytes, installation_header: bytes, body: bytes,
                 number: str, i: int) -> bytes:
        """One registration's checks and durable write; the answer's JSON (asserts every check)."""
        import base64
        import hashlib
        import hmac

        import orjson
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import padding
        from cryptography.hazmat.primitives.asymmetric.utils import Prehashed

        from lap_app.base_client.protocol import practitioner_ids, signed_digest, signer_certificate_b64
        from lap_app.fhir import from_bundle

        db = self.db
        mac_text = authorization[len(b"Bearer "):].split(b".")
        claims_raw = base64.urlsafe_b64decode(mac_text[0] + b"=" * (-len(mac_text[0]) % 4))
        mac = base64.urlsafe_b64decode(mac_text[1] + b"=" * (-len(mac_text[1]) % 4))
        assert hmac.compare_digest(mac, hmac.digest(key, claims_raw, "sha256"))
        claims = json.loads(claims_raw)
        assert claims["exp"] > time.time()
        installation, given = installation_header.decode().split(".", 1)
        row = db.execute("SELECT secret_sha256 FROM installations WHERE id = ? AND revoked_at IS NULL",
                         (installation,)).fetchone()
        assert hmac.compare_digest(row[0], hashlib.sha256(given.encode()).hexdigest())
        key_number = f"{i:016d}"
        assert db.execute("SELECT prescriber, expires_at, state FROM numbers WHERE number = ?",
                          (key_number,)).fetchone()[2] == "reserved"
        assert db.execute("SELECT 1 FROM prescriptions WHERE number = ?", (key_number,)).fetchone() is None
        received = orjson.loads(body)["bundle"]
        ordonnance = from_bundle(received)
        assert ordonnance.number == number and claims["sub"] in practitioner_ids(received)
        digest = signed_digest(received)
        cert = x509.load_der_x509_certificate(base64.b64decode(signer_certificate_b64(received)))
        cert.public_key().verify(base64.b64decode(received["signature"]["data"]), digest,  # type: ignore[union-attr]
                                 padding.PKCS1v15(), Prehashed(hashes.SHA256()))
        now = time.time()
        db.execute("BEGIN IMMEDIATE")
        db.execute("INSERT INTO prescriptions VALUES (?, ?, ?, ?)", (key_number, claims["sub"], body, now))
        db.execute("UPDATE numbers SET state = 'used' WHERE number = ?", (key_number,))
        db.execute("INSERT INTO audit (at, actor, number, outcome) VALUES (?, ?, ?, 'ok')", (now, claims["sub"], key_number))
        db.execute("COMMIT")
        return orjson.dumps({"number": number, "status": "registered", "registered_at": now, "opposition": False})

    def close(self) -> None:
        self.db.close()


class _Request:
    """httptools' callbacks: the URL, the headers and the body of one request."""

    def __init__(self) -> None:
        self.url = b""
        self.headers: dict[bytes, bytes] = {}
        self.body: list[bytes] = []
        self.complete = False

    def on_url(self, url: bytes) -> None:
        self.url += url

    def on_header(self, name: bytes, value: bytes) -> None:
        self.headers[name.lower()] = value

    def on_body(self, body: bytes) -> None:
        self.body.append(body)

    def on_message_complete(self) -> None:
        self.complete = True


def _tls_pair(pki_dir: Path):
    """A server and a client TLS session over memory buffers, handshake done (the same
    certificates as the base; no socket: the kernel's share is left out)."""
    import ssl

    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_context.load_cert_chain(pki_dir / "server.pem", pki_dir / "server.key")
    client_context = ssl.create_default_context(cafile=pki_dir / "ca.pem")
    to_server, from_server, to_client, from_client = (ssl.MemoryBIO() for _ in range(4))
    server = server_context.wrap_bio(to_server, from_server, server_side=True)
    client = client_context.wrap_bio(to_client, from_client, server_hostname="127.0.0.1")
    done = {server: False, client: False}
    while not all(done.values()):
        for end in (client, server):
            if not done[end]:
                try:
                    end.do_handshake()
                    done[end] = True
                except ssl.SSLWantReadError:
                    pass
        to_server.write(from_client.read())
        to_client.write(from_server.read())
    return server, client, to_server, from_server, from_client


def every_check_floor_cpu_per_registration(work: Path, bundle: dict, number: str, count: int,
                                           pki_dir: Path) -> float:
    """``floor_cpu_per_registration`` with TLS and HTTP added back, as information: the
    request's TLS records decrypted and the answer's encrypted (memory buffers, no socket), the
    HTTP request parsed (httptools), then the same checks and durable write (``_PlainBase``).
    Left out: the kernel's socket work and the event loop."""
    import ssl

    import httptools

    base = _PlainBase(work / "every-check-floor.sqlite3", count)
    body = json.dumps({"bundle": bundle}).encode()
    head = (f"PUT /v1/prescriptions/{number} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Authorization: {base.authorization.decode()}\r\nX-LAP-Installation: {base.installation.decode()}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n").encode()
    server, client, to_server, from_server, from_client = _tls_pair(pki_dir)
    records = []  # each request as the client's TLS records, sealed before the clock starts
    for _ in range(count):
        client.write(head + body)
        records.append(from_client.read())
    started = time.process_time()
    for i, record in enumerate(records):
        to_server.write(record)
        request = _Request()
        parser = httptools.HttpRequestParser(request)
        while not request.complete:
            try:
                parser.feed_data(server.read(65536))
            except ssl.SSLWantReadError:
                break
        answer = base.register(base.key, request.headers[b"authorization"], request.headers[b"x-lap-installation"],
                               b"".join(request.body), number, i)
        server.write(b"HTTP/1.1 201 Created\r\ncontent-type: application/json\r\ncontent-length: "
                     + str(len(answer)).encode() + b"\r\n\r\n" + answer)
        from_server.read()
    cpu = time.process_time() - started
    base.close()
    return cpu / count


def server_cpu_per_registration(work: Path, count: int) -> tuple[float, dict]:
    run = measure(work / "project", count, single=20)
    return run["server_cpu"] / run["done"], run


def breakdown(bundle: dict, number: str, work: Path, runs: int = 200) -> None:
    """Median cost of each step the server does for one registration, in-process."""
    import sqlite3

    from lap_app.base_client.protocol import signed_digest
    from lap_app.standins.base_server.registration import check_content
    from lap_app.standins.base_server.security import CardCertificates, Holder

    certificates = CardCertificates((work / "pki" / "ca.pem").read_bytes())
    holder = Holder("810101234564", "10")
    text = json.dumps({"bundle": bundle})

    def median_ms(step) -> float:
        samples = []
        for _ in range(runs):
            start = time.perf_counter()
            step()
            samples.append(time.perf_counter() - start)
        return statistics.median(samples) * 1000

    db = sqlite3.connect(work / "fsync-probe.sqlite3", isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=FULL")
    db.execute("CREATE TABLE t (a TEXT)")
    payload = json.dumps(bundle)

    def commit() -> None:
        db.execute("BEGIN IMMEDIATE")
        db.execute("INSERT INTO t VALUES (?)", (payload,))
        db.execute("COMMIT")

    print("server-side breakdown per registration (medians):")
    print(f"  JSON parse of the request       {median_ms(lambda: json.loads(text)):6.2f} ms")
    print(f"  canonical form + SHA-256        {median_ms(lambda: signed_digest(bundle)):6.2f} ms")
    print(f"  FHIR read + validation + RSA    {median_ms(lambda: check_content(bundle, number, holder, certificates)):6.2f} ms")
    print(f"  SQLite commit (WAL, FULL fsync) {median_ms(commit):6.2f} ms")


if __name__ == "__main__":
    main()
