"""县区详情: one county (`?county=360730`) — or one prefecture (`?prefecture=360700`), the same
view one level up — against its prefecture and the province, with its ranks and trend, its
townships and villages with their gaps (a prefecture: its counties), its open and overdue
cases and its staff roster (masked, except for a user allowed to see unmasked personal data:
components/record_lists.py, audited), and a printable layout.

Opened from the overview's map, the 预警 and 红黑榜 lists, or by its own URL; the code is
checked against the province and the user's scope, and a refused code gets a short Chinese
notice and the picker. Breadcrumb links go back up to the overview.

This file picks the region and lays out the header, breadcrumb, print toggle and KPI cards;
the sections are components: region_detail (comparison with ranks, trend, how lists are
drawn), county_view (townships' and villages' gaps), prefecture_view (its counties) and
record_lists (cases and staff roster). Layout only: the data come from queries/ through the
cached wrappers of components/db.py.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from components import (
    auth,
    county_view,
    db,
    drill,
    kpi,
    prefecture_view,
    record_lists,
    region_detail,
    supervise,
)
from components import overview_map as om
from components.format import fmt_value, md_text
from queries import alerts

PAGE = "pages/county.py"
PICK_KEY = "county_pick"
PREFECTURE_PICK_KEY = "prefecture_pick"
SWITCH_KEY = "county_switch"
PRINT_KEY = "county_print"

ctx = db.get_context()
geo = om.geography(ctx.url, ctx.scope)
carried = om.keep_params(st.query_params)  # the overview's metric and level, handed back


def allowed(code: str) -> bool:
    return om.is_allowed(ctx.url, code, ctx.scope, geo.index)


# ---------------------------------------------------------------- picker


def region_choices() -> tuple[list[str], list[str], dict[str, str]]:
    """Counties of the scope (labelled with their prefecture), the scope's prefectures (a
    prefecture user's own one), and the labels of both."""
    counties = db.region_table(ctx.url, ctx.scope, ctx.period, "county")
    labels = {
        c: f"{n}（{p}）" if p else n
        for c, n, p in zip(counties["code"], counties["name"], counties["parent_name"], strict=True)
    }
    prefs = db.region_table(ctx.url, ctx.scope, ctx.period, "prefecture")
    labels.update({c: f"{n}（设区市）" for c, n in zip(prefs["code"], prefs["name"], strict=True)})
    return list(counties["code"]), list(prefs["code"]), labels


def open_region(code: str, key: str) -> None:
    """Put the chosen county (key "county") or prefecture in the URL."""
    for k in ("county", "prefecture"):
        if k in st.query_params:
            del st.query_params[k]
    st.query_params[key] = code


def pick_region() -> None:
    """No region in the URL: choose one of the scope's counties, or one of its prefectures."""
    st.title("县区详情")
    counties, prefectures, labels = region_choices()
    if not counties and not prefectures:
        st.info("当前查看范围内没有县（市、区）。")
        return
    left, right, _ = st.columns([3, 2, 2])

    def pick(where, label: str, codes: list[str], placeholder: str, key: str, param: str) -> None:
        chosen = where.selectbox(
            label,
            codes,
            index=None,
            format_func=lambda c: labels.get(c, c),
            placeholder=placeholder,
            key=key,
        )
        if chosen:
            open_region(chosen, param)
            st.rerun()

    pick(left, "选择县（市、区）", counties, "请选择，或在全省总览的地图上点击", PICK_KEY, "county")
    if prefectures:
        pick(
            right, "或选择设区市", prefectures, "查看设区市详情", PREFECTURE_PICK_KEY, "prefecture"
        )


DEFAULT_KEY = "_county_default"  # the region opened without one asked for, for its notice


def default_region() -> tuple[str, str, str | None] | None:
    """The region 县区详情 opens on when none is asked for (issue 18.3: an empty picker
    answered nothing): a county user's own county, a prefecture user's prefecture, and for
    the province the county with the largest gap (queries.alerts.region_alerts' first
    county: the most units short of all its targets, small samples last). (code, URL key,
    the note saying why, None for the user's own region), or None when the scope has no
    county."""
    counties, prefectures, _ = region_choices()
    if ctx.scope in counties:
        return ctx.scope, "county", None
    if ctx.scope in prefectures:
        return ctx.scope, "prefecture", None
    worst = db.query(alerts.region_alerts, ctx.url, ctx.scope, ctx.period, ("county",))
    worst = worst[worst["code"].isin(counties)]
    if len(worst):
        code = worst["code"].iloc[0]
        return (
            code,
            "county",
            f"本月缺口最大的县（市、区）（缺口合计 {int(worst['gap'].iloc[0]):,}）",
        )
    return (counties[0], "county", "第一个县（市、区）") if counties else None


def switcher(current: str) -> None:
    """Sidebar picker to move to another county or prefecture (hidden when printing)."""
    counties, prefectures, labels = region_choices()
    codes = counties + prefectures
    if current not in codes:
        return
    if (
        st.session_state.get(SWITCH_KEY) not in codes
        or st.session_state.get("_county_shown") != current
    ):
        st.session_state[SWITCH_KEY] = current
    st.session_state["_county_shown"] = current
    chosen = st.sidebar.selectbox(
        "切换地区", codes, format_func=lambda c: labels.get(c, c), key=SWITCH_KEY
    )
    if chosen != current:
        open_region(chosen, "prefecture" if chosen in prefectures else "county")
        st.rerun()


# ---------------------------------------------------------------- which region

asked = {k: st.query_params.get(k) for k in ("county", "prefecture")}
state, notice = om.resolve_drill(asked, geo.index, allowed)
if state.level == "prefecture" and state.prefecture == ctx.scope and asked.get("county"):
    state = drill.DrillState("prefecture", state.prefecture)
