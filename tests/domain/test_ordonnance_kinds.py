"""Every kind of ordonnance: its lines, their French wording, and what validation refuses."""

from __future__ import annotations

from datetime import date

import pytest

from lap_app.demo.kind_samples import fill_with_sample_lines
from lap_app.domain.care import ActLine, BiologyLine, DeviceLine, DeviceSupply, NursingLine, SessionLine
from lap_app.domain.care_text import analysis_wording, device_wording, nursing_sentence, session_sentence
from lap_app.domain.care_validation import (
    CodeState,
    CodeStatus,
    registration_problems,
)
from lap_app.domain.errors import Problem, Severity, ValidationError
from lap_app.domain.kinds import OrdonnanceKind
from lap_app.domain.model import Ordonnance, Zone
from lap_app.domain.validation import check_ordonnance, validate_ordonnance

from domain_samples import make_ordonnance


def kind_ordonnance(kind: OrdonnanceKind) -> Ordonnance:
    return fill_with_sample_lines(make_ordonnance(), kind)


def errors(o: Ordonnance, **kwargs: object) -> list[Problem]:
    return [p for p in validate_ordonnance(o, **kwargs) if p.severity is Severity.ERROR]  # type: ignore[arg-type]


@pytest.mark.parametrize("kind", list(OrdonnanceKind))
def test_every_kind_sample_is_valid(kind: OrdonnanceKind) -> None:
    o = kind_ordonnance(kind)
    assert o.line_count > 0
    assert validate_ordonnance(o, today=date(2026, 11, 25)) == []


def test_paper_only_kinds_are_imaging_and_transport() -> None:
    assert {k for k in OrdonnanceKind if not k.registrable} == {OrdonnanceKind.IMAGERIE, OrdonnanceKind.TRANSPORT}


def test_nursing_sentence_as_the_nurse_reads_it() -> None:
    line = NursingLine("Pansement", times=2, per="d", duration=15, duration_unit="d", at_home=True,
                       sundays_and_holidays=True)
    assert nursing_sentence(line) == (
        "Soins infirmiers à domicile, 2 fois par jour pendant 15 jours, dimanches et jours fériés inclus"
    )
    weekly = NursingLine("Pilulier", times=1, per="wk", duration=3, duration_unit="mo")
    assert nursing_sentence(weekly) == "Soins infirmiers, 1 fois par semaine pendant 3 mois"


def test_session_sentence_as_the_physiotherapist_reads_it() -> None:
    line = SessionLine("Rééducation du rachis lombaire", sessions=10, at_home=True)
    assert session_sentence(line) == "10 séances de rééducation du rachis lombaire, à domicile"
    line = SessionLine("orthoptie", sessions=1, rhythm=2, urgent=True)
    assert session_sentence(line) == "1 séance d'orthoptie, 2 séances par semaine, urgent"


def test_biology_wording_gives_the_lab_every_option() -> None:
    inr = BiologyLine("0127", "INR", at_home=True, every=1, every_unit="wk", repeat_duration=3,
                      repeat_duration_unit="mo", note="AVK")
    assert analysis_wording(inr).text() == (
        "INR (NABM 0127) — À domicile, 1 fois par semaine pendant 3 mois, renseignements cliniques : AVK"
    )
    twice = BiologyLine("0552", "GLUCOSE", fasting=True, urgent=True, repeat_count=2)
    assert analysis_wording(twice).detail == "À jeun, urgent, à réaliser 2 fois"


def test_device_wording_says_purchase_or_rental() -> None:
    rental = DeviceLine("1101720", "LECTEUR", supply=DeviceSupply.RENTAL, quantity=2, duration=1,
                        duration_unit="mo", renewals=2)
    assert device_wording(rental).text() == (
        "LECTEUR (LPP 1101720) — Location, quantité : 2, pendant 1 mois, à renouveler 2 fois"
    )


