"""Distribution of the prescription lines over pages.

Each page has the same header and footer; the body between them receives zone segments
(bizone) or one plain segment. A zone heading is never left alone at the bottom of a page,
a line is never split unless it is taller than a whole body, and a zone continued on the
next page repeats its heading marked "(suite)".
"""

from __future__ import annotations

from dataclasses import dataclass, field

from lap_app.domain.model import Zone
from lap_app.render.textblocks import Block


@dataclass(slots=True)
class Segment:
    zone: Zone | None  # None on a plain (single-zone) ordonnance
    continued: bool
    blocks: list[Block] = field(default_factory=list)


@dataclass(slots=True)
class PagePlan:
    segments: list[Segment] = field(default_factory=list)


def paginate(
    zones: list[tuple[Zone | None, list[Block]]],
    body_height: float,
    heading_height: float,
    empty_zone_height: float,
) -> list[PagePlan]:
    """Fill pages of ``body_height`` with the zones in order (``heading_height`` is 0 for
    a plain ordonnance). A zone without lines still gets its heading and an empty frame."""
    pages = [PagePlan()]
    room = body_height

    def new_page() -> None:
        nonlocal room
        pages.append(PagePlan())
        room = body_height

    def open_segment(zone: Zone | None, continued: bool) -> Segment:
        """A zone (or its continuation) starts on the current page, under its heading."""
        nonlocal room
        segment = Segment(zone, continued)
        pages[-1].segments.append(segment)
        room -= heading_height
        return segment

    for zone, blocks in zones:
        first_need = heading_height + (blocks[0].height if blocks else empty_zone_height)
        if first_need > room and pages[-1].segments:
            new_page()
        segment = open_segment(zone, continued=False)
        if not blocks:
            room -= empty_zone_height
        queue = list(blocks)
        while queue:
            block = queue.pop(0)
            if block.height <= room:
                segment.blocks.append(block)
                room -= block.height
                continue
            full_room = body_height - heading_height
            if block.height > full_room:  # taller than any page: cut it where it stops fitting
                if room < block.runs[0].height + block.space_after:
                    new_page()
                    segment = open_segment(zone, continued=True)
                head, rest = block.split(room)
                segment.blocks.append(head)
                room -= head.height
                queue.insert(0, rest)
                continue
            new_page()
            segment = open_segment(zone, continued=True)
            queue.insert(0, block)
    return pages
