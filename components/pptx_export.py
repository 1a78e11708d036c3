"""The 汇报模式 deck (components/deck.py) as a PowerPoint file, built with python-pptx.

A title slide, then one slide per deck slide — bars and lines as native PowerPoint charts
(their data sits in the embedded workbook, so a staff member can restyle or correct them in
PowerPoint), tables as PowerPoint tables, maps as pictures drawn by kaleido in the machine's
Chromium (`map_images`; without one the deck says so and keeps everything else) — and a
data-source note slide last (saying 演示数据 when the database holds demo data). Every run of text gets a
Chinese East Asian font (`a:ea`), so the Chinese renders in PowerPoint and WPS without
relying on font fallback. Nothing here needs the internet or Streamlit.

Laid out to be handed out as it is (issue 18: LibreOffice showed a table running off its
slide, every second county name missing, a flat trend): tables take column widths from their
content, break long cells between list items (never inside a word) and continue on further
slides under their header; ranking bars name every region (label interval 1, a font sized to
the number of names), each bar in its region's status colour with the target as a dashed
line placed on the plot area's fixed layout; a trend's value axis is fitted to its data; the
map picture is drawn at the slide's proportions with a legend in slide-sized type and region
names where they fit. Widths are estimated from the characters (`text_pt`): a full-width
character is one em, the rest 0.62 em, enough for the Latin digits of the fonts in use.

Watermark (components/watermark.py): given one, every slide carries it, turned and tiled in
faint grey text boxes laid over the content, locked against selection and editing, so the
figures stay readable and the charts editable under it. The tiles overhang the slide's edges
like wallpaper; every other shape lies inside the slide.
"""

from __future__ import annotations

import io
import logging
import math
import os
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

import numpy as np
import pandas as pd
from lxml import etree
from pptx import Presentation
from pptx.chart.data import CategoryChartData
from pptx.dml.color import RGBColor
from pptx.enum.chart import (
    XL_CHART_TYPE,
    XL_LABEL_POSITION,
    XL_LEGEND_POSITION,
    XL_TICK_LABEL_POSITION,
)
from pptx.enum.dml import MSO_LINE
from pptx.enum.shapes import MSO_CONNECTOR, MSO_SHAPE
from pptx.enum.text import MSO_ANCHOR, PP_ALIGN
from pptx.oxml.ns import qn
from pptx.util import Emu, Inches, Pt

from components.deck import Deck, Slide
from components.format import fmt_period, fmt_target

log = logging.getLogger(__name__)
CHROMIUM = Path("/usr/bin/chromium")  # Debian's; kaleido must never download one
NO_BROWSER = (
    "地图未能导出为图片：本机没有可用的浏览器（Chromium）。"
    "其余图表为原生图表，不受影响；地图请在系统的“汇报模式”中查看。"
)
MAP_FAILED = "地图导出为图片时出错，本文稿中的地图页只列出说明；其余图表不受影响。"
PPTX_MIME = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
CJK_FONT = "Microsoft YaHei"  # present on the Windows PCs the deck is handed to
LATIN_FONT = "Microsoft YaHei"
WIDTH, HEIGHT = Inches(13.333), Inches(7.5)  # 16:9, as meeting-room projectors are
MARGIN = Inches(0.5)
EMU_PT = 12700  # EMU in a point
BOX_INSET = Inches(0.1)  # a text box's left and right inset (python-pptx's default)
CELL_INSET_X, CELL_INSET_Y = Inches(0.08), Inches(0.04)  # table cell margins
CELL_SLACK = Pt(4)  # a column's spare width beyond its longest line (renderers round)
LINE_EM = 1.4  # a line of CJK text in font sizes (Noto Sans CJK 1.36, Microsoft YaHei 1.32)
TABLE_SIZES = (18, 16, 14)  # table fonts, largest first; the smallest splits long tables
BAR_FONT_MIN, BAR_FONT_MAX = 10, 16  # names and values of the ranking bars
BAR_SLOT_EM = 1.45  # each bar's slot is at least this many font sizes high: names never overlap
LEGEND_HEIGHT = Inches(0.4)
LEGEND_MARK, LEGEND_GAP = Inches(0.35), Inches(0.15)
TARGET_COLOR = "555555"  # the dashed target line, as on screen
TARGET_LINE = "目标线"
MAP_WIDTH, MAP_HEIGHT = 1850, 720  # pixels of a rendered map: the content box at 150 dpi
MAP_LEGEND_PT, MAP_NAME_PT = 16, 12  # type on the map picture, in points on the slide
MAP_NAMES = "地区名称"
BAR_COLOR = RGBColor(0x00, 0x72, 0xB2)  # the dashboard's blue (colour-blind safe)
LINE_COLORS = ("0072B2", "E69F00", "009E73", "CC79A7", "56B4E9", "D55E00")
LAYOUT_TITLE, LAYOUT_TITLE_ONLY = 0, 5
DEMO_NOTE = "本演示文稿中的数据为程序生成的演示数据，不是真实统计，仅供演示系统功能。"
WATERMARK_NAME = "水印"
WATERMARK_COLOR = "808080"
WATERMARK_ALPHA = 22_000  # 22 % opaque (DrawingML thousandths of a percent)
WATERMARK_PT = 16
WATERMARK_ROTATION = -24.0  # degrees, as on screen
WATERMARK_BOX = (Inches(6.0), Inches(0.5))
WATERMARK_LOCKS = ("noGrp", "noSelect", "noRot", "noMove", "noResize", "noTextEdit")


