"""县区详情 (stub until the county view): one county's name, its breadcrumb 省 › 市 › 县 with
links back up to the overview, and its KPI cards for the chosen period.

Opened from the overview's map (`?county=360881`) or by its own URL; the code is checked
against the province and the user's scope, and a refused code gets a short Chinese notice.
"""

from __future__ import annotations

import streamlit as st

from components import db, drill, kpi
from components import overview_map as om

ctx = db.get_context()
geo = om.geography(ctx.url, ctx.scope)
carried = om.keep_params(st.query_params)  # the overview's metric and level, handed back


def allowed(code: str) -> bool:
    return om.is_allowed(ctx.url, code, ctx.scope, geo.index)


def pick_county() -> None:
    """No county in the URL: choose one of the scope's counties."""
    st.title("县区详情")
    counties = db.region_table(ctx.url, ctx.scope, ctx.period, "county")
    if counties.empty:
        st.info("当前查看范围内没有县（市、区）。")
        return
    names = dict(zip(counties["code"], counties["name"], strict=True))
    parents = dict(zip(counties["code"], counties["parent_name"], strict=True))
    code = st.selectbox(
        "选择县（市、区）",
        list(names),
        index=None,
        format_func=lambda c: f"{names[c]}（{parents[c]}）" if parents[c] else names[c],
        placeholder="请选择，或在全省总览的地图上点击",
        key="county_pick",
    )
    if code:
        st.query_params["county"] = code
        st.rerun()


state, notice = om.resolve_drill({"county": st.query_params.get("county")}, geo.index, allowed)
if state.level != "county":
    if notice:
        st.warning(notice, icon="⚠️")
        st.page_link(
            om.OVERVIEW_PAGE,
            label="返回总览",
            icon="↩️",
            query_params=om.overview_params(drill.DrillState(), ctx.period, carried),
        )
    if "county" in st.query_params:
        del st.query_params["county"]
    pick_county()
    st.stop()

code = state.county
county = db.region(ctx.url, code, ctx.scope)  # None: a county the database does not hold
name = county["name"] if county else geo.index.names.get(code, code)
path = db.region_path(ctx.url, code) if county else []
crumbs = (
    [(p["code"], p["name"]) for p in path]
    if path
    else [
        (c, geo.index.names.get(c, c)) for c in reversed(om.geographic_ancestors(geo.index, code))
    ]
)

kpi.page_header(
    f"县区详情：{name}", [n for _c, n in crumbs], ctx.period, ctx.meta.data_date, ctx.meta.is_demo
)

# Breadcrumb 省 › 市 › 县: the levels above the county link back to the overview.
with st.container(horizontal=True, gap="small", vertical_alignment="center"):
    st.markdown("当前层级：")
    for i, (crumb_code, crumb_name) in enumerate(crumbs):
        if i:
            st.markdown("›")
        if crumb_code == code:
            st.markdown(f"**{crumb_name}**")
        elif allowed(crumb_code):
            up = (
                drill.DrillState()
                if crumb_code in (geo.province, ctx.scope)
                else drill.DrillState("prefecture", crumb_code)
            )
            st.page_link(
                om.OVERVIEW_PAGE,
                label=crumb_name,
                query_params=om.overview_params(up, ctx.period, carried),
            )
        else:
            st.markdown(crumb_name)

if county is None:
    st.info(f"数据库中暂无{name}的数据。请确认该县（市、区）的台账已导入。")
    st.stop()
if county.get("is_former_poverty_county"):
    st.caption("原国家扶贫开发工作重点县")
kpi.kpi_cards(db.kpis(ctx.url, ctx.scope, ctx.period, region=code))
st.caption("县区详情页建设中：乡镇、村两级缺口清单、个案与人员名册将在后续版本提供。")
