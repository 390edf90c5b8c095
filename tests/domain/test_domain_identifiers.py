"""Check keys of the identifiers: what each scheme guarantees, and what it does not."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lap_app.domain import identifiers as ids
from lap_app.domain.errors import UserError

DIGITS = "0123456789"


def single_digit_errors(number: str, alphabet: str = DIGITS):
    for position, original in enumerate(number):
        if original not in alphabet:
            continue
        for digit in alphabet:
            if digit != original:
                yield number[:position] + digit + number[position + 1 :]


def adjacent_swaps(number: str):
    """(swapped number, the two digits) for every adjacent pair of different characters."""
    for i in range(len(number) - 1):
        a, b = number[i], number[i + 1]
        if a != b:
            yield number[:i] + b + a + number[i + 2 :], a, b


# ---------------------------------------------------------------- prescription number

serials = st.integers(min_value=0, max_value=10**14 - 1)


def test_example_number_is_valid_and_formats_in_four_groups() -> None:
    assert ids.is_valid_prescription_number("2026112500004292")
    assert ids.prescription_number_from_serial("20261125000042") == "2026112500004292"
    assert ids.format_prescription_number("2026112500004292") == "2026 1125 0000 4292"


@pytest.mark.parametrize(
    "typed", ["2026 1125 0000 4292", "2026-1125-0000-4292", " 2026112500004292 ", "2026.1125.0000.4292"]
)
def test_typed_number_is_normalised(typed: str) -> None:
    assert ids.normalize_prescription_number(typed) == "2026112500004292"


@pytest.mark.parametrize(
    ("typed", "words"),
    [
        ("2026 1125 0000 4293", "clé de contrôle"),
        ("2026 1125 0000 429", "16 chiffres (15 saisis)"),
        ("2026 1125 0000 42A2", "que des chiffres"),
        ("", "que des chiffres"),
    ],
)
def test_wrong_typed_number_says_why_in_french(typed: str, words: str) -> None:
    with pytest.raises(UserError) as caught:
        ids.normalize_prescription_number(typed)
    assert words in caught.value.message
    assert caught.value.message[0].isupper()


@given(serials)
def test_number_from_serial_is_valid_and_keeps_the_serial(serial: int) -> None:
    number = ids.prescription_number_from_serial(serial)
    assert len(number) == 16 and number[:14] == f"{serial:014d}"
    assert int(number) % 97 == 1
    assert ids.is_valid_prescription_number(number)


@given(serials)
def test_every_single_digit_error_of_a_number_is_rejected(serial: int) -> None:
    number = ids.prescription_number_from_serial(serial)
    errors = list(single_digit_errors(number))
    assert len(errors) == 16 * 9
    assert not any(ids.is_valid_prescription_number(e) for e in errors)


@given(serials)
def test_every_adjacent_swap_of_a_number_is_rejected(serial: int) -> None:
    number = ids.prescription_number_from_serial(serial)
    assert not any(ids.is_valid_prescription_number(s) for s, _a, _b in adjacent_swaps(number))


# ---------------------------------------------------------------- NIR / INS

nir_bodies = st.builds(
    lambda sex, rest: sex + rest,
    st.sampled_from("12"),
    st.text(DIGITS, min_size=12, max_size=12),
)


def with_key(body: str) -> str:
    return body + f"{ids.nir_key(body):02d}"


def test_known_nir_keys() -> None:
    assert ids.nir_key("2550814168025") == 38  # the classic published example
    assert ids.is_valid_nir("158037505612321")  # the example Bundle's patient
    assert ids.is_valid_nir("1 58 03 75 056 123 21")


def test_corsica_departments_count_as_19_and_18() -> None:
    assert ids.nir_key("185052A123456") == 97 - 1850519123456 % 97
    assert ids.nir_key("185052B123456") == 97 - 1850518123456 % 97
    assert ids.is_valid_nir(with_key("185052A123456"))
    assert ids.is_valid_nir(with_key("185052b123456"))
    # What the scheme does NOT guarantee: "2A" and "19" give the same key, by design.
    assert ids.nir_key("185052A123456") == ids.nir_key("1850519123456")


@pytest.mark.parametrize(
    ("nir", "words"),
    [
        ("15803750561232", "15 caractères"),
        ("1580375056123211", "15 caractères"),
        ("15803750X612321", "caractères invalides"),
        ("958037505612321", "caractères invalides"),
        ("158037505612322", "clé du NIR"),
    ],
)
def test_nir_problems_in_french(nir: str, words: str) -> None:
    assert words in (ids.nir_problem(nir) or "")


@given(nir_bodies)
def test_nir_single_digit_errors_and_adjacent_swaps_are_rejected(body: str) -> None:
    """Guaranteed over all 15 digits: N + key ≡ 0 (mod 97) and 97 is prime > 9·10^k factors;
    a swap across the body/key boundary changes the sum by 9(b − a), never a multiple of 97."""
    nir = with_key(body)
    assert ids.is_valid_nir(nir)
    assert not any(ids.is_valid_nir(e) for e in single_digit_errors(nir))
    assert not any(ids.is_valid_nir(s) for s, _a, _b in adjacent_swaps(nir))


@given(st.text(DIGITS, min_size=6, max_size=6), st.sampled_from(["2A", "2B"]))
def test_corsican_nir_errors_are_rejected(tail: str, department: str) -> None:
    nir = with_key("18505" + department + tail)
    assert ids.is_valid_nir(nir)
    assert not any(ids.is_valid_nir(e) for e in single_digit_errors(nir, DIGITS + "AB"))
    assert not any(ids.is_valid_nir(s) for s, _a, _b in adjacent_swaps(nir))


# ---------------------------------------------------------------- RPPS (Luhn) and national id


@given(st.text(DIGITS, min_size=10, max_size=10))
def test_rpps_luhn_catches_single_errors_and_swaps_except_09(payload: str) -> None:
    rpps = payload + ids.luhn_check_digit(payload)
    assert ids.rpps_key_ok(rpps)
    assert not any(ids.rpps_key_ok(e) for e in single_digit_errors(rpps))
    for swapped, a, b in adjacent_swaps(rpps):
        # Luhn's known blind spot: swapping 0 and 9 keeps the sum.
        assert ids.rpps_key_ok(swapped) == ({a, b} == {"0", "9"})


def test_national_id_parsing() -> None:
    assert ids.parse_national_id("810101234564") == ids.NationalId("RPPS", "10101234564")
    assert ids.parse_national_id("0751234567") == ids.NationalId("ADELI", "751234567")
    assert ids.NationalId("RPPS", "10101234564").value == "810101234564"
    for bad, words in (("81010123456", "11 chiffres"), ("0123", "ADELI"), ("910101234564", r"8 \+ RPPS")):
        with pytest.raises(UserError, match=words):
            ids.parse_national_id(bad)
    assert ids.rpps_key_ok("10101234564") and not ids.rpps_key_ok("10101234565")


# ---------------------------------------------------------------- CIP13 (EAN-13) and CIS


@given(st.text(DIGITS, min_size=8, max_size=8))
def test_cip13_catches_single_errors_and_swaps_unless_digits_differ_by_5(body: str) -> None:
    cip = "3400" + body
    cip += ids.ean13_check_digit(cip)
    assert ids.is_valid_cip13(cip)
    assert not any(ids.is_valid_cip13(e) for e in single_digit_errors(cip))
    for swapped, a, b in adjacent_swaps(cip):
        # EAN-13 weights 1 and 3: a swap changes the sum by 2(a − b), unseen when |a − b| = 5.
        undetected = abs(int(a) - int(b)) == 5 and swapped.startswith("3400")
        assert ids.is_valid_cip13(swapped) == undetected


def test_cip13_and_cis_problems() -> None:
    assert ids.is_valid_cip13("3400930065891")  # the example's Levothyrox box
    assert ids.cip13_problem("3400930065892") == "clé du code CIP13 incorrecte"
    assert ids.cip13_problem("5400930065891") == "le code CIP13 commence par 3400"
    assert ids.cip13_problem("340093006589") == "le code CIP13 compte 13 chiffres"
    assert ids.is_valid_cis("68416845") and not ids.is_valid_cis("6841684") and not ids.is_valid_cis("6841684a")
