"""The 汇报模式 deck as .pptx (components/deck.py + components/pptx_export.py), opened again
with python-pptx on a tiny demo database (SQLite and PostgreSQL): slide count and titles per
scope, native chart types, series values equal to the rollup table, tables, CJK fonts on
every run, the 演示数据 note, and no personal data anywhere in the file (embedded chart
workbooks included).

The tiny demo holds 南昌市 360100 (东湖区 360102, 新建区 360112, 进贤县 360124) and 赣州市
360700 (宁都县 360730, 兴国县 360732); 东湖区 has no villages, so no rate for it.
"""

from __future__ import annotations

import io
import re
import unicodedata
import zipfile
from dataclasses import replace

import pandas as pd
import pytest
from lxml import etree
from pptx import Presentation
from pptx.enum.chart import XL_CHART_TYPE
from pptx.enum.shapes import MSO_SHAPE_TYPE
from pptx.oxml.ns import qn
from sqlalchemy import select

from components import deck as deckmod
from components import geo, pptx_charts, pptx_export, pptx_maps, pptx_text
from components.maps.classification import classify
from components.pptx_export import build_pptx
from components.pptx_text import CJK_FONT
from core.metrics import BY_CODE
from data.db import make_engine
from data.schema import children, kpi_snapshots, metadata, staff
from queries import alerts, indicators
from queries.regions import ScopeError
from tests.conftest import BACKENDS
from tests.fixtures.deck import PROVINCE_SLIDES, PROVINCE_TITLES, deck_titles
from tests.fixtures.demo import tiny_demo_url

PROVINCE, NANCHANG, GANZHOU, XINGGUO = "360000", "360100", "360700", "360732"
PERIOD = "2026-10"
COUNTY_NAMES = {"东湖区", "新建区", "进贤县", "宁都县", "兴国县"}


@pytest.fixture(scope="module", params=BACKENDS)
def eng(request, tmp_path_factory, pg_database_factory):
    e = make_engine(tiny_demo_url(request.param, tmp_path_factory, pg_database_factory, "pptx"))
    yield e
    e.dispose()


def open_deck(eng, scope=PROVINCE, is_demo=True, **kw):
    d = deckmod.build_deck(eng, scope, PERIOD, "2026-10-31", is_demo)
    data = build_pptx(d, **kw)
    return d, data, Presentation(io.BytesIO(data))


def titles(prs) -> list[str]:
    return [s.shapes.title.text for s in prs.slides]


def chart_of(slide):
    (chart,) = [sh.chart for sh in slide.shapes if sh.has_chart]
    return chart


def snapshot_values(eng, metric: str, codes: set[str]) -> dict[str, float]:
    """The rollup's stored values, read straight from kpi_snapshots (not via the queries)."""
    k = kpi_snapshots
    stmt = select(k.c.region_code, k.c.value).where(
        k.c.metric == metric, k.c.period == PERIOD, k.c.region_code.in_(codes)
    )
    with eng.connect() as conn:
        return {r[0]: r[1] for r in conn.execute(stmt) if r[1] is not None}


def test_slide_count_and_titles_by_scope(eng):
    _, _, prs = open_deck(eng)
    assert titles(prs) == PROVINCE_TITLES
    _, _, prs = open_deck(eng, GANZHOU)
    # a prefecture's deck: the province's slides but the ranking of prefectures
    prefecture_slides = [s for s in PROVINCE_SLIDES if s != "儿童之家覆盖率 · 各设区市排名"]
    assert titles(prs) == deck_titles("赣州市", prefecture_slides)
    _, _, prs = open_deck(eng, XINGGUO)
    # a county's deck: no map and no ranking
    assert titles(prs) == deck_titles(
        "兴国县", ["核心指标一览", "主要指标近十二个月走势", "预警地区"]
    )


def test_every_slide_names_scope_period_and_data_date(eng):
    _, _, prs = open_deck(eng, GANZHOU)
    for slide in list(prs.slides)[1:]:
        text = "\n".join(sh.text_frame.text for sh in slide.shapes if sh.has_text_frame)
        assert "江西省 › 赣州市" in text
        assert "2026年10月" in text
        assert "数据截至 2026-10-31" in text


