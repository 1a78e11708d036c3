"""What the 县区详情 page's parts share (pages/county.py, components/county_view.py,
components/prefecture_view.py, components/record_lists.py): the region shown with its level,
the regions above it and the print layout; how a list is drawn (interactive and downloadable
on screen, a static table in print); and the two sections every region has, the comparison
with the regions above it (with its ranks) and the 12-month trend.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from components import db, tables, views
from components.format import (
    DASH,
    STATUS_LABELS,
    fmt_delta,
    fmt_gap,
    fmt_period,
    fmt_target,
    fmt_value,
    is_null,
)
from components.views import Col
from core.metrics import BY_CODE, METRICS, target_status
from queries import rankings

TREND_KEY = "county_trend_metric"
TREND_DEFAULT = "visit_rate_90d"
LEVEL_WORD = {"county": "本县", "prefecture": "本市"}
PEER_WORD = {"county": "县（市、区）", "prefecture": "设区市"}
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


@dataclass(frozen=True)
class Detail:
    """The region a 县区详情 page shows (a county or a prefecture) in the user's scope and
    period, and whether it is laid out for print."""

    url: str
    scope: str
    period: str
    code: str
    name: str
    level: str  # county, prefecture
    print_mode: bool
    province: str = ""
    # the regions above, nearest first: (code, name, whether the user may see it)
    above: tuple[tuple[str, str, bool], ...] = ()


def static_table(df: pd.DataFrame, cols: Sequence[Col], *, empty: str) -> None:
    """A list as a static table (an interactive table prints only the rows in view)."""
    shown = views.display_frame(df, cols)
    if shown.empty:
        st.success(empty, icon=":material/check_circle:")
        return
    for c in cols:
        if c.percent:
            shown[c.header] = [DASH if is_null(v) else f"{v:.1f}%" for v in shown[c.header]]
    st.table(shown.astype(object).where(shown.notna(), DASH))


def show_table(
    d: Detail, df: pd.DataFrame, cols: Sequence[Col], *, title: str, key: str, empty: str
) -> None:
    """A list as an interactive, downloadable table; in the print layout a static one."""
    if d.print_mode:
        static_table(df, cols, empty=empty)
        return
    views.show_list(df, cols, title=title, scope_name=d.name, period=d.period, key=key, empty=empty)


# ---------------------------------------------------------------- comparison


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


def comparison_section(d: Detail, own: pd.DataFrame) -> None:
    """与所属设区市、全省对比: composite score and ranks as cards, then every indicator of this
    region (`own`, its KPI rows) beside the regions above it the user may see."""
    peers: list[tuple[str, pd.DataFrame | None]] = [
        (
            "全省" if c == d.province else n,
            db.kpis(d.url, d.scope, d.period, region=c) if ok else None,
        )
        for c, n, ok in d.above
    ]
    ranks = db.query(rankings.region_ranks, d.url, d.scope, d.period, d.code)
    comp = ranks.set_index("metric").loc[rankings.COMPOSITE]
    st.subheader("与所属设区市、全省对比" if d.level == "county" else "与全省对比")
    peer_word = PEER_WORD[d.level]
    c1, c2, c3 = st.columns(3)
    c1.metric(
        f"综合得分（全省{peer_word}排名）",
        score_text(comp["value"]),
        rank_text(comp["rank"], comp["n_ranked"]),
        delta_color="off",
        delta_arrow="off",
        help="综合得分的算法和权重见“红黑榜”页的说明；得分相同名次相同，无数据不排名。",
    )
    if d.level == "county":
        c2.metric(
            "市内排名",
            rank_text(comp["rank_in_parent"], comp["n_in_parent"]),
            help="在所属设区市各县（市、区）中的综合得分排名。",
        )
    c3.metric("名次变化（较上月）", rank_move(comp["rank_change"]), help="正数为名次上升。")
    table = comparison_frame(own, peers, ranks, d.level)
    if d.print_mode:
        st.table(table)
    else:
        tables.data_table(
            table,
            title="指标对比",
            caption=tables.export_caption(f"{d.name}指标对比", d.name, d.period),
            height=35 * (len(table) + 1) + 3,
            key="county_compare",
        )
    st.caption(
        f"全省排名：在全省各{peer_word}中的名次（名次 / 参与排名数），数值相同名次相同，无数据不参加排名。"
    )


# ---------------------------------------------------------------- trend


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


def trend_section(d: Detail) -> None:
    """近 12 个月趋势 of one chosen indicator: this region and the regions above it the user
    may see, as a chart and as a table."""
    st.subheader("近 12 个月趋势")
    metrics = tables.all_metrics()
    if st.session_state.get(TREND_KEY) not in metrics:
        st.session_state[TREND_KEY] = TREND_DEFAULT
    metric = st.selectbox("指标", metrics, format_func=tables.metric_label, key=TREND_KEY)
    series = [(d.name, db.trend(d.url, d.scope, [metric], region=d.code, until=d.period))]
    for c, n, ok in d.above:
        if ok:
            series.append((n, db.trend(d.url, d.scope, [metric], region=c, until=d.period)))
    chart_tab, data_tab = st.tabs(["图表", "表格"])
    with chart_tab:
        st.plotly_chart(
            trend_figure(series, metric), config=tables.PLOTLY_CONFIG, key="county_trend"
        )
    with data_tab:
        wide = pd.DataFrame({"月份": [fmt_period(p) for p in series[0][1]["period"]]})
        for n, df in series:
            wide[n] = [fmt_value(metric, v) for v in df["value"]] if len(df) == len(wide) else DASH
        label = tables.metric_label(metric)
        tables.data_table(
            wide.iloc[::-1],
            title=f"{label}趋势",
            caption=tables.export_caption(f"{d.name}{label}趋势", d.name, d.period),
            key="county_trend_table",
        )
