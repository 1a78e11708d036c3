"""县区详情: one county (`?county=360730`) — or one prefecture (`?prefecture=360700`), the same
view one level up — against its prefecture and the province, with its ranks and trend, its
townships and villages with their gaps (a prefecture: its counties), its open and overdue
cases and its staff roster (masked, except for a user allowed to see unmasked personal data:
components/record_lists.py, audited), and a printable layout.

Opened from the overview's map, the 预警 and 红黑榜 lists, or by its own URL; the code is
checked against the province and the user's scope, and a refused code gets a short Chinese
notice and the picker. Breadcrumb links go back up to the overview. Layout only: the data
come from queries/ through the cached wrappers of components/db.py.
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from components import db, drill, kpi, record_lists, region_detail, tables, views
from components import overview_map as om
from components.format import (
    DASH,
    STATUS_LABELS,
    fmt_delta,
    fmt_gap,
    fmt_period,
    fmt_rate,
    fmt_target,
    fmt_value,
    is_null,
)
from components.views import Col
from core.metrics import BY_CODE, METRICS, target_status
from queries import county as county_q
from queries import rankings
from queries.alerts import metric_alerts

PAGE = "pages/county.py"
PICK_KEY = "county_pick"
PREFECTURE_PICK_KEY = "prefecture_pick"
SWITCH_KEY = "county_switch"
PRINT_KEY = "county_print"
TREND_KEY = "county_trend_metric"
TREND_DEFAULT = "visit_rate_90d"
VILLAGE_FILTERS = {
    "any": "全部缺口",
    "no_director": "无儿童主任",
    "no_home": "无儿童之家",
    "low_visits": "探访率低",
}
LEVEL_WORD = {"county": "本县", "prefecture": "本市"}
TREND_COLOURS = ("#08519c", "#6baed6", "#636363")  # this region, its prefecture, the province
TREND_DASHES = ("solid", "dash", "dot")

# Print: hide the sidebar, the app header and every widget; let the page grow to its full
# height (Streamlit scrolls inside its own container, which would print only one screen).
PRINT_CSS = """
<style>
@media print {
  [data-testid="stSidebar"], [data-testid="stHeader"], [data-testid="stToolbar"],
  [data-testid="stDecoration"], [data-testid="stStatusWidget"],
  [data-testid="stSelectbox"], [data-testid="stMultiSelect"], [data-testid="stRadio"],
  [data-testid="stSegmentedControl"], [data-testid="stButtonGroup"],
  [data-testid="stCheckbox"], [data-testid="stToggle"], [data-testid="stButton"],
  [data-testid="stDownloadButton"], [data-testid="stPageLink"],
  [data-testid="stElementToolbar"], [data-testid="stTabs"] [role="tablist"],
  [data-testid="stIFrame"], iframe, .st-key-crumbs, .st-key-print_bar {
    display: none !important;
  }
  html, body, #root, .stApp, [data-testid="stAppViewContainer"], [data-testid="stMain"],
  section.main, [data-testid="stMainBlockContainer"] {
    height: auto !important; overflow: visible !important; position: static !important;
  }
  [data-testid="stMainBlockContainer"] { max-width: 100% !important; padding: 0 1rem !important; }
  h2, h3, h4, h5 { break-after: avoid; }
  [data-testid="stTable"], .js-plotly-plot, [data-testid="stMetric"] { break-inside: avoid; }
}
</style>
"""
PRINT_BUTTON = """
<button onclick="window.parent.print()" style="font-size:15px;padding:6px 16px;
border:1px solid #888;border-radius:6px;background:#fff;cursor:pointer">🖨️ 打印本页</button>
"""

ctx = db.get_context()
geo = om.geography(ctx.url, ctx.scope)
carried = om.keep_params(st.query_params)  # the overview's metric and level, handed back


def allowed(code: str) -> bool:
    return om.is_allowed(ctx.url, code, ctx.scope, geo.index)


# ---------------------------------------------------------------- small helpers


def rank_text(rank, n) -> str:
    """'37 / 100', or 无数据 for a region without a value."""
    return "无数据" if is_null(rank) else f"{int(rank)} / {int(n)}"


def rank_move(change) -> str:
    """Change of rank since last month: ↑3 (moved up), ↓2, 持平, —."""
    if is_null(change):
        return DASH
    change = int(change)
    return "持平" if change == 0 else (f"↑{change}" if change > 0 else f"↓{-change}")


def status_text(metric: str, value) -> str:
    status = target_status(BY_CODE[metric], None if is_null(value) else float(value))
    return "" if status == "no_target" else STATUS_LABELS[status]


def score_text(score) -> str:
    return DASH if is_null(score) else f"{float(score):.2f} 分"


def show_table(df: pd.DataFrame, cols: list[Col], *, title: str, key: str, empty: str) -> None:
    region_detail.show_table(detail, df, cols, title=title, key=key, empty=empty)


def comparison_frame(
    own: pd.DataFrame,
    peers: list[tuple[str, pd.DataFrame | None]],
    ranks: pd.DataFrame,
    level: str,
) -> pd.DataFrame:
    """All indicators of DESIGN.md §4 (and the composite score): this region, the regions
    above it, target and status, rank in the province and in the prefecture, change."""
    mine = own.set_index("metric")
    others = [(label, df.set_index("metric") if df is not None else None) for label, df in peers]
    rk = ranks.set_index("metric")
    rows = []
    for m in METRICS:
        r = mine.loc[m.code]
        row = {"指标": m.label, LEVEL_WORD[level]: fmt_value(m, r["value"])}
        for label, df in others:
            row[label] = fmt_value(m, df.loc[m.code, "value"]) if df is not None else "无权查看"
        row["目标"] = fmt_target(m).removeprefix("目标 ") or DASH
        row["达标"] = status_text(m.code, r["value"]) or DASH
        row["缺口"] = fmt_gap(m, r["gap"], bool(r["small_sample"])) or DASH
        row["较上月"] = fmt_delta(m, r["change"])
        if m.code in rk.index:
            x = rk.loc[m.code]
            row["全省排名"] = rank_text(x["rank"], x["n_ranked"])
            if level == "county":
                row["市内排名"] = rank_text(x["rank_in_parent"], x["n_in_parent"])
            row["名次变化"] = rank_move(x["rank_change"])
        rows.append(row)
    if rankings.COMPOSITE in rk.index:
        x = rk.loc[rankings.COMPOSITE]
        row = {"指标": rankings.COMPOSITE_LABEL, LEVEL_WORD[level]: score_text(x["value"])}
        row.update({label: DASH for label, _df in others})
        row.update({"目标": DASH, "达标": DASH, "缺口": DASH, "较上月": DASH})
        row["全省排名"] = rank_text(x["rank"], x["n_ranked"])
        if level == "county":
            row["市内排名"] = rank_text(x["rank_in_parent"], x["n_in_parent"])
        row["名次变化"] = rank_move(x["rank_change"])
        rows.append(row)
    return pd.DataFrame(rows)


def trend_figure(series: list[tuple[str, pd.DataFrame]], metric: str) -> go.Figure:
    """One metric over the months for this region and the regions above it (one hue, dark
    to light: colour marks status elsewhere, so it says nothing here)."""
    m = BY_CODE[metric]
    scale = tables.display_scale(m)
    fig = go.Figure()
    for (name_, df), colour, dash in zip(series, TREND_COLOURS, TREND_DASHES, strict=False):
        if df.empty:
            continue
        fig.add_scatter(
            line={"color": colour, "dash": dash},
            x=[fmt_period(p) for p in df["period"]],
            y=df["value"] * scale,
            mode="lines+markers",
            name=name_,
            text=[fmt_value(m, v) for v in df["value"]],
            hovertemplate=f"{name_}<br>%{{x}}<br>{m.label}：%{{text}}<extra></extra>",
        )
    if m.target is not None:
        fig.add_hline(
            y=m.target * scale,
            line_dash="dash",
            line_color="#555555",
            annotation_text=fmt_target(m),
            annotation_position="top left",
        )
    fig.update_layout(
        height=340,
        margin={"l": 10, "r": 10, "t": 30, "b": 40},
        legend={"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 0, "title": None},
        xaxis={"type": "category", "title": None},
        yaxis_title=m.unit or None,
        separators=".,",
    )
    if m.kind != "rate":
        fig.update_yaxes(rangemode="tozero")
    return fig


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
    code = left.selectbox(
        "选择县（市、区）",
        counties,
        index=None,
        format_func=lambda c: labels.get(c, c),
        placeholder="请选择，或在全省总览的地图上点击",
        key=PICK_KEY,
    )
    if code:
        open_region(code, "county")
        st.rerun()
    if prefectures:
        pref = right.selectbox(
            "或选择设区市",
            prefectures,
            index=None,
            format_func=lambda c: labels.get(c, c),
            placeholder="查看设区市详情",
            key=PREFECTURE_PICK_KEY,
        )
        if pref:
            open_region(pref, "prefecture")
            st.rerun()


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
    pick_region()
    st.stop()

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
st.markdown(PRINT_CSS, unsafe_allow_html=True)

# Breadcrumb 省 › 市 › 县: the levels above link back to the overview (not printed: the
# header line above names the place).
with st.container(horizontal=True, gap="small", vertical_alignment="center", key="crumbs"):
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
    parent_code = crumbs[-2][0] if len(crumbs) >= 2 and level == "county" else None
    if parent_code and parent_code != geo.province and allowed(parent_code):
        st.page_link(
            PAGE,
            label=f"{crumbs[-2][1]}详情",
            icon=":material/location_on:",
            query_params={"prefecture": parent_code, om.PERIOD_PARAM: ctx.period},
        )

if place is None:
    noun = "县（市、区）" if level == "county" else "设区市"
    st.info(f"数据库中暂无{name}的数据。请确认该{noun}的台账已导入。")
    st.stop()

switcher(code)
with st.container(horizontal=True, vertical_alignment="center", key="print_bar"):
    print_mode = st.toggle(
        "打印版式",
        key=PRINT_KEY,
        help="列表改为完整的静态表格，打印时隐藏侧栏和所有控件。打开后点“打印本页”或按 Ctrl+P。",
    )
    if print_mode:
        st.iframe(PRINT_BUTTON, width=160, height=48)  # a constant: no user input
detail = region_detail.Detail(ctx.url, ctx.scope, ctx.period, code, name, level, print_mode)
if place.get("is_former_poverty_county"):
    st.caption("原国家扶贫开发工作重点县")

# ---------------------------------------------------------------- KPI cards
own = db.kpis(ctx.url, ctx.scope, ctx.period, region=code)
kpi.kpi_cards(own)

# ---------------------------------------------------------------- comparison and ranks
above = [(c, n) for c, n in crumbs if c != code][::-1]  # prefecture, then province
peers: list[tuple[str, pd.DataFrame | None]] = []
for c, n in above:
    label = "全省" if c == geo.province else n
    peers.append((label, db.kpis(ctx.url, ctx.scope, ctx.period, region=c) if allowed(c) else None))
ranks = db.query(rankings.region_ranks, ctx.url, ctx.scope, ctx.period, code)
comp = ranks.set_index("metric").loc[rankings.COMPOSITE]
st.subheader("与所属设区市、全省对比" if level == "county" else "与全省对比")
peer_word = "县（市、区）" if level == "county" else "设区市"
c1, c2, c3 = st.columns(3)
c1.metric(
    f"综合得分（全省{peer_word}排名）",
    score_text(comp["value"]),
    rank_text(comp["rank"], comp["n_ranked"]),
    delta_color="off",
    delta_arrow="off",
    help="综合得分的算法和权重见 settings.toml（红黑榜页有说明）；得分相同名次相同，无数据不排名。",
)
if level == "county":
    c2.metric(
        "市内排名",
        rank_text(comp["rank_in_parent"], comp["n_in_parent"]),
        help="在所属设区市各县（市、区）中的综合得分排名。",
    )
c3.metric("名次变化（较上月）", rank_move(comp["rank_change"]), help="正数为名次上升。")
table = comparison_frame(own, peers, ranks, level)
if print_mode:
    st.table(table)
else:
    tables.data_table(
        table,
        title="指标对比",
        caption=tables.export_caption(f"{name}指标对比", name, ctx.period),
        height=35 * (len(table) + 1) + 3,
        key="county_compare",
    )
st.caption(
    f"全省排名：在全省各{peer_word}中的名次（名次 / 参与排名数），数值相同名次相同，无数据不参加排名。"
)

# ---------------------------------------------------------------- trend
st.subheader("近 12 个月趋势")
metrics = tables.all_metrics()
if st.session_state.get(TREND_KEY) not in metrics:
    st.session_state[TREND_KEY] = TREND_DEFAULT
metric = st.selectbox("指标", metrics, format_func=tables.metric_label, key=TREND_KEY)
series = [(name, db.trend(ctx.url, ctx.scope, [metric], region=code, until=ctx.period))]
for c, n in above:
    if allowed(c):
        series.append((n, db.trend(ctx.url, ctx.scope, [metric], region=c, until=ctx.period)))
chart_tab, data_tab = st.tabs(["图表", "表格"])
with chart_tab:
    st.plotly_chart(trend_figure(series, metric), config=tables.PLOTLY_CONFIG, key="county_trend")
with data_tab:
    wide = pd.DataFrame({"月份": [fmt_period(p) for p in series[0][1]["period"]]})
    for n, df in series:
        wide[n] = [fmt_value(metric, v) for v in df["value"]] if len(df) == len(wide) else DASH
    label = tables.metric_label(metric)
    tables.data_table(
        wide.iloc[::-1],
        title=f"{label}趋势",
        caption=tables.export_caption(f"{name}{label}趋势", name, ctx.period),
        key="county_trend_table",
    )

# ---------------------------------------------------------------- gaps below
if level == "county":
    st.subheader("乡镇（街道）缺口")
    towns = db.query(county_q.township_gaps, ctx.url, ctx.scope, ctx.period, code)
    if towns.empty:
        st.info(f"{name}暂无乡镇（街道）数据。")
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
                Col("open_cases", "在办个案（件）", fmt="%d"),
                Col("overdue_cases", "逾期个案（件）", fmt="%d"),
            ],
            title=f"{name}乡镇缺口",
            key="county_towns",
            empty="各乡镇（街道）均无缺口。",
        )

    st.subheader("村（社区）缺口")
    villages = db.query(county_q.village_gaps, ctx.url, ctx.scope, ctx.period, code)
    if villages.empty:
        st.info(f"{name}暂无村（社区）数据。")
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
            title=f"{name}村级缺口",
            key="county_villages",
            empty="所选类型下没有缺口村（社区）。",
        )
else:
    st.subheader("所辖县（市、区）")
    by_county = db.query(rankings.composite_scores, ctx.url, ctx.scope, ctx.period, "county")
    by_county = by_county[by_county["parent_code"] == code].copy()
    missed = db.query(metric_alerts, ctx.url, ctx.scope, ctx.period, ("county",))
    missed = missed[missed["code"].isin(by_county["code"])]
    labels = missed.groupby("code", sort=False)["label"].agg("、".join).to_dict()
    by_county["missed"] = by_county["code"].map(labels).fillna("全部达标")
    by_county["n_missed"] = by_county["code"].map(missed.groupby("code").size()).fillna(0)
    by_county["rank_in"] = rankings.competition_rank(by_county["score"], True)
    by_county["link"] = [
        f"county?county={c}&{om.PERIOD_PARAM}={ctx.period}" for c in by_county["code"]
    ]
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
    if print_mode:
        show_table(by_county, cols, title=f"{name}各县", key="pref_counties", empty="")
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
            title=f"{name}各县",
            caption=tables.export_caption(f"{name}各县", name, ctx.period),
            column_config=config,
            key="pref_counties",
        )

# ---------------------------------------------------------------- cases and staff
record_lists.cases_section(detail)
record_lists.roster_section(detail)
