"""Metric families over children's homes (home_coverage, demo_homes) and staff (the seven
staffing metrics).
"""

from __future__ import annotations

from sqlalchemy import and_, case, distinct, func, select
from sqlalchemy.sql import FromClause, Select

from core.metrics import BY_CODE
from data.schema import children_homes, regions, staff, trainings
from metric_engine.blocks import (
    _active_on_d,
    _grid,
    _interval_counts,
    _owners,
    _sum_if,
    _wide,
    _window_pieces,
    _z,
)
from metric_engine.units import _groups, _unit_counts


def homes_family(units: FromClause, periods: FromClause) -> Select:
    """home_coverage, demo_homes: homes active on D whose status is not `building`."""
    h, r, p = children_homes, regions, periods
    agg = (
        select(
            units.c.group_code,
            p.c.period,
            func.count(distinct(case((r.c.level == "village", h.c.village_code)))).label("covered"),
            _sum_if(h.c.is_demonstration).label("demo"),
        )
        .select_from(
            h.join(units, units.c.leaf_code == h.c.village_code)
            .join(r, r.c.code == h.c.village_code)
            .join(p, _active_on_d(h.c.established_on, h.c.closed_on, p))
        )
        .where(h.c.status != "building")
        .group_by(units.c.group_code, p.c.period)
        .subquery("homes_active")
    )
    grp, uc = _groups(units), _unit_counts(units)
    return _wide(
        grp,
        p,
        _grid(grp, p, agg, counts=uc),
        {
            "home_coverage": (_z(agg.c.covered), _z(uc.c.villages)),
            "demo_homes": (_z(agg.c.demo), None),
        },
    )


def staff_family(units: FromClause, periods: FromClause) -> Select:
    """The seven staffing metrics: staff active on D (appointed_on ≤ D, left_on null or > D)."""
    s, r, t, p = staff, regions, trainings, periods
    is_dir = s.c.role == "director"
    # Certified on D ⇔ the first passed initial training is on or before D.
    first_cert = (
        select(t.c.staff_id, func.min(t.c.trained_on).label("first_on"))
        .where(t.c.passed, t.c.kind == "initial")
        .group_by(t.c.staff_id)
        .subquery("first_cert")
    )
    certified = first_cert.c.first_on <= p.c.d_end
    agg = (
        select(
            units.c.group_code,
            p.c.period,
            func.count().label("staff"),
            func.count(
                distinct(
                    case((and_(s.c.role == "supervisor", r.c.level == "township"), s.c.region_code))
                )
            ).label("sup_townships"),
            func.count(
                distinct(case((and_(is_dir, r.c.level == "village"), s.c.region_code)))
            ).label("dir_villages"),
            _sum_if(is_dir).label("directors"),
            _sum_if(and_(is_dir, s.c.is_female_committee_member)).label("female_directors"),
            _sum_if(s.c.is_dedicated).label("dedicated"),
            _sum_if(certified).label("certified"),
            _sum_if(s.c.is_registered).label("registered"),
        )
        .select_from(
            s.join(units, units.c.leaf_code == s.c.region_code)
            .join(r, r.c.code == s.c.region_code)
            .join(p, _active_on_d(s.c.appointed_on, s.c.left_on, p))
            .outerjoin(first_cert, first_cert.c.staff_id == s.c.id)
        )
        .group_by(units.c.group_code, p.c.period)
        .subquery("staff_active")
    )
    # Trained in the window ending D (365 days): passed trainings as window pieces (any kind).
    staff_owners = _owners(units, s, s.c.region_code, s.c.appointed_on, s.c.left_on, "staff_own")
    trained_rows = _window_pieces(
        staff_owners,
        p,
        t.c.staff_id,
        t.c.trained_on,
        BY_CODE["trained_12m"].window_days,
        "training",
        (t.c.passed,),
    )
    trained = _interval_counts(trained_rows, p, ("n",), "staff_trained")
    grp, uc = _groups(units), _unit_counts(units)
    n_staff = _z(agg.c.staff)
    return _wide(
        grp,
        p,
        _grid(grp, p, agg, trained, counts=uc),
        {
            "supervisor_coverage": (_z(agg.c.sup_townships), _z(uc.c.townships)),
            "director_coverage": (_z(agg.c.dir_villages), _z(uc.c.villages)),
            "female_director_share": (_z(agg.c.female_directors), _z(agg.c.directors)),
            "dedicated_share": (_z(agg.c.dedicated), n_staff),
            "certified_rate": (_z(agg.c.certified), n_staff),
            "trained_12m": (_z(trained.c.n), n_staff),
            "registered_rate": (_z(agg.c.registered), n_staff),
        },
    )
