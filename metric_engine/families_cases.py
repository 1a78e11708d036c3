"""Metric family over cases and referrals: open and overdue cases, closure days, timely and
pending referrals.

A referral's outcome is judged as of D (DESIGN.md §4): it is known once it was answered on
or before D, or once its 7 days are over (made on or before D − 7); until then it is
pending and counts in neither side of referral_timely, only in referral_pending. An answer
dated after D is unknown on D. Counting pending referrals as late made every newest month
look like a collapse: on the demo of 2026-10, 497 of October's 2,310 referrals had no answer
yet against 80–84 in each earlier month, and the card read 74.8% (−11.7 points).
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import and_, case, func, not_, or_, select
from sqlalchemy.sql import ColumnElement, FromClause, Select

from data.schema import cases, referrals
from metric_engine.blocks import _active_on_d, _grid, _sum_if, _wide, _z
from metric_engine.dialect import days_between, plus_days
from metric_engine.units import _groups

TIMELY_REFERRAL_DAYS = 7


def referral_window_over(referred_on: ColumnElement, d: ColumnElement) -> ColumnElement:
    """The referral's 7 days are over on D: made on or before D − 7 (referred + 7 ≤ D)."""
    return plus_days(referred_on, TIMELY_REFERRAL_DAYS) <= d


def case_stage(d: date | ColumnElement) -> ColumnElement:
    """A case's stage on D (a date or a periods column) from its dates: assessed on or
    before D → 处置 (in_progress); not yet assessed → 受理 when the case still stands at
    `received`, else 评估 (being assessed). Derived from dates so that a past month shows where cases stood then (the
    case pipeline counts by the same stage)."""
    k = cases.c
    return case(
        (and_(k.assessed_on.is_not(None), k.assessed_on <= d), "in_progress"),
        (k.status == "received", "received"),
        else_="assessing",
    )


def cases_family(units: FromClause, periods: FromClause) -> Select:
    """open_cases, overdue_cases, case_closure_days, referral_timely, referral_pending (a
    case's referrals belong to the case's region; "within the period" = d_start ≤ date ≤ D)."""
    k, f, p = cases, referrals, periods
    on_units = units.c.leaf_code == k.c.region_code
    open_ = (
        select(
            units.c.group_code,
            p.c.period,
            func.count().label("open"),
            _sum_if(k.c.due_on < p.c.d_end).label("overdue"),
        )
        .select_from(
            k.join(units, on_units).join(p, _active_on_d(k.c.received_on, k.c.closed_on, p))
        )
        .group_by(units.c.group_code, p.c.period)
        .subquery("cases_open")
    )
    closed = (
        select(
            units.c.group_code,
            p.c.period,
            func.sum(days_between(k.c.closed_on, k.c.received_on)).label("days"),
            func.count().label("closed"),
        )
        .select_from(
            k.join(units, on_units).join(
                p, and_(k.c.closed_on >= p.c.d_start, k.c.closed_on <= p.c.d_end)
            )
        )
        .group_by(units.c.group_code, p.c.period)
        .subquery("cases_closed")
    )
    answered = and_(f.c.responded_on.is_not(None), f.c.responded_on <= p.c.d_end)
    known = or_(answered, referral_window_over(f.c.referred_on, p.c.d_end))
    timely = and_(answered, days_between(f.c.responded_on, f.c.referred_on) <= TIMELY_REFERRAL_DAYS)
    refs = (
        select(
            units.c.group_code,
            p.c.period,
            _sum_if(known).label("known"),
            _sum_if(timely).label("timely"),
            _sum_if(not_(known)).label("pending"),
        )
        .select_from(
            f.join(k, k.c.id == f.c.case_id)
            .join(units, on_units)
            .join(p, and_(f.c.referred_on >= p.c.d_start, f.c.referred_on <= p.c.d_end))
        )
        .group_by(units.c.group_code, p.c.period)
        .subquery("referrals_made")
    )
    grp = _groups(units)
    return _wide(
        grp,
        p,
        _grid(grp, p, open_, closed, refs),
        {
            "open_cases": (_z(open_.c.open), None),
            "overdue_cases": (_z(open_.c.overdue), None),
            "case_closure_days": (_z(closed.c.days), _z(closed.c.closed)),
            "referral_timely": (_z(refs.c.timely), _z(refs.c.known)),
            "referral_pending": (_z(refs.c.pending), None),
        },
    )
