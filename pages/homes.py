"""儿童之家: coverage map and ranking, homes by status, demonstration homes in former poverty
counties, activity and "paper homes" (空壳), villages still without a home (DESIGN.md §5.2).

Layout only: figures come from queries/homes.py and the kpi_snapshots readers through the
cached wrappers of components/db.py; scope and period from the app context.
"""

from __future__ import annotations

import streamlit as st

from components import charts, map_ranking, tables, views
from components.format import fmt_count, fmt_rate
from components.views import Col
from data.labels import ACTIVITY_KIND, HOME_STATUS, REGION_KIND
from queries import homes

TITLE = "儿童之家"
FILTER_KEY = "homes_county"
NOT_OPERATING = {
    "building": "有筹建中的儿童之家",
    "closed": "原有儿童之家已停用",
    "none": "从未建设",
}
PAPER_HELP = "空壳儿童之家：月末处于运营中，但近 90 天（含月末当天）没有开展任何活动的儿童之家。"

view = views.thematic_view(TITLE)
ctx, scope, level, _draw_map, unit, snap = view
by_county, by_unit = views.by_county_and_unit(homes.homes_by_region, ctx, level)
totals = homes.totals_from(by_county)
lists = views.PageLists(scope["name"], ctx.period)

# ---------------------------------------------------------------- KPI cards
views.card_row(
    "覆盖与运营",
    snap,
    ["home_coverage"],
    [
        views.Stat(
            "尚无儿童之家的村",
            fmt_count(totals["uncovered"], "个"),
            help="月末没有运营中儿童之家的村（社区）。清单见页面下方。",
            note=f"共 {totals['villages']:,} 个村（社区）",
            alert=totals["uncovered"] > 0,
        ),
        views.Stat(
            "运营中儿童之家",
            fmt_count(totals["operating"], "个"),
            help="月末正在运营的儿童之家（已开始运营且未停用，不含筹建中）。",
            note=f"筹建中 {totals['building']:,} 个 · 已停用 {totals['closed']:,} 个",
        ),
        views.Stat(
            "空壳儿童之家",
            fmt_count(totals["paper"], "个"),
            help=PAPER_HELP,
            note=f"占运营中的 {fmt_rate(totals['paper_share'])}",
            alert=totals["paper"] > 0,
        ),
    ],
    columns=4,
)
views.card_row(
    "示范与活动",
    snap,
    ["demo_homes"],
    [
        views.Stat(
            "示范之家位于原贫困县",
            fmt_rate(totals["demo_poverty_share"]),
            help="运营中的示范性儿童之家中，位于原国家扶贫开发工作重点县的比例（政策要求向原贫困县倾斜）。",
            note=f"{totals['demo_poverty']:,} / {totals['demo']:,} 个",
        ),
        views.Stat(
            "近 90 天活动",
            fmt_count(totals["activities"], "次"),
            help="近 90 天（含月末当天）各儿童之家开展的活动次数。",
            note=f"参与 {totals['participants']:,} 人次",
        ),
    ],
    columns=4,
)

# ---------------------------------------------------------------- map + ranking
st.subheader(f"儿童之家覆盖率 · 按{unit}")
map_ranking.scope_map_and_ranking(
    view,
    "home_coverage",
    key="homes_coverage",
    townships=lambda: by_unit,
    on_click=lambda code: views.preselect(FILTER_KEY, code, by_county),
)

# ---------------------------------------------------------------- trend
views.trend_row(
    ctx,
    [(tables.metric_label(c), (c,), f"homes_trend_{c}") for c in ("home_coverage", "demo_homes")],
)

