"""儿童之家 (children's homes) for a scope and a period, computed live from the raw tables.

D is the last day of the period (DESIGN.md §3). On D a home is
- 运营中 (operating): active on D (established_on ≤ D, closed_on null or > D) and its status
  is not `building` — exactly the homes `home_coverage` and `demo_homes` count;
- 已停用 (closed): closed_on ≤ D;
- 筹建中 (building): recorded but not operating on D: status `building`, or established
  after D (a home of the ledger that had not opened yet in that month).
A "paper home" (空壳) is operating on D with no activity in the 90 days ending D
(activity_on > D − 90 and ≤ D). Every function keeps to the scope: records through
`queries.places.places` (the regions at or under it), the regions ranked through
`within_scope`; an optional `region` narrows a list to one region inside the scope
(ScopeError outside it).
"""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
from sqlalchemy import (
    Engine,
    Select,
    case,
    exists,
    func,
    literal,
    select,
)
from sqlalchemy.sql import ColumnElement

from core.periods import period_end
from data.schema import children_homes, home_activities
from metric_engine.panels_places import (
    ACTIVITY_KINDS,
    ACTIVITY_WINDOW_DAYS,
    HOME_STATES,
    home_state,
)
from queries.panels import counts_at, scope_totals, stored_panel
from queries.places import area_columns, int_columns, places, safe_rate, to_dates
from queries.regions import narrow_scope, within_scope

GROUP_LEVELS = ("prefecture", "county", "township")
# The counts of `homes_by_region`, which `totals_from` sums over counties.
COUNTS = (
    "villages",
    "covered",
    "operating",
    "building",
    "closed",
    "demo",
    "paper",
    "activities",
    "participants",
)


# ---------------------------------------------------------------- levels


def _group_level(level: str) -> str:
    if level not in GROUP_LEVELS:
        raise ValueError(f"level must be one of {GROUP_LEVELS}, got {level!r}")
    return level


# ---------------------------------------------------------------- home state on D


def _window_start(d: date, days: int = ACTIVITY_WINDOW_DAYS) -> date:
    return d - timedelta(days=days)


def _days_to(d: date, days: pd.Series) -> pd.api.extensions.ExtensionArray:
    """Days from each date to D (a nullable integer; null where there is no date)."""
    return pd.array([None if v is None else (d - v).days for v in days], dtype="Int64")


def _home_rows(scope: str, d: date) -> Select:
    """One row per home in the scope: where it is, its state on D and whether it held any
    activity in the 90 days ending D."""
    h, a = children_homes, home_activities
    pl = places(scope, "village")
    active = (
        exists()
        .where(
            a.c.home_id == h.c.id,
            a.c.activity_on > _window_start(d),
            a.c.activity_on <= d,
        )
        .correlate(h)
    )
    return select(
        pl.c.village_code,
        pl.c.village_name,
        pl.c.township_code,
        pl.c.township_name,
        pl.c.county_code,
        pl.c.county_name,
        pl.c.prefecture_code,
        pl.c.is_former_poverty_county,
        h.c.id.label("home_id"),
        h.c.name.label("home_name"),
        h.c.is_demonstration,
        h.c.established_on,
        home_state(d).label("state"),
        case((active, 1), else_=0).label("active_90d"),
    ).select_from(h.join(pl, pl.c.code == h.c.village_code))


# ---------------------------------------------------------------- by region


def homes_by_region(engine: Engine, scope: str, period: str, level: str) -> pd.DataFrame:
    """Per region at `level` (prefecture, county or township) in the scope: villages,
    covered villages and coverage; homes by state on D; operating demonstration homes;
    paper homes; activities and participants in the 90 days ending D.

    Columns: code, name, parent_name, is_former_poverty_county, villages, covered, coverage,
    operating, building, closed, demo, demo_per_100_villages, paper, activities,
    participants — and value,
    numerator, denominator (= coverage, covered, villages) so a ranking or map can take it.
    Every region at the level appears, with zeros when it has no homes.

    Counties (and prefectures, as their sums) come from panel_counts ('homes'), a county's
    townships from the same SQL run live over that county (metric_engine/panels_places.py):
    0.54 s at province scale on SQLite before, when every home and activity was scanned."""
    level = _group_level(level)
    regs = within_scope(scope, level).subquery("regs")
    with engine.connect() as conn:
        df = pd.read_sql(select(*area_columns(regs)).order_by(regs.c.code), conn)
    counts = counts_at(engine, scope, period, "homes", level)[["code", *COUNTS]]
    df = df.merge(counts, on="code", how="left")
    df = int_columns(df, COUNTS)
    df["is_former_poverty_county"] = df["is_former_poverty_county"].fillna(False).astype(bool)
    df["coverage"] = safe_rate(df["covered"], df["villages"])
    df["demo_per_100_villages"] = 100 * safe_rate(df["demo"], df["villages"])
    df["value"] = df["coverage"]
    df["numerator"] = df["covered"].astype(float)
    df["denominator"] = df["villages"].astype(float)
    return df


