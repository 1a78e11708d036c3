"""Page header and KPI cards: the top third of every view (DESIGN.md §9).

A card shows the value, the change against the previous month and the target status as a
symbol and a word (✓ 达标 / × 未达标 / — 无目标), so colour is never the only signal; a missing
value shows "—" with a tooltip that says why.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd
import streamlit as st

from components.format import (
    DASH,
    GAP_HELP,
    fmt_count,
    fmt_date,
    fmt_delta,
    fmt_gap,
    fmt_period,
    fmt_target,
    fmt_value,
    is_null,
    md_text,
    null_reason,
    status_label,
)
from core.metrics import BY_CODE
from core.periods import period_end
from core.settings import load_settings

# Headline cards of the overview, grouped the way leaders read them.
HEADLINE_GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "阵地与队伍",
        (
            "home_coverage",
            "supervisor_coverage",
            "director_coverage",
            "certified_rate",
            "trained_12m",
        ),
    ),
    (
        "儿童与探访",
        (
            "children_active",
            "children_left_behind",
            "children_difficulty",
            "visit_rate_90d",
            "care_coverage",
        ),
    ),
    (
        "个案办理",
        (
            "open_cases",
            "overdue_cases",
            "referral_timely",
            "case_closure_days",
            "children_unguarded",
        ),
    ),
)
STATUS_MD_COLOR = {"met": "blue", "near": "orange", "missed": "red"}

HEADER_KEY = "page_header"  # the header's container: class st-key-page_header
ROW_KEY = "kpi_row_"  # prefix of every card row's container (st-key-kpi_row_…)
ROW = f'[class*="st-key-{ROW_KEY}"]'

# Five cards a row left a value about 130 px in a 1400 px window, and Streamlit's 36 px
# digits cut it: 在册儿童 "399,423 人" read "399,42…". A value's size now follows its card
# (15 % of the card's width, between 20 px and Streamlit's 36 px): whole from 1100 px up,
# unchanged at 1920 px; phones have the rule below.
# Phones (issue 18.6): below Streamlit's 640 px column breakpoint its columns stack one a
# row, so 15 cards took five screens before the map. There a row of cards lays out two a
# row (an empty column takes no place; the change and its 较上月 wrap rather than being
# cut off) and the header is compact: a smaller title, less padding above it (clear of the
# top bar's menu buttons). Screens only: print has its own layout (components/print_css.py).
# Sent with every page header (`page_header`).
CARD_CSS = f"""<style>
{ROW} [data-testid="stMetric"] {{ container-type: inline-size; }}
{ROW} [data-testid="stMetricValue"] {{ font-size: clamp(1.25rem, 15cqi, 2.25rem); }}
@media screen and (max-width: 640px) {{
  [data-testid="stMainBlockContainer"] {{ padding-top: 3.75rem; }}
  .st-key-{HEADER_KEY} {{ gap: 0.4rem; }}
  .st-key-{HEADER_KEY} h1 {{ font-size: 1.6rem; padding: 0.25rem 0 1.25rem; }}
  .st-key-{HEADER_KEY} [data-testid="stMarkdownContainer"] p {{ font-size: 0.875rem; }}
  {ROW} [data-testid="stHorizontalBlock"] {{ gap: 0.5rem; }}
  {ROW} [data-testid="stColumn"] {{
    min-width: calc(50% - 0.25rem); max-width: calc(50% - 0.25rem);
  }}
  {ROW} [data-testid="stColumn"]:not(:has([data-testid="stMetric"])) {{ display: none; }}
  {ROW} [data-testid="stVerticalBlock"]:has(> * > [data-testid="stMetric"]) {{
    padding: 0.6rem;
  }}
  {ROW} [data-testid="stMetricValue"] {{ font-size: 1.6rem; }}
  {ROW} div:has(> [data-testid="stMetricDelta"]) {{ flex-wrap: wrap; row-gap: 0.15rem; }}
}}
</style>"""


def as_of_date(period: str, data_date: str | None) -> str:
    """The day the figures describe: the period's last day, or the data date when the data
    stops earlier (the current, unfinished month)."""
    end = fmt_date(period_end(period))
    return data_date[:10] if data_date and data_date[:10] < end else end


def page_header(
    title: str,
    crumbs: Sequence[str],
    period: str,
    data_date: str | None = None,
    is_demo: bool = False,
) -> None:
    """Title, scope breadcrumb (江西省 › 赣州市), period and data date, and the 演示数据 badge;
    with them the cards' sizing and the page's phone layout (`CARD_CSS`)."""
    st.html(CARD_CSS)
    with st.container(key=HEADER_KEY):
        _header(title, crumbs, period, data_date, is_demo)


def _header(
    title: str, crumbs: Sequence[str], period: str, data_date: str | None, is_demo: bool
) -> None:
    st.title(md_text(title))
    line = "　|　".join(
        [
            " › ".join(md_text(c) for c in crumbs),
            f"统计月份：{fmt_period(period)}",
            f"数据截至：{as_of_date(period, data_date)}",
        ]
    )
    cols = st.columns([6, 1]) if is_demo else [st.container()]
    cols[0].markdown(f"**{line}**")
    if is_demo:
        cols[1].badge(
            "演示数据", color="orange", help="本页数据为程序生成的演示数据，不是真实统计。"
        )


def card_help(row: Mapping) -> str:
    """Tooltip: definition, numerator/denominator, previous month, target, and why '—'."""
    m = BY_CODE[row["metric"]]
    parts = [m.definition or m.label]
    if is_null(row["value"]):
        parts.append(
            null_reason(m, row.get("numerator"), row.get("denominator"), row.get("found", True))
        )
    elif m.kind in ("rate", "mean") and not is_null(row.get("denominator")):
        parts.append(f"本月：{fmt_count(row['numerator'])} ÷ {fmt_count(row['denominator'])}")
    parts.append(f"上月：{fmt_value(m, row.get('previous'))}")
    if m.target is not None:
        parts.append(fmt_target(m))
        parts.append(GAP_HELP.format(min_sample=load_settings().min_sample))
    return "\n\n".join(parts)


def pending_note(pending: Mapping | None) -> str:
    """'待响应 497 件（转介不满 7 天，不计入）' under the referral timeliness card, so a
    referral nobody could have answered yet is not read as a late one."""
    if pending is None or is_null(pending.get("value")):
        return ""
    return f"待响应 {fmt_count(pending['value'])} 件（转介不满 7 天，不计入）"


def kpi_card(row: Mapping, note: str = "") -> None:
    """One card from a row of `queries.indicators.kpis`: value, change, target status, the
    gap (缺口) when the target is missed, and an optional `note` line."""
    m = BY_CODE[row["metric"]]
    delta = fmt_delta(m, row.get("change"))
    kwargs: dict = {"delta_color": "normal" if m.higher_is_better else "inverse"}
    if delta in (DASH, "持平"):  # no previous month, or no change: grey, no arrow
        kwargs = {"delta_color": "off", "delta_arrow": "off"}
    with st.container(border=True):
        st.metric(
            m.label,
            fmt_value(m, row["value"]),
            delta,
            help=card_help(row),
            delta_description="较上月",
            **kwargs,
        )
        status = row.get("status", "no_target")
        text = status_label(status)
        if m.target is not None:
            text += f"　{fmt_target(m)}"
        gap = fmt_gap(m, row.get("gap"), bool(row.get("small_sample", False)))
        if gap:
            text += f"　{gap}"
        color = STATUS_MD_COLOR.get(status)
        st.caption(f":{color}[{text}]" if color else text)
        if note:
            st.caption(note)


def metric_card(rows: Mapping[str, Mapping], code: str) -> None:
    """The card of `code` from rows keyed by metric (a page's kpis), with the notes some
    metrics carry: referral timeliness shows its pending referrals."""
    note = pending_note(rows.get("referral_pending")) if code == "referral_timely" else ""
    kpi_card(rows[code], note)


def card_columns(n: int, key: str) -> list:
    """`n` equal columns for a row of cards, in a container keyed `ROW_KEY` + `key` (unique
    on the page) that the phone layout draws two cards a row."""
    with st.container(key=f"{ROW_KEY}{key}"):
        return st.columns(n)


def kpi_cards(
    kpis: pd.DataFrame,
    groups: Sequence[tuple[str, Sequence[str]]] = HEADLINE_GROUPS,
    per_row: int = 5,
) -> None:
    """Rows of cards, one row per group with the group name above it."""
    rows = {r["metric"]: r for r in kpis.to_dict("records")}
    for name, codes in groups:
        codes = [c for c in codes if c in rows]
        if not codes:
            continue
        st.markdown(f"##### {name}")
        for start in range(0, len(codes), per_row):
            cols = card_columns(per_row, f"{name}_{start}")
            for col, code in zip(cols, codes[start : start + per_row], strict=False):
                with col:
                    metric_card(rows, code)
