"""Native PowerPoint charts of the deck (their data sits in the embedded workbook, so a staff
member can restyle or correct them in PowerPoint). Ranking bars name every region (label
interval 1, a font sized to the number of names; issue 18 found every second county name
missing), each bar in its region's status colour with the target as a dashed line placed on
the plot area's fixed layout; a trend's value axis is fitted to its data (not 0–100%)."""

from __future__ import annotations

import math
from collections.abc import Sequence

from lxml import etree
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
from pptx.enum.text import MSO_ANCHOR
from pptx.oxml.ns import qn
from pptx.util import Inches, Pt

from components.deck import Slide
from components.format import fmt_target
from components.pptx_text import (
    BOX_INSET,
    EMU_PT,
    MARGIN,
    WIDTH,
    content_box,
    set_cjk_font,
    text_box,
    text_pt,
)

BAR_FONT_MIN, BAR_FONT_MAX = 10, 16  # names and values of the ranking bars
BAR_SLOT_EM = 1.45  # each bar's slot is at least this many font sizes high: names never overlap
LEGEND_HEIGHT = Inches(0.4)
LEGEND_MARK, LEGEND_GAP = Inches(0.35), Inches(0.15)
TARGET_COLOR = "555555"  # the dashed target line, as on screen
TARGET_LINE = "目标线"
BAR_COLOR = RGBColor(0x00, 0x72, 0xB2)  # the dashboard's blue (colour-blind safe)
LINE_COLORS = ("0072B2", "E69F00", "009E73", "CC79A7", "56B4E9", "D55E00")


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
        box = text_box(slide, x, top, width, LEGEND_HEIGHT, text, size)
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


def add_bars(slide, s: Slide) -> None:
    """A ranking: one bar per region, best at the top, every name shown in a font that lets
    them all stack; each bar in its status colour. The target is a dashed line under the
    transparent chart, placed on the plot area's fixed layout: it shows between the bars
    and never covers a value."""
    left, top, width, height = content_box(note=bool(s.note))
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


def add_lines(slide, s: Slide) -> None:
    """The trend: one line per metric over the months, the value axis fitted to the data
    (rates in %, as the web chart shows them)."""
    data = CategoryChartData(number_format=s.number_format)
    data.categories = list(s.categories)
    for series in s.series:
        data.add_series(series.name, list(series.values))
    box = content_box(note=bool(s.note))
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