# ---------------------------------------------------------------- status by region
st.subheader(f"各{unit}儿童之家状态")
not_operating = by_unit["building"] + by_unit["closed"]
status_order = by_unit.assign(_n=not_operating).sort_values(["_n", "code"], ascending=[False, True])
status_cols = [
    Col("name", unit),
    Col("parent_name", "所属地区"),
    Col("villages", "村（社区）数", fmt="%,d"),
    Col("covered", "已覆盖村数", fmt="%,d"),
    Col("coverage", "覆盖率（%）", percent=True),
    Col("operating", HOME_STATUS["operating"], fmt="%,d"),
    Col("building", HOME_STATUS["building"], fmt="%,d"),
    Col("closed", HOME_STATUS["closed"], fmt="%,d"),
    Col("demo", "示范性儿童之家", fmt="%,d"),
    Col("paper", "空壳儿童之家", fmt="%,d", help=PAPER_HELP),
    Col("activities", "近90天活动（次）", fmt="%,d"),
    Col("participants", "近90天参与（人次）", fmt="%,d"),
]
if len(status_order) > map_ranking.RANK_WINDOW:
    st.caption(
        f"图中为筹建中和已停用儿童之家最多的 {map_ranking.RANK_WINDOW} 个{unit}；全部见“表格”。"
    )
top = status_order.head(map_ranking.RANK_WINDOW)
lists.chart_tabs(
    charts.stacked_figure(
        top["name"],
        {HOME_STATUS[s]: top[s] for s in homes.HOME_STATES},
        axis_title="儿童之家（个）",
    ),
    status_order,
    status_cols,
    key="homes_status",
    title=f"各{unit}儿童之家状态",
)
st.caption(
    "运营中：月末已开始运营且未停用；筹建中：已登记但月末尚未开始运营；已停用：停用日期在月末或之前。"
)

# ---------------------------------------------------------------- demonstration homes
st.subheader("示范性儿童之家")
st.markdown(
    f"原贫困县共有示范性儿童之家 **{totals['demo_poverty']:,}** 个，"
    f"占全部 {totals['demo']:,} 个的 **{fmt_rate(totals['demo_poverty_share'])}**。"
    "政策要求示范性儿童之家优先向原贫困县（原国家扶贫开发工作重点县）倾斜。"
)
if level == "county":
    split = homes.poverty_split(by_county)
    split["group"] = split["former_poverty"].map({True: "原贫困县", False: "其他县（市、区）"})
    demo_left, demo_right = st.columns(2)
    with demo_left:
        st.markdown("**每百个村（社区）的示范之家**")
        lists.chart_tabs(
            charts.bar_figure(
                split["group"],
                split["demo_per_100_villages"].fillna(0),
                axis_title="每百个村（社区）示范之家（个）",
                text=[f"{v:.1f}" if v == v else "—" for v in split["demo_per_100_villages"]],
                height=240,
            ),
            split,
            [
                Col("group", "分组"),
                Col("counties", "县（市、区）数", fmt="%,d"),
                Col("villages", "村（社区）数", fmt="%,d"),
                Col("operating", "运营中儿童之家", fmt="%,d"),
                Col("demo", "示范性儿童之家", fmt="%,d"),
                Col("demo_share", "占全部示范之家（%）", percent=True),
                Col("demo_per_100_villages", "每百村示范之家", fmt="%.1f"),
            ],
            key="homes_demo",
            title="示范性儿童之家分布",
        )
    with demo_right:
        st.markdown("**各原贫困县示范之家**（每百村最少的在前）")
        poor = by_county[by_county["is_former_poverty_county"]].sort_values(
            ["demo_per_100_villages", "code"]
        )
        lists.show_list(
            poor,
            [
                Col("name", "县（市、区）"),
                Col("parent_name", "所属地区"),
                Col("villages", "村（社区）数", fmt="%,d"),
                Col("demo", "示范性儿童之家", fmt="%,d"),
                Col("demo_per_100_villages", "每百村示范之家", fmt="%.1f"),
            ],
            title="原贫困县示范性儿童之家",
            key="homes_demo_poor",
            empty="本地区没有原贫困县。",
            height=280,
        )

# ---------------------------------------------------------------- activity
st.subheader("近 90 天活动情况")
kinds = view.query(homes.activities_by_kind)
kinds["label"] = kinds["kind"].map(lambda k: ACTIVITY_KIND.get(k, k))
act_left, act_right = st.columns(2)
with act_left:
    st.markdown("**活动类型**")
    lists.chart_tabs(
        charts.bar_figure(kinds["label"], kinds["activities"], axis_title="活动（次）"),
        kinds,
        [
            Col("label", "活动类型"),
            Col("activities", "活动（次）", fmt="%,d"),
            Col("participants", "参与（人次）", fmt="%,d"),
            Col("homes", "开展的儿童之家（个）", fmt="%,d"),
        ],
        key="homes_kinds",
        title="近90天儿童之家活动类型",
    )