# ---------------------------------------------------------------- demonstration homes


def poverty_split(by_county: pd.DataFrame) -> pd.DataFrame:
    """Operating demonstration homes in former poverty counties and in the others, from a
    `homes_by_region(..., "county")` frame (the policy asks for them to be prioritised in the
    former): two rows, former_poverty True then False, with counties, villages, operating,
    demo, demo_share (of all demo homes; null when there are none) and
    demo_per_100_villages (null without villages)."""
    rows = []
    total = int(by_county["demo"].sum())
    for flag in (True, False):
        part = by_county[by_county["is_former_poverty_county"] == flag]
        villages, demo = int(part["villages"].sum()), int(part["demo"].sum())
        rows.append(
            {
                "former_poverty": flag,
                "counties": len(part),
                "villages": villages,
                "operating": int(part["operating"].sum()),
                "demo": demo,
                "demo_share": demo / total if total else None,
                "demo_per_100_villages": 100 * demo / villages if villages else None,
            }
        )
    df = pd.DataFrame(rows)
    for c in ("demo_share", "demo_per_100_villages"):
        df[c] = df[c].astype(float)
    return df


def demo_by_poverty(engine: Engine, scope: str, period: str) -> pd.DataFrame:
    """`poverty_split` of the scope's counties on D."""
    return poverty_split(homes_by_region(engine, scope, period, "county"))


def totals_from(by_county: pd.DataFrame) -> dict:
    """Scope totals from a `homes_by_region(..., "county")` frame: the counts summed, plus
    uncovered villages, coverage, paper_share (paper / operating), demo_poverty (demo homes
    in former poverty counties) and demo_poverty_share (of all demo homes); shares are None
    with a zero denominator."""
    out = {c: int(by_county[c].sum()) for c in COUNTS}
    out["uncovered"] = out["villages"] - out["covered"]
    out["coverage"] = out["covered"] / out["villages"] if out["villages"] else None
    out["paper_share"] = out["paper"] / out["operating"] if out["operating"] else None
    split = poverty_split(by_county)
    out["demo_poverty"] = int(split.loc[0, "demo"])
    out["demo_poverty_share"] = (
        None if pd.isna(split.loc[0, "demo_share"]) else float(split.loc[0, "demo_share"])
    )
    return out


def home_totals(engine: Engine, scope: str, period: str) -> dict:
    """`totals_from` the scope's counties on D (the live KPI figures of the view)."""
    return totals_from(homes_by_region(engine, scope, period, "county"))


# ---------------------------------------------------------------- activity


def activities_by_kind(engine: Engine, scope: str, period: str) -> pd.DataFrame:
    """Activities in the 90 days ending D by kind (every kind, zeros included): kind,
    activities, participants, homes (distinct homes that held one). From panel_counts
    ('homes'; a home lies in one county, so its counties' homes add up)."""
    totals = scope_totals(engine, scope, period, "homes")
    return pd.DataFrame(
        [
            {
                "kind": k,
                "activities": int(totals[f"{k}:activities"]),
                "participants": int(totals[f"{k}:participants"]),
                "homes": int(totals[f"{k}:homes"]),
            }
            for k in ACTIVITY_KINDS
        ]
    )


