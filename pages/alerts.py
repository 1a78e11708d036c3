"""预警: every region of the scope (the province, its prefectures and counties) that misses a
target of DESIGN.md §4, each linking to the region's detail view: by level, then the largest
gap count (缺口, the units short of the targets) first, small samples last (queries/alerts.py).

Severity (settings.toml [alerts]): each missed target weighs its distance from the target
relative to the target by the metric's weight; a region's 预警指数 is 100 × the sum over its
missed targets. Bands 严重 / 较重 / 一般 carry a symbol and a word, never colour alone.
Layout only: the alerts come from queries/alerts.py through components/db.py.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from components import db, supervise, tables, views
from components.format import GAP_HELP, SMALL_SAMPLE, fmt_gap, fmt_target, fmt_value, md_text
from components.views import Col
from core.metrics import BY_CODE
from queries import alerts
from queries.rankings import settings_or_default

TITLE = "预警"
PAGE_SIZE = 30
BAND_TEXT = {"severe": "■ 严重", "moderate": "◆ 较重", "minor": "● 一般"}
BAND_MD = {"severe": ":red[▲▲ 严重]", "moderate": ":orange[▲ 较重]", "minor": ":gray[△ 一般]"}

ctx = db.get_context()
scope = views.scoped_page_header(TITLE, ctx)

detail = db.query(alerts.metric_alerts, ctx.url, ctx.scope, ctx.period)
by_region = db.query(alerts.region_alerts, ctx.url, ctx.scope, ctx.period)
settings = settings_or_default()


def gap_text(row: dict) -> str:
    """'季度探访率 72.1%（目标 ≥ 90.0%，缺口 1,234 名儿童，差距 19.9%）'."""
    m = BY_CODE[row["metric"]]
    shown = fmt_value(m, row["value"])
    gap = fmt_gap(m, row["gap"], row["small_sample"])
    if m.code in settings.relative_to and row["target"] == 0:
        ref = BY_CODE[settings.relative_to[m.code]]
        return f"{m.label} {shown}（{fmt_target(m)}，占{ref.label} {row['shortfall']:.0%}）"
    return f"{m.label} {shown}（{fmt_target(m)}，{gap}，差距 {row['shortfall']:.1%}）"


def link_to(row: dict) -> tuple[str, dict]:
    """The page and query parameters of a region's detail view."""
    if row["level"] == "county":
        return "pages/county.py", {"county": row["code"], "period": ctx.period}
    if row["level"] == "prefecture":
        return "pages/county.py", {"prefecture": row["code"], "period": ctx.period}
    return "pages/overview.py", {"period": ctx.period}


supervise.show_done()
supervise.overdue_alert(ctx.url, ctx.scope, ctx.period)  # 督办 past its deadline (issue 17)

# ---------------------------------------------------------------- summary
if by_region.empty:
    st.success("本月所有地区各项指标均达到目标，没有预警。", icon=":material/check_circle:")
    st.stop()
# Regions by their most severe alert: "112 regions with an alert" said nothing a leader can
# act on; how many counties are in severe trouble does (issue 18.3).
cols = st.columns(4)
counties = by_region[by_region["level"] == "county"]
cols[0].metric(
    "有预警的县（市、区）",
    f"{len(counties)} 个",
    help=f"另有设区市、全省共 {len(by_region) - len(counties)} 个地区有预警。",
)
for col, band in zip(cols[1:], alerts.BANDS, strict=True):
    word = BAND_TEXT[band].split()[-1]
    col.metric(
        f"{BAND_TEXT[band]}地区",
        f"{int((by_region['worst_band'] == band).sum())} 个",
        help=f"最重一条预警为“{word}”的地区（省、设区市、县）；{word}预警共 "
        f"{int((detail['band'] == band).sum())} 条。",
    )
st.caption(
    "每条预警是一个地区的一个未达标指标。"
    + GAP_HELP.format(min_sample=settings.min_sample)
    + "地区按省、设区市、县分层列出，同层按各条预警缺口之和从大到小排列。"
    "严重程度 = 指标权重 × 差距（与目标的差距占目标的比例；逾期个案按逾期个案占在办个案的比例）；"
    f"严重 ≥ {settings.severe:g}，较重 ≥ {settings.moderate:g}。预警指数 = 该地区各条预警严重程度之和 × 100。"
    "无数据的指标不计入预警。目标、权重和样本量门槛由系统管理员在设置文件中设定。"
)

