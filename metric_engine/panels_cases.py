"""Panels over cases and referrals (metric_engine/panels.py): the case pipeline and ageing
('cases'), and two histograms — referrals as known on D ('referrals') and closures per month
('closures') — from which medians and means come out unchanged.
"""

from __future__ import annotations

from sqlalchemy import (
    Float,
    Integer,
    String,
    and_,
    case,
    cast,
    func,
    literal,
    or_,
    select,
    true,
    union_all,
)
from sqlalchemy.sql import ColumnElement, FromClause, Select

from data.labels import CASE_SOURCE, RISK_LEVEL
from data.schema import cases, referrals
from metric_engine.blocks import _active_on_d, _grid, _sum_if, _z
from metric_engine.dialect import days_between, month_index, plus_days
from metric_engine.families_cases import case_stage, referral_window_over
from metric_engine.units import _groups

# Ageing and closure-time bands in days: (code, lowest day, highest day or None).
DAY_BUCKETS: tuple[tuple[str, int, int | None], ...] = (
    ("d0_15", 0, 15),
    ("d16_30", 16, 30),
    ("d31_60", 31, 60),
    ("d61_90", 61, 90),
    ("d91_plus", 91, None),
)


HISTOGRAM_SEP = "|"  # joins the keys of a histogram panel's category

OPEN_STAGES = ("received", "assessing", "in_progress")  # 受理 → 评估 → 处置 (结案: closed)
CASE_CATEGORIES = (
    "open_cases",
    "overdue_cases",
    "high_risk_open",
    "abuse_open",
    *(code for code, _lo, _hi in DAY_BUCKETS),
    *(f"high:{code}" for code, _lo, _hi in DAY_BUCKETS),
    *(f"{stage}:{risk}" for stage in (*OPEN_STAGES, "closed") for risk in RISK_LEVEL),
    *(f"{window}:{source}" for window in ("period", "12m") for source in CASE_SOURCE),
)


def _age_band(received_on: ColumnElement, d: ColumnElement, lo: int, hi: int | None):
    """Received between `hi` and `lo` days before D (age in days on D within [lo, hi])."""
    cond = plus_days(received_on, lo) <= d
    return cond if hi is None else and_(cond, plus_days(received_on, hi) >= d)


def cases_panel(units: FromClause, periods: FromClause) -> Select:
    """Cases on D (DESIGN §3: received on or before D, not closed on or before D): open,
    overdue (due before D), high-risk and 遭受侵害 open cases, open cases per age band (all
    and high-risk), per stage on D × risk level, cases closed in the period per risk level,
    and cases received per source in the period and in the 12 calendar months ending D."""
    k, p = cases, periods
    on_units = units.c.leaf_code == k.c.region_code
    d = p.c.d_end
    high = k.c.risk_level == "high"
    stage = case_stage(d)
    open_ = (
        select(
            units.c.group_code,
            p.c.period,
            func.count().label("open_cases"),
            _sum_if(k.c.due_on < d).label("overdue_cases"),
            _sum_if(high).label("high_risk_open"),
            _sum_if(k.c.concern == "abuse").label("abuse_open"),
            *(_sum_if(_age_band(k.c.received_on, d, lo, hi)).label(c) for c, lo, hi in DAY_BUCKETS),
            *(
                _sum_if(and_(high, _age_band(k.c.received_on, d, lo, hi))).label(f"high:{c}")
                for c, lo, hi in DAY_BUCKETS
            ),
            *(
                _sum_if(and_(stage == s, k.c.risk_level == r)).label(f"{s}:{r}")
                for s in OPEN_STAGES
                for r in RISK_LEVEL
            ),
        )
        .select_from(
            k.join(units, on_units).join(p, _active_on_d(k.c.received_on, k.c.closed_on, p))
        )
        .group_by(units.c.group_code, p.c.period)
        .subquery("panel_cases_open")
    )
    closed = (
        select(
            units.c.group_code,
            p.c.period,
            *(_sum_if(k.c.risk_level == r).label(f"closed:{r}") for r in RISK_LEVEL),
        )
        .select_from(
            k.join(units, on_units).join(p, and_(k.c.closed_on >= p.c.d_start, k.c.closed_on <= d))
        )
        .group_by(units.c.group_code, p.c.period)
        .subquery("panel_cases_closed")
    )
    received = (
        select(
            units.c.group_code,
            p.c.period,
            *(
                _sum_if(and_(k.c.source == s, k.c.received_on >= p.c.d_start)).label(f"period:{s}")
                for s in CASE_SOURCE
            ),
            *(_sum_if(k.c.source == s).label(f"12m:{s}") for s in CASE_SOURCE),
        )
        .select_from(
            k.join(units, on_units).join(
                p,
                and_(k.c.received_on <= d, month_index(k.c.received_on) >= p.c.m_index - 11),
            )
        )
        .group_by(units.c.group_code, p.c.period)
        .subquery("panel_cases_received")
    )
    grp = _groups(units)
    parts = (open_, closed, received)
    column = {col.name: col for part in parts for col in part.c if col.name in CASE_CATEGORIES}
    return select(
        grp.c.group_code, p.c.period, *(_z(column[c]).label(c) for c in CASE_CATEGORIES)
    ).select_from(_grid(grp, p, *parts))


