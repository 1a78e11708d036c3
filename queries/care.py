"""个案与关爱 (DESIGN.md §5 view 4), the six 两提升、四关爱 actions: active children covered by
each action on D, by county or township. No Streamlit here.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sqlalchemy import Engine, case, func, select
from sqlalchemy.sql import Subquery

from core.activity import active_on
from core.periods import parse_period
from data.labels import ACTION_TYPE
from data.schema import care_actions, children
from queries.live import (
    areas_at,
    attach_counts,
    check_level,
    is_root,
    scope_areas,
)
from queries.regions import ScopeError, narrow_scope

__all__ = ["ACTION_TYPE", "ScopeError", "care_action_totals", "care_actions_by_area"]


def care_actions_by_area(
    engine: Engine, scope: str, period: str, level: str = "county", region: str | None = None
) -> pd.DataFrame:
    """One row per county (or township) of the scope: children_active (on D), one column per
    action type of ACTION_TYPE (active children with an active care action of that type on
    D) and any_action (active children with at least one: care_coverage's numerator)."""
    scope = narrow_scope(engine, scope, region)
    d = parse_period(period).d_end
    area = scope_areas(scope)
    c, ca = children, care_actions
    group = area.c.county_code if check_level(level) == "county" else area.c.township_code
    child_active = active_on(c.c.registered_on, c.c.exited_on, d)
    # The join with `area` at the end keeps the scope; below the root, a prefilter on the
    # scope's villages also spares the scan of the rest of the province (at the root it
    # would only slow PostgreSQL down: it misjudges the scope's size and loops per village).
    prefilter = [] if is_root(engine, scope) else [c.c.village_code.in_(select(area.c.code))]
    # One row per child with an active action: a 0/1 flag per action type (a child with two
    # actions of one type counts once), then per village, then villages to areas. Grouping
    # by child and village before touching the region mapping keeps the big scan cheap.
    flags = (
        select(
            func.max(c.c.village_code).label("village_code"),
            *(func.max(case((ca.c.action_type == t, 1), else_=0)).label(t) for t in ACTION_TYPE),
        )
        .select_from(ca.join(c, c.c.id == ca.c.child_id))
        .where(child_active, active_on(ca.c.started_on, ca.c.ended_on, d), *prefilter)
        .group_by(ca.c.child_id)
        .subquery("care_flags")
    )
    per_village = (
        select(
            flags.c.village_code,
            *(func.sum(flags.c[t]).label(t) for t in ACTION_TYPE),
            func.count().label("any_action"),
        )
        .group_by(flags.c.village_code)
        .subquery("care_per_village")
    )
    kids_per_village = (
        select(c.c.village_code, func.count().label("children_active"))
        .where(child_active, *prefilter)
        .group_by(c.c.village_code)
        .subquery("kids_per_village")
    )

    def by_area(per: Subquery, cols: list[str]):
        return (
            select(group.label("code"), *(func.sum(per.c[x]).label(x) for x in cols))
            .select_from(per.join(area, area.c.code == per.c.village_code))
            .group_by(group)
        )

    with engine.connect() as conn:
        kids = pd.read_sql(by_area(kids_per_village, ["children_active"]), conn)
        cared = pd.read_sql(by_area(per_village, [*ACTION_TYPE, "any_action"]), conn)
    counts = kids.merge(cared, on="code", how="outer")
    columns = ["children_active", *ACTION_TYPE, "any_action"]
    return attach_counts(areas_at(engine, scope, level), counts, columns, None)


def care_action_totals(by_area: pd.DataFrame) -> pd.DataFrame:
    """The scope's children covered by each action (ACTION_TYPE order) and its share of the
    active children, from `care_actions_by_area` (a child lives in one area, so areas add)."""
    active = int(by_area["children_active"].sum())
    return pd.DataFrame(
        [
            {
                "action_type": t,
                "children": int(by_area[t].sum()),
                "share": by_area[t].sum() / active if active else np.nan,
            }
            for t in ACTION_TYPE
        ]
    )