if state.level == "province":
    if notice:
        st.warning(notice, icon=":material/warning:")
        st.page_link(
            om.OVERVIEW_PAGE,
            label="返回总览",
            icon=":material/undo:",
            query_params=om.overview_params(drill.DrillState(), ctx.period, carried),
        )
    for k in ("county", "prefecture"):
        if k in st.query_params:
            del st.query_params[k]
    # A refused code keeps its warning above the pickers, and a choice just made in them
    # (this run is the picker's own rerun) is theirs to open.
    picked = st.session_state.get(PICK_KEY) or st.session_state.get(PREFECTURE_PICK_KEY)
    default = None if notice or picked else default_region()
    if default is None:
        pick_region()
        st.stop()
    st.session_state[DEFAULT_KEY] = default
    open_region(default[0], default[1])
    st.rerun()

level = state.level  # county or prefecture
code = state.focus
if level == "county" and asked.get("prefecture"):
    del st.query_params["prefecture"]  # the county decides its prefecture
place = db.region(ctx.url, code, ctx.scope)  # None: a region the database does not hold
name = place["name"] if place else geo.index.names.get(code, code)
path = db.region_path(ctx.url, code) if place else []
crumbs = (
    [(p["code"], p["name"]) for p in path]
    if path
    else [
        (c, geo.index.names.get(c, c)) for c in reversed(om.geographic_ancestors(geo.index, code))
    ]
)
title = f"县区详情：{name}" if level == "county" else f"设区市详情：{name}"
kpi.page_header(title, [n for _c, n in crumbs], ctx.period, ctx.meta.data_date, ctx.meta.is_demo)
if notice:
    st.warning(notice, icon=":material/warning:")
st.markdown(region_detail.PRINT_CSS, unsafe_allow_html=True)


def crumb_link(i: int, crumb_name: str) -> None:
    """A level above: a link back to the overview at that level, when the user may see it."""
    crumb_code = crumbs[i][0]
    if not allowed(crumb_code):
        st.markdown(crumb_name)
        return
    up = (
        drill.DrillState()
        if crumb_code in (geo.province, ctx.scope)
        else drill.DrillState("prefecture", crumb_code)
    )
    st.page_link(
        om.OVERVIEW_PAGE, label=crumb_name, query_params=om.overview_params(up, ctx.period, carried)
    )


# Breadcrumb 省 › 市 › 县: the levels above link back to the overview (not printed: the
# header line above names the place).
with st.container(horizontal=True, gap="small", vertical_alignment="center", key="crumbs"):
    om.crumb_trail([(n, c == code) for c, n in crumbs], crumb_link)
    parent_code = crumbs[-2][0] if len(crumbs) >= 2 and level == "county" else None
    if parent_code and parent_code != geo.province and allowed(parent_code):
        st.page_link(
            PAGE,
            label=f"{md_text(crumbs[-2][1])}详情",
            icon=":material/location_on:",
            query_params={"prefecture": parent_code, om.PERIOD_PARAM: ctx.period},
        )

if place is None:
    noun = "县（市、区）" if level == "county" else "设区市"
    st.info(f"数据库中暂无{md_text(name)}的数据。请确认该{noun}的台账已导入。")
    st.stop()

switcher(code)
opened = st.session_state.pop(DEFAULT_KEY, None)
if opened and opened[0] == code and opened[2]:
    st.caption(f"未指定地区，已打开{opened[2]}。在左侧“切换地区”可选择其他县（市、区）或设区市。")
with st.container(horizontal=True, vertical_alignment="center", key="print_bar"):
    print_mode = st.toggle(
        "打印版式",
        key=PRINT_KEY,
        help="列表改为完整的静态表格，打印时隐藏侧栏和所有控件。打开后点“打印本页”或按 Ctrl+P。",
    )
    if print_mode:
        st.iframe(region_detail.PRINT_BUTTON, width=160, height=48)  # a constant: no user input
        # Its lists print in full (issue 19.8): audited once per session, region and period.
        auth.audit_view(
            ctx.url, f"县区详情 · {name}（{code}） · 范围 {ctx.scope} · {ctx.period}", "print"
        )
above = tuple((c, n, allowed(c)) for c, n in reversed(crumbs) if c != code)  # nearest first
detail = region_detail.Detail(
    ctx.url, ctx.scope, ctx.period, code, name, level, print_mode, geo.province, above
)
if place.get("is_former_poverty_county"):
    st.caption("原国家扶贫开发工作重点县")

# ---------------------------------------------------------------- KPI cards
own = db.kpis(ctx.url, ctx.scope, ctx.period, region=code)
kpi.kpi_cards(own)
missed = own[own["status"] == "missed"].assign(
    code=code, name=name, parent_name=above[0][1] if above else None, level=level
)
supervise.show_done()
supervise.issue_button(
    ctx.url,
    supervise.candidates_frame(
        supervise.issuable(ctx.url, missed),
        ctx.period,
        shown=pd.Series(
            [fmt_value(m, v) for m, v in zip(missed["metric"], missed["value"], strict=True)],
            index=missed.index,
        ),
    ),
    key="county_issue",
    label=f"对{md_text(name)}未达标指标发起督办",
)

# ---------------------------------------------------------------- comparison and trend
region_detail.comparison_section(detail, own)
region_detail.trend_section(detail)

# ---------------------------------------------------------------- below: gaps or counties
if level == "county":
    county_view.gaps(detail)
else:
    prefecture_view.counties(detail, lambda c: f"county?county={c}&{om.PERIOD_PARAM}={ctx.period}")

# ---------------------------------------------------------------- cases and staff
record_lists.cases_section(detail)
record_lists.roster_section(detail)
