"""The staffing panel (metric_engine/panels.py): supervisors and directors on D, the posts they
fill, 持证上岗 and the year's leavers ('staff', per county).
"""

from __future__ import annotations

from sqlalchemy import and_, case, distinct, exists, func, or_, select
from sqlalchemy.sql import ColumnElement, FromClause, Select

from core.activity import active_on
from data.schema import regions, staff, trainings
from metric_engine.blocks import _grid, _sum_if, _z
from metric_engine.dialect import plus_days
from metric_engine.units import _groups, _unit_counts

ROLES = ("supervisor", "director")  # 儿童督导员 (a township's), 儿童主任 (a village's)
YEAR_DAYS = 365
STAFF_COUNTS = (
    "townships",
    "villages",
    "staffed_townships",
    "staffed_villages",
    "supervisors",
    "directors",
    "uncertified",
    "leavers_12m",
    "headcount_start",
)
STAFF_CATEGORIES = (
    *STAFF_COUNTS,
    *(f"{role}:{what}" for role in ROLES for what in ("headcount_start", "leavers")),
)


def certified_on(d: ColumnElement) -> ColumnElement:
    """A passed initial training on or before D (持证上岗), for the staff row in the query."""
    t = trainings.c
    return exists().where(
        t.staff_id == staff.c.id, t.passed, t.kind == "initial", t.trained_on <= d
    )


def staff_panel(units: FromClause, periods: FromClause) -> Select:
    """Per group and D: its townships and villages, those with an active supervisor /
    director at their own code, active supervisors and directors, active staff without a
    passed initial training, staff who left in the 365 days ending D and those active on
    D − 365 (turnover's two ends), in all and per role. Active on D follows DESIGN §3."""
    s, r, p = staff, regions, periods
    d = p.c.d_end
    now = active_on(s.c.appointed_on, s.c.left_on, d)
    # On D − 365 and after it, by date arithmetic on the record (the year is the view's
    # own, not one of the registry's windows that periods carry).
    after_start = plus_days(s.c.left_on, YEAR_DAYS) > d  # left_on > D − 365
    then = and_(
        plus_days(s.c.appointed_on, YEAR_DAYS) <= d, or_(s.c.left_on.is_(None), after_start)
    )
    left = and_(after_start, s.c.left_on <= d)
    sup, dir_ = and_(now, s.c.role == "supervisor"), and_(now, s.c.role == "director")
    post = {
        "staffed_townships": and_(sup, r.c.level == "township"),
        "staffed_villages": and_(dir_, r.c.level == "village"),
    }
    cols = [
        *(
            func.count(distinct(case((cond, s.c.region_code)))).label(name)
            for name, cond in post.items()
        ),
        _sum_if(sup).label("supervisors"),
        _sum_if(dir_).label("directors"),
        _sum_if(and_(now, ~certified_on(d).correlate_except(trainings))).label("uncertified"),
        _sum_if(left).label("leavers_12m"),
        _sum_if(then).label("headcount_start"),
    ]
    for role in ROLES:
        of = s.c.role == role
        cols += [
            _sum_if(and_(of, then)).label(f"{role}:headcount_start"),
            _sum_if(and_(of, left)).label(f"{role}:leavers"),
        ]
    people = (
        select(units.c.group_code, p.c.period, *cols)
        .select_from(
            s.join(units, units.c.leaf_code == s.c.region_code)
            .join(r, r.c.code == s.c.region_code)
            .join(p, and_(s.c.appointed_on <= d, or_(s.c.left_on.is_(None), after_start)))
        )
        .group_by(units.c.group_code, p.c.period)
        .subquery("panel_staff")
    )
    grp = _groups(units)
    counts = _unit_counts(units)
    column = {c.name: c for c in people.c}
    column["townships"], column["villages"] = counts.c.townships, counts.c.villages
    return select(
        grp.c.group_code, p.c.period, *(_z(column[c]).label(c) for c in STAFF_CATEGORIES)
    ).select_from(_grid(grp, p, people, counts=counts))