def paper_homes(engine: Engine, scope: str, period: str, region: str | None = None) -> pd.DataFrame:
    """Homes operating on D with no activity in the 90 days ending D (空壳), ordered by
    county, township, village: county_name, township_name, village_name, village_code,
    home_id, home_name, is_demonstration, established_on, last_activity_on (the latest
    activity on or before D, null when it never held one), days_idle (D − that date; null
    when never) and days_operating (D − established_on: a home open for less than 90 days
    is listed too, and this says so)."""
    d = period_end(period)
    where = narrow_scope(engine, scope, region)
    rows = _home_rows(where, d).subquery("home_rows")
    a = home_activities
    last = (
        select(func.max(a.c.activity_on))
        .where(a.c.home_id == rows.c.home_id, a.c.activity_on <= d)
        .scalar_subquery()
    )
    stmt = (
        select(
            rows.c.county_name,
            rows.c.township_name,
            rows.c.village_name,
            rows.c.village_code,
            rows.c.home_id,
            rows.c.home_name,
            rows.c.is_demonstration,
            rows.c.established_on,
            last.label("last_activity_on"),
        )
        .where(rows.c.state == "operating", rows.c.active_90d == 0)
        .order_by(rows.c.county_code, rows.c.township_code, rows.c.village_code, rows.c.home_id)
    )
    with engine.connect() as conn:
        df = pd.read_sql(stmt, conn)
    df = to_dates(df, ("established_on", "last_activity_on"))
    df["is_demonstration"] = df["is_demonstration"].astype(bool)
    df["days_idle"] = _days_to(d, df["last_activity_on"])
    df["days_operating"] = _days_to(d, df["established_on"])
    return df


# ---------------------------------------------------------------- villages without a home


def villages_without_home(
    engine: Engine, scope: str, period: str, region: str | None = None
) -> pd.DataFrame:
    """Villages with no operating home on D, ordered by county, township, village:
    county_name, township_name, village_name, village_code, village_kind (village or
    community) and home_state — 'building' when a home there is 筹建中 on D, else 'closed'
    when one closed on or before D, else 'none' (never had one)."""
    d = period_end(period)
    where = narrow_scope(engine, scope, region)
    pl = places(where, "village")
    h = children_homes
    state = home_state(d)

    def any_home(cond: ColumnElement) -> ColumnElement:
        return exists().where(h.c.village_code == pl.c.code, cond).correlate(pl)

    stmt = (
        select(
            pl.c.county_name,
            pl.c.township_name,
            pl.c.village_name,
            pl.c.code.label("village_code"),
            pl.c.kind.label("village_kind"),
            case(
                (any_home(state == "building"), literal("building")),
                (any_home(state == "closed"), literal("closed")),
                else_=literal("none"),
            ).label("home_state"),
        )
        .where(~any_home(state == "operating"))
        .order_by(pl.c.county_code, pl.c.township_code, pl.c.code)
    )
    with engine.connect() as conn:
        return pd.read_sql(stmt, conn)


def uncovered_townships(
    engine: Engine, scope: str, period: str, region: str | None = None
) -> pd.DataFrame:
    """Townships with at least one village without an operating home on D, most uncovered
    first: code, name (township), parent_name (county), villages, covered, uncovered,
    coverage. Read from panel_counts ('township_homes', written per township), so the
    province's list costs its 1,580 townships' rows, not a scan of every home (0.66 s)."""
    where = narrow_scope(engine, scope, region)
    regs = within_scope(where, "township").subquery("regs")
    with engine.connect() as conn:
        df = pd.read_sql(
            select(regs.c.code, regs.c.name, regs.c.parent_name).order_by(regs.c.code), conn
        )
    counts = stored_panel(engine, where, period, "township_homes")
    df = int_columns(df.merge(counts, on="code", how="left"), ("villages", "covered"))
    df["coverage"] = safe_rate(df["covered"], df["villages"])
    df["uncovered"] = df["villages"] - df["covered"]
    df = df[df["uncovered"] > 0]
    cols = ["code", "name", "parent_name", "villages", "covered", "uncovered", "coverage"]
    return df.sort_values(["uncovered", "code"], ascending=[False, True])[cols].reset_index(
        drop=True
    )


__all__ = [
    "ACTIVITY_KINDS",
    "ACTIVITY_WINDOW_DAYS",
    "HOME_STATES",
    "activities_by_kind",
    "demo_by_poverty",
    "home_state",
    "home_totals",
    "homes_by_region",
    "paper_homes",
    "period_end",
    "poverty_split",
    "totals_from",
    "uncovered_townships",
    "villages_without_home",
]