def set_cjk_font(font, size: float | None = None, bold: bool | None = None) -> None:
    """Latin and East Asian typeface on a python-pptx Font (a run's or a chart's)."""
    font.name = LATIN_FONT
    rpr = font._rPr  # a:rPr or a:defRPr
    ea = rpr.find(qn("a:ea"))
    if ea is None:
        ea = etree.SubElement(rpr, qn("a:ea"))
        rpr.find(qn("a:latin")).addnext(ea)  # schema order: latin, ea, cs
    ea.set("typeface", CJK_FONT)
    if size is not None:
        font.size = Pt(size)
    if bold is not None:
        font.bold = bold


def _style_frame(frame, size: float, bold: bool = False, align=None) -> None:
    for paragraph in frame.paragraphs:
        if align is not None:
            paragraph.alignment = align
        for run in paragraph.runs:
            set_cjk_font(run.font, size, bold)


# ---------------------------------------------------------------- measuring text


def text_pt(text: str, size: float, bold: bool = False) -> float:
    """The width of one line in points, rounded up: full-width (and ambiguous-width: ≥ ✔ —)
    characters take one em, the rest 0.62 em, and each change between the two a quarter em
    more (the space LibreOffice, for one, puts between Chinese and Latin); bold 5 % more."""
    wide = [unicodedata.east_asian_width(c) in "WFA" for c in text]
    ems = sum(1.0 if w else 0.62 for w in wide)
    ems += 0.25 * sum(a != b for a, b in pairwise(wide))
    return ems * size * (1.05 if bold else 1.0)


def fit_size(text: str, width: int, largest: float, smallest: float) -> float:
    """The largest font size (in half points) at which `text` fits `width` on one line."""
    size = largest
    while size > smallest and text_pt(text, size) > width / EMU_PT:
        size -= 0.5
    return size


def _text_box(slide, left, top, width, height, text: str, size: float, bold: bool = False):
    box = slide.shapes.add_textbox(left, top, width, height)
    box.text_frame.word_wrap = True
    box.text_frame.text = text
    _style_frame(box.text_frame, size, bold)
    return box


def _titled_slide(prs, title: str, subtitle: str):
    """A 'Title Only' slide with the title across the top (smaller type when long, never
    wrapped) and the scope line under it."""
    slide = prs.slides.add_slide(prs.slide_layouts[LAYOUT_TITLE_ONLY])
    shape = slide.shapes.title
    shape.left, shape.top = MARGIN, Inches(0.3)
    shape.width, shape.height = WIDTH - 2 * MARGIN, Inches(0.9)
    shape.text_frame.text = title
    size = fit_size(title, shape.width - 2 * BOX_INSET, 30, 20)
    _style_frame(shape.text_frame, size, True, PP_ALIGN.LEFT)
    _text_box(slide, MARGIN, Inches(1.15), WIDTH - 2 * MARGIN, Inches(0.45), subtitle, 14)
    return slide


CONTENT_TOP = Inches(1.7)
NOTE_HEIGHT = Inches(0.5)
NOTE_TOP = HEIGHT - MARGIN - NOTE_HEIGHT


def _content_box(note: bool = True) -> tuple[Emu, Emu, Emu, Emu]:
    """Left, top, width, height under the title; without a note it reaches the margin."""
    bottom = NOTE_TOP if note else HEIGHT - MARGIN
    return MARGIN, CONTENT_TOP, WIDTH - 2 * MARGIN, bottom - CONTENT_TOP


