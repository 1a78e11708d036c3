"""queries/indicators.py and queries/regions.py on hand-written snapshots, both backends."""

from __future__ import annotations

import math

import pytest

from components.format import fmt_value, null_reason
from core.metrics import METRIC_CODES
from core.periods import previous_period
from data.schema import kpi_snapshots, regions
from queries import indicators as ind
from queries import regions as reg
from queries.regions import ScopeError
from tests.fixtures.regions import region_rows, under
from tests.fixtures.tables import METRIC_BY_REGION_COLUMNS, insert_rows, keyed

P, A, B = "360000", "360100", "360700"  # province, two prefectures
A1, A2, B1 = "360102", "360103", "360781"  # counties
T, V = "360102001", "360102001001"  # a township and a village of A1

REGIONS = [
    (P, "江西省", "province", None),
    *under(P, "prefecture", {A: "南昌市", B: "赣州市"}),
    *under(A, "county", {A1: "东湖区", A2: "西湖区"}),
    (B1, "瑞金市", "county", B, None, True),  # a former poverty county
    *under(A1, "township", {T: "豫章街道"}, kind="street"),
    *under(T, "village", {V: "墩子塘社区"}, kind="community"),
]

# (region, period, metric, numerator, denominator, value)
SNAPSHOTS = [
    (P, "2026-10", "home_coverage", 45, 50, 0.9),  # exactly the 90% target: met
    (P, "2026-09", "home_coverage", 40, 50, 0.8),
    (P, "2026-08", "home_coverage", 35, 50, 0.7),
    (P, "2026-10", "director_coverage", 49, 50, 0.98),  # target 100%: missed
    (P, "2026-09", "director_coverage", 50, 50, 1.0),
    (P, "2026-10", "children_active", 1200, None, 1200),
    (P, "2026-09", "children_active", 1100, None, 1100),
    (P, "2026-08", "children_active", 1000, None, 1000),
    (P, "2026-10", "overdue_cases", 2, None, 2),  # target 0: missed
    (P, "2026-09", "overdue_cases", 0, None, 0),
    (P, "2026-10", "referral_timely", 0, 0, None),  # no referrals: null
    (P, "2026-10", "demo_homes", 7, None, None),  # a count read from its numerator
    (P, "2026-10", "purchase_yuan", 1_234_567, None, 1_234_567),
    (A, "2026-10", "home_coverage", 27, 30, 0.9),
    (B, "2026-10", "home_coverage", 18, 20, 0.9),
    (A, "2026-10", "children_active", 700, None, 700),
    (B, "2026-10", "children_active", 500, None, 500),
    (A1, "2026-10", "home_coverage", 9, 10, 0.9),
    (A2, "2026-10", "home_coverage", 18, 20, 0.9),
    (B1, "2026-10", "home_coverage", 0, 0, None),  # a county with no villages
    (A1, "2026-10", "children_active", 300, None, 300),
    (B1, "2026-10", "children_active", 500, None, 500),
    (B1, "2026-09", "children_active", 450, None, 450),
]


@pytest.fixture
def db(engine):
    snapshots = keyed("region_code period metric numerator denominator value", SNAPSHOTS)
    return insert_rows(
        engine, (regions, region_rows(REGIONS, population=None)), (kpi_snapshots, snapshots)
    )


def by_metric(df):
    return df.set_index("metric")


# ---------------------------------------------------------------- regions


def test_path_and_within(db):
    assert [p["name"] for p in reg.path(db, V)] == [
        "江西省",
        "南昌市",
        "东湖区",
        "豫章街道",
        "墩子塘社区",
    ]
    assert [p["level"] for p in reg.path(db, A1)] == ["province", "prefecture", "county"]
    assert reg.path(db, "999999") == []
    assert reg.is_within(db, V, P) and reg.is_within(db, V, A) and reg.is_within(db, V, V)
    assert not reg.is_within(db, V, B)
    assert not reg.is_within(db, A, A1)  # a parent is not inside its child
    assert not reg.is_within(db, "999999", P)