def test_ranking_charts_are_native_bars_with_the_rollup_values(eng):
    _, _, prs = open_deck(eng)
    slides = list(prs.slides)
    for i, metric in ((4, "home_coverage"), (5, "director_coverage"), (6, "visit_rate_90d")):
        chart = chart_of(slides[i])
        assert chart.chart_type == XL_CHART_TYPE.BAR_CLUSTERED
        (series,) = chart.plots[0].series
        cats = list(chart.plots[0].categories)
        values = list(series.values)
        # the same figures as the ranking query, best first, regions without data left out
        df = indicators.metric_by_region(eng, PROVINCE, PERIOD, metric, "county")
        df = df[df["value"].notna()].sort_values(["value", "code"], ascending=[False, True])
        assert cats == list(df["name"])
        assert values == pytest.approx(list(df["value"]))
        # and the rollup table's stored values, read directly
        stored = snapshot_values(eng, metric, set(df["code"]))
        by_name = dict(zip(df["name"], df["code"], strict=True))
        assert {by_name[c]: v for c, v in zip(cats, values, strict=True)} == pytest.approx(stored)
        assert set(cats) <= COUNTY_NAMES and "东湖区" not in cats  # no villages: no rate
        assert values == sorted(values, reverse=True)
        assert series.name == {"home_coverage": "儿童之家覆盖率", "director_coverage": "儿童主任配备率", "visit_rate_90d": "季度探访率"}[metric]  # fmt: skip
    # the prefecture ranking: 南昌市 and 赣州市
    chart = chart_of(slides[3])
    stored = snapshot_values(eng, "home_coverage", {NANCHANG, GANZHOU})
    got = dict(zip(chart.plots[0].categories, chart.plots[0].series[0].values, strict=True))
    assert got == pytest.approx({"南昌市": stored[NANCHANG], "赣州市": stored[GANZHOU]})


def test_hand_checked_tiny_values(eng):
    """Values counted from the tiny demo's raw tables (sqlite3, once): 新建区 has 12 villages,
    9 of them with an operating home on 2026-10-31; 兴国县 12 of 12."""
    _, _, prs = open_deck(eng)
    chart = chart_of(list(prs.slides)[4])
    got = dict(zip(chart.plots[0].categories, chart.plots[0].series[0].values, strict=True))
    assert got["新建区"] == pytest.approx(0.75)
    assert got["兴国县"] == pytest.approx(1.0)


def test_trend_is_a_native_line_chart_of_twelve_months(eng):
    _, _, prs = open_deck(eng)
    chart = chart_of(list(prs.slides)[7])
    assert chart.chart_type == XL_CHART_TYPE.LINE_MARKERS
    cats = list(chart.plots[0].categories)
    assert len(cats) == 12 and cats[0] == "2025年11月" and cats[-1] == "2026年10月"
    names = [s.name for s in chart.plots[0].series]
    assert names == ["儿童之家覆盖率", "儿童主任配备率", "持证上岗率", "季度探访率"]
    stored = snapshot_values(eng, "visit_rate_90d", {PROVINCE})
    assert chart.plots[0].series[3].values[-1] == pytest.approx(stored[PROVINCE])
    trend = indicators.trend(eng, PROVINCE, ["home_coverage"], last_n=12, until=PERIOD)
    assert list(chart.plots[0].series[0].values) == pytest.approx(list(trend["value"]))


