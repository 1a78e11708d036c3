"""个案与关爱 (DESIGN.md §5 view 4), the cases: the pipeline by stage and risk, open and overdue
cases by area with their ageing, and sources. The masked list of overdue cases is
queries/records.py `case_list`; referrals and closure times are in queries/referrals.py, the
care actions in queries/care.py.

Every function takes the user's scope and a period 'YYYY-MM' (and optionally a `region` inside
the scope); D is the period's last day and "active on D" follows DESIGN.md §3. A case may sit
at a county, township or village code: `scope_areas` maps it to its county and township. "The
last 12 months" is the 12 calendar months ending with the period (2025-11-01 … 2026-10-31 for
2026-10). No Streamlit here; frames carry English column names and codes (the page labels
them), and personal data leaves only masked.
"""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Engine

from data.labels import CASE_SOURCE, RISK_LEVEL
from metric_engine.panels import OPEN_STAGES
from queries.live import DAY_BUCKETS, areas_at, attach_counts, region_label, window_start
from queries.panels import area_panel, scope_totals
from queries.privacy import small_count
from queries.regions import ScopeError, narrow_scope

__all__ = [
    "AGE_BUCKETS",
    "CASE_SOURCE",
    "STAGES",
    "ScopeError",
    "case_pipeline",
    "case_sources",
    "open_case_ageing",
    "open_cases_by_area",
    "unit_metric",
    "window_start",
]

STAGES = (*OPEN_STAGES, "closed")  # 受理 → 评估 → 处置 → 结案
AGE_BUCKETS = DAY_BUCKETS  # days since received_on on D


# --------------------------------------------------------------------------- cases


def case_pipeline(
    engine: Engine, scope: str, period: str, region: str | None = None
) -> pd.DataFrame:
    """Stage × risk level: cases active on D by their stage on D (受理, 评估, 处置) and cases
    closed within the period (结案). Every stage × risk pair is present (0 when none);
    the active stages sum to `open_cases`. From panel_counts ('cases')."""
    scope = narrow_scope(engine, scope, region)
    totals = scope_totals(engine, scope, period, "cases")
    return pd.DataFrame(
        [
            {"stage": s, "risk_level": r, "cases": int(totals[f"{s}:{r}"])}
            for s in STAGES
            for r in RISK_LEVEL
        ]
    )


def open_cases_by_area(
    engine: Engine, scope: str, period: str, level: str = "county", region: str | None = None
) -> pd.DataFrame:
    """One row per county (or township) of the scope: open_cases (active on D),
    overdue_cases (active, due_on < D), high_risk_open, the ageing buckets of AGE_BUCKETS and
    abuse_open (open 遭受侵害 cases). In a township table abuse_open is text via
    `small_count` ('<5'), so small counts of abuse never leave below county level, and cases
    registered at the county code itself form a '<county>本级' row. Counties from
    panel_counts ('cases'), townships live (queries/panels.py)."""
    scope = narrow_scope(engine, scope, region)
    columns = [
        "open_cases",
        "overdue_cases",
        "high_risk_open",
        *(b[0] for b in AGE_BUCKETS),
        "abuse_open",
    ]
    counts = area_panel(engine, scope, period, "cases", level)[["code", *columns]]
    own = region_label(engine, scope) if level == "township" else None
    out = attach_counts(areas_at(engine, scope, level), counts, columns, own)
    if level == "township":
        out["abuse_open"] = out["abuse_open"].map(small_count)
    return out


def open_case_ageing(
    engine: Engine, scope: str, period: str, region: str | None = None
) -> pd.DataFrame:
    """Open cases on D per ageing bucket (bucket, cases, high_risk), AGE_BUCKETS order. From
    panel_counts ('cases')."""
    scope = narrow_scope(engine, scope, region)
    totals = scope_totals(engine, scope, period, "cases")
    return pd.DataFrame(
        [
            {"bucket": b, "cases": int(totals[b]), "high_risk": int(totals[f"high:{b}"])}
            for b, _lo, _hi in AGE_BUCKETS
        ]
    )


def case_sources(
    engine: Engine, scope: str, period: str, region: str | None = None
) -> pd.DataFrame:
    """Cases received per source (CASE_SOURCE order): in the period (period_cases) and in
    the last 12 months (cases_12m). From panel_counts ('cases')."""
    scope = narrow_scope(engine, scope, region)
    totals = scope_totals(engine, scope, period, "cases")
    return pd.DataFrame(
        [
            {
                "source": s,
                "period_cases": int(totals[f"period:{s}"]),
                "cases_12m": int(totals[f"12m:{s}"]),
            }
            for s in CASE_SOURCE
        ]
    )


def unit_metric(units: pd.DataFrame, metric: str, parent_name: str) -> pd.DataFrame:
    """One metric of `queries.drilldown.unit_indicators` (live township figures) in the shape
    of `queries.indicators.metric_by_region` (code, name, parent_name, value, numerator,
    denominator), for the ranking of a county's townships."""
    part = units[units["metric"] == metric]
    out = part[["code", "name", "value", "numerator", "denominator"]].copy()
    out.insert(2, "parent_name", parent_name)
    out["is_former_poverty_county"] = False
    return out.reset_index(drop=True)
