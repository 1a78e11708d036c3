"""The choropleth and 3-D map (components/maps/) and the drill-down state
(components/drill.py), without a browser (the clicks themselves: tests/browser/).

Values are hand-made so every class is known in advance, e.g. home_coverage's target is 90%
with a 5-point near band: 95% and 90% are 达标, 89% and 85% 接近目标, 84.9% 未达标.
"""

from __future__ import annotations

import json

import pandas as pd
import plotly.io as pio
import pytest

from components import drill, geo, map_ranking, maps
from components.maps import classification
from data.config import REPO_ROOT
from data.regions import real_units

KB = 1024


def county_codes(province: str = "360000") -> list[str]:
    return [u.code for u in real_units(province) if u.level == "county"]


@pytest.fixture(scope="module")
def county_values() -> pd.DataFrame:
    """A rate for every Jiangxi county, 东湖区 (360102) without one."""
    codes = county_codes()
    values = [round(0.80 + 0.002 * i, 3) for i in range(len(codes))]
    frame = pd.DataFrame({"code": codes, "name": "", "value": values})
    frame.loc[frame["code"] == "360102", "value"] = None
    frame["numerator"] = (frame["value"] * 200).round()
    frame["denominator"] = 200
    return frame


# --- formatting and classes -------------------------------------------------------------------


def test_format_value():
    assert maps.format_value("home_coverage", 0.923) == "92.3%"
    assert maps.format_value("children_active", 12345) == "12,345 人"
    assert maps.format_value("purchase_yuan", 1_234_567) == "123.5 万元"
    assert maps.format_value("case_closure_days", 12.34) == "12.3 天"
    assert maps.format_value("home_coverage", None) == "—"
    assert maps.format_value("home_coverage", float("nan")) == "—"


def test_target_classes_for_a_rate():
    cls = maps.classify([0.95, 0.90, 0.89, 0.85, 0.849, None], "home_coverage")
    assert cls.index == [0, 0, 1, 1, 2, 3]
    assert [c.status for c in cls.classes] == ["met", "near", "missed", "no_data"]
    labels = [c.label for c in cls.classes]
    assert "达标" in labels[0] and "≥90.0%" in labels[0]
    assert "接近目标" in labels[1] and "85.0%–90.0%" in labels[1]
    assert "未达标" in labels[2] and "<85.0%" in labels[2]
    assert labels[3] == "无数据"
    assert [c.color for c in cls.classes] == [
        maps.STATUS_COLORS["met"],
        maps.STATUS_COLORS["near"],
        maps.STATUS_COLORS["missed"],
        maps.NO_DATA_COLOR,
    ]
    assert len({c.color for c in cls.classes}) == 4  # grey is distinct


def test_target_of_100_percent():
    cls = maps.classify([1.0, 0.97, 0.94], "supervisor_coverage")
    assert cls.index == [0, 1, 2]


def test_count_target_is_met_or_graded_misses():
    # overdue_cases: target 0, lower is better, a count: no near band; 0 is 达标 in its own
    # colour and the misses are graded (issue 18.4: a map of nearly all misses was one flat
    # orange). The misses 1, 1, 9, 9, 30 hold three distinct values: three classes of
    # zero within-class variance, on the ramp's three darkest shades.
    cls = maps.classify([0, 1, 1, 9, 9, 30, None, 0], "overdue_cases")
    assert [c.status for c in cls.classes] == ["met", "missed", "missed", "missed", "no_data"]
    assert cls.index == [0, 1, 1, 2, 2, 3, 4, 0]
    labels = [c.label for c in cls.classes]
    assert labels[0] == "✓ 达标（≤0 件）"
    assert labels[1:4] == ["× 未达标（1 件）", "× 未达标（9 件）", "× 未达标（30 件）"]
    colors = [c.color for c in cls.classes]
    assert colors[0] == maps.STATUS_COLORS["met"]
    assert colors[3] == maps.STATUS_COLORS["missed"]  # the worst miss in the 未达标 colour
    assert len(set(colors)) == 5  # 达标, three shades of 未达标 and grey all distinct


