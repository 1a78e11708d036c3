"""Where records are, for the live lists of the 儿童之家 and 队伍建设 views: the regions of a
scope with the names of their village, township, county and prefecture, the day D of a
period, an optional narrowing to one region inside the scope, and small frame helpers shared
by queries/homes.py and queries/staffing.py. No Streamlit here.
"""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Alias, case
from sqlalchemy.sql import ColumnElement
from sqlalchemy.sql.selectable import Subquery

from core.regions import MAX_DEPTH
from queries.regions import walk_down

__all__ = [
    "int_columns",
    "places",
    "safe_rate",
    "to_dates",
]


def places(scope: str, level: str | None = None) -> Subquery:
    """Regions at or under `scope` (optionally one level) with the names and codes of the
    village, township, county and prefecture they belong to (null above their own level):
    what every list needs to say where a record is.

    The same walk down from the scope row as `within_scope` (`queries.regions.walk_down`),
    keeping the whole lineage: the ancestors between a region and the scope are already
    joined, and those above the scope (the county of a township scope) come from the scope
    row's own parents, so reading the names costs no further lookups per region."""

    def columns(lineage: list[Alias]) -> list[ColumnElement]:
        row = lineage[0]

        def at(level_name: str, col: str) -> ColumnElement:
            """The column of the row itself or of its ancestor at `level_name`."""
            return case(*((a.c.level == level_name, a.c[col]) for a in lineage), else_=None)

        return [
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
        ]

    return walk_down(scope, level, columns, up=MAX_DEPTH, prefix="pl").subquery("places")


def to_dates(df: pd.DataFrame, cols: tuple[str, ...]) -> pd.DataFrame:
    """Date columns as `datetime.date` (SQLite and PostgreSQL drivers differ) or None."""
    for c in cols:
        df[c] = [None if pd.isna(v) else pd.Timestamp(v).date() for v in df[c]]
    return df


def int_columns(df: pd.DataFrame, cols: tuple[str, ...]) -> pd.DataFrame:
    for c in cols:
        df[c] = pd.to_numeric(df[c]).fillna(0).astype(int)
    return df


def area_columns(regs) -> list[ColumnElement]:
    """The columns every area table starts with: code, name, parent_name and the poverty flag
    of the regions subquery `regs`."""
    return [regs.c.code, regs.c.name, regs.c.parent_name, regs.c.is_former_poverty_county]


def safe_rate(num: pd.Series, den: pd.Series) -> pd.Series:
    """num / den, null (never 0 or 100%) when the denominator is 0."""
    return (num / den.where(den > 0)).astype(float)
