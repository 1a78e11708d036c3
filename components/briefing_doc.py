"""会议简报 as a one-page Word document (.docx, python-docx) in Chinese, and the sentences the
briefing page shares with it.

Fonts: every run carries an East Asian font (黑体 SimHei for headings, 宋体 SimSun for text) as
well as a Latin one, so Word and WPS on any machine show the Chinese in a CJK face, and a
LibreOffice without those fonts falls back to its CJK font (Noto Sans CJK SC) by the
East Asian slot. One page: A4, 2 cm margins, 10.5 pt (五号) text, and every list is cut to a
fixed number of lines (`MAX_*`), so the page cannot overflow whatever the data.

Watermark (components/watermark.py): given one, the page header names it in small grey type
and carries it as Word's own printed watermark (the VML text shape Word and WPS write for
设计 › 水印: diagonal, light silver, behind the text), so a photocopy or a forwarded file
still says whose download it was. The header sits in the top margin: the page stays one page.

Pure functions, no Streamlit: the page calls `briefing_docx` when the download is clicked.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping
from datetime import date
from xml.sax.saxutils import quoteattr

import pandas as pd
from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import parse_xml
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor
from docx.text.paragraph import Paragraph
from docx.text.run import Run

from components.format import (
    DASH,
    fmt_date_cn,
    fmt_delta,
    fmt_gap,
    fmt_period,
    fmt_target,
    fmt_value,
)
from core.metrics import BY_CODE
from core.settings import Settings
from queries.briefing import Briefing
from queries.rankings import settings_or_default
from queries.supervision import COUNT_LABELS

DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
BODY_FONT = "SimSun"  # 宋体
HEADING_FONT = "SimHei"  # 黑体
LATIN_FONT = "Times New Roman"
BODY_PT = 10.5  # 五号
MAX_MOVERS = 5
MAX_CROSSING_LINES = 4  # per direction (fell / rose)
MAX_NAMES = 6  # region names per crossing line
MAX_OVERDUE_COUNTIES = 5
DIRECTION_WORD = {"better": "向好", "worse": "变差", "flat": "持平", "no_data": "无数据"}
WATERMARK_PT = 8  # the header line
# Word's text-watermark shape (type 136, "PowerPlusWaterMarkObject"), as Word writes it.
WATERMARK_VML = (
    '<w:r xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
    ' xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:office">'
    "<w:pict>"
    '<v:shapetype id="_x0000_t136" coordsize="21600,21600" o:spt="136" adj="10800"'
    ' path="m@7,l@8,m@5,21600l@6,21600e">'
    "<v:formulas>"
    '<v:f eqn="sum #0 0 10800"/><v:f eqn="prod #0 2 1"/><v:f eqn="sum 21600 0 @1"/>'
    '<v:f eqn="sum 0 0 @2"/><v:f eqn="sum 21600 0 @3"/><v:f eqn="if @0 @3 0"/>'
    '<v:f eqn="if @0 21600 @1"/><v:f eqn="if @0 0 @2"/><v:f eqn="if @0 @4 21600"/>'
    '<v:f eqn="mid @5 @6"/><v:f eqn="mid @8 @5"/><v:f eqn="mid @7 @8"/>'
    '<v:f eqn="mid @6 @7"/><v:f eqn="sum @6 0 @5"/>'
    "</v:formulas>"
    '<v:path textpathok="t" o:connecttype="custom"'
    ' o:connectlocs="@9,0;@10,10800;@11,21600;@12,10800" o:connectangles="270,180,90,0"/>'
    '<v:textpath on="t" fitshape="t"/><v:handles><v:h position="#0,bottomRight"'
    ' xrange="6629,14971"/></v:handles><o:lock v:ext="edit" text="t" shapetype="t"/>'
    "</v:shapetype>"
    '<v:shape id="PowerPlusWaterMarkObject1" o:spid="_x0000_s2049" type="#_x0000_t136"'
    ' style="position:absolute;margin-left:0;margin-top:0;width:460pt;height:46pt;'
    "rotation:315;z-index:-251654144;mso-position-horizontal:center;"
    "mso-position-horizontal-relative:margin;mso-position-vertical:center;"
    'mso-position-vertical-relative:margin" o:allowincell="f" fillcolor="silver" stroked="f">'
    '<v:fill opacity=".35"/>'
    '<v:textpath style="font-family:&quot;SimSun&quot;;font-size:1pt" string={text}/>'
    "</v:shape></w:pict></w:r>"
)


# ---------------------------------------------------------------- sentences


def mover_line(row: dict, with_direction: bool = True, pending: float | None = None) -> str:
    """'季度探访率：由 88.1% 升至 91.2%（+3.1 个百分点，向好）' (without the last word when
    the caller shows the direction itself); referral timeliness adds its pending referrals
    ('；另有待响应 36 件，不计入') when `pending` is given."""
    line = _mover_text(row, with_direction)
    if row["metric"] == "referral_timely" and pending is not None and not pd.isna(pending):
        line += f"；另有待响应 {int(pending):,} 件（转介不满 7 天，不计入）"
    return line


def _mover_text(row: dict, with_direction: bool) -> str:
    m = BY_CODE[row["metric"]]
    b, v = fmt_value(m, row["base_value"]), fmt_value(m, row["value"])
    if row["direction"] == "no_data":
        return f"{m.label}：{b} → {v}（无法比较）"
    if row["direction"] == "flat":
        return f"{m.label}：{v}，与对比期持平"
    up = row["change"] > 0
    verb = ("升至" if up else "降至") if m.kind == "rate" else ("增至" if up else "减至")
    extra = ""
    if m.kind != "rate" and row["base_value"]:
        extra = f"，{'+' if up else '-'}{abs(row['change']) / abs(row['base_value']) * 100:.1f}%"
    delta = fmt_delta(m, row["change"])
    word = f"，{DIRECTION_WORD[row['direction']]}" if with_direction else ""
    return f"{m.label}：由 {b} {verb} {v}（{delta}{extra}{word}）"


def names_text(names: list[str], limit: int = MAX_NAMES) -> str:
    """'上犹县、吉州区' or '上犹县、吉州区……等 12 个'."""
    if len(names) <= limit:
        return "、".join(names)
    return "、".join(names[:limit]) + f"等 {len(names)} 个"


def crossing_headline(crossings: pd.DataFrame, word: str) -> str:
    """'跌破目标：12 个县次（8 个县）': a county crossing on several metrics counts once per
    metric (县次), so the distinct counties stand beside it (issue 18.3)."""
    if crossings.empty:
        return f"{word}：无"
    return f"{word}：{len(crossings)} 个县次（{crossings['code'].nunique()} 个县）"


def crossing_lines(
    crossings: pd.DataFrame, direction: str, max_lines: int = MAX_CROSSING_LINES
) -> list[str]:
    """One line per metric: '转介响应及时率（目标 ≥ 90.0%）：赣县区、崇义县……等 30 个';
    metrics with the most regions first, at most `max_lines` lines (the rest summed up)."""
    part = crossings[crossings["direction"] == direction]
    if part.empty:
        return []
    if direction == "fell" and "gap" in part:  # largest gap first (queries.briefing's order)
        named = [
            f"{r['name']}（{gap}）"
            if (gap := fmt_gap(r["metric"], r["gap"], r["small_sample"]))
            else r["name"]
            for r in part.to_dict("records")
        ]
        part = part.assign(name=named)
    groups = [(metric, list(g["name"])) for metric, g in part.groupby("metric", sort=False)]
    groups.sort(key=lambda x: -len(x[1]))
    lines = [
        f"{BY_CODE[mc].label}（{fmt_target(mc)}）：{names_text(names)}"
        for mc, names in groups[:max_lines]
    ]
    rest = groups[max_lines:]
    if rest:
        n = sum(len(names) for _mc, names in rest)
        labels = "、".join(BY_CODE[mc].label for mc, _names in rest)
        lines.append(f"另有{labels}共 {n} 个县次")
    return lines


def overdue_summary(counts: pd.DataFrame, top: int = MAX_OVERDUE_COUNTIES) -> str:
    """'新增逾期个案 26 件（高风险 4 件），较多的是：宁都县 5 件、……' from
    `queries.briefing.new_overdue_counts` (every new overdue case, per county)."""
    n = int(counts["cases"].sum())
    if n == 0:
        return "对比期以来没有新增逾期个案。"
    high = int(counts["high"].sum())
    named = counts[counts["name"].notna()]
    named = named.sort_values(["cases", "name"], ascending=[False, True]).head(top)
    parts = [f"{r.name} {r.cases:,} 件" for r in named.itertuples()]
    text = f"新增逾期个案 {n:,} 件（其中高风险 {high:,} 件）"
    return text + ("，较多的是：" + "、".join(parts) if parts else "") + "。"


def rank_move(change) -> str:
    if change is None or pd.isna(change):
        return DASH
    change = int(change)
    return "持平" if change == 0 else (f"上升 {change}" if change > 0 else f"下降 {-change}")


def bottom_rows(bottom: pd.DataFrame, missed_shown: int = 2) -> list[list[str]]:
    """Rows of the bottom table: 名次, 县（市、区）, 所属设区市, 综合得分, 名次变化, 主要问题."""
    rows = []
    for r in bottom.to_dict("records"):
        missed = [BY_CODE[m].label for m in r["missed"][:missed_shown]]
        rows.append(
            [
                f"{int(r['rank'])}/{int(r['n_ranked'])}",
                r["name"],
                r["parent_name"] or DASH,
                f"{r['score']:.2f}",
                rank_move(r["rank_change"]),
                "、".join(missed) or "无未达标指标",
            ]
        )
    return rows


def composite_parts(settings: Settings | None = None) -> str:
    """'儿童之家覆盖率、……和逾期个案比例': what the composite score weighs."""
    s = settings_or_default(settings)
    names = [
        f"{BY_CODE[m].label}比例" if m in s.relative_to else BY_CODE[m].label
        for m, w in s.composite_weights.items()
        if w > 0
    ]
    return "、".join(names[:-1]) + f"和{names[-1]}" if len(names) > 1 else "".join(names)


# ---------------------------------------------------------------- document


def _fonts(run: Run, east_asian: str, size: float, bold: bool = False) -> None:
    """Latin and East Asian font on the run itself (Word ignores a style's East Asian font
    when the run names its own Latin one)."""
    run.font.name = LATIN_FONT
    run.font.size = Pt(size)
    run.font.bold = bold
    rpr = run._element.get_or_add_rPr()
    fonts = rpr.get_or_add_rFonts()
    fonts.set(qn("w:eastAsia"), east_asian)
    fonts.set(qn("w:ascii"), LATIN_FONT)
    fonts.set(qn("w:hAnsi"), LATIN_FONT)


def _para(
    doc,
    text: str = "",
    *,
    font: str = BODY_FONT,
    size: float = BODY_PT,
    bold: bool = False,
    align=None,
    after: float = 2,
    indent: float | None = None,
    color: RGBColor | None = None,
) -> Paragraph:
    p = doc.add_paragraph()
    fmt = p.paragraph_format
    fmt.space_before = Pt(0)
    fmt.space_after = Pt(after)
    fmt.line_spacing = 1.15
    if indent is not None:
        fmt.left_indent = Cm(indent)
    if align is not None:
        p.alignment = align
    if text:
        run = p.add_run(text)
        _fonts(run, font, size, bold)
        if color is not None:
            run.font.color.rgb = color
    return p


def _heading(doc, text: str) -> None:
    _para(doc, text, font=HEADING_FONT, size=12, bold=True, after=2)


def _bullets(doc, lines: Iterable[str]) -> None:
    for line in lines:
        _para(doc, f"• {line}", indent=0.4)


def _table(doc, header: list[str], rows: list[list[str]]) -> None:
    table = doc.add_table(rows=1 + len(rows), cols=len(header))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for i, row in enumerate([header, *rows]):
        for j, text in enumerate(row):
            cell = table.cell(i, j)
            p = cell.paragraphs[0]
            p.paragraph_format.space_after = Pt(0)
            run = p.add_run(str(text))
            _fonts(run, HEADING_FONT if i == 0 else BODY_FONT, 9.5, bold=i == 0)


def add_watermark(section, text: str) -> None:
    """`text` in the section's header: a small grey line, and Word's diagonal watermark."""
    p = section.header.paragraphs[0]
    p.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    run = p.add_run(text)
    _fonts(run, BODY_FONT, WATERMARK_PT)
    run.font.color.rgb = RGBColor(128, 128, 128)
    p._p.append(parse_xml(WATERMARK_VML.format(text=quoteattr(text))))


def supervision_line(counts: Mapping[str, int], since: date) -> str:
    """The 督办 section's sentence (page, Word file), from queries.supervision.counts."""
    return (
        f"自 {since:%Y-%m-%d} 以来新发起督办 {counts['issued']:,} 件，收到反馈 "
        f"{counts['answered']:,} 件，销号 {counts['closed']:,} 件；目前逾期未反馈 "
        f"{counts['overdue']:,} 件，待反馈 {counts['open']:,} 件，待销号 "
        f"{counts['awaiting_acceptance']:,} 件。"
    )


