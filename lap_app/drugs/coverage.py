"""What the thesaurus mapping coverage should not count: substances with no interaction profile.

The ANSM thesaurus lists a substance only when it has a referenced interaction. Some BDPM
active substances are therefore *correctly* unmapped: homeopathic dilutions, amino acids and
nutrients of parenteral nutrition, electrolytes the thesaurus does not list, inactivated
vaccine antigens, plasma-derived proteins. ``no_profile_reason`` recognises them (each
category checked against the 2020-10 thesaurus: none of its names falls in one), so that
``lap-app drugs coverage`` can report a "mappable" figure beside the raw one.
"""

from __future__ import annotations

import re

from lap_app.drugs.normalize import fold_words
from lap_app.i18n import N_

_AMINO_ACIDS = frozenset(["GLYCINE", "HISTIDINE", "LEUCINE", "ISOLEUCINE", "LYSINE", "PHENYLALANINE", "VALINE", "ALANINE", "ARGININE", "THREONINE", "METHIONINE", "PROLINE", "SERINE", "TYROSINE", "CYSTEINE", "CYSTINE", "GLUTAMINE", "ORNITHINE", "TAURINE", "ASPARAGINE", "CITRULLINE", "ACETYLTYROSINE"]) | {"ACIDE GLUTAMIQUE", "ACIDE ASPARTIQUE", "ACIDE MALIQUE"}
_SALT_WORDS = re.compile(r"\b(?:L|DL|ANHYDRE|MONOHYDRATE|DIHYDRATE|TRIHYDRATE|HYDRATE|CHLORHYDRATE|"
                         r"ACETATE|MALATE|CHLORHYDRATE DE|DE)\b")
_NUTRIENT = re.compile(r"^(?:GLUCOSE|HUILE (?:DE SOJA|D OLIVE)|TRIGLYCERIDES A CHAINE MOYENNE|OXYGENE|"
                       r"EAU POUR PREPARATIONS INJECTABLES|LIPIDES|FRUCTOSE|SACCHAROSE)\b")
# sodium salts of plain anions the thesaurus does not list (it lists the chloride, the
# bicarbonate and the citrate, which are mapped)
_SODIUM_ELECTROLYTE = re.compile(
    r"^(?:(?:S )?(?:ACETATE|LACTATE|GLYCEROPHOSPHATE|PHOSPHATE|HYDROGENOPHOSPHATE|DIHYDROGENOPHOSPHATE|"
    r"SULFATE|HYDROXYDE)\b.*\b(?:SODIUM|SODIQUE|DISODIQUE|MONOSODIQUE)\b"
    r"|SODIUM (?:S )?(?:ACETATE|LACTATE|GLYCEROPHOSPHATE|DIHYDROGENOPHOSPHATE)\b)")
_INACTIVATED_VACCINE = re.compile(r"\b(?:ANATOXINE|ANTIGENE|POLYOSIDE|OLIGOSIDE|HEMAGGLUTININE|INACTIVE)\b")
_LIVE = re.compile(r"\bVIVANTE?S?\b")
_PLASMA_PROTEIN = re.compile(r"^(?:FACTEUR .*DE COAGULATION|ALBUMINE HUMAINE|IMMUNOGLOBULINE HUMAINE|"
                             r"FIBRINOGENE HUMAIN|THROMBINE HUMAINE)")

CATEGORIES = {
    "homeopathy": N_("dilution homéopathique"),
    "amino_acid": N_("acide aminé"),
    "nutrient": N_("nutriment ou soluté"),
    "electrolyte": N_("électrolyte non listé"),
    "vaccine": N_("antigène vaccinal inactivé"),
    "plasma": N_("protéine plasmatique"),
}


def no_profile_reason(bdpm_name: str) -> str | None:
    """The category (key of ``CATEGORIES``) of a substance with no interaction profile, or None."""
    words = fold_words(bdpm_name)
    if "HOMEOPATHIQUE" in words:
        return "homeopathy"
    if " ".join(_SALT_WORDS.sub(" ", words).split()) in _AMINO_ACIDS:
        return "amino_acid"
    if _NUTRIENT.match(words):
        return "nutrient"
    if _SODIUM_ELECTROLYTE.match(words):
        return "electrolyte"
    if _INACTIVATED_VACCINE.search(words) and not _LIVE.search(words):
        return "vaccine"
    if _PLASMA_PROTEIN.match(words):
        return "plasma"
    return None
