"""县区详情: the gaps of one county — its townships and villages with what each lacks. (The
drill-down's case list and staff roster are the lists of queries/records.py.)

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

import numpy as np
import pandas as pd
from sqlalchemy import Engine, select

from core.metrics import BY_CODE, meets_target
from data.schema import regions
from metric_engine import descendant_units, metric_rows, parse_period, periods_select
from queries.drilldown import unit_indicators
from queries.regions import ScopeError, region, require_within

__all__ = [
    "ScopeError",
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
    no_supervisor, director_gap, home_gap, low_visits, gaps (how many of the four). The case
    counts are NA where a count of 1 or 2 is withheld from a user outside the county
    (queries/privacy.py)."""
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
    for m in ("open_cases", "overdue_cases"):  # small cells withheld: NA (shown "<3")
        hidden = set(long.loc[(long["metric"] == m) & long["suppressed"], "code"])
        out[m] = out[m].astype("Int64").mask(out["code"].isin(hidden))
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
