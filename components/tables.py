"""Region tables and the trend's chart/table pair (the ranking's are components/map_ranking.py).

Tables keep numeric columns numeric (so a click on a header sorts them) and format them with
`column_config`: rates as 92.3%, counts with thousands separators, money in 万元. Charts are
plotly with Chinese labels, no mode bar, colour only for target status and always paired with
a word in the legend and the hover text.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from components.exports import download_excel
from components.format import (
    fmt_period,
    fmt_target,
    fmt_value,
)
from core.metrics import BY_CODE, METRIC_CODES, METRICS, Metric
from data.labels import LEVEL

PLOTLY_CONFIG = {"displayModeBar": False, "displaylogo": False}
LEVEL_NAME = {"province": "省", "prefecture": "设区市", "county": "县（市、区）"}
# A long list shows this many rows before it scrolls (issue 18.3): Streamlit's own height
# shows 10, a third of a projected 1920×1080 screen; 15 rows are 563 px.
LIST_ROWS = 15


def display_scale(metric: Metric) -> float:
    """Factor from stored value to shown number: % for rates, the registry's scale
    otherwise (money stored in 元, shown in 万元)."""
    return 100.0 if metric.kind == "rate" else 1 / metric.scale


def column_header(metric: Metric) -> str:
    """'在册儿童（人）'; rates carry their % in the cells."""
    if metric.kind == "rate":
        return metric.label
    return f"{metric.label}（{metric.unit}）" if metric.unit else metric.label


def number_column(metric: Metric) -> st.column_config.NumberColumn:
    fmt = {"rate": "%.1f%%", "mean": "%.1f"}.get(
        metric.kind, "%,.1f" if metric.scale != 1 else "%,d"
    )
    help_text = metric.definition or metric.label
    if metric.target is not None:
        help_text += f"（{fmt_target(metric)}）"
    return st.column_config.NumberColumn(column_header(metric), format=fmt, help=help_text)


def rows_height(rows: int, most: int | None = None) -> int:
    """The height in pixels of a table that shows its header and `rows` rows, at most `most`
    before it scrolls (Streamlit's 35 px rows and a 3 px border)."""
    return 35 * (min(rows, most) if most else rows) + 35 + 3


def for_display(df: pd.DataFrame, metrics: Sequence[str]) -> pd.DataFrame:
    """Scale metric columns to the shown unit (fraction → %, yuan → 万元)."""
    out = df.copy()
    for code in metrics:
        if code in out:
            out[code] = out[code] * display_scale(BY_CODE[code])
    return out


def region_table(
    df: pd.DataFrame,
    level: str,
    metrics: Sequence[str] = METRIC_CODES,
    key: str | None = None,
    height: int | str = "auto",
    caption: str | None = None,
) -> None:
    """A sortable table from `queries.indicators.region_table`: region, parent, former-poverty
    flag, then one formatted column per metric, and its Excel download (`caption`, or the
    page's scope and month)."""
    shown = for_display(df, metrics)
    shown["is_former_poverty_county"] = shown["is_former_poverty_county"].map(
        {True: "是", False: ""}
    )
    config: dict = {
        "name": st.column_config.TextColumn(
            LEVEL_NAME.get(level, LEVEL.get(level, "地区")), pinned=True
        ),
        "parent_name": st.column_config.TextColumn("所属地区"),
        "is_former_poverty_county": st.column_config.TextColumn(
            "原贫困县", help="原国家扶贫开发工作重点县（已于 2020 年前全部摘帽）"
        ),
    }
    config.update({code: number_column(BY_CODE[code]) for code in metrics})
    order = ["name"]
    if level == "county":
        order += ["parent_name", "is_former_poverty_county"]
    order += list(metrics)
    if height == "auto" and len(shown):  # up to 20 regions show without scrolling
        height = rows_height(len(shown), most=20)
    data_table(
        shown,
        title=f"各{LEVEL_NAME.get(level, '地区')}指标明细",
        caption=caption,
        column_config=config,
        column_order=order,
        key=key or f"region_{level}",
        height=height,
    )


def excel_frame(
    shown: pd.DataFrame, config: Mapping[str, Any], order: Sequence[str] | None = None
) -> pd.DataFrame:
    """The columns a table shows, in its order, headed by their Chinese labels; a column shown
    as a percentage carries its unit in the header (覆盖率（%）), since a spreadsheet cell
    holds the bare number; links to other pages are left out."""
    cols = [
        c for c in (order or shown.columns) if c in shown.columns and not _is_link(config.get(c))
    ]
    out = shown[cols].copy()
    out.columns = [excel_header(c, config.get(c)) for c in cols]
    return out


def _is_link(spec: Any) -> bool:
    """A link column (详情 → another page) is a relative URL, meaningless in a workbook."""
    return isinstance(spec, dict) and (spec.get("type_config") or {}).get("type") == "link"


def excel_header(column: str, spec: Any) -> str:
    """The header a column shows (its column-config label, or its name) plus （%） for a
    percentage format."""
    if isinstance(spec, str):
        return spec
    spec = spec or {}
    label = spec.get("label") or column
    fmt = (spec.get("type_config") or {}).get("format") or ""
    if fmt.endswith("%%") and "%" not in label:
        label += "（%）"
    return label


def export_caption(title: str, scope_name: str | None = None, period: str | None = None) -> str:
    """'未配备儿童主任的村 · 赣州市 · 2026年10月': the caption every downloaded table carries.
    Without a scope or period, the page's: the signed-in user's scope and chosen month."""
    if scope_name is None or period is None:
        from components import db  # the page context; tables stays importable without it

        ctx = db.get_context()
        if scope_name is None:
            scope_name = (db.region(ctx.url, ctx.scope, ctx.scope) or {}).get("name", ctx.scope)
        period = period or ctx.period
    return f"{title} · {scope_name} · {fmt_period(period)}"


def data_table(
    df: pd.DataFrame,
    *,
    title: str,
    key: str,
    caption: str | None = None,
    column_config: Mapping[str, Any] | None = None,
    column_order: Sequence[str] | None = None,
    **kwargs: Any,
) -> None:
    """Every table of the app: `st.dataframe` (index hidden, missing values as —) and under
    it the same table as .xlsx, Chinese headers, the caption (`title` · scope · month,
    `export_caption`) in the sheet, the download audited. `kwargs` go to st.dataframe; without
    a height the table shows all its rows up to LIST_ROWS before it scrolls."""
    config = dict(column_config or {})
    if kwargs.get("height", "auto") == "auto" and len(df):
        kwargs["height"] = rows_height(len(df), LIST_ROWS)
    kwargs.setdefault("hide_index", True)
    kwargs.setdefault("placeholder", "—")
    st.dataframe(df, column_config=config, column_order=column_order, key=key, **kwargs)
    order = list(column_order) if column_order is not None else list(df.columns)
    caption = caption or export_caption(title)
    frame = excel_frame(df, config, order)
    download_excel(frame, caption.split(" · ")[0], caption, key=f"xlsx_{key}")


# ---------------------------------------------------------------- trend


def trend_figure(df: pd.DataFrame, height: int = 340) -> go.Figure:
    """Lines over months from `queries.indicators.trend` (one unit per chart)."""
    fig = go.Figure()
    kinds = set()
    for code in dict.fromkeys(df["metric"]):
        m = BY_CODE[code]
        kinds.add(m.kind)
        part = df[df["metric"] == code]
        fig.add_scatter(
            x=[fmt_period(p) for p in part["period"]],
            y=part["value"] * display_scale(m),
            mode="lines+markers",
            name=m.label,
            text=[fmt_value(m, v) for v in part["value"]],
            hovertemplate="%{x}<br>" + m.label + "：%{text}<extra></extra>",
        )
    kind = next(iter(kinds)) if len(kinds) == 1 else None
    shown = [BY_CODE[code] for code in dict.fromkeys(df["metric"])]
    scaled = bool(shown) and all(m.kind == "rate" or m.scale != 1 for m in shown)
    unit = shown[0].unit if scaled and len({m.unit for m in shown}) == 1 else ""
    fig.update_layout(
        height=height,
        margin={"l": 10, "r": 10, "t": 30, "b": 40},
        legend={"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 0, "title": None},
        yaxis_title=unit or None,
        xaxis={"type": "category", "title": None},
        separators=".,",
    )
    if kind == "rate":
        fig.update_yaxes(ticksuffix="%")
    else:  # counts and money start at zero, or small changes look dramatic
        fig.update_yaxes(rangemode="tozero")
    return fig


def trend_table(df: pd.DataFrame, *, title: str, key: str, caption: str | None = None) -> None:
    """The trend as a table: one row per month, one column per metric, formatted, and as
    Excel (`caption`, or `title` with the page's scope and month)."""
    if df.empty:
        st.info("暂无趋势数据。")
        return
    wide = df.pivot(index="period", columns="metric", values="value")
    codes = [c for c in dict.fromkeys(df["metric"]) if c in wide.columns]
    wide = wide[codes].sort_index(ascending=False).reset_index()
    wide["period"] = wide["period"].map(fmt_period)
    shown = for_display(wide, codes)
    config = {"period": st.column_config.TextColumn("月份")}
    config.update({c: number_column(BY_CODE[c]) for c in codes})
    data_table(
        shown,
        title=title,
        caption=caption,
        column_config=config,
        column_order=["period", *codes],
        key=key,
    )


def trend_tabs(df: pd.DataFrame, *, title: str, key: str, caption: str | None = None) -> None:
    """A trend chart with its table one click away (tabs 图表 / 表格)."""
    chart_tab, table_tab = st.tabs(["图表", "表格"])
    with chart_tab:
        st.plotly_chart(trend_figure(df), config=PLOTLY_CONFIG, key=f"{key}_chart")
    with table_tab:
        trend_table(df, title=title, key=f"{key}_table", caption=caption)


def all_metrics() -> tuple[str, ...]:
    """Metric codes in core/metrics.py order (for choosers)."""
    return tuple(m.code for m in METRICS)


def metric_label(code: str) -> str:
    return BY_CODE[code].label
