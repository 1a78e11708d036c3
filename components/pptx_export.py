"""The 汇报模式 deck (components/deck.py) as a PowerPoint file, built with python-pptx.

A title slide, then one slide per deck slide — bars and lines as native PowerPoint charts
(their data sits in the embedded workbook, so a staff member can restyle or correct them in
PowerPoint), tables as PowerPoint tables, maps as pictures drawn by kaleido in the machine's
Chromium (`map_images`; without one the deck says so and keeps everything else) — and a
data-source note slide last (saying 演示数据 when the database holds demo data). Every run of text gets a
Chinese East Asian font (`a:ea`), so the Chinese renders in PowerPoint and WPS without
relying on font fallback. Nothing here needs the internet or Streamlit.

Watermark (components/watermark.py): given one, every slide carries it, turned and tiled in
faint grey text boxes laid over the content, locked against selection and editing, so the
figures stay readable and the charts editable under it.
"""

from __future__ import annotations

import io
import logging
import os
from collections.abc import Mapping
from pathlib import Path

import pandas as pd
from lxml import etree
from pptx import Presentation
from pptx.chart.data import CategoryChartData
from pptx.dml.color import RGBColor
from pptx.enum.chart import XL_CHART_TYPE, XL_LEGEND_POSITION
from pptx.enum.text import PP_ALIGN
from pptx.oxml.ns import qn
from pptx.util import Emu, Inches, Pt

from components.deck import Deck, Slide
from components.format import fmt_period

log = logging.getLogger(__name__)
CHROMIUM = Path("/usr/bin/chromium")  # Debian's; kaleido must never download one
MAP_WIDTH, MAP_HEIGHT = 1400, 900  # pixels of a rendered map
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


def _text_box(slide, left, top, width, height, text: str, size: float, bold: bool = False):
    box = slide.shapes.add_textbox(left, top, width, height)
    box.text_frame.word_wrap = True
    box.text_frame.text = text
    _style_frame(box.text_frame, size, bold)
    return box


def _titled_slide(prs, title: str, subtitle: str):
    """A 'Title Only' slide with the title across the top and the scope line under it."""
    slide = prs.slides.add_slide(prs.slide_layouts[LAYOUT_TITLE_ONLY])
    shape = slide.shapes.title
    shape.left, shape.top = MARGIN, Inches(0.3)
    shape.width, shape.height = WIDTH - 2 * MARGIN, Inches(0.9)
    shape.text_frame.text = title
    _style_frame(shape.text_frame, 30, True, PP_ALIGN.LEFT)
    _text_box(slide, MARGIN, Inches(1.15), WIDTH - 2 * MARGIN, Inches(0.45), subtitle, 14)
    return slide


CONTENT_TOP = Inches(1.7)
NOTE_HEIGHT = Inches(0.5)


def _content_box() -> tuple[Emu, Emu, Emu, Emu]:
    return MARGIN, CONTENT_TOP, WIDTH - 2 * MARGIN, HEIGHT - CONTENT_TOP - NOTE_HEIGHT - MARGIN


def _note(slide, text: str) -> None:
    if text:
        top = HEIGHT - MARGIN - NOTE_HEIGHT
        _text_box(slide, MARGIN, top, WIDTH - 2 * MARGIN, NOTE_HEIGHT, text, 14)


def _add_table(slide, s: Slide) -> None:
    df = s.table
    left, top, width, height = _content_box()
    rows = len(df) + 1
    size = 18 if rows <= 8 else 14 if rows <= 13 else 11
    row_h = min(Inches(0.5), int(height / max(rows, 1)))
    shape = slide.shapes.add_table(rows, len(df.columns), left, top, width, row_h * rows)
    table = shape.table
    for j, col in enumerate(df.columns):
        table.cell(0, j).text = str(col)
    for i, row in enumerate(df.itertuples(index=False), start=1):
        for j, value in enumerate(row):
            table.cell(i, j).text = str(value)
    for r in range(rows):
        for j in range(len(df.columns)):
            _style_frame(table.cell(r, j).text_frame, size, r == 0)


def _add_chart(slide, s: Slide) -> None:
    data = CategoryChartData(number_format=s.number_format)
    data.categories = list(s.categories)
    for series in s.series:
        data.add_series(series.name, list(series.values))
    kind = XL_CHART_TYPE.BAR_CLUSTERED if s.kind == "bars" else XL_CHART_TYPE.LINE_MARKERS
    chart = slide.shapes.add_chart(kind, *_content_box(), data).chart
    set_cjk_font(chart.font, 14)
    values = chart.value_axis
    values.has_major_gridlines = True
    values.tick_labels.number_format = s.number_format
    values.tick_labels.number_format_is_linked = False
    if s.number_format.endswith("%"):
        values.minimum_scale = 0
        values.maximum_scale = 1
    if s.kind == "bars":
        chart.has_legend = False
        chart.category_axis.reverse_order = True  # the first (best) region at the top
        plot = chart.plots[0]
        plot.gap_width = 60
        plot.has_data_labels = True
        labels = plot.data_labels
        labels.number_format = s.number_format
        labels.number_format_is_linked = False
        set_cjk_font(labels.font, 14)
        fill = plot.series[0].format.fill
        fill.solid()
        fill.fore_color.rgb = BAR_COLOR
    else:
        chart.has_legend = True
        chart.legend.position = XL_LEGEND_POSITION.BOTTOM
        chart.legend.include_in_layout = False
        set_cjk_font(chart.legend.font, 14)
        for series, color in zip(chart.plots[0].series, LINE_COLORS, strict=False):
            series.format.line.color.rgb = RGBColor.from_string(color)
            series.format.line.width = Pt(2.5)
            series.smooth = False


def _add_picture(slide, image: bytes) -> None:
    left, top, _, height = _content_box()
    picture = slide.shapes.add_picture(io.BytesIO(image), left, top, height=height)
    picture.left = int((WIDTH - picture.width) / 2)


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
                map_figure(s, province_code),
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
        "数据来源：儿童关爱服务体系监测平台（报表数据库指标汇总表 kpi_snapshots）。",
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
    over every slide."""
    images = images or {}
    prs = Presentation()
    prs.slide_width, prs.slide_height = WIDTH, HEIGHT
    prs.core_properties.title = deck.title
    prs.core_properties.subject = f"{deck.scope_name} {fmt_period(deck.period)}"
    _title_slide(prs, deck)
    for s in deck.slides:
        slide = _titled_slide(prs, s.title, s.subtitle)
        if s.key in images:
            _add_picture(slide, images[s.key])
        elif s.table is not None:
            _add_table(slide, s)
        elif s.kind in ("bars", "lines") and s.categories:
            _add_chart(slide, s)
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
