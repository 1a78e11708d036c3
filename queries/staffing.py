"""队伍建设 (staffing) for a scope and a period, computed live from `staff` and `trainings`.

D is the last day of the period. A staff member is active on D when appointed_on ≤ D and
left_on is null or > D (DESIGN.md §3). As in the rollup, a supervisor covers the township
whose code is his region_code, a director the village whose code is hers. Definitions:

- vacancy: a township with no active supervisor / a village with no active director on D;
  it has been empty since the latest left_on (≤ D) of a former holder of that role there
  (vacant_days = D − that day), or was never filled (never_filled, vacant_days null);
- certification violation: active on D without a passed initial training on or before D;
- trained in 12 months: a passed training (either kind) in the 365 days ending D;
- turnover (12 months): staff whose left_on falls in the 365 days ending D, divided by the
  average headcount = (active on D − 365 + active on D) / 2; null when that average is 0.

The staff roster (and its 持证上岗 violations) is queries/records.py `staff_roster`, masked.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
from sqlalchemy import Engine, and_, exists, func, select
from sqlalchemy.sql import ColumnElement

from core import activity
from core.periods import period_end
from data.schema import staff
from metric_engine.panels_staff import STAFF_COUNTS
from queries import records
from queries.panels import counts_at, scope_totals
from queries.places import area_columns, int_columns, places, safe_rate, to_dates
from queries.records import ROLES
from queries.regions import narrow_scope, within_scope

POST_LEVEL = {"supervisor": "township", "director": "village"}
STAFF_LEVELS = ("prefecture", "county", "township")


def active_on(d: date) -> ColumnElement:
    """§3: appointed on or before D and not left on or before D."""
    return activity.active_on(staff.c.appointed_on, staff.c.left_on, d)


# ---------------------------------------------------------------- by region


def staffing_by_region(engine: Engine, scope: str, period: str, level: str) -> pd.DataFrame:
    """Per region at `level` (prefecture, county or township) in the scope, on D:
    townships, staffed_townships (≥1 active supervisor), supervisor_coverage, villages,
    staffed_villages (≥1 active director), director_coverage, vacant_townships,
    vacant_villages, supervisors and directors (active), uncertified (active without a
    passed initial training), leavers_12m, headcount_start (active on D − 365), turnover —
    plus code, name, parent_name, is_former_poverty_county. Every region appears.

    Counties (prefectures as their sums) from panel_counts ('staff'), a county's townships
    live with the same SQL (metric_engine/panels_staff.py)."""
    if level not in STAFF_LEVELS:
        raise ValueError(f"level must be one of {STAFF_LEVELS}, got {level!r}")
    regs = within_scope(scope, level).subquery("regs")
    with engine.connect() as conn:
        df = pd.read_sql(select(*area_columns(regs)).order_by(regs.c.code), conn)
    counts = counts_at(engine, scope, period, "staff", level)[["code", *STAFF_COUNTS]]
    df = int_columns(df.merge(counts, on="code", how="left"), STAFF_COUNTS)
    df["is_former_poverty_county"] = df["is_former_poverty_county"].fillna(False).astype(bool)
    df["supervisor_coverage"] = safe_rate(df["staffed_townships"], df["townships"])
    df["director_coverage"] = safe_rate(df["staffed_villages"], df["villages"])
    df["vacant_townships"] = df["townships"] - df["staffed_townships"]
    df["vacant_villages"] = df["villages"] - df["staffed_villages"]
    headcount_end = df["supervisors"] + df["directors"]
    df["turnover"] = safe_rate(df["leavers_12m"], (df["headcount_start"] + headcount_end) / 2)
    return df


def as_metric(df: pd.DataFrame, metric: str) -> pd.DataFrame:
    """`staffing_by_region` in the (value, numerator, denominator) shape of a ranking, for
    supervisor_coverage or director_coverage."""
    num, den = {
        "supervisor_coverage": ("staffed_townships", "townships"),
        "director_coverage": ("staffed_villages", "villages"),
    }[metric]
    out = df[["code", "name", "parent_name", "is_former_poverty_county"]].copy()
    out["value"] = df[metric]
    out["numerator"] = df[num].astype(float)
    out["denominator"] = df[den].astype(float)
    return out


# ---------------------------------------------------------------- vacancies


def _vacancies(engine: Engine, scope: str, d: date, role: str) -> pd.DataFrame:
    s = staff.c
    pl = places(scope, POST_LEVEL[role])
    same_post = and_(s.region_code == pl.c.code, s.role == role)
    filled = exists().where(same_post, active_on(d)).correlate(pl)
    last_left = (
        select(func.max(s.left_on))
        .where(same_post, s.left_on.is_not(None), s.left_on <= d)
        .correlate(pl)
        .scalar_subquery()
    )
    cols = [pl.c.county_name, pl.c.township_name]
    if role == "director":
        cols.append(pl.c.village_name)
    stmt = (
        select(*cols, pl.c.code, last_left.label("last_left_on"))
        .where(~filled)
        .order_by(pl.c.county_code, pl.c.township_code, pl.c.code)
    )
    with engine.connect() as conn:
        df = pd.read_sql(stmt, conn)
    df = to_dates(df, ("last_left_on",))
    df["never_filled"] = df["last_left_on"].isna()
    df["vacant_days"] = pd.array(
        [None if v is None else (d - v).days for v in df["last_left_on"]], dtype="Int64"
    )
    return df


def township_vacancies(
    engine: Engine, scope: str, period: str, region: str | None = None
) -> pd.DataFrame:
    """Townships with no active supervisor on D: county_name, township_name, code,
    last_left_on, never_filled, vacant_days (ordered by county and township)."""
    where = narrow_scope(engine, scope, region)
    return _vacancies(engine, where, period_end(period), "supervisor")


def village_vacancies(
    engine: Engine, scope: str, period: str, region: str | None = None
) -> pd.DataFrame:
    """Villages with no active director on D: county_name, township_name, village_name,
    code, last_left_on, never_filled, vacant_days (ordered by county, township, village)."""
    where = narrow_scope(engine, scope, region)
    return _vacancies(engine, where, period_end(period), "director")


# ---------------------------------------------------------------- people (masked)


def certification_violations(
    engine: Engine, scope: str, period: str, region: str | None = None
) -> pd.DataFrame:
    """Staff active on D without a passed initial training on or before D (持证上岗
    violations): the staff roster (queries.records.staff_roster, masked, its columns and
    order) of those only; `failed_initial` says whether they sat and failed one."""
    return records.staff_roster(engine, scope, period, region, uncertified_only=True)


# ---------------------------------------------------------------- turnover


def turnover(engine: Engine, scope: str, period: str) -> pd.DataFrame:
    """Turnover in the 365 days ending D, by role and in total: role (supervisor, director,
    all), headcount_start (active on D − 365), headcount_end (active on D), leavers (left_on
    in the 365 days ending D), average_headcount, turnover (leavers / average; null when the
    average is 0). From panel_counts ('staff')."""
    totals = scope_totals(engine, scope, period, "staff")
    end = {"supervisor": totals["supervisors"], "director": totals["directors"]}
    out = [
        {
            "role": role,
            "headcount_start": int(totals[f"{role}:headcount_start"]),
            "headcount_end": int(end[role]),
            "leavers": int(totals[f"{role}:leavers"]),
        }
        for role in ROLES
    ]
    out.append(
        {
            "role": "all",
            **{k: sum(x[k] for x in out) for k in ("headcount_start", "headcount_end", "leavers")},
        }
    )
    df = pd.DataFrame(out)
    df["average_headcount"] = (df["headcount_start"] + df["headcount_end"]) / 2
    df["turnover"] = safe_rate(df["leavers"].astype(float), df["average_headcount"])
    return df


__all__ = [
    "ROLES",
    "active_on",
    "as_metric",
    "certification_violations",
    "staffing_by_region",
    "township_vacancies",
    "turnover",
    "village_vacancies",
]
