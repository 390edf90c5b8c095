"""Who reads and executes which kind of ordonnance by its number: the whole matrix profession ×
kind × operation (read, execute) × the patient's opposition, each holder with its own card of
the demo CA (whose certificates carry the profession code, and a biologist's specialty)."""

from __future__ import annotations

import uuid

import pytest
from attack_support import insider

from circuit_support import on_both_engines

KINDS = ("medicaments", "dispositifs", "biologie", "soins-infirmiers", "kinesitherapie", "orthophonie",
         "orthoptie", "podologie")
# What the table says each card may read and execute (written out, not derived).
MAY_EXECUTE = {
    "pharmacien": {"medicaments", "dispositifs"},
    "biologiste": {"biologie"},
    "infirmier": {"soins-infirmiers"},
    "kine": {"kinesitherapie"},
    "orthophoniste": {"orthophonie"},
    "orthoptiste": {"orthoptie"},
    "podologue": {"podologie"},
    "fournisseur": {"dispositifs"},
    "medecin": set(),
}


@pytest.fixture(scope="module")
def matrix_base(tmp_path_factory, pki_dir, base_database):
    from circuit_support import running_base

    with running_base(tmp_path_factory.mktemp("prescrit-matrix"), pki_dir, database=base_database()) as process:
        yield process


def _audit(base, action: str) -> list[tuple[str, str, str]]:
    return base.rows("SELECT actor, number, outcome FROM audit WHERE action = ?", action)


@on_both_engines
def test_every_profession_reads_and_executes_only_its_kinds(matrix_base, pki_dir) -> None:  # type: ignore[no-untyped-def]
    from lap_app.standins.pki import init_pki

    pki = init_pki(pki_dir)
    physician = insider(matrix_base, pki.holder("medecin"), enrol=True)
    numbers = {(kind, opposition): physician.prescribe(kind=kind, opposition=opposition)
               for kind in KINDS for opposition in (False, True)}
    outcomes: dict[tuple[str, str, str, bool], int] = {}
    refusals = 0
    for name, allowed in MAY_EXECUTE.items():
        person = insider(matrix_base, pki.holder(name), physician.installation)
        for (kind, opposition), number in numbers.items():
            read = person.call("GET", f"/prescrit/prescriptions/{number}")
            execute = person.call("PUT", f"/prescrit/prescriptions/{number}/executions/{uuid.uuid4().hex}",
                                  {"lines": [{"line": 1, "done": False, "reason": "patient absent"}]})
            for operation, response in (("read", read), ("execute", execute)):
                outcomes[name, kind, operation, opposition] = response.status_code
                if response.status_code == 403:
                    refusals += 1
                    assert response.json()["error"] == "kind_not_carried_out"
                    assert "votre profession ne l'exécute pas" in response.json()["message"]
            if kind in allowed:
                assert read.json()["kind"] == kind and read.json()["lines"], (name, kind)
                assert execute.json()["executions"][-1]["detail"]["reason"] == "patient absent"
        person.close()
    expected = {(name, kind, operation, opposition): 200 if kind in allowed else 403
                for name, allowed in MAY_EXECUTE.items() for kind in KINDS
                for operation in ("read", "execute") for opposition in (False, True)}
    assert outcomes == expected
    refused = [row for action in ("prescrit_read", "execute") for row in _audit(matrix_base, action)
               if row[2] == "refused:403:kind_not_carried_out"]
    assert len(refused) == refusals == sum(1 for status in expected.values() if status == 403)
    # The prescriber sees that execution started, unless the patient objected.
    for (kind, opposition), number in numbers.items():
        status = physician.call("GET", f"/prescriptions/{number}/status").json()["status"]
        assert status == ("registered" if opposition else "partly_dispensed"), (kind, opposition)
    physician.close()


@on_both_engines
def test_the_pharmacy_route_refuses_other_kinds(matrix_base, pki_dir) -> None:  # type: ignore[no-untyped-def]
    from lap_app.standins.pki import init_pki

    pki = init_pki(pki_dir)
    physician = insider(matrix_base, pki.holder("medecin"), enrol=True)
    biology = physician.prescribe(kind="biologie")
    pharmacist = insider(matrix_base, pki.holder("pharmacien"), physician.installation)
    refused = pharmacist.call("GET", f"/pharmacy/prescriptions/{biology}")
    assert refused.status_code == 403 and "Biologie médicale" in refused.json()["message"]
    assert pharmacist.call("GET", f"/pharmacy/prescriptions/{physician.prescribe()}").status_code == 200
    physician.close()
    pharmacist.close()


def test_each_demo_card_carries_its_profession(pki_dir) -> None:  # type: ignore[no-untyped-def]
    from lap_app.base_client.protocol import kinds_carried_out
    from lap_app.standins.base_server.security import holder_of
    from lap_app.standins.pki import init_pki

    pki = init_pki(pki_dir)
    for name, allowed in MAY_EXECUTE.items():
        holder = holder_of(pki.holder(name).auth_cert)
        assert set(kinds_carried_out(holder.profession, holder.specialty)) == allowed, name
