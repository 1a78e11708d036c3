"""The 汇报模式 slide sequence as plain data, shared by the presentation page and the PPTX export.

`build_deck(engine, scope, period, ...)` reads `queries/` only (no Streamlit, so it can run
through the page's data cache `db.query(deck.build_deck, url, scope, period, ...)` and in
tests on a bare engine) and returns a `Deck`: every slide carries its title, scope, period and
data date, and one content block — a KPI table, a map, ranking bars, trend lines or an alert
table.
The deck holds aggregates only (indicator values by region): no personal record can reach a
slide, so every export of it is free of personal data by construction.

Chart values are kept in the metric's stored unit (rates as fractions 0.923, counts as
counts) so they equal the query results exactly; `number_format` says how to show them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd
from sqlalchemy import Engine

from components.briefing_doc import supervision_table
from components.format import (
    DASH,
    fmt_change_arrow,
    fmt_period,
    fmt_target,
    fmt_value,
    is_null,
    status_label,
)
from components.kpi import as_of_date
from components.maps.classification import classify
from core.metrics import BY_CODE
from core.periods import check_period
from queries import alerts, indicators, regions, supervision

# The headline indicators of the KPI slide, in reading order.
KPI_METRICS = (
    "home_coverage",
    "supervisor_coverage",
    "director_coverage",
    "certified_rate",
    "trained_12m",
    "visit_rate_90d",
    "children_active",
    "children_unguarded",
    "open_cases",
    "overdue_cases",
    "referral_timely",
    "care_coverage",
)
# One ranking slide per metric: the structure of the care system, then the service to children.
RANKING_METRICS = ("home_coverage", "director_coverage", "visit_rate_90d")
MAP_METRIC = "home_coverage"
TREND_METRICS = ("home_coverage", "director_coverage", "certified_rate", "visit_rate_90d")
TREND_MONTHS = 12
ALERT_ROWS = 10
RANK_EACH_SIDE = 10  # a ranking of more than twice this shows the best and the worst this many
LEVEL_WORD = {"prefecture": "设区市", "county": "县（市、区）"}
BAND_WORD = {"severe": "严重", "moderate": "较重", "minor": "一般"}


@dataclass(frozen=True)
class Series:
    name: str
    values: tuple[float | None, ...]  # None: no data for that category


@dataclass(frozen=True)
class Slide:
    """One slide. `kind` is kpi_table, map, bars, lines or alerts; a table slide fills `table`
    (display strings, Chinese headers), a chart slide fills `categories` and `series`."""

    key: str
    kind: str
    title: str
    subtitle: str  # scope · period · data date, on every slide
    table: pd.DataFrame | None = None
    categories: tuple[str, ...] = ()
    series: tuple[Series, ...] = ()
    metric: str | None = None
    number_format: str = "General"  # Excel/PowerPoint number format of the chart values
    note: str = ""  # a short Chinese line under the content (target, regions without data)
    codes: tuple[str, ...] = ()  # region codes of the categories (map slides)
    level: str = ""  # map slides: the level drawn
    within: str | None = None  # map slides: the prefecture drawn alone (None: the province)
    target: float | None = None  # bars: the metric's target, drawn as a dashed line
    colors: tuple[str, ...] = ()  # bars: each category's status colour, as on the map
    legend: tuple[tuple[str, str], ...] = ()  # bars: (label, colour) of the status classes


@dataclass(frozen=True)
class Deck:
    title: str
    scope_name: str
    crumbs: tuple[str, ...]
    period: str
    as_of: str  # the day the figures describe
    is_demo: bool
    slides: tuple[Slide, ...] = field(default_factory=tuple)

    @property
    def subtitle(self) -> str:
        return f"{' › '.join(self.crumbs)}　|　{fmt_period(self.period)}　|　数据截至 {self.as_of}"


def number_format(metric: str) -> str:
    """How a chart or a cell shows the metric's stored value."""
    m = BY_CODE[metric]
    return {"rate": "0.0%", "mean": "0.0"}.get(m.kind, "#,##0")


def _opt(x: float) -> float | None:
    return None if is_null(x) else float(x)


