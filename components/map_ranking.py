"""The thematic views' map of one metric beside its ranking (DESIGN.md §5, §9), each with its
table one click away: the county map at province and prefecture scope, the townships'
ranking alone at county scope (no township boundaries). Split out of components/views.py,
which had passed 400 lines; the overview uses its ranking window too.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd
import streamlit as st

from components import db, maps, tables
from components.views import ThematicView
from core.metrics import BY_CODE
from data.config import province_code

RANK_WINDOW = 20


def ranking_shown(ranked: pd.DataFrame, key: str, where: Any = st) -> pd.DataFrame:
    """The ranked regions to chart: with many regions (counties) a 显示 control in `where`
    (default the page; a column works) picks the worst 20, the best 20 or all, worst first
    by default; a short ranking is shown whole."""
    if ranked["value"].notna().sum() <= RANK_WINDOW + 5:
        return ranked
    window = where.segmented_control(
        "显示",
        ("bottom", "top", "all"),
        default="bottom",
        format_func={
            "bottom": f"后 {RANK_WINDOW} 名",
            "top": f"前 {RANK_WINDOW} 名",
            "all": "全部",
        }.get,
        key=key,
        required=True,
    )
    return tables.ranking_window(ranked, window or "bottom", RANK_WINDOW)


def _ranking(ranked: pd.DataFrame, metric: str, level: str, key: str) -> None:
    shown = ranking_shown(ranked, f"{key}_window")
    chart_tab, table_tab = st.tabs(["图表", "表格"])
    with chart_tab:
        st.plotly_chart(
            tables.ranking_figure(shown, metric),
            config=tables.PLOTLY_CONFIG,
            key=f"{key}_ranking_chart",
        )
        missing = ranked.loc[ranked["value"].isna(), "name"].tolist()
        if missing:
            st.caption("无数据：" + "、".join(missing))
    with table_tab:
        tables.ranking_table(ranked, metric, level, key=f"{key}_ranking_table")


def map_and_ranking(
    by_region: pd.DataFrame,
    metric: str,
    *,
    level: str,
    key: str,
    within: str | None = None,
    draw_map: bool = True,
    on_click: Callable[[str], None] | None = None,
) -> None:
    """The map of `metric` (left) and its ranking (right), each with a 表格 tab.

    `by_region` has code, name, parent_name, value, numerator, denominator (the shape of
    `queries.indicators.metric_by_region`); `level` is county (map drawn; `within` a
    prefecture code draws only its counties) or township (no boundaries: the ranking takes the
    full width). A click on a region calls `on_click(code)` once per new click."""
    ranked = tables.ranking_frame(by_region, metric)
    if not draw_map or level not in ("prefecture", "county"):
        _ranking(ranked, metric, level, key)
        return
    map_col, rank_col = st.columns([1, 1])
    with map_col:
        fig = maps.choropleth(by_region, level, metric, province_code(), within=within)
        map_tab, table_tab = st.tabs(["地图", "表格"])
        with map_tab:
            clicked = maps.show_choropleth(st, fig, key=f"{key}_map")
        with table_tab:
            m = BY_CODE[metric]
            twin = maps.figure_table(fig, metric).drop(columns=["代码", "显示值"])
            twin[m.label] = pd.to_numeric(twin[m.label], errors="coerce") * tables.display_scale(m)
            tables.data_table(
                twin,
                title=f"{m.label}地图数据",
                column_config={m.label: tables.number_column(m)},
                key=f"{key}_map_table",
            )
        last_key = f"{key}_last_click"
        if clicked and clicked != st.session_state.get(last_key):
            st.session_state[last_key] = clicked
            if on_click is not None:
                on_click(clicked)
    with rank_col:
        _ranking(ranked, metric, level, key)


def county_map_and_ranking(
    ctx: db.AppContext,
    scope: dict,
    metric: str,
    *,
    key: str,
    on_click: Callable[[str], None] | None = None,
) -> None:
    """`map_and_ranking` of `metric` by county over the user's scope, from the monthly
    snapshots: the thematic pages' map at province and prefecture scope (a prefecture draws
    only its own counties)."""
    map_and_ranking(
        db.metric_by_region(ctx.url, ctx.scope, ctx.period, metric, "county"),
        metric,
        level="county",
        key=key,
        within=ctx.scope if scope["level"] == "prefecture" else None,
        on_click=on_click,
    )


def scope_map_and_ranking(
    view: ThematicView,
    metric: str,
    *,
    key: str,
    townships: Callable[[], pd.DataFrame],
    on_click: Callable[[str], None] | None = None,
) -> None:
    """The map and ranking of `metric` a thematic page shows over the user's scope: the
    county map (`county_map_and_ranking`) at province and prefecture scope; at county scope
    the ranking of its townships, `townships()` in the shape of `map_and_ranking`'s frame
    (called only then: it is the page's live township query)."""
    if view.draw_map:
        county_map_and_ranking(view.ctx, view.scope, metric, key=key, on_click=on_click)
    else:
        map_and_ranking(townships(), metric, level=view.level, key=key)