def _note(slide, text: str) -> None:
    """The footnote on one line at the foot of the slide, below everything else."""
    if text:
        width = WIDTH - 2 * MARGIN
        size = fit_size(text, width - 2 * BOX_INSET, 14, 10)
        _text_box(slide, MARGIN, NOTE_TOP, width, NOTE_HEIGHT, text, size)


# ---------------------------------------------------------------- tables


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


def _slide_table(s: Slide) -> TableLayout:
    _, _, width, height = _content_box(note=bool(s.note))
    return table_layout(s.table, width, height)


def _add_table(slide, layout: TableLayout, rows: Sequence[int]) -> None:
    """The header and the given data rows of a laid-out table, each row as high as its
    lines, each cell's lines as paragraphs (so no renderer breaks them elsewhere)."""
    left, top, width, _ = _content_box()
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
            _style_frame(cell.text_frame, layout.size, r == 0)


# ---------------------------------------------------------------- charts


def nice_step(raw: float) -> float:
    """The smallest of 1, 2, 5 × 10ⁿ at least `raw` (whole ticks: 85%, 90%, not 87.5%)."""
    power = 10 ** math.floor(math.log10(raw))
    return next(k * power for k in (1, 2, 5, 10) if k * power >= raw - 1e-12)


def value_range(values: Sequence[float], rate: bool) -> tuple[float, float, float]:
    """Axis minimum, maximum and major unit around the data, padded as plotly's autorange
    pads, on round steps (a rate's axis stays within 0–100%)."""
    lo, hi = min(values), max(values)
    span = max(hi - lo, 0.02 if rate else max(abs(hi) * 0.1, 1.0))
    pad = span * 0.15
    step = nice_step((span + 2 * pad) / 5)
    low = math.floor(round((lo - pad) / step, 9)) * step
    high = math.ceil(round((hi + pad) / step, 9)) * step
    if rate or lo >= 0:
        low = max(low, 0.0)
    if rate and hi <= 1:
        high = min(high, 1.0)
    return round(low, 10), round(high, 10), step


def _axis_skip_all(axis) -> None:
    """Category axis: show every label and every tick (tickLblSkip = tickMarkSkip = 1), so
    neither PowerPoint nor LibreOffice leaves every second name out."""
    ax = axis._element
    for tag in ("c:tickLblSkip", "c:tickMarkSkip"):
        old = ax.find(qn(tag))
        if old is not None:
            ax.remove(old)
    anchor = ax.find(qn("c:noMultiLvlLbl"))
    for tag in ("c:tickLblSkip", "c:tickMarkSkip"):
        el = etree.Element(qn(tag))
        el.set("val", "1")
        if anchor is not None:
            anchor.addprevious(el)
        else:
            ax.append(el)


def _plot_layout(chart, x: float, y: float, w: float, h: float) -> None:
    """Fix the plot area (inside the axes) at fractions of the chart frame, so shapes laid
    over the chart (the target line) sit where the values are."""
    plot_area = chart._chartSpace.find(qn("c:chart")).find(qn("c:plotArea"))
    old = plot_area.find(qn("c:layout"))
    if old is not None:
        plot_area.remove(old)
    layout = etree.Element(qn("c:layout"))
    manual = etree.SubElement(layout, qn("c:manualLayout"))
    for tag, val in (("layoutTarget", "inner"), ("xMode", "edge"), ("yMode", "edge")):
        etree.SubElement(manual, qn(f"c:{tag}")).set("val", val)
    for tag, val in (("x", x), ("y", y), ("w", w), ("h", h)):
        etree.SubElement(manual, qn(f"c:{tag}")).set("val", f"{val:.4f}")
    plot_area.insert(0, layout)


def _legend_row(slide, entries: Sequence[tuple[str, str | None]], top: int) -> None:
    """A legend above the chart, left to right: a colour square (or, for None, a dashed
    line for the target) and its words."""

    def total(size: float) -> float:
        extra = LEGEND_MARK + 2 * BOX_INSET + LEGEND_GAP
        return sum(text_pt(t, size) * EMU_PT + extra for t, _ in entries)

    size = 14
    while size > 10 and total(size) > WIDTH - 2 * MARGIN:
        size -= 1
    x = MARGIN
    mid = top + LEGEND_HEIGHT // 2
    for text, color in entries:
        if color is None:
            line = slide.shapes.add_connector(MSO_CONNECTOR.STRAIGHT, x, mid, x + LEGEND_MARK, mid)
            line.line.color.rgb = RGBColor.from_string(TARGET_COLOR)
            line.line.dash_style = MSO_LINE.DASH
            line.line.width = Pt(2)
        else:
            side = int(LEGEND_MARK * 0.6)
            mark = slide.shapes.add_shape(
                MSO_SHAPE.RECTANGLE, x + (LEGEND_MARK - side) // 2, mid - side // 2, side, side
            )
            mark.fill.solid()
            mark.fill.fore_color.rgb = RGBColor.from_string(color.lstrip("#"))
            mark.line.fill.background()
        x += LEGEND_MARK
        width = int(text_pt(text, size) * EMU_PT) + 2 * BOX_INSET
        box = _text_box(slide, x, top, width, LEGEND_HEIGHT, text, size)
        box.text_frame.word_wrap = False
        box.text_frame.vertical_anchor = MSO_ANCHOR.MIDDLE
        x += width + LEGEND_GAP


