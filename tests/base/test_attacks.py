"""The base under attack: each attack of the insider's campaign, replayed, and now failing.

An insider holds a real card of the demo CA (a pharmacist, or a second physician) and talks
raw HTTPS to a real base over loopback: enumeration of numbers, squatting of DMP copies,
leaks under the patient's opposition, oversized bodies and request heads, slow connections,
dispensing beyond the prescription, keys used in the wrong role, re-encoded challenges,
unauthenticated disk writes, file modes.

The attacks that reach the base's database (numbers issued, misses counted for the rate limit,
the audit, opposition, dispensings checked against the stored lines, single-use challenges, no
write for the unauthenticated) run on a base over SQLite and on one over PostgreSQL. The attacks
on the HTTP layer (bodies, heads, slow connections), on the keys and tokens, and the file modes
of the SQLite files do not depend on the engine: they run on SQLite only (``on_sqlite_base``).
"""

from __future__ import annotations

import base64
import itertools
import json
import os
import stat
import threading
import time
from pathlib import Path

import pytest
from attack_support import (
    PATIENT_INS,
    Insider,
    attacked_base,
    insider,
    other_holder,
    raw_tls,
    read_response,
    rs256,
    valid_unknown_numbers,
)

from circuit_support import on_both_engines

# The engine-independent attacks still name their engine: every test of this module then shares
# one attacked base per engine (an unnamed engine would start a third one).
on_sqlite_base = pytest.mark.parametrize("base_engine", ["sqlite"], indirect=True, scope="session")

REQUEST_TIMEOUT = 1.0  # the attacked base's --request-timeout (a short one, to wait it out)


@pytest.fixture(scope="module")
def target(tmp_path_factory: pytest.TempPathFactory, pki_dir: Path, base_database):
    root = tmp_path_factory.mktemp("attacked")
    with attacked_base(root / "base-data", pki_dir, root / "log", request_timeout=REQUEST_TIMEOUT,
                       database=base_database()) as base:
        yield base


@pytest.fixture(scope="module")
def cards(tmp_path_factory: pytest.TempPathFactory, pki_dir: Path):
    """Holders by role: the demo physician and pharmacist, plus colleagues of the same CA."""
    from lap_app.standins.pki import init_pki

    pki = init_pki(pki_dir)
    others = tmp_path_factory.mktemp("other-cards")
    return {
        "A": pki.holder("medecin"),
        "B": other_holder(pki_dir, others, "durand", "1010000002", serial="1000009001"),
        "pharmacist": pki.holder("pharmacien"),
        **{f"pharmacist{i}": other_holder(pki_dir, others, f"officine{i}", f"10200000{i:02d}", "21",
                                          serial=f"21000090{i:02d}") for i in range(1, 8)},
    }


@pytest.fixture(scope="module")
def doctor_a(target, cards) -> Insider:
    person = insider(target, cards["A"], enrol=True)
    yield person
    person.close()


@pytest.fixture(scope="module")
def doctor_b(target, cards) -> Insider:
    person = insider(target, cards["B"], enrol=True)
    yield person
    person.close()


def fresh_installation(target, cards) -> str:
    """A newly enrolled installation (the rate limit counts per installation too)."""
    enroller = insider(target, cards["A"], enrol=True)
    enroller.close()
    assert enroller.installation is not None
    return enroller.installation


# --- 1. enumeration ------------------------------------------------------------------------------

@on_both_engines
def test_numbers_are_random_unique_and_keep_their_check_digits(doctor_a):
    from lap_app.domain.identifiers import is_valid_prescription_number

    numbers = [n for _ in range(4) for n in doctor_a.numbers(50)]
    assert len(set(numbers)) == 200 and all(is_valid_prescription_number(n) for n in numbers)
    today = time.strftime("%Y%m%d", time.gmtime())
    assert sum(n.startswith(today) for n in numbers) <= 1  # no date prefix any more
    serials = sorted(int(n[:14]) for n in numbers)
    gaps = [b - a for a, b in itertools.pairwise(serials)]
    assert min(gaps) > 1000  # no counter: neighbours are nowhere near each other
    assert serials[-1] - serials[0] > 10 ** 13  # spread over the whole 14-digit range