def supervision_table(counts: Mapping[str, int]) -> pd.DataFrame:
    """The 督办 counts as a two-column table (事项, 件数) in COUNT_LABELS order: the page's
    and the deck's."""
    return pd.DataFrame(
        {
            "事项": list(COUNT_LABELS.values()),
            "件数": [f"{counts[k]:,} 件" for k in COUNT_LABELS],
        }
    )


def briefing_docx(
    b: Briefing,
    data_date: str | None = None,
    is_demo: bool = False,
    watermark: str | None = None,
    supervision: tuple[Mapping[str, int], date] | None = None,
) -> bytes:
    """The briefing as a one-page A4 .docx (bytes); `watermark` in the page header;
    `supervision` (the counts and the day since) adds the section 五、督办事项."""
    doc = Document()
    section = doc.sections[0]
    section.page_width, section.page_height = Cm(21.0), Cm(29.7)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Cm(2.0))
    normal = doc.styles["Normal"]
    normal.font.name = LATIN_FONT
    normal.font.size = Pt(BODY_PT)
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), BODY_FONT)
    if watermark:
        add_watermark(section, watermark)
    doc.core_properties.title = f"{b.scope_name}儿童关爱服务体系监测简报"
    doc.core_properties.language = "zh-CN"

    _para(
        doc,
        f"{b.scope_name}儿童关爱服务体系监测简报",
        font=HEADING_FONT,
        size=16,
        bold=True,
        align=WD_ALIGN_PARAGRAPH.CENTER,
        after=2,
    )
    sub = f"{fmt_period(b.period)}（与{fmt_period(b.base)}对比）"
    if data_date:
        sub += f"　数据截至{fmt_date_cn(data_date)}"
    if is_demo:
        sub += "　【演示数据】"
    _para(doc, sub, size=10, align=WD_ALIGN_PARAGRAPH.CENTER, after=6, color=RGBColor(80, 80, 80))

    _heading(doc, "一、变化最大的指标")
    moved = b.movers[b.movers["direction"].isin(["better", "worse"])].head(MAX_MOVERS)
    lines = [mover_line(r, pending=b.referrals_pending) for r in moved.to_dict("records")]
    _bullets(doc, lines or ["各项指标与对比期持平。"])

    fell, rose = b.fell, b.rose
    _heading(doc, "二、达标情况变化")
    _para(doc, crossing_headline(fell, "跌破目标") + "。", bold=True)
    _bullets(doc, crossing_lines(b.crossings, "fell"))
    _para(doc, crossing_headline(rose, "重新达标") + "。", bold=True)
    _bullets(doc, crossing_lines(b.crossings, "rose"))

    _heading(doc, "三、新增逾期个案")
    _para(doc, overdue_summary(b.overdue_counts))

    _heading(doc, "四、综合得分后五位的县（市、区）")
    rows = bottom_rows(b.bottom)
    if rows:
        _table(
            doc, ["名次", "县（市、区）", "所属设区市", "综合得分", "名次变化", "主要问题"], rows
        )
    else:
        _para(doc, "本期没有可排名的县（市、区）。")
    if supervision is not None:
        _heading(doc, "五、督办事项")
        _para(doc, supervision_line(*supervision))
    _para(
        doc,
        f"注：综合得分为{composite_parts()}折算为 0–100 分后的加权平均，权重见看板“红黑榜”页的"
        "“综合得分怎么算”；新增逾期个案指对比期月末未逾期、本期月末已逾期的在办个案。",
        size=9,
        after=0,
        color=RGBColor(80, 80, 80),
    ).paragraph_format.space_before = Pt(6)

    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def file_name(b: Briefing) -> str:
    """'会议简报_江西省_2026-10_对比_2026-09.docx'."""
    return f"会议简报_{b.scope_name}_{b.period}_对比_{b.base}.docx"