def test_kpi_and_alert_slides_are_powerpoint_tables(eng):
    _, _, prs = open_deck(eng)
    slides = list(prs.slides)
    (kpi,) = [sh for sh in slides[1].shapes if sh.shape_type == MSO_SHAPE_TYPE.TABLE]
    rows = [[c.text for c in r.cells] for r in kpi.table.rows]
    assert rows[0] == ["指标", "本月", "较上月", "目标", "状态"]
    assert len(rows) == 1 + len(deckmod.KPI_METRICS)
    stored = snapshot_values(eng, "home_coverage", {PROVINCE})[PROVINCE]
    assert rows[1][0] == "儿童之家覆盖率"
    assert rows[1][1] == f"{stored * 100:.1f}%"
    assert rows[1][3] == "≥ 90.0%"
    (alerts,) = [sh for sh in slides[8].shapes if sh.shape_type == MSO_SHAPE_TYPE.TABLE]
    head = [c.text for c in alerts.table.rows[0].cells]
    assert head == ["地区", "所属", "预警指数", "未达标指标数", "最高预警", "未达标指标"]
    assert len(alerts.table.rows) >= 2


def test_the_alert_slide_lists_the_highest_alert_indices(eng):
    """Its note says 按预警指数排序: the rows are the regions of highest alert index, in that
    order (the 预警 page layers them by level instead)."""
    everyone = alerts.region_alerts(eng, PROVINCE, PERIOD)
    s = deckmod.alerts_slide(eng, PROVINCE, PERIOD, "")
    shown = [float(v) for v in s.table["预警指数"]]
    best = sorted(everyone["alert_index"], reverse=True)[: deckmod.ALERT_ROWS]
    assert shown == pytest.approx([round(v, 1) for v in best], abs=0.051)
    assert s.note.startswith("按预警指数从高到低排序")


def test_every_run_has_a_chinese_east_asian_font(eng):
    _, _, prs = open_deck(eng)
    runs = 0
    for slide in prs.slides:
        for sh in slide.shapes:
            frames = [sh.text_frame] if sh.has_text_frame else []
            if sh.has_table:
                frames += [c.text_frame for r in sh.table.rows for c in r.cells]
            for frame in frames:
                for p in frame.paragraphs:
                    for run in p.runs:
                        runs += 1
                        ea = run.font._rPr.find(qn("a:ea"))
                        assert ea is not None and ea.get("typeface") == CJK_FONT, run.text
            if sh.has_chart:
                xml = sh.chart.part.blob.decode("utf-8")
                assert f'<a:ea typeface="{CJK_FONT}"/>' in xml
    assert runs > 50


def test_demo_note_slide(eng):
    _, _, prs = open_deck(eng, is_demo=True)
    last = "\n".join(sh.text_frame.text for sh in prs.slides[-1].shapes if sh.has_text_frame)
    assert "【演示数据】" in last and "不是真实统计" in last
    first = "\n".join(sh.text_frame.text for sh in prs.slides[0].shapes if sh.has_text_frame)
    assert "演示数据" in first
    _, _, prs = open_deck(eng, is_demo=False, notices=("地图未导出：本机没有可用的浏览器。",))
    last = "\n".join(sh.text_frame.text for sh in prs.slides[-1].shapes if sh.has_text_frame)
    assert "演示数据" not in last
    assert "地图未导出：本机没有可用的浏览器。" in last


def test_image_replaces_a_slide_content(eng):
    png = bytes.fromhex(
        "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
        "1f15c4890000000d49444154789c6360f8cf00000301010018dd8db40000000049454e44ae426082"
    )
    _, _, prs = open_deck(eng, images={"rank_home_coverage": png})
    kinds = [sh.shape_type for sh in list(prs.slides)[3].shapes]
    assert MSO_SHAPE_TYPE.PICTURE in kinds and MSO_SHAPE_TYPE.CHART not in kinds


def all_strings_in(data: bytes) -> str:
    """Every XML part of an Office file, embedded workbooks opened too."""
    out = []
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        for name in z.namelist():
            blob = z.read(name)
            if name.endswith(".xlsx"):
                out.append(all_strings_in(blob))
            elif name.endswith((".xml", ".rels")):
                out.append(blob.decode("utf-8"))
    return "\n".join(out)


def personal_values(eng) -> set[str]:
    with eng.connect() as conn:
        rows = conn.execute(select(children.c.name, children.c.id_number)).all()
        rows += conn.execute(select(staff.c.name, staff.c.phone)).all()
    return {v for r in rows for v in r if v}