@on_both_engines
def test_guessing_numbers_is_rate_limited_audited_and_logged(target, cards, doctor_a):
    real = doctor_a.prescribe()
    installation = fresh_installation(target, cards)
    thief = insider(target, cards["pharmacist1"], installation)
    guesses = valid_unknown_numbers(12)
    answers = [thief.call("GET", f"/pharmacy/prescriptions/{n}") for n in guesses[:10]]
    assert {a.status_code for a in answers} == {404}
    # the limit is reached: even a real number is refused now, before any lookup (nothing to learn)
    for number in (guesses[10], real):
        limited = thief.call("GET", f"/pharmacy/prescriptions/{number}")
        assert limited.status_code == 429, limited.text
        assert limited.json()["error"] == "too_many_unknown_numbers"
        assert 1 <= int(limited.headers["Retry-After"]) <= 300
        assert "réessayez dans" in limited.json()["message"]
    outcomes = [row[0] for row in target.rows(
        "SELECT outcome FROM audit WHERE actor = ? AND action = 'read' ORDER BY id", thief.national_id)]
    assert outcomes == ["refused:404:unknown_prescription"] * 10 + ["refused:429:too_many_unknown_numbers"] * 2
    assert "ALERT" in target.log_text() and thief.national_id in target.log_text()
    # per installation too: other cards at the same installation share its budget (30)
    colleagues = [insider(target, cards[f"pharmacist{i}"], installation) for i in (2, 3, 4)]
    statuses = [c.call("GET", f"/pharmacy/prescriptions/{n}").status_code
                for c in colleagues for n in valid_unknown_numbers(10)]
    assert statuses[:20] == [404] * 20 and statuses[20:] == [429] * 10
    # a pharmacist of another installation still reads the real ordonnance
    elsewhere = insider(target, cards["pharmacist5"], fresh_installation(target, cards))
    assert elsewhere.call("GET", f"/pharmacy/prescriptions/{real}").status_code == 200
    for person in (thief, *colleagues, elsewhere):
        person.close()


@on_both_engines
def test_unknown_and_not_yours_answer_alike(target, cards, doctor_a):
    real = doctor_a.prescribe()
    reserved = doctor_a.numbers(1)[0]
    snoop = insider(target, cards["B"], fresh_installation(target, cards))
    unknown = valid_unknown_numbers(1, {real})[0]
    for method, path in (("GET", "/prescriptions/{}/status"), ("GET", "/prescriptions/{}/dispensings"),
                         ("POST", "/prescriptions/{}/cancel")):
        theirs, nobodys = snoop.call(method, path.format(real)), snoop.call(method, path.format(unknown))
        assert (theirs.status_code, theirs.json()) == (nobodys.status_code, nobodys.json()) == (404, nobodys.json())
    # registering under a number issued to someone else, or registered by someone else
    bundle = snoop.signed_bundle(unknown)
    answers = []
    for number in (unknown, reserved, real):
        answer = snoop.register(number, json.loads(json.dumps(bundle).replace(unknown, number)))
        answers.append((answer.status_code, answer.json()))
    assert answers[0] == answers[1] == answers[2] and answers[0][0] == 422
    snoop.close()


@on_sqlite_base
def test_client_tells_the_wait_and_does_not_hammer(target, cards, pki_dir):
    from lap_app.base_client import BaseRateLimited, HttpBaseClient, InstallationCredential
    from lap_app.domain.errors import UserError
    from lap_app.services.pharmacy import read_prescription

    installation = fresh_installation(target, cards)
    person = insider(target, cards["pharmacist6"], installation)
    installation_id, secret = installation.split(".", 1)
    client = HttpBaseClient(target.url, pki_dir / "ca.pem", installation=InstallationCredential(installation_id, secret))
    from lap_app.base_client.client import Token

    client.token = Token(person.token or "", time.time() + 600, person.national_id, "21")
    for number in valid_unknown_numbers(10):
        with pytest.raises(UserError):
            read_prescription(client, number)
    with pytest.raises(UserError) as told:
        read_prescription(client, valid_unknown_numbers(11)[10])
    assert "trop de lectures de numéros inconnus : réessayez dans" in told.value.message
    assert told.value.message.rstrip().endswith(" s")
    sent = len(target.rows("SELECT 1 FROM audit WHERE actor = ?", person.national_id))
    for number in valid_unknown_numbers(5):  # the user insists: the client waits, the base hears nothing
        with pytest.raises(BaseRateLimited) as again:
            client.pharmacy_read(number)
        assert again.value.retry_after >= 1
    assert len(target.rows("SELECT 1 FROM audit WHERE actor = ?", person.national_id)) == sent
    client.close()
    person.close()