def test_count_target_misses_in_at_most_four_shades():
    # Misses 1 2 3 | 10 11 12 | 40 41 | 90: total within-class variance 2 + 2 + 0.5 + 0,
    # the least of any four classes (by hand: every other split puts 40 or 90 with a
    # distant neighbour).
    values = [0, 1, 2, 3, 10, 11, 12, 40, 41, 90]
    cls = maps.classify(values, "overdue_cases")
    missed = [c for c in cls.classes if c.status == "missed"]
    assert len(missed) == 4
    assert [c.color for c in missed] == list(classification.MISSED_RAMP)
    # each value lies in the class whose label names its range; 0 alone is 达标
    assert cls.index[0] == 0 and all(i >= 1 for i in cls.index[1:])
    assert cls.index == sorted(cls.index)  # classes follow the values upward
    assert missed[0].label == "× 未达标（1–3 件）" and missed[-1].label == "× 未达标（90 件）"


def test_quantile_classes_for_a_rate_without_target():
    # female_director_share has no target: 5 quantile classes of 10%..100%; the upper
    # bounds are 28%, 46%, 64%, 82%, 100%, so two values per class.
    values = [i / 10 for i in range(1, 11)]
    cls = maps.classify(values, "female_director_share")
    assert cls.index == [0, 0, 1, 1, 2, 2, 3, 3, 4, 4]
    assert [c.label for c in cls.classes[:5]] == [
        "10.0%–20.0%",
        "30.0%–40.0%",
        "50.0%–60.0%",
        "70.0%–80.0%",
        "90.0%–100.0%",
    ]
    assert [c.color for c in cls.classes[:5]] == list(maps.SEQUENTIAL_COLORS)
    assert all(c.status is None for c in cls.classes[:5])


def test_quantile_classes_for_counts_with_ties_and_nulls():
    cls = maps.classify([5, 5, 5, None], "children_active")
    assert cls.index == [0, 0, 0, 1]
    assert cls.classes[0].label == "5 人"
    assert cls.classes[1].label == "无数据"


def test_natural_breaks():
    assert maps.natural_breaks([1, 2, 3, 10, 11, 12, 30, 31], 3) == [3.0, 12.0, 31.0]
    cls = maps.classify([1, 2, 3, 10, 11, 12, 30, 31], "open_cases", scheme="natural", k=3)
    assert cls.index == [0, 0, 0, 1, 1, 1, 2, 2]
    assert [c.label for c in cls.classes] == ["1–3 件", "10–12 件", "30–31 件", "无数据"]


def test_discrete_colorscale_maps_each_index_to_its_colour():
    scale = maps.discrete_colorscale(["#111111", "#222222", "#333333"])
    assert scale == [
        [0.0, "#111111"],
        [1 / 3, "#111111"],
        [1 / 3, "#222222"],
        [2 / 3, "#222222"],
        [2 / 3, "#333333"],
        [1.0, "#333333"],
    ]


# --- choropleth ---------------------------------------------------------------------------


def test_county_choropleth_values_classes_and_payload(county_values):
    fig = maps.choropleth(county_values, "county", "home_coverage", "360000")
    choropleths = [t for t in fig.data if t.type == "choropleth"]
    assert len(choropleths) == 1
    trace = choropleths[0]
    assert list(trace.locations) == [f["id"] for f in trace.geojson["features"]]
    assert sorted(trace.locations) == sorted(county_codes())
    # The figure's values are the input values, region by region.
    expected = dict(zip(county_values["code"], county_values["value"], strict=True))
    got = maps.figure_values(fig)
    assert got.keys() == expected.keys()
    for code, value in expected.items():
        assert (got[code] is None) if pd.isna(value) else got[code] == value
    # 东湖区 has no value: the last (no-data) class, drawn grey, named 无数据 in the legend.
    i = list(trace.locations).index("360102")
    n_classes = len(trace.colorscale) // 2
    assert trace.z[i] == n_classes - 1
    assert trace.colorscale[2 * trace.z[i]][1] == maps.NO_DATA_COLOR
    assert trace.customdata[i][1] == "—" and trace.customdata[i][2] == "无数据"
    legend = [t.name for t in fig.data if t.showlegend]
    assert legend[-1] == "无数据"
    assert any("✓ 达标" in name for name in legend)
    assert any("未达标" in name for name in legend)
    # A value's class: 0.80 (the first county, 360102 aside) is below 85% -> 未达标.
    j = list(trace.locations).index(county_values["code"].iloc[1])
    assert trace.customdata[j][1] == "80.2%"
    assert trace.customdata[j][2] == "× 未达标"
    assert trace.customdata[j][3] == "<br>160 / 200"
    # One copy of the geometry: the legend entries carry none.
    payload = json.loads(pio.to_json(fig, validate=False))
    assert sum(1 for t in payload["data"] if "geojson" in t) == 1
    assert maps.figure_payload_bytes(fig) < 300 * KB
    assert fig.layout.geo.fitbounds == "locations" and fig.layout.geo.visible is False


