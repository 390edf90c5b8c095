"""Structured posology → the French sentence printed on the ordonnance.

Shape of the sentence: ``<dose> <unit> <moments | rhythm>[ si <reason>]`` then, separated
by commas, the meal relation, the maximum per period, the minimum interval and the
duration. A plain sentence ("1 comprimé matin et soir pendant 7 jours") keeps the duration
without a comma; as soon as another clause is present every clause gets its comma
("1 comprimé le matin à jeun, pendant 1 mois"), as in the signed example Bundle.
French numbers: decimal comma, ½ ¼ ¾ for the usual fractions; plural from 2 on.
"""

from __future__ import annotations

from lap_app.domain.posology import MOMENTS, Posology

# Units that never take a plural mark (abbreviations and symbols).
_INVARIABLE_UNITS = {"mg", "g", "µg", "mcg", "ml", "mL", "l", "UI", "U", "mmol", "kg", "cm", "%"}

# Time units (UCUM) → (singular, plural).
TIME_UNITS: dict[str, tuple[str, str]] = {
    "min": ("minute", "minutes"),
    "h": ("heure", "heures"),
    "d": ("jour", "jours"),
    "wk": ("semaine", "semaines"),
    "mo": ("mois", "mois"),
    "a": ("an", "ans"),
}
_FEMININE_TIME_UNITS = {"min", "h", "wk"}

_FRACTIONS = {0.25: "¼", 0.5: "½", 0.75: "¾"}

# EventTiming code → (moment of the day or None, meal relation or None).
_BEFORE, _DURING, _AFTER = "before", "during", "after"
EVENT_TIMING: dict[str, tuple[str | None, str | None]] = {
    "MORN": ("matin", None),
    "NOON": ("midi", None),
    "AFT": ("après-midi", None),
    "EVE": ("soir", None),
    "NIGHT": ("nuit", None),
    "HS": ("coucher", None),
    "WAKE": ("réveil", None),
    "ACM": ("matin", _BEFORE),
    "ACD": ("midi", _BEFORE),
    "ACV": ("soir", _BEFORE),
    "CM": ("matin", _DURING),
    "CD": ("midi", _DURING),
    "CV": ("soir", _DURING),
    "PCM": ("matin", _AFTER),
    "PCD": ("midi", _AFTER),
    "PCV": ("soir", _AFTER),
    "AC": (None, _BEFORE),
    "C": (None, _DURING),
    "PC": (None, _AFTER),
}
_DAY_ORDER = ["réveil", "matin", "midi", "après-midi", "soir", "coucher", "nuit"]
_ALONE = {  # a single moment, with its article
    "réveil": "au réveil",
    "matin": "le matin",
    "midi": "le midi",
    "après-midi": "l'après-midi",
    "soir": "le soir",
    "coucher": "au coucher",
    "nuit": "la nuit",
}
_MEAL_CLAUSE = {  # (relation, several meals?) → clause
    (_BEFORE, True): "avant les repas",
    (_BEFORE, False): "avant le repas",
    (_DURING, True): "au cours des repas",
    (_DURING, False): "au cours du repas",
    (_AFTER, True): "après les repas",
    (_AFTER, False): "après le repas",
}

KNOWN_EVENT_CODES = frozenset(EVENT_TIMING) | frozenset(MOMENTS)


def format_number(value: float) -> str:
    """1 → "1", 2.5 → "2,5", 0.5 → "½" (French decimal comma)."""
    if value in _FRACTIONS:
        return _FRACTIONS[value]
    if float(value).is_integer():
        return str(int(value))
    return f"{value:.3f}".rstrip("0").rstrip(".").replace(".", ",")


def is_plural(value: float) -> bool:
    """French: singular below 2 ("1,5 comprimé"), plural from 2 on."""
    return abs(value) >= 2


def unit_word(unit: str, value: float) -> str:
    """The unit agreeing with ``value``: comprimé/comprimés, ml stays ml."""
    if not unit or not is_plural(value) or unit in _INVARIABLE_UNITS:
        return unit
    # Noun and adjectives agree up to a preposition: "cuillères à café", "comprimés effervescents".
    words = unit.split(" ")
    for index, word in enumerate(words):
        if word in _PREPOSITIONS:
            break
        words[index] = _plural_word(word)
    return " ".join(words)


_PREPOSITIONS = {"à", "de", "d'", "du", "des", "pour", "par", "en"}


def _plural_word(word: str) -> str:
    if not word.isalpha() or word.isupper() or word[-1] in "sxz":
        return word
    return word[:-2] + "aux" if word.endswith("al") else word + "s"


def time_word(code: str, value: float) -> str:
    singular, plural = TIME_UNITS.get(code, (code, code))
    return plural if is_plural(value) else singular


def quantity_text(value: float, unit: str) -> str:
    word = unit_word(unit, value)
    return f"{format_number(value)} {word}".strip()


