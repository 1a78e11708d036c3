"""县区详情: one county (or prefecture) in detail — its townships and villages with their gaps,
its open and overdue cases, its staff roster. Personal data leaves only masked.

Township figures are `queries.drilldown.unit_indicators` (the rollup's SQL, run live). Village
figures use the same SQL (metric_engine/) with every village of the county as a group
in one statement: calling `unit_indicators` once per township would cost a county of 26
townships about four seconds instead of one.

Gaps (缺口), as of D, the period's last day:
  township: no active supervisor (无督导员); villages without an active director; villages
  without an operating children's home; visit rate of the last 90 days below its target;
  village: no active director (无儿童主任), no operating home (无儿童之家), visit rate below
  the target (探访率低; a village without registered children has no rate and no such gap).
"""

from __future__ import annotations

from datetime import date, timedelta
from itertools import pairwise

import numpy as np
import pandas as pd
from sqlalchemy import Date, Engine, and_, exists, func, or_, select

from core.activity import active_on
from core.metrics import BY_CODE, meets_target
from data.schema import cases, children, regions, staff, trainings
from metric_engine import descendant_units, metric_rows, parse_period, periods_select
from queries.drilldown import unit_indicators
from queries.privacy import mask_name, mask_phone
from queries.regions import ScopeError, region, require_within

__all__ = [
    "ScopeError",
    "case_list",
    "cases_where",
    "codes_under",
    "open_on",
    "overdue_on",
    "staff_roster",
    "township_gaps",
    "village_gaps",
    "visit_target",
]

VILLAGE_METRICS = ("home_coverage", "director_coverage", "visit_rate_90d", "children_active")


def visit_target() -> float | None:
    """The visit-rate target below which a township or village has a visit gap."""
    return BY_CODE["visit_rate_90d"].target


def _low(rate: pd.Series, target: float | None) -> pd.Series:
    """Rate below the visit target (core/metrics.py `meets_target`, the one comparison); a
    missing rate (no children) is no gap."""
    m = BY_CODE["visit_rate_90d"]
    missed = [meets_target(m, None if pd.isna(v) else float(v), target) is False for v in rate]
    return pd.Series(missed, index=rate.index, dtype=bool)


def _county(engine: Engine, scope: str, code: str) -> dict:
    require_within(engine, code, scope)
    found = region(engine, code)
    if found is None or found["level"] != "county":
        raise ValueError(f"{code} is not a county")
    return found


def _wide(long: pd.DataFrame, metrics: tuple[str, ...]) -> pd.DataFrame:
    """(code, name, metric, numerator, denominator, value) rows → one row per code with
    `<metric>`, `<metric>__n`, `<metric>__d` columns."""
    if long.empty:
        cols = ["code", "name"] + [f"{m}{s}" for m in metrics for s in ("", "__n", "__d")]
        return pd.DataFrame(columns=cols)
    wide = long.set_index(["code", "name", "metric"])[["numerator", "denominator", "value"]]
    wide = wide[~wide.index.duplicated()].unstack("metric")
    out = pd.DataFrame(index=wide.index)
    for m in metrics:
        num = wide["numerator"].get(m, np.nan)
        val = wide["value"].get(m, np.nan)
        out[m] = num if BY_CODE[m].is_total else val
        out[f"{m}__n"] = num
        out[f"{m}__d"] = wide["denominator"].get(m, np.nan)
    return out.reset_index().sort_values("code").reset_index(drop=True)


TOWNSHIP_METRICS = (
    "supervisor_coverage",
    "director_coverage",
    "home_coverage",
    "visit_rate_90d",
    "children_active",
    "open_cases",
    "overdue_cases",
    "trained_12m",
)