@on_both_engines
def test_dmp_document_ids_are_opaque_and_guessing_them_is_limited(target, cards, doctor_a):
    from lap_app.base_client.dmp_protocol import document_reference, new_document_id

    number = doctor_a.prescribe()
    document_id = new_document_id()
    pdf = b"%PDF-1.4\n% copie\n%%EOF\n"
    reference = document_reference(document_id=document_id, number=number, ins=PATIENT_INS,
                                   ins_system="urn:oid:1.2.250.1.213.1.4.8", patient_name="DUPONT Jean",
                                   author_id=doctor_a.national_id, author_name="Dr MARTIN",
                                   date="2026-11-25T09:42:00Z", pdf=pdf, title="Ordonnance")
    assert doctor_a.call("PUT", f"/dmp/documents/{document_id}", {"documentReference": reference}).status_code == 201
    assert number not in document_id and len(document_id) == 32
    reader = insider(target, cards["pharmacist7"], fresh_installation(target, cards))
    guesses = [f"ordonnance-{number}", *(new_document_id() for _ in range(9))]
    assert {reader.call("GET", f"/dmp/documents/{g}").status_code for g in guesses} == {404}
    limited = reader.call("GET", f"/dmp/documents/{document_id}")
    assert limited.status_code == 429 and "Retry-After" in limited.headers
    reader.close()


# --- 2. DMP squatting ----------------------------------------------------------------------------

def _copy(person: Insider, number: str, document_id: str, pdf: bytes, author: str | None = None):
    from lap_app.base_client.dmp_protocol import document_reference

    reference = document_reference(document_id=document_id, number=number, ins=PATIENT_INS,
                                   ins_system="urn:oid:1.2.250.1.213.1.4.8", patient_name="DUPONT Jean",
                                   author_id=author or person.national_id, author_name="Dr X",
                                   date="2026-11-25T09:42:00Z", pdf=pdf, title="Ordonnance")
    return person.call("PUT", f"/dmp/documents/{document_id}", {"documentReference": reference})


@on_both_engines
def test_only_the_prescriber_files_the_copy_of_a_registered_ordonnance(target, doctor_a, doctor_b):
    from lap_app.base_client.dmp_protocol import new_document_id

    fake = b"%PDF-1.4\n% fausse copie\n%%EOF\n"
    real_number = doctor_a.prescribe()
    b_reserved = doctor_b.numbers(1)[0]  # issued to B, not registered
    never = valid_unknown_numbers(1)[0]
    answers = [_copy(doctor_b, n, new_document_id(), fake) for n in (real_number, b_reserved, never)]
    assert [a.status_code for a in answers] == [422, 422, 422]
    assert answers[0].json() == answers[1].json() == answers[2].json()
    assert answers[0].json()["error"] == "unregistered_number"
    # B posing as A (author A) is refused as before
    assert _copy(doctor_b, real_number, new_document_id(), fake, author=doctor_a.national_id).status_code == 403
    assert target.rows("SELECT count(*) FROM documents", database="dmp.sqlite3")[0][0] == \
        len(target.rows("SELECT 1 FROM documents WHERE author = ?", doctor_a.national_id, database="dmp.sqlite3"))
    # A's real copy goes in, and B's numbers stay free for B's own copies later
    assert _copy(doctor_a, real_number, new_document_id(), b"%PDF-1.4\n% vraie\n%%EOF\n").status_code == 201
    # a copy for another patient than the ordonnance's is refused
    from lap_app.base_client.dmp_protocol import document_reference

    other_number = doctor_a.prescribe()
    document_id = new_document_id()
    reference = document_reference(document_id=document_id, number=other_number, ins="279051234567852",
                                   ins_system="urn:oid:1.2.250.1.213.1.4.8", patient_name="AUTRE",
                                   author_id=doctor_a.national_id, author_name="Dr MARTIN",
                                   date="2026-11-25T09:42:00Z", pdf=fake, title="Ordonnance")
    wrong = doctor_a.call("PUT", f"/dmp/documents/{document_id}", {"documentReference": reference})
    assert wrong.status_code == 422 and "patient" in wrong.text


