"""个案与关爱 (DESIGN.md §5 view 4), the cases: the pipeline by stage and risk, open and overdue
cases by area with their ageing, and sources. The masked list of overdue cases is
queries/records.py `case_list`; referrals and closure times are in queries/referrals.py, the
care actions in queries/care.py.

Every function takes the user's scope and a period 'YYYY-MM' (and optionally a `region` inside
the scope); D is the period's last day and "active on D" follows DESIGN.md §3. A case may sit
at a county, township or village code: `scope_areas` maps it to its county and township. "The
last 12 months" is the 12 calendar months ending with the period (2025-11-01 … 2026-10-31 for
2026-10). No Streamlit here; frames carry English column names and codes (the page labels
them), and personal data leaves only masked.
"""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
from sqlalchemy import Engine, and_, case, func, literal, select
from sqlalchemy.sql import ColumnElement

from core.periods import parse_period
from data.labels import CASE_SOURCE, RISK_LEVEL
from data.schema import cases
from queries.live import (
    DAY_BUCKETS,
    areas_at,
    attach_counts,
    check_level,
    region_label,
    scope_areas,
    sum_if,
    window_start,
)
from queries.privacy import small_count
from queries.records import case_stage, open_on
from queries.regions import ScopeError, narrow_scope

__all__ = [
    "AGE_BUCKETS",
    "CASE_SOURCE",
    "STAGES",
    "ScopeError",
    "case_pipeline",
    "case_sources",
    "open_case_ageing",
    "open_cases_by_area",
    "unit_metric",
    "window_start",
]

STAGES = ("received", "assessing", "in_progress", "closed")  # 受理 → 评估 → 处置 → 结案
AGE_BUCKETS = DAY_BUCKETS  # days since received_on on D


# --------------------------------------------------------------------------- cases


def case_pipeline(
    engine: Engine, scope: str, period: str, region: str | None = None
) -> pd.DataFrame:
    """Stage × risk level: cases active on D by their stage on D (受理, 评估, 处置) and cases
    closed within the period (结案). Every stage × risk pair is present (0 when none);
    the active stages sum to `open_cases`."""
    scope = narrow_scope(engine, scope, region)
    p = parse_period(period)
    area = scope_areas(scope)
    k = cases
    base = k.join(area, area.c.code == k.c.region_code)
    active = (
        select(case_stage(p.d_end).label("stage"), k.c.risk_level)
        .select_from(base)
        .where(open_on(p.d_end))
    )
    closed = (
        select(literal("closed").label("stage"), k.c.risk_level)
        .select_from(base)
        .where(k.c.closed_on >= p.d_start, k.c.closed_on <= p.d_end)
    )
    rows = active.union_all(closed).subquery("pipeline")
    stmt = select(rows.c.stage, rows.c.risk_level, func.count().label("cases")).group_by(
        rows.c.stage, rows.c.risk_level
    )
    with engine.connect() as conn:
        found = {(r.stage, r.risk_level): int(r.cases) for r in conn.execute(stmt)}
    return pd.DataFrame(
        [
            {"stage": s, "risk_level": r, "cases": found.get((s, r), 0)}
            for s in STAGES
            for r in RISK_LEVEL
        ]
    )


def _age_columns(d: date) -> list[ColumnElement]:
    """Open-case counts per ageing bucket (days since received_on on D)."""
    out = []
    for code, lo, hi in AGE_BUCKETS:
        cond = cases.c.received_on <= d - timedelta(days=lo)
        if hi is not None:
            cond = and_(cond, cases.c.received_on >= d - timedelta(days=hi))
        out.append(sum_if(cond).label(code))
    return out


