"""预警: every province, prefecture and county of the scope that misses a target of
DESIGN.md §4, ordered by gap count (缺口). Targets, weights and bands come from settings.toml.

Order: leaders act on units, not percentage points, so alerts rank by the gap count of
core/metrics.py `gap_count` (the villages, staff, children or referrals short of the target;
for overdue cases the count). Within each level (province, prefectures, counties: a larger
region always has the larger gap, so levels are not mixed), regions whose alert is a rate
over fewer than [alerts] min_sample units (样本较小) come after all others; then the larger
gap first, then the higher severity. So 宁都县 with 118 overdue cases comes before a district
with 1 of 1 overdue, whose relative shortfall (100%) is larger.

Severity of one alert (a region × a missed target) = the metric's alert weight × its
shortfall, the distance from the target relative to the target:
  - "at least" targets (rates): (target − value) ÷ target;
  - "at most" targets above zero: (value − target) ÷ target, at most 1;
  - "at most" a target of zero (overdue cases): value ÷ the reference metric of
    [relative_to] (overdue ÷ open cases), 1 without a reference.
A region's alert index (预警指数) = 100 × the sum of its alerts' severities; the band of one
alert is 严重 (severity ≥ severe), 较重 (≥ moderate) or 一般. A missing value (no data) is no
alert. Shortfalls and severities are rounded to six decimals so that a value exactly on a
band's edge lands in the band the settings file names.
"""

from __future__ import annotations

import math

import pandas as pd
from sqlalchemy import Engine, and_, select

from core.metrics import BY_CODE, METRIC_CODES, Metric, gap_count, meets_target, small_sample
from core.periods import check_period
from core.settings import Settings
from data.schema import kpi_snapshots as k
from queries.rankings import settings_or_default
from queries.regions import ScopeError, within_scope

__all__ = [
    "ALERT_LEVELS",
    "BANDS",
    "ScopeError",
    "band_of",
    "metric_alerts",
    "misses",
    "region_alerts",
    "shortfall",
]

ALERT_LEVELS = ("province", "prefecture", "county")
BANDS = ("severe", "moderate", "minor")  # 严重, 较重, 一般
_ROUND = 6
_TOL = 1e-12


def misses(metric: Metric, value: float | None, target: float | None) -> bool:
    """Whether a value misses the target (never for a missing value or no target): the one
    comparison of core/metrics.py `meets_target`."""
    return meets_target(metric, value, target) is False


def shortfall(metric: Metric, value: float, target: float, reference: float | None = None) -> float:
    """Distance from the target relative to the target, in (0, 1] for a missed target."""
    if metric.higher_is_better:
        gap = (target - value) / target if target > 0 else 0.0
    elif target > 0:
        gap = (value - target) / target
    elif reference is not None and not math.isnan(reference) and reference > 0:
        gap = value / reference
    else:
        gap = 1.0
    return round(min(max(gap, 0.0), 1.0), _ROUND)


def band_of(severity: float, settings: Settings) -> str:
    """severe / moderate / minor by the settings' thresholds."""
    if severity >= settings.severe - _TOL:
        return "severe"
    if severity >= settings.moderate - _TOL:
        return "moderate"
    return "minor"


def _levels(levels: tuple[str, ...] | list[str]) -> tuple[str, ...]:
    bad = set(levels) - set(ALERT_LEVELS)
    if bad:
        raise ValueError(f"alert levels must be among {ALERT_LEVELS}, got {sorted(bad)}")
    return tuple(levels)


ALERT_COLUMNS = [
    "code",
    "name",
    "level",
    "parent_code",
    "parent_name",
    "metric",
    "label",
    "value",
    "target",
    "denominator",
    "gap",
    "small_sample",
    "reference",
    "shortfall",
    "weight",
    "severity",
    "band",
]


