"""Text helpers shared by the importer, the search and the interaction mapping.

BDPM names are upper case with accents ("PARACÉTAMOL"), the ANSM thesaurus mixes cases,
a physician types "paracetamol": every comparison goes through ``fold``.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_NON_ALNUM = re.compile(r"[^0-9A-Z]+")
_SPACES = re.compile(r"\s+")
_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "`": "'", "\u00a0": " "})


# The combining accents of Latin text, removed in one pass (the import folds ~15 000 names);
# whatever else is left that is not ASCII goes through the character-by-character rule.
_LATIN_MARKS = re.compile(
    "[" + "".join(chr(cp) for cp in range(0x300, 0x370) if unicodedata.combining(chr(cp))) + "]+")


def strip_accents(text: str) -> str:
    if text.isascii():
        return text
    decomposed = _LATIN_MARKS.sub("", unicodedata.normalize("NFKD", text))
    if decomposed.isascii():
        return decomposed
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@lru_cache(maxsize=65_536)  # the import folds the same substance and form names again and again
def fold(text: str) -> str:
    """Upper case, no accents, one space between words: the comparison key of a name."""
    text = strip_accents(text.translate(_APOSTROPHES)).upper()
    return _SPACES.sub(" ", text).strip()


@lru_cache(maxsize=65_536)  # the interaction check folds the same thesaurus labels on every pair
def fold_words(text: str) -> str:
    """Like ``fold`` but punctuation becomes spaces: "ACIDE (ACÉTYL-SALICYLIQUE)" → words."""
    return _NON_ALNUM.sub(" ", fold(text)).strip()


def query_tokens(text: str) -> list[str]:
    """Words of a search query, folded to lower case ASCII (what the FTS5 index holds)."""
    return [t for t in fold_words(text).lower().split(" ") if t]


def first_query_token(text: str) -> str:
    """``query_tokens(text)[0]`` ("" when there is none), without splitting the rest: the drug
    base's build asks it of every name."""
    return fold_words(text).lower().partition(" ")[0]  # stripped: the first word is never empty


def parse_french_decimal(text: str) -> float | None:
    """ "30,29" → 30.29 ; "4,755,52" (thousands comma) → 4755.52 ; "" → None.

    Raises ValueError when the field is present but is not a number.
    """
    if not text:  # a third of the BDPM's price fields
        return None
    text = text.strip().replace(" ", "").replace("\u00a0", "")
    if not text:
        return None
    parts = text.split(",")
    if len(parts) == 1:
        whole, decimals = parts[0], "0"
    else:
        whole, decimals = "".join(parts[:-1]), parts[-1]
    if not whole.isdigit() or not decimals.isdigit():
        raise ValueError(text)
    return round(float(f"{whole}.{decimals}"), 2)


def parse_rate(text: str) -> int | None:
    """ "65%" or "65 %" → 65 ; "" → None. Raises ValueError on anything else."""
    text = text.strip().replace(" ", "")
    if not text:
        return None
    if not text.endswith("%") or not text[:-1].isdigit():
        raise ValueError(text)
    return int(text[:-1])


_DECIMAL_ZEROS = re.compile(r"(\d),(\d*?)0+(?!\d)")


@lru_cache(maxsize=16_384)  # the import tidies the same few thousand strengths 30,000 times
def tidy_strength(strength: str) -> str:
    """ "10,0 mg" → "10 mg", "62,50 mg" → "62,5 mg", "1,00 mg" → "1 mg"."""

    def trim(match: re.Match[str]) -> str:
        return f"{match.group(1)},{match.group(2)}" if match.group(2) else match.group(1)

    return _SPACES.sub(" ", _DECIMAL_ZEROS.sub(trim, strength)).strip()


_GRAMS = re.compile(r"\b(\d+(?:,\d+)?)\s*(mg|g)\b", re.IGNORECASE)


def strength_synonyms(text: str) -> list[str]:
    """Other spellings a physician may type for the strengths in ``text``: 1000 mg ↔ 1 g."""
    extra: list[str] = []
    for number, unit in _GRAMS.findall(text):
        value = float(number.replace(",", "."))
        if unit.lower() == "mg" and value >= 1000 and value % 100 == 0:
            grams = value / 1000
            extra.append(f"{grams:g}".replace(".", ",") + " g")
        elif unit.lower() == "g" and value < 10:
            extra.append(f"{value * 1000:g} mg")
    return extra
