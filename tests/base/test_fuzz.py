"""Fuzzing the base from its OpenAPI document (schemathesis): whatever arrives, a 4xx or a
success, never a 500 and never a hang. Bounded: a few dozen cases per operation."""

from __future__ import annotations

import time
from datetime import UTC

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

# A request that runs away (a pattern gone quadratic on a generated string, a loop) never ends; a
# sound one costs at most a few hundred ms of CPU, which a machine running 4 workers beside other
# loads (load 15–20 on 2 cores: a tenth of a core each) stretches to several seconds.
MAX_SECONDS = 30.0


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
    return response


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
        assert response.status_code in (200, 201, 409, 422), (
            f"{paths[index]} → {'removed' if replacement is KeyError else repr(replacement)}: {response.text}")
        if response.status_code >= 400:
            assert response.json()["message"]

    run()
    # JSON that only Python's parser accepts (NaN, Infinity): a 4xx too
    for raw in ('{"bundle": {"resourceType": "Bundle", "x": NaN}}', '{"bundle": Infinity}'):
        response = client.put(f"/v1/prescriptions/{numbers[1]}", content=raw.encode(),
                              headers={**headers["prescriber"], "Content-Type": "application/json"})
        assert 400 <= response.status_code < 500, response.text


@pytest.mark.parametrize("where", [(), ("signature",), ("signature", "who")])
@pytest.mark.parametrize("field", ["entry", "extension", "identifier"])
@pytest.mark.parametrize("value", [True, 7, 1.5, "texte"])
def test_a_bundle_part_of_the_wrong_json_type_is_refused_in_french(fuzz_target, where, field, value):
    """Found by the fuzzing above: ``entry`` sent as ``true`` made the base answer 500 (a
    TypeError reading the signing date). An array or object where a number or text stands: 422."""
    import json

    from starlette.testclient import TestClient

    from circuit_support import EXAMPLE_BUNDLE

    app, headers, numbers = fuzz_target
    bundle = json.loads(EXAMPLE_BUNDLE.read_text(encoding="utf-8"))
    bundle["identifier"]["value"] = numbers[2]
    bundle["signature"] = {"who": {"identifier": {"value": "810101234564"}}}
    target = bundle
    for key in where:
        target = target[key]
    target[field] = value
    response = TestClient(app).put(f"/v1/prescriptions/{numbers[2]}", json={"bundle": bundle},
                                   headers=headers["prescriber"])
    assert response.status_code == 422, response.text
    assert response.json()["message"] == "Contenu invalide"


def test_fuzz_as_the_patient_portal(fuzz_target):
    """« Mon espace santé »'s credential: the consent routes reached past the portal's check."""
    from lap_app.base_client.protocol import PATIENT_PORTAL_HEADER

    app, _headers, numbers = fuzz_target
    portal = {PATIENT_PORTAL_HEADER: app.state.patient_portal_key.hex()}
    assert _fuzz(app, portal, numbers, 12) > 100


# Each prescrit's card (profession code, specialty) and the kind of ordonnance it carries out.
PRESCRITS = {
    "pharmacien": ("21", "", "medicaments"),
    "biologiste": ("10", "biologie-medicale", "biologie"),
    "infirmier": ("60", "", "soins-infirmiers"),
    "kine": ("70", "", "kinesitherapie"),
    "podologue": ("80", "", "podologie"),
    "orthophoniste": ("91", "", "orthophonie"),
    "orthoptiste": ("92", "", "orthoptie"),
    "fournisseur": ("PSDM", "", "dispositifs"),
}


@pytest.fixture(scope="module")
def registered_kinds(fuzz_target, pki_dir, tmp_path_factory):
    """One registered ordonnance of each kind a prescrit carries out (signed by the demo
    physician's card keys), in the fuzzed app: the prescrit routes then reach their deep checks."""
    from attack_support import Insider
    from starlette.testclient import TestClient

    from lap_app.base_client.protocol import INSTALLATION_HEADER
    from lap_app.standins.base_server.security import Holder, mint_token
    from lap_app.standins.pki import init_pki

    from circuit_support import BaseProcess

    app, _headers, _numbers = fuzz_target
    physician = init_pki(pki_dir).holder("medecin")
    # An Insider only for its signed_bundle (no connection is made): the app here is in-process.
    signer = Insider(BaseProcess(tmp_path_factory.mktemp("unused"), pki_dir, 0), physician)
    token = mint_token(app.state.base.token_key, Holder(signer.national_id, "10"), time.time() + 3600)
    numbers: dict[str, str] = {}
    with TestClient(app) as client:
        # An installation of their own: the other fuzz tests' unknown numbers count against theirs.
        enrolled = client.post("/v1/installations", json={"name": "prescrits"},
                               headers={"Authorization": f"Bearer {token}"}).json()
        installation = {INSTALLATION_HEADER: f"{enrolled['installation_id']}.{enrolled['secret']}"}
        prescriber = {**installation, "Authorization": f"Bearer {token}"}
        for _code, _specialty, kind in PRESCRITS.values():
            number = client.post("/v1/numbers", json={"count": 1}, headers=prescriber).json()["numbers"][0]
            answer = client.put(f"/v1/prescriptions/{number}", json={"bundle": signer.signed_bundle(number, kind=kind)},
                                headers=prescriber)
            assert answer.status_code == 201, answer.text
            numbers[kind] = number
    signer.close()
    return numbers, installation


@pytest.mark.parametrize("who", list(PRESCRITS))
def test_fuzz_the_prescrit_routes_with_each_profession(fuzz_target, registered_kinds, who):
    """Reads, executions and adjustments under each prescrit's own token, on an ordonnance of its
    kind and on one of another kind: a 4xx or a success, never a 500."""
    from lap_app.standins.base_server.security import Holder, mint_token

    app, _headers, _numbers = fuzz_target
    registered_kinds, installation = registered_kinds
    code, specialty, kind = PRESCRITS[who]
    actor = f"8{list(PRESCRITS).index(who):010d}"  # each its own: the rate limit counts per card too
    token = mint_token(app.state.base.token_key, Holder(actor, code, specialty), time.time() + 3600)
    own = {**installation, "Authorization": f"Bearer {token}"}
    other = next(k for k in registered_kinds if k != kind)
    sent = 0
    statuses: set[int] = set()
    for operation in _operations(app):
        if not operation.path.startswith("/v1/prescrit/"):
            continue

        @given(case=operation.as_strategy())
        @settings(max_examples=15, deadline=None, database=None, suppress_health_check=list(HealthCheck))
        def run(case) -> None:
            nonlocal sent
            path = case.path_parameters or {}
            if "number" in path:  # mostly its own kind; a fifth of the time another (403)
                path["number"] = registered_kinds[other if sent % 5 == 4 else kind]
            statuses.add(_check(case, own).status_code)
            sent += 1

        run()
    assert sent >= 40
    # The deep checks reached: another kind refused, its own read or its problems listed (a fuzzed
    # ``complete: true`` may close the number early, the rest then 410).
    assert 403 in statuses and statuses & {200, 422}, statuses
