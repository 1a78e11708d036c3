"""Shared pieces of the live queries of the thematic views (queries/interventions.py,
referrals.py, care.py, institutions.py): the region a query shows, the mapping of every region
of a scope to its county and township, the time windows and day buckets, and the active-on-D
rule of DESIGN.md §3. No Streamlit here.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
from sqlalchemy import Engine, case, select
from sqlalchemy.sql import Subquery

from core.periods import parse_period
from core.regions import join_ancestors
from data.schema import regions
from metric_engine.panels import DAY_BUCKETS
from queries.regions import within_scope

__all__ = [
    "AREA_LEVELS",
    "DAY_BUCKETS",
    "WINDOWS",
    "areas_at",
    "attach_counts",
    "check_level",
    "region_label",
    "scope_areas",
    "window_start",
]

AREA_LEVELS = ("county", "township")
WINDOWS = ("period", "12m")
OWN_LEVEL_SUFFIX = "本级"  # records at the county code itself, in a township table


def window_start(period: str, window: str = "period") -> date:
    """First day counted by a window ending D: the period's first day, or for "12m" the
    first day of the month eleven months earlier (twelve whole calendar months)."""
    p = parse_period(period)
    if window == "period":
        return p.d_start
    if window == "12m":
        m = p.m_index - 11
        return date(m // 12, m % 12 + 1, 1)
    raise ValueError(f"window must be one of {WINDOWS}, got {window!r}")


def scope_areas(scope: str) -> Subquery:
    """(code, county_code, township_code) for every region in the scope (via `within_scope`):
    a village maps to its township and county, a township to itself and its county, a county
    to itself (township null); levels above a county map to nothing."""
    ws = within_scope(scope).subquery("scope_regions")
    r1, r2 = regions.alias("area_parent"), regions.alias("area_grandparent")
    county = case(
        (ws.c.level == "county", ws.c.code),
        (r1.c.level == "county", r1.c.code),
        (r2.c.level == "county", r2.c.code),
        else_=None,
    )
    township = case(
        (ws.c.level == "township", ws.c.code),
        (r1.c.level == "township", r1.c.code),
        else_=None,
    )
    return (
        select(ws.c.code, county.label("county_code"), township.label("township_code"))
        .select_from(join_ancestors(ws, ws, [r1, r2]))
        .subquery("area")
    )


def check_level(level: str) -> str:
    """The level of an area table (county or township); ValueError otherwise."""
    if level not in AREA_LEVELS:
        raise ValueError(f"level must be one of {AREA_LEVELS}, got {level!r}")
    return level


def areas_at(engine: Engine, scope: str, level: str) -> pd.DataFrame:
    """The regions at `level` in the scope (code, name, parent_name), by code."""
    sub = within_scope(scope, check_level(level)).subquery()
    stmt = select(sub.c.code, sub.c.name, sub.c.parent_name).order_by(sub.c.code)
    with engine.connect() as conn:
        return pd.read_sql(stmt, conn)


def attach_counts(
    areas: pd.DataFrame, counts: pd.DataFrame, columns: list[str], own: tuple[str, str] | None
) -> pd.DataFrame:
    """Areas left-joined with per-area counts (0 where none). Counts with no area at this
    level (a case at the county code itself, in a township table) become one extra row
    '<county>本级' under the code of the scope, when there are any."""
    counts = counts.copy()
    counts["code"] = counts["code"].astype(object)
    loose = counts[counts["code"].isna()]
    out = areas.merge(counts[counts["code"].notna()], on="code", how="left")
    if own is not None and not loose.empty and loose[columns].to_numpy().sum() > 0:
        extra = loose.assign(code=own[0], name=own[1] + OWN_LEVEL_SUFFIX, parent_name=own[1])
        out = pd.concat([out, extra[out.columns]], ignore_index=True)
    out[columns] = out[columns].fillna(0).astype(int)
    return out.reset_index(drop=True)


def region_label(engine: Engine, scope: str) -> tuple[str, str]:
    """(code, name) of a region, for the '<county>本级' row of a township table."""
    with engine.connect() as conn:
        name = conn.execute(select(regions.c.name).where(regions.c.code == scope)).scalar()
    return scope, name or scope
