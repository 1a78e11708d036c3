"""汇报模式 page (pages/presentation.py) in AppTest, signed in through the form on a tiny
demo database: it opens on the slide the URL names, 下一页/上一页 walk through every slide of
the deck (wrapping round), each slide shows its title with the scope, period and data date,
the charts carry the deck's values, the sidebar is hidden by CSS, the print stylesheet is
present, and both downloads are offered. A county user gets the county's shorter deck.

The tiny demo holds 南昌市 360100 (东湖区, 新建区 360112, 进贤县) and 赣州市 (宁都县, 兴国县).
"""

from __future__ import annotations

import json

import pytest

from components import deck as deckmod
from data.db import make_engine
from tests.apptest import ensure_user, run_app
from tests.fixtures.deck import PAGE_SLIDES
from tests.fixtures.demo import tiny_sqlite_url

PAGE = "pages/presentation.py"
PERIOD = "2026-10"


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> str:
    return tiny_sqlite_url(tmp_path_factory, "presentation")


def html_bodies(at) -> list[str]:
    return [h.proto.body for h in at.get("html")]


def slide_header(at) -> str:
    (head,) = [b for b in html_bodies(at) if 'class="deck-slide"' in b]
    return head


def check_clean(at) -> None:
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]


def test_walks_through_every_slide(apptest_env, tiny):
    at = run_app(tiny, page=PAGE)
    check_clean(at)
    assert at.query_params["slide"] == "1"
    n = len(PAGE_SLIDES)
    for i, title in enumerate(PAGE_SLIDES):
        head = slide_header(at)
        assert f'<h1 class="deck-title">{title}<span class="deck-demo">演示数据</span>' in head
        assert "江西省　|　2026年10月　|　数据截至 2026-10-31" in head
        assert f"第 {i + 1} / {n} 页" in head
        assert at.query_params["slide"] == str(i + 1)
        at.button(key="deck_next").click().run()
        check_clean(at)
    assert at.query_params["slide"] == "1"  # wrapped round to the first
    at.button(key="deck_prev").click().run()
    assert at.query_params["slide"] == str(n)
    assert PAGE_SLIDES[-1] in slide_header(at)


def test_ranking_chart_values_equal_the_deck(apptest_env, tiny):
    at = run_app(tiny, page=PAGE, slide="4")
    check_clean(at)
    assert "儿童之家覆盖率 · 各县（市、区）排名" in slide_header(at)
    (chart,) = at.get("plotly_chart")
    (bar,) = json.loads(chart.proto.spec)["data"]
    engine = make_engine(tiny)
    try:
        deck = deckmod.build_deck(engine, "360000", PERIOD, None, True)
    finally:
        engine.dispose()
    slide = deck.slides[3]
    assert bar["y"] == list(slide.categories)
    assert bar["x"] == pytest.approx(list(slide.series[0].values))
    assert bar["y"][0] == "兴国县" and bar["x"][0] == pytest.approx(1.0)  # 12 of 12 villages
    assert any("目标 ≥ 90.0%；无数据 1 个地区" in b for b in html_bodies(at))


def test_url_slide_out_of_range_and_tables(apptest_env, tiny):
    at = run_app(tiny, page=PAGE, slide="99")
    check_clean(at)
    assert "督办事项" in slide_header(at)  # clamped to the last slide
    assert at.query_params["slide"] == "9"
    at = run_app(tiny, page=PAGE, slide="8")
    assert "预警地区" in slide_header(at)
    table = next(b for b in html_bodies(at) if 'class="deck-table"' in b)
    assert "<th>预警指数</th>" in table and "<td>宁都县</td>" in table
    at = run_app(tiny, page=PAGE, slide="abc")
    assert at.query_params["slide"] == "1"
    table = next(b for b in html_bodies(at) if 'class="deck-table"' in b)
    assert "<td>儿童之家覆盖率</td>" in table


def test_presentation_styles_and_downloads(apptest_env, tiny):
    at = run_app(tiny, page=PAGE)
    check_clean(at)
    bodies = html_bodies(at)
    assert any('[data-testid="stSidebar"]' in b and "display: none" in b for b in bodies)
    assert any("@media print" in b and "size: A4" in b for b in bodies)
    labels = [b.proto.label for b in at.get("download_button")]
    assert labels == ["下载 PPT 演示文稿", "下载全部指标 Excel"]
    at.toggle(key="presentation_auto").set_value(True).run()
    check_clean(at)
    assert at.query_params["slide"] == "1"  # the interval (20 s) has not passed yet


def test_county_user_gets_the_county_deck(apptest_env, tiny):
    user = ensure_user(tiny, "county", "360732")
    at = run_app(tiny, page=PAGE, user=user)
    check_clean(at)
    assert "核心指标一览" in slide_header(at)
    assert "江西省 › 赣州市 › 兴国县" in slide_header(at)
    assert "第 1 / 4 页" in slide_header(at)


def test_map_slide_draws_the_counties(apptest_env, tiny):
    at = run_app(tiny, page=PAGE, slide="2")
    check_clean(at)
    assert "儿童之家覆盖率 · 分布图" in slide_header(at)
    (chart,) = at.get("plotly_chart")
    spec = json.loads(chart.proto.spec)
    traces = [t for t in spec["data"] if t.get("type") == "choropleth" and t.get("locations")]
    (trace,) = traces
    assert len(trace["locations"]) == 100  # every county of the province is drawn
    assert {"360112", "360732"} <= set(trace["locations"])


def test_prefecture_user_sees_its_counties_on_the_map(apptest_env, tiny):
    user = ensure_user(tiny, "prefecture", "360700")
    at = run_app(tiny, page=PAGE, user=user, slide="2")
    check_clean(at)
    assert "儿童之家覆盖率 · 分布图" in slide_header(at)
    assert "江西省 › 赣州市" in slide_header(at) and "第 2 / 8 页" in slide_header(at)
    (chart,) = at.get("plotly_chart")
    spec = json.loads(chart.proto.spec)
    located = {c for t in spec["data"] for c in (t.get("locations") or [])}
    assert {"360730", "360732"} <= located
    assert not located & {"360102", "360112", "360124"}  # no 南昌市 county on its map
