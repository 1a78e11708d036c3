"""Reusable blocks of the thematic views (DESIGN.md §5, §9): the page opening (header, units
ranked, indicators), the trend row, chart/table tabs, gap lists shown with Chinese headers that
download as Excel, card rows and the county filter over the gap lists; the map beside its
ranking is components/map_ranking.py.

Generic on purpose (shared by the 儿童之家, 队伍建设, 个案与关爱 and 机构与保障 views): nothing
here knows a domain. The pure helpers (`display_frame`, `map_level`) carry
no Streamlit state and are unit-tested; the rest only lays out what they return.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, NamedTuple

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from components import db, kpi, tables
from components.format import fmt_date, is_null

YES_NO = {True: "是", False: "否"}
EMPTY_LIST = "没有需要列出的记录。"


# ---------------------------------------------------------------- pure helpers


def map_level(scope_level: str) -> tuple[str, bool]:
    """What the map of a view shows for a scope: counties (at province and prefecture scope,
    the prefecture's own counties) or, at county scope and below, no map but a table of
    townships. Returns (level of the regions ranked, whether a map is drawn)."""
    if scope_level in ("province", "prefecture"):
        return "county", True
    return "township", False


def scoped_page_header(title: str, ctx: db.AppContext) -> dict:
    """Write the page header (title, breadcrumb of the user's scope, period, data date, demo
    notice) and return the scope's region row, so every view opens the same way; a scope the
    database does not hold reads as a bare province."""
    scope = db.region(ctx.url, ctx.scope, ctx.scope) or {"name": ctx.scope, "level": "province"}
    crumbs = [p["name"] for p in db.region_path(ctx.url, ctx.scope)] or [scope["name"]]
    kpi.page_header(title, crumbs, ctx.period, ctx.meta.data_date, ctx.meta.is_demo)
    return scope


class ThematicView(NamedTuple):
    """What each thematic page (儿童之家, 队伍建设, 个案与关爱, 机构与保障) opens with."""

    ctx: db.AppContext
    scope: dict  # the user's scope region row
    level: str  # the units ranked: county, or township at county scope
    draw_map: bool
    unit: str  # those units in words
    snap: dict[str, dict]  # the scope's indicator rows (queries.indicators.kpis) by metric

    def query(self, fn: Callable[..., pd.DataFrame], *args: Any, **kwargs: Any) -> pd.DataFrame:
        """A cached query of the page (`db.query`) for the user's scope and period."""
        return db.query(fn, self.ctx.url, self.ctx.scope, self.ctx.period, *args, **kwargs)


def thematic_view(title: str) -> ThematicView:
    """Context, page header, the units the page ranks and the scope's indicators."""
    ctx = db.get_context()
    scope = scoped_page_header(title, ctx)
    level, draw_map = map_level(scope["level"])
    unit = "县（市、区）" if level == "county" else "乡镇（街道）"
    snap = {r["metric"]: r for r in db.kpis(ctx.url, ctx.scope, ctx.period).to_dict("records")}
    return ThematicView(ctx, scope, level, draw_map, unit, snap)


def by_county_and_unit(
    fn: Callable[..., pd.DataFrame], ctx: db.AppContext, level: str
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A by-region query of a thematic page per county and per unit ranked (the same frame
    when those are counties)."""
    by_county = db.query(fn, ctx.url, ctx.scope, ctx.period, "county")
    by_unit = (
        by_county if level == "county" else db.query(fn, ctx.url, ctx.scope, ctx.period, level)
    )
    return by_county, by_unit


def trend_row(ctx: db.AppContext, groups: Sequence[tuple[str, Sequence[str], str]]) -> None:
    """近 12 个月趋势 of the user's scope up to the period: one column per group (its name,
    its metrics, the key of its chart and table), each its metrics' lines with their table."""
    st.subheader("近 12 个月趋势")
    for col, (name, codes, key) in zip(st.columns(len(groups)), groups, strict=True):
        with col:
            st.markdown(f"**{name}**")
            data = db.trend(ctx.url, ctx.scope, codes, until=ctx.period)
            tables.trend_tabs(data, title=f"{name}趋势", key=key)


@dataclass(frozen=True)
class Col:
    """One column of a list: the query's column `key`, its Chinese `header`, and how values
    read: `labels` maps enumeration codes to Chinese, `yes_no` turns booleans into 是/否,
    `fmt` is a number format for the on-screen table, `percent` shows a fraction as a
    percentage with one decimal (92.3, "92.3%" on screen), `help` a header tooltip, and
    `none` the text shown for a missing value (e.g. 从未配备)."""

    key: str
    header: str
    labels: Mapping[Any, str] | None = None
    yes_no: bool = False
    fmt: str | None = None
    help: str | None = None
    none: str | None = None
    percent: bool = False

    @property
    def number_format(self) -> str | None:
        """Format of the on-screen column: a fraction shown as 92.3%."""
        return "%.1f%%" if self.percent else self.fmt


# Where a record is, from the county down: the columns the record lists of queries/ share.
PLACE_COLS = (
    Col("county_name", "县（市、区）"),
    Col("township_name", "乡镇（街道）"),
    Col("village_name", "村（社区）"),
)


def _as_day(value: Any) -> Any:
    """Dates stay dates (sortable, written as dates to Excel); timestamps lose their time."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, pd.Timestamp):
        return None if pd.isna(value) else value.date()
    return value


def _as_text(value: Any) -> str:
    """A date as 2026-10-31, a whole number with separators, anything else as is."""
    if isinstance(value, date | datetime | pd.Timestamp):
        return fmt_date(value)
    if isinstance(value, numbers.Real) and float(value).is_integer():
        return f"{int(value):,}"
    return str(value)


def display_frame(df: pd.DataFrame, cols: Sequence[Col]) -> pd.DataFrame:
    """The list as the user sees and downloads it: only `cols`, in their order, under their
    Chinese headers, enumerations and booleans in words; numbers stay numbers (sortable)."""
    out = pd.DataFrame(index=df.index)
    for c in cols:
        series = df[c.key]
        if c.labels is not None:
            series = series.map(lambda v, lab=c.labels: lab.get(v, v) if v is not None else v)
        elif c.yes_no:
            series = series.map(
                lambda v: None if v is None or (isinstance(v, float) and pd.isna(v)) else bool(v)
            ).map(lambda v: YES_NO.get(v) if v is not None else None)
        elif c.percent:
            series = (pd.to_numeric(series, errors="coerce").astype(float) * 100).round(1)
        elif series.dtype == object:
            series = series.map(_as_day)
        if c.none is not None:  # one type per column (Arrow): text, the gap in words
            series = series.map(lambda v, none=c.none: none if is_null(v) else _as_text(v))
        out[c.header] = series
    return out.reset_index(drop=True)


# ---------------------------------------------------------------- lists


def show_list(
    df: pd.DataFrame,
    cols: Sequence[Col],
    *,
    title: str,
    scope_name: str,
    period: str,
    key: str,
    empty: str = EMPTY_LIST,
    height: int | str = "auto",
) -> pd.DataFrame:
    """A gap list: Chinese headers, a download button whose workbook carries the caption
    "<title> · <scope> · <period>", and a friendly line when the list is empty. Returns the
    frame as shown (tests and callers can read it)."""
    shown = display_frame(df, cols)
    if shown.empty:
        st.success(empty, icon=":material/check_circle:")
        return shown
    config = {
        c.header: (
            st.column_config.NumberColumn(c.header, format=c.number_format, help=c.help)
            if c.number_format
            else st.column_config.Column(c.header, help=c.help)
        )
        for c in cols
    }
    tables.data_table(
        shown,
        title=title,
        caption=tables.export_caption(title, scope_name, period),
        column_config=config,
        height=height,
        key=f"{key}_table",
    )
    return shown


def chart_tabs(
    figure: go.Figure,
    table: pd.DataFrame,
    cols: Sequence[Col],
    *,
    key: str,
    title: str,
    scope_name: str,
    period: str,
) -> None:
    """A chart with its table one click away (tabs 图表 / 表格); the table downloads as Excel
    captioned `title` · `scope_name` · `period`."""
    chart_tab, table_tab = st.tabs(["图表", "表格"])
    with chart_tab:
        st.plotly_chart(figure, config=tables.PLOTLY_CONFIG, key=f"{key}_chart")
    with table_tab:
        show_list(table, cols, title=title, scope_name=scope_name, period=period, key=f"{key}_tbl")


@dataclass(frozen=True)
class PageLists:
    """The lists and chart/table tabs of one page, whose downloads are all captioned with the
    same scope and period: bound once per page, so that each list names only what differs
    (its frame, columns, title and key). A page whose gap lists follow a region filter binds
    a second one to the filtered region's name."""

    scope_name: str
    period: str

    def show_list(
        self,
        df: pd.DataFrame,
        cols: Sequence[Col],
        *,
        title: str,
        key: str,
        empty: str = EMPTY_LIST,
        height: int | str = "auto",
    ) -> pd.DataFrame:
        """`show_list` captioned with this page's scope and period."""
        return show_list(
            df,
            cols,
            title=title,
            scope_name=self.scope_name,
            period=self.period,
            key=key,
            empty=empty,
            height=height,
        )

    def chart_tabs(
        self, figure: go.Figure, table: pd.DataFrame, cols: Sequence[Col], *, key: str, title: str
    ) -> None:
        """`chart_tabs` captioned with this page's scope and period."""
        chart_tabs(
            figure,
            table,
            cols,
            key=key,
            title=title,
            scope_name=self.scope_name,
            period=self.period,
        )


# ---------------------------------------------------------------- cards and filters


def stat_card(
    label: str, value: str, *, help: str, note: str | None = None, alert: bool = False
) -> None:
    """A live figure as a card like the KPI cards: value, a tooltip that defines it, and a
    note below; `alert` marks a problem with a symbol and a word, never colour alone."""
    with st.container(border=True):
        st.metric(label, value, help=help)
        if alert:
            st.caption(f":red[× 需整改]　{note or ''}")
        elif note:
            st.caption(note)


class Stat(NamedTuple):
    """A live figure of a card row: `stat_card`'s arguments."""

    label: str
    value: str
    help: str
    note: str | None = None
    alert: bool = False


def card_row(
    title: str,
    snap: Mapping[str, Mapping],
    metrics: Sequence[str],
    stats: Sequence[Stat] = (),
    *,
    columns: int,
) -> None:
    """A heading and one row of `columns` equal columns: the KPI cards of `metrics` (from the
    scope's indicator rows `snap`), then the live figures `stats`, left to right."""
    if len(metrics) + len(stats) > columns:
        raise ValueError(f"{len(metrics) + len(stats)} cards do not fit in {columns} columns")
    st.markdown(f"##### {title}")
    cols = kpi.card_columns(columns, title)
    for col, code in zip(cols, metrics, strict=False):
        with col:
            kpi.metric_card(snap, code)
    for col, s in zip(cols[len(metrics) :], stats, strict=False):
        with col:
            stat_card(s.label, s.value, help=s.help, note=s.note, alert=s.alert)


ALL = "__all__"


def region_filter(
    label: str, regions: pd.DataFrame, key: str, all_label: str = "全部"
) -> str | None:
    """A select box over `regions` (code, name) with 全部 first; returns the chosen code or
    None for 全部. A map click can preselect a region through `preselect`."""
    codes = [ALL, *regions["code"].tolist()]
    names = dict(zip(regions["code"], regions["name"], strict=True))
    if st.session_state.get(key) not in codes:
        st.session_state[key] = ALL
    chosen = st.selectbox(
        label, codes, format_func=lambda c: all_label if c == ALL else names.get(c, c), key=key
    )
    return None if chosen == ALL else chosen


def preselect(key: str, code: str, regions: pd.DataFrame) -> None:
    """Point the `region_filter` under `key` at `code` (a map click), when it is one of its
    regions; called before the filter is drawn in the run."""
    if code in set(regions["code"]):
        st.session_state[key] = code


def gap_filter(view: ThematicView, regions: pd.DataFrame, key: str) -> tuple[str | None, PageLists]:
    """The county filter over a thematic page's gap lists (drawn when the units ranked are
    counties: a county user's lists are its own) and the lists bound to what it shows, the
    chosen county or the scope: (the county's code or None for all, the lists)."""
    region = None
    if view.level == "county":
        region = region_filter(view.unit, regions[["code", "name"]], key=key)
    name = view.scope["name"] if region is None else regions.set_index("code").at[region, "name"]
    return region, PageLists(name, view.ctx.period)


def lazy_tabs(bodies: Mapping[str, Callable[[], None]], key: str) -> None:
    """Tabs (label -> the function that draws it) whose body runs only while its tab is open
    (Streamlit's lazy tabs: picking one reruns the script), so the lists behind closed tabs
    are never queried. 队伍建设's four lists cost 0.8 s of its cold render at province scale
    when all were built at once (the roster alone 0.52 s)."""
    tabs = st.tabs(list(bodies), key=key, on_change="rerun")
    for tab, body in zip(tabs, bodies.values(), strict=True):
        with tab:
            if tab.open:
                body()
