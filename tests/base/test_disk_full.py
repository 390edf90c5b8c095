"""Disk full on each side, on a small file system made by the test.

Client side: ``prescribe`` with a little room left on the data and output disk either does it
all (registered, PDF written) or nothing (not registered, « place insuffisante »): never a
registered ordonnance without its PDF. Base side: the base's own disk full answers 507, the
ordonnances wait in the outbox and are registered once room is made. Counted: lost 0,
duplicated 0.

SQLite only: the full disk is the one under the SQLite files (a practice server's own disk is
PostgreSQL's; the server lost in the middle of a validation is in tests/practice_store).
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from small_disk import empty_fillers, fill_leaving, small_filesystem

from circuit_support import EXAMPLE_BUNDLE, card_in_hand, cli_env, pdf_text, run_cli, running_base, with_drug_base

pytestmark = pytest.mark.slow
CARD = ["--virtual", "--pki"]


def _base_numbers(base) -> list[str]:
    with sqlite3.connect(base.data_dir / "base.sqlite3") as db:
        return [row[0] for row in db.execute("SELECT number FROM prescriptions")]


def _local_numbers(data_dir: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(data_dir / "lap.sqlite3") as db:
        return db.execute("SELECT number, status FROM ordonnances WHERE number IS NOT NULL").fetchall()


def test_client_disk_full_registers_all_or_nothing(tmp_path, pki_dir):
    card = [*CARD, str(pki_dir), "--pin-stdin"]
    with small_filesystem(tmp_path / "disk", 12 * 1024) as disk, running_base(tmp_path / "base", pki_dir) as base:
        # the 90 MB drug base stays off the small disk (a link): the store and the PDFs are on it
        cli_env(tmp_path / "drugs", tmp_path / "config")
        (disk / "data").mkdir()
        (disk / "data" / "drugs.sqlite3").symlink_to(tmp_path / "drugs" / "drugs.sqlite3")
        env = cli_env(disk / "data", tmp_path / "config", base)
        assert run_cli(["enrol", *card], env).returncode == 0
        first = run_cli(["prescribe", str(EXAMPLE_BUNDLE), "-o", str(disk / "first.pdf"), "--json", *card], env)
        assert first.returncode == 0, first.stderr
        outcomes = []
        for index, free in enumerate([40_000, 80_000, 160_000, 600_000, 1_500_000, 2_300_000, 3_000_000]):
            fill_leaving(disk, free)
            before = set(_base_numbers(base))
            output = disk / f"o{index}.pdf"
            run = run_cli(["prescribe", str(EXAMPLE_BUNDLE), "-o", str(output), "--json", *card], env)
            added = set(_base_numbers(base)) - before
            assert "Traceback" not in run.stderr
            if run.returncode == 0:
                number = json.loads(run.stdout)["number"]
                assert json.loads(run.stdout)["status"] == "registered" and added == {number}
                assert number in " ".join(pdf_text(output.read_bytes()).split()).replace(" ", "")
                outcomes.append("done")
            else:  # nothing signed, nothing sent: a second try makes no second ordonnance
                assert added == set(), run.stderr
                assert "Place insuffisante" in run.stderr or "Disque plein" in run.stderr, run.stderr
                assert not output.exists()
                outcomes.append("refused")
            empty_fillers(disk)
        flushed = run_cli(["outbox", "--flush", "--json", *card], env)
        assert flushed.returncode == 0, flushed.stderr
        local = _local_numbers(disk / "data")
        server = _base_numbers(base)
    lost = len({n for n, _s in local} - set(server))
    duplicated = len(server) - len(set(server)) + len(set(server) - {n for n, _s in local})
    print(f"\nclient disk full: {outcomes}, registered {len(server)}, lost {lost}, duplicated {duplicated}")
    assert "done" in outcomes and "refused" in outcomes  # both sides of the limit were met
    assert {s for _n, s in local} == {"registered"} and lost == 0 and duplicated == 0


def test_base_disk_full_keeps_the_ordonnances_waiting(tmp_path, pki_dir, monkeypatch):
    from lap_app.fhir import from_bundle
    from lap_app.services.base_connection import base_endpoint, open_client
    from lap_app.services.card_session import ensure_token
    from lap_app.services.enrolment import enrol
    from lap_app.services.outbox import flush_outbox
    from lap_app.services.prescribing import prescribe
    from lap_app.storage import LocalStore

    with_drug_base(tmp_path / "data")  # the prescriptions' checks read it (the base's disk is the full one)
    monkeypatch.setenv("LAP_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("LAP_DATA_DIR", str(tmp_path / "data"))
    draft = json.loads(EXAMPLE_BUNDLE.read_text(encoding="utf-8"))
    store = LocalStore(tmp_path / "data" / "lap.sqlite3")
    with small_filesystem(tmp_path / "base-disk", 6 * 1024) as disk, running_base(disk / "base", pki_dir) as base:
        endpoint = base_endpoint(base.url, base.ca)
        with card_in_hand("medecin", pki_dir) as card:
            enrol(endpoint, card)
        with card_in_hand("medecin", pki_dir) as card, open_client(endpoint, retries=1, backoff=0.01) as client:
            assert prescribe(from_bundle(draft), card=card, client=client, store=store).status == "registered"
            ensure_token(card, client)
            fill_leaving(disk, 0)
            outcomes = [prescribe(from_bundle(draft), card=card, client=client, store=store) for _ in range(6)]
            statuses = [str(getattr(o.status, "value", o.status)) for o in outcomes]
            messages = {o.message for o in outcomes if o.status == "waiting"}
            waiting = [e.number for e in store.outbox()]
            empty_fillers(disk)
            report = flush_outbox(store, client)
        server = _base_numbers(base)
    local = [(o.number, o.status) for o in store.list(limit=1000) if o.number]
    store.close()
    lost = len({n for n, _s in local} - set(server))
    duplicated = len(server) - len(set(server)) + len(set(server) - {n for n, _s in local})
    print(f"\nbase disk full: {statuses}, waiting {len(waiting)}, flushed {len(report.registered)}, "
          f"lost {lost}, duplicated {duplicated}")
    assert "rejected" not in statuses and "waiting" in statuses
    assert any("manque d'espace disque de son côté" in (m or "") for m in messages), messages
    assert report.error is None and sorted(report.registered) == sorted(waiting)
    assert {s for _n, s in local} == {"registered"} and lost == 0 and duplicated == 0


def test_a_full_disk_is_called_a_full_disk_not_a_rights_problem(tmp_path):
    """The store cannot be created on a full disk: « Disque plein », not « vérifiez les droits »."""
    from circuit_support import run_cli as run

    with small_filesystem(tmp_path / "disk", 1024) as disk:
        filler = fill_leaving(disk, 0)
        shown = run(["outbox"], cli_env(disk / "data", tmp_path / "config", fresh=True))
        filler.unlink()  # room made: the store is created normally, not refused as an empty one
        again = run(["outbox"], cli_env(disk / "data", tmp_path / "config", fresh=True))
    assert shown.returncode == 1 and "Traceback" not in shown.stderr
    assert "Disque plein" in shown.stderr or "disque plein" in shown.stderr, shown.stderr
    assert "droits" not in shown.stderr
    assert again.returncode == 0, again.stderr