with act_right:
    st.markdown(f"**:red[⚠ 空壳儿童之家]**　共 {totals['paper']:,} 个", help=PAPER_HELP)
    paper_rank = by_unit[by_unit["paper"] > 0].sort_values(
        ["paper", "code"], ascending=[False, True]
    )
    if paper_rank.empty:
        st.success(
            "没有空壳儿童之家：所有运营中的儿童之家近 90 天都开展过活动。",
            icon=":material/check_circle:",
        )
    else:
        lists.chart_tabs(
            charts.bar_figure(
                paper_rank["name"].head(20),
                paper_rank["paper"].head(20),
                axis_title="空壳儿童之家（个）",
                color=charts.STATUS_MISSED,
            ),
            paper_rank,
            [
                Col("name", unit),
                Col("parent_name", "所属地区"),
                Col("paper", "空壳儿童之家（个）", fmt="%,d"),
                Col("operating", "运营中（个）", fmt="%,d"),
            ],
            key="homes_paper_rank",
            title=f"各{unit}空壳儿童之家",
        )

# ---------------------------------------------------------------- gap lists
st.subheader("需要整改的清单")
region, gap_lists = views.gap_filter(view, by_county, FILTER_KEY)


def paper_list() -> None:
    """空壳儿童之家清单: operating homes with no activity in the 90 days ending D."""
    paper = view.query(homes.paper_homes, region=region)
    st.markdown(f":red[**⚠ {len(paper):,} 个儿童之家近 90 天没有开展活动**]", help=PAPER_HELP)
    gap_lists.show_list(
        paper,
        [
            *views.PLACE_COLS,
            Col("home_name", "儿童之家"),
            Col("is_demonstration", "示范性", yes_no=True),
            Col("established_on", "开始运营日期"),
            Col("days_operating", "已运营（天）", fmt="%,d"),
            Col("last_activity_on", "最近一次活动", none="从未开展"),
            Col("days_idle", "未开展活动（天）", fmt="%,d", help="月末距最近一次活动的天数"),
        ],
        title="空壳儿童之家清单",
        key="homes_paper_list",
        empty="没有空壳儿童之家。",
    )


def village_list() -> None:
    """尚无儿童之家的村: the townships and villages without an operating home."""
    missing = view.query(homes.villages_without_home, region=region)
    towns = view.query(homes.uncovered_townships, region=region)
    st.markdown(
        f"**{len(missing):,} 个村（社区）尚无运营中的儿童之家**，分布在 {len(towns):,} 个乡镇（街道）。"
    )
    town_col, village_col = st.columns([2, 3])
    with town_col:
        st.markdown("**按乡镇（街道）**")
        gap_lists.show_list(
            towns,
            [
                Col("parent_name", "县（市、区）"),
                Col("name", "乡镇（街道）"),
                Col("villages", "村（社区）数", fmt="%,d"),
                Col("uncovered", "尚无儿童之家", fmt="%,d"),
                Col("coverage", "覆盖率（%）", percent=True),
            ],
            title="各乡镇尚无儿童之家的村数",
            key="homes_towns",
            empty="所有乡镇（街道）的村（社区）都已有儿童之家。",
        )
    with village_col:
        st.markdown("**村（社区）清单**")
        gap_lists.show_list(
            missing,
            [
                *views.PLACE_COLS,
                Col("village_kind", "类型", labels=REGION_KIND),
                Col("home_state", "情况", labels=NOT_OPERATING),
            ],
            title="尚无儿童之家的村",
            key="homes_villages",
            empty="所有村（社区）都已有运营中的儿童之家。",
        )


views.lazy_tabs({"空壳儿童之家清单": paper_list, "尚无儿童之家的村": village_list}, "homes_gap_tab")