def kpi_slide(engine: Engine, scope: str, period: str, subtitle: str) -> Slide:
    """The headline indicators: value, change on last month, target and its status."""
    df = indicators.kpis(engine, scope, period)
    df = df.set_index("metric").loc[list(KPI_METRICS)].reset_index()
    table = pd.DataFrame(
        {
            "指标": df["label"],
            "本月": [fmt_value(m, v) for m, v in zip(df["metric"], df["value"], strict=True)],
            "较上月": [
                fmt_change_arrow(m, c) for m, c in zip(df["metric"], df["change"], strict=True)
            ],
            "目标": [fmt_target(m).removeprefix("目标 ") or DASH for m in df["metric"]],
            "状态": [status_label(s) for s in df["status"]],
        }
    )
    return Slide("kpis", "kpi_table", "核心指标一览", subtitle, table=table)


def ranking_slide(
    engine: Engine, scope: str, period: str, metric: str, level: str, subtitle: str
) -> Slide:
    """Regions at `level` ranked on one metric, best first; regions without data are left
    out of the bars and counted in the note. A metric with a target colours each bar by the
    map's status classes (达标 / 接近目标 / 未达标) and carries the target for the line."""
    m = BY_CODE[metric]
    df = indicators.metric_by_region(engine, scope, period, metric, level)
    has = df[df["value"].notna()].sort_values(
        ["value", "code"], ascending=[not m.higher_is_better, True], kind="stable"
    )
    notes = []
    if m.target is not None:
        notes.append(fmt_target(metric))
    title = f"{m.label} · 各{LEVEL_WORD[level]}排名"
    if len(has) > 2 * RANK_EACH_SIDE:  # readable across a room: the two ends of the list
        notes.append(
            f"共 {len(has)} 个地区有数据，列出前 {RANK_EACH_SIDE} 名和后 {RANK_EACH_SIDE} 名"
        )
        has = pd.concat([has.head(RANK_EACH_SIDE), has.tail(RANK_EACH_SIDE)])
        title += "（前十与后十）" if RANK_EACH_SIDE == 10 else f"（前后各 {RANK_EACH_SIDE} 名）"
    missing = int(df["value"].isna().sum())
    if missing:
        notes.append(f"无数据 {missing} 个地区")
    colors: tuple[str, ...] = ()
    legend: tuple[tuple[str, str], ...] = ()
    if m.target is not None:  # the map's classes (达标 / 接近目标 / 未达标), so both agree:
        cls = classify(list(df["value"]), m)  # over every region, as the map breaks them
        color_of = dict(zip(df["code"], (cls.classes[i].color for i in cls.index), strict=True))
        colors = tuple(color_of[c] for c in has["code"])
        legend = tuple((c.label, c.color) for c in cls.classes if c.status != "no_data")
    return Slide(
        f"rank_{metric}",
        "bars",
        title,
        subtitle,
        categories=tuple(has["name"]),
        series=(Series(m.label, tuple(float(v) for v in has["value"])),),
        metric=metric,
        number_format=number_format(metric),
        note="；".join(notes),
        target=m.target,
        colors=colors,
        legend=legend,
    )


def map_slide(
    engine: Engine, scope: str, period: str, metric: str, scope_level: str, subtitle: str
) -> Slide:
    """One metric by county on the map of the province or of the scope's prefecture; the
    page draws it with plotly, the PPTX as a picture when a browser can render one."""
    m = BY_CODE[metric]
    df = indicators.metric_by_region(engine, scope, period, metric, "county")
    return Slide(
        f"map_{metric}",
        "map",
        f"{m.label} · 分布图",
        subtitle,
        categories=tuple(df["name"]),
        series=(Series(m.label, tuple(_opt(v) for v in df["value"])),),
        metric=metric,
        number_format=number_format(metric),
        note=fmt_target(metric),
        codes=tuple(df["code"]),
        level="county",
        within=scope if scope_level == "prefecture" else None,
    )


def trend_slide(engine: Engine, scope: str, period: str, subtitle: str) -> Slide:
    """Key rates over the last twelve months up to the period."""
    df = indicators.trend(engine, scope, TREND_METRICS, last_n=TREND_MONTHS, until=period)
    months = sorted(df["period"].unique())
    wide = df.pivot_table(index="period", columns="metric", values="value", dropna=False)
    series = tuple(
        Series(
            BY_CODE[c].label,
            tuple(_opt(wide[c].get(p, np.nan)) if c in wide else None for p in months),
        )
        for c in TREND_METRICS
    )
    return Slide(
        "trend",
        "lines",
        "主要指标近十二个月走势",
        subtitle,
        categories=tuple(fmt_period(p) for p in months),
        series=series,
        number_format="0.0%",
    )