def map_and_bar_colours(frame: pd.DataFrame, metric: str, window: str) -> tuple[dict, dict]:
    """(code -> colour on the county map, code -> colour of its bar in the ranking window)."""
    fig = maps.choropleth(frame, "county", metric, "360000")
    trace = next(t for t in fig.data if t.type == "choropleth")
    on_map = {c: trace.colorscale[2 * z][1] for c, z in zip(trace.locations, trace.z, strict=True)}
    ranked = map_ranking.ranking_frame(frame, metric)
    bars = map_ranking.ranking_figure(map_ranking.ranking_window(ranked, window), metric)
    on_bars = {name: t.marker.color for t in bars.data for name in t.y}
    map_legend = {t.name for t in fig.data if t.showlegend}
    assert {t.name for t in bars.data} <= map_legend  # the same words in both legends
    return on_map, on_bars


def test_ranking_bars_take_the_map_classes(county_values):
    """Issue 18.4: a county is the same colour on the map and in the ranking beside it —
    all three classes of a rate (达标 / 接近目标 / 未达标, before only two), and the graded
    misses of a count target, broken over every county, not over the 20 bars shown."""
    frame = county_values.assign(name=county_values["code"], parent_name="")
    on_map, on_bars = map_and_bar_colours(frame, "home_coverage", "all")
    assert on_bars == {c: on_map[c] for c in on_bars}
    statuses = {classification.STATUS_COLORS[s] for s in ("met", "near", "missed")}
    assert set(on_bars.values()) == statuses

    counts = frame.assign(value=[float(i % 9) for i in range(len(frame))])  # 0–8 件
    on_map, on_bars = map_and_bar_colours(counts, "overdue_cases", "bottom")
    assert len(on_bars) == 20
    assert on_bars == {c: on_map[c] for c in on_bars}
    # breaks over the twenty alone would shade them otherwise (7 件 and 8 件 apart)
    shown = counts.set_index("code").loc[list(on_bars), "value"]
    alone = maps.classify(list(shown), "overdue_cases")
    assert [alone.classes[i].color for i in alone.index] != list(on_bars.values())


def test_table_twin_has_the_same_figures(county_values):
    fig = maps.choropleth(county_values, "county", "home_coverage", "360000")
    table = maps.figure_table(fig, "home_coverage").set_index("代码")
    assert len(table) == 100
    assert list(table.columns) == ["地区", "儿童之家覆盖率", "显示值", "分级"]
    assert table.loc["360103", "儿童之家覆盖率"] == 0.802
    assert table.loc["360103", "显示值"] == "80.2%"
    assert table.loc["360103", "分级"] == "× 未达标（<85.0%）"
    assert table.loc["360102", "分级"] == "无数据"
    assert table.loc["360881", "地区"] == "井冈山市"


def test_show_choropleth_passes_the_offline_config():
    calls = {}

    class FakeSt:
        def get_option(self, name):
            return {"server.baseUrlPath": "dash"}[name]

        def plotly_chart(self, fig, **kwargs):
            calls.update(kwargs)
            return {"selection": {"points": [{"location": "360700"}]}}

    fig = maps.choropleth(pd.DataFrame({"code": [], "value": []}), "prefecture", "open_cases")
    assert maps.show_choropleth(FakeSt(), fig, key="m") == "360700"
    assert calls["config"]["topojsonURL"] == "/dash/app/static/"
    assert calls["on_select"] == "rerun" and calls["selection_mode"] == "points"


def test_hover_shows_name_and_formatted_value(county_values):
    fig = maps.choropleth(county_values, "county", "home_coverage", "360000")
    trace = fig.data[0]
    i = list(trace.locations).index("360881")
    assert trace.customdata[i][0] == "井冈山市"
    assert "%{customdata[0]}" in trace.hovertemplate
    assert "儿童之家覆盖率：%{customdata[1]}" in trace.hovertemplate