def test_no_personal_data_in_the_file(eng):
    values = personal_values(eng)
    assert len(values) > 500  # names, ID numbers and phones of the tiny demo
    for scope in (PROVINCE, GANZHOU, XINGGUO):
        _, data, _ = open_deck(eng, scope)
        text = all_strings_in(data)
        assert "儿童之家覆盖率" in text  # the scan does read the slides and charts
        leaked = sorted(v for v in values if v in text)
        assert leaked == []


def test_out_of_scope_and_bad_period_are_refused(eng):
    with pytest.raises(ScopeError):
        deckmod.build_deck(eng, "999999", PERIOD)
    with pytest.raises(ValueError):
        deckmod.build_deck(eng, PROVINCE, "2026-13")


def test_map_slide_values_are_every_county(eng):
    d = deckmod.build_deck(eng, GANZHOU, PERIOD)
    (m,) = [s for s in d.slides if s.kind == "map"]
    assert m.codes == ("360730", "360732") and m.within == GANZHOU
    stored = snapshot_values(eng, "home_coverage", {"360730", "360732"})
    assert dict(zip(m.codes, m.series[0].values, strict=True)) == pytest.approx(stored)


def test_without_a_browser_the_deck_says_so(eng, monkeypatch):
    monkeypatch.setenv("BROWSER_PATH", "/nonexistent/chromium")
    d = deckmod.build_deck(eng, PROVINCE, PERIOD, None, False)
    prs = Presentation(io.BytesIO(pptx_export.build_pptx_with_maps(d, PROVINCE)))
    assert titles(prs) == PROVINCE_TITLES
    map_text = "".join(sh.text_frame.text for sh in prs.slides[2].shapes if sh.has_text_frame)
    assert "未能导出为图片" in map_text
    last = "".join(sh.text_frame.text for sh in prs.slides[-1].shapes if sh.has_text_frame)
    assert pptx_maps.NO_BROWSER in last
    assert chart_of(prs.slides[4]).chart_type == XL_CHART_TYPE.BAR_CLUSTERED


def test_maps_as_pictures_with_the_machine_chromium(eng, monkeypatch):
    monkeypatch.delenv("BROWSER_PATH", raising=False)
    if pptx_maps.browser_path() is None:
        pytest.skip("no /usr/bin/chromium on this machine")
    d = deckmod.build_deck(eng, PROVINCE, PERIOD, None, False)
    images, notices = pptx_maps.map_images(d, PROVINCE)
    assert notices == () and list(images) == ["map_home_coverage"]
    assert images["map_home_coverage"][:8] == b"\x89PNG\r\n\x1a\n"
    prs = Presentation(io.BytesIO(pptx_export.build_pptx(d, images)))
    kinds = [sh.shape_type for sh in prs.slides[2].shapes]
    assert MSO_SHAPE_TYPE.PICTURE in kinds


def test_a_long_ranking_shows_both_ends(eng, monkeypatch):
    """With more regions than fit, the slide keeps the best and the worst: here 1 of each of
    the 4 counties with a 儿童之家覆盖率 (兴国县 1.0 best, 宁都县 7 of 12 worst)."""
    monkeypatch.setattr(deckmod, "RANK_EACH_SIDE", 1)
    s = deckmod.ranking_slide(eng, PROVINCE, PERIOD, "home_coverage", "county", "")
    assert s.title == "儿童之家覆盖率 · 各县（市、区）排名（前后各 1 名）"
    assert s.categories == ("兴国县", "宁都县")
    stored = snapshot_values(eng, "home_coverage", {"360732", "360730"})
    assert s.series[0].values == pytest.approx((stored["360732"], stored["360730"]))
    assert s.series[0].values[1] == pytest.approx(7 / 12)
    assert s.note == "目标 ≥ 90.0%；共 4 个地区有数据，列出前 1 名和后 1 名；无数据 1 个地区"


# ---------------------------------------------------------------- geometry (a deck to hand out)
# What LibreOffice showed on the province demo deck (issue 18): the 预警地区 table ran off its
# slide and under its footnote, words were cut where cells wrapped, the county bars named
# only every second county, the trend sat flat on a 0–100% axis, and the source slide named
# the kpi_snapshots table. These checks read the saved file the way a renderer would.