def alerts_slide(engine: Engine, scope: str, period: str, subtitle: str) -> Slide:
    """The regions with the highest alert index (most missed targets, worst shortfalls); the
    first three missed indicators named, 等 when there are more."""
    everyone = alerts.region_alerts(engine, scope, period)  # layered by level, as on 预警
    df = everyone.sort_values(["alert_index", "code"], ascending=[False, True]).head(ALERT_ROWS)
    table = pd.DataFrame(
        {
            "地区": df["name"],
            "所属": df["parent_name"].fillna(DASH),
            "预警指数": [f"{v:.1f}" for v in df["alert_index"]],
            "未达标指标数": [f"{int(n)} 项" for n in df["n_missed"]],
            "最高预警": [BAND_WORD.get(b, b) for b in df["worst_band"]],
            "未达标指标": [
                "、".join(BY_CODE[c].label for c in ms[:3]) + ("等" if len(ms) > 3 else "")
                for ms in df["metrics"]
            ],
        }
    )
    if table.empty:
        note = "所有地区均已达标。"
    elif len(everyone) > ALERT_ROWS:
        note = f"按预警指数从高到低排序，列出前 {ALERT_ROWS} 个地区（共 {len(everyone)} 个）。"
    else:
        note = f"按预警指数从高到低排序，共 {len(table)} 个地区。"
    return Slide("alerts", "alerts", "预警地区", subtitle, table=table, note=note)


def supervision_slide(engine: Engine, scope: str, period: str, subtitle: str, today: date) -> Slide:
    """督办事项: issued, answered and closed since the last meeting, overdue and open now —
    the counts of the 督办 page, 预警 and the briefing (queries.supervision.counts)."""
    since = supervision.since_last_meeting(today)
    counts = supervision.counts(engine, scope, period, since, today)
    note = (
        f"新发起、已反馈、已销号为 {since:%Y-%m-%d} 以来的件数；其余为 {today:%Y-%m-%d} 的当前件数。"
        "逾期：待反馈或被退回、已过办理期限。"
    )
    return Slide(
        "supervision", "table", "督办事项", subtitle, table=supervision_table(counts), note=note
    )


def with_supervision(deck: Deck, engine: Engine, scope: str, period: str, today: date) -> Deck:
    """The deck with the 督办 slide last. Kept out of `build_deck`, which the page caches by
    data version: a task issued or answered does not change that version."""
    slide = supervision_slide(engine, scope, period, deck.subtitle, today)
    return Deck(**{**deck.__dict__, "slides": (*deck.slides, slide)})


def build_deck(
    engine: Engine,
    scope: str,
    period: str,
    data_date: str | None = None,
    is_demo: bool = False,
) -> Deck:
    """The slide sequence for the scope and period: KPIs, the map, rankings (counties, and
    prefectures for the province), the trend, the alerts. ScopeError outside the scope."""
    check_period(period)
    regions.require_within(engine, scope, scope)
    crumbs = tuple(p["name"] for p in regions.path(engine, scope))
    here = regions.region(engine, scope, scope) or {"name": scope, "level": "county"}
    deck = Deck(
        title=f"{here['name']}儿童关爱服务体系工作汇报",
        scope_name=here["name"],
        crumbs=crumbs or (here["name"],),
        period=period,
        as_of=as_of_date(period, data_date),
        is_demo=is_demo,
    )
    sub = deck.subtitle
    slides = [kpi_slide(engine, scope, period, sub)]
    if here["level"] in ("province", "prefecture"):
        slides.append(map_slide(engine, scope, period, MAP_METRIC, here["level"], sub))
    levels = {"province": ("prefecture", "county"), "prefecture": ("county",)}
    for level in levels.get(here["level"], ()):
        metrics = RANKING_METRICS if level == "county" else RANKING_METRICS[:1]
        slides += [ranking_slide(engine, scope, period, m, level, sub) for m in metrics]
    slides.append(trend_slide(engine, scope, period, sub))
    slides.append(alerts_slide(engine, scope, period, sub))
    return Deck(**{**deck.__dict__, "slides": tuple(slides)})


def slide_text(slide: Slide) -> list[str]:
    """Every string a slide shows (for checks that no personal data is on it)."""
    out = [slide.title, slide.subtitle, slide.note, *slide.categories]
    out += [s.name for s in slide.series]
    if slide.table is not None:
        out += [str(c) for c in slide.table.columns]
        out += [str(v) for v in slide.table.to_numpy().ravel()]
    return out
