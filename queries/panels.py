"""The breakdowns of metric_engine/panels.py for a scope: read from `panel_counts` per county
(a province, prefecture or county scope: cost ∝ counties, not records), or computed live from
the raw records for the townships of one county (bounded by that county's size). No
Streamlit here.
"""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Engine, exists, func, literal, select

from core.periods import parse_period
from data.schema import panel_counts
from metric_engine import periods_select
from metric_engine.panels import HISTOGRAM_SEP, PANELS
from queries.live import check_level, scope_areas
from queries.regions import region as region_row
from queries.regions import within_scope

__all__ = [
    "PANELS",
    "area_panel",
    "counts_at",
    "live_panel",
    "scope_histogram",
    "scope_totals",
    "stored_panel",
]

STORED_LEVELS = ("province", "prefecture", "county")  # scopes summed from panel_counts


def area_panel(engine: Engine, scope: str, period: str, panel: str, level: str) -> pd.DataFrame:
    """`code` plus one column per category of `panel` for every county (level 'county', from
    panel_counts) or township (level 'township', live) of the scope that has any record;
    areas with none are left to `queries.live.attach_counts`."""
    if check_level(level) == "county":
        return stored_panel(engine, scope, period, panel)
    return live_panel(engine, scope, period, panel, level)


def counts_at(engine: Engine, scope: str, period: str, panel: str, level: str) -> pd.DataFrame:
    """`code` and the panel's categories per region at `level` (prefecture, county or
    township) of the scope that has any: counties from panel_counts, prefectures as the sums
    of their counties, townships live (their '本级' rows left out)."""
    if level == "township":
        rows = live_panel(engine, scope, period, panel, "township")
        return rows[rows["code"].notna()].reset_index(drop=True)
    rows = stored_panel(engine, scope, period, panel)
    if level == "county":
        return rows
    if level != "prefecture":
        raise ValueError(f"level must be prefecture, county or township, got {level!r}")
    counties = within_scope(scope, "county").subquery("counties")
    with engine.connect() as conn:
        parent = dict(conn.execute(select(counties.c.code, counties.c.parent_code)).all())
    rows = rows.assign(code=rows["code"].map(parent))
    return rows.groupby("code", as_index=False)[list(PANELS[panel].categories)].sum()


def scope_histogram(
    engine: Engine, scope: str, periods: list[str], panel: str, keys: tuple[str, ...]
) -> pd.DataFrame:
    """A histogram panel's counts over the whole scope for each of `periods`: columns period,
    `keys` (text, None for an empty key) and n, summed over the scope's counties from
    panel_counts, or live for a scope below a county or a period not written yet."""
    for period in periods:
        parse_period(period)
    pc = panel_counts
    found = region_row(engine, scope)
    with engine.connect() as conn:
        stored = found is not None and found["level"] in STORED_LEVELS
        if stored and all(_written(conn, period) for period in periods):
            counties = within_scope(scope, "county").subquery("scope_counties")
            stmt = (
                select(pc.c.period, pc.c.category, func.sum(pc.c.value).label("n"))
                .where(
                    pc.c.period.in_(periods),
                    pc.c.panel == panel,
                    pc.c.region_code.in_(select(counties.c.code)),
                )
                .group_by(pc.c.period, pc.c.category)
            )
            rows = pd.read_sql(stmt, conn)
        else:
            rows = _live_histogram(conn, scope, periods, panel)
    return split_histogram(rows, keys)


def _live_histogram(conn, scope: str, periods: list[str], panel: str) -> pd.DataFrame:
    area = scope_areas(scope)
    units = select(area.c.code.label("leaf_code"), literal(scope).label("group_code")).subquery(
        "panel_units"
    )
    months = periods_select([parse_period(p) for p in periods]).subquery("panel_periods")
    long = PANELS[panel].build(units, months).subquery("panel_long")
    stmt = select(long.c.period, long.c.category, func.sum(long.c.value).label("n")).group_by(
        long.c.period, long.c.category
    )
    return pd.read_sql(stmt, conn)


