"""What the base's speed work must not change: the lean registration path answers exactly as
the documented FastAPI route, and several server processes share challenges, tokens, numbers
and the group commit (each acknowledged registration stored once)."""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from circuit_support import EXAMPLE_BUNDLE, BaseProcess, card_in_hand, running_base


def _signed(card, number: str) -> dict:
    from lap_app.base_client.protocol import SIGNATURE_FORMAT, signed_digest
    from lap_app.domain.model import Signature
    from lap_app.fhir import from_bundle, to_bundle

    ordonnance = from_bundle(json.loads(EXAMPLE_BUNDLE.read_text(encoding="utf-8")))
    ordonnance.number = number
    digest = signed_digest(to_bundle(ordonnance))
    ordonnance.signature = Signature(datetime.now(UTC), "810101234564", card.sign_digest(digest),
                                     card.sign_certificate_der(), SIGNATURE_FORMAT)
    return to_bundle(ordonnance)


def _enrolled_client(app):  # type: ignore[no-untyped-def]
    """A test client of ``app`` with an enrolled installation; a prescriber's and a pharmacist's headers."""
    from starlette.testclient import TestClient

    from lap_app.base_client.protocol import INSTALLATION_HEADER
    from lap_app.standins.base_server.security import Holder, mint_token

    key = app.state.base.token_key
    prescriber = {"Authorization": f"Bearer {mint_token(key, Holder('810101234564', '10'), time.time() + 600)}"}
    pharmacist = {"Authorization": f"Bearer {mint_token(key, Holder('810201234563', '21'), time.time() + 600)}"}
    client = TestClient(app)
    enrolled = client.post("/v1/installations", json={"name": "parity"}, headers=prescriber).json()
    credential = {INSTALLATION_HEADER: f"{enrolled['installation_id']}.{enrolled['secret']}"}
    prescriber.update(credential)
    pharmacist.update(credential)
    return client, prescriber, pharmacist


def _registration_script(app, card) -> list[tuple[int, str]]:
    """The same sequence of registrations, good and bad, against ``app``: (status, error code)."""
    from lap_app.base_client.protocol import INSTALLATION_HEADER
    from lap_app.domain.identifiers import prescription_number_from_serial

    client, prescriber, pharmacist = _enrolled_client(app)
    numbers = client.post("/v1/numbers", json={"count": 3}, headers=prescriber).json()["numbers"]
    good, other = _signed(card, numbers[0]), _signed(card, numbers[1])
    tampered = json.loads(json.dumps(other))
    patient = next(e["resource"] for e in tampered["entry"] if e["resource"]["resourceType"] == "Patient")
    patient["name"][0]["family"] = "DURAND"  # changed after signing
    never_issued = prescription_number_from_serial("20260101999999")
    changed = json.loads(json.dumps(other))  # another ordonnance under the first one's number
    changed["identifier"]["value"] = numbers[0]
    beyond = json.loads(json.dumps(good))  # an integer orjson would read as a float
    beyond["signature"]["counter"] = 2 ** 70

    def put(number: str, headers: dict, **body) -> tuple[int, str, dict]:
        response = client.put(f"/v1/prescriptions/{number}", headers=headers, **body)
        data = response.json()
        return response.status_code, data.get("error", data.get("status")), data

    outcomes = [
        put(numbers[0], {}, json={"bundle": good}),
        put(numbers[0], {**prescriber, "Authorization": "Bearer forged.token"}, json={"bundle": good}),
        put(numbers[0], {**prescriber, INSTALLATION_HEADER: "nobody.secret"}, json={"bundle": good}),
        put(numbers[0], pharmacist, json={"bundle": good}),
        put(numbers[0], {**prescriber, "Content-Type": "application/json"}, content=b"{not json"),
        put(numbers[0], prescriber, json={"bundel": good}),
        put(numbers[0], prescriber, json={"bundle": [good]}),
        put(numbers[0], prescriber, json={"bundle": beyond}),
        put("1234", prescriber, json={"bundle": good}),
        put(never_issued, prescriber, json={"bundle": good}),
        put(numbers[1], prescriber, json={"bundle": tampered}),
        put(numbers[2], prescriber, json={"bundle": good}),  # number of the URL ≠ the Bundle's
        put(numbers[0], prescriber, json={"bundle": good}),
        put(numbers[0], prescriber, json={"bundle": good}),  # replay
        put(numbers[0], prescriber, json={"bundle": changed}),
    ]
    first, replay = outcomes[-3][2], outcomes[-2][2]
    assert replay["registered_at"] == first["registered_at"] and replay["number"] == numbers[0]
    audit = sqlite3.connect(app.state.base.store.path).execute(
        "SELECT outcome FROM audit WHERE action = 'register' ORDER BY id").fetchall()
    client.close()
    return [(status, code) for status, code, _ in outcomes] + [("audit", ",".join(r[0] for r in audit))]