def test_region_and_children(db):
    assert reg.region(db, B1)["name"] == "瑞金市"
    assert reg.region(db, B1)["is_former_poverty_county"] is True
    assert reg.region(db, "999999") is None
    with pytest.raises(ScopeError):
        reg.region(db, B1, scope=A)
    assert list(reg.children_of(db, P, P).code) == [A, B]
    assert list(reg.children_of(db, P, A).code) == [A1, A2]
    assert list(reg.children_of(db, P, P, level="county").code) == [A1, A2, B1]
    assert list(reg.children_of(db, A, A1, level="village").code) == [V]
    with pytest.raises(ScopeError):
        reg.children_of(db, A, B)  # another prefecture
    with pytest.raises(ScopeError):
        reg.children_of(db, A1, A)  # above the scope


def test_counties_under(db):
    assert list(reg.counties_under(db, P).code) == [A1, A2, B1]
    df = reg.counties_under(db, A)
    assert list(df.code) == [A1, A2] and list(df.parent_name) == ["南昌市", "南昌市"]
    assert list(reg.counties_under(db, B1).code) == [B1]
    assert reg.counties_under(db, T).empty


# ---------------------------------------------------------------- periods and kpis


def test_periods_newest_first(db):
    assert ind.periods(db, P) == ["2026-10", "2026-09", "2026-08"]
    assert ind.periods(db, B1) == ["2026-10", "2026-09"]
    assert ind.periods(db, A2) == ["2026-10"]


def test_previous_period():
    assert previous_period("2026-10") == "2026-09"
    assert previous_period("2026-01") == "2025-12"
    for bad in ("2026-13", "2026-1", "26-10", "2026-10'; drop table x", None):
        with pytest.raises(ValueError):
            previous_period(bad)


def test_kpis_province(db):
    df = ind.kpis(db, P, "2026-10")
    assert list(df.metric) == list(METRIC_CODES)  # every metric, in contract order
    k = by_metric(df)
    home = k.loc["home_coverage"]
    assert home.value == pytest.approx(0.9) and home.previous == pytest.approx(0.8)
    assert home.change == pytest.approx(0.1)
    assert (home.numerator, home.denominator) == (45, 50)
    assert home.target == 0.9 and home.status == "met"
    assert k.loc["director_coverage", "status"] == "missed"
    assert k.loc["director_coverage", "change"] == pytest.approx(-0.02)
    kids = k.loc["children_active"]
    assert (kids.value, kids.previous, kids.change) == (1200, 1100, 100)
    assert kids.status == "no_target" and math.isnan(kids.denominator)
    overdue = k.loc["overdue_cases"]
    assert (overdue.value, overdue.previous, overdue.change) == (2, 0, 2)
    assert overdue.status == "missed"
    # gaps: home on target (0), 1 village of 50 without a director, the 2 overdue cases;
    # no target, no gap; a null rate (no referrals) has none either
    assert (home.gap, k.loc["director_coverage", "gap"], overdue.gap) == (0, 1, 2)
    assert math.isnan(kids.gap) and math.isnan(k.loc["referral_timely", "gap"])
    assert not k["small_sample"].any()  # 50 villages; the null referral rate has no sample
    assert k.loc["demo_homes", "value"] == 7  # count with value NULL → numerator
    assert k.loc["purchase_yuan", "value"] == 1_234_567


def test_kpis_null_handling(db):
    k = by_metric(ind.kpis(db, P, "2026-10"))
    timely = k.loc["referral_timely"]
    assert math.isnan(timely.value) and timely.found
    assert timely.status == "no_data"
    assert math.isnan(timely.change) and math.isnan(timely.previous)
    assert fmt_value("referral_timely", timely.value) == "—"
    assert "分母为 0" in null_reason("referral_timely", timely.numerator, timely.denominator)
    missing = k.loc["female_director_share"]  # no row at all
    assert not missing.found and math.isnan(missing.value) and missing.status == "no_target"
    assert "尚未生成" in null_reason("female_director_share", found=False)
    # the oldest month has nothing to compare with
    old = by_metric(ind.kpis(db, P, "2026-08"))
    assert old.loc["home_coverage", "value"] == pytest.approx(0.7)
    assert math.isnan(old.loc["home_coverage", "previous"])
    assert math.isnan(old.loc["home_coverage", "change"])


