"""The French wording of non-medicine lines, as the lab, the nurse or the physiotherapist
reads it on the ordonnance (« Soins infirmiers à domicile, 2 fois par jour pendant 15 jours,
dimanches et jours fériés inclus », « 10 séances de rééducation du rachis lombaire, à
domicile »). Each line reads as a title (what) and a detail (how).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lap_app.domain.care import ActLine, BiologyLine, DeviceLine, DeviceSupply, NursingLine, SessionLine
from lap_app.domain.posology_text import duration_text, format_number, time_word

_FEMININE = {"min", "h", "wk"}


@dataclass(frozen=True, slots=True)
class LineWording:
    title: str
    detail: str = ""

    def text(self) -> str:
        return f"{self.title} — {self.detail}" if self.detail else self.title


def _per(unit: str) -> str:
    return f"par {time_word(unit, 1)}"


def _times(count: int | float, unit: str) -> str:
    """« 2 fois par jour », « 1 fois par semaine »."""
    return f"{format_number(count)} fois {_per(unit)}"


def _every(value: float, unit: str) -> str:
    """« 1 fois par semaine » for every week, « tous les 15 jours » otherwise."""
    if value == 1:
        return _times(1, unit)
    article = "toutes les" if unit in _FEMININE else "tous les"
    return f"{article} {format_number(value)} {time_word(unit, value)}"


def _sentence(parts: list[str]) -> str:
    text = ", ".join(part for part in parts if part)
    return text[:1].upper() + text[1:]


def lowercase_first(text: str) -> str:
    """« Rééducation du genou » → « rééducation du genou » (keeps acronyms: « IRM »)."""
    text = text.strip()
    if len(text) > 1 and text[1].isupper():
        return text
    return text[:1].lower() + text[1:]


def analysis_wording(line: BiologyLine) -> LineWording:
    parts = []
    if line.fasting:
        parts.append("à jeun")
    if line.at_home:
        parts.append("à domicile")
    if line.urgent:
        parts.append("urgent")
    if line.every is not None and line.every_unit:
        rhythm = _every(line.every, line.every_unit)
        if line.repeat_duration is not None and line.repeat_duration_unit:
            rhythm += " " + duration_text(line.repeat_duration, line.repeat_duration_unit)
        parts.append(rhythm)
    if line.repeat_count is not None and line.repeat_count > 1:
        parts.append(f"à réaliser {line.repeat_count} fois")
    if line.note.strip():
        parts.append(f"renseignements cliniques : {line.note.strip()}")
    code = f" (NABM {line.code})" if line.code else ""
    return LineWording(f"{line.label}{code}", _sentence(parts))


def nursing_sentence(line: NursingLine) -> str:
    """« Soins infirmiers à domicile, 2 fois par jour pendant 15 jours, dimanches et jours
    fériés inclus »."""
    head = "Soins infirmiers à domicile" if line.at_home else "Soins infirmiers"
    rhythm = _times(line.times, line.per) if line.times else ""
    if line.duration is not None and line.duration_unit:
        rhythm = f"{rhythm} {duration_text(line.duration, line.duration_unit)}".strip()
    parts = [head, rhythm]
    if line.sundays_and_holidays:
        parts.append("dimanches et jours fériés inclus")
    return _sentence(parts)


def nursing_wording(line: NursingLine) -> LineWording:
    detail = nursing_sentence(line)
    if line.note.strip():
        detail += f" ({line.note.strip()})"
    return LineWording(line.act.strip(), detail)


def session_sentence(line: SessionLine) -> str:
    """« 10 séances de rééducation du rachis lombaire, à domicile »."""
    care = lowercase_first(line.care)
    if line.sessions:
        word = "séance" if line.sessions == 1 else "séances"
        elided = "d'" if care[:1].lower() in "aeéèêiouyh" else "de "
        head = f"{line.sessions} {word} {elided}{care}"
    else:
        head = care
    parts = [head]
    if line.rhythm:
        word = "séance" if line.rhythm == 1 else "séances"
        parts.append(f"{line.rhythm} {word} {_per(line.rhythm_unit)}")
    if line.at_home:
        parts.append("à domicile")
    if line.urgent:
        parts.append("urgent")
    return _sentence(parts)


def session_wording(line: SessionLine) -> LineWording:
    return LineWording(session_sentence(line), line.note.strip())


def device_wording(line: DeviceLine) -> LineWording:
    parts = ["location" if line.supply is DeviceSupply.RENTAL else "achat"]
    if line.quantity != 1:
        parts.append(f"quantité : {line.quantity}")
    if line.duration is not None and line.duration_unit:
        parts.append(duration_text(line.duration, line.duration_unit))
    if line.renewals:
        parts.append(f"à renouveler {line.renewals} fois")
    if line.instructions.strip():
        parts.append(line.instructions.strip())
    code = f" (LPP {line.code})" if line.code else ""
    return LineWording(f"{line.label}{code}", _sentence(parts))


def act_wording(line: ActLine) -> LineWording:
    parts = ["urgent"] if line.urgent else []
    if line.note.strip():
        parts.append(line.note.strip())
    return LineWording(line.text.strip(), _sentence(parts))


def line_wording(line: Any) -> LineWording:
    """The wording of any non-medicine line."""
    if isinstance(line, BiologyLine):
        return analysis_wording(line)
    if isinstance(line, NursingLine):
        return nursing_wording(line)
    if isinstance(line, SessionLine):
        return session_wording(line)
    if isinstance(line, DeviceLine):
        return device_wording(line)
    if isinstance(line, ActLine):
        return act_wording(line)
    raise TypeError(f"not a care line: {type(line).__name__}")
