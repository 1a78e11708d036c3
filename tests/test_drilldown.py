"""Live township and village figures (queries/drilldown.py) on the hand-made province of
test_metrics.py, period 2026-03 (D = 2026-03-31)."""

from __future__ import annotations

import pandas as pd
import pytest
from sqlalchemy import Engine

from core.metrics import METRIC_CODES
from data.rollup import refresh
from queries.drilldown import OMITTED, ScopeError, unit_indicators
from tests.test_metrics import (
    A1,
    A2,
    B1,
    T1,
    T2,
    V11,
    V12,
    A,
    B,
    P,
    assert_row,
    load_fixture,
    snapshots,
)

PERIOD = "2026-03"

# (numerator, denominator) by township of A1, worked out from test_metrics.py's records.
# T1 = T1 + V11 + V12; T2 = T2 + V21.
TOWNSHIPS = {
    "home_coverage": {T1: (1, 2), T2: (1, 1)},  # V11 (H2 from D); V21 (H5)
    "demo_homes": {T1: (0, None), T2: (1, None)},  # H5
    "supervisor_coverage": {T1: (1, 1), T2: (0, 1)},  # S1; S2 left on D
    "director_coverage": {T1: (2, 2), T2: (0, 1)},  # S4, S5; S6 not yet
    "female_director_share": {T1: (1, 2), T2: (0, 0)},  # S4 of S4, S5
    "dedicated_share": {T1: (3, 3), T2: (0, 0)},  # S1, S4, S5
    "certified_rate": {T1: (2, 3), T2: (0, 0)},  # S1, S4
    "trained_12m": {T1: (2, 3), T2: (0, 0)},  # S4, S5 (S1's is 365 days back)
    "registered_rate": {T1: (2, 3), T2: (0, 0)},  # S1, S4
    "children_active": {T1: (2, None), T2: (1, None)},  # C1, C3; C4
    "children_left_behind": {T1: (2, None), T2: (0, None)},
    "children_difficulty": {T1: (0, None), T2: (1, None)},
    "children_unguarded": {T1: (1, None), T2: (0, None)},  # C3
    "visit_rate_90d": {T1: (2, 2), T2: (0, 1)},  # C1, C3; C4's visit is 90 days back
    "care_coverage": {T1: (2, 2), T2: (0, 1)},  # C1, C3; C4's ends on D
    "open_cases": {T1: (2, None), T2: (0, None)},  # K1 (village), K2 (township)
    "overdue_cases": {T1: (1, None), T2: (0, None)},  # K1
    "case_closure_days": {T1: (0, 0), T2: (21, 1)},  # K5; K4 closed 02-28
    "referral_timely": {T1: (1, 3), T2: (0, 0)},  # R1 of R1, R2, R3 (R3 known: 11 days back)
    "referral_pending": {T1: (0, None), T2: (0, None)},
    "purchase_yuan": {T1: (1000.0, None), T2: (0, None)},  # U4 at T1
}
# Villages of T1.
VILLAGES = {
    "home_coverage": {V11: (1, 1), V12: (0, 1)},
    "demo_homes": {V11: (0, None), V12: (0, None)},
    "director_coverage": {V11: (1, 1), V12: (1, 1)},
    "female_director_share": {V11: (1, 1), V12: (0, 1)},
    "dedicated_share": {V11: (1, 1), V12: (1, 1)},
    "certified_rate": {V11: (1, 1), V12: (0, 1)},
    "trained_12m": {V11: (1, 1), V12: (1, 1)},
    "registered_rate": {V11: (1, 1), V12: (0, 1)},
    "children_active": {V11: (1, None), V12: (1, None)},  # C1; C3
    "children_left_behind": {V11: (1, None), V12: (1, None)},
    "children_difficulty": {V11: (0, None), V12: (0, None)},
    "children_unguarded": {V11: (0, None), V12: (1, None)},
    "visit_rate_90d": {V11: (1, 1), V12: (1, 1)},
    "care_coverage": {V11: (1, 1), V12: (1, 1)},
    "open_cases": {V11: (1, None), V12: (0, None)},  # K1
    "overdue_cases": {V11: (1, None), V12: (0, None)},
    "case_closure_days": {V11: (0, 0), V12: (0, 0)},
    "referral_timely": {V11: (1, 2), V12: (0, 0)},  # R1 of R1, R2; R4 is February's
    "referral_pending": {V11: (0, None), V12: (0, None)},
    "purchase_yuan": {V11: (0, None), V12: (0, None)},
}
# What sits at A1's own code and so belongs to no township: K3 (closed 03-01 after 28 days),
# its referral R7 (timely) and purchase U3 (1234.56).
COUNTY_LEVEL_ONLY = {
    "case_closure_days": (28, 1),
    "referral_timely": (1, 1),
    "purchase_yuan": (1234.56, 0),
}


@pytest.fixture
def loaded(engine: Engine) -> Engine:
    load_fixture(engine)
    refresh(engine)
    return engine