def test_lean_path_answers_like_the_documented_route(tmp_path, pki_dir):
    from lap_app.standins.base_server import ServerConfig, create_app
    from lap_app.standins.base_server.fast_path import RegistrationFastPath

    ca = (pki_dir / "ca.pem").read_bytes()
    lean = create_app(ServerConfig(data_dir=tmp_path / "lean", ca_pem=ca))
    documented = create_app(ServerConfig(data_dir=tmp_path / "documented", ca_pem=ca))
    documented.user_middleware = [m for m in documented.user_middleware if m.cls is not RegistrationFastPath]
    assert len(documented.user_middleware) == len(lean.user_middleware) - 1
    with card_in_hand("medecin", pki_dir) as card:
        answers = _registration_script(lean, card)
        assert answers == _registration_script(documented, card)
    assert answers[:-1] == [
        (401, "missing_token"), (401, "invalid_token"), (401, "unknown_installation"), (403, "wrong_profession"),
        (422, "invalid_request"), (422, "invalid_request"), (422, "invalid_request"), (422, "invalid_request"),
        (422, "invalid_number"), (422, "unknown_number"), (422, "invalid_content"), (422, "invalid_content"),
        (201, "registered"), (200, "registered"), (409, "number_used")]
    # every refusal to a caller the base identifies (a valid card token) is audited, and the replay
    # too; the missing and the forged token are only logged (refusals.py)
    assert answers[-1] == ("audit", ",".join(
        ["refused:401:unknown_installation", "refused:403:wrong_profession"] + ["refused:422:invalid_request"] * 4
        + ["refused:422:invalid_number", "refused:422:unknown_number"]
        + ["refused:422:invalid_content"] * 2 + ["ok", "replayed", "refused:409:number_used"]))
    for app in (lean, documented):
        app.state.base.store.close()


