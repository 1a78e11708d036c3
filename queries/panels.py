"""The breakdowns of metric_engine/panels.py for a scope: read from `panel_counts` per county
(a province, prefecture or county scope: cost ∝ counties, not records), or computed live from
the raw records for the townships of one county (bounded by that county's size). No
Streamlit here.
"""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Engine, exists, select

from core.periods import parse_period
from data.schema import panel_counts
from metric_engine import periods_select
from metric_engine.panels import PANELS
from queries.live import check_level, scope_areas
from queries.regions import within_scope

__all__ = ["PANELS", "area_panel", "county_panel", "live_panel"]


def area_panel(engine: Engine, scope: str, period: str, panel: str, level: str) -> pd.DataFrame:
    """`code` plus one column per category of `panel` for every county (level 'county', from
    panel_counts) or township (level 'township', live) of the scope that has any record;
    areas with none are left to `queries.live.attach_counts`."""
    if check_level(level) == "county":
        return county_panel(engine, scope, period, panel)
    return live_panel(engine, scope, period, panel, level)


def county_panel(engine: Engine, scope: str, period: str, panel: str) -> pd.DataFrame:
    """The counties of the scope from panel_counts. A period the rollup has not written yet
    (no row of any panel for it, e.g. a database loaded without a refresh) is computed live
    instead, so the figures are right either way, only slower."""
    categories = list(PANELS[panel].categories)
    parse_period(period)
    pc = panel_counts
    counties = within_scope(scope, "county").subquery("scope_counties")
    stmt = select(pc.c.region_code.label("code"), pc.c.category, pc.c.value).where(
        pc.c.period == period,
        pc.c.panel == panel,
        pc.c.region_code.in_(select(counties.c.code)),
    )
    written = select(exists().where(pc.c.period == period, pc.c.panel == panel))
    with engine.connect() as conn:
        if not conn.execute(written).scalar():
            return live_panel(engine, scope, period, panel, "county")
        long = pd.read_sql(stmt, conn)
    wide = long.pivot_table(index="code", columns="category", values="value", aggfunc="sum")
    wide = wide.reindex(columns=categories).fillna(0).astype(int)
    wide.columns.name = None
    return wide.reset_index()


def live_panel(engine: Engine, scope: str, period: str, panel: str, level: str) -> pd.DataFrame:
    """The panel computed from the raw records for the counties or townships of the scope,
    with the SQL the rollup runs (records at a county's own code have no township and are
    left out of a township table)."""
    area = scope_areas(scope)
    group = area.c.county_code if check_level(level) == "county" else area.c.township_code
    units = (
        select(area.c.code.label("leaf_code"), group.label("group_code"))
        .where(group.is_not(None))
        .subquery("panel_units")
    )
    periods = periods_select([parse_period(period)]).subquery("panel_period")
    stmt = PANELS[panel].build(units, periods)
    with engine.connect() as conn:
        wide = pd.read_sql(stmt, conn)
    categories = list(PANELS[panel].categories)
    wide[categories] = wide[categories].fillna(0).astype(int)
    return wide.rename(columns={"group_code": "code"})[["code", *categories]]