def test_missing_and_foreign_rows():
    values = pd.DataFrame({"code": ["360100", "360700", "440100"], "value": [12345, 678, 9]})
    fig = maps.choropleth(values, "prefecture", "children_active", "360000")
    got = maps.figure_values(fig)
    assert len(got) == 11 and "440100" not in got  # not on this map: dropped
    assert got["360100"] == 12345 and got["360700"] == 678
    assert sum(v is None for v in got.values()) == 9  # the other prefectures: 无数据
    with pytest.raises(ValueError):
        maps.choropleth(
            pd.DataFrame({"code": ["360100", "360100"], "value": [1, 2]}),
            "prefecture",
            "children_active",
            "360000",
        )


def test_prefecture_drill_map_and_labels(county_values):
    fig = maps.choropleth(
        county_values,
        "county",
        "home_coverage",
        "360000",
        show_labels=True,
        within="360800",
        highlight="360881",
    )
    trace = fig.data[0]
    assert len(trace.locations) == 13
    i = list(trace.locations).index("360881")
    assert trace.marker.line.width[i] > max(
        w for k, w in enumerate(trace.marker.line.width) if k != i
    )
    labels = next(t for t in fig.data if t.type == "scattergeo" and t.mode == "text")
    assert list(labels.text) == [row[1] for row in trace.customdata]
    points = geo.label_points("360000")
    assert (labels.lon[i], labels.lat[i]) == points["360881"]


def test_money_and_count_maps_use_one_hue():
    codes = county_codes()
    values = pd.DataFrame({"code": codes, "value": [10_000 * (i + 1) for i in range(100)]})
    fig = maps.choropleth(values, "county", "purchase_yuan", "360000")
    legend = [t for t in fig.data if t.showlegend]
    assert [t.marker.color for t in legend] == list(maps.SEQUENTIAL_COLORS)
    assert legend[0].name == "1.0–20.0 万元"
    assert fig.data[0].customdata[0][1] == "1.0 万元"


def test_second_province_choropleth():
    codes = county_codes("420000")
    values = pd.DataFrame({"code": codes, "value": [0.9] * len(codes)})
    fig = maps.choropleth(values, "county", "home_coverage", "420000")
    assert len(fig.data[0].locations) == 103
    assert set(fig.data[0].z) == {0}  # all 达标
    assert maps.figure_payload_bytes(fig) < 300 * KB


def test_plotly_config_points_to_the_local_topojson():
    config = maps.plotly_config()
    assert config["topojsonURL"] == "/app/static/"
    assert maps.plotly_config("dash/")["topojsonURL"] == "/dash/app/static/"
    topology = json.loads((REPO_ROOT / "static" / maps.TOPOJSON_FILE).read_text())
    assert topology["type"] == "Topology"


def test_selected_location():
    event = {"selection": {"points": [{"location": "360800", "z": 1}]}}
    assert maps.selected_location(event) == "360800"
    assert maps.selected_location({"selection": {"points": []}}) is None
    assert maps.selected_location(None) is None
    assert maps.selected_location({"selection": {"points": [{"lon": 1, "lat": 2}]}}) is None


def test_deck_3d_has_no_base_map(county_values):
    wide = pd.DataFrame(
        {
            "code": county_values["code"],
            "children_active": range(100, 100 + len(county_values)),
            "home_coverage": county_values["value"],
        }
    )
    deck = maps.deck_3d(wide, "360000", "children_active", "home_coverage")
    spec = json.loads(deck.to_json())
    assert "carto" not in deck.to_json().lower() and "mapbox" not in deck.to_json().lower()
    assert spec.get("mapStyle") == "__MAP_STYLE__"  # Streamlit drops this: no base map
    assert "\n" not in deck.to_json()  # compact
    layer = spec["layers"][0]
    assert layer["extruded"] is True
    features = {f["id"]: f["properties"] for f in layer["data"]["features"]}
    assert len(features) == 100
    top = max(features.values(), key=lambda p: p["elevation"])
    assert top["elevation"] == pytest.approx(60_000) and top["height_text"] == "199 人"
    assert features["360102"]["colour_text"] == "—" and features["360102"]["status"] == "无数据"
    assert features["360102"]["fill"][:3] == [0xBB, 0xBB, 0xBB]
    tooltip = deck._tooltip["html"]
    assert "{name}" in tooltip and "在册儿童：{height_text}" in tooltip
    assert "儿童之家覆盖率：{colour_text}" in tooltip


