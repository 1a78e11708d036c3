"""Where records are, for the live lists of the 儿童之家 and 队伍建设 views: the regions of a
scope with the names of their village, township, county and prefecture, the day D of a
period, an optional narrowing to one region inside the scope, and small frame helpers shared
by queries/homes.py and queries/staffing.py. No Streamlit here.
"""

from __future__ import annotations

import calendar
from datetime import date

import pandas as pd
from sqlalchemy import Engine, case, func, select, union_all
from sqlalchemy.sql import ColumnElement
from sqlalchemy.sql.selectable import Subquery

from data.schema import regions
from queries.indicators import check_period
from queries.regions import require_within

__all__ = [
    "effective_scope",
    "int_columns",
    "period_end",
    "places",
    "safe_rate",
    "sum_if",
    "to_dates",
]


def period_end(period: str) -> date:
    """D: the last day of 'YYYY-MM' (ValueError for anything else)."""
    year, month = map(int, check_period(period).split("-"))
    return date(year, month, calendar.monthrange(year, month)[1])


def effective_scope(engine: Engine, scope: str, region: str | None) -> str:
    """The region a list covers: `region` when given (it must lie inside the scope), else the
    scope itself."""
    if region is None or region == scope:
        return scope
    require_within(engine, region, scope)
    return region


MAX_DEPTH = 4  # province › prefecture › county › township › village


def places(scope: str, level: str | None = None) -> Subquery:
    """Regions at or under `scope` (optionally one level) with the names and codes of the
    village, township, county and prefecture they belong to (null above their own level):
    what every list needs to say where a record is.

    Same set as `within_scope(scope, level)`, reached the other way round: from the scope row
    down the parent_code index, one branch per depth (0–4 steps below the scope). The
    ancestors-up filter of `within_scope` (scope = r or any ancestor of r) is a five-way OR
    that PostgreSQL estimates at a handful of rows for 21,000 villages, and then plans nested
    loops around every aggregate joined to it; walking down from one row keeps each join an
    index lookup and the estimates sane. Ancestors above the scope (the county of a township
    scope) come from the scope row's own parents."""
    up = [regions.alias(f"pl_u{i}") for i in range(MAX_DEPTH)]  # scope's parents
    down = [regions.alias(f"pl_d{i}") for i in range(MAX_DEPTH + 1)]  # d0 = the scope
    parts = []
    for depth in range(MAX_DEPTH + 1):
        joined = down[0]
        for i in range(1, depth + 1):
            joined = joined.join(down[i], down[i].c.parent_code == down[i - 1].c.code)
        for i, u in enumerate(up):
            parent = down[0] if i == 0 else up[i - 1]
            joined = joined.outerjoin(u, u.c.code == parent.c.parent_code)
        row = down[depth]
        lineage = [down[i] for i in range(depth, -1, -1)] + up  # the row, then upwards

        def at(level_name: str, col: str, lineage=lineage) -> ColumnElement:
            """The column of the row itself or of its ancestor at `level_name`."""
            return case(*((a.c.level == level_name, a.c[col]) for a in lineage), else_=None)

        stmt = (
            select(
                row.c.code,
                row.c.name,
                row.c.level,
                row.c.kind,
                row.c.parent_code,
                at("village", "code").label("village_code"),
                at("village", "name").label("village_name"),
                at("township", "code").label("township_code"),
                at("township", "name").label("township_name"),
                at("county", "code").label("county_code"),
                at("county", "name").label("county_name"),
                at("county", "is_former_poverty_county").label("is_former_poverty_county"),
                at("prefecture", "code").label("prefecture_code"),
                at("prefecture", "name").label("prefecture_name"),
            )
            .select_from(joined)
            .where(down[0].c.code == scope)
        )
        if level is not None:
            stmt = stmt.where(row.c.level == level)
        parts.append(stmt)
    return union_all(*parts).subquery("places")


def sum_if(cond: ColumnElement) -> ColumnElement:
    return func.coalesce(func.sum(case((cond, 1), else_=0)), 0)


def to_dates(df: pd.DataFrame, cols: tuple[str, ...]) -> pd.DataFrame:
    """Date columns as `datetime.date` (SQLite and PostgreSQL drivers differ) or None."""
    for c in cols:
        df[c] = [None if pd.isna(v) else pd.Timestamp(v).date() for v in df[c]]
    return df


def int_columns(df: pd.DataFrame, cols: tuple[str, ...]) -> pd.DataFrame:
    for c in cols:
        df[c] = pd.to_numeric(df[c]).fillna(0).astype(int)
    return df


def safe_rate(num: pd.Series, den: pd.Series) -> pd.Series:
    """num / den, null (never 0 or 100%) when the denominator is 0."""
    return (num / den.where(den > 0)).astype(float)