def _no_fill(parent, after: str | None = None) -> None:
    """A transparent background and no border on a chart part (chartSpace or plotArea), so
    what lies under the chart (the target line) shows through."""
    sp_pr = etree.Element(qn("c:spPr"))
    etree.SubElement(sp_pr, qn("a:noFill"))
    etree.SubElement(etree.SubElement(sp_pr, qn("a:ln")), qn("a:noFill"))
    if after is None:
        parent.append(sp_pr)
    else:
        parent.find(qn(after)).addnext(sp_pr)


def _white_labels(d_lbls) -> None:
    """Data labels on white, so the target line under the chart never runs through a value."""
    sp_pr = etree.Element(qn("c:spPr"))
    fill = etree.SubElement(sp_pr, qn("a:solidFill"))
    etree.SubElement(fill, qn("a:srgbClr")).set("val", "FFFFFF")
    d_lbls.find(qn("c:numFmt")).addnext(sp_pr)  # schema order: numFmt, spPr, txPr


def _add_bars(slide, s: Slide) -> None:
    """A ranking: one bar per region, best at the top, every name shown in a font that lets
    them all stack; each bar in its status colour. The target is a dashed line under the
    transparent chart, placed on the plot area's fixed layout: it shows between the bars
    and never covers a value."""
    left, top, width, height = _content_box(note=bool(s.note))
    entries: list[tuple[str, str | None]] = list(s.legend)
    if s.target is not None:
        entries.append((fmt_target(s.metric) if s.metric else "目标", None))
    if entries:
        _legend_row(slide, entries, top)
        top, height = top + LEGEND_HEIGHT, height - LEGEND_HEIGHT
    (series,) = s.series
    values = [v for v in series.values if v is not None]
    n = max(len(s.categories), 1)
    plot_y, plot_h = 0.01, 0.98
    slot = height / EMU_PT * plot_h / n
    size = max(BAR_FONT_MIN, min(BAR_FONT_MAX, math.floor(slot / BAR_SLOT_EM * 2) / 2))
    label_w = max(text_pt(c, size) for c in s.categories) + 10  # names and the tick
    value_w = max((text_pt(_shown(v, s.number_format), size) for v in values), default=0) + 10
    plot_x = label_w * EMU_PT / width
    plot_w = 1 - plot_x - value_w * EMU_PT / width
    rate = s.number_format.endswith("%")
    most = max([*values, s.target or 0.0], default=0.0)
    lo, hi = 0.0, 1.0 if rate and most <= 1 else value_range([0.0, most], rate=False)[1]
    if s.target is not None and lo <= s.target <= hi:
        x = left + int((plot_x + plot_w * (s.target - lo) / (hi - lo)) * width)
        y0, y1 = top + int(plot_y * height), top + int((plot_y + plot_h) * height)
        line = slide.shapes.add_connector(MSO_CONNECTOR.STRAIGHT, x, y0, x, y1)
        line.name = TARGET_LINE
        line.line.color.rgb = RGBColor.from_string(TARGET_COLOR)
        line.line.dash_style = MSO_LINE.DASH
        line.line.width = Pt(2)
    data = CategoryChartData(number_format=s.number_format)
    data.categories = list(s.categories)
    data.add_series(series.name, list(series.values))
    chart = slide.shapes.add_chart(
        XL_CHART_TYPE.BAR_CLUSTERED, left, top, width, height, data
    ).chart
    _no_fill(chart._chartSpace, after="c:chart")
    _no_fill(chart._chartSpace.find(qn("c:chart")).find(qn("c:plotArea")))
    set_cjk_font(chart.font, size)
    chart.has_title = False
    chart.has_legend = False
    axis = chart.value_axis
    axis.minimum_scale, axis.maximum_scale = lo, hi
    axis.major_unit = 0.1 if rate and hi == 1.0 else nice_step(hi / 5)
    axis.has_major_gridlines = True
    axis.major_gridlines.format.line.color.rgb = RGBColor.from_string("D9D9D9")
    axis.tick_label_position = XL_TICK_LABEL_POSITION.NONE  # each bar carries its value
    axis.format.line.fill.background()
    cats = chart.category_axis
    cats.reverse_order = True  # the first (best) region at the top
    cats.tick_labels.font.size = Pt(size)
    _axis_skip_all(cats)
    _plot_layout(chart, plot_x, plot_y, plot_w, plot_h)
    plot = chart.plots[0]
    plot.gap_width = 40
    plot.has_data_labels = True
    labels = plot.data_labels
    labels.number_format = s.number_format
    labels.number_format_is_linked = False
    labels.position = XL_LABEL_POSITION.OUTSIDE_END
    set_cjk_font(labels.font, size)
    _white_labels(labels._element)
    bars = plot.series[0]
    bars.format.fill.solid()
    bars.format.fill.fore_color.rgb = BAR_COLOR
    for i, color in enumerate(s.colors):
        fill = bars.points[i].format.fill
        fill.solid()
        fill.fore_color.rgb = RGBColor.from_string(color.lstrip("#"))


