"""A tiny Streamlit app for the browser tests of the map component: a choropleth of synthetic
values with drill-down 省 → 市 → 县 through `on_select`, the state kept in the URL.

Query parameters: `prefecture`, `county` (the drill state), `metric` (default
home_coverage), `map=county` (all counties in the province view instead of prefectures),
`deck=1` (also draw the pydeck 3-D view). Synthetic values are a fixed function of the code,
with 360102 (东湖区) and 360700 (赣州市) left without data to show the grey 无数据 class.
"""

from __future__ import annotations

import sys
import zlib
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[3]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

import pandas as pd  # noqa: E402
import streamlit as st  # noqa: E402

from components import drill, maps  # noqa: E402
from core.metrics import BY_CODE  # noqa: E402
from data.config import province_code  # noqa: E402
from data.regions import real_units  # noqa: E402

NO_DATA_CODES = {"360102", "360700"}


def synthetic_values(codes: list[str], metric: str) -> pd.DataFrame:
    """Deterministic values per code: rates between 78% and 100%, counts 100 to 5,000."""
    rows = []
    for code in codes:
        u = (zlib.crc32(f"{metric}:{code}".encode()) % 10_000) / 10_000
        value = 0.78 + 0.22 * u if BY_CODE[metric].kind == "rate" else round(100 + 4900 * u)
        rows.append({"code": code, "value": None if code in NO_DATA_CODES else value})
    return pd.DataFrame(rows)


st.set_page_config(page_title="地图演示", layout="wide")
province = province_code()
index = drill.region_index(province)
state = drill.from_query_params(st.query_params, index)
metric = st.query_params.get("metric", "home_coverage")
if metric not in BY_CODE:
    metric = "home_coverage"

# Breadcrumb 省 › 市 › 县: every level above the current one is a button back up.
crumbs = drill.breadcrumb(state, index.names, province)
columns = st.columns([1] * len(crumbs) + [6])
for i, (label, target) in enumerate(crumbs):
    with columns[i]:
        if target == state:
            st.markdown(f"**{label}**")
        elif st.button(label, key=f"crumb_{i}"):
            drill.apply_to_query_params(st.query_params, target)
            st.rerun()
st.caption(f"当前层级：{drill.breadcrumb_text(crumbs)}")

if state.level == "province":
    level = "county" if st.query_params.get("map") == "county" else "prefecture"
    within = None
else:
    level, within = "county", state.prefecture

codes = [u.code for u in real_units(province) if u.level == level]
values = synthetic_values(codes, metric)
fig = maps.choropleth(values, level, metric, province, within=within, highlight=state.county)
clicked = maps.show_choropleth(st, fig, key=f"map_{state.level}_{state.focus or province}_{level}")
new_state = drill.on_region_click(state, clicked, index, map_level=level)
if new_state != state:
    drill.apply_to_query_params(st.query_params, new_state)
    st.rerun()

if state.level == "county":
    st.subheader(f"县区详情：{index.names[state.county]}")
    st.write("（县区详情页建设中）")

if st.query_params.get("deck") == "1":
    county_codes = [u.code for u in real_units(province) if u.level == "county"]
    wide = synthetic_values(county_codes, "children_active").rename(
        columns={"value": "children_active"}
    )
    wide["home_coverage"] = synthetic_values(county_codes, "home_coverage")["value"]
    st.pydeck_chart(maps.deck_3d(wide, province, "children_active", "home_coverage"), height=480)
