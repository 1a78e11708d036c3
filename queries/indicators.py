"""Indicators for a scope and a period, read from the `kpi_snapshots` rollup.

Every function takes the user's `scope` (a region code) and checks that the region asked for
lies inside it (ScopeError otherwise), so a prefecture user cannot read another prefecture's
counties by editing a URL. Values follow core/metrics.py: a rate or a mean is `value` (null
when its denominator is zero), a count or a sum is `numerator` (`value` is used when the
rollup filled it). No Streamlit here: the page edge caches these (components/db.py).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from sqlalchemy import Engine, and_, case, func, select
from sqlalchemy.sql.elements import ColumnElement

from core.metrics import BY_CODE, METRICS, Metric, gap_count, small_sample, target_status
from core.periods import check_period, previous_period
from core.settings import load_settings
from data.schema import kpi_snapshots as k
from queries.regions import ScopeError, require_within, within_scope

__all__ = [
    "ScopeError",
    "kpis",
    "metric_by_region",
    "periods",
    "region_table",
    "trend",
]

TABLE_LEVELS = ("prefecture", "county")


def _metric(code: str) -> Metric:
    if code not in BY_CODE:
        raise ValueError(f"unknown metric {code!r}")
    return BY_CODE[code]


def _value_expr(metric: Metric) -> ColumnElement:
    return func.coalesce(k.c.value, k.c.numerator) if metric.is_total else k.c.value


def _value(metric: Metric, value: float | None, numerator: float | None) -> float:
    if value is None and metric.is_total:
        value = numerator
    return np.nan if value is None else float(value)


def _nan(x: float | None) -> float:
    return np.nan if x is None else float(x)


def periods(engine: Engine, scope: str) -> list[str]:
    """Periods with snapshots for the scope region, newest first."""
    stmt = (
        select(k.c.period)
        .where(k.c.region_code == scope)
        .group_by(k.c.period)
        .order_by(k.c.period.desc())
    )
    with engine.connect() as conn:
        return [r[0] for r in conn.execute(stmt)]


def kpis(engine: Engine, scope: str, period: str, region: str | None = None) -> pd.DataFrame:
    """One row per metric (core/metrics.py order) for `region` (default: the scope): value,
    numerator, denominator, previous month's value, change, target, target status, gap (缺口,
    core/metrics.py gap_count: the units short of the target, null without a target) and
    small_sample (a rate over fewer units than the settings' alerts.min_sample).

    `found` is False when the rollup wrote no row for the metric (no data, not a zero
    denominator), so the UI can say why a value is missing.
    """
    region = region or scope
    check_period(period)
    require_within(engine, region, scope)
    prev = previous_period(period)
    stmt = select(k.c.period, k.c.metric, k.c.numerator, k.c.denominator, k.c.value).where(
        k.c.region_code == region, k.c.period.in_([period, prev])
    )
    with engine.connect() as conn:
        rows = {(r.period, r.metric): r for r in conn.execute(stmt)}
    min_sample = load_settings().min_sample
    out = []
    for m in METRICS:
        cur, old = rows.get((period, m.code)), rows.get((prev, m.code))
        denominator = _nan(cur.denominator) if cur else np.nan
        value = _value(m, cur.value, cur.numerator) if cur else np.nan
        previous = _value(m, old.value, old.numerator) if old else np.nan
        out.append(
            {
                "metric": m.code,
                "label": m.label,
                "kind": m.kind,
                "unit": m.unit,
                "value": value,
                "numerator": _nan(cur.numerator) if cur else np.nan,
                "denominator": denominator,
                "previous": previous,
                "change": value - previous,  # NaN when either side is missing
                "target": _nan(m.target),
                "higher_is_better": m.higher_is_better,
                "status": target_status(m, value),
                "gap": _nan(gap_count(m, value, denominator)),
                "small_sample": small_sample(m, denominator, min_sample),
                "found": cur is not None,
            }
        )
    return pd.DataFrame(out)


def _table_level(level: str) -> str:
    if level not in TABLE_LEVELS:
        raise ValueError(f"level must be one of {TABLE_LEVELS}, got {level!r}")
    return level


def region_table(engine: Engine, scope: str, period: str, level: str) -> pd.DataFrame:
    """Wide table: one row per region at `level` inside the scope (a region without
    snapshots still appears, with nulls), one column per metric value, plus name, parent name
    and the former-poverty flag. Sorted by region code."""
    check_period(period)
    sub = within_scope(scope, _table_level(level)).subquery()
    metric_cols = [
        func.max(case((k.c.metric == m.code, _value_expr(m)), else_=None)).label(m.code)
        for m in METRICS
    ]
    keys = (sub.c.code, sub.c.name, sub.c.parent_code, sub.c.parent_name)
    stmt = (
        select(*keys, sub.c.is_former_poverty_county, *metric_cols)
        .select_from(sub.outerjoin(k, and_(k.c.region_code == sub.c.code, k.c.period == period)))
        .group_by(*keys, sub.c.is_former_poverty_county)
        .order_by(sub.c.code)
    )
    with engine.connect() as conn:
        df = pd.read_sql(stmt, conn)
    df["is_former_poverty_county"] = df["is_former_poverty_county"].astype(bool)
    for m in METRICS:
        df[m.code] = pd.to_numeric(df[m.code], errors="coerce").astype(float)
    return df


def metric_by_region(
    engine: Engine, scope: str, period: str, metric: str, level: str
) -> pd.DataFrame:
    """One metric for every region at `level` in the scope: code, name, parent_name,
    is_former_poverty_county, value, numerator, denominator (the map's and ranking's input)."""
    check_period(period)
    m = _metric(metric)
    sub = within_scope(scope, _table_level(level)).subquery()
    on = and_(k.c.region_code == sub.c.code, k.c.period == period, k.c.metric == m.code)
    stmt = (
        select(
            sub.c.code,
            sub.c.name,
            sub.c.parent_name,
            sub.c.is_former_poverty_county,
            _value_expr(m).label("value"),
            k.c.numerator,
            k.c.denominator,
        )
        .select_from(sub.outerjoin(k, on))
        .order_by(sub.c.code)
    )
    with engine.connect() as conn:
        df = pd.read_sql(stmt, conn)
    df["is_former_poverty_county"] = df["is_former_poverty_county"].astype(bool)
    for c in ("value", "numerator", "denominator"):
        df[c] = pd.to_numeric(df[c], errors="coerce").astype(float)
    return df


def trend(
    engine: Engine,
    scope: str,
    metrics: Sequence[str],
    region: str | None = None,
    last_n: int = 12,
    until: str | None = None,
) -> pd.DataFrame:
    """Long table (period, metric, label, value, numerator, denominator) of the last `last_n`
    periods up to `until` (default: the newest) for `region` (default: the scope), oldest
    first."""
    region = region or scope
    require_within(engine, region, scope)
    chosen = [_metric(c) for c in metrics]
    cols = ["period", "metric", "label", "value", "numerator", "denominator"]
    if not chosen:
        return pd.DataFrame(columns=cols)
    recent = select(k.c.period).where(k.c.region_code == region).group_by(k.c.period)
    if until is not None:
        recent = recent.where(k.c.period <= check_period(until))
    recent = recent.order_by(k.c.period.desc()).limit(max(int(last_n), 0))
    with engine.connect() as conn:
        keep = [r[0] for r in conn.execute(recent)]
        if not keep:
            return pd.DataFrame(columns=cols)
        rows = conn.execute(
            select(k.c.period, k.c.metric, k.c.numerator, k.c.denominator, k.c.value).where(
                k.c.region_code == region,
                k.c.period.in_(keep),
                k.c.metric.in_([m.code for m in chosen]),
            )
        ).all()
    order = {m.code: i for i, m in enumerate(chosen)}
    out = [
        {
            "period": r.period,
            "metric": r.metric,
            "label": BY_CODE[r.metric].label,
            "value": _value(BY_CODE[r.metric], r.value, r.numerator),
            "numerator": _nan(r.numerator),
            "denominator": _nan(r.denominator),
        }
        for r in rows
    ]
    df = pd.DataFrame(out, columns=cols)
    df["_o"] = df["metric"].map(order)
    return df.sort_values(["period", "_o"]).drop(columns="_o").reset_index(drop=True)