def _shown(value: float, number_format: str) -> str:
    """A data label as the chart prints it (for measuring)."""
    if number_format.endswith("%"):
        return f"{value:.1%}"
    return f"{value:,.1f}" if "." in number_format else f"{value:,.0f}"


def _add_lines(slide, s: Slide) -> None:
    """The trend: one line per metric over the months, the value axis fitted to the data
    (rates in %, as the web chart shows them)."""
    data = CategoryChartData(number_format=s.number_format)
    data.categories = list(s.categories)
    for series in s.series:
        data.add_series(series.name, list(series.values))
    box = _content_box(note=bool(s.note))
    chart = slide.shapes.add_chart(XL_CHART_TYPE.LINE_MARKERS, *box, data).chart
    set_cjk_font(chart.font, 14)
    chart.has_title = False
    values = chart.value_axis
    values.has_major_gridlines = True
    values.major_gridlines.format.line.color.rgb = RGBColor.from_string("D9D9D9")
    rate = s.number_format.endswith("%")
    present = [v for series in s.series for v in series.values if v is not None]
    if present:
        lo, hi, step = value_range(present, rate)
        values.minimum_scale, values.maximum_scale, values.major_unit = lo, hi, step
        fmt = ("0%" if step >= 0.01 - 1e-12 else "0.0%") if rate else s.number_format
    else:
        fmt = s.number_format
    values.tick_labels.number_format = fmt
    values.tick_labels.number_format_is_linked = False
    _axis_skip_all(chart.category_axis)
    chart.has_legend = True
    chart.legend.position = XL_LEGEND_POSITION.BOTTOM
    chart.legend.include_in_layout = False
    set_cjk_font(chart.legend.font, 14)
    for series, color in zip(chart.plots[0].series, LINE_COLORS, strict=False):
        series.format.line.color.rgb = RGBColor.from_string(color)
        series.format.line.width = Pt(2.5)
        series.marker.format.fill.solid()
        series.marker.format.fill.fore_color.rgb = RGBColor.from_string(color)
        series.marker.format.line.color.rgb = RGBColor.from_string(color)
        series.smooth = False


def _add_picture(slide, image: bytes) -> None:
    left, top, width, height = _content_box()
    picture = slide.shapes.add_picture(io.BytesIO(image), left, top, height=height)
    if picture.width > width:  # a picture of other proportions: fit the width instead
        picture.width, picture.height = width, int(picture.height * width / picture.width)
    picture.left = int((WIDTH - picture.width) / 2)


# ---------------------------------------------------------------- maps


def browser_path() -> Path | None:
    """The Chromium kaleido may use: $BROWSER_PATH when set, else Debian's; None when absent."""
    env = os.environ.get("BROWSER_PATH")
    path = Path(env) if env else CHROMIUM
    return path if path.is_file() and os.access(path, os.X_OK) else None


def map_figure(s: Slide, province_code: str):
    """The plotly choropleth of a map slide (the same drawing the page shows)."""
    from components import maps

    values = pd.DataFrame({"code": list(s.codes), "value": list(s.series[0].values)})
    values["value"] = pd.to_numeric(values["value"], errors="coerce")
    return maps.choropleth(values, s.level, s.metric, province_code, within=s.within)