def open_cases_by_area(
    engine: Engine, scope: str, period: str, level: str = "county", region: str | None = None
) -> pd.DataFrame:
    """One row per county (or township) of the scope: open_cases (active on D),
    overdue_cases (active, due_on < D), high_risk_open, the ageing buckets of AGE_BUCKETS and
    abuse_open (open 遭受侵害 cases). In a township table abuse_open is text via
    `small_count` ('<5'), so small counts of abuse never leave below county level, and cases
    registered at the county code itself form a '<county>本级' row."""
    scope = narrow_scope(engine, scope, region)
    p = parse_period(period)
    d = p.d_end
    area = scope_areas(scope)
    k = cases
    group = area.c.county_code if check_level(level) == "county" else area.c.township_code
    stmt = (
        select(
            group.label("code"),
            func.count().label("open_cases"),
            sum_if(k.c.due_on < d).label("overdue_cases"),
            sum_if(k.c.risk_level == "high").label("high_risk_open"),
            *_age_columns(d),
            sum_if(k.c.concern == "abuse").label("abuse_open"),
        )
        .select_from(k.join(area, area.c.code == k.c.region_code))
        .where(open_on(d))
        .group_by(group)
    )
    with engine.connect() as conn:
        counts = pd.read_sql(stmt, conn)
    columns = [
        "open_cases",
        "overdue_cases",
        "high_risk_open",
        *(b[0] for b in AGE_BUCKETS),
        "abuse_open",
    ]
    own = region_label(engine, scope) if level == "township" else None
    out = attach_counts(areas_at(engine, scope, level), counts, columns, own)
    if level == "township":
        out["abuse_open"] = out["abuse_open"].map(small_count)
    return out


def open_case_ageing(
    engine: Engine, scope: str, period: str, region: str | None = None
) -> pd.DataFrame:
    """Open cases on D per ageing bucket (bucket, cases, high_risk), AGE_BUCKETS order."""
    scope = narrow_scope(engine, scope, region)
    d = parse_period(period).d_end
    area = scope_areas(scope)
    k = cases
    age = case(
        *(
            (k.c.received_on >= d - timedelta(days=hi), code)
            for code, _lo, hi in AGE_BUCKETS
            if hi is not None
        ),
        else_=AGE_BUCKETS[-1][0],
    )
    rows = (
        select(age.label("bucket"), k.c.risk_level)
        .select_from(k.join(area, area.c.code == k.c.region_code))
        .where(open_on(d))
        .subquery("ages")
    )
    stmt = select(
        rows.c.bucket,
        func.count().label("cases"),
        sum_if(rows.c.risk_level == "high").label("high_risk"),
    ).group_by(rows.c.bucket)
    with engine.connect() as conn:
        found = {r.bucket: (int(r.cases), int(r.high_risk)) for r in conn.execute(stmt)}
    return pd.DataFrame(
        [
            {"bucket": b, "cases": found.get(b, (0, 0))[0], "high_risk": found.get(b, (0, 0))[1]}
            for b, _lo, _hi in AGE_BUCKETS
        ]
    )


def case_sources(
    engine: Engine, scope: str, period: str, region: str | None = None
) -> pd.DataFrame:
    """Cases received per source (CASE_SOURCE order): in the period (period_cases) and in
    the last 12 months (cases_12m)."""
    scope = narrow_scope(engine, scope, region)
    p = parse_period(period)
    area = scope_areas(scope)
    k = cases
    stmt = (
        select(
            k.c.source,
            sum_if(k.c.received_on >= p.d_start).label("period_cases"),
            func.count().label("cases_12m"),
        )
        .select_from(k.join(area, area.c.code == k.c.region_code))
        .where(k.c.received_on >= window_start(period, "12m"), k.c.received_on <= p.d_end)
        .group_by(k.c.source)
    )
    with engine.connect() as conn:
        found = {r.source: (int(r.period_cases), int(r.cases_12m)) for r in conn.execute(stmt)}
    return pd.DataFrame(
        [
            {
                "source": s,
                "period_cases": found.get(s, (0, 0))[0],
                "cases_12m": found.get(s, (0, 0))[1],
            }
            for s in CASE_SOURCE
        ]
    )


def unit_metric(units: pd.DataFrame, metric: str, parent_name: str) -> pd.DataFrame:
    """One metric of `queries.drilldown.unit_indicators` (live township figures) in the shape
    of `queries.indicators.metric_by_region` (code, name, parent_name, value, numerator,
    denominator), for the ranking of a county's townships."""
    part = units[units["metric"] == metric]
    out = part[["code", "name", "value", "numerator", "denominator"]].copy()
    out.insert(2, "parent_name", parent_name)
    out["is_former_poverty_county"] = False
    return out.reset_index(drop=True)