@pytest.mark.parametrize(
    ("kind", "family", "line", "path", "message"),
    [
        (OrdonnanceKind.KINESITHERAPIE, "sessions", SessionLine("Rééducation du genou"),
         "sessions[0].sessions", "nombre de séances manquant"),
        (OrdonnanceKind.ORTHOPHONIE, "sessions", SessionLine("", sessions=3),
         "sessions[0].care", "soins demandés manquants (rééducation de…)"),
        (OrdonnanceKind.SOINS_INFIRMIERS, "nursing", NursingLine("Injection", times=1, duration=None),
         "nursing[0].duration", "durée des soins infirmiers manquante"),
        (OrdonnanceKind.SOINS_INFIRMIERS, "nursing", NursingLine("Injection", times=None, duration=5),
         "nursing[0].times", "fréquence des soins manquante (nombre de fois par jour ou par semaine)"),
        (OrdonnanceKind.SOINS_INFIRMIERS, "nursing", NursingLine("Injection", per="mo", duration=5),
         "nursing[0].per", "fréquence des soins : par jour ou par semaine"),
        (OrdonnanceKind.BIOLOGIE, "analyses", BiologyLine("127", "INR"),
         "analyses[0].code", "code NABM invalide : 4 chiffres attendus"),
        (OrdonnanceKind.BIOLOGIE, "analyses", BiologyLine("0127", " "),
         "analyses[0].label", "libellé de l'analyse manquant"),
        (OrdonnanceKind.BIOLOGIE, "analyses", BiologyLine("0127", "INR", every=1),
         "analyses[0].every_unit", "unité de l'intervalle entre deux analyses manquante"),
        (OrdonnanceKind.BIOLOGIE, "analyses", BiologyLine("0127", "INR", repeat_duration=3, repeat_duration_unit="mo"),
         "analyses[0].every", "une durée de répétition demande un intervalle (toutes les semaines…)"),
        (OrdonnanceKind.DISPOSITIFS, "devices", DeviceLine("110172", "LECTEUR"),
         "devices[0].code", "code LPP invalide : 7 chiffres attendus"),
        (OrdonnanceKind.DISPOSITIFS, "devices", DeviceLine("1101720", "LECTEUR", supply=DeviceSupply.RENTAL),
         "devices[0].duration", "durée de location manquante"),
        (OrdonnanceKind.DISPOSITIFS, "devices", DeviceLine("1101720", "LECTEUR", quantity=0),
         "devices[0].quantity", "quantité : entier positif attendu"),
        (OrdonnanceKind.IMAGERIE, "acts", ActLine("  "), "acts[0].text", "acte prescrit manquant"),
    ],
)
def test_each_missing_mention_is_named_with_its_path(
    kind: OrdonnanceKind, family: str, line: object, path: str, message: str
) -> None:
    o = kind_ordonnance(kind)
    getattr(o, family)[:] = [line]
    assert Problem(path, message) in errors(o)
    with pytest.raises(ValidationError) as raised:
        check_ordonnance(o)
    assert f"{path} : {message}" in raised.value.message


def test_a_line_of_another_kind_is_refused() -> None:
    o = kind_ordonnance(OrdonnanceKind.SOINS_INFIRMIERS)
    o.analyses = [BiologyLine("1104", "HEMOGRAMME")]
    assert errors(o) == [
        Problem("analyses[0]", "une analyse de biologie n'a pas sa place sur une ordonnance « Soins infirmiers »")
    ]


def test_medicines_ordonnance_may_carry_devices_but_not_biology() -> None:
    o = kind_ordonnance(OrdonnanceKind.MEDICAMENTS)
    assert o.devices and errors(o) == []
    o.analyses = [BiologyLine("1104", "HEMOGRAMME")]
    assert [p.path for p in errors(o)] == ["analyses[0]"]


def test_empty_ordonnance_of_any_kind_is_refused() -> None:
    o = kind_ordonnance(OrdonnanceKind.BIOLOGIE)
    o.analyses = []
    assert Problem("lines", "l'ordonnance ne comporte aucune ligne de prescription") in errors(o)


def test_imaging_cannot_be_sent_to_the_base_nor_carry_a_number() -> None:
    o = kind_ordonnance(OrdonnanceKind.IMAGERIE)
    assert o.number is None and not o.registrable
    [problem] = registration_problems(o)
    assert problem.path == "kind" and "ne porte ni numéro ni QR code" in problem.message
    o.number = "2026112500004292"
    assert Problem("number", "une ordonnance « Imagerie médicale » ne porte pas de numéro") in errors(o)
    assert registration_problems(kind_ordonnance(OrdonnanceKind.BIOLOGIE)) == []


class FakeCatalogue:
    """A two-code nomenclature: 1104 open, 0246 closed on 4 Sep 2014."""

    def code_status(self, nomenclature: str, code: str) -> CodeStatus:
        if nomenclature == "NABM" and code == "1104":
            return CodeStatus(CodeState.OPEN, "HEMOGRAMME")
        if nomenclature == "NABM" and code == "0246":
            return CodeStatus(CodeState.CLOSED, "SPIROCHETES", date(2014, 9, 4))
        return CodeStatus(CodeState.UNKNOWN)


def test_unknown_and_closed_codes_are_refused_with_a_french_message() -> None:
    o = kind_ordonnance(OrdonnanceKind.BIOLOGIE)
    o.analyses = [BiologyLine("1104", "HEMOGRAMME"), BiologyLine("0246", "SPIRO"), BiologyLine("9998", "?")]
    assert errors(o, catalogue=FakeCatalogue()) == [
        Problem("analyses[1].code", "code NABM 0246 fermé depuis le 04/09/2014 : il ne peut plus être prescrit"),
        Problem("analyses[2].code", "code NABM 9998 absent de la nomenclature"),
    ]


def test_bizone_whenever_a_line_of_any_kind_is_in_the_ald_zone() -> None:
    o = kind_ordonnance(OrdonnanceKind.KINESITHERAPIE)
    assert not o.is_bizone
    o.sessions[0].zone = Zone.ALD
    assert o.is_bizone and o.entries_in(Zone.ALD) == [o.sessions[0]]