# ---------------------------------------------------------------- filters
present = [lv for lv in alerts.ALERT_LEVELS if lv in set(by_region["level"])]
f1, f2, f3 = st.columns([3, 3, 3])
chosen_levels = f1.segmented_control(
    "地区层级",
    present,
    default=present,
    selection_mode="multi",
    format_func=tables.LEVEL_NAME.get,
    key="alerts_levels",
)
chosen_bands = f2.segmented_control(
    "最高级别",
    list(alerts.BANDS),
    default=list(alerts.BANDS),
    selection_mode="multi",
    format_func=BAND_TEXT.get,
    key="alerts_bands",
)
metric_codes = list(dict.fromkeys(detail["metric"]))
chosen_metric = f3.selectbox(
    "指标",
    ["all", *metric_codes],
    format_func=lambda c: "全部指标" if c == "all" else BY_CODE[c].label,
    key="alerts_metric",
)
shown = by_region[
    by_region["level"].isin(chosen_levels or []) & by_region["worst_band"].isin(chosen_bands or [])
]
if chosen_metric != "all":
    shown = shown[[chosen_metric in ms for ms in shown["metrics"]]]

to_issue = detail[detail["code"].isin(shown["code"])]
if chosen_metric != "all":
    to_issue = to_issue[to_issue["metric"] == chosen_metric]
to_issue = supervise.issuable(ctx.url, to_issue)
supervise.issue_button(
    ctx.url,
    supervise.candidates_frame(
        to_issue,
        ctx.period,
        shown=pd.Series(
            [fmt_value(m, v) for m, v in zip(to_issue["metric"], to_issue["value"], strict=True)],
            index=to_issue.index,
        ),
    ),
    key="alerts_issue",
    label="对筛选出的预警发起督办",
)

list_tab, table_tab = st.tabs(["预警列表", "明细表"])
with list_tab:
    if shown.empty:
        st.info("没有符合筛选条件的预警。")
    show_all = len(shown) > PAGE_SIZE and st.toggle(
        f"显示全部 {len(shown)} 个地区", key="alerts_show_all"
    )
    rows = shown if show_all else shown.head(PAGE_SIZE)
    details = {code: g for code, g in detail.groupby("code", sort=False)}
    for i, r in enumerate(rows.to_dict("records"), start=1):
        with st.container(border=True):
            head, body = st.columns([2, 5])
            with head:
                page, params = link_to(r)
                where = f"（{md_text(r['parent_name'])}）" if r["level"] == "county" else ""
                st.page_link(
                    page,
                    label=f"{i}. {md_text(r['name'])}{where}",
                    icon=":material/location_on:",
                    query_params=params,
                )
                small = f"　:gray[{SMALL_SAMPLE}]" if r["small_sample"] else ""
                st.markdown(
                    f"{BAND_MD[r['worst_band']]}　预警指数 **{r['alert_index']:.1f}**　"
                    f"未达标 {r['n_missed']} 项{small}"
                )
            with body:
                lines = [
                    f"- {BAND_MD[a['band']]} {gap_text(a)}"
                    for a in details[r["code"]].to_dict("records")
                ]
                st.markdown("\n".join(lines))
    if len(shown) > len(rows):
        st.caption(f"另有 {len(shown) - len(rows)} 个地区，打开“显示全部”或见明细表。")

with table_tab:
    table = detail[detail["code"].isin(shown["code"])].copy()
    if chosen_metric != "all":
        table = table[table["metric"] == chosen_metric]
    table["level_text"] = table["level"].map(tables.LEVEL_NAME)
    table["band_text"] = table["band"].map(BAND_TEXT)
    table["value_text"] = [
        fmt_value(m, v) for m, v in zip(table["metric"], table["value"], strict=True)
    ]
    table["target_text"] = [fmt_target(m) for m in table["metric"]]
    table["sample_text"] = table["small_sample"].map({True: SMALL_SAMPLE, False: ""})
    views.show_list(
        table,
        [
            Col("band_text", "级别"),
            Col("name", "地区"),
            Col("level_text", "层级"),
            Col("parent_name", "上级地区"),
            Col("label", "指标"),
            Col("value_text", "实际"),
            Col("target_text", "目标"),
            Col("gap", "缺口", fmt="%,d", help=GAP_HELP.format(min_sample=settings.min_sample)),
            Col("sample_text", "样本"),
            Col("shortfall", "差距", percent=True),
            Col("weight", "权重", fmt="%.1f"),
            Col("severity", "严重程度", fmt="%.3f"),
        ],
        title="预警明细",
        scope_name=scope["name"],
        period=ctx.period,
        key="alerts_detail",
        empty="没有符合筛选条件的预警。",
    )
