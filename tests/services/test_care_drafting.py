"""The other ordonnances of a consultation: templates for every kind, « Renouveler » per
kind, the ordonnances built for validation, closed codes refused when picked."""

from __future__ import annotations

import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "domain"))
from lap_app.demo.kind_samples import fill_with_sample_lines
from lap_app.domain.care import BiologyLine, NursingLine
from lap_app.domain.errors import UserError
from lap_app.domain.kinds import LineFamily, OrdonnanceKind
from lap_app.domain.status import OrdonnanceStatus
from lap_app.domain.validation import validate_ordonnance
from lap_app.services.care_drafting import (
    CareDraft,
    NomenclatureSearch,
    build_ordonnances,
    care_line_from_dict,
    care_line_to_dict,
    renewal_of_kind,
    template_from_lines,
    templates_for,
)
from lap_app.services.care_templates import BUILT_IN_TEMPLATES
from lap_app.services.drafting import last_renewable

from domain_samples import make_ordonnance


def test_the_four_built_in_templates_are_valid_ordonnances() -> None:
    assert [t.label for t in BUILT_IN_TEMPLATES] == [
        "Bilan diabète annuel", "INR hebdomadaire", "Kiné lombalgie 10 séances", "Soins de pansement"]
    for template in BUILT_IN_TEMPLATES:
        o = make_ordonnance()
        o.lines, o.kind = [], template.kind
        o.family(template.kind.families[0]).extend(template.make_lines())
        assert validate_ordonnance(o) == [], template.name
        first, second = template.make_lines(), template.make_lines()
        assert first[0].resource_id != second[0].resource_id  # fresh lines each time


def test_own_templates_for_any_kind_round_trip_their_lines() -> None:
    nursing = [NursingLine("Injection", times=1, per="d", duration=10, at_home=True)]
    template = template_from_lines("Anticoagulant 10 j", OrdonnanceKind.SOINS_INFIRMIERS, nursing)
    assert [t.label for t in templates_for(OrdonnanceKind.SOINS_INFIRMIERS, [template])] == ["Anticoagulant 10 j"]
    (made,) = template.make_lines()
    assert (made.act, made.duration, made.at_home) == ("Injection", 10, True)
    with pytest.raises(UserError, match="aucune ligne"):
        template_from_lines("Vide", OrdonnanceKind.BIOLOGIE, [])
    line = BiologyLine("0127", "INR", every=1, every_unit="wk")
    assert care_line_from_dict(LineFamily.ANALYSES, care_line_to_dict(line)).every_unit == "wk"


def test_renew_takes_the_last_ordonnance_of_the_kind_chosen() -> None:
    biology = fill_with_sample_lines(make_ordonnance(), OrdonnanceKind.BIOLOGIE)
    nursing = fill_with_sample_lines(make_ordonnance(), OrdonnanceKind.SOINS_INFIRMIERS)
    medicines = make_ordonnance()
    history = [SimpleNamespace(status=OrdonnanceStatus.REGISTERED, ordonnance=o) for o in (nursing, biology, medicines)]
    renewed = renewal_of_kind(history, OrdonnanceKind.BIOLOGIE)
    assert [line.code for line in renewed] == [line.code for line in biology.analyses]
    assert renewed[0].resource_id != biology.analyses[0].resource_id
    assert last_renewable(history) is medicines  # the medicines editor still renews medicines
    assert renewal_of_kind(history, OrdonnanceKind.KINESITHERAPIE) == []


def test_one_ordonnance_per_kind_with_lines() -> None:
    draft = CareDraft()
    draft.add(OrdonnanceKind.BIOLOGIE, BiologyLine("1104", "HEMOGRAMME"))
    draft.add(OrdonnanceKind.SOINS_INFIRMIERS, NursingLine("Pansement", duration=5))
    with pytest.raises(UserError, match="n'a pas sa place"):
        draft.add(OrdonnanceKind.KINESITHERAPIE, BiologyLine("1104", "HEMOGRAMME"))
    base = make_ordonnance()
    built = build_ordonnances(draft, base.prescriber, base.patient)
    assert [o.kind for o in built] == [OrdonnanceKind.BIOLOGIE, OrdonnanceKind.SOINS_INFIRMIERS]
    assert built[0].analyses[0].code == "1104" and built[1].nursing[0].act == "Pansement"


def test_a_closed_code_picked_in_the_search_is_refused(tmp_path: Path) -> None:
    from lap_app.nomenclatures import NomenclatureDatabase, build_database

    build_database(tmp_path / "n.sqlite")
    search = NomenclatureSearch(NomenclatureDatabase(tmp_path / "n.sqlite"))
    closed = next(e for e in search.search(OrdonnanceKind.BIOLOGIE, "spirochetes rech") if e.code == "0246")
    with pytest.raises(UserError) as refused:
        search.line_for(OrdonnanceKind.BIOLOGIE, closed)
    assert refused.value.message == "code NABM 0246 fermé depuis le 04/09/2014 : il ne peut plus être prescrit"
    nfs = search.search(OrdonnanceKind.BIOLOGIE, "NFS")[0]
    assert search.line_for(OrdonnanceKind.BIOLOGIE, nfs, urgent=True).urgent
    strips = search.search(OrdonnanceKind.DISPOSITIFS, "bandelettes")[0]
    assert search.line_for(OrdonnanceKind.DISPOSITIFS, strips, quantity=2).quantity == 2
    assert search.search(OrdonnanceKind.SOINS_INFIRMIERS, "NFS") == []


def test_own_care_templates_are_kept_in_the_store(store_location: Path | str) -> None:
    from lap_app.services.drafting import DraftingLibrary
    from lap_app.storage import open_store

    library = DraftingLibrary(open_store(store_location))
    lines = [NursingLine("Injection sous-cutanée", times=1, per="d", duration=10, at_home=True)]
    library.save_care_template("Anticoagulant 10 jours", OrdonnanceKind.SOINS_INFIRMIERS, lines)
    reopened = DraftingLibrary(open_store(store_location))
    (template,) = reopened.care_templates()
    assert (template.label, template.kind) == ("Anticoagulant 10 jours", OrdonnanceKind.SOINS_INFIRMIERS)
    (line,) = template.make_lines()
    assert (line.act, line.duration, line.at_home) == ("Injection sous-cutanée", 10, True)
    with pytest.raises(UserError, match="Donnez un nom"):
        reopened.save_care_template("  ", OrdonnanceKind.SOINS_INFIRMIERS, lines)
