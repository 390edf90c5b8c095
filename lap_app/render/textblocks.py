"""Measured text: word wrapping and the block of printed lines for one prescription line.

A block is never split across pages unless it alone is taller than a page body.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lap_app.domain.care_text import line_wording
from lap_app.domain.model import PrescriptionLine
from lap_app.render import fonts
from lap_app.render.geometry import Geometry, leading
from lap_app.render.wording import brand_text, line_details, non_substitution_text


def wrap(text: str, font: str, size: float, width: float) -> list[str]:
    """Greedy word wrap; a word wider than ``width`` is cut after a hyphen, else between
    characters."""
    lines: list[str] = []
    for paragraph in text.splitlines() or [""]:
        words = paragraph.split()
        whole = " ".join(words)
        if fonts.text_width(whole, font, size) <= width:  # most lines: one measure, not one per word
            lines.append(whole)
            continue
        current = ""
        for word in words:
            candidate = f"{current} {word}" if current else word
            if fonts.text_width(candidate, font, size) <= width:
                current = candidate
                continue
            if current:
                lines.append(current)
            current = ""
            while fonts.text_width(word, font, size) > width and len(word) > 1:
                cut = _longest_fitting_prefix(word, font, size, width)
                hyphen = word.rfind("-", 0, cut)
                if hyphen > 0:  # SAINT-|ÉTIENNE rather than SAINT-É|TIENNE
                    cut = hyphen + 1
                lines.append(word[:cut])
                word = word[cut:]
            current = word
        lines.append(current)
    return lines


def _longest_fitting_prefix(word: str, font: str, size: float, width: float) -> int:
    """Length (at least 1) of the longest prefix of ``word`` within ``width``: a bisection,
    since a pasted unbroken string of thousands of characters must not cost seconds."""
    low, high = 1, len(word) - 1
    while low < high:
        middle = (low + high + 1) // 2
        if fonts.text_width(word[:middle], font, size) <= width:
            low = middle
        else:
            high = middle - 1
    return low


def fit_size(text: str, font: str, size: float, width: float, smallest: float = 5.0) -> float:
    """The largest size not above ``size`` at which ``text`` holds on one line of ``width``
    (names are shrunk, never cut)."""
    natural = fonts.text_width(text, font, size)
    if natural <= width:
        return size
    return max(smallest, size * width / natural)


@dataclass(slots=True)
class Run:
    """One printed line of text."""

    text: str
    font: str
    size: float

    @property
    def height(self) -> float:
        return leading(self.size)


@dataclass(slots=True)
class Block:
    """The printed lines of one prescription line, with its number ("1.") in the margin."""

    label: str
    runs: list[Run]
    indent: float
    space_after: float
    continued: bool = False  # a piece of a block too tall for one page

    @property
    def height(self) -> float:
        return sum(run.height for run in self.runs) + self.space_after

    def split(self, max_height: float) -> tuple[Block, Block]:
        """Cut between printed lines so that the first part fits ``max_height``."""
        used, count = 0.0, 0
        for run in self.runs:
            if used + run.height > max_height - self.space_after and count:
                break
            used += run.height
            count += 1
        first = Block(self.label, self.runs[:count], self.indent, self.space_after, self.continued)
        rest = Block("", self.runs[count:], self.indent, self.space_after, True)
        return first, rest


def line_block(line: PrescriptionLine, number: int, width: float, geometry: Geometry) -> Block:
    label = f"{number}."
    indent = fonts.text_width("00. ", fonts.BOLD, geometry.dci_size)
    text_width = width - indent
    runs: list[Run] = []

    def add(text: str | None, font: str, size: float) -> None:
        if text:
            runs.extend(Run(piece, font, size) for piece in wrap(text, font, size, text_width))

    add(line.dci_wording, fonts.BOLD, geometry.dci_size)
    add(brand_text(line), fonts.REGULAR, geometry.text_size)
    add(line.posology.sentence(), fonts.REGULAR, geometry.body_size)
    add(line_details(line), fonts.REGULAR, geometry.text_size)
    add(non_substitution_text(line), fonts.BOLD, geometry.text_size)
    add(line.instructions.strip(), fonts.ITALIC, geometry.text_size)
    return Block(label, runs, indent, geometry.size(7))


def care_block(line: Any, number: int, width: float, geometry: Geometry) -> Block:
    """The printed lines of a non-medicine line: what (bold), then how (« À jeun, à domicile… »)."""
    label = f"{number}."
    indent = fonts.text_width("00. ", fonts.BOLD, geometry.dci_size)
    text_width = width - indent
    wording = line_wording(line)
    runs = [Run(piece, fonts.BOLD, geometry.dci_size) for piece in wrap(wording.title, fonts.BOLD, geometry.dci_size, text_width)]
    if wording.detail:
        runs += [Run(piece, fonts.REGULAR, geometry.body_size)
                 for piece in wrap(wording.detail, fonts.REGULAR, geometry.body_size, text_width)]
    return Block(label, runs, indent, geometry.size(7))


def any_block(line: Any, number: int, width: float, geometry: Geometry) -> Block:
    if isinstance(line, PrescriptionLine):
        return line_block(line, number, width, geometry)
    return care_block(line, number, width, geometry)
