"""The referral and closure panels of 个案与关爱 (DESIGN.md §5 view 4): referrals by
department with their answer times and pending ones (referral_timely as of D, DESIGN §4),
and closure times with their distribution, for the period or the last 12 months; and the
counts per category in either window (sources, closure times) as one chart and table.

Layout only, from the frames of queries/referrals.py the page has read; split out of
pages/interventions.py, which passed 450 lines.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from components import charts, views
from components.format import fmt_count, fmt_days, fmt_rate
from components.views import Col
from data.labels import CASE_SOURCE, DEPARTMENT, RISK_LEVEL
from queries.live import DAY_BUCKETS

WINDOW_LABEL = {"period": "本月", "12m": "近12个月"}
COUNT_COL = {"period": "period_cases", "12m": "cases_12m"}  # the frames' count per window
TEXT_MARGIN = 130  # px right of horizontal bars for their value labels


def day_band(lo: int, hi: int | None) -> str:
    """A day bucket in words: ≤15天, 16–30天, >90天."""
    if hi is None:
        return f">{lo - 1}天"
    return f"≤{hi}天" if lo == 0 else f"{lo}–{hi}天"


# The ageing and closure-time buckets of queries/live.py, labelled from their bounds.
AGE_LABEL = {code: day_band(lo, hi) for code, lo, hi in DAY_BUCKETS}


def window_count_tabs(
    frame: pd.DataFrame,
    window: str,
    lists: views.PageLists,
    *,
    category: Col,
    counted: str,
    axis_title: str,
    key: str,
    title: str,
    **figure: Any,
) -> None:
    """Bars of the cases per `category` in the chosen window (本月 or 近12个月), its table
    holding both windows' counts ("本月<counted>（件）", "近12个月<counted>（件）"); `frame` has
    the category column and period_cases, cases_12m; `figure` goes to charts.bar_figure."""
    labels = category.labels or {}
    lists.chart_tabs(
        charts.bar_figure(
            [labels.get(c, c) for c in frame[category.key]],
            frame[COUNT_COL[window]],
            axis_title=axis_title,
            **figure,
        ),
        frame,
        [
            category,
            *(
                Col(COUNT_COL[w], f"{WINDOW_LABEL[w]}{counted}（件）", fmt="%,d")
                for w in WINDOW_LABEL
            ),
        ],
        key=key,
        title=title,
    )


def worst_first(refs: pd.DataFrame) -> pd.DataFrame:
    """Departments by timeliness, worst first (the lowest 7-day share, then the most
    referrals unanswered after 7 days); a department with no known outcome yet (share —)
    last. The table a leader opens answers "which department is slowest" (issue 18.3)."""
    return refs.sort_values(
        ["timely_share", "unanswered", "referrals"],
        ascending=[True, False, False],
        na_position="last",
        kind="stable",
    )


def referral_panel(
    refs: pd.DataFrame, summary: pd.Series, window: str, lists: views.PageLists
) -> None:
    """Referrals by department (queries.referrals.referrals_by_department) under a caption
    of the window's totals (referral_summary), pending referrals named apart from late ones."""
    st.markdown(f"**转介部门与响应（{WINDOW_LABEL[window]}发出）**")
    st.caption(
        f"共转介 {int(summary['referrals']):,} 件，7 天内响应 {fmt_rate(summary['timely_share'])}"
        f"（不含待响应 {int(summary['pending']):,} 件），"
        f"响应用时中位数 {fmt_days(summary['median_days'])}、平均 {fmt_days(summary['mean_days'])}，"
        f"超过 7 天未响应 {int(summary['unanswered']):,} 件。"
    )
    shown = refs[refs["referrals"] > 0].sort_values("referrals", ascending=False)
    fig = charts.bar_figure(
        [DEPARTMENT[d] for d in shown["department"]],
        shown["referrals"],
        axis_title="转介（件）",
        text=[
            f"{n:,} 件 · 及时 {fmt_rate(s)}"
            for n, s in zip(shown["referrals"], shown["timely_share"], strict=True)
        ],
    )
    fig.update_layout(margin={"r": TEXT_MARGIN})  # room for the text after the bars
    lists.chart_tabs(
        fig,
        worst_first(refs),
        [
            Col("department", "部门", labels=DEPARTMENT),
            Col("referrals", "转介（件）", fmt="%,d"),
            Col("answered", "已响应（件）", fmt="%,d"),
            Col("unanswered", "超时未响应（件）", fmt="%,d"),
            Col("pending", "待响应（件）", fmt="%,d"),
            Col("timely", "7天内响应（件）", fmt="%,d"),
            Col("timely_share", "7天内响应率", percent=True),
            Col("median_days", "响应用时中位数（天）", fmt="%.1f"),
            Col("mean_days", "平均响应用时（天）", fmt="%.1f"),
        ],
        key=f"iv_referrals_{window}",
        title=f"转介部门与响应（{WINDOW_LABEL[window]}）",
    )


def closure_panel(
    closure: pd.Series, dist: pd.DataFrame, window: str, lists: views.PageLists
) -> None:
    """Four cards of closure times (queries.referrals.closure_summary) beside the
    distribution by duration band (closure_distribution)."""
    st.markdown(f"**办结时长（{WINDOW_LABEL[window]}办结）**")
    cards, chart = st.columns([2, 3])
    with cards:
        c1, c2 = st.columns(2)
        c3, c4 = st.columns(2)
    with c1:
        views.stat_card(
            "办结个案", fmt_count(closure["closed"], "件"), help="结案日期在统计时段内的个案。"
        )
    with c2:
        views.stat_card(
            "平均办结天数",
            fmt_days(closure["mean_days"]),
            help="从受理到结案的天数的平均值（本月即指标“平均办结天数”）。",
        )
    with c3:
        views.stat_card(
            "办结天数中位数", fmt_days(closure["median_days"]), help="从受理到结案天数的中位数。"
        )
    with c4:
        views.stat_card(
            "30天内办结",
            fmt_rate(closure["within_30_share"]),
            help="受理后 30 天内（含）结案的个案占办结个案的比例。",
            note=f"{int(closure['within_30']):,} 件",
        )
    with chart:
        window_count_tabs(
            dist,
            window,
            lists,
            category=Col("bucket", "办结用时", labels=AGE_LABEL),
            counted="办结",
            axis_title="办结个案（件）",
            key="iv_closure",
            title="办结时长分布",
            horizontal=False,
            height=260,
        )


def closure_groups_panel(
    by_source: pd.DataFrame, by_risk: pd.DataFrame, window: str, lists: views.PageLists
) -> None:
    """Mean closure days by case source and by risk level (queries.referrals.
    closure_by_group): "does a 12355 case close faster than a 强制报告 one" answered on the
    page, in the window chosen above."""
    groups = (
        (by_source, "source", "来源", CASE_SOURCE, "按个案来源的办结天数"),
        (by_risk, "risk", "风险等级", RISK_LEVEL, "按风险等级的办结天数"),
    )
    for col, (frame, name, by, labels, title) in zip(st.columns(2), groups, strict=True):
        with col:
            st.markdown(f"**{title}（{WINDOW_LABEL[window]}办结）**")
            lists.show_list(
                frame,
                [
                    Col("group", by, labels=labels),
                    Col(f"closed_{window}", "办结个案（件）", fmt="%,d"),
                    Col(f"mean_days_{window}", "平均办结天数", fmt="%.1f"),
                ],
                title=f"{title}（{WINDOW_LABEL[window]}）",
                key=f"iv_closure_by_{name}",
                empty="统计时段内没有办结的个案。",
            )