def test_kpis_for_a_region_inside_and_outside_the_scope(db):
    k = by_metric(ind.kpis(db, A, "2026-10", region=A1))
    assert k.loc["home_coverage", "value"] == pytest.approx(0.9)
    assert k.loc["children_active", "value"] == 300
    k = by_metric(ind.kpis(db, P, "2026-10", region=B1))
    assert math.isnan(k.loc["home_coverage", "value"])  # county without villages
    assert k.loc["children_active", "change"] == 50
    with pytest.raises(ScopeError):
        ind.kpis(db, A, "2026-10", region=B1)  # another prefecture's county
    with pytest.raises(ScopeError):
        ind.kpis(db, A1, "2026-10", region=A)  # a county user asking for its prefecture
    with pytest.raises(ScopeError):
        ind.kpis(db, P, "2026-10", region="999999")


# ---------------------------------------------------------------- tables


def test_region_table_counties(db):
    df = ind.region_table(db, P, "2026-10", "county")
    assert df.shape == (3, 5 + len(METRIC_CODES))
    assert list(df.columns[:5]) == [
        "code",
        "name",
        "parent_code",
        "parent_name",
        "is_former_poverty_county",
    ]
    t = df.set_index("code")
    assert list(t.name) == ["东湖区", "西湖区", "瑞金市"]
    assert list(t.parent_name) == ["南昌市", "南昌市", "赣州市"]
    assert list(t.is_former_poverty_county) == [False, False, True]
    assert list(t.home_coverage[:2]) == pytest.approx([0.9, 0.9])
    assert math.isnan(t.loc[B1, "home_coverage"])
    assert t.loc[A1, "children_active"] == 300 and t.loc[B1, "children_active"] == 500
    assert math.isnan(t.loc[A2, "children_active"])  # no snapshot row
    assert t["overdue_cases"].isna().all()
    # a prefecture scope sees only its own counties
    assert list(ind.region_table(db, A, "2026-10", "county").code) == [A1, A2]
    # a month without data keeps the rows, all null
    empty = ind.region_table(db, P, "2025-01", "county")
    assert len(empty) == 3 and empty["home_coverage"].isna().all()


def test_region_table_prefectures_and_bad_level(db):
    df = ind.region_table(db, P, "2026-10", "prefecture").set_index("code")
    assert list(df.index) == [A, B]
    assert list(df.children_active) == [700, 500]
    assert list(df.parent_name) == ["江西省", "江西省"]
    with pytest.raises(ValueError):
        ind.region_table(db, P, "2026-10", "village")


def test_metric_by_region(db):
    df = ind.metric_by_region(db, P, "2026-10", "home_coverage", "county")
    assert list(df.columns) == METRIC_BY_REGION_COLUMNS
    assert list(df.code) == [A1, A2, B1]
    assert list(df.numerator) == [9, 18, 0] and list(df.denominator) == [10, 20, 0]
    assert list(df.value[:2]) == pytest.approx([0.9, 0.9]) and math.isnan(df.value[2])
    kids = ind.metric_by_region(db, B, "2026-10", "children_active", "county")
    assert list(kids.code) == [B1] and list(kids.value) == [500]
    with pytest.raises(ValueError):
        ind.metric_by_region(db, P, "2026-10", "no_such_metric", "county")


def test_trend(db):
    df = ind.trend(db, P, ["home_coverage", "children_active"])
    assert list(df.period) == ["2026-08"] * 2 + ["2026-09"] * 2 + ["2026-10"] * 2
    assert list(df.metric) == ["home_coverage", "children_active"] * 3
    assert list(df.value) == pytest.approx([0.7, 1000, 0.8, 1100, 0.9, 1200])
    assert list(df.label[:2]) == ["儿童之家覆盖率", "在册儿童"]
    last2 = ind.trend(db, P, ["children_active"], last_n=2)
    assert list(last2.period) == ["2026-09", "2026-10"]
    until = ind.trend(db, P, ["children_active"], until="2026-09")
    assert list(until.value) == [1000, 1100]
    county = ind.trend(db, A, ["children_active"], region=A1)
    assert list(county.value) == [300]
    with pytest.raises(ScopeError):
        ind.trend(db, A, ["children_active"], region=B1)
    assert ind.trend(db, P, []).empty
