"""queries/institutions.py on a small hand-built database, both backends.

Expected figures are worked out by hand from the fixture (comments say how). Period 2026-10;
children_active snapshots are written by hand (the rollup's figure the queries divide by).
"""

from __future__ import annotations

import math

import pytest

from data.schema import institutions, kpi_snapshots, regions, service_purchases
from queries import institutions as ins
from queries.regions import ScopeError
from tests.fixtures.regions import A1, A2, B1, T1, TWO_PREFECTURES, A, B, P, region_rows
from tests.fixtures.tables import insert_rows, keyed

V1 = "360102001001"  # a village of 东湖区's township 豫章街道 (T1)

REGIONS = [*TWO_PREFECTURES, (V1, "墩子塘社区", "village", T1)]
# id, region, kind, is_regional, status, capacity, children_in_care
INSTITUTIONS = [
    (1, A1, "minor_protection_center", False, "transformed", 20, 5),
    (2, A1, "minor_protection_center", False, "pending", 10, 0),  # 东湖区's best: transformed
    (3, A2, "minor_protection_center", False, "pending", None, None),  # 西湖区: pending only
    # 瑞金市 has none; 赣州市 has one at prefecture level, which counts for no county
    (8, B, "minor_protection_center", False, "designated", 30, 3),
    (4, A, "child_welfare_institution", True, "transformed", 100, 40),  # 40%
    (5, A1, "child_welfare_institution", False, "designated", 50, 60),  # over capacity: 120%
    (7, B, "child_welfare_institution", True, "transformed", 200, 50),  # 25%
    (6, A, "welfare_guidance_center", False, "designated", None, None),
]
# id, region, year, item, amount_yuan, provider
PURCHASES = [
    (1, A1, 2026, "hotline", 100000.50, "甲社工服务中心"),
    (2, V1, 2026, "home_visit", 20000, "乙社工服务社"),  # village: counts for 东湖区
    (3, A, 2026, "training", 50000, "丙培训机构"),  # prefecture level: in no county row
    (4, B1, 2026, "hotline", 30000, "甲社工服务中心"),
    (5, A1, 2025, "psychological", 40000, "乙社工服务社"),
    (6, P, 2026, "hotline", 200000, "丁热线中心"),  # province level
    (7, A2, 2027, "training", 9999, "戊机构"),  # a later year: never in 2026-10
    (8, A1, 2024, "family_education", 10000, "乙社工服务社"),
]
# (region, period, children_active)
SNAPSHOTS = [
    (P, "2026-10", 3),
    (A, "2026-10", 2),
    (B, "2026-10", 1),
    (A1, "2026-10", 2),
    (A2, "2026-10", 0),
    (B1, "2026-10", 1),
    (P, "2025-12", 4),  # no 2024-12 snapshot: 2024's amount per child is null
    (A1, "2025-12", 2),
]


INSTITUTION_COLUMNS = "id region_code kind is_regional status capacity children_in_care"


@pytest.fixture
def db(engine):
    active = [
        r | {"value": r["numerator"]}
        for r in keyed("region_code period numerator", SNAPSHOTS, metric="children_active")
    ]
    return insert_rows(
        engine,
        (regions, region_rows(REGIONS)),
        (institutions, keyed(INSTITUTION_COLUMNS, INSTITUTIONS)),
        (service_purchases, keyed("id region_code year item amount_yuan provider_org", PURCHASES)),
        (kpi_snapshots, active),
    )


# ---------------------------------------------------------------- protection centres


