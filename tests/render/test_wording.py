"""French wording on the ordonnance: dates, ages, identifiers, mentions."""

from __future__ import annotations

from datetime import date

import pytest

from lap_app.domain.model import Quantity
from lap_app.render.wording import (
    age_text,
    format_ins,
    line_details,
    long_date,
    place_and_date,
    quantity_text,
    renewal_text,
)

import render_samples as samples


@pytest.mark.parametrize(
    ("birth", "on", "expected"),
    [
        (date(2026, 11, 10), date(2026, 11, 25), "15 jours"),
        (date(2026, 11, 24), date(2026, 11, 25), "1 jour"),
        (date(2026, 2, 25), date(2026, 11, 25), "9 mois"),
        (date(2025, 8, 2), date(2026, 11, 25), "15 mois"),
        (date(2024, 11, 26), date(2026, 11, 25), "23 mois"),
        (date(2023, 7, 25), date(2026, 11, 25), "3 ans 4 mois"),
        (date(2021, 11, 25), date(2026, 11, 25), "5 ans"),
        (date(2019, 1, 1), date(2026, 11, 25), "7 ans"),
        (date(1958, 3, 14), date(2026, 11, 25), "68 ans"),
        (date(1957, 11, 26), date(2026, 11, 25), "68 ans"),
    ],
)
def test_age(birth, on, expected):
    assert age_text(birth, on) == expected


def test_dates_in_french():
    assert long_date(date(2026, 12, 1)) == "1er décembre 2026"
    assert long_date(date(2026, 8, 15)) == "15 août 2026"
    assert place_and_date(samples.ordonnance()) == "Paris, le 25 novembre 2026"
    nowhere = samples.prescriber()
    nowhere.address = None
    assert place_and_date(samples.ordonnance(prescriber=nowhere)) == "Le 25 novembre 2026"


def test_ins_grouping_including_corsica():
    assert format_ins("158037505612321") == "1 58 03 75 056 123 21"
    assert format_ins("2690599123456") == "2690599123456"  # incomplete: printed as is
    assert format_ins("16003") == "16003"
    assert format_ins("18502B01234578") == "18502B01234578"
    assert format_ins("185022B01234578") == "1 85 02 2B 012 345 78"


def test_mentions():
    assert renewal_text(0) == "Non renouvelable"
    assert renewal_text(1) == "À renouveler 1 fois"
    assert renewal_text(2) == "À renouveler 2 fois"
    assert quantity_text(Quantity(1, "mois", "mo")) == "1 mois"
    assert quantity_text(Quantity(2, "semaine", "wk")) == "2 semaines"
    assert quantity_text(Quantity(1.5, "flacon")) == "1,5 flacon"
    # the same agreement as the posology sentence ("pendant 1,5 jour"): plural from 2 on
    assert quantity_text(Quantity(1.5, "jours", "d")) == "1,5 jour"
    assert quantity_text(Quantity(0.5, "jour", "d")) == "0,5 jour"
    assert line_details(samples.metformin()) == "Durée de traitement : 90 jours · Non renouvelable"
    assert line_details(samples.paracetamol()) == "Quantité : 1 boîte · Non renouvelable"