# Forbidden on a slide: a database table's name, a metric code, any snake_case identifier.
INTERNAL_NAMES = {t.name for t in metadata.sorted_tables} | set(BY_CODE)
SNAKE = re.compile(r"[A-Za-z]+_[A-Za-z0-9_]+")
LINE_EM = 1.3  # a line of CJK text is at least this many font sizes tall


def text_pt(text: str, size: float) -> float:
    """A lower bound on the width of a line in points: full-width characters one em, the
    rest 0.55 em (the narrowest Latin digits of the fonts the deck names or falls back to)."""
    return sum(size if unicodedata.east_asian_width(c) in "WF" else 0.55 * size for c in text)


def pt(emu: int) -> float:
    return emu / 12700


def content_shapes(slide) -> list:
    """Every shape but the watermark's boxes: those tile the slide like wallpaper, each
    overhanging the edges on purpose (tests/test_watermark.py checks them)."""
    return [sh for sh in slide.shapes if sh.name != pptx_text.WATERMARK_NAME]


def run_size(frame, default: float) -> float:
    sizes = [r.font.size.pt for p in frame.paragraphs for r in p.runs if r.font.size]
    return max(sizes, default=default)


def visible_text(slide) -> list[str]:
    """What a slide shows: its text boxes, table cells and charts' titles, categories and
    series names (not the XML's own element names)."""
    out = []
    for sh in content_shapes(slide):
        if sh.has_text_frame:
            out.append(sh.text_frame.text)
        if sh.has_table:
            out += [c.text for r in sh.table.rows for c in r.cells]
        if sh.has_chart:
            xml = etree.fromstring(sh.chart.part.blob)
            out += [t.text or "" for t in xml.iter(qn("a:t"), qn("c:v"))]
    return out


def check_table(slide, shape) -> None:
    """Rows × row height fit on the slide above anything laid under the table (the
    footnote), and every line of every cell fits its column: nothing wraps or is cut."""
    table = shape.table
    bottom = shape.top + sum(r.height for r in table.rows)
    assert bottom <= pptx_text.HEIGHT, "the table runs off the slide"
    below = [
        sh
        for sh in content_shapes(slide)
        if sh.has_text_frame and sh.top >= shape.top and sh != shape
    ]
    for sh in below:
        assert sh.top >= bottom, f"{sh.text_frame.text!r} lies over the table's rows"
    widths = [c.width for c in table.columns]
    for row in table.rows:
        for cell, width in zip(row.cells, widths, strict=True):
            frame = cell.text_frame
            size = run_size(frame, 18)
            inner_w = pt(width - cell.margin_left - cell.margin_right)
            for p in frame.paragraphs:
                assert text_pt(p.text, size) <= inner_w, (
                    f"{p.text!r} wraps in a {inner_w:.0f} pt column"
                )
            lines = len(frame.paragraphs)
            need = lines * size * LINE_EM + pt(cell.margin_top + cell.margin_bottom)
            assert pt(row.height) >= need, (
                f"row of {cell.text!r} is {pt(row.height):.1f} pt, needs {need:.1f}"
            )


def axis_values(chart) -> list[float]:
    return [v for s in chart.plots[0].series for v in s.values if v is not None]


def check_chart(shape, s: deckmod.Slide) -> None:
    """Every category named (label interval 1, one point per name, the labels' font small
    enough that 20 names stack without overlapping); a trend's value axis fitted to its data."""
    chart = shape.chart
    xml = chart._chartSpace
    (cat_ax,) = xml.iter(qn("c:catAx"))
    skip = cat_ax.find(qn("c:tickLblSkip"))
    assert skip is not None and skip.get("val") == "1", "PowerPoint may skip category labels"
    assert list(chart.plots[0].categories) == list(s.categories)
    if s.kind == "bars":
        size = chart.category_axis.tick_labels.font.size.pt
        assert len(s.categories) * size * LINE_EM <= pt(shape.height), "names overlap"
        assert size >= 10
    else:
        values = chart.value_axis
        lo, hi = values.minimum_scale, values.maximum_scale
        assert lo is not None and hi is not None and (lo, hi) != (0, 1), "trend pinned to 0–100%"
        data = axis_values(chart)
        assert lo <= min(data) and max(data) <= hi
        assert hi - lo <= 3 * max(max(data) - min(data), 0.02), "the lines would look flat"
        assert "%" in values.tick_labels.number_format  # the unit on the axis