def _text(col: ColumnElement) -> ColumnElement:
    return cast(col, String)


def _histogram_key(*parts: ColumnElement) -> ColumnElement:
    """A category of a histogram panel: its keys as text joined by HISTOGRAM_SEP (a null
    key is the empty string)."""
    key = func.coalesce(_text(parts[0]), "")
    for part in parts[1:]:
        key = key + literal(HISTOGRAM_SEP, String) + func.coalesce(_text(part), "")
    return key


def _histogram(units: FromClause, periods: FromClause, from_: FromClause, key, where):
    return (
        select(
            units.c.group_code,
            periods.c.period,
            key.label("category"),
            cast(func.count(), Float).label("value"),
        )
        .select_from(from_)
        .where(where)
        .group_by(units.c.group_code, periods.c.period, key)
    )


def referrals_panel(units: FromClause, periods: FromClause):
    """Referrals made in the period and in the 12 calendar months ending D, as known on D
    (DESIGN §4, as referral_timely): one count per (window, department, days to the answer
    — empty when no answer on or before D —, pending 1/0: no answer and made in the last 7
    days). Medians and means come out of these counts unchanged."""
    f, k, p = referrals, cases, periods
    d = p.c.d_end
    answered = and_(f.c.responded_on.is_not(None), f.c.responded_on <= d)
    days = cast(case((answered, days_between(f.c.responded_on, f.c.referred_on))), Integer)
    pending = case((or_(answered, referral_window_over(f.c.referred_on, d)), 0), else_=1)
    from_ = (
        f.join(k, k.c.id == f.c.case_id)
        .join(units, units.c.leaf_code == k.c.region_code)
        .join(p, and_(f.c.referred_on <= d, month_index(f.c.referred_on) >= p.c.m_index - 11))
    )
    parts = [
        _histogram(
            units,
            p,
            from_,
            _histogram_key(literal(window, String), f.c.department, days, pending),
            f.c.referred_on >= p.c.d_start if window == "period" else true(),
        )
        for window in ("period", "12m")
    ]
    return union_all(*parts)


def closures_panel(units: FromClause, periods: FromClause) -> Select:
    """Cases closed in the period: one count per (days from receipt to closure, source, risk
    level). A closure is a fixed fact, so the 12 months ending D are the sum of 12 periods."""
    k, p = cases, periods
    days = cast(days_between(k.c.closed_on, k.c.received_on), Integer)
    from_ = k.join(units, units.c.leaf_code == k.c.region_code).join(
        p, and_(k.c.closed_on >= p.c.d_start, k.c.closed_on <= p.c.d_end)
    )
    return _histogram(units, p, from_, _histogram_key(days, k.c.source, k.c.risk_level), true())