def _as_dict(df: pd.DataFrame) -> dict[tuple[str, str], tuple]:
    return {
        (r.code, r.metric): tuple(
            None if pd.isna(x) else x for x in (r.numerator, r.denominator, r.value)
        )
        for r in df.itertuples()
    }


def _check(df: pd.DataFrame, expected: dict) -> None:
    got = _as_dict(df)
    for metric, by_code in expected.items():
        for code, (num, den) in by_code.items():
            assert_row(got.get((code, metric)), num, den, f"{metric} {code}")


COLUMNS = ["code", "name", "metric", "numerator", "denominator", "value", "suppressed"]


def test_townships_of_a_county(loaded):
    df = unit_indicators(loaded, A1, PERIOD, A1)  # the county's own user: every figure
    assert list(df.columns) == COLUMNS
    assert not df["suppressed"].any()
    assert sorted(set(df.code)) == [T1, T2]
    assert dict(zip(df.code, df.name, strict=True)) == {T1: "公园街道", T2: "豫章街道"}
    shown = [m for m in METRIC_CODES if m not in OMITTED["township"]]
    assert list(df[df.code == T1].metric) == shown  # metrics in core/metrics.py order
    assert set(TOWNSHIPS) == set(shown)
    _check(df, TOWNSHIPS)


def test_villages_of_a_township(loaded):
    df = unit_indicators(loaded, A1, PERIOD, T1)  # a county user drilling into a township
    assert sorted(set(df.code)) == [V11, V12]
    assert set(df.metric) == set(VILLAGES)
    assert "supervisor_coverage" not in set(df.metric)
    assert "protection_center_ready" not in set(df.metric)
    _check(df, VILLAGES)


def test_townships_add_up_to_the_rollup_county_row(loaded):
    """Summing the townships' numerators and denominators gives the rollup's A1 row, except
    for the records at A1's own code, which belong to no township."""
    df = unit_indicators(loaded, A1, PERIOD, A1)
    rollup = snapshots(loaded)
    sums = df.groupby("metric")[["numerator", "denominator"]].sum(min_count=1)
    for metric in sums.index:
        num, den = sums.loc[metric, "numerator"], sums.loc[metric, "denominator"]
        r_num, r_den, _ = rollup[(A1, PERIOD, metric)]
        extra_num, extra_den = COUNTY_LEVEL_ONLY.get(metric, (0, 0))
        assert num + extra_num == pytest.approx(r_num), metric
        if r_den is None:
            assert pd.isna(den), metric
        else:
            assert den + extra_den == pytest.approx(r_den), metric
    # A2's only township holds all of A2's records: its figures are the county's.
    df2 = unit_indicators(loaded, A2, PERIOD, A2)
    for r in df2.itertuples():
        r_num, r_den, r_val = rollup[(A2, PERIOD, r.metric)]
        assert r.numerator == pytest.approx(r_num), r.metric
        assert (pd.isna(r.denominator) and r_den is None) or r.denominator == r_den, r.metric
        assert (pd.isna(r.value) and r_val is None) or r.value == pytest.approx(r_val), r.metric


def test_county_without_townships_gives_no_rows(loaded):
    df = unit_indicators(loaded, P, PERIOD, B1)
    assert df.empty
    assert list(df.columns) == COLUMNS


# Issue 19.10: T1's counts of 1 and 2 sensitive records, hidden above the county.
SMALL_CELLS_T1 = {"children_unguarded": 1, "open_cases": 2, "overdue_cases": 1}


@pytest.mark.parametrize("scope", [P, A])  # the province's and prefecture A's users
def test_small_cells_are_withheld_outside_the_county(loaded, scope):
    own = _as_dict(unit_indicators(loaded, A1, PERIOD, A1))
    df = unit_indicators(loaded, scope, PERIOD, A1)
    got = _as_dict(df)
    hidden = {(r.code, r.metric) for r in df.itertuples() if r.suppressed}
    assert hidden == {(T1, m) for m in SMALL_CELLS_T1}
    for m, n in SMALL_CELLS_T1.items():
        assert own[(T1, m)][0] == n  # the county's user sees the count
        assert got[(T1, m)] == (None, None, None)  # numerator and value withheld
    # Zero names nobody; rates and counts of places are not small cells.
    assert got[(T2, "open_cases")][0] == 0 and got[(T2, "children_unguarded")][0] == 0
    assert got[(T1, "home_coverage")] == own[(T1, "home_coverage")]
    assert got[(T1, "children_active")] == own[(T1, "children_active")]


def test_scope_is_enforced(loaded):
    with pytest.raises(ScopeError):
        unit_indicators(loaded, B, PERIOD, A1)  # prefecture B's user, a county of A
    with pytest.raises(ScopeError):
        unit_indicators(loaded, A2, PERIOD, T1)  # a county user, another county's township
    with pytest.raises(ScopeError):
        unit_indicators(loaded, P, PERIOD, "360199")  # unknown code
    assert issubclass(ScopeError, PermissionError)
    with pytest.raises(ValueError):
        unit_indicators(loaded, P, PERIOD, P)  # not a county or township
    with pytest.raises(ValueError):
        unit_indicators(loaded, P, "2026-3", A1)