def _mercator(xy):
    """Lon/lat in degrees to plotly's Mercator plane (radians)."""
    lon, lat = np.radians(xy[:, 0]), np.radians(xy[:, 1])
    return np.column_stack([lon, np.log(np.tan(np.pi / 4 + lat / 2))])


def _names_that_fit(features: list[dict], points: Mapping, to_px, size: float) -> list[str]:
    """Codes of the regions whose name, `size` pixels high and centred on the region's label
    point, lies wholly inside its outline on the picture."""
    import shapely
    from shapely.geometry import box, shape

    fits = []
    for f in features:
        if f["id"] not in points:
            continue
        ((cx, cy),) = to_px(_mercator(np.array([points[f["id"]]])))
        w, h = text_pt(f["properties"]["name"], size) + 4, size * 1.3
        outline = shapely.transform(shape(f["geometry"]), lambda xy: to_px(_mercator(xy)))
        if outline.buffer(0).contains(box(cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2)):
            fits.append(f["id"])
    return fits


def export_map_figure(s: Slide, province_code: str):
    """The map slide's choropleth drawn for the slide: the picture has the content box's
    proportions (MAP_WIDTH × MAP_HEIGHT), the map filling its height and beside it (never
    over it) a legend in slide-sized type. Regions are named where the name fits inside the
    outline: the counties of a prefecture's map; on the province's county map, where county
    names do not fit, the prefectures, outlined."""
    import shapely
    from shapely.geometry import shape

    from components import geo

    fig = map_figure(s, province_code)
    px_per_pt = MAP_HEIGHT / (_content_box()[3] / EMU_PT)
    legend_px, name_px = MAP_LEGEND_PT * px_per_pt, MAP_NAME_PT * px_per_pt
    features = geo.feature_collection(province_code, s.level, within=s.within)["features"]
    outline = shapely.union_all([shape(f["geometry"]) for f in features])
    lon0, lat0, lon1, lat1 = outline.bounds
    minx, miny, maxx, maxy = shapely.transform(outline, _mercator).bounds
    legend = [t.name for t in fig.data[1:] if t.showlegend]
    title = [s.series[0].name, "（各县（市、区））" if s.level == "county" else "（各设区市）"]
    legend_w = max(text_pt(t, legend_px) for t in [*legend, *title]) + 2.2 * legend_px
    pad, gap = 0.02 * MAP_HEIGHT, 0.03 * MAP_WIDTH
    k = min(
        (MAP_HEIGHT - 2 * pad) / (maxy - miny),
        (MAP_WIDTH - 2 * pad - gap - legend_w) / (maxx - minx),
    )
    map_w = (maxx - minx) * k
    x0 = (MAP_WIDTH - map_w - gap - legend_w) / 2
    fig.update_layout(
        width=MAP_WIDTH,
        height=MAP_HEIGHT,
        margin={"l": 0, "r": 0, "t": 0, "b": 0},
        font={"size": legend_px},
        legend={
            "title": {"text": "<br>".join(title), "font": {"size": legend_px}},
            "font": {"size": legend_px},
            "x": (x0 + map_w + gap) / MAP_WIDTH,
            "xanchor": "left",
            "y": 0.5,
            "yanchor": "middle",
            "bgcolor": "rgba(255,255,255,0)",
            "itemsizing": "trace",
        },
        geo={  # the outline's own ranges: plotly's fitbounds leaves a third of the box empty
            "fitbounds": False,
            "lonaxis": {"range": [lon0, lon1]},
            "lataxis": {"range": [lat0, lat1]},
            "center": {"lon": (lon0 + lon1) / 2, "lat": (lat0 + lat1) / 2},
            "domain": {"x": [x0 / MAP_WIDTH, (x0 + map_w) / MAP_WIDTH], "y": [0, 1]},
        },
    )
    fig.update_traces(marker={"size": legend_px}, selector={"type": "scattergeo"})

    def to_px(xy: np.ndarray) -> np.ndarray:  # Mercator plane to the map's pixels
        return np.column_stack([(xy[:, 0] - minx) * k, (maxy - xy[:, 1]) * k])

    points = geo.label_points(province_code)
    named = features
    if s.level == "county" and s.within is None:
        prefectures = geo.feature_collection(province_code, "prefecture")["features"]
        if len(_names_that_fit(features, points, to_px, name_px)) < len(features) / 2:
            named = prefectures
            fig.add_choropleth(
                geojson={"type": "FeatureCollection", "features": prefectures},
                featureidkey="id",
                locations=[f["id"] for f in prefectures],
                z=[0] * len(prefectures),
                colorscale=[[0, "rgba(0,0,0,0)"], [1, "rgba(0,0,0,0)"]],
                showscale=False,
                marker={"line": {"color": "#333333", "width": 2.5}},
                hoverinfo="skip",
                showlegend=False,
                name="设区市界",
            )
    shown = [f for f in named if f["id"] in _names_that_fit(named, points, to_px, name_px)]
    if shown:
        fig.add_scattergeo(
            lon=[points[f["id"]][0] for f in shown],
            lat=[points[f["id"]][1] for f in shown],
            text=[f["properties"]["name"] for f in shown],
            mode="text",
            textfont={
                "size": name_px,
                "color": "#111111",
                "weight": "bold",
                "shadow": "0 0 3px #FFFFFF, 0 0 3px #FFFFFF, 0 0 2px #FFFFFF",
            },
            hoverinfo="skip",
            showlegend=False,
            name=MAP_NAMES,
        )
    return fig