def duration_text(value: float, unit_code: str) -> str:
    """"pendant 7 jours", "pendant 1 semaine", "pendant 3 mois"."""
    return f"pendant {format_number(value)} {time_word(unit_code, value)}"


def _per_period(value: float | None, unit_code: str | None) -> str:
    """"par jour", "par 24 heures", "par semaine"."""
    if unit_code is None:
        return ""
    if value in (None, 1):
        return f"par {time_word(unit_code, 1)}"
    return f"par {format_number(value)} {time_word(unit_code, value)}"


def _every(value: float, unit_code: str) -> str:
    """"toutes les 8 heures", "tous les 2 jours", "toutes les heures"."""
    article = "toutes les" if unit_code in _FEMININE_TIME_UNITS else "tous les"
    if value == 1:
        return f"{article} {time_word(unit_code, 2)}"
    return f"{article} {format_number(value)} {time_word(unit_code, value)}"


def _join(words: list[str]) -> str:
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + " et " + words[-1]


def _moments(codes: list[str]) -> tuple[str, list[str], bool]:
    """(head part, extra clauses, qualified head) for EventTiming codes."""
    moments: list[str] = []
    relations: dict[str, str | None] = {}
    generic_relations: list[str] = []
    unknown: list[str] = []
    for code in codes:
        moment, relation = EVENT_TIMING.get(code, (None, None))
        if code not in EVENT_TIMING:
            unknown.append(code)
        elif moment is None:
            generic_relations.append(relation or "")
        elif moment not in moments:
            moments.append(moment)
            relations[moment] = relation
        elif relation:
            relations[moment] = relation
    moments.sort(key=_DAY_ORDER.index)
    clauses: list[str] = []
    head = ""
    qualified = False
    distinct = {relations[m] for m in moments}
    if moments:
        if len(moments) == 1:
            head = _ALONE[moments[0]]
        else:
            bare = [m if m != "coucher" else "au coucher" for m in moments]
            head = _join(bare)
        if len(distinct) == 1:
            relation = distinct.pop()
            if relation == _BEFORE and moments == ["matin"]:
                head += " à jeun"  # before breakfast: fasting
                qualified = True
            elif relation:
                clauses.append(_MEAL_CLAUSE[(relation, len(moments) > 1)])
        else:  # mixed relations: "le matin à jeun et le soir au cours du repas"
            parts = []
            for m in moments:
                rel = relations[m]
                if rel == _BEFORE and m == "matin":
                    parts.append(f"{_ALONE[m]} à jeun")
                else:
                    parts.append(f"{_ALONE[m]} {_MEAL_CLAUSE[(rel, False)]}" if rel else _ALONE[m])
            head = _join(parts)
            qualified = True
    for relation in dict.fromkeys(generic_relations):
        clauses.append(_MEAL_CLAUSE[(relation, True)])
    if unknown:
        clauses.append(" ".join(unknown))
    return head, clauses, qualified


def _rhythm(p: Posology) -> str:
    if p.frequency is None and p.period is None:
        return ""
    frequency = p.frequency or 1
    unit = p.period_unit or "d"
    period = p.period if p.period is not None else 1
    if frequency == 1 and (period != 1 or unit in ("h", "min")):
        return _every(period, unit)
    times = f"{frequency} fois"
    if period == 1:
        return f"{times} {_per_period(1, unit)}"
    return f"{times} {_every(period, unit)}"


def render_sentence(posology: Posology) -> str:
    """The French sentence for a structured posology (ignores ``posology.text``)."""
    p = posology
    head: list[str] = []
    clauses: list[str] = []
    qualified = p.as_needed  # a qualified head puts the duration after a comma
    if p.dose is not None:
        head.append(quantity_text(p.dose, p.dose_unit))
    if p.when:
        moment_text, meal_clauses, fasting = _moments(list(p.when))
        qualified = qualified or fasting
        if moment_text:
            head.append(moment_text)
        if not moment_text and (p.frequency is not None or p.period is not None):
            head.append(_rhythm(p))
        clauses.extend(meal_clauses)
    elif p.frequency is not None or p.period is not None:
        head.append(_rhythm(p))
    if p.as_needed:
        head.append(f"si {p.as_needed_reason.strip()}" if p.as_needed_reason.strip() else "si besoin")
    if p.max_dose is not None:
        unit = p.max_dose_unit or p.dose_unit
        clauses.append(
            f"{quantity_text(p.max_dose, unit)} {_per_period(p.max_period, p.max_period_unit or 'd')}"
            " au maximum"
        )
    if p.min_interval_hours is not None:
        hours = p.min_interval_hours
        clauses.append(
            f"en respectant {format_number(hours)} {time_word('h', hours)} entre deux prises"
        )
    sentence = " ".join(part for part in head if part)
    duration = (
        duration_text(p.duration, p.duration_unit or "d") if p.duration is not None else ""
    )
    if clauses or (qualified and duration):
        sentence = ", ".join(part for part in (sentence, *clauses, duration) if part)
    elif duration:
        sentence = f"{sentence} {duration}" if sentence else duration
    return sentence