def test_protection_centers_by_county(db):
    df = ins.protection_centers_by_county(db, P, "2026-10").set_index("code")
    assert list(df.index) == [A1, A2, B1]
    assert df.status.tolist() == ["transformed", "pending", "none"]
    assert df.ready.tolist() == [True, False, False]  # 1 of 3: protection_center_ready
    assert df.centers.tolist() == [2, 1, 0]
    assert df.loc[A1, "capacity"] == 30 and df.loc[A1, "children_in_care"] == 5
    assert math.isnan(df.loc[A2, "capacity"]) and math.isnan(df.loc[B1, "capacity"])
    assert df.loc[B1, "parent_name"] == "赣州市"
    # a prefecture scope lists its own counties only
    assert ins.protection_centers_by_county(db, A, "2026-10").code.tolist() == [A1, A2]
    assert ins.protection_centers_by_county(db, B1, "2026-10").status.tolist() == ["none"]


def test_institutions_list(db):
    df = ins.institutions_list(db, P, "2026-10")
    # kinds in order, then region code: centres 1, 2 (360102), 3 (360103), 8 (360700);
    # welfare institutions 4 (360100), 5 (360102), 7 (360700); guidance centre 6
    assert df.id.tolist() == [1, 2, 3, 8, 4, 5, 7, 6]
    by_id = df.set_index("id")
    assert by_id.loc[4, "region_name"] == "南昌市" and by_id.loc[4, "region_level"] == "prefecture"
    assert by_id.loc[4, "is_regional"] and not by_id.loc[5, "is_regional"]
    assert by_id.loc[4, "occupancy"] == 0.4 and by_id.loc[5, "occupancy"] == 1.2
    assert math.isnan(by_id.loc[6, "occupancy"])  # no capacity: no occupancy, never 0
    # 南昌市 sees its own and its counties' institutions, not 赣州市's 7 and 8
    assert ins.institutions_list(db, A, "2026-10").id.tolist() == [1, 2, 3, 4, 5, 6]
    assert ins.institutions_list(db, A2, "2026-10").id.tolist() == [3]


def test_institution_summary(db):
    df = ins.institution_summary(db, P, "2026-10").set_index("kind")
    mpc = df.loc["minor_protection_center"]
    # centres 1, 2, 3, 8: transformed 1, designated 1 (8), pending 2; capacity 20+10+30;
    # in care 5+0+3 over the centres with a capacity → 8 / 60
    assert (mpc.institutions, mpc.regional, mpc.transformed, mpc.designated, mpc.pending) == (
        4,
        0,
        1,
        1,
        2,
    )
    assert mpc.capacity == 60 and mpc.children_in_care == 8
    assert mpc.occupancy == pytest.approx(8 / 60)
    cwi = df.loc["child_welfare_institution"]
    # 4, 5, 7: two regional; capacity 350, in care 150
    assert (cwi.institutions, cwi.regional, cwi.transformed, cwi.designated) == (3, 2, 2, 1)
    assert cwi.capacity == 350 and cwi.children_in_care == 150
    assert cwi.occupancy == pytest.approx(150 / 350)
    wgc = df.loc["welfare_guidance_center"]
    assert wgc.institutions == 1 and wgc.designated == 1 and math.isnan(wgc.occupancy)
    a = ins.institution_summary(db, A, "2026-10").set_index("kind")
    assert a.institutions.tolist() == [3, 2, 1]


# ---------------------------------------------------------------- purchases


def test_purchases_by_item(db):
    df = ins.purchases_by_item(db, P, "2026-10").set_index("item")
    assert list(df.index) == list(ins.PURCHASE_ITEM)
    # 2026 in the province: hotline 100,000.50 (东湖区) + 30,000 (瑞金市) + 200,000 (province)
    hot = df.loc["hotline"]
    assert hot.amount_yuan == 330000.5 and hot.purchases == 3 and hot.providers == 2
    assert hot.per_child_yuan == pytest.approx(330000.5 / 3)  # 3 active children on D
    assert df.loc["home_visit", "amount_yuan"] == 20000
    assert df.loc["training", "amount_yuan"] == 50000  # 南昌市's own purchase
    assert df.loc["psychological", "amount_yuan"] == 0  # 2025 only
    assert df.loc["psychological", "per_child_yuan"] == 0
    assert df.amount_yuan.sum() == 400000.5
    # 南昌市: its counties' and its own purchases, 2 children
    a = ins.purchases_by_item(db, A, "2026-10").set_index("item")
    assert a.loc["hotline", "amount_yuan"] == 100000.5
    assert a.loc["hotline", "per_child_yuan"] == pytest.approx(50000.25)
    assert a.loc["training", "amount_yuan"] == 50000
    # 东湖区: the prefecture's training purchase is not under it
    a1 = ins.purchases_by_item(db, A1, "2026-10").set_index("item")
    assert a1.loc["training", "amount_yuan"] == 0 and a1.amount_yuan.sum() == 120000.5