def map_images(deck: Deck, province_code: str) -> tuple[dict[str, bytes], tuple[str, ...]]:
    """PNG pictures of the deck's map slides, drawn by kaleido in the machine's Chromium
    (MathJax off, the base topojson from the app's static folder: no internet). Without a
    browser, or when drawing fails: no pictures and a notice saying so for the note slide."""
    slides = [s for s in deck.slides if s.kind == "map"]
    if not slides:
        return {}, ()
    browser = browser_path()
    if browser is None:
        return {}, (NO_BROWSER,)
    try:
        import kaleido

        from data.config import REPO_ROOT

        os.environ["BROWSER_PATH"] = str(browser)
        topojson = (REPO_ROOT / "static").as_uri() + "/"
        opts = {"format": "png", "width": MAP_WIDTH, "height": MAP_HEIGHT}
        images = {
            s.key: kaleido.calc_fig_sync(
                export_map_figure(s, province_code),
                opts=opts,
                topojson=topojson,
                kopts={"mathjax": False, "timeout": 60},
            )
            for s in slides
        }
    except Exception:  # a broken browser must not cost the user the whole deck
        log.exception("map export with kaleido failed")
        return {}, (MAP_FAILED,)
    return images, ()


# ---------------------------------------------------------------- watermark and title


def _watermark_centres() -> list[tuple[int, int]]:
    """Where the marks sit: three across in two staggered rows, covering the 16:9 slide."""
    rows = ((HEIGHT * 0.3, (1 / 6, 1 / 2, 5 / 6)), (HEIGHT * 0.75, (0.0, 1 / 3, 2 / 3, 1.0)))
    return [(int(WIDTH * x), int(y)) for y, xs in rows for x in xs]


