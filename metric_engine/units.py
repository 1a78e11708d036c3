"""Units: which region codes count for which group (leaf_code, group_code), the groups
themselves, and the villages/townships/counties under each group.
"""

from __future__ import annotations

from sqlalchemy import select, union_all
from sqlalchemy.sql import FromClause, Select
from sqlalchemy.sql.expression import CTE

from core.regions import MAX_DEPTH, descend
from data.schema import regions
from metric_engine.blocks import _sum_if


def descendant_units(groups: Select, name: str = "units") -> CTE:
    """(leaf_code, group_code) for every region at or under each code of `groups` (a SELECT
    of region codes), following parent_code. A leaf under two listed groups appears twice.

    The tree is at most five levels deep, so this is a union of fixed self-joins rather than
    a recursive CTE: the planner then estimates a drill-down's few hundred units as such
    (PostgreSQL guessed thousands for the recursive form and chose full scans). The walk
    down is `core.regions.descend`, shared with `queries.regions.within_scope`."""
    g = groups.subquery(f"{name}_groups")
    (code,) = list(g.c)
    parts = [select(code.label("leaf_code"), code.label("group_code"))]
    for depth in range(1, MAX_DEPTH + 1):
        joined, chain = descend(g, code, depth, name)
        parts.append(select(chain[-1].c.code, code).select_from(joined))
    return union_all(*parts).cte(name)


def _groups(units: FromClause) -> FromClause:
    return select(units.c.group_code).distinct().subquery("grp")


def _unit_counts(units: FromClause) -> FromClause:
    """Villages, townships and counties at or under each group (period-independent)."""
    r = regions
    return (
        select(
            units.c.group_code,
            _sum_if(r.c.level == "village").label("villages"),
            _sum_if(r.c.level == "township").label("townships"),
            _sum_if(r.c.level == "county").label("counties"),
        )
        .select_from(units.join(r, r.c.code == units.c.leaf_code))
        .group_by(units.c.group_code)
        .subquery("unit_counts")
    )