# --- 3. opposition -------------------------------------------------------------------------------

@on_both_engines
def test_nothing_reveals_execution_under_opposition(target, cards, doctor_a):
    dispensed = doctor_a.prescribe(opposition=True)
    untouched = doctor_a.prescribe(opposition=True)
    bundles = {n: doctor_a.signed_bundle(n, opposition=True) for n in (dispensed, untouched)}
    pharmacy = insider(target, cards["pharmacist"], doctor_a.installation)
    ok = pharmacy.call("POST", f"/pharmacy/prescriptions/{dispensed}/dispensings",
                       {"lines": [{"line": 1, "quantity": 1}], "complete": False})
    assert ok.status_code == 200, ok.text

    def seen(number: str) -> list:
        status = doctor_a.call("GET", f"/prescriptions/{number}/status")
        dispensings = doctor_a.call("GET", f"/prescriptions/{number}/dispensings")
        return [(status.status_code, status.json()["status"]), (dispensings.status_code, dispensings.json())]

    assert seen(dispensed) == seen(untouched)
    # a replay of the identical signed ordonnance (what the outbox does) tells no more
    replays = [doctor_a.register(n, bundles[n]) for n in (dispensed, untouched)]
    assert [(r.status_code, r.json()["status"]) for r in replays] == [(200, "registered")] * 2
    # cancel: accepted alike (what is left can no longer be dispensed)
    cancels = [doctor_a.call("POST", f"/prescriptions/{n}/cancel") for n in (dispensed, untouched)]
    assert [(c.status_code, c.json()["status"]) for c in cancels] == [(200, "cancelled")] * 2
    assert pharmacy.call("GET", f"/pharmacy/prescriptions/{dispensed}").status_code == 410
    assert seen(dispensed) == seen(untouched)
    # once fully dispensed, then cancelled: still the same answers
    closed = doctor_a.prescribe(opposition=True)
    pharmacy.call("POST", f"/pharmacy/prescriptions/{closed}/dispensings",
                  {"lines": [{"line": 1, "quantity": 1}], "complete": True})
    assert doctor_a.call("POST", f"/prescriptions/{closed}/cancel").json()["status"] == "cancelled"
    assert seen(closed) == seen(untouched)
    assert doctor_a.register(closed, doctor_a.signed_bundle(closed, opposition=True)).json()["status"] in (
        "cancelled", "registered")
    pharmacy.close()


def test_local_store_never_records_execution_under_opposition(store_location, tmp_path, monkeypatch):
    from lap_app.storage import LocalStore

    monkeypatch.setenv("LAP_DATA_DIR", str(tmp_path))
    store = LocalStore(store_location)  # a workstation's file, then a practice server
    bundle = {"resourceType": "Bundle"}
    ids = {}
    for number, opposition in (("1" * 16, True), ("2" * 16, False)):
        ids[number] = store.save_signed(number=number, prescriber="810101234564", patient_name="X",
                                        opposition=opposition, bundle=bundle, signer_certificate=b"")
    for entry in store.outbox():  # an outbox retry answered by a (lying) base
        store.outbox_done(entry, "partly_dispensed")
    store.set_status("1" * 16, "dispensed")
    store.set_status("2" * 16, "dispensed")
    assert store.by_number("1" * 16).status == "registered"
    assert store.by_number("2" * 16).status == "dispensed"
    store.close()


# --- 4. bodies -----------------------------------------------------------------------------------

def _send_head(sock, method: str, path: str, headers: dict[str, str]) -> None:
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", *(f"{k}: {v}" for k, v in headers.items()), "", ""]
    sock.sendall("\r\n".join(lines).encode("latin-1"))


