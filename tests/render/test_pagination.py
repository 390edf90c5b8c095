"""Page breaks: a zone heading never ends a page alone; lines stay whole and in order."""

from __future__ import annotations

from lap_app.domain.model import Zone
from lap_app.render.pagination import paginate
from lap_app.render.textblocks import Block, Run


def block(label: str, lines: int) -> Block:
    return Block(label, [Run(f"{label} {i}", "LapSans", 10) for i in range(lines)], 10, 2)


def test_heading_moves_to_next_page_with_its_first_line():
    line_height = Run("x", "LapSans", 10).height
    ald = [block(str(i), 3) for i in range(1, 4)]
    hors = [block("h1", 3)]
    room = 3 * ald[0].height + 20 + 5  # three ALD blocks and the heading, not one block more
    pages = paginate([(Zone.ALD, ald), (Zone.HORS_ALD, hors)], room, 20, line_height)
    assert [[(s.zone, s.continued) for s in p.segments] for p in pages] == [
        [(Zone.ALD, False)],
        [(Zone.HORS_ALD, False)],
    ]
    assert [b.label for b in pages[0].segments[0].blocks] == ["1", "2", "3"]


def test_continued_zone_and_order_kept():
    blocks = [block(str(i), 4) for i in range(1, 11)]
    pages = paginate([(Zone.ALD, blocks)], blocks[0].height * 3 + 20, 20, 12)
    assert len(pages) == 4
    assert all(p.segments[0].continued for p in pages[1:])
    labels = [b.label for p in pages for s in p.segments for b in s.blocks]
    assert labels == [str(i) for i in range(1, 11)]


def test_block_taller_than_a_page_is_cut_between_lines():
    tall = block("1", 30)
    pages = paginate([(None, [tall])], tall.height / 2.5, 0, 12)
    pieces = [b for p in pages for s in p.segments for b in s.blocks]
    assert len(pages) == 3
    assert [run.text for b in pieces for run in b.runs] == [run.text for run in tall.runs]
    assert pieces[0].label == "1" and all(b.continued and not b.label for b in pieces[1:])
