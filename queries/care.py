"""个案与关爱 (DESIGN.md §5 view 4), the six 两提升、四关爱 actions: active children covered by
each action on D, by county or township. No Streamlit here.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sqlalchemy import Engine

from data.labels import ACTION_TYPE
from queries.live import areas_at, attach_counts
from queries.panels import PANELS, area_panel
from queries.regions import ScopeError, narrow_scope

__all__ = ["ACTION_TYPE", "ScopeError", "care_action_totals", "care_actions_by_area"]

CARE_COLUMNS = list(PANELS["care"].categories)  # children_active, ACTION_TYPE…, any_action


def care_actions_by_area(
    engine: Engine, scope: str, period: str, level: str = "county", region: str | None = None
) -> pd.DataFrame:
    """One row per county (or township) of the scope: children_active (on D), one column per
    action type of ACTION_TYPE (active children with an active care action of that type on
    D) and any_action (active children with at least one: care_coverage's numerator).

    Counties come from panel_counts ('care', written by the rollup), so a province's table
    reads 100 counties' rows instead of every care action (1.03 s at province scale and
    7.29 s at xl on SQLite, before); townships are computed live with the same SQL
    (metric_engine/panels.py), over one county's records."""
    scope = narrow_scope(engine, scope, region)
    counts = area_panel(engine, scope, period, "care", level)
    return attach_counts(areas_at(engine, scope, level), counts, CARE_COLUMNS, None)


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
