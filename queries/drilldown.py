"""Live indicators below county level (DESIGN.md §4: township and village figures are
computed when a view drills down to them, not stored in the rollup).

The SQL is metric_engine/'s, the same the rollup runs, with each direct child of the
parent (a township of a county, or a village of a township) as a group: so the figures of a
county's townships add up to the county's rollup row, except for records that sit at the
county's own code (cases and their referrals, purchases), which belong to no township.

Omitted metrics, which have no meaning below a county:
- protection_center_ready (a county-level institution) for townships and villages;
- supervisor_coverage (townships with a supervisor) for villages.
"""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Engine, select

from core.metrics import METRIC_CODES
from data.schema import regions
from metric_engine import descendant_units, metric_rows, parse_period, periods_select
from queries.privacy import suppress_small_cells
from queries.regions import ScopeError, require_within

__all__ = ["OMITTED", "ScopeError", "unit_indicators"]

# Metrics left out of the live figures, by the level of the units shown.
OMITTED: dict[str, frozenset[str]] = {
    "township": frozenset({"protection_center_ready"}),
    "village": frozenset({"protection_center_ready", "supervisor_coverage"}),
}
CHILD_LEVEL = {"county": "township", "township": "village"}
COLUMNS = ["code", "name", "metric", "numerator", "denominator", "value"]


def unit_indicators(engine: Engine, scope: str, period: str, parent_code: str) -> pd.DataFrame:
    """Live figures of every direct child (township or village) of `parent_code` (a county
    or a township) for `period` ('YYYY-MM', as of its last day): one row per (code, name,
    metric, numerator, denominator, value, suppressed), children by code, metrics in
    core/metrics.py order. Outside the county's own users a small cell (a case count of 1
    or 2) has no numerator and value and `suppressed` set (queries/privacy.py). Raises ScopeError when the parent is not the scope or under it, ValueError for a
    bad period or a parent that is not a county or township."""
    p = parse_period(period)
    require_within(engine, parent_code, scope)  # ScopeError; an unknown code is outside too
    with engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            # A one-off statement of many small parts: JIT compiling it costs seconds.
            conn.exec_driver_sql("SET LOCAL jit = off")
        level = conn.execute(
            select(regions.c.level).where(regions.c.code == parent_code)
        ).scalar_one()
        scope_level = conn.execute(
            select(regions.c.level).where(regions.c.code == scope)
        ).scalar_one_or_none()
        if level not in CHILD_LEVEL:
            raise ValueError(f"drill-down goes below a county or a township, not a {level}")
        metrics = [m for m in METRIC_CODES if m not in OMITTED[CHILD_LEVEL[level]]]
        kids = select(regions.c.code).where(regions.c.parent_code == parent_code)
        units = descendant_units(kids, "drill_units")
        rows = metric_rows(units, periods_select([p]).subquery("drill_periods"), metrics)
        rows = rows.subquery("drill_rows")
        stmt = select(
            rows.c.group_code.label("code"),
            regions.c.name,
            rows.c.metric,
            rows.c.numerator,
            rows.c.denominator,
            rows.c.value,
        ).join(regions, regions.c.code == rows.c.group_code)
        df = pd.DataFrame(conn.execute(stmt).all(), columns=COLUMNS)
    order = {m: i for i, m in enumerate(METRIC_CODES)}
    df = df.assign(_m=df["metric"].map(order)).sort_values(["code", "_m"]).drop(columns="_m")
    for c in ("numerator", "denominator", "value"):
        df[c] = pd.to_numeric(df[c], errors="coerce").astype(float)
    return suppress_small_cells(df, scope_level).reset_index(drop=True)