# --- drill-down ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def index() -> drill.RegionIndex:
    return drill.region_index("360000")


def test_click_transitions(index):
    province = drill.DrillState()
    jian = drill.on_region_click(province, "360800", index)
    assert jian == drill.DrillState("prefecture", "360800", None)
    jinggangshan = drill.on_region_click(jian, "360881", index)
    assert jinggangshan == drill.DrillState("county", "360800", "360881")
    # Another county of the same map from the detail view.
    assert drill.on_region_click(jinggangshan, "360802", index).county == "360802"
    # A county clicked on the province-wide county map opens its detail directly.
    assert drill.on_region_click(province, "360881", index, map_level="county") == jinggangshan
    # Nothing, or a code of another province: no change.
    assert drill.on_region_click(jian, None, index) == jian
    assert drill.on_region_click(jian, "440103", index) == jian
    assert drill.up(jinggangshan) == jian and drill.up(jian) == province


def test_query_params_round_trip(index):
    for state in (
        drill.DrillState(),
        drill.DrillState("prefecture", "360700"),
        drill.DrillState("county", "360700", "360781"),
    ):
        assert drill.from_query_params(drill.to_query_params(state), index) == state
    assert drill.to_query_params(drill.DrillState("county", "360700", "360781")) == {
        "prefecture": "360700",
        "county": "360781",
    }
    # parse_qs-style lists and a county alone (its prefecture is derived).
    assert drill.from_query_params({"county": ["360781"]}, index).prefecture == "360700"


def test_foreign_and_malformed_codes_are_refused(index):
    assert drill.from_query_params({"prefecture": "440100"}, index) == drill.DrillState()
    assert drill.from_query_params({"county": "440103"}, index) == drill.DrillState()
    # A foreign county under a valid prefecture falls back to the prefecture.
    assert drill.from_query_params(
        {"prefecture": "360700", "county": "440103"}, index
    ) == drill.DrillState("prefecture", "360700")
    assert drill.from_query_params({"prefecture": "3607'--"}, index) == drill.DrillState()
    # A county code is not a prefecture.
    assert drill.from_query_params({"prefecture": "360781"}, index) == drill.DrillState()
    with pytest.raises(ValueError, match="440100"):
        drill.from_query_params({"prefecture": "440100"}, index, strict=True)


def test_apply_to_query_params_keeps_other_keys(index):
    params = {"metric": "home_coverage", "prefecture": "360100", "county": "360102"}
    drill.apply_to_query_params(params, drill.DrillState("prefecture", "360700"))
    assert params == {"metric": "home_coverage", "prefecture": "360700"}
    drill.apply_to_query_params(params, drill.DrillState())
    assert params == {"metric": "home_coverage"}


def test_breadcrumb(index):
    state = drill.DrillState("county", "360700", "360781")
    crumbs = drill.breadcrumb(state, index.names, "360000")
    assert [label for label, _ in crumbs] == ["江西省", "赣州市", "瑞金市"]
    assert [s for _, s in crumbs] == [
        drill.DrillState(),
        drill.DrillState("prefecture", "360700"),
        state,
    ]
    assert drill.breadcrumb_text(crumbs) == "江西省 › 赣州市 › 瑞金市"
    assert [label for label, _ in drill.breadcrumb(drill.DrillState(), index.names, "360000")] == [
        "江西省"
    ]


def test_invalid_states_cannot_be_built():
    with pytest.raises(ValueError):
        drill.DrillState("prefecture", None)
    with pytest.raises(ValueError):
        drill.DrillState("province", "360700")
    with pytest.raises(ValueError):
        drill.DrillState("town")


def test_other_province_and_self_parented_cities():
    hubei = drill.region_index("420000")
    assert len(hubei.prefectures) == 17 and len(hubei.counties) == 103
    # 仙桃市: a prefecture-level city that is its own single county.
    state = drill.on_region_click(drill.DrillState(), "429004", hubei)
    assert state == drill.DrillState("prefecture", "429004")
    assert drill.on_region_click(state, "429004", hubei) == drill.DrillState(
        "county", "429004", "429004"
    )
    assert drill.from_query_params({"prefecture": "360700"}, hubei) == drill.DrillState()
