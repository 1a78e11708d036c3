"""Text on the deck's slides (components/pptx_export.py): the slide's geometry, the Chinese
East Asian font on every run, text widths estimated from the characters (`text_pt`: a
full-width character is one em, the rest 0.62 em, enough for the Latin digits of the fonts in
use), titled slides, footnotes, and the watermark.

Watermark (components/watermark.py): given one, every slide carries it, turned and tiled in
faint grey text boxes laid over the content, locked against selection and editing, so the
figures stay readable and the charts editable under it. The tiles overhang the slide's edges
like wallpaper; every other shape lies inside the slide.
"""

from __future__ import annotations

import unicodedata
from itertools import pairwise

from lxml import etree
from pptx.dml.color import RGBColor
from pptx.enum.text import PP_ALIGN
from pptx.oxml.ns import qn
from pptx.util import Emu, Inches, Pt

CJK_FONT = "Microsoft YaHei"  # present on the Windows PCs the deck is handed to
LATIN_FONT = "Microsoft YaHei"
WIDTH, HEIGHT = Inches(13.333), Inches(7.5)  # 16:9, as meeting-room projectors are
MARGIN = Inches(0.5)
EMU_PT = 12700  # EMU in a point
BOX_INSET = Inches(0.1)  # a text box's left and right inset (python-pptx's default)
LAYOUT_TITLE, LAYOUT_TITLE_ONLY = 0, 5  # python-pptx's default template
LINE_EM = 1.4  # a line of CJK text in font sizes (Noto Sans CJK 1.36, Microsoft YaHei 1.32)
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


def style_frame(frame, size: float, bold: bool = False, align=None) -> None:
    for paragraph in frame.paragraphs:
        if align is not None:
            paragraph.alignment = align
        for run in paragraph.runs:
            set_cjk_font(run.font, size, bold)


# ---------------------------------------------------------------- measuring text


def text_pt(text: str, size: float, bold: bool = False) -> float:
    """The width of one line in points, rounded up: full-width (and ambiguous-width: ≥ ✓ —)
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


def text_box(slide, left, top, width, height, text: str, size: float, bold: bool = False):
    box = slide.shapes.add_textbox(left, top, width, height)
    box.text_frame.word_wrap = True
    box.text_frame.text = text
    style_frame(box.text_frame, size, bold)
    return box


def titled_slide(prs, title: str, subtitle: str):
    """A 'Title Only' slide with the title across the top (smaller type when long, never
    wrapped) and the scope line under it."""
    slide = prs.slides.add_slide(prs.slide_layouts[LAYOUT_TITLE_ONLY])
    shape = slide.shapes.title
    shape.left, shape.top = MARGIN, Inches(0.3)
    shape.width, shape.height = WIDTH - 2 * MARGIN, Inches(0.9)
    shape.text_frame.text = title
    size = fit_size(title, shape.width - 2 * BOX_INSET, 30, 20)
    style_frame(shape.text_frame, size, True, PP_ALIGN.LEFT)
    text_box(slide, MARGIN, Inches(1.15), WIDTH - 2 * MARGIN, Inches(0.45), subtitle, 14)
    return slide


CONTENT_TOP = Inches(1.7)
NOTE_HEIGHT = Inches(0.5)
NOTE_TOP = HEIGHT - MARGIN - NOTE_HEIGHT


def content_box(note: bool = True) -> tuple[Emu, Emu, Emu, Emu]:
    """Left, top, width, height under the title; without a note it reaches the margin."""
    bottom = NOTE_TOP if note else HEIGHT - MARGIN
    return MARGIN, CONTENT_TOP, WIDTH - 2 * MARGIN, bottom - CONTENT_TOP


def add_note(slide, text: str) -> None:
    """The footnote on one line at the foot of the slide, below everything else."""
    if text:
        width = WIDTH - 2 * MARGIN
        size = fit_size(text, width - 2 * BOX_INSET, 14, 10)
        text_box(slide, MARGIN, NOTE_TOP, width, NOTE_HEIGHT, text, size)


# ---------------------------------------------------------------- watermark


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
        style_frame(frame, WATERMARK_PT, False, PP_ALIGN.CENTER)
        for run in frame.paragraphs[0].runs:
            run.font.color.rgb = RGBColor.from_string(WATERMARK_COLOR)
            color = run.font._rPr.find(qn("a:solidFill")).find(qn("a:srgbClr"))
            etree.SubElement(color, qn("a:alpha")).set("val", str(WATERMARK_ALPHA))
        c_nv_sp_pr = box._element.find(qn("p:nvSpPr")).find(qn("p:cNvSpPr"))
        locks = etree.SubElement(c_nv_sp_pr, qn("a:spLocks"))
        for lock in WATERMARK_LOCKS:
            locks.set(lock, "1")