def test_purchases_by_year(db):
    df = ins.purchases_by_year(db, P, "2026-10").set_index("year")
    assert list(df.index) == [2024, 2025, 2026]  # 2027 is after the period's year
    assert df.amount_yuan.tolist() == [10000, 40000, 400000.5]
    assert df.purchases.tolist() == [1, 1, 5]
    assert math.isnan(df.loc[2024, "children_active"])  # no 2024-12 snapshot
    assert math.isnan(df.loc[2024, "per_child_yuan"])
    assert df.loc[2025, "per_child_yuan"] == 10000  # 40,000 / 4 children in 2025-12
    assert df.loc[2026, "per_child_yuan"] == pytest.approx(400000.5 / 3)
    assert df.loc[2026, "hotline"] == 330000.5 and df.loc[2025, "psychological"] == 40000
    a1 = ins.purchases_by_year(db, A1, "2026-10").set_index("year")
    assert a1.amount_yuan.tolist() == [10000, 40000, 120000.5]
    assert a1.loc[2025, "per_child_yuan"] == 20000


def test_purchases_by_area(db):
    df = ins.purchases_by_area(db, P, "2026-10").set_index("code")
    assert list(df.index) == [A1, A2, B1]
    # 东湖区: hotline 100,000.50 + home_visit 20,000 (its village), 2 children
    assert df.loc[A1, "amount_yuan"] == 120000.5 and df.loc[A1, "items"] == 2
    assert df.loc[A1, "per_child_yuan"] == 60000.25
    assert df.loc[A1, "hotline"] == 100000.5 and df.loc[A1, "home_visit"] == 20000
    # 西湖区: nothing in 2026 (its 2027 purchase is later) and no children: null per child
    assert df.loc[A2, "amount_yuan"] == 0 and df.loc[A2, "items"] == 0
    assert math.isnan(df.loc[A2, "per_child_yuan"])
    assert df.loc[B1, "amount_yuan"] == 30000 and df.loc[B1, "per_child_yuan"] == 30000
    assert ins.purchases_by_area(db, B, "2026-10").code.tolist() == [B1]


def test_scope(db):
    with pytest.raises(ScopeError):
        ins.purchases_by_item(db, A, "2026-10", region=B1)
    with pytest.raises(ScopeError):
        ins.institutions_list(db, A1, "2026-10", region=A)
    inside = ins.purchases_by_area(db, P, "2026-10", region=A)
    assert inside.equals(ins.purchases_by_area(db, A, "2026-10"))
    with pytest.raises(ValueError):
        ins.purchases_by_year(db, P, "2026")


def test_center_status_counts(db):
    by_county = ins.protection_centers_by_county(db, P, "2026-10")
    df = ins.center_status_counts(by_county).set_index("parent_name")
    # 南昌市: 东湖区 transformed, 西湖区 pending → 1 of 2 ready; 赣州市: 瑞金市 none → 0 of 1
    assert list(df.index) == ["南昌市", "赣州市"]
    assert df.loc["南昌市", ["transformed", "designated", "pending", "none"]].tolist() == [
        1,
        0,
        1,
        0,
    ]
    assert df.loc["南昌市", "ready_share"] == 0.5
    assert df.loc["赣州市", ["none", "counties", "ready", "ready_share"]].tolist() == [1, 1, 0, 0.0]
