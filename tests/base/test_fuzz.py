"""Fuzzing the base from its OpenAPI document (schemathesis): whatever arrives, a 4xx or a
success, never a 500 and never a hang. Bounded: a few dozen cases per operation."""

from __future__ import annotations

import time
from datetime import UTC

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

MAX_SECONDS = 5.0


@pytest.fixture(scope="module")
def fuzz_target(tmp_path_factory, pki_dir):
    """The base app (in-process ASGI) with a valid prescriber token and installation credential."""
    from starlette.testclient import TestClient

    from lap_app.base_client.protocol import INSTALLATION_HEADER
    from lap_app.standins.base_server import ServerConfig, create_app
    from lap_app.standins.base_server.security import Holder, mint_token

    app = create_app(ServerConfig(data_dir=tmp_path_factory.mktemp("fuzz-base"),
                                  ca_pem=(pki_dir / "ca.pem").read_bytes()))
    state = app.state.base
    token = mint_token(state.token_key, Holder("810101234564", "10"), time.time() + 3600)
    with TestClient(app) as client:
        body = client.post("/v1/installations", json={"name": "fuzz"},
                           headers={"Authorization": f"Bearer {token}"}).json()
        numbers = client.post("/v1/numbers", json={"count": 3}, headers={
            "Authorization": f"Bearer {token}",
            INSTALLATION_HEADER: f"{body['installation_id']}.{body['secret']}"}).json()["numbers"]
    credential = {INSTALLATION_HEADER: f"{body['installation_id']}.{body['secret']}"}
    pharmacist = mint_token(state.token_key, Holder("810201234563", "21"), time.time() + 3600)
    headers = {"prescriber": {"Authorization": f"Bearer {token}", **credential},
               "pharmacist": {"Authorization": f"Bearer {pharmacist}", **credential}}
    yield app, headers, numbers
    state.store.close()


def _operations(app):
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    return [result.ok() for result in schema.get_all_operations()]


def _fuzz(app, headers, numbers, max_examples: int) -> int:
    """Run ``max_examples`` generated cases per operation; returns how many were sent."""
    sent = 0
    for operation in _operations(app):

        @given(case=operation.as_strategy())
        @settings(max_examples=max_examples, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        def run(case) -> None:
            nonlocal sent
            path = case.path_parameters or {}
            if headers and "number" in path and str(path["number"]).isdigit():
                path["number"] = numbers[len(str(path["number"])) % len(numbers)]  # reach the deep checks
            _check(case, headers)
            sent += 1

        run()
    return sent


def _check(case, headers=None):
    started = time.monotonic()
    response = case.call(headers=headers)
    elapsed = time.monotonic() - started
    assert response.status_code < 500, f"{case.method} {case.formatted_path}: {response.status_code} {response.text}"
    assert elapsed < MAX_SECONDS
    if response.status_code >= 400:
        body = response.json()
        assert body["error"] and body["message"]  # a code and a French sentence, never a traceback


def test_fuzz_anonymous(fuzz_target):
    app, _headers, _numbers = fuzz_target
    assert _fuzz(app, None, [], 10) > 80


@pytest.mark.parametrize("who", ["prescriber", "pharmacist"])
def test_fuzz_authenticated(fuzz_target, who):
    app, headers, numbers = fuzz_target
    assert _fuzz(app, headers[who], numbers, 12) > 100


def _json_values():
    from hypothesis import strategies as st

    scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False, allow_infinity=False),
                        st.text(max_size=20))
    return st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                        st.dictionaries(st.text(max_size=8), inner, max_size=3)),
                        max_leaves=6)


def _paths(value, prefix=()):
    yield prefix
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _paths(item, (*prefix, index))


def test_fuzz_mutated_signed_bundles(fuzz_target, pki_dir):
    """Near-valid input reaches the deep checks (FHIR reading, validation, signature): a
    correctly signed ordonnance with one random part replaced or removed → 4xx, never 500."""
    import copy
    import json

    from hypothesis import strategies as st
    from starlette.testclient import TestClient

    from lap_app.base_client.protocol import SIGNATURE_FORMAT, signed_digest
    from lap_app.domain.model import Signature
    from lap_app.fhir import from_bundle, to_bundle

    from circuit_support import EXAMPLE_BUNDLE, card_in_hand

    app, headers, numbers = fuzz_target
    ordonnance = from_bundle(json.loads(EXAMPLE_BUNDLE.read_text(encoding="utf-8")))
    ordonnance.number = numbers[0]
    from datetime import datetime

    with card_in_hand("medecin", pki_dir) as card:
        digest = signed_digest(to_bundle(ordonnance))
        ordonnance.signature = Signature(datetime.now(UTC), "810101234564", card.sign_digest(digest),
                                         card.sign_certificate_der(), SIGNATURE_FORMAT)
    signed = to_bundle(ordonnance)
    paths = list(_paths(signed))[1:]
    client = TestClient(app, raise_server_exceptions=True)

    @given(index=st.integers(0, len(paths) - 1), replacement=st.one_of(st.just(KeyError), _json_values()))
    @settings(max_examples=150, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    def run(index, replacement):
        bundle = copy.deepcopy(signed)
        *parents, last = paths[index]
        target = bundle
        for key in parents:
            target = target[key]
        if replacement is KeyError:
            del target[last]
        else:
            target[last] = replacement
        response = client.put(f"/v1/prescriptions/{numbers[0]}", json={"bundle": bundle},
                              headers=headers["prescriber"])
        assert response.status_code in (200, 201, 409, 422), response.text
        if response.status_code >= 400:
            assert response.json()["message"]

    run()
    # JSON that only Python's parser accepts (NaN, Infinity): a 4xx too
    for raw in ('{"bundle": {"resourceType": "Bundle", "x": NaN}}', '{"bundle": Infinity}'):
        response = client.put(f"/v1/prescriptions/{numbers[1]}", content=raw.encode(),
                              headers={**headers["prescriber"], "Content-Type": "application/json"})
        assert 400 <= response.status_code < 500, response.text


def test_fuzz_as_the_patient_portal(fuzz_target):
    """« Mon espace santé »'s credential: the consent routes reached past the portal's check."""
    from lap_app.base_client.protocol import PATIENT_PORTAL_HEADER

    app, _headers, numbers = fuzz_target
    portal = {PATIENT_PORTAL_HEADER: app.state.patient_portal_key.hex()}
    assert _fuzz(app, portal, numbers, 12) > 100
