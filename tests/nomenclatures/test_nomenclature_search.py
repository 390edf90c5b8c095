"""Forgiving search: what GPs type finds the code first; closed codes are found, never prescribed."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from lap_app.demo.kind_samples import fill_with_sample_lines
from lap_app.domain.care import BiologyLine
from lap_app.domain.care_validation import CodeState
from lap_app.domain.errors import Problem
from lap_app.domain.kinds import OrdonnanceKind
from lap_app.domain.validation import validate_ordonnance
from lap_app.nomenclatures import NomenclatureDatabase
from lap_app.nomenclatures.abbreviations import load_abbreviations

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "domain"))
from domain_samples import make_ordonnance


@pytest.mark.parametrize(
    ("nomenclature", "query", "first_code"),
    [
        ("biologie", "NFS", "1104"),
        ("biologie", "nfs", "1104"),
        ("biologie", "TSH", "1208"),
        ("biologie", "HbA1c", "1577"),
        ("biologie", "hba1", "1577"),
        ("biologie", "INR", "0127"),
        ("biologie", "CRP", "1804"),
        ("biologie", "ECBU", "5201"),
        ("biologie", "EAL", "0996"),
        ("biologie", "glycémie à jeun", "0552"),
        ("biologie", "glycemie a jeun", "0552"),
        ("biologie", "ionogramme", "1610"),
        ("biologie", "créatininémie", "0592"),
        ("biologie", "creatininemie", "0592"),
        ("biologie", "hémogramme", "1104"),
        ("biologie", "HEMOGRAMME", "1104"),
        ("biologie", "glucose", "0552"),  # the plain label before « GLUCOSE-6-PHOSPHATE… »
        ("biologie", "troponi", "7335"),  # a prefix
        ("biologie", "552", "0552"),  # a code without its leading zero
        ("biologie", "0552", "0552"),
        ("dispositifs", "bandelettes", "1136894"),
        ("dispositifs", "lecteur de glycémie", "1101720"),
        ("dispositifs", "lecteur de glycemie", "1101720"),
        ("dispositifs", "1101720", "1101720"),
        ("dispositifs", "fauteuil roul", "4113920"),
    ],
)
def test_what_gps_type_comes_first(
    nomenclatures: NomenclatureDatabase, nomenclature: str, query: str, first_code: str
) -> None:
    assert nomenclatures.search(nomenclature, query, limit=10)[0].code == first_code


def test_bas_de_contention_offers_vascular_contention(nomenclatures: NomenclatureDatabase) -> None:
    results = nomenclatures.search("dispositifs", "bas de contention", limit=10)
    assert len(results) == 10
    assert all("CONTENTION" in r.label or "COMPRESSION" in r.label for r in results)


def test_every_abbreviation_points_at_an_open_code(nomenclatures: NomenclatureDatabase) -> None:
    entries = load_abbreviations()
    required = {"nfs", "tsh", "hba1c", "inr", "crp", "ecbu", "eal", "glycemie a jeun", "ionogramme",
                "creatininemie", "bandelettes", "bas de contention", "lecteur de glycemie"}
    assert required <= {e.key for e in entries}
    for entry in entries:
        assert entry.source, entry.term
        for code in entry.codes:
            found = nomenclatures.get(entry.nomenclature, code)
            assert found is not None and not found.closed, (entry.term, code)


def test_results_are_limited_and_unique(nomenclatures: NomenclatureDatabase) -> None:
    results = nomenclatures.search("dispositifs", "a", limit=7)
    assert len(results) == 7 and len({r.code for r in results}) == 7
    assert nomenclatures.search("biologie", "zzzzqqq") == []
    assert nomenclatures.search("biologie", '"*(') == []  # FTS syntax typed by accident


def test_a_closed_code_is_found_but_refused(nomenclatures: NomenclatureDatabase) -> None:
    results = nomenclatures.search("biologie", "spirochetes rech", limit=5)
    closed = next(r for r in results if r.code == "0246")
    assert closed.closed and closed.closed_on == date(2014, 9, 4)
    status = nomenclatures.code_status("NABM", "0246")
    assert status.state is CodeState.CLOSED
    o = fill_with_sample_lines(make_ordonnance(), OrdonnanceKind.BIOLOGIE)
    o.analyses.append(BiologyLine("0246", closed.label))
    o.analyses.append(BiologyLine("9876", "INVENTÉ"))
    problems = [p for p in validate_ordonnance(o, catalogue=nomenclatures) if p.is_error]
    assert problems == [
        Problem("analyses[6].code", "code NABM 0246 fermé depuis le 04/09/2014 : il ne peut plus être prescrit"),
        Problem("analyses[7].code", "code NABM 9876 absent de la nomenclature"),
    ]


@pytest.mark.parametrize("kind", [OrdonnanceKind.MEDICAMENTS, OrdonnanceKind.DISPOSITIFS, OrdonnanceKind.BIOLOGIE])
def test_sample_ordonnances_use_real_open_codes(nomenclatures: NomenclatureDatabase, kind: OrdonnanceKind) -> None:
    o = fill_with_sample_lines(make_ordonnance(), kind)
    assert validate_ordonnance(o, catalogue=nomenclatures) == []


def _cli(*args: str, db: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "lap_app", "nomenclature", "--db", str(db), *args],
                          capture_output=True, text=True, timeout=120)


def test_cli_search_prints_json_best_first(nomenclature_db_path: Path) -> None:
    done = _cli("search", "biologie", "NFS", "--limit", "3", "--json", db=nomenclature_db_path)
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout)
    assert found[0] == {"code": "1104", "label": "HEMOGRAMME Y COMPRIS PLAQUETTES (NFS , NFP)", "closed": False}
    assert len(found) <= 3
    done = _cli("search", "biologie", "spirochetes", "rech", db=nomenclature_db_path)
    assert "0246  SPIROCHETES" in done.stdout and "fermé le 04/09/2014 : ne peut plus être prescrit" in done.stdout
    done = _cli("search", "dispositifs", "bandelettes", "--json", db=nomenclature_db_path)
    assert json.loads(done.stdout)[0]["code"] == "1136894"


def test_cli_refuses_a_bad_limit_in_french(nomenclature_db_path: Path) -> None:
    done = _cli("search", "biologie", "NFS", "--limit", "0", db=nomenclature_db_path)
    assert done.returncode != 0 and "--limit doit être un entier positif" in done.stderr
    assert "Traceback" not in done.stderr
