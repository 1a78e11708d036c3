"""The panels of metric_engine/panels.py computed the naive way: pandas over the raw tables, as
of D, straight from DESIGN §3–§4's wording (no month indexes, no SQL beyond reading rows). It
checks the rollup's `panel_counts` independently (tests/test_panels.py, both backends)."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Engine

from bench.naive import _active, _scan, ancestors
from core.periods import parse_period
from data import schema as s
from data.labels import ACTION_TYPE


def _county_of(engine: Engine) -> pd.Series:
    """Every region code → its county (NaN above a county)."""
    return ancestors(_scan(engine, s.regions, ["code", "level", "parent_code"]))["county"]


def care(engine: Engine, period: str) -> pd.DataFrame:
    """Per county: active children, per action type the active children with an active action
    of that type, and those with any."""
    d = pd.Timestamp(parse_period(period).d_end)
    county = _county_of(engine)
    kids = _scan(
        engine,
        s.children,
        ["id", "village_code", "registered_on", "exited_on"],
        lambda df: df[_active(df, "registered_on", "exited_on", d)],
        ("registered_on", "exited_on"),
    )
    kids["county"] = kids["village_code"].map(county)
    acts = _scan(
        engine,
        s.care_actions,
        ["child_id", "action_type", "started_on", "ended_on"],
        lambda df: df[_active(df, "started_on", "ended_on", d)],
        ("started_on", "ended_on"),
    ).merge(kids[["id", "county"]], left_on="child_id", right_on="id")
    out = pd.DataFrame({"children_active": kids.groupby("county")["id"].nunique()})
    for t in ACTION_TYPE:
        out[t] = acts[acts["action_type"] == t].groupby("county")["child_id"].nunique()
    out["any_action"] = acts.groupby("county")["child_id"].nunique()
    return out


PANELS = {"care": care}


def panels(engine: Engine, period: str) -> dict[str, pd.DataFrame]:
    """Every panel's naive figures per county (counties with nothing may be absent)."""
    return {name: fn(engine, period).fillna(0).astype(int) for name, fn in PANELS.items()}