def check_deck(prs, d: deckmod.Deck) -> None:
    by_title = {s.title: s for s in d.slides}
    for slide in prs.slides:
        for sh in content_shapes(slide):
            assert sh.left >= 0 and sh.top >= 0, (slide.shapes.title.text, sh.name)
            assert sh.left + sh.width <= pptx_text.WIDTH, (slide.shapes.title.text, sh.name)
            assert sh.top + sh.height <= pptx_text.HEIGHT, (slide.shapes.title.text, sh.name)
            if sh.has_table:
                check_table(slide, sh)
            if sh.has_chart:
                check_chart(sh, by_title[slide.shapes.title.text])
        text = "\n".join(visible_text(slide))
        assert not [n for n in INTERNAL_NAMES if re.search(rf"\b{n}\b", text)], text
        assert not SNAKE.search(text), text


@pytest.mark.parametrize("scope", [PROVINCE, GANZHOU, XINGGUO])
def test_every_slide_fits_and_names_every_category(eng, scope):
    d, _, prs = open_deck(eng, scope, watermark="张三 13800000000 2026-12-03")
    check_deck(prs, d)
    assert len(prs.slides) == len(d.slides) + 2 == pptx_export.page_count(d)


def ranking(n: int, target: float | None = 0.9) -> deckmod.Slide:
    """A ranking of `n` counties with long names, falling from 100% to 50%."""
    names = tuple(f"{'共青城井冈山'[: 2 + i % 4]}{i}县" for i in range(n))
    values = tuple(1 - 0.5 * i / max(n - 1, 1) for i in range(n))
    s = deckmod.Slide(
        "rank_home_coverage",
        "bars",
        "儿童之家覆盖率 · 各县（市、区）排名（前十与后十）",
        "江西省",
        categories=names,
        series=(deckmod.Series("儿童之家覆盖率", values),),
        metric="home_coverage",
        number_format="0.0%",
        note="目标 ≥ 90.0%；共 100 个地区有数据，列出前 10 名和后 10 名",
    )
    if target is None:
        return s
    cls = classify(list(values), "home_coverage")
    return replace(
        s,
        target=target,
        colors=tuple(cls.classes[i].color for i in cls.index),
        legend=tuple((c.label, c.color) for c in cls.classes if c.status != "no_data"),
    )


def alerts_table(n: int) -> pd.DataFrame:
    labels = [BY_CODE[c].label for c in ("trained_12m", "certified_rate", "director_coverage")]
    return pd.DataFrame(
        {
            "地区": [f"共青城市{i}" for i in range(n)],
            "所属": ["九江市"] * n,
            "预警指数": [f"{220.7 - i:.1f}" for i in range(n)],
            "未达标指标数": ["8 项"] * n,
            "最高预警": ["严重"] * n,
            "未达标指标": ["、".join(labels * 2)] * n,  # six labels: longer than one line
        }
    )


def one_slide_deck(*slides: deckmod.Slide) -> deckmod.Deck:
    return deckmod.Deck(
        "江西省儿童关爱服务体系工作汇报", "江西省", ("江西省",), PERIOD, "2026-10-31", True, slides
    )