def township_gaps(engine: Engine, scope: str, period: str, county: str) -> pd.DataFrame:
    """Every township of the county with its live figures and gaps, by code.

    Columns: code, name, villages, has_supervisor, villages_without_director,
    villages_without_home, visit_rate, children, open_cases, overdue_cases, trained_12m,
    no_supervisor, director_gap, home_gap, low_visits, gaps (how many of the four)."""
    _county(engine, scope, county)
    long = unit_indicators(engine, scope, period, county)
    w = _wide(long, TOWNSHIP_METRICS)
    out = pd.DataFrame({"code": w["code"], "name": w["name"]})
    villages = pd.to_numeric(w["director_coverage__d"], errors="coerce")
    out["villages"] = villages.fillna(0).astype(int)
    sup = pd.to_numeric(w["supervisor_coverage__n"], errors="coerce").fillna(0)
    out["has_supervisor"] = sup > 0
    out["villages_without_director"] = (
        (villages - pd.to_numeric(w["director_coverage__n"], errors="coerce")).fillna(0).astype(int)
    )
    out["villages_without_home"] = (
        (pd.to_numeric(w["home_coverage__d"], errors="coerce") - w["home_coverage__n"])
        .fillna(0)
        .astype(int)
    )
    out["visit_rate"] = pd.to_numeric(w["visit_rate_90d"], errors="coerce").astype(float)
    for m in ("children_active", "open_cases", "overdue_cases"):
        out[m if m != "children_active" else "children"] = (
            pd.to_numeric(w[m], errors="coerce").fillna(0).astype(int)
        )
    out["trained_12m"] = pd.to_numeric(w["trained_12m"], errors="coerce").astype(float)
    out["no_supervisor"] = ~out["has_supervisor"]
    out["director_gap"] = out["villages_without_director"] > 0
    out["home_gap"] = out["villages_without_home"] > 0
    out["low_visits"] = _low(out["visit_rate"], visit_target())
    flags = ["no_supervisor", "director_gap", "home_gap", "low_visits"]
    out["gaps"] = out[flags].sum(axis=1).astype(int)
    return out


def village_gaps(engine: Engine, scope: str, period: str, county: str) -> pd.DataFrame:
    """Every village of the county with its live figures and gaps, by code.

    Columns: code, name, township_code, township_name, has_director, has_home, visit_rate,
    children, no_director, no_home, low_visits, gaps (how many of the three)."""
    _county(engine, scope, county)
    p = parse_period(period)
    towns = select(regions.c.code).where(regions.c.parent_code == county)
    kids = select(regions.c.code).where(
        regions.c.parent_code.in_(towns), regions.c.level == "village"
    )
    units = descendant_units(kids, "village_units")
    rows = metric_rows(
        units, periods_select([p]).subquery("village_periods"), VILLAGE_METRICS
    ).subquery("village_rows")
    town = regions.alias("town")
    stmt = (
        select(
            rows.c.group_code.label("code"),
            regions.c.name,
            town.c.code.label("township_code"),
            town.c.name.label("township_name"),
            rows.c.metric,
            rows.c.numerator,
            rows.c.denominator,
            rows.c.value,
        )
        .join(regions, regions.c.code == rows.c.group_code)
        .join(town, town.c.code == regions.c.parent_code)
    )
    with engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql("SET LOCAL jit = off")  # see queries/drilldown.py
        long = pd.DataFrame(
            conn.execute(stmt).all(),
            columns=[
                "code",
                "name",
                "township_code",
                "township_name",
                "metric",
                "numerator",
                "denominator",
                "value",
            ],
        )
    for c in ("numerator", "denominator", "value"):
        long[c] = pd.to_numeric(long[c], errors="coerce").astype(float)
    towns_of = long.drop_duplicates("code").set_index("code")[["township_code", "township_name"]]
    w = _wide(
        long[["code", "name", "metric", "numerator", "denominator", "value"]], VILLAGE_METRICS
    )
    out = pd.DataFrame({"code": w["code"], "name": w["name"]})
    out["township_code"] = out["code"].map(towns_of["township_code"])
    out["township_name"] = out["code"].map(towns_of["township_name"])
    out["has_director"] = pd.to_numeric(w["director_coverage__n"], errors="coerce").fillna(0) > 0
    out["has_home"] = pd.to_numeric(w["home_coverage__n"], errors="coerce").fillna(0) > 0
    out["visit_rate"] = pd.to_numeric(w["visit_rate_90d"], errors="coerce").astype(float)
    out["children"] = pd.to_numeric(w["children_active"], errors="coerce").fillna(0).astype(int)
    out["no_director"] = ~out["has_director"]
    out["no_home"] = ~out["has_home"]
    out["low_visits"] = _low(out["visit_rate"], visit_target())
    out["gaps"] = out[["no_director", "no_home", "low_visits"]].sum(axis=1).astype(int)
    return out


