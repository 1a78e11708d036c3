"""县区详情 of a county (pages/county.py with `?county=`): its townships and villages with their
gaps (queries/county.py), below the comparison and trend every region has
(components/region_detail.py) and above its lists of records (components/record_lists.py).
"""

from __future__ import annotations

import streamlit as st

from components import db
from components.format import fmt_rate, md_text
from components.region_detail import Detail, show_table
from components.views import Col
from queries import county as county_q
from queries.privacy import SMALL_CELL_TEXT

VILLAGE_FILTERS = {
    "any": "全部缺口",
    "no_director": "无儿童主任",
    "no_home": "无儿童之家",
    "low_visits": "探访率低",
}


def township_gaps(d: Detail) -> None:
    """乡镇（街道）缺口: counts of each gap as cards, then the townships (those with a gap, or
    all) with what each lacks."""
    towns = db.query(county_q.township_gaps, d.url, d.scope, d.period, d.code)
    if towns.empty:
        st.info(f"{md_text(d.name)}暂无乡镇（街道）数据。")
    else:
        target = county_q.visit_target()
        gap_towns = towns[towns["gaps"] > 0]
        cols = st.columns(4)
        cols[0].metric("无督导员的乡镇", f"{int(towns['no_supervisor'].sum())} / {len(towns)}")
        cols[1].metric("缺儿童主任的村", f"{int(towns['villages_without_director'].sum()):,}")
        cols[2].metric("无儿童之家的村", f"{int(towns['villages_without_home'].sum()):,}")
        cols[3].metric(
            "探访率低的乡镇",
            f"{int(towns['low_visits'].sum())}",
            help=f"近 90 天探访率低于{fmt_rate(target)}的乡镇（街道）。" if target else None,
        )
        only = st.toggle("只看有缺口的乡镇", value=True, key="county_town_gaps_only")
        towns_shown = gap_towns if only else towns
        towns_shown = towns_shown.assign(
            gap_text=[
                "、".join(
                    w
                    for w, flag in (
                        ("无督导员", r.no_supervisor),
                        (f"{r.villages_without_director} 村缺儿童主任", r.director_gap),
                        (f"{r.villages_without_home} 村无儿童之家", r.home_gap),
                        ("探访率低", r.low_visits),
                    )
                    if flag
                )
                or "无"
                for r in towns_shown.itertuples()
            ]
        )
        show_table(
            d,
            towns_shown,
            [
                Col("name", "乡镇（街道）"),
                Col("gap_text", "缺口"),
                Col("villages", "村（社区）数", fmt="%d"),
                Col("has_supervisor", "有督导员", yes_no=True),
                Col("villages_without_director", "缺儿童主任的村", fmt="%d"),
                Col("villages_without_home", "无儿童之家的村", fmt="%d"),
                Col("visit_rate", "季度探访率", percent=True),
                Col("children", "在册儿童（人）", fmt="%d"),
                Col("open_cases", "在办个案（件）", none=SMALL_CELL_TEXT),
                Col("overdue_cases", "逾期个案（件）", none=SMALL_CELL_TEXT),
            ],
            title=f"{d.name}乡镇缺口",
            key="county_towns",
            empty="各乡镇（街道）均无缺口。",
        )


def village_gaps(d: Detail) -> None:
    """村（社区）缺口: the villages with a gap of the chosen kind (or any), with their figures."""
    villages = db.query(county_q.village_gaps, d.url, d.scope, d.period, d.code)
    if villages.empty:
        st.info(f"{md_text(d.name)}暂无村（社区）数据。")
    else:
        counts = {
            "no_director": int(villages["no_director"].sum()),
            "no_home": int(villages["no_home"].sum()),
            "low_visits": int(villages["low_visits"].sum()),
        }
        counts["any"] = int((villages["gaps"] > 0).sum())
        pick = st.segmented_control(
            "缺口类型",
            list(VILLAGE_FILTERS),
            default="any",
            format_func=lambda k: f"{VILLAGE_FILTERS[k]}（{counts[k]:,}）",
            key="county_village_filter",
            required=True,
        )
        pick = pick or "any"
        chosen = villages[villages["gaps"] > 0] if pick == "any" else villages[villages[pick]]
        st.caption(
            f"共 {len(villages):,} 个村（社区），有缺口 {counts['any']:,} 个。"
            "探访率低：近 90 天探访率低于目标；没有在册儿童的村不计探访率。"
        )
        show_table(
            d,
            chosen.assign(
                gap_text=[
                    "、".join(
                        w
                        for w, flag in (
                            ("无儿童主任", r.no_director),
                            ("无儿童之家", r.no_home),
                            ("探访率低", r.low_visits),
                        )
                        if flag
                    )
                    for r in chosen.itertuples()
                ]
            ),
            [
                Col("name", "村（社区）"),
                Col("township_name", "所属乡镇（街道）"),
                Col("gap_text", "缺口"),
                Col("has_director", "有儿童主任", yes_no=True),
                Col("has_home", "有儿童之家", yes_no=True),
                Col("visit_rate", "季度探访率", percent=True),
                Col("children", "在册儿童（人）", fmt="%d"),
            ],
            title=f"{d.name}村级缺口",
            key="county_villages",
            empty="所选类型下没有缺口村（社区）。",
        )


GAP_SECTIONS = (
    ("乡镇（街道）缺口", township_gaps, "county_towns_open"),
    ("村（社区）缺口", village_gaps, "county_villages_open"),
)


def gaps(d: Detail) -> None:
    """The county view's own sections, its townships' and its villages' gaps, each computed
    only once its section is opened (Streamlit's lazy expanders): they run the 21 metrics live
    over the county's records (township_gaps 0.25 s and village_gaps 0.23 s at province
    scale, 1.5 s and 1.4 s at xl on SQLite), which opening the page no longer waits for.
    The print layout draws both."""
    st.subheader("乡镇、村缺口")
    if d.print_mode:  # a printed page holds everything: both sections, drawn in full
        for label, body, _key in GAP_SECTIONS:
            st.markdown(f"**{label}**")
            body(d)
        return
    st.caption("展开查看各乡镇（街道）和村（社区）的缺口（展开时计算）。")
    for label, body, key in GAP_SECTIONS:
        section = st.expander(label, key=key, on_change="rerun", icon=":material/table_rows:")
        with section:
            if section.open:
                body(d)
