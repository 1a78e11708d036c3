"""队伍建设: supervisor and director coverage (map and ranking), vacancies down to the
township and village with how long they have been empty, certification violations, annual
training and real-name registration, turnover, and the masked roster (DESIGN.md §5.3).

Layout only: figures come from queries/staffing.py and the kpi_snapshots readers through the
cached wrappers of components/db.py; scope and period from the app context.
"""

from __future__ import annotations

import streamlit as st

from components import charts, map_ranking, tables, views
from components.format import fmt_count, fmt_rate
from components.views import Col
from data.labels import BACKGROUND, GENDER, STAFF_ROLE
from queries import records, staffing

TITLE = "队伍建设"
FILTER_KEY = "staffing_county"
STAFF_METRICS = (
    "director_coverage",
    "supervisor_coverage",
    "certified_rate",
    "trained_12m",
    "registered_rate",
    "female_director_share",
    "dedicated_share",
)
LIVE_METRICS = ("director_coverage", "supervisor_coverage")  # computed live per township
TURNOVER_HELP = (
    "近 12 个月流失率 = 近 365 天（含月末当天）离岗的人数 ÷ 平均在岗人数；"
    "平均在岗人数 = （365 天前在岗人数 + 月末在岗人数）÷ 2。"
)
VACANCY_HELP = (
    "空缺天数 = 月末日期 − 该岗位最近一位离岗人员的离岗日期；从未有人任职的岗位记为“从未配备”。"
)
ROLE_ALL = {**STAFF_ROLE, "all": "合计"}

view = views.thematic_view(TITLE)
ctx, scope, level, draw_map, unit, snap = view
lists = views.PageLists(scope["name"], ctx.period)  # every list here names the scope
by_county, by_unit = views.by_county_and_unit(staffing.staffing_by_region, ctx, level)
flow = view.query(staffing.turnover).set_index("role")
vacant_towns = int(by_county["vacant_townships"].sum())
vacant_villages = int(by_county["vacant_villages"].sum())
uncertified = int(by_county["uncertified"].sum())

# ---------------------------------------------------------------- KPI cards
views.card_row(
    "配备与素质",
    snap,
    [
        "supervisor_coverage",
        "director_coverage",
        "certified_rate",
        "trained_12m",
        "registered_rate",
    ],
    columns=5,
)
views.card_row(
    "结构、空缺与流失",
    snap,
    ["female_director_share", "dedicated_share"],
    [
        views.Stat(
            "空缺岗位",
            f"{vacant_towns + vacant_villages:,} 个",
            help="月末没有在岗儿童督导员的乡镇（街道）与没有在岗儿童主任的村（社区）。"
            + VACANCY_HELP,
            note=f"乡镇 {vacant_towns:,} 个 · 村 {vacant_villages:,} 个",
            alert=vacant_towns + vacant_villages > 0,
        ),
        views.Stat(
            "未持证上岗",
            fmt_count(uncertified, "人"),
            help="月末在岗、但在月末或之前没有通过初任培训考核的儿童督导员和儿童主任（违反先培训后上岗的要求）。",
            note="违规上岗，须尽快补训" if uncertified else "全部持证上岗",
            alert=uncertified > 0,
        ),
        views.Stat(
            "近 12 个月流失率",
            fmt_rate(flow.at["all", "turnover"]),
            help=TURNOVER_HELP,
            note=f"离岗 {int(flow.at['all', 'leavers']):,} 人 · 平均在岗 "
            f"{flow.at['all', 'average_headcount']:,.0f} 人",
        ),
    ],
    columns=5,
)

# ---------------------------------------------------------------- map + ranking
st.subheader(f"地区排名 · 按{unit}")
choices = STAFF_METRICS if draw_map else LIVE_METRICS
metric = st.segmented_control(
    "指标",
    choices,
    default=choices[0],
    format_func=tables.metric_label,
    key="staffing_metric",
    required=True,
)
metric = metric or choices[0]
map_ranking.scope_map_and_ranking(
    view,
    metric,
    key="staffing_rank",
    townships=lambda: staffing.as_metric(by_unit, metric),
    on_click=lambda code: views.preselect(FILTER_KEY, code, by_county),
)

# ---------------------------------------------------------------- trend
views.trend_row(
    ctx,
    [
        (name, codes, f"staff_trend_{name}")
        for name, codes in (
            ("配备", ("supervisor_coverage", "director_coverage", "female_director_share")),
            ("素质", ("certified_rate", "trained_12m", "registered_rate", "dedicated_share")),
        )
    ],
)

# ---------------------------------------------------------------- by region
st.subheader(f"各{unit}配备、持证与流失")
lists.show_list(
    by_unit,
    [
        Col("name", unit),
        Col("parent_name", "所属地区"),
        Col("townships", "乡镇（街道）数", fmt="%,d"),
        Col("supervisor_coverage", "督导员配备率（%）", percent=True),
        Col("vacant_townships", "督导员空缺（个）", fmt="%,d"),
        Col("villages", "村（社区）数", fmt="%,d"),
        Col("director_coverage", "儿童主任配备率（%）", percent=True),
        Col("vacant_villages", "儿童主任空缺（个）", fmt="%,d"),
        Col("supervisors", "在岗督导员（人）", fmt="%,d"),
        Col("directors", "在岗儿童主任（人）", fmt="%,d"),
        Col("uncertified", "未持证上岗（人）", fmt="%,d"),
        Col("leavers_12m", "近12个月离岗（人）", fmt="%,d"),
        Col("turnover", "近12个月流失率（%）", percent=True, help=TURNOVER_HELP),
    ],
    title=f"各{unit}队伍配备情况",
    key="staff_units",
)