# ---------------------------------------------------------------- cases and staff


def _places() -> tuple[list, object, object]:
    """Ancestor aliases of a record's region (itself, parent, grandparent, great-grand-
    parent) so that its county, township and village names can be read off by level:
    (name and level columns, the join, the record's own region alias)."""
    chain = [regions.alias(f"place{i}") for i in range(4)]
    joined = chain[0]
    for child, parent in pairwise(chain):
        joined = joined.outerjoin(parent, parent.c.code == child.c.parent_code)
    cols = []
    for i, a in enumerate(chain):
        cols += [a.c.level.label(f"lv{i}"), a.c.name.label(f"nm{i}")]
    return cols, joined, chain[0]


def _names_by_level(row: dict) -> dict:
    out = {"county_name": None, "township_name": None, "village_name": None}
    for i in range(4):
        lv = row.pop(f"lv{i}")
        nm = row.pop(f"nm{i}")
        if lv in ("county", "township", "village"):
            out[f"{lv}_name"] = nm
    return out


def _under(engine: Engine, scope: str, code: str) -> dict:
    """The region (county or prefecture) a list is for, checked against the scope."""
    require_within(engine, code, scope)
    found = region(engine, code)
    if found is None or found["level"] not in ("prefecture", "county"):
        raise ValueError(f"{code} is not a prefecture or county")
    return found


def codes_under(code: str):
    """Codes at or under `code` (the region tree via parent_code, at most four levels)."""
    return select(
        descendant_units(select(regions.c.code).where(regions.c.code == code), "lst").c.leaf_code
    )


CASE_COLUMNS = [
    "id",
    "county_name",
    "township_name",
    "village_name",
    "child_name",
    "child_category",
    "source",
    "concern",
    "risk_level",
    "stage",
    "received_on",
    "due_on",
    "days_open",
    "overdue",
    "days_overdue",
]


def case_list(
    engine: Engine, scope: str, period: str, region_code: str, overdue_only: bool = False
) -> pd.DataFrame:
    """Cases open on D (active per DESIGN.md §3) at or under a county or prefecture,
    overdue ones first (most days overdue first), then high risk first, then oldest.

    `stage` is the case's stage on D: its recorded status, except that a case closed after D
    was still being handled on D (shown as in_progress). The child's name is masked."""
    d = parse_period(period).d_end
    _under(engine, scope, region_code)
    cond = [open_on(d), cases.c.region_code.in_(codes_under(region_code))]
    if overdue_only:
        cond.append(cases.c.due_on < d)
    return cases_where(engine, d, *cond)


def open_on(d: date):
    """A case active on D: received on or before D, not closed on or before D."""
    return active_on(cases.c.received_on, cases.c.closed_on, d)


def overdue_on(d: date):
    """A case active on D whose due date is before D."""
    return and_(open_on(d), cases.c.due_on < d)


def cases_where(engine: Engine, d: date, *conditions) -> pd.DataFrame:
    """Masked case rows (CASE_COLUMNS) meeting `conditions`, their ages counted at D; overdue
    first (most days overdue first), then high risk first, then oldest, then id."""
    c, ch = cases, children
    cols, places, place = _places()
    stmt = (
        select(
            c.c.id,
            c.c.source,
            c.c.concern,
            c.c.risk_level,
            c.c.status,
            c.c.received_on,
            c.c.due_on,
            ch.c.name.label("child_name"),
            ch.c.category.label("child_category"),
            *cols,
        )
        .select_from(
            c.join(places, place.c.code == c.c.region_code).outerjoin(ch, ch.c.id == c.c.child_id)
        )
        .where(*conditions)
    )
    with engine.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(stmt)]
    out = []
    for r in rows:
        names = _names_by_level(r)
        due = _as_date(r["due_on"])
        received = _as_date(r["received_on"])
        overdue = due is not None and due < d
        out.append(
            {
                "id": r["id"],
                **names,
                "child_name": mask_name(r["child_name"]),
                "child_category": r["child_category"],
                "source": r["source"],
                "concern": r["concern"],
                "risk_level": r["risk_level"],
                "stage": "in_progress" if r["status"] == "closed" else r["status"],
                "received_on": received,
                "due_on": due,
                "days_open": (d - received).days,
                "overdue": overdue,
                "days_overdue": (d - due).days if overdue else None,
            }
        )
    df = pd.DataFrame(out, columns=CASE_COLUMNS)
    df["days_overdue"] = pd.array(df["days_overdue"], dtype="Int64")
    if df.empty:
        return df
    risk = {"high": 0, "medium": 1, "low": 2}
    df = df.assign(
        _o=~df["overdue"].astype(bool),
        _d=-pd.to_numeric(df["days_overdue"], errors="coerce").fillna(-1),
        _r=df["risk_level"].map(risk).fillna(3),
    )
    df = df.sort_values(["_o", "_d", "_r", "received_on", "id"], kind="stable")
    return df.drop(columns=["_o", "_d", "_r"]).reset_index(drop=True)


