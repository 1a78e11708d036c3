"""The 汇报模式 deck (components/deck.py) as a PowerPoint file, built with python-pptx.

A title slide, then one slide per deck slide — bars and lines as native PowerPoint charts
(components/pptx_charts.py), tables as PowerPoint tables continued over slides when long
(components/pptx_tables.py), maps as pictures drawn by kaleido in the machine's Chromium
(components/pptx_maps.py; without one the deck says so and keeps everything else) — and a
data-source note slide last (saying 演示数据 when the database holds demo data). Text, fonts
and the watermark are components/pptx_text.py's: every run of text gets a Chinese East Asian
font (`a:ea`), so the Chinese renders in PowerPoint and WPS without relying on font
fallback. Nothing here needs the internet or Streamlit.

Laid out to be handed out as it is (issue 18: LibreOffice showed a table running off its
slide, every second county name missing, a flat trend); tests/test_pptx_export.py checks the
geometry of every slide.
"""

from __future__ import annotations

import io
from collections.abc import Mapping

from pptx import Presentation
from pptx.enum.text import PP_ALIGN
from pptx.util import Inches, Pt

from components.deck import Deck, Slide
from components.format import fmt_period
from components.pptx_charts import add_bars, add_lines
from components.pptx_maps import add_picture, map_images
from components.pptx_tables import add_table, slide_table
from components.pptx_text import (
    HEIGHT,
    LAYOUT_TITLE,
    MARGIN,
    WIDTH,
    add_note,
    add_watermark,
    content_box,
    style_frame,
    text_box,
    titled_slide,
)

PPTX_MIME = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
DEMO_NOTE = "本演示文稿中的数据为程序生成的演示数据，不是真实统计，仅供演示系统功能。"


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
    style_frame(title.text_frame, 40, True, PP_ALIGN.CENTER)
    lines = [f"{' › '.join(deck.crumbs)}　{fmt_period(deck.period)}", f"数据截至 {deck.as_of}"]
    if deck.is_demo:
        lines.append("（演示数据）")
    subtitle.text_frame.text = "\n".join(lines)
    style_frame(subtitle.text_frame, 20, False, PP_ALIGN.CENTER)


def _source_slide(prs, deck: Deck, notices: list[str]) -> None:
    slide = titled_slide(prs, "数据来源与说明", deck.subtitle)
    lines = [
        "数据来源：儿童关爱服务体系监测平台。各项指标按月计算到县（市、区），再逐级汇总到设区市和全省。",
        f"统计口径：各项指标按 {deck.as_of} 的在册、在岗、在办情况计算；比率的分母为零时显示“—”。",
        "本文稿仅含汇总指标，不含任何儿童或工作人员的个人信息。",
        "图表为 PowerPoint 原生图表，可在 PowerPoint 中右键“编辑数据”查看或修改数值。",
    ]
    if deck.is_demo:
        lines.insert(0, f"【演示数据】{DEMO_NOTE}")
    lines += notices
    left, top, width, height = content_box()
    box = text_box(slide, left, top, width, height, "\n".join(lines), 18)
    for paragraph in box.text_frame.paragraphs:
        paragraph.space_after = Pt(10)


def _pages(s: Slide, images: Mapping[str, bytes]) -> tuple[tuple[int, ...], ...] | None:
    """The data rows on each slide of a table slide (None for any other slide)."""
    if s.key in images or s.table is None:
        return None
    return slide_table(s).pages


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
            layout = slide_table(s)
            for i, rows in enumerate(pages, start=1):
                title = s.title if len(pages) == 1 else f"{s.title}（{i}/{len(pages)}）"
                slide = titled_slide(prs, title, s.subtitle)
                if rows:
                    add_table(slide, layout, rows)
                else:
                    text_box(slide, *content_box(), "本期没有未达标的地区。", 24)
                add_note(slide, s.note)
            continue
        slide = titled_slide(prs, s.title, s.subtitle)
        if s.key in images:
            add_picture(slide, images[s.key])
        elif s.kind == "bars" and s.categories:
            add_bars(slide, s)
        elif s.kind == "lines" and s.categories:
            add_lines(slide, s)
        elif s.kind == "map":
            text = "本页地图未能导出为图片，请在系统的“汇报模式”中查看；各地区数值见后面的排名页。"
            text_box(slide, *content_box(), text, 24)
        else:
            text_box(slide, *content_box(), "本期无数据。", 24)
        add_note(slide, s.note)
    _source_slide(prs, deck, list(notices))
    if watermark:
        for slide in prs.slides:
            add_watermark(slide, watermark)
    buf = io.BytesIO()
    prs.save(buf)
    return buf.getvalue()