@on_sqlite_base
def test_oversized_bodies_are_refused_before_being_read(target, doctor_a):
    before = target.rss_kib()
    declared = 100 * 1024 * 1024
    for path in ("/v1/auth/token", "/v1/installations", "/v1/dmp/documents/x", "/v1/prescriptions/1"):
        method = "PUT" if "documents" in path or "prescriptions" in path else "POST"
        with raw_tls(target) as sock:
            _send_head(sock, method, path, {"Content-Type": "application/json", "Content-Length": str(declared)})
            sock.sendall(b"{" + b" " * 65536)
            status, answer = read_response(sock)
        assert status == 413, (path, answer[:200])
    # no Content-Length (chunked): read only up to the limit, then refused and closed
    with raw_tls(target) as sock:
        _send_head(sock, "POST", "/v1/auth/token", {"Content-Type": "application/json",
                                                    "Transfer-Encoding": "chunked"})
        chunk = b" " * 65536
        for _ in range(4):
            sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        assert read_response(sock)[0] == 413  # answered at 64 KiB, while the body still comes
        deadline = time.monotonic() + 20
        with pytest.raises(OSError):  # then the server hangs up instead of reading on
            while time.monotonic() < deadline:
                sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
    # three 30 MB anonymous DMP bodies in parallel: refused for their missing token, memory flat
    def anonymous_pdf() -> None:
        with raw_tls(target) as sock:
            _send_head(sock, "PUT", "/v1/dmp/documents/x", {"Content-Type": "application/json",
                                                            "Content-Length": str(30 * 1024 * 1024)})
            try:
                for _ in range(30 * 16):
                    sock.sendall(b" " * 65536)
            except OSError:
                pass
            statuses.append(read_response(sock)[0])

    statuses: list = []
    threads = [threading.Thread(target=anonymous_pdf) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [413] * 3 or set(statuses) <= {401, 413, None}
    assert target.rss_kib() - before < 40 * 1024  # not hundreds of MiB
    # a legitimate small request still works on a new connection
    assert doctor_a.call("POST", "/numbers", {"count": 1}).status_code == 201


@on_sqlite_base
def test_large_body_needs_a_valid_token_before_it_is_parsed(target, doctor_a):
    body = json.dumps({"documentReference": {"pad": "x" * (2 * 1024 * 1024)}})
    anonymous = doctor_a.http.put("/dmp/documents/abc", content=body, headers={"Content-Type": "application/json"})
    forged = doctor_a.http.put("/dmp/documents/abc", content=body, headers={
        "Content-Type": "application/json", "Authorization": "Bearer forged.token"})
    assert (anonymous.status_code, anonymous.json()["error"]) == (401, "missing_token")
    assert (forged.status_code, forged.json()["error"]) == (401, "invalid_token")
    registration = doctor_a.http.put(f"/prescriptions/{valid_unknown_numbers(1)[0]}", content=b"{" * 3_000_000,
                                     headers={"Content-Type": "application/json"})
    assert registration.status_code == 401  # the token, not the (garbage) body, is judged first


# --- 5. request heads and slow connections -------------------------------------------------------

@on_sqlite_base
def test_huge_header_is_refused_without_stalling_others(target, doctor_a):
    with raw_tls(target) as sock:
        sock.sendall(b"GET /v1/auth/challenge HTTP/1.1\r\nHost: x\r\nX-Big: ")
        # while this head grows, another client is served
        assert doctor_a.call("POST", "/auth/challenge").status_code == 200
        for _ in range(16):
            sock.sendall(b"a" * 65536)
        status, answer = read_response(sock)  # answered at 32 KiB, while the header still grows
        assert status == 431 and b"headers_too_large" in answer
        deadline = time.monotonic() + 20
        with pytest.raises(OSError):  # then the server hangs up instead of reading on
            while time.monotonic() < deadline:
                sock.sendall(b"a" * 65536)
    with raw_tls(target) as sock:
        sock.sendall(b"GET /v1/auth/challenge HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 40000 + b"\r\n\r\n")
        status, answer = read_response(sock)
        assert status == 431 and b"headers_too_large" in answer
    with raw_tls(target) as sock:
        many = b"".join(b"X-H%d: v\r\n" % i for i in range(100))
        sock.sendall(b"POST /v1/auth/challenge HTTP/1.1\r\nHost: x\r\n" + many + b"\r\n")
        status, answer = read_response(sock)
        assert status == 431
    assert doctor_a.call("POST", "/auth/challenge").status_code == 200


@on_sqlite_base
def test_slow_and_silent_connections_are_closed(target):
    with raw_tls(target) as sock:  # silent after the TLS handshake
        status, _answer = read_response(sock)
        assert status is None  # closed by the server, without a word
    with raw_tls(target) as sock:  # a head sent a few bytes at a time, never finished
        sock.sendall(b"POST /v1/auth/challenge HTTP/1.1\r\n")
        sock.sendall(b"X-Slow: 1\r\n")
        status, answer = read_response(sock)
        assert status == 408 and b"request_timeout" in answer
    with raw_tls(target) as sock:  # a body that stops flowing
        _send_head(sock, "POST", "/v1/auth/token", {"Content-Type": "application/json", "Content-Length": "100"})
        sock.sendall(b'{"challenge": ')
        status, answer = read_response(sock)
        assert status in (None, 400, 408)
    # each of these ended on the server's timeout, not ours (the sockets allow 30 s)


# --- 6. dispensing against the prescription -------------------------------------------------------

@on_both_engines
def test_dispensing_is_checked_against_the_prescription(target, cards, doctor_a):
    number = doctor_a.prescribe()
    pharmacy = insider(target, cards["pharmacist"], doctor_a.installation)
    lines = pharmacy.call("GET", f"/pharmacy/prescriptions/{number}").json()["lines"]
    fixed = next(line["line"] for line in lines if not line["substitution_allowed"])

    def dispense(*items: dict) -> tuple[int, list[str]]:
        answer = pharmacy.call("POST", f"/pharmacy/prescriptions/{number}/dispensings",
                               {"lines": list(items), "complete": False})
        return answer.status_code, [p["message"] for p in answer.json().get("problems", [])]

    status, problems = dispense({"line": 1, "quantity": 10000}, {"line": 1, "quantity": 10000},
                                {"line": 1, "quantity": 10000}, {"line": 1, "quantity": 1001})
    assert status == 422 and any("quantité supérieure à la prescription" in p for p in problems)
    status, problems = dispense({"line": 1, "quantity": 1, "date": "1900-01-01"})
    assert status == 422 and problems == ["date de délivrance antérieure à l'enregistrement de l'ordonnance"]
    status, problems = dispense({"line": 1, "quantity": 1, "date": "2999-01-01"})
    assert status == 422 and problems == ["date de délivrance dans le futur"]
    status, problems = dispense({"line": fixed, "quantity": 1, "substituted": True})
    assert status == 422 and problems == ["substitution interdite : ligne prescrite non substituable"]
    assert target.rows("SELECT count(*) FROM dispensings WHERE number = ?", number)[0][0] == 0
    assert dispense({"line": fixed, "quantity": 1}, {"line": 1, "quantity": 2, "substituted": True})[0] == 200
    pharmacy.close()


@on_both_engines
def test_integers_beyond_64_bits_are_refused_not_rounded(target, doctor_a):
    """The base reads JSON with orjson, which turns an integer beyond 64 bits into a float: such
    a value (here in ``Bundle.signature``, which the signature does not cover) is refused with a
    clear 422 naming it, never stored rounded; an integer that fits is stored exactly."""
    def register_with(digits: str) -> tuple[str, object]:
        number = doctor_a.numbers(1)[0]
        bundle = doctor_a.signed_bundle(number)
        bundle["signature"]["counter"] = "COUNTER"
        body = json.dumps({"bundle": bundle}).replace('"COUNTER"', digits).encode()
        return number, doctor_a.http.put(f"/prescriptions/{number}", content=body, headers={
            **doctor_a.headers(), "Content-Type": "application/json"})

    for digits in (str(2 ** 70), str(-(2 ** 63) - 1), "1" + "0" * 5000):
        number, answer = register_with(digits)
        assert answer.status_code == 422, answer.text
        body = answer.json()
        assert body["error"] == "invalid_request"
        assert body["problems"] == [{"path": "body.bundle.signature.counter",
                                     "message": "entier hors de la plage 64 bits : refusé plutôt qu'arrondi"}]
        assert target.rows("SELECT count(*) FROM prescriptions WHERE number = ?", number)[0][0] == 0
    number, answer = register_with(str(2 ** 64 - 1))  # the largest that fits: kept to the last digit
    assert answer.status_code == 201, answer.text
    [(stored,)] = target.rows("SELECT bundle FROM prescriptions WHERE number = ?", number)
    assert json.loads(stored)["signature"]["counter"] == 2 ** 64 - 1


# --- 7. key usage --------------------------------------------------------------------------------

def test_demo_pki_issues_each_key_for_its_role(cards):
    from cryptography import x509
    from cryptography.x509.oid import ExtendedKeyUsageOID

    holder = cards["A"]
    auth_usage = holder.auth_cert.extensions.get_extension_for_class(x509.KeyUsage).value
    sign_usage = holder.sign_cert.extensions.get_extension_for_class(x509.KeyUsage).value
    assert auth_usage.digital_signature and not auth_usage.content_commitment
    assert ExtendedKeyUsageOID.CLIENT_AUTH in holder.auth_cert.extensions.get_extension_for_class(
        x509.ExtendedKeyUsage).value
    assert sign_usage.content_commitment and not sign_usage.digital_signature


@on_sqlite_base
def test_keys_used_in_the_wrong_role_are_refused(target, cards, doctor_a):
    holder = cards["A"]
    http = doctor_a.http
    challenge = http.post("/auth/challenge").json()["challenge"]
    answer = rs256(holder.sign_key, challenge.encode())  # the signature key (81) authenticating
    refused = http.post("/auth/token", json={"challenge": challenge, "certificate": base64.b64encode(
        holder.sign_cert_der).decode(), "signature": base64.b64encode(answer).decode()})
    assert refused.status_code == 401 and refused.json()["error"] == "wrong_key_usage"
    number = doctor_a.numbers(1)[0]  # the authentication key (82) signing an ordonnance
    bundle = doctor_a.signed_bundle(number, sign_key=holder.auth_key, sign_cert_der=holder.auth_cert_der)
    answer = doctor_a.register(number, bundle)
    assert answer.status_code == 422
    assert any("non-répudiation" in p["message"] for p in answer.json()["problems"])


@on_sqlite_base
def test_a_card_with_swapped_keys_gets_no_token(target, cards, doctor_a):
    from lap_app.base_client import BaseRefused
    from lap_app.base_client.client import HttpBaseClient
    from lap_app.card import default_virtual_reader, open_card
    from lap_app.services.card_session import open_token, unlock_card
    from lap_app.standins.virtual_cps.card import VirtualCps
    from lap_app.standins.virtual_cps.pin_store import MemoryPinCounter

    holder = cards["A"]
    swapped = VirtualCps(serial=holder.identity.serial_bytes, auth_key=holder.sign_key,
                         auth_cert_der=holder.sign_cert_der, sign_key=holder.auth_key,
                         sign_cert_der=holder.auth_cert_der, pin="1234", pin_counter=MemoryPinCounter())
    reader = default_virtual_reader()
    reader.insert(swapped)
    try:
        card = open_card(virtual=True)
        unlock_card(card, "1234")
        with HttpBaseClient(target.url, target.ca) as client:
            with pytest.raises(BaseRefused) as refused:
                open_token(card, client)
        card.close()
    finally:
        reader.remove()
    assert refused.value.code == "wrong_key_usage"


# --- 8. challenges and tokens decoded strictly ---------------------------------------------------

ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


def _respellings(text: str, size: int) -> list[str]:
    """Other spellings of the same ``size`` bytes that a lax base64url decoder accepts: padding,
    foreign characters (skipped), and the unused low bits of the last character set."""
    spare_bits = len(text) * 6 - size * 8
    index = ALPHABET.index(text[-1])
    spare = [text[:-1] + ALPHABET[index ^ (1 << bit)] for bit in range(spare_bits)]
    return [text + "=", text + "==", text[:5] + "\n" + text[5:], text[:5] + "!" + text[5:], *spare]


@on_both_engines
def test_one_challenge_answers_once_whatever_its_spelling(target, cards, doctor_a):
    holder = cards["A"]
    http = doctor_a.http
    challenge = http.post("/auth/challenge").json()["challenge"]

    def answer(text: str) -> int:
        signature = rs256(holder.auth_key, text.encode("latin-1"))
        return http.post("/auth/token", json={"challenge": text, "certificate": base64.b64encode(
            holder.auth_cert_der).decode(), "signature": base64.b64encode(signature).decode()}).status_code

    respellings = _respellings(challenge, 40)
    assert len(respellings) == 8
    assert [answer(text) for text in respellings] == [401] * len(respellings)  # not even once
    assert answer(challenge) == 200
    assert [answer(text) for text in [challenge, *respellings]] == [401] * (len(respellings) + 1)


@on_sqlite_base
def test_token_mac_is_decoded_strictly(doctor_a):
    payload, mac = (doctor_a.token or "").split(".")
    forgeries = [f"{payload}.{other}".replace("\n", " ") for other in _respellings(mac, 32)] + [f"{payload}=.{mac}"]
    for forged in forgeries:
        answer = doctor_a.http.post("/numbers", json={"count": 1}, headers={
            "Authorization": f"Bearer {forged}", "X-LAP-Installation": doctor_a.installation or ""})
        assert answer.status_code == 401, forged
    assert doctor_a.call("POST", "/numbers", {"count": 1}).status_code == 201


# --- 9. no disk write for the unauthenticated ----------------------------------------------------

@on_both_engines
def test_garbage_answers_make_the_base_write_nothing(target, cards, doctor_a):
    holder = cards["A"]
    http = doctor_a.http

    def footprint() -> tuple:
        if target.database:
            # every table of the base: a write changes its row count or leaves a row version
            # with a newer transaction id (xmin); reads assign no transaction id
            tables = [row[0] for row in target.rows(
                "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename")]
            return tuple(tuple(target.rows(f"SELECT '{name}', count(*), max(xmin::text::bigint) FROM {name}")[0])
                         for name in tables)
        # the database and its write-ahead log (-shm is shared memory that any reader touches)
        files = [target.data_dir / "base.sqlite3", target.data_dir / "base.sqlite3-wal"]
        return tuple((f.name, f.stat().st_size, f.stat().st_mtime_ns) for f in files)

    time.sleep(0.05)
    before = footprint()
    rows = target.rows("SELECT count(*) FROM used_challenges")[0][0]
    certificate = base64.b64encode(holder.auth_cert_der).decode()
    for i in range(200):
        challenge = http.post("/auth/challenge").json()["challenge"]
        garbage = base64.b64encode(os.urandom(256)).decode()
        cert = certificate if i % 2 else base64.b64encode(os.urandom(600)).decode()
        assert http.post("/auth/token", json={"challenge": challenge, "certificate": cert,
                                              "signature": garbage}).status_code == 401
    assert footprint() == before
    assert target.rows("SELECT count(*) FROM used_challenges")[0][0] == rows
    insider(target, holder).close()  # a genuine answer is recorded (single use)
    assert target.rows("SELECT count(*) FROM used_challenges")[0][0] == rows + 1


# --- 10. file modes ------------------------------------------------------------------------------

def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@on_sqlite_base
def test_health_data_files_are_private_on_both_sides(target, doctor_a, tmp_path, monkeypatch):
    doctor_a.prescribe()
    assert _mode(target.data_dir) == 0o700
    for name in ("base.sqlite3", "base.sqlite3-wal", "base.sqlite3-shm", "dmp.sqlite3", "token.key"):
        assert _mode(target.data_dir / name) == 0o600, name
    # the workstation's store, under the usual umask 022
    from lap_app.storage import LocalStore

    old = os.umask(0o022)
    try:
        data = tmp_path / "poste" / "données"
        monkeypatch.setenv("LAP_DATA_DIR", str(data))
        store = LocalStore()
        store.add_numbers("810101234564", ["1" * 16], time.time() + 60)
        assert _mode(data) == 0o700
        for path in data.glob("lap.sqlite3*"):
            assert _mode(path) == 0o600, path
        assert (data / "lap.sqlite3-wal").exists()
        store.close()
        # an older installation's world-readable files are tightened when opened
        os.chmod(data, 0o755)  # noqa: S103 - the old, too open mode under test
        os.chmod(data / "lap.sqlite3", 0o644)
        LocalStore().close()
        assert _mode(data) == 0o700 and _mode(data / "lap.sqlite3") == 0o600
    finally:
        os.umask(old)
