"""全省总览: headline KPI cards, regional ranking (map to its left), trend, region tables.

Layout only: data comes from the cached wrappers in components/db.py, scope and period from
the context app.py sets (DESIGN.md §5, §9).
"""

from __future__ import annotations

import streamlit as st

from components import db, kpi, tables

TREND_RATES = ("home_coverage", "director_coverage", "visit_rate_90d", "trained_12m")
TREND_CASES = ("open_cases", "overdue_cases")
DEFAULT_METRIC = "visit_rate_90d"
RANK_WINDOW = 20
LEVELS_BELOW = {"province": ("prefecture", "county"), "prefecture": ("county",)}

ctx = db.get_context()
scope = db.region(ctx.url, ctx.scope, ctx.scope) or {"name": ctx.scope, "level": "province"}
crumbs = [p["name"] for p in db.region_path(ctx.url, ctx.scope)] or [scope["name"]]
title = "全省总览" if scope["level"] == "province" else f"{scope['name']}总览"

kpi.page_header(title, crumbs, ctx.period, ctx.meta.data_date, ctx.meta.is_demo)
kpi.kpi_cards(db.kpis(ctx.url, ctx.scope, ctx.period))

# ---------------------------------------------------------------- map + ranking
levels = LEVELS_BELOW.get(scope["level"], ())
if levels:
    st.subheader("地区排名")
    c1, c2, c3, _ = st.columns([2, 2, 2, 1])
    metric = c1.selectbox(
        "指标",
        tables.all_metrics(),
        index=tables.all_metrics().index(DEFAULT_METRIC),
        format_func=tables.metric_label,
        key="overview_metric",
    )
    level = c2.segmented_control(
        "层级",
        levels,
        default=levels[0],
        format_func=tables.LEVEL_NAME.get,
        key="overview_level",
        required=True,
    )
    level = level or levels[0]
    by_region = db.metric_by_region(ctx.url, ctx.scope, ctx.period, metric, level)
    ranked = tables.ranking_frame(by_region, metric)
    shown = ranked
    if ranked["value"].notna().sum() > RANK_WINDOW + 5:  # counties: worst or best 20 first
        window = c3.segmented_control(
            "显示",
            ("bottom", "top", "all"),
            default="bottom",
            format_func={
                "bottom": f"后 {RANK_WINDOW} 名",
                "top": f"前 {RANK_WINDOW} 名",
                "all": "全部",
            }.get,
            key="overview_rank_window",
            required=True,
        )
        shown = tables.ranking_window(ranked, window or "bottom", RANK_WINDOW)

    map_col, rank_col = st.columns([1, 1])
    with map_col:
        # MAP SLOT: the lead wires components.maps here (choropleth of `metric` at `level`,
        # input `by_region`; a click drills down via components.drill). Until then the
        # column holds the alert list, which can move below the map.
        tables.alert_list(ranked, metric, level)
    with rank_col:
        chart_tab, table_tab = st.tabs(["图表", "表格"])
        with chart_tab:
            st.plotly_chart(
                tables.ranking_figure(shown, metric),
                config=tables.PLOTLY_CONFIG,
                key="overview_ranking_chart",
            )
            missing = ranked.loc[ranked["value"].isna(), "name"].tolist()
            if missing:
                st.caption("无数据：" + "、".join(missing))
        with table_tab:
            tables.ranking_table(ranked, metric, level, key="overview_ranking_table")

# ---------------------------------------------------------------- trend
st.subheader("近 12 个月趋势")
left, right = st.columns(2)
for col, codes, name in (
    (left, TREND_RATES, "关键比率"),
    (right, TREND_CASES, "个案数量"),
):
    with col:
        st.markdown(f"**{name}**")
        data = db.trend(ctx.url, ctx.scope, codes, until=ctx.period)
        chart_tab, table_tab = st.tabs(["图表", "表格"])
        with chart_tab:
            st.plotly_chart(
                tables.trend_figure(data), config=tables.PLOTLY_CONFIG, key=f"trend_{name}"
            )
        with table_tab:
            tables.trend_table(data)

# ---------------------------------------------------------------- tables
if levels:
    st.subheader("各地指标明细")
    for tab, lv in zip(st.tabs([tables.LEVEL_NAME[lv] for lv in levels]), levels, strict=True):
        with tab:
            tables.region_table(
                db.region_table(ctx.url, ctx.scope, ctx.period, lv), lv, key=f"table_{lv}"
            )
