"""县区详情 of a prefecture (pages/county.py with `?prefecture=`): its counties ranked by the
composite score with the indicators they miss, each linking to its own county view; below
the comparison and trend every region has (components/region_detail.py) and above its lists
of records (components/record_lists.py).
"""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from components import db, tables, views
from components.region_detail import Detail, show_table
from components.views import Col
from queries import rankings
from queries.alerts import metric_alerts


def counties(d: Detail, link: Callable[[str], str]) -> None:
    """所辖县（市、区）: the prefecture's counties, ranked within it; `link(code)` is the URL
    of a county's own view."""
    st.subheader("所辖县（市、区）")
    by_county = db.query(rankings.composite_scores, d.url, d.scope, d.period, "county")
    by_county = by_county[by_county["parent_code"] == d.code].copy()
    missed = db.query(metric_alerts, d.url, d.scope, d.period, ("county",))
    missed = missed[missed["code"].isin(by_county["code"])]
    labels = missed.groupby("code", sort=False)["label"].agg("、".join).to_dict()
    by_county["missed"] = by_county["code"].map(labels).fillna("全部达标")
    by_county["n_missed"] = by_county["code"].map(missed.groupby("code").size()).fillna(0)
    by_county["rank_in"] = rankings.competition_rank(by_county["score"], True)
    by_county["link"] = [link(c) for c in by_county["code"]]
    by_county = by_county.sort_values(["rank_in", "code"], na_position="last")
    cols = [
        Col("rank_in", "市内排名", fmt="%d"),
        Col("name", "县（市、区）"),
        Col("score", "综合得分", fmt="%.2f"),
        Col("n_missed", "未达标指标数", fmt="%d"),
        Col("missed", "未达标指标"),
        Col("home_coverage", "儿童之家覆盖率", percent=True),
        Col("director_coverage", "儿童主任配备率", percent=True),
        Col("visit_rate_90d", "季度探访率", percent=True),
        Col("overdue_cases", "逾期个案（件）", fmt="%d"),
    ]
    if d.print_mode:
        show_table(d, by_county, cols, title=f"{d.name}各县", key="pref_counties", empty="")
    else:
        shown = views.display_frame(by_county, cols)
        shown["详情"] = list(by_county["link"])
        config = {
            c.header: st.column_config.NumberColumn(c.header, format=c.number_format)
            for c in cols
            if c.number_format
        }
        config["详情"] = st.column_config.LinkColumn("详情", display_text="打开县区详情")
        tables.data_table(
            shown,
            title=f"{d.name}各县",
            caption=tables.export_caption(f"{d.name}各县", d.name, d.period),
            column_config=config,
            key="pref_counties",
        )
