"""个案与关爱: the case pipeline, open and overdue cases by area with their ageing, sources,
referrals by department, closure times, the six 两提升、四关爱 actions, visit coverage, and the
masked list of overdue cases (DESIGN.md §5 view 4).

Layout only: figures come from queries/interventions.py, referrals.py and care.py (live, as of
the period's last day), queries/drilldown.py (live township figures at county scope) and the
kpi_snapshots readers, all through the cached wrappers of components/db.py; scope and period
from the app context.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from components import case_handling, charts, map_ranking, record_lists, tables, views
from components.case_handling import AGE_LABEL, TEXT_MARGIN, WINDOW_LABEL
from components.format import fmt_count, fmt_rate
from components.views import Col
from data.labels import ACTION_TYPE, CASE_CONCERN, CASE_SOURCE, CASE_STATUS, RISK_LEVEL
from queries import care, drilldown, records, referrals
from queries import interventions as iv

TITLE = "个案与关爱"
FILTER_KEY = "iv_county"
MAP_METRICS = (
    "overdue_cases",
    "open_cases",
    "visit_rate_90d",
    "care_coverage",
    "referral_timely",
    "case_closure_days",
)
STAGE_LABEL = {**CASE_STATUS, "closed": "结案（本月）"}
RISK_LABEL = {code: f"{name}风险" for code, name in RISK_LEVEL.items()}
CHART_TOP = 20  # area charts show the areas with most open cases; tables hold all

view = views.thematic_view(TITLE)
ctx, scope, level, _draw_map, unit, snap = view
lists = views.PageLists(scope["name"], ctx.period)  # every list here names the scope


q = view.query  # the page's cached queries for the user's scope and period


pipeline = q(iv.case_pipeline)
sources = q(iv.case_sources)
ref_figures = q(referrals.referral_figures)  # summary and departments, one read
ref_summary = ref_figures["summary"].set_index("window")
by_area = q(iv.open_cases_by_area, level)

# ---------------------------------------------------------------- KPI cards
open_now = pipeline[pipeline["stage"] != "closed"]
high_open = int(open_now.loc[open_now["risk_level"] == "high", "cases"].sum())
received = sources.set_index("source")["period_cases"]
views.card_row(
    "个案办理",
    snap,
    ["open_cases", "overdue_cases", "case_closure_days", "referral_timely"],
    [
        views.Stat(
            "本月新受理个案",
            fmt_count(received.sum(), "件"),
            help="统计月份内受理的个案（受理日期在本月 1 日至月末）。",
            note=f"12355热线 {received['hotline_12355']:,} 件 · 强制报告 {received['mandatory_report']:,} 件",
        )
    ],
    columns=5,
)
period_refs = ref_summary.loc["period"]
year_refs = ref_summary.loc["12m"]
views.card_row(
    "关爱与探访",
    snap,
    ["visit_rate_90d", "care_coverage"],
    [
        views.Stat(
            "在办高风险个案",
            fmt_count(high_open, "件"),
            help="月末仍在办理、风险等级为高的个案。",
            note=f"占在办个案 {fmt_rate(high_open / open_now['cases'].sum() if open_now['cases'].sum() else None)}",
        ),
        views.Stat(
            "本月超时未响应转介",
            fmt_count(period_refs["unanswered"], "件"),
            help=(
                "本月发出、已满 7 天、截至月末仍无部门响应记录的转介。"
                "转介不满 7 天、尚未响应的为待响应，还不算超时，单独列出。"
            ),
            note=(
                f"待响应 {int(period_refs['pending']):,} 件 · "
                f"本月转介 {int(period_refs['referrals']):,} 件"
            ),
            alert=period_refs["unanswered"] > 0,
        ),
        views.Stat(
            "近12个月转介及时率",
            fmt_rate(year_refs["timely_share"]),
            help=(
                "近 12 个月（含本月）发出、截至月末已知结果的转介（已响应或已满 7 天）中，"
                "7 天内得到响应的比例；待响应的不计入。"
            ),
            note=(
                f"{int(year_refs['timely']):,} / "
                f"{int(year_refs['referrals'] - year_refs['pending']):,} 件"
            ),
        ),
    ],
    columns=5,
)

# ---------------------------------------------------------------- map + ranking
st.subheader(f"分地区情况 · 按{unit}")
metric = st.selectbox(
    "指标",
    MAP_METRICS,
    format_func=tables.metric_label,
    key="iv_map_metric",
)
map_ranking.scope_map_and_ranking(
    view,
    metric,
    key=f"iv_{metric}",
    townships=lambda: iv.unit_metric(
        q(drilldown.unit_indicators, ctx.scope), metric, scope["name"]
    ),
    on_click=lambda code: views.preselect(FILTER_KEY, code, by_area),
)
st.caption("地图与排名取自月度指标汇总；乡镇（街道）数据为实时计算。")

# ---------------------------------------------------------------- trend
views.trend_row(
    ctx,
    [
        (name, codes, f"iv_trend_{name}")
        for name, codes in (
            ("在办与逾期个案", ("open_cases", "overdue_cases")),
            ("转介、探访与关爱", ("referral_timely", "visit_rate_90d", "care_coverage")),
            ("平均办结天数", ("case_closure_days",)),
        )
    ],
)

# ---------------------------------------------------------------- pipeline and ageing
st.subheader("个案办理流程")
left, right = st.columns(2)
counts = {(r["stage"], r["risk_level"]): r["cases"] for r in pipeline.to_dict("records")}
stage_rows = pd.DataFrame(
    [
        {
            "stage": s,
            **{r: counts[(s, r)] for r in RISK_LEVEL},
            "total": sum(counts[(s, r)] for r in RISK_LEVEL),
        }
        for s in iv.STAGES
    ]
)
with left:
    st.markdown("**受理 → 评估 → 处置 → 结案**")
    lists.chart_tabs(
        charts.stacked_figure(
            [STAGE_LABEL[s] for s in iv.STAGES],
            {RISK_LABEL[r]: stage_rows[r] for r in RISK_LEVEL},
            axis_title="个案（件）",
            horizontal=False,
        ),
        stage_rows,
        [
            Col("stage", "办理环节", labels=STAGE_LABEL),
            *(Col(r, RISK_LABEL[r], fmt="%,d") for r in RISK_LEVEL),
            Col("total", "合计", fmt="%,d"),
        ],
        key="iv_pipeline",
        title="个案办理流程",
    )
    st.caption("受理、评估、处置为月末在办个案所处环节（按评估日期判断）；结案为本月内办结的个案。")
ageing = q(iv.open_case_ageing)
with right:
    st.markdown("**在办个案账龄（自受理日起）**")
    lists.chart_tabs(
        charts.stacked_figure(
            [AGE_LABEL[b] for b in ageing["bucket"]],
            {
                "高风险": ageing["high_risk"],
                "中、低风险": ageing["cases"] - ageing["high_risk"],
            },
            axis_title="在办个案（件）",
            horizontal=False,
        ),
        ageing,
        [
            Col("bucket", "账龄", labels=AGE_LABEL),
            Col("cases", "在办个案（件）", fmt="%,d"),
            Col("high_risk", "其中高风险（件）", fmt="%,d"),
        ],
        key="iv_ageing",
        title="在办个案账龄",
    )

# ---------------------------------------------------------------- open cases by area
st.subheader(f"各{unit}在办与逾期个案")
area_cols = [
    Col("name", unit),
    Col("parent_name", "所属地区"),
    Col("open_cases", "在办个案（件）", fmt="%,d"),
    Col("overdue_cases", "逾期个案（件）", fmt="%,d"),
    Col("high_risk_open", "高风险（件）", fmt="%,d"),
    *(Col(b, f"账龄{AGE_LABEL[b]}", fmt="%,d") for b in AGE_LABEL),
    Col(
        "abuse_open",
        "其中遭受侵害（件）",
        fmt="%,d" if level == "county" else None,
        help="乡镇（街道）层级不足 5 件的显示为“<5”，以保护当事儿童。"
        if level != "county"
        else None,
    ),
]
busiest = by_area.sort_values(["open_cases", "code"], ascending=[False, True]).head(CHART_TOP)
lists.chart_tabs(
    charts.stacked_figure(
        busiest["name"],
        {
            "逾期": busiest["overdue_cases"],
            "未逾期": busiest["open_cases"] - busiest["overdue_cases"],
        },
        axis_title="在办个案（件）",
    ),
    by_area.sort_values(["overdue_cases", "open_cases"], ascending=False),
    area_cols,
    key="iv_by_area",
    title=f"各{unit}在办与逾期个案",
)
if len(by_area) > CHART_TOP:
    st.caption(f"图中为在办个案最多的 {CHART_TOP} 个{unit}，全部见“表格”。")

# ---------------------------------------------------------------- sources, referrals, closure
st.subheader("个案来源、转介与办结")
window = (
    st.segmented_control(
        "统计时段",
        tuple(WINDOW_LABEL),
        default="period",
        format_func=WINDOW_LABEL.get,
        key="iv_window",
        required=True,
    )
    or "period"
)
src_col, ref_col = st.columns(2)
with src_col:
    st.markdown(f"**个案来源（{WINDOW_LABEL[window]}受理）**")
    case_handling.window_count_tabs(
        sources,
        window,
        lists,
        category=Col("source", "来源", labels=CASE_SOURCE),
        counted="受理",
        axis_title="个案（件）",
        key="iv_sources",
        title="个案来源",
    )
refs = ref_figures["by_department"][window]
with ref_col:
    case_handling.referral_panel(refs, ref_summary.loc[window], window, lists)
closures = q(referrals.closure_figures)  # summary, distribution and groups, one read
case_handling.closure_panel(
    closures["summary"].set_index("window").loc[window],
    closures["distribution"],
    window,
    lists,
)
case_handling.closure_groups_panel(
    closures["by_group"]["source"],
    closures["by_group"]["risk_level"],
    window,
    lists,
)

# ---------------------------------------------------------------- care actions
st.subheader("两提升、四关爱")
care_by_area = q(care.care_actions_by_area, level)
totals = care.care_action_totals(care_by_area)
care_left, care_right = st.columns([2, 3])
with care_left:
    st.markdown("**月末在关爱中的儿童（按行动）**")
    care_fig = charts.bar_figure(
        [ACTION_TYPE[a] for a in totals["action_type"]],
        totals["children"],
        axis_title="儿童（人）",
        text=[
            f"{n:,} 人 · {fmt_rate(s)}"
            for n, s in zip(totals["children"], totals["share"], strict=True)
        ],
    )
    care_fig.update_layout(margin={"r": TEXT_MARGIN})
    lists.chart_tabs(
        care_fig,
        totals,
        [
            Col("action_type", "关爱行动", labels=ACTION_TYPE),
            Col("children", "覆盖儿童（人）", fmt="%,d"),
            Col("share", "占在册儿童", percent=True),
        ],
        key="iv_care_totals",
        title="两提升、四关爱覆盖儿童",
    )
    st.caption("一名儿童可同时接受多项关爱行动；占比的分母为月末在册儿童。")
with care_right:
    st.markdown(f"**各{unit}关爱行动覆盖**")
    care_table = care_by_area.assign(
        coverage=care_by_area["any_action"]
        / care_by_area["children_active"].where(care_by_area["children_active"] > 0)
    ).sort_values("coverage", na_position="last")
    lists.show_list(
        care_table,
        [
            Col("name", unit),
            Col("parent_name", "所属地区"),
            Col("children_active", "在册儿童（人）", fmt="%,d"),
            Col("any_action", "接受关爱（人）", fmt="%,d"),
            Col("coverage", "关爱行动覆盖率", percent=True),
            *(Col(a, f"{ACTION_TYPE[a]}（人）", fmt="%,d") for a in ACTION_TYPE),
        ],
        title=f"各{unit}关爱行动覆盖",
        key="iv_care_by_area",
    )

# ---------------------------------------------------------------- overdue list
st.subheader("逾期个案清单")
chosen, overdue_lists = views.gap_filter(view, by_area, FILTER_KEY)
overdue = q(records.case_list, region=chosen, overdue_only=True)
st.caption("月末仍在办理且已超过办理期限的个案，按逾期天数从多到少排列；儿童姓名已脱敏。")
overdue_lists.show_list(
    overdue,
    [
        Col("id", "个案编号"),
        Col("county_name", "县（市、区）"),
        Col("township_name", "乡镇（街道）", none="县本级"),
        *(
            [Col("concern", "主要问题", labels=CASE_CONCERN)]
            if record_lists.shows_detail(ctx.url, ctx.scope)
            else []
        ),
        Col("risk_level", "风险等级", labels=RISK_LABEL),
        Col("stage", "办理环节", labels=CASE_STATUS),
        Col("received_on", "受理日期"),
        Col("due_on", "办理期限"),
        Col("days_overdue", "逾期天数", fmt="%,d"),
        Col("child_name", "儿童姓名", none="（匿名）"),
    ],
    title="逾期个案清单",
    key="iv_overdue",
    empty="没有逾期个案。",
)
