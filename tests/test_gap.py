"""缺口 (gap counts) of DESIGN.md §4: core/metrics.py gap_count and small_sample, worked by
hand, and how they read on a card (components/format.py fmt_gap)."""

from __future__ import annotations

import math

import pytest

from components.format import fmt_gap
from core.metrics import BY_CODE, gap_count, small_sample

HOME = BY_CODE["home_coverage"]  # ≥ 90%
DIRECTOR = BY_CODE["director_coverage"]  # = 100%
OVERDUE = BY_CODE["overdue_cases"]  # = 0
REFERRAL = BY_CODE["referral_timely"]  # ≥ 90%
CLOSURE = BY_CODE["case_closure_days"]  # a mean, no target
PURCHASE = BY_CODE["purchase_yuan"]  # a sum, no target


@pytest.mark.parametrize(
    ("metric", "value", "denominator", "gap"),
    [
        (HOME, 85 / 100, 100, 5),  # 0.9 × 100 − 85 = 5 (90.00000000000001 in floating point)
        (HOME, 90 / 100, 100, 0),  # exactly on target
        (HOME, 91 / 100, 100, 0),  # above
        (HOME, 89 / 100, 100, 1),
        (HOME, 9 / 20, 20, 9),  # 18 − 9
        (HOME, 1 / 4, 4, 3),  # 3.6 − 1 = 2.6: a part of a village still missing is a village
        (HOME, 0 / 3, 3, 3),  # 2.7 → 3
        (DIRECTOR, 2 / 3, 3, 1),  # 100%: the villages without a director
        (DIRECTOR, 863 / 1000, 1000, 137),
        (REFERRAL, 0.748, 1813, 276),  # ⌈(0.9 − 0.748) × 1813⌉ = ⌈275.576⌉
        (OVERDUE, 118, None, 118),  # a count with target 0: the count itself
        (OVERDUE, 0, None, 0),
        (HOME, None, 0, None),  # zero denominator: no value, no gap
        (HOME, math.nan, 0, None),
        (HOME, 0.5, 0, None),  # a value with no denominator cannot be counted in units
        (OVERDUE, None, None, None),
        (CLOSURE, 40.0, 10, None),  # no target
        (PURCHASE, 1e6, None, None),
    ],
)
def test_gap_count(metric, value, denominator, gap):
    assert gap_count(metric, value, denominator) == gap


def test_gap_count_takes_another_target():
    assert gap_count(HOME, 0.85, 100, target=0.95) == 10
    assert gap_count(HOME, 0.85, 100, target=0.80) == 0
    assert gap_count(CLOSURE, 40.0, 10, target=30.0) is None  # a mean has no units to count


def test_small_sample_is_a_rate_over_few_units():
    assert small_sample(REFERRAL, 1, 5) and small_sample(REFERRAL, 4, 5)
    assert not small_sample(REFERRAL, 5, 5)
    assert not small_sample(REFERRAL, None, 5) and not small_sample(REFERRAL, math.nan, 5)
    assert not small_sample(REFERRAL, 0, 5)  # no value at all: no alert, nothing to mark
    assert not small_sample(OVERDUE, None, 5)  # a count: the count is the gap


def test_gap_reads_in_units():
    assert fmt_gap(DIRECTOR, 37) == "缺口 37 个村（社区）"
    assert fmt_gap(OVERDUE, 118) == "缺口 118 件"
    assert fmt_gap("visit_rate_90d", 1234) == "缺口 1,234 名儿童"
    assert fmt_gap(REFERRAL, 1, small=True) == "缺口 1 件转介，样本较小"
    assert fmt_gap(HOME, 0) == "" and fmt_gap(HOME, None) == "" and fmt_gap(HOME, math.nan) == ""


def test_the_target_comparison_is_a_plain_bool_for_numpy_values():
    """`misses` is `meets_target(...) is False`: a numpy bool would never be `False`."""
    import numpy as np

    from core.metrics import meets_target, target_status

    assert meets_target(HOME, np.float64(0.85)) is False
    assert meets_target(HOME, np.float64(0.9)) is True  # on the target
    assert meets_target(OVERDUE, np.int64(0)) is True and meets_target(OVERDUE, 1) is False
    assert meets_target(HOME, np.nan) is None and meets_target(CLOSURE, 10.0) is None
    assert target_status(HOME, 0.8999999999) == "met"  # within the tolerance
    assert target_status(HOME, None) == "no_data" and target_status(CLOSURE, 3.0) == "no_target"