def _as_date(x) -> date | None:
    if x is None:
        return None
    if isinstance(x, date):
        return x
    return date.fromisoformat(str(x)[:10])


STAFF_COLUMNS = [
    "id",
    "role",
    "name",
    "gender",
    "phone",
    "county_name",
    "township_name",
    "village_name",
    "is_female_committee_member",
    "is_dedicated",
    "is_registered",
    "certified",
    "trained_12m",
    "last_trained_on",
    "appointed_on",
    "info_updated_on",
]


def staff_roster(engine: Engine, scope: str, period: str, region_code: str) -> pd.DataFrame:
    """Supervisors and directors active on D at or under a county or prefecture: masked name
    and phone, where they serve, their flags, whether certified (a passed initial training on
    or before D) and trained in the 365 days ending D, the last passed training. Ordered by
    county, township, role (supervisors first), village, id."""
    d = parse_period(period).d_end
    _under(engine, scope, region_code)
    s, t = staff, trainings
    cols, places, place = _places()
    window_start = d - timedelta(days=BY_CODE["trained_12m"].window_days)
    passed = and_(t.c.staff_id == s.c.id, t.c.passed, t.c.trained_on <= d)
    certified = exists().where(passed, t.c.kind == "initial")
    recent = exists().where(passed, t.c.trained_on > window_start)
    last = (
        select(func.max(t.c.trained_on, type_=Date))
        .where(passed)
        .scalar_subquery()
        .label("last_trained_on")
    )
    stmt = (
        select(
            s.c.id,
            s.c.role,
            s.c.name,
            s.c.gender,
            s.c.phone,
            s.c.region_code,
            s.c.is_female_committee_member,
            s.c.is_dedicated,
            s.c.is_registered,
            certified.label("certified"),
            recent.label("trained_12m"),
            last,
            s.c.appointed_on,
            s.c.info_updated_on,
            *cols,
        )
        .select_from(s.join(places, place.c.code == s.c.region_code))
        .where(
            s.c.appointed_on <= d,
            or_(s.c.left_on.is_(None), s.c.left_on > d),
            s.c.region_code.in_(codes_under(region_code)),
        )
    )
    with engine.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(stmt)]
    out = []
    for r in rows:
        names = _names_by_level(r)
        out.append(
            {
                "id": r["id"],
                "role": r["role"],
                "name": mask_name(r["name"]),
                "gender": r["gender"],
                "phone": mask_phone(r["phone"]),
                **names,
                "is_female_committee_member": bool(r["is_female_committee_member"]),
                "is_dedicated": bool(r["is_dedicated"]),
                "is_registered": bool(r["is_registered"]),
                "certified": bool(r["certified"]),
                "trained_12m": bool(r["trained_12m"]),
                "last_trained_on": _as_date(r["last_trained_on"]),
                "appointed_on": _as_date(r["appointed_on"]),
                "info_updated_on": _as_date(r["info_updated_on"]),
                "_code": r["region_code"],
            }
        )
    df = pd.DataFrame(out, columns=[*STAFF_COLUMNS, "_code"])
    if df.empty:
        return df.drop(columns="_code")
    role = {"supervisor": 0, "director": 1}
    df = df.assign(
        _t=df["_code"].str[:9], _r=df["role"].map(role).fillna(2), _c=df["_code"].str[:6]
    )
    df = df.sort_values(["_c", "_t", "_r", "_code", "id"], kind="stable")
    return df.drop(columns=["_t", "_r", "_c", "_code"]).reset_index(drop=True)