def split_histogram(rows: pd.DataFrame, keys: tuple[str, ...]) -> pd.DataFrame:
    """Rows with a histogram `category` (keys joined by HISTOGRAM_SEP) as one text column
    per key (an empty key becomes None); n as int."""
    out = pd.DataFrame({"period": rows["period"].astype(str), "n": rows["n"].astype(int)})
    parts = rows["category"].astype(str).str.split(HISTOGRAM_SEP, regex=False)
    for i, key in enumerate(keys):
        col = parts.str[i]
        out[key] = col.where(col.notna() & (col != ""), None).astype(object)
    return out.reset_index(drop=True)


def scope_totals(engine: Engine, scope: str, period: str, panel: str) -> pd.Series:
    """The panel's categories summed over the whole scope: its counties' stored rows, or for
    a scope below a county (a township asked for with `region=`) the live figures."""
    found = region_row(engine, scope)
    if found is not None and found["level"] in STORED_LEVELS:
        rows = stored_panel(engine, scope, period, panel)
    else:
        rows = live_panel(engine, scope, period, panel, "township")
    totals = rows[list(PANELS[panel].categories)].sum()
    return totals.astype(int)


def stored_panel(engine: Engine, scope: str, period: str, panel: str) -> pd.DataFrame:
    """The counties of the scope from panel_counts (the townships, for a panel stored per
    township). A period the rollup has not written yet
    (no row of any panel for it, e.g. a database loaded without a refresh) is computed live
    instead, so the figures are right either way, only slower."""
    categories = list(PANELS[panel].categories)
    parse_period(period)
    pc = panel_counts
    level = PANELS[panel].level
    counties = within_scope(scope, level).subquery("scope_units")
    stmt = select(pc.c.region_code.label("code"), pc.c.category, pc.c.value).where(
        pc.c.period == period,
        pc.c.panel == panel,
        pc.c.region_code.in_(select(counties.c.code)),
    )
    with engine.connect() as conn:
        if not _written(conn, period):
            return live_panel(engine, scope, period, panel, level)
        long = pd.read_sql(stmt, conn)
    wide = long.pivot_table(index="code", columns="category", values="value", aggfunc="sum")
    wide = wide.reindex(columns=categories).fillna(0).astype(int)
    wide.columns.name = None
    return wide.reset_index()


def _written(conn, period: str) -> bool:
    """Whether the rollup has written panel_counts for the month (an index seek)."""
    return bool(conn.execute(select(exists().where(panel_counts.c.period == period))).scalar())


def live_panel(engine: Engine, scope: str, period: str, panel: str, level: str) -> pd.DataFrame:
    """The panel computed from the raw records for the counties or townships of the scope,
    with the SQL the rollup runs. In a township table, records at a county's own code come
    back under code None (`attach_counts` makes them the '<county>本级' row)."""
    area = scope_areas(scope)
    if check_level(level) == "county":
        group = area.c.county_code
    else:
        group = func.coalesce(area.c.township_code, area.c.county_code)
    units = (
        select(area.c.code.label("leaf_code"), group.label("group_code"))
        .where(group.is_not(None))
        .subquery("panel_units")
    )
    periods = periods_select([parse_period(period)]).subquery("panel_period")
    stmt = PANELS[panel].build(units, periods)
    with engine.connect() as conn:
        wide = pd.read_sql(stmt, conn)
        own = set(conn.execute(select(area.c.county_code).distinct()).scalars())
    categories = list(PANELS[panel].categories)
    wide[categories] = wide[categories].fillna(0).astype(int)
    wide = wide.rename(columns={"group_code": "code"})[["code", *categories]]
    if level == "township":
        wide["code"] = wide["code"].astype(object).where(~wide["code"].isin(own), None)
    return wide