# ---------------------------------------------------------------- turnover
st.subheader("近 12 个月人员流失", help=TURNOVER_HELP)
flow_rows = flow.reset_index()
flow_left, flow_right = st.columns([3, 2])
with flow_left:
    lists.chart_tabs(
        charts.bar_figure(
            flow_rows["role"].map(ROLE_ALL),
            (flow_rows["turnover"].fillna(0) * 100).round(1),
            axis_title="近12个月流失率（%）",
            text=[fmt_rate(v) for v in flow_rows["turnover"]],
        ),
        flow_rows,
        [
            Col("role", "岗位", labels=ROLE_ALL),
            Col("headcount_start", "365天前在岗（人）", fmt="%,d"),
            Col("headcount_end", "月末在岗（人）", fmt="%,d"),
            Col("leavers", "近12个月离岗（人）", fmt="%,d"),
            Col("average_headcount", "平均在岗（人）", fmt="%,.1f"),
            Col("turnover", "流失率（%）", percent=True, help=TURNOVER_HELP),
        ],
        key="staff_turnover",
        title="近12个月人员流失",
    )
with flow_right:
    st.caption(TURNOVER_HELP)

# ---------------------------------------------------------------- gap lists
st.subheader("需要整改的清单")
region, gap_lists = views.gap_filter(view, by_county, FILTER_KEY)  # the lists follow it


def vacancies(fn, places: int, unit: str, post: str, *, title: str, key: str) -> None:
    """A vacancy tab: how many `unit`s have no `post` in office (how many never had one),
    then their list located by the first `places` of county, township, village."""
    rows = view.query(fn, region=region)
    never = int(rows["never_filled"].sum())
    st.markdown(
        f"**{len(rows):,} 个{unit}没有在岗{post}**，其中从未配备 {never:,} 个。",
        help=VACANCY_HELP,
    )
    gap_lists.show_list(
        rows,
        [
            *views.PLACE_COLS[:places],
            Col("last_left_on", "上一任离岗日期", none="从未配备"),
            Col("vacant_days", "空缺天数", fmt="%,d", help=VACANCY_HELP),
        ],
        title=title,
        key=key,
        empty=f"所有{unit}都配有在岗{post}。",
    )


PEOPLE_COLS = [Col("role", "岗位", labels=STAFF_ROLE), *views.PLACE_COLS, Col("name", "姓名")]


def violations_list() -> None:
    """未持证上岗: the staff in post without a passed initial training."""
    violations = view.query(staffing.certification_violations, region=region)
    st.markdown(
        f":red[**× {len(violations):,} 人在岗但未通过初任培训考核**]（先培训、后上岗）",
    )
    gap_lists.show_list(
        violations,
        [
            *PEOPLE_COLS,
            Col("appointed_on", "任职日期"),
            Col("days_in_post", "已在岗（天）", fmt="%,d"),
            Col("failed_initial", "参加过初任培训但未通过", yes_no=True),
        ],
        title="未持证上岗人员",
        key="staff_violations",
        empty="在岗人员全部通过了初任培训考核。",
    )


def roster_list() -> None:
    """在岗人员花名册: everyone in post (masked), optionally of one role."""
    role = st.segmented_control(
        "岗位",
        ("all", *staffing.ROLES),
        default="all",
        format_func={"all": "全部", **STAFF_ROLE}.get,
        key="staff_roster_role",
        required=True,
    )
    roster = view.query(
        records.staff_roster,
        region=region,
        role=None if role in (None, "all") else role,
    )
    st.caption(
        f"共 {len(roster):,} 人。姓名、电话已脱敏。近一年轮训：近 365 天内通过过培训；"
        "持证：月末或之前通过初任培训考核。"
    )
    gap_lists.show_list(
        roster,
        [
            *PEOPLE_COLS,
            Col("phone", "联系电话"),
            Col("gender", "性别", labels=GENDER),
            Col("is_female_committee_member", "女性委员", yes_no=True),
            Col("is_dedicated", "专人专岗", yes_no=True),
            Col("background", "人员来源", labels=BACKGROUND),
            Col("appointed_on", "任职日期"),
            Col("certified", "持证上岗", yes_no=True),
            Col("last_trained_on", "最近一次培训", none="无"),
            Col("trained_12m", "近一年轮训", yes_no=True),
            Col("is_registered", "实名录入", yes_no=True),
        ],
        title="在岗人员花名册",
        key="staff_roster",
        empty="没有在岗人员。",
    )


views.lazy_tabs(
    {
        "乡镇督导员空缺": lambda: vacancies(
            staffing.township_vacancies,
            2,
            "乡镇（街道）",
            "儿童督导员",
            title="儿童督导员空缺的乡镇",
            key="staff_town_vacancies",
        ),
        "村儿童主任空缺": lambda: vacancies(
            staffing.village_vacancies,
            3,
            "村（社区）",
            "儿童主任",
            title="儿童主任空缺的村",
            key="staff_village_vacancies",
        ),
        "未持证上岗": violations_list,
        "在岗人员花名册": roster_list,
    },
    "staff_gap_tab",
)