def add_watermark(slide, text: str) -> None:
    """`text` tiled over the slide in faint grey, on top of the content (a table's filled
    cells would hide a mark beneath), each box locked so a click selects what lies under."""
    width, height = WATERMARK_BOX
    for x, y in _watermark_centres():
        box = slide.shapes.add_textbox(x - width // 2, y - height // 2, width, height)
        box.name = WATERMARK_NAME
        box.rotation = WATERMARK_ROTATION
        frame = box.text_frame
        frame.word_wrap = False
        frame.text = text
        _style_frame(frame, WATERMARK_PT, False, PP_ALIGN.CENTER)
        for run in frame.paragraphs[0].runs:
            run.font.color.rgb = RGBColor.from_string(WATERMARK_COLOR)
            color = run.font._rPr.find(qn("a:solidFill")).find(qn("a:srgbClr"))
            etree.SubElement(color, qn("a:alpha")).set("val", str(WATERMARK_ALPHA))
        c_nv_sp_pr = box._element.find(qn("p:nvSpPr")).find(qn("p:cNvSpPr"))
        locks = etree.SubElement(c_nv_sp_pr, qn("a:spLocks"))
        for lock in WATERMARK_LOCKS:
            locks.set(lock, "1")


def _title_slide(prs, deck: Deck) -> None:
    slide = prs.slides.add_slide(prs.slide_layouts[LAYOUT_TITLE])
    title, subtitle = slide.shapes.title, slide.placeholders[1]
    title.left, title.top, title.width, title.height = (
        MARGIN,
        Inches(2.2),
        WIDTH - 2 * MARGIN,
        Inches(1.5),
    )
    subtitle.left, subtitle.top = MARGIN, Inches(3.9)
    subtitle.width, subtitle.height = WIDTH - 2 * MARGIN, Inches(1.4)
    title.text_frame.text = deck.title
    _style_frame(title.text_frame, 40, True, PP_ALIGN.CENTER)
    lines = [f"{' › '.join(deck.crumbs)}　{fmt_period(deck.period)}", f"数据截至 {deck.as_of}"]
    if deck.is_demo:
        lines.append("（演示数据）")
    subtitle.text_frame.text = "\n".join(lines)
    _style_frame(subtitle.text_frame, 20, False, PP_ALIGN.CENTER)


def _source_slide(prs, deck: Deck, notices: list[str]) -> None:
    slide = _titled_slide(prs, "数据来源与说明", deck.subtitle)
    lines = [
        "数据来源：儿童关爱服务体系监测平台。各项指标按月计算到县（市、区），再逐级汇总到设区市和全省。",
        f"统计口径：各项指标按 {deck.as_of} 的在册、在岗、在办情况计算；比率的分母为零时显示“—”。",
        "本文稿仅含汇总指标，不含任何儿童或工作人员的个人信息。",
        "图表为 PowerPoint 原生图表，可在 PowerPoint 中右键“编辑数据”查看或修改数值。",
    ]
    if deck.is_demo:
        lines.insert(0, f"【演示数据】{DEMO_NOTE}")
    lines += notices
    left, top, width, height = _content_box()
    box = _text_box(slide, left, top, width, height, "\n".join(lines), 18)
    for paragraph in box.text_frame.paragraphs:
        paragraph.space_after = Pt(10)


def _pages(s: Slide, images: Mapping[str, bytes]) -> tuple[tuple[int, ...], ...] | None:
    """The data rows on each slide of a table slide (None for any other slide)."""
    if s.key in images or s.table is None:
        return None
    return _slide_table(s).pages


def page_count(deck: Deck, images: Mapping[str, bytes] | None = None) -> int:
    """Slides in the file: the cover, the deck's slides (a long table on several), the note."""
    return 2 + sum(len(_pages(s, images or {}) or (0,)) for s in deck.slides)


def build_pptx_with_maps(deck: Deck, province_code: str, watermark: str | None = None) -> bytes:
    """The deck with its maps drawn as pictures where a browser allows (else says so)."""
    images, notices = map_images(deck, province_code)
    return build_pptx(deck, images, notices, watermark)


def build_pptx(
    deck: Deck,
    images: Mapping[str, bytes] | None = None,
    notices: tuple[str, ...] = (),
    watermark: str | None = None,
) -> bytes:
    """The deck as .pptx bytes: title slide, the deck's slides in order, the source note.
    `images` maps a slide key to a PNG drawn in place of its content (maps); `notices` are
    extra lines for the note slide (e.g. why the maps are missing); `watermark` is laid
    over every slide. A table too long for one slide continues on the next, titled
    「预警地区（1/2）」, its header repeated."""
    images = images or {}
    prs = Presentation()
    prs.slide_width, prs.slide_height = WIDTH, HEIGHT
    prs.core_properties.title = deck.title
    prs.core_properties.subject = f"{deck.scope_name} {fmt_period(deck.period)}"
    _title_slide(prs, deck)
    for s in deck.slides:
        pages = _pages(s, images)
        if pages is not None:
            layout = _slide_table(s)
            for i, rows in enumerate(pages, start=1):
                title = s.title if len(pages) == 1 else f"{s.title}（{i}/{len(pages)}）"
                slide = _titled_slide(prs, title, s.subtitle)
                if rows:
                    _add_table(slide, layout, rows)
                else:
                    _text_box(slide, *_content_box(), "本期没有未达标的地区。", 24)
                _note(slide, s.note)
            continue
        slide = _titled_slide(prs, s.title, s.subtitle)
        if s.key in images:
            _add_picture(slide, images[s.key])
        elif s.kind == "bars" and s.categories:
            _add_bars(slide, s)
        elif s.kind == "lines" and s.categories:
            _add_lines(slide, s)
        elif s.kind == "map":
            text = "本页地图未能导出为图片，请在系统的“汇报模式”中查看；各地区数值见后面的排名页。"
            _text_box(slide, *_content_box(), text, 24)
        else:
            _text_box(slide, *_content_box(), "本期无数据。", 24)
        _note(slide, s.note)
    _source_slide(prs, deck, list(notices))
    if watermark:
        for slide in prs.slides:
            add_watermark(slide, watermark)
    buf = io.BytesIO()
    prs.save(buf)
    return buf.getvalue()
