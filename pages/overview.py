"""全省总览: headline KPI cards, the map of any metric (with its table and a 3-D view) beside the
regional ranking, trend, region tables; a map click drills down 省 → 市 → 县.

Layout only: data comes from the cached wrappers in components/db.py, scope and period from
the context app.py sets (DESIGN.md §5, §9). The drill state lives in the URL
(`?prefecture=360800`, with `metric` and `level` when not the defaults), is checked against the
province and the user's scope, and a county opens the 县区详情 page.
"""

from __future__ import annotations

import streamlit as st

from components import db, drill, kpi, map_ranking, supervise, tables
from components import overview_map as om
from components.format import fmt_period, md_text

TREND_RATES = ("home_coverage", "director_coverage", "visit_rate_90d", "trained_12m")
TREND_CASES = ("open_cases", "overdue_cases")
DEFAULT_METRIC = "visit_rate_90d"
LEVELS_BELOW = {"province": ("prefecture", "county"), "prefecture": ("county",)}

ctx = db.get_context()
scope = db.region(ctx.url, ctx.scope, ctx.scope) or {"name": ctx.scope, "level": "province"}
geo = om.geography(ctx.url, ctx.scope)

# ---------------------------------------------------------------- drill state from the URL
state, notice = om.resolve_drill(
    st.query_params, geo.index, lambda code: om.is_allowed(ctx.url, code, ctx.scope, geo.index)
)
if state.focus == ctx.scope:  # a prefecture user's own prefecture is the start view
    state = drill.DrillState()
carried = om.keep_params(st.query_params)
if state.level == "county":
    om.go_to(state, ctx.period, carried)
drill.apply_to_query_params(st.query_params, state)  # refused codes leave the URL

view_code = state.focus or ctx.scope
view = db.region(ctx.url, view_code, ctx.scope)  # None: a region the database does not hold
view_name = view["name"] if view else geo.index.names.get(view_code, view_code)
view_level = view["level"] if view else state.level
if view_code == ctx.scope:
    crumbs = [p["name"] for p in db.region_path(ctx.url, ctx.scope)] or [scope["name"]]
else:
    crumbs = [label for label, _s in drill.breadcrumb(state, geo.index.names, geo.province)]
title = "全省总览" if view_level == "province" else f"{view_name}总览"


def caption(table: str) -> str:
    """Excel caption: the table, the area shown and the month."""
    return f"{table} · {view_name} · {fmt_period(ctx.period)}"


kpi.page_header(title, crumbs, ctx.period, ctx.meta.data_date, ctx.meta.is_demo)
supervise.to_answer_notice(ctx.url, ctx.scope, ctx.period)  # a county's open 督办 on landing
if notice:
    st.warning(notice, icon=":material/warning:")
if view is None:
    st.info(f"数据库中暂无{md_text(view_name)}的数据，地图上显示为“无数据”。请返回上一级查看。")
else:
    kpi.kpi_cards(db.kpis(ctx.url, ctx.scope, ctx.period, region=view_code))

# ---------------------------------------------------------------- map + ranking
levels = LEVELS_BELOW.get(view_level, ())
if levels:
    st.subheader("地区分布与排名")
    if scope["level"] == "province":
        back = om.breadcrumb_bar(state, geo)
        if back is not None:
            om.go_to(back, ctx.period)
    metrics = tables.all_metrics()
    om.seed_choice("overview_metric", om.METRIC_PARAM, metrics, DEFAULT_METRIC)
    c1, c2, c3, _ = st.columns([2, 2, 2, 1])
    metric = c1.selectbox("指标", metrics, format_func=tables.metric_label, key="overview_metric")
    om.sync_param(om.METRIC_PARAM, metric, DEFAULT_METRIC)
    level = levels[0]
    if len(levels) > 1:
        om.seed_choice("overview_level", om.LEVEL_PARAM, levels, levels[0])
        level = c2.segmented_control(
            "层级",
            levels,
            format_func=tables.LEVEL_NAME.get,
            key="overview_level",
            required=True,
        )
        level = level or levels[0]
        om.sync_param(om.LEVEL_PARAM, level, levels[0])
    by_region = db.metric_by_region(ctx.url, view_code, ctx.period, metric, level)
    ranked = map_ranking.ranking_frame(by_region, metric)
    shown = map_ranking.ranking_shown(ranked, "overview_rank_window", c3)

    # The map covers the view's whole area (the province, or one prefecture's counties).
    within = view_code if view_level == "prefecture" else None
    map_col, rank_col = st.columns([1, 1])
    with map_col:
        clicked = om.map_tabs(
            url=ctx.url,
            version=ctx.meta.version,
            geo=geo,
            state=state,
            view_scope=view_code,
            period=ctx.period,
            metric=metric,
            level=level,
            within=within,
        )
        target = drill.on_region_click(state, clicked, geo.index, map_level=level)
        if target != state and om.is_allowed(ctx.url, target.focus, ctx.scope, geo.index):
            om.go_to(target, ctx.period, om.keep_params(st.query_params))
    with rank_col:
        chart_tab, table_tab = st.tabs(["图表", "表格"])
        with chart_tab:
            if ranked["value"].notna().any():
                st.plotly_chart(
                    map_ranking.ranking_figure(shown, metric),
                    config=tables.PLOTLY_CONFIG,
                    key="overview_ranking_chart",
                )
            else:
                st.info("本期暂无可排名的数据。")
            missing = ranked.loc[ranked["value"].isna(), "name"].tolist()
            if missing:
                st.caption("无数据：" + "、".join(md_text(n) for n in missing))
        with table_tab:
            map_ranking.ranking_table(
                ranked,
                metric,
                level,
                key="overview_ranking_table",
                caption=caption(f"{tables.metric_label(metric)}排名"),
            )
        st.markdown("###### 预警")
        map_ranking.alert_list(ranked, metric, level)

# ---------------------------------------------------------------- trend
if view is not None:
    st.subheader("近 12 个月趋势")
    left, right = st.columns(2)
    for col, codes, name in (
        (left, TREND_RATES, "关键比率"),
        (right, TREND_CASES, "个案数量"),
    ):
        with col:
            st.markdown(f"**{name}**")
            data = db.trend(ctx.url, ctx.scope, codes, region=view_code, until=ctx.period)
            tables.trend_tabs(
                data, title=f"{name}趋势", key=f"trend_{name}", caption=caption(f"{name}趋势")
            )

# ---------------------------------------------------------------- tables
if levels:
    st.subheader("各地指标明细")
    for tab, lv in zip(st.tabs([tables.LEVEL_NAME[lv] for lv in levels]), levels, strict=True):
        with tab:
            tables.region_table(
                db.region_table(ctx.url, view_code, ctx.period, lv),
                lv,
                key=f"table_{lv}",
                caption=caption(f"各{tables.LEVEL_NAME[lv]}指标明细"),
            )