def test_twenty_county_names_each_shown_with_target_and_status(eng):
    d = one_slide_deck(ranking(20))
    prs = Presentation(io.BytesIO(build_pptx(d)))
    check_deck(prs, d)
    slide = prs.slides[1]
    (shape,) = [sh for sh in slide.shapes if sh.has_chart]
    chart = shape.chart
    # each bar in its region's status colour (the map's three classes)
    points = chart.plots[0].series[0].points
    fills = [str(points[i].format.fill.fore_color.rgb) for i in range(20)]
    assert fills == [c.lstrip("#").upper() for c in d.slides[0].colors]
    assert {"0072B2", "E69F00", "D55E00"} <= set(fills)
    # the dashed target line on the value axis' 90%, over the plot area
    (line,) = [sh for sh in slide.shapes if sh.name == pptx_charts.TARGET_LINE]
    layout = chart._chartSpace.find(qn("c:chart")).find(qn("c:plotArea")).find(qn("c:layout"))
    manual = {e.tag.split("}")[1]: e.get("val") for e in layout.find(qn("c:manualLayout"))}
    assert manual["layoutTarget"] == "inner"
    lo, hi = chart.value_axis.minimum_scale, chart.value_axis.maximum_scale
    x = (
        shape.left
        + (float(manual["x"]) + float(manual["w"]) * (0.9 - lo) / (hi - lo)) * shape.width
    )
    assert line.left == pytest.approx(x, abs=12700) and line.width == 0
    # the legend names the classes and the line
    text = "\n".join(visible_text(slide))
    assert "✓ 达标（≥90.0%）" in text and "× 未达标（<85.0%）" in text and "目标 ≥ 90.0%" in text


def test_a_ranking_without_target_has_no_line():
    d = one_slide_deck(ranking(12, target=None))
    prs = Presentation(io.BytesIO(build_pptx(d)))
    check_deck(prs, d)
    assert not [sh for sh in prs.slides[1].shapes if sh.name == pptx_charts.TARGET_LINE]


def test_a_long_table_is_split_over_slides_with_its_header():
    table = alerts_table(30)
    s = deckmod.Slide(
        "alerts", "alerts", "预警地区", "江西省", table=table, note="按预警指数排序。"
    )
    d = one_slide_deck(s)
    prs = Presentation(io.BytesIO(build_pptx(d)))
    pages = list(prs.slides)[1:-1]
    assert len(pages) >= 3 and len(prs.slides) == pptx_export.page_count(d)
    assert [p.shapes.title.text for p in pages] == [
        f"预警地区（{i}/{len(pages)}）" for i in range(1, len(pages) + 1)
    ]
    rows = []
    for page in pages:
        (shape,) = [sh for sh in page.shapes if sh.has_table]
        got = [[c.text for c in r.cells] for r in shape.table.rows]
        assert got[0] == list(table.columns)  # the header on every page
        rows += got[1:]
        assert any(
            sh.has_text_frame and sh.text_frame.text == "按预警指数排序。" for sh in page.shapes
        )
    # every row once, in order; a long list breaks between labels, never inside one
    assert [r[0] for r in rows] == list(table["地区"])
    assert all(r[5].replace("\n", "") == table["未达标指标"][0] for r in rows)
    labels = {m.label for m in BY_CODE.values()}
    for r in rows:
        pieces = [p for line in r[5].split("\n") for p in line.strip("、").split("、")]
        assert set(pieces) <= labels
    check_deck(prs, d)


def test_map_picture_has_a_legible_legend_and_names(eng):
    d = deckmod.build_deck(eng, GANZHOU, PERIOD)
    (m,) = [s for s in d.slides if s.kind == "map"]
    fig = pptx_maps.export_map_figure(m, PROVINCE)
    height = pptx_maps.MAP_HEIGHT
    # a slide shows the picture content-box high: 14 pt on the slide is this many pixels
    px_14pt = 14 / 72 * height / (pptx_text.content_box()[3] / 914400)
    assert fig.layout.legend.font.size >= px_14pt * 0.95
    assert fig.layout.width is None or fig.layout.width == pptx_maps.MAP_WIDTH
    (names,) = [t for t in fig.data if t.name == pptx_maps.MAP_NAMES]
    fc = geo.feature_collection(PROVINCE, "county", within=GANZHOU)
    counties = {f["properties"]["name"] for f in fc["features"]}  # 赣州's 18, data or none
    assert len(names.text) >= len(counties) // 4 and set(names.text) <= counties
    assert names.textfont.size >= px_14pt * 0.7
