"""机构与保障: minor protection centres by county, child welfare institutions and welfare
guidance centres, government service purchases by item, year and county with amounts per
child (DESIGN.md §5 view 6).

Layout only: figures come from queries/institutions.py and the kpi_snapshots readers through
the cached wrappers of components/db.py; scope and period from the app context.
Institutions carry no dates, so their trend is the purchases' trend over the years.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from components import charts, map_ranking, views
from components.format import STATUS_COLORS, fmt_count, fmt_rate, fmt_wan_yuan, md_text
from components.views import Col
from data.labels import INSTITUTION_KIND, INSTITUTION_STATUS, PURCHASE_ITEM
from queries import institutions as ins

TITLE = "机构与保障"
CENTER_LABEL = {**INSTITUTION_STATUS, "none": "未设立"}
# Status colours (components/format.py), always with the word in the legend: ready ones in
# the "met" blue (a lighter blue for designated), pending in orange, none in vermilion.
CENTER_COLORS = (STATUS_COLORS["met"], "#56B4E9", STATUS_COLORS["near"], STATUS_COLORS["missed"])
WAN = 10_000


def per_child(yuan: float | None) -> str:
    """'12.3 元/人', '—' without children."""
    return "—" if yuan is None or pd.isna(yuan) else f"{yuan:,.1f} 元/人"


view = views.thematic_view(TITLE)
ctx, scope, level, draw_map, _unit, snap = view
lists = views.PageLists(scope["name"], ctx.period)
year = int(ctx.period[:4])


q = view.query  # the page's cached queries for the user's scope and period


centers = q(ins.protection_centers_by_county)
summary = q(ins.institution_summary).set_index("kind")
by_year = q(ins.purchases_by_year)
this_year = by_year[by_year["year"] == year]
by_item = q(ins.purchases_by_item)
by_county = q(ins.purchases_by_area)

# ---------------------------------------------------------------- KPI cards
not_ready = centers[~centers["ready"]]
cwi = summary.loc["child_welfare_institution"]
views.card_row(
    "机构建设",
    snap,
    ["protection_center_ready"],
    [
        views.Stat(
            "未落实救助保护机构的县",
            fmt_count(len(not_ready), "个"),
            help="本县（市、区）没有已转型或已指定的未成年人救助保护机构。",
            note=(
                f"待落实 {int((not_ready['status'] == 'pending').sum()):,} 个 · "
                f"未设立 {int((not_ready['status'] == 'none').sum()):,} 个"
            ),
            alert=len(not_ready) > 0,
        ),
        views.Stat(
            "儿童福利机构",
            fmt_count(cwi["institutions"], "个"),
            help="辖区内登记的儿童福利机构（含区域性机构），床位与在院儿童为各机构填报数之和。",
            note=(
                f"床位 {fmt_count(cwi['capacity'], '张')} · 在院 {fmt_count(cwi['children_in_care'], '人')}"
                f" · 入住率 {fmt_rate(cwi['occupancy'])}"
            ),
        ),
    ],
    columns=3,
)
kids = this_year["children_active"].iloc[0] if len(this_year) else None
no_purchase = by_county[by_county["amount_yuan"] == 0]
views.card_row(
    "政府购买服务",
    snap,
    ["purchase_yuan"],
    [
        views.Stat(
            "生均购买服务金额",
            per_child(this_year["per_child_yuan"].iloc[0] if len(this_year) else None),
            help=f"{year} 年政府购买儿童关爱服务金额 ÷ 月末在册儿童人数。",
            note=f"在册儿童 {fmt_count(kids, '人')}",
        ),
        views.Stat(
            "本年未购买服务的县",
            fmt_count(len(no_purchase), "个"),
            help=f"{year} 年在本县（市、区）及其乡镇、村均没有政府购买儿童关爱服务项目的县。",
            note=f"共 {len(by_county):,} 个县（市、区）",
            alert=len(no_purchase) > 0,
        ),
    ],
    columns=3,
)

# ---------------------------------------------------------------- map + ranking
if draw_map:
    st.subheader(f"{year}年政府购买服务金额 · 按县（市、区）")
    map_ranking.county_map_and_ranking(ctx, scope, "purchase_yuan", key="inst_purchase")
    st.caption("县（市、区）金额含其乡镇、村的购买项目；设区市、省本级购买的项目只计入上级合计。")

# ---------------------------------------------------------------- trend over years
st.subheader("政府购买服务历年趋势")
left, right = st.columns(2)
year_cols = [
    Col("year", "年度"),
    Col("amount_wan", "金额（万元）", fmt="%,.1f"),
    Col("purchases", "项目（个）", fmt="%,d"),
    Col("children_active", "在册儿童（人）", fmt="%,d"),
    Col("per_child_yuan", "生均金额（元/人）", fmt="%,.1f"),
    *(Col(i, f"{PURCHASE_ITEM[i]}（万元）", fmt="%,.1f") for i in PURCHASE_ITEM),
]
years_shown = by_year.assign(
    amount_wan=by_year["amount_yuan"] / WAN, **{i: by_year[i] / WAN for i in PURCHASE_ITEM}
)
labels = [f"{y}年" for y in years_shown["year"]]
with left:
    st.markdown("**各年度金额（按服务项目）**")
    lists.chart_tabs(
        charts.stacked_figure(
            labels,
            {PURCHASE_ITEM[i]: years_shown[i] for i in PURCHASE_ITEM},
            axis_title="金额（万元）",
            colors=(
                "#08306b",
                "#08519c",
                "#2171b5",
                "#4292c6",
                "#6baed6",
                "#9ecae1",
                "#c6dbef",
                "#deebf7",
            ),
            horizontal=False,
        ),
        years_shown,
        year_cols,
        key="inst_years",
        title="政府购买服务历年金额",
    )
with right:
    st.markdown("**生均金额（元/人）**")
    lists.chart_tabs(
        charts.bar_figure(
            labels,
            years_shown["per_child_yuan"].fillna(0),
            axis_title="生均金额（元/人）",
            text=[per_child(v) for v in years_shown["per_child_yuan"]],
            horizontal=False,
        ),
        years_shown,
        year_cols[:5],
        key="inst_per_child",
        title="政府购买服务生均金额",
    )
st.caption(
    f"生均金额 = 当年购买服务金额 ÷ 当年 12 月末在册儿童（{year} 年为统计月份末）；"
    f"{year} 年为截至统计月份的金额。"
)

# ---------------------------------------------------------------- purchases by item
st.subheader(f"{year}年政府购买服务项目")
items_shown = by_item.assign(amount_wan=by_item["amount_yuan"] / WAN).sort_values(
    "amount_yuan", ascending=False
)
item_left, item_right = st.columns([3, 2])
with item_left:
    lists.chart_tabs(
        charts.bar_figure(
            [PURCHASE_ITEM[i] for i in items_shown["item"]],
            items_shown["amount_wan"],
            axis_title="金额（万元）",
            text=[
                f"{fmt_wan_yuan(a)} · {per_child(p)}"
                for a, p in zip(
                    items_shown["amount_yuan"], items_shown["per_child_yuan"], strict=True
                )
            ],
        ),
        items_shown,
        [
            Col("item", "服务项目", labels=PURCHASE_ITEM),
            Col("amount_wan", "金额（万元）", fmt="%,.1f"),
            Col("purchases", "项目（个）", fmt="%,d"),
            Col("providers", "承接机构（个）", fmt="%,d"),
            Col("per_child_yuan", "生均金额（元/人）", fmt="%,.2f"),
        ],
        key="inst_items",
        title=f"{year}年政府购买服务项目",
    )
with item_right:
    none_bought = [PURCHASE_ITEM[i] for i in by_item.loc[by_item["amount_yuan"] == 0, "item"]]
    total = by_item["amount_yuan"].sum()
    st.markdown(f"**{year}年合计：{fmt_wan_yuan(total)}**")
    if none_bought:
        st.markdown("本年度尚未购买的服务项目：" + "、".join(none_bought))
    else:
        st.markdown("八类服务项目均已购买。")

# ---------------------------------------------------------------- purchases by county
if level == "county":
    st.subheader(f"各县（市、区）{year}年购买服务")
    county_shown = by_county.assign(
        amount_wan=by_county["amount_yuan"] / WAN, **{i: by_county[i] / WAN for i in PURCHASE_ITEM}
    ).sort_values("per_child_yuan", na_position="first")
    lists.show_list(
        county_shown,
        [
            Col("name", "县（市、区）"),
            Col("parent_name", "所属地区"),
            Col("amount_wan", "金额（万元）", fmt="%,.1f"),
            Col("items", "购买项目类别（类）", fmt="%,d"),
            Col("children_active", "在册儿童（人）", fmt="%,d"),
            Col("per_child_yuan", "生均金额（元/人）", fmt="%,.1f"),
            *(Col(i, f"{PURCHASE_ITEM[i]}（万元）", fmt="%,.1f") for i in PURCHASE_ITEM),
        ],
        title=f"各县（市、区）{year}年购买服务",
        key="inst_by_county",
    )
    st.caption("按生均金额从低到高排列。")

# ---------------------------------------------------------------- protection centres
st.subheader("未成年人救助保护机构")
center_cols = [
    Col("name", "县（市、区）"),
    Col("parent_name", "所属地区"),
    Col("status", "落实情况", labels=CENTER_LABEL),
    Col("centers", "机构（个）", fmt="%,d"),
    Col("capacity", "床位（张）", fmt="%,d"),
    Col("children_in_care", "在站儿童（人）", fmt="%,d"),
]
if scope["level"] == "province":
    counts = ins.center_status_counts(centers)
    lists.chart_tabs(
        charts.stacked_figure(
            counts["parent_name"],
            {CENTER_LABEL[s]: counts[s] for s in ins.CENTER_STATUSES},
            axis_title="县（市、区）（个）",
            colors=CENTER_COLORS,
        ),
        counts,
        [
            Col("parent_name", "设区市"),
            *(Col(s, CENTER_LABEL[s], fmt="%,d") for s in ins.CENTER_STATUSES),
            Col("counties", "县（市、区）（个）", fmt="%,d"),
            Col("ready_share", "落实率", percent=True),
        ],
        key="inst_centers",
        title="各设区市救助保护机构落实情况",
    )
else:
    lists.show_list(
        centers,
        center_cols,
        title="各县（市、区）救助保护机构",
        key="inst_centers",
    )
st.markdown("**尚未落实救助保护机构的县（市、区）**")
st.caption("本县（市、区）没有已转型或已指定的未成年人救助保护机构：需转型、指定或设立。")
lists.show_list(
    not_ready,
    center_cols,
    title="尚未落实救助保护机构的县",
    key="inst_not_ready",
    empty="所有县（市、区）均已落实未成年人救助保护机构。",
)

# ---------------------------------------------------------------- welfare institutions
st.subheader("儿童福利机构与儿童福利指导中心")
inst = q(ins.institutions_list)
inst = inst.assign(
    display_name=inst["region_name"] + inst["kind"].map(INSTITUTION_KIND),
    over=inst["occupancy"] > 1,
)
lists.show_list(
    summary.reset_index(),
    [
        Col("kind", "机构类别", labels=INSTITUTION_KIND),
        Col("institutions", "机构（个）", fmt="%,d"),
        Col("regional", "其中区域性（个）", fmt="%,d"),
        *(
            Col(s, INSTITUTION_STATUS[s], fmt="%,d")
            for s in ("transformed", "designated", "pending")
        ),
        Col("capacity", "床位（张）", fmt="%,d"),
        Col("children_in_care", "在院（站）儿童（人）", fmt="%,d"),
        Col("occupancy", "入住率", percent=True),
    ],
    title="机构概况",
    key="inst_summary",
)
welfare = inst[inst["kind"] != "minor_protection_center"]
with_beds = welfare[welfare["capacity"] > 0].sort_values("occupancy", ascending=False)
inst_cols = [
    Col("display_name", "机构"),
    Col("kind", "类别", labels=INSTITUTION_KIND),
    Col("parent_name", "所属地区"),
    Col("is_regional", "区域性", yes_no=True),
    Col("status", "状态", labels=INSTITUTION_STATUS),
    Col("capacity", "床位（张）", fmt="%,d"),
    Col("children_in_care", "在院儿童（人）", fmt="%,d"),
    Col("occupancy", "入住率", percent=True),
    Col("over", "超员", yes_no=True),
]
if not with_beds.empty:
    lists.chart_tabs(
        charts.stacked_figure(
            with_beds["display_name"],
            {
                "在院儿童": with_beds["children_in_care"].fillna(0),
                "空余床位": (with_beds["capacity"] - with_beds["children_in_care"].fillna(0)).clip(
                    lower=0
                ),
            },
            axis_title="床位（张）",
        ),
        welfare,
        inst_cols,
        key="inst_welfare",
        title="儿童福利机构与儿童福利指导中心",
    )
else:
    lists.show_list(
        welfare,
        inst_cols,
        title="儿童福利机构与儿童福利指导中心",
        key="inst_welfare",
        empty="辖区内没有登记的儿童福利机构或儿童福利指导中心。",
    )
over = welfare[welfare["over"]]
if not over.empty:
    st.markdown(
        f"**:red[×] 超员机构 {len(over)} 个**：" + "、".join(over["display_name"].map(md_text))
    )
