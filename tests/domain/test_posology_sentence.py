"""Structured posology → the French sentence the patient reads (table-driven)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lap_app.domain.posology import Posology
from lap_app.domain.posology_text import format_number, render_sentence, unit_word

P = Posology

CASES = [
    # plain sentences: no comma before the duration
    (P(1, "comprimé", ["MORN", "EVE"], duration=7, duration_unit="d"), "1 comprimé matin et soir pendant 7 jours"),
    (P(2, "comprimé", ["MORN", "NOON", "EVE"], duration=1, duration_unit="wk"), "2 comprimés matin, midi et soir pendant 1 semaine"),
    (P(1, "gélule", ["HS"], duration=3, duration_unit="mo"), "1 gélule au coucher pendant 3 mois"),
    (P(1, "gélule", ["MORN"]), "1 gélule le matin"),
    (P(1, "comprimé", ["EVE"], duration=2, duration_unit="wk"), "1 comprimé le soir pendant 2 semaines"),
    (P(1, "comprimé", ["NIGHT"]), "1 comprimé la nuit"),
    (P(0.5, "comprimé", ["MORN"]), "½ comprimé le matin"),
    (P(0.25, "comprimé", ["EVE"]), "¼ comprimé le soir"),
    (P(1.5, "comprimé", ["MORN", "EVE"]), "1,5 comprimé matin et soir"),
    (P(2.5, "ml", ["MORN", "EVE"]), "2,5 ml matin et soir"),
    (P(500, "mg", ["MORN", "NOON", "EVE", "HS"]), "500 mg matin, midi, soir et au coucher"),
    (P(10, "UI", ["EVE"]), "10 UI le soir"),
    (P(1, "sachet", frequency=3, period=1, period_unit="d", duration=5, duration_unit="d"), "1 sachet 3 fois par jour pendant 5 jours"),
    (P(2, "sachet", frequency=1, period=1, period_unit="d"), "2 sachets 1 fois par jour"),
    (P(1, "comprimé", frequency=1, period=8, period_unit="h"), "1 comprimé toutes les 8 heures"),
    (P(1, "suppositoire", frequency=1, period=2, period_unit="d"), "1 suppositoire tous les 2 jours"),
    (P(1, "ampoule", frequency=1, period=1, period_unit="wk", duration=1, duration_unit="a"), "1 ampoule 1 fois par semaine pendant 1 an"),
    (P(1, "application", frequency=2, period=1, period_unit="d", duration=10, duration_unit="d"), "1 application 2 fois par jour pendant 10 jours"),
    (P(3, "application", frequency=2, period=1, period_unit="d"), "3 applications 2 fois par jour"),
    (P(1, "dose", frequency=2, period=1, period_unit="wk"), "1 dose 2 fois par semaine"),
    (P(1, "cuillère à café", ["MORN", "EVE"]), "1 cuillère à café matin et soir"),
    (P(2, "cuillère à café", ["MORN", "EVE"]), "2 cuillères à café matin et soir"),
    (P(1, "comprimé", duration=1, duration_unit="d"), "1 comprimé pendant 1 jour"),
    (P(1, "gélule", frequency=1, period=12, period_unit="h", duration=2, duration_unit="a"), "1 gélule toutes les 12 heures pendant 2 ans"),
    (P(5, "ml", frequency=1, period=30, period_unit="min"), "5 ml toutes les 30 minutes"),
    (P(1, "comprimé", frequency=2, period=3, period_unit="d"), "1 comprimé 2 fois tous les 3 jours"),
    (P(1, "patch", frequency=1, period=1, period_unit="h"), "1 patch toutes les heures"),
    # meal relations
    (P(1, "comprimé", ["CM", "CV"], 2, 1, "d", duration=3, duration_unit="mo"), "1 comprimé matin et soir, au cours des repas, pendant 3 mois"),
    (P(1, "comprimé", ["ACM"], 1, 1, "d", duration=1, duration_unit="mo"), "1 comprimé le matin à jeun, pendant 1 mois"),
    (P(1, "comprimé", ["ACM"]), "1 comprimé le matin à jeun"),
    (P(1, "comprimé", ["CM", "CD", "CV"]), "1 comprimé matin, midi et soir, au cours des repas"),
    (P(1, "comprimé", ["CD"]), "1 comprimé le midi, au cours du repas"),
    (P(20, "goutte", ["AC"], frequency=3, period=1, period_unit="d"), "20 gouttes 3 fois par jour, avant les repas"),
    (P(1, "sachet", ["PC"], frequency=3, period=1, period_unit="d", duration=7, duration_unit="d"), "1 sachet 3 fois par jour, après les repas, pendant 7 jours"),
    (P(1, "comprimé", ["ACM", "CV"]), "1 comprimé le matin à jeun et le soir au cours du repas"),
    (P(1, "comprimé", ["MORN", "PCV"], duration=5, duration_unit="d"), "1 comprimé le matin et le soir après le repas, pendant 5 jours"),
    (P(max_dose=4, max_period=1, max_period_unit="d", dose_unit="g"), "4 g par jour au maximum"),
    # as needed, maximum, interval
    (P(1, "comprimé", as_needed=True, as_needed_reason="douleur"), "1 comprimé si douleur"),
    (P(1, "comprimé", as_needed=True, as_needed_reason="fièvre", duration=3, duration_unit="d"), "1 comprimé si fièvre, pendant 3 jours"),
    (P(2, "bouffée", as_needed=True), "2 bouffées si besoin"),
    (
        P(1, "comprimé", as_needed=True, as_needed_reason="douleur", max_dose=3, max_period=1, max_period_unit="d", min_interval_hours=6),
        "1 comprimé si douleur, 3 comprimés par jour au maximum, en respectant 6 heures entre deux prises",
    ),
    (
        P(1, "comprimé", as_needed=True, as_needed_reason="douleur", max_dose=1, max_period=24, max_period_unit="h"),
        "1 comprimé si douleur, 1 comprimé par 24 heures au maximum",
    ),
    (P(1, "sachet", as_needed=True, min_interval_hours=1), "1 sachet si besoin, en respectant 1 heure entre deux prises"),
    (
        P(1, "comprimé", frequency=1, period=8, period_unit="h", as_needed=True, as_needed_reason="fièvre", max_dose=4, max_period=1, max_period_unit="d"),
        "1 comprimé toutes les 8 heures si fièvre, 4 comprimés par jour au maximum",
    ),
]


@pytest.mark.parametrize(("posology", "sentence"), CASES, ids=[c[1] for c in CASES])
def test_sentence(posology: Posology, sentence: str) -> None:
    assert render_sentence(posology) == sentence


def test_example_bundle_lines_are_rendered_from_their_structure(example_bundle_path: Path) -> None:
    """The metformin and Levothyrox lines: structure → exactly the signed text."""
    bundle = json.loads(example_bundle_path.read_text(encoding="utf-8"))
    requests = [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "MedicationRequest"]
    checked = 0
    for request in requests[:2]:
        dosage = request["dosageInstruction"][0]
        repeat = dosage["timing"]["repeat"]
        posology = Posology(
            dose=dosage["doseAndRate"][0]["doseQuantity"]["value"],
            dose_unit=dosage["doseAndRate"][0]["doseQuantity"]["unit"],
            when=repeat["when"],
            frequency=repeat["frequency"],
            period=repeat["period"],
            period_unit=repeat["periodUnit"],
            duration=repeat["boundsDuration"]["value"],
            duration_unit=repeat["boundsDuration"]["code"],
        )
        assert render_sentence(posology) == dosage["text"]
        checked += 1
    assert checked == 2


def test_signed_text_wins_over_the_rendering() -> None:
    posology = P(1, "comprimé", ["MORN"], text="1 comprimé le matin, à avaler sans croquer")
    assert posology.sentence() == "1 comprimé le matin, à avaler sans croquer"
    posology.text = None
    assert posology.sentence() == "1 comprimé le matin"


@pytest.mark.parametrize(
    ("value", "text"), [(1, "1"), (2.0, "2"), (0.5, "½"), (0.75, "¾"), (1.25, "1,25"), (0.1, "0,1"), (1 / 3, "0,333")]
)
def test_french_numbers(value: float, text: str) -> None:
    assert format_number(value) == text


@pytest.mark.parametrize(
    ("unit", "value", "word"),
    [("comprimé", 1.5, "comprimé"), ("comprimé", 2, "comprimés"), ("mg", 500, "mg"), ("UI", 8, "UI"),
     ("ml", 5, "ml"), ("ovule", 3, "ovules"), ("comprimé effervescent", 2, "comprimés effervescents"),
     ("cuillère à soupe", 2, "cuillères à soupe"), ("dose-poids", 2, "dose-poids"), ("patch", 2, "patchs"), ("suppositoire", 2, "suppositoires")],
)
def test_units_agree_with_the_number(unit: str, value: float, word: str) -> None:
    assert unit_word(unit, value) == word


@pytest.mark.parametrize(("posology", "path", "fragment"), [
    (Posology(when=["MORN"]), "posology", "dose par prise"),
    (Posology(dose=1, when=["MORN"]), "posology.dose_unit", "unité de la dose"),
    (Posology(dose=1, dose_unit="comprimé", frequency=0, period=1, period_unit="d"), "posology.frequency",
     "nombre de prises"),
    (Posology(dose=float("nan"), dose_unit="comprimé"), "posology.dose", "dose"),
    (Posology(dose=1, dose_unit="comprimé", duration=7, duration_unit="an"), "posology.duration_unit",
     "unité de temps inconnue"),
    (Posology(dose=1, dose_unit="comprimé", as_needed=True, max_dose=3), "posology.max_period_unit",
     "période de la dose maximale"),
])
def test_a_posology_that_cannot_be_phrased_says_why(posology, path, fragment):
    from lap_app.domain.errors import UserError
    from lap_app.domain.posology_rules import IncompletePosology

    with pytest.raises(IncompletePosology) as incomplete:
        posology.sentence()
    assert isinstance(incomplete.value, UserError)  # a caller shows it as is, in French
    assert [p.path for p in incomplete.value.problems] == [path]
    assert fragment in incomplete.value.message and incomplete.value.message.startswith("Posologie incomplète")


def test_warnings_do_not_stop_the_sentence_and_a_signed_text_is_kept_as_is():
    assert Posology(dose=1, dose_unit="comprimé").sentence() == "1 comprimé"  # no rhythm: a warning only
    assert Posology(text="selon protocole joint").sentence() == "selon protocole joint"
