"""Tables on slides as PowerPoint tables, laid out to be handed out (issue 18: LibreOffice
showed a table running off its slide): column widths from the content, long cells broken
between list items (never inside a word), long tables continued on further slides under
their header."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd
from pptx.enum.text import MSO_ANCHOR
from pptx.util import Inches, Pt

from components.deck import Slide
from components.pptx_text import (
    EMU_PT,
    LINE_EM,
    content_box,
    style_frame,
    text_pt,
)

CELL_INSET_X, CELL_INSET_Y = Inches(0.08), Inches(0.04)  # table cell margins
CELL_SLACK = Pt(4)  # a column's spare width beyond its longest line (renderers round)
TABLE_SIZES = (18, 16, 14)  # table fonts, largest first; the smallest splits long tables


@dataclass(frozen=True)
class TableLayout:
    """A table laid out for slides: font size, column widths (EMU), each cell's lines, the
    height of each row (the header first) and the data rows on each slide."""

    size: float
    widths: tuple[int, ...]
    lines: tuple[tuple[tuple[str, ...], ...], ...]  # [row][column] -> lines; row 0 the header
    heights: tuple[int, ...]
    pages: tuple[tuple[int, ...], ...]  # data row numbers (1-based, as in `lines`) per slide


def _pieces(text: str) -> list[str]:
    """Where a cell may break: after a list comma (、，；) or a space; never inside a word."""
    out, piece = [], ""
    for c in text:
        piece += c
        if c in "、，； ":
            out.append(piece)
            piece = ""
    return [*out, piece] if piece else out


def wrap(text: str, width_pt: float, size: float, bold: bool = False) -> tuple[str, ...] | None:
    """`text` in as few lines of `width_pt` as its break points allow; None when one piece
    alone is wider."""
    lines: list[str] = []
    for piece in _pieces(text) or [""]:
        if text_pt(piece.rstrip(), size, bold) > width_pt:
            return None
        if lines and text_pt((lines[-1] + piece).rstrip(), size, bold) <= width_pt:
            lines[-1] += piece
        else:
            lines.append(piece)
    return tuple(line.rstrip() for line in lines)


def _column_widths(cells: list[list[str]], width: int, size: float) -> list[int] | None:
    """Widths from the content: each column as wide as its longest line, the slack shared
    out in proportion; when the natural widths are too wide, the widest breakable columns
    give way down to their longest piece. None when even that does not fit."""
    pad = 2 * CELL_INSET_X + CELL_SLACK
    columns = list(zip(*cells, strict=True))
    natural, least = [], []
    for col in columns:
        bolds = [True] + [False] * (len(col) - 1)
        natural.append(
            pad + max(text_pt(t, size, b) for t, b in zip(col, bolds, strict=True)) * EMU_PT
        )
        least.append(
            pad
            + max(
                max((text_pt(p.rstrip(), size, b) for p in _pieces(t)), default=0)
                for t, b in zip(col, bolds, strict=True)
            )
            * EMU_PT
        )
    widths = list(natural)
    excess = sum(widths) - width
    while excess > 0:
        give = [j for j in range(len(widths)) if widths[j] > least[j] + 1]
        if not give:
            return None
        j = max(give, key=lambda k: widths[k] - least[k])
        step = min(excess, widths[j] - least[j])
        widths[j] -= step
        excess -= step
    if excess < 0:  # slack: every column a little wider, in proportion
        total = sum(widths)
        widths = [w - excess * w / total for w in widths]
    widths = [int(w) for w in widths]
    widths[-1] += width - sum(widths)
    return widths


def _split_rows(heights: Sequence[int], height: int) -> tuple[tuple[int, ...], ...]:
    """Data rows 1.. on as few slides as their heights (under the header's) allow, shared out
    evenly (30 rows on 5 slides: 6 each, not 7, 7, 7, 7, 2)."""

    def fill(most: int) -> list[tuple[int, ...]]:
        pages: list[tuple[int, ...]] = []
        page: list[int] = []
        used = heights[0]
        for i in range(1, len(heights)):
            if page and (used + heights[i] > height or len(page) >= most):
                pages.append(tuple(page))
                page, used = [], heights[0]
            page.append(i)
            used += heights[i]
        return [*pages, tuple(page)]

    rows = len(heights) - 1
    pages = fill(rows)
    even = fill(math.ceil(rows / len(pages))) if rows else pages
    return tuple(even if len(even) == len(pages) else pages)


def table_layout(df: pd.DataFrame, width: int, height: int) -> TableLayout:
    """The largest font of TABLE_SIZES at which the table fits one slide; failing that the
    smallest, with the rows split over as many slides as they need, the header on each."""
    cells = [[str(c) for c in df.columns]] + [[str(v) for v in r] for r in df.to_numpy()]
    layout = None
    for size in TABLE_SIZES:
        widths = _column_widths(cells, width, size)
        if widths is None:
            continue
        lines = tuple(
            tuple(
                wrap(t, (w - 2 * CELL_INSET_X) / EMU_PT, size, bold=i == 0) or (t,)
                for t, w in zip(row, widths, strict=True)
            )
            for i, row in enumerate(cells)
        )
        line_h = size * LINE_EM * EMU_PT
        heights = tuple(
            int(max(len(c) for c in row) * line_h + 2 * CELL_INSET_Y) + 1 for row in lines
        )
        pages = _split_rows(heights, height)
        layout = TableLayout(size, tuple(widths), lines, heights, pages)
        if len(pages) == 1:
            break
    if layout is None:  # a single word wider than the slide: shrink the columns to fit
        size = TABLE_SIZES[-1]
        n = len(cells[0])
        widths = tuple([width // n] * (n - 1) + [width - width // n * (n - 1)])
        lines = tuple(tuple((t,) for t in row) for row in cells)
        heights = tuple(int(size * LINE_EM * EMU_PT * 2 + 2 * CELL_INSET_Y) for _ in cells)
        layout = TableLayout(size, widths, lines, heights, (tuple(range(1, len(cells))),))
    return layout


def slide_table(s: Slide) -> TableLayout:
    _, _, width, height = content_box(note=bool(s.note))
    return table_layout(s.table, width, height)


def add_table(slide, layout: TableLayout, rows: Sequence[int]) -> None:
    """The header and the given data rows of a laid-out table, each row as high as its
    lines, each cell's lines as paragraphs (so no renderer breaks them elsewhere)."""
    left, top, width, _ = content_box()
    chosen = [0, *rows]
    height = sum(layout.heights[i] for i in chosen)
    shape = slide.shapes.add_table(len(chosen), len(layout.widths), left, top, width, height)
    table = shape.table
    for j, w in enumerate(layout.widths):
        table.columns[j].width = w
    for r, i in enumerate(chosen):
        table.rows[r].height = layout.heights[i]
        for j, lines in enumerate(layout.lines[i]):
            cell = table.cell(r, j)
            cell.margin_left = cell.margin_right = CELL_INSET_X
            cell.margin_top = cell.margin_bottom = CELL_INSET_Y
            cell.vertical_anchor = MSO_ANCHOR.MIDDLE
            cell.text_frame.text = "\n".join(lines)
            style_frame(cell.text_frame, layout.size, r == 0)