def test_several_server_processes_share_challenges_tokens_numbers_and_commits(tmp_path, pki_dir, monkeypatch):
    """``--workers 3``: every request on a new connection, so the kernel spreads them over the
    processes; in-memory challenges or per-process state would fail about two times in three."""
    from lap_app.base_client import BaseRefused
    from lap_app.services.base_connection import base_endpoint, open_client
    from lap_app.services.card_session import open_token
    from lap_app.services.enrolment import enrol

    monkeypatch.setenv("LAP_CONFIG_DIR", str(tmp_path / "config"))
    with running_base(tmp_path / "base", pki_dir, workers=3) as base:
        pid = base.process.pid
        children = [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
        assert len(children) == 2  # 3 processes serve

        endpoint = base_endpoint(base.url, base.ca)
        with card_in_hand("medecin", pki_dir) as card:
            enrol(endpoint, card, name="workers")
            for _ in range(6):  # challenge from one connection, answer on another
                with open_client(endpoint) as asking, open_client(endpoint) as answering:
                    challenge = asking.challenge()
                    answer = card.authenticate(challenge.encode())
                    answering.open_token(challenge, card.auth_certificate_der(), answer)
                    with open_client(endpoint) as replaying, pytest.raises(BaseRefused) as refused:
                        replaying.open_token(challenge, card.auth_certificate_der(), answer)
                    assert refused.value.code == "invalid_challenge"  # single-use across processes
            clients = [open_client(endpoint) for _ in range(6)]
            for client in clients:
                open_token(card, client)
            numbers = clients[0].reserve_numbers(30)[0]
            bundles = [_signed(card, n) for n in numbers]
        results: list = []

        def send(client, share) -> None:
            for number, bundle in share:
                results.append(client.register(number, bundle))

        threads = [threading.Thread(target=send, args=(c, list(zip(numbers, bundles, strict=False))[i::6]))
                   for i, c in enumerate(clients)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        replays = [clients[-1].register(n, b) for n, b in zip(numbers[:5], bundles[:5], strict=False)]
        for client in clients:
            client.close()
        with sqlite3.connect(base.data_dir / "base.sqlite3") as db:
            stored = [r[0] for r in db.execute("SELECT number FROM prescriptions")]
            used = db.execute("SELECT COUNT(*) FROM numbers WHERE state = 'used'").fetchone()[0]
    assert _all_gone(children)  # a stopped base stops its workers
    assert sorted(r.number for r in results) == sorted(numbers) and not any(r.replayed for r in results)
    assert all(r.replayed for r in replays)
    assert sorted(stored) == sorted(numbers) and used == 30


def _gone(pid: int) -> bool:
    """Exited (a zombie waiting for its reaper counts as gone)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True


def _all_gone(pids: list[int], timeout: float = 60.0) -> bool:
    deadline = time.monotonic() + timeout
    while not all(_gone(p) for p in pids):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def test_kill_9_of_a_multi_process_base_under_load_loses_no_acknowledged_registration(tmp_path, pki_dir,
                                                                                       monkeypatch):
    """Every 201 was on disk: after a kill -9 in the middle of concurrent registrations (the
    worker processes die with their parent), a restarted base has each acknowledged ordonnance,
    and replaying everything registers each exactly once."""
    from lap_app.base_client import BaseUnavailable
    from lap_app.services.base_connection import base_endpoint, open_client
    from lap_app.services.card_session import open_token
    from lap_app.services.enrolment import enrol

    monkeypatch.setenv("LAP_CONFIG_DIR", str(tmp_path / "config"))
    data_dir = tmp_path / "base"
    with running_base(data_dir, pki_dir, workers=2) as base:
        pid = base.process.pid
        children = [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
        endpoint = base_endpoint(base.url, base.ca)
        with card_in_hand("medecin", pki_dir) as card:
            enrol(endpoint, card, name="crash")
            clients = [open_client(endpoint, retries=0) for _ in range(6)]
            for client in clients:
                open_token(card, client)
            numbers = clients[0].reserve_numbers(50)[0] + clients[0].reserve_numbers(50)[0]
            bundles = [_signed(card, n) for n in numbers]
        acknowledged: list[str] = []

        def send(client, share) -> None:
            for number, bundle in share:
                try:
                    client.register(number, bundle)
                except BaseUnavailable:
                    return
                acknowledged.append(number)

        threads = [threading.Thread(target=send, args=(c, list(zip(numbers, bundles, strict=False))[i::6]))
                   for i, c in enumerate(clients)]
        for thread in threads:
            thread.start()
        # the kill once 25 are acknowledged, however long a loaded machine takes (about 1 s when quiet)
        deadline = time.monotonic() + 300
        while len(acknowledged) < 25 and time.monotonic() < deadline:
            time.sleep(0.002)
        base.kill()
        for thread in threads:
            thread.join()
        for client in clients:
            client.close()
        assert _all_gone(children), "worker processes survived their parent"
    print(f"acknowledged before the kill: {len(acknowledged)} of {len(numbers)}")
    assert 25 <= len(acknowledged) < len(numbers), "the kill did not fall in the middle of the load"
    base = BaseProcess(data_dir, pki_dir, base.port, workers=2).start()  # same URL: same enrolment
    try:
        with sqlite3.connect(data_dir / "base.sqlite3") as db:
            stored = {r[0] for r in db.execute("SELECT number FROM prescriptions")}
        assert set(acknowledged) <= stored  # acknowledged = durable
        endpoint = base_endpoint(base.url, base.ca)
        with card_in_hand("medecin", pki_dir) as card, open_client(endpoint) as client:
            open_token(card, client)
            replays = [client.register(n, b) for n, b in zip(numbers, bundles, strict=False)]
        with sqlite3.connect(data_dir / "base.sqlite3") as db:
            final = [r[0] for r in db.execute("SELECT number FROM prescriptions")]
    finally:
        base.stop()
    assert all(r.replayed == (r.number in stored) for r in replays)
    assert sorted(final) == sorted(numbers)  # exactly once


def _execution_script(app, card) -> list:
    """The same executions, good and refused, against ``app``: (status, error code or status,
    replayed), then the audit's outcomes of ``execute``."""
    from lap_app.domain.identifiers import prescription_number_from_serial

    client, prescriber, pharmacist = _enrolled_client(app)
    number = client.post("/v1/numbers", json={"count": 1}, headers=prescriber).json()["numbers"][0]
    assert client.put(f"/v1/prescriptions/{number}", headers=prescriber,
                      json={"bundle": _signed(card, number)}).status_code == 201
    one_box = {"lines": [{"line": 2, "quantity": 1}]}

    def put(at: str, execution_id: str, headers: dict, **body) -> tuple[int, str, bool]:
        response = client.put(f"/v1/prescrit/prescriptions/{at}/executions/{execution_id}", headers=headers, **body)
        data = response.json()
        return response.status_code, data.get("error", data.get("status")), bool(data.get("replayed"))

    outcomes = [
        put(number, "execution-1", {}, json=one_box),
        put(number, "execution-1", {**pharmacist, "Authorization": "Bearer forged.token"}, json=one_box),
        put(number, "execution-1", prescriber, json=one_box),  # a physician executes no medicines
        put(number, "bad id!", pharmacist, json=one_box),
        put(number, "execution-1", {**pharmacist, "Content-Type": "application/json"}, content=b"{not json"),
        put(number, "execution-1", pharmacist, json={"lines": []}),
        put("1234", "execution-1", pharmacist, json=one_box),
        put(prescription_number_from_serial("20260101999999"), "execution-1", pharmacist, json=one_box),
        put(number, "execution-1", pharmacist, json={"lines": [{"line": 9, "quantity": 1}]}),
        put(number, "execution-1", pharmacist, json=one_box),
        put(number, "execution-1", pharmacist, json=one_box),  # replay
        put(number, "execution-1", pharmacist, json={"lines": [{"line": 2, "quantity": 2}]}),  # id reused
        put(number, "execution-2", pharmacist, json={**one_box, "complete": True}),
        put(number, "execution-3", pharmacist, json=one_box),  # completed: nothing more to execute
    ]
    view = client.get(f"/v1/prescrit/prescriptions/{number}", headers=pharmacist).json()
    audit = sqlite3.connect(app.state.base.store.path).execute(
        "SELECT outcome FROM audit WHERE action = 'execute' ORDER BY id").fetchall()
    stored = sqlite3.connect(app.state.base.store.path).execute(
        "SELECT COUNT(*), SUM(quantity) FROM dispensings").fetchone()
    client.close()
    return [*outcomes, ("read", view.get("error")), ("audit", ",".join(r[0] for r in audit)), ("stored", stored)]


def test_lean_execution_path_answers_and_audits_like_the_documented_route(tmp_path, pki_dir):
    from lap_app.standins.base_server import ServerConfig, create_app
    from lap_app.standins.base_server.fast_path import RegistrationFastPath

    ca = (pki_dir / "ca.pem").read_bytes()
    lean = create_app(ServerConfig(data_dir=tmp_path / "lean", ca_pem=ca))
    documented = create_app(ServerConfig(data_dir=tmp_path / "documented", ca_pem=ca))
    documented.user_middleware = [m for m in documented.user_middleware if m.cls is not RegistrationFastPath]
    attempts: list[str] = []  # the executions the lean path ran itself (the rest went to the route)
    store = lean.state.base.store
    grouped = store.run_grouped

    async def counted(operation):  # type: ignore[no-untyped-def]
        attempts.append(operation.__qualname__.split(".")[0])
        return await grouped(operation)

    store.run_grouped = counted
    with card_in_hand("medecin", pki_dir) as card:
        answers = _execution_script(lean, card)
        assert answers == _execution_script(documented, card)
    # a kind the physician does not execute, an unknown number, an unknown line, the first, its
    # replay, its id reused, the last, one too many
    assert attempts.count("execution_write") == 8
    assert answers[:14] == [
        (401, "missing_token", False), (401, "invalid_token", False), (403, "kind_not_carried_out", False),
        (422, "invalid_request", False), (422, "invalid_request", False), (422, "invalid_request", False),
        (422, "invalid_number", False), (404, "unknown_prescription", False), (422, "invalid_execution", False),
        (200, "partly_dispensed", False), (200, "partly_dispensed", True), (409, "execution_id_reused", False),
        (200, "dispensed", False), (422, "invalid_execution", False)]
    assert answers[14:] == [("read", "closed"), ("audit", ",".join(
        ["refused:403:kind_not_carried_out"] + ["refused:422:invalid_request"] * 3
        + ["refused:422:invalid_number", "refused:404:unknown_prescription", "refused:422:invalid_execution",
           "ok:partly_dispensed", "replayed", "refused:409:execution_id_reused", "ok:dispensed",
           "refused:422:invalid_execution"])), ("stored", (2, 2.0))]
    for app in (lean, documented):
        app.state.base.store.close()