def metric_alerts(
    engine: Engine,
    scope: str,
    period: str,
    levels: tuple[str, ...] = ALERT_LEVELS,
    settings: Settings | None = None,
) -> pd.DataFrame:
    """One row per (region, missed target) in the scope at `levels`: province before
    prefecture before county; within a level the small samples last, then the largest gap
    first, then the most severe, then region code and metric order.

    Columns: code, name, level, parent_code, parent_name, metric, label, value, target,
    denominator (null for counts), gap (缺口), small_sample, reference (the [relative_to]
    metric's value, else null), shortfall, weight, severity, band."""
    check_period(period)
    s = settings_or_default(settings)
    levels = _levels(levels)
    targeted = [m for m in METRIC_CODES if m in s.targets]
    refs = {s.relative_to[m] for m in targeted if m in s.relative_to}
    wanted = sorted(set(targeted) | refs)
    if not targeted or not levels:
        return pd.DataFrame(columns=ALERT_COLUMNS)
    sub = within_scope(scope).subquery()
    stmt = (
        select(
            sub.c.code,
            sub.c.name,
            sub.c.level,
            sub.c.parent_code,
            sub.c.parent_name,
            k.c.metric,
            k.c.numerator,
            k.c.denominator,
            k.c.value,
        )
        .select_from(
            sub.join(
                k,
                and_(k.c.region_code == sub.c.code, k.c.period == period, k.c.metric.in_(wanted)),
            )
        )
        .where(sub.c.level.in_(levels))
    )
    with engine.connect() as conn:
        rows = conn.execute(stmt).all()
    regions: dict[str, dict] = {}
    values: dict[tuple[str, str], float] = {}
    denominators: dict[tuple[str, str], float | None] = {}
    for r in rows:
        regions.setdefault(
            r.code,
            {
                "code": r.code,
                "name": r.name,
                "level": r.level,
                "parent_code": r.parent_code,
                "parent_name": r.parent_name,
            },
        )
        m = BY_CODE[r.metric]
        v = r.value if r.value is not None or not m.is_total else r.numerator
        if v is not None:
            values[(r.code, r.metric)] = float(v)
        denominators[(r.code, r.metric)] = None if r.denominator is None else float(r.denominator)
    out = []
    for code, reg in regions.items():
        for mc in targeted:
            m, t = BY_CODE[mc], float(s.targets[mc])
            v = values.get((code, mc))
            if not misses(m, v, t):
                continue
            ref_code = s.relative_to.get(mc)
            ref = values.get((code, ref_code)) if ref_code else None
            gap = shortfall(m, v, t, ref)
            w = s.alert_weight(mc)
            sev = round(w * gap, _ROUND)
            den = denominators.get((code, mc))
            out.append(
                {
                    **reg,
                    "metric": mc,
                    "label": m.label,
                    "value": v,
                    "target": t,
                    "denominator": math.nan if den is None else den,
                    "gap": gap_count(m, v, den, t),
                    "small_sample": small_sample(m, den, s.min_sample),
                    "reference": math.nan if ref is None else ref,
                    "shortfall": gap,
                    "weight": w,
                    "severity": sev,
                    "band": band_of(sev, s),
                }
            )
    df = pd.DataFrame(out, columns=ALERT_COLUMNS)
    if df.empty:
        return df
    order = {m: i for i, m in enumerate(METRIC_CODES)}
    lv = {lvl: i for i, lvl in enumerate(ALERT_LEVELS)}
    df["gap"] = df["gap"].astype(int)
    df = df.assign(_l=df["level"].map(lv), _m=df["metric"].map(order))
    df = df.sort_values(
        ["_l", "small_sample", "gap", "severity", "code", "_m"],
        ascending=[True, True, False, False, True, True],
        kind="stable",
    )
    return df.drop(columns=["_l", "_m"]).reset_index(drop=True)


REGION_COLUMNS = [
    "code",
    "name",
    "level",
    "parent_code",
    "parent_name",
    "alert_index",
    "gap",
    "small_sample",
    "n_missed",
    "worst_band",
    "metrics",
]


def region_alerts(
    engine: Engine,
    scope: str,
    period: str,
    levels: tuple[str, ...] = ALERT_LEVELS,
    settings: Settings | None = None,
) -> pd.DataFrame:
    """One row per region that misses at least one target: province before prefecture before
    county; within a level the regions with only small-sample alerts last, then the largest
    gap first (the sum of the region's gap counts, the units short of all its targets), then
    the highest alert index, then code.

    Columns: code, name, level, parent_code, parent_name, alert_index (100 × the sum of the
    region's severities, one decimal), gap, small_sample (every alert of the region is a small
    sample), n_missed, worst_band, metrics (the missed metric codes in the alerts' order, as a
    tuple)."""
    alerts = metric_alerts(engine, scope, period, levels, settings)
    if alerts.empty:
        return pd.DataFrame(columns=REGION_COLUMNS)
    rank = {b: i for i, b in enumerate(BANDS)}
    rows = []
    for code, g in alerts.groupby("code", sort=False):
        first = g.iloc[0]
        rows.append(
            {
                "code": code,
                "name": first["name"],
                "level": first["level"],
                "parent_code": first["parent_code"],
                "parent_name": first["parent_name"],
                "alert_index": round(float(g["severity"].sum()) * 100, 1),
                "gap": int(g["gap"].sum()),
                "small_sample": bool(g["small_sample"].all()),
                "n_missed": len(g),
                "worst_band": min(g["band"], key=rank.__getitem__),
                "metrics": tuple(g["metric"]),
            }
        )
    df = pd.DataFrame(rows, columns=REGION_COLUMNS)
    lv = {lvl: i for i, lvl in enumerate(ALERT_LEVELS)}
    df = df.assign(_l=df["level"].map(lv))
    df = df.sort_values(
        ["_l", "small_sample", "gap", "alert_index", "code"],
        ascending=[True, True, False, False, True],
        kind="stable",
    )
    return df.drop(columns="_l").reset_index(drop=True)
