"""Metric families over institutions (protection_center_ready) and service purchases
(purchase_yuan).
"""

from __future__ import annotations

from sqlalchemy import and_, exists, func, select
from sqlalchemy.sql import FromClause, Select

from data.schema import institutions, regions, service_purchases
from metric_engine.blocks import _grid, _sum_if, _wide, _z
from metric_engine.units import _groups


def institutions_family(units: FromClause, periods: FromClause) -> Select:
    """protection_center_ready: counties with a minor_protection_center at the county's own
    code, transformed or designated / counties (no dates: the same every month)."""
    r, i, p = regions, institutions, periods
    ready = (
        exists()
        .where(
            i.c.region_code == r.c.code,
            i.c.kind == "minor_protection_center",
            i.c.status.in_(("transformed", "designated")),
        )
        .correlate(r)
    )
    agg = (
        select(
            units.c.group_code,
            _sum_if(r.c.level == "county").label("counties"),
            _sum_if(and_(r.c.level == "county", ready)).label("ready"),
        )
        .select_from(units.join(r, r.c.code == units.c.leaf_code))
        .group_by(units.c.group_code)
        .subquery("centers")
    )
    grp = _groups(units)
    return _wide(
        grp,
        p,
        _grid(grp, p, agg),
        {"protection_center_ready": (_z(agg.c.ready), _z(agg.c.counties))},
    )


def purchases_family(units: FromClause, periods: FromClause) -> Select:
    """purchase_yuan: purchases of the period's year at or under the group, rounded to the fen
    so that SQLite's float sum and PostgreSQL's numeric sum store the same number."""
    sp, p = service_purchases, periods
    agg = (
        select(
            units.c.group_code,
            p.c.period,
            func.round(func.sum(sp.c.amount_yuan), 2).label("amount"),
        )
        .select_from(
            sp.join(units, units.c.leaf_code == sp.c.region_code).join(p, sp.c.year == p.c.year)
        )
        .group_by(units.c.group_code, p.c.period)
        .subquery("purchases")
    )
    grp = _groups(units)
    return _wide(grp, p, _grid(grp, p, agg), {"purchase_yuan": (_z(agg.c.amount), None)})
