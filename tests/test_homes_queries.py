"""queries/homes.py on a hand-built province, both backends. Every expected figure below was
worked out by hand from the fixture (the reasoning is in the comments).

Tree: province P; prefecture A (county A1, not poor) and prefecture B (county B1, former
poverty county). Villages: A1 has four (two per township), B1 has three.

Period 2026-10: D = 2026-10-31; the 90-day activity window is (2026-08-02, 2026-10-31].
Period 2026-09: D = 2026-09-30; window (2026-07-02, 2026-09-30].
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest
from sqlalchemy import select

from data.schema import children_homes, home_activities, regions
from queries import homes as hq
from queries.places import places
from queries.regions import ScopeError, within_scope
from tests.fixtures.regions import region_rows, under
from tests.fixtures.tables import insert_rows, keyed

P, A, B = "360000", "360100", "360700"
A1, B1 = "360102", "360730"
TA1, TA2, TB1 = "360102001", "360102002", "360730001"
VA11, VA12 = "360102001001", "360102001002"
VA21, VA22 = "360102002001", "360102002002"
VB11, VB12, VB13 = "360730001001", "360730001002", "360730001003"

REGIONS = [
    (P, "江西省", "province", None),
    *under(P, "prefecture", {A: "南昌市", B: "赣州市"}),
    (A1, "东湖区", "county", A),
    (B1, "宁都县", "county", B, None, True),  # a former poverty county
    *under(A1, "township", {TA1: "豫章街道"}, kind="street"),
    *under(A1, "township", {TA2: "扬子洲镇"}, kind="town"),
    *under(B1, "township", {TB1: "梅江镇"}, kind="town"),
    *under(TA1, "village", {VA11: "墩子塘社区", VA12: "孺子亭社区"}, kind="community"),
    *under(TA2, "village", {VA21: "扬子洲村", VA22: "联圩村"}, kind="village"),
    *under(TB1, "village", {VB11: "城东村", VB12: "城西村", VB13: "城南村"}, kind="village"),
]

D = date  # shorthand
HOMES = [
    # id, village, name, status, demo, established, closed
    (1, VA11, "墩子塘社区儿童之家", "operating", True, D(2024, 1, 10), None),
    (2, VA12, "孺子亭社区儿童之家", "operating", False, D(2024, 2, 1), None),
    (3, VA21, "扬子洲村儿童之家", "building", False, None, None),
    (4, VB11, "城东村儿童之家", "closed", True, D(2024, 1, 1), D(2026, 10, 31)),
    (5, VB11, "城东村儿童之家（新址）", "operating", True, D(2026, 9, 1), None),
    (6, VB12, "城西村儿童之家", "operating", False, D(2026, 11, 15), None),
    (7, VB13, "城南村儿童之家", "closed", False, D(2024, 3, 1), D(2026, 5, 1)),
]
ACTIVITIES = [
    # id, home, day, kind, participants
    (1, 1, D(2026, 10, 15), "tutoring", 10),
    (2, 1, D(2026, 8, 3), "parent_child", 20),  # first day of the October window
    (3, 2, D(2026, 8, 2), "safety_education", 5),  # D − 90 exactly: outside in October
    (4, 2, D(2026, 11, 5), "other", 7),  # after D: never counts
    (5, 4, D(2026, 9, 10), "psych_course", 8),
]
# State on 2026-10-31:
#   H1 operating (active), H2 operating (last activity 08-02 is outside: paper),
#   H3 building (status), H4 closed (closed_on = D), H5 operating (opened 09-01, no
#   activity: paper), H6 building (opens 11-15, after D), H7 closed (05-01).
# Villages covered: VA11 (H1), VA12 (H2), VB11 (H5) -> 3 of 7.
# State on 2026-09-30: H4 operating (closes later) and active (09-10), H2 active (08-02 is
#   inside (07-02, 09-30]), H5 paper; VB11 covered by H4 and H5 (counted once).


HOME_COLUMNS = "id village_code name status is_demonstration established_on closed_on"


@pytest.fixture(params=["raw", "rollup"])
def db(engine, request):
    """The fixture's records; with 'rollup' also refreshed, so every hand figure below is
    checked from the raw records and from the rollup's panel_counts ('homes',
    'township_homes') alike."""
    from data.rollup import refresh

    loaded = insert_rows(
        engine,
        (regions, region_rows(REGIONS)),
        (children_homes, keyed(HOME_COLUMNS, HOMES, funding_yuan=30000)),
        (home_activities, keyed("id home_id activity_on kind participants", ACTIVITIES)),
    )
    if request.param == "rollup":
        refresh(loaded)
    return loaded


def rows_by_code(df: pd.DataFrame) -> dict[str, dict]:
    return {r["code"]: r for r in df.to_dict("records")}


def test_period_end_is_the_last_day():
    assert hq.period_end("2026-10") == date(2026, 10, 31)
    assert hq.period_end("2024-02") == date(2024, 2, 29)
    with pytest.raises(ValueError):
        hq.period_end("2026-13")


def test_homes_by_county_october(db):
    df = hq.homes_by_region(db, P, "2026-10", "county")
    assert list(df["code"]) == [A1, B1]
    a1, b1 = rows_by_code(df)[A1], rows_by_code(df)[B1]
    # A1: villages 4, covered VA11 + VA12; H1, H2 operating; H3 building; demo H1; paper H2;
    # activities in (08-02, 10-31]: #1 (10) and #2 (20).
    assert {k: a1[k] for k in ("villages", "covered", "operating", "building", "closed")} == {
        "villages": 4,
        "covered": 2,
        "operating": 2,
        "building": 1,
        "closed": 0,
    }
    assert (a1["demo"], a1["paper"], a1["activities"], a1["participants"]) == (1, 1, 2, 30)
    assert a1["coverage"] == pytest.approx(0.5)
    assert a1["demo_per_100_villages"] == pytest.approx(25.0)  # 1 demo home, 4 villages
    assert (a1["value"], a1["numerator"], a1["denominator"]) == (0.5, 2.0, 4.0)
    assert not a1["is_former_poverty_county"]
    # B1: villages 3, covered VB11 (H5); operating H5; building H6; closed H4, H7; demo H5
    # (H4 is closed on D); paper H5; activity #5 (8 participants, home closed since D).
    assert {k: b1[k] for k in ("villages", "covered", "operating", "building", "closed")} == {
        "villages": 3,
        "covered": 1,
        "operating": 1,
        "building": 1,
        "closed": 2,
    }
    assert (b1["demo"], b1["paper"], b1["activities"], b1["participants"]) == (1, 1, 1, 8)
    assert b1["coverage"] == pytest.approx(1 / 3)
    assert b1["demo_per_100_villages"] == pytest.approx(100 / 3)
    assert b1["is_former_poverty_county"]


def test_homes_by_county_september(db):
    df = rows_by_code(hq.homes_by_region(db, P, "2026-09", "county"))
    # A1: H2's activity of 08-02 is inside (07-02, 09-30]: no paper home.
    a1 = df[A1]
    assert (a1["covered"], a1["operating"], a1["building"], a1["demo"], a1["paper"]) == (
        2,
        2,
        1,
        1,
        0,
    )
    assert (a1["activities"], a1["participants"]) == (2, 25)  # #2 (20) and #3 (5)
    # B1: H4 and H5 operate in VB11 (one covered village); H7 closed; H6 building;
    # demo H4 and H5; paper H5 only (H4 held #5 on 09-10).
    b1 = df[B1]
    assert (b1["covered"], b1["operating"], b1["building"], b1["closed"]) == (1, 2, 1, 1)
    assert (b1["demo"], b1["paper"], b1["activities"]) == (2, 1, 1)


def test_homes_by_prefecture_and_township(db):
    pref = rows_by_code(hq.homes_by_region(db, P, "2026-10", "prefecture"))
    assert (pref[A]["villages"], pref[A]["covered"], pref[B]["villages"]) == (4, 2, 3)
    towns = rows_by_code(hq.homes_by_region(db, A1, "2026-10", "township"))
    assert set(towns) == {TA1, TA2}
    assert (towns[TA1]["villages"], towns[TA1]["covered"], towns[TA1]["coverage"]) == (2, 2, 1.0)
    assert (towns[TA2]["villages"], towns[TA2]["covered"], towns[TA2]["building"]) == (2, 0, 1)
    assert towns[TA2]["coverage"] == 0.0
    assert towns[TA1]["parent_name"] == "东湖区"
    with pytest.raises(ValueError):
        hq.homes_by_region(db, P, "2026-10", "village")


def test_totals_and_poverty_split(db):
    t = hq.home_totals(db, P, "2026-10")
    # 7 villages, 3 covered; operating H1 H2 H5, building H3 H6, closed H4 H7; demo H1 H5;
    # paper H2 H5 (2 of 3 operating); activities #1 #2 #5 = 38 participants.
    assert {k: t[k] for k in ("villages", "covered", "uncovered", "operating", "building")} == {
        "villages": 7,
        "covered": 3,
        "uncovered": 4,
        "operating": 3,
        "building": 2,
    }
    assert (t["closed"], t["demo"], t["paper"], t["activities"], t["participants"]) == (
        2,
        2,
        2,
        3,
        38,
    )
    assert t["coverage"] == pytest.approx(3 / 7)
    assert t["paper_share"] == pytest.approx(2 / 3)
    # Demo homes: H5 in B1 (former poverty), H1 in A1 -> 1 of 2.
    assert (t["demo_poverty"], t["demo_poverty_share"]) == (1, 0.5)

    split = hq.demo_by_poverty(db, P, "2026-10")
    assert list(split["former_poverty"]) == [True, False]
    poor, other = split.to_dict("records")
    assert (poor["counties"], poor["villages"], poor["operating"], poor["demo"]) == (1, 3, 1, 1)
    assert poor["demo_share"] == 0.5
    assert poor["demo_per_100_villages"] == pytest.approx(100 / 3)
    assert (other["counties"], other["villages"], other["demo"]) == (1, 4, 1)
    assert other["demo_per_100_villages"] == pytest.approx(25.0)


def test_no_demo_homes_gives_null_share(db):
    # In prefecture A on 2024-01 (D = 2024-01-31) only H1 (demo, opened 01-10) operates:
    # share of demo homes in poverty counties is 0 of 1; with no homes at all it is null.
    t = hq.home_totals(db, A, "2024-01")
    assert (t["demo"], t["demo_poverty"], t["demo_poverty_share"]) == (1, 0, 0.0)
    t = hq.home_totals(db, P, "2023-12")  # before any home opened
    assert (t["operating"], t["demo"], t["paper"]) == (0, 0, 0)
    assert t["demo_poverty_share"] is None and t["paper_share"] is None


def test_activities_by_kind(db):
    df = hq.activities_by_kind(db, P, "2026-10").set_index("kind")
    assert list(df.index) == list(hq.ACTIVITY_KINDS)  # every kind, zeros included
    assert df.loc["tutoring"].tolist() == [1, 10, 1]
    assert df.loc["parent_child"].tolist() == [1, 20, 1]
    assert df.loc["psych_course"].tolist() == [1, 8, 1]
    assert df.loc["safety_education"].tolist() == [0, 0, 0]  # #3 lies outside
    assert df.loc["other"].tolist() == [0, 0, 0]  # #4 is after D
    only_a = hq.activities_by_kind(db, A, "2026-10").set_index("kind")
    assert only_a.loc["psych_course"].tolist() == [0, 0, 0]  # B1's activity is not in A


def test_paper_homes_list(db):
    df = hq.paper_homes(db, P, "2026-10")
    assert list(df["home_id"]) == [2, 5]  # A1 before B1; H1 is active, H4 closed
    h2, h5 = df.to_dict("records")
    assert (h2["county_name"], h2["township_name"], h2["village_name"]) == (
        "东湖区",
        "豫章街道",
        "孺子亭社区",
    )
    assert h2["home_name"] == "孺子亭社区儿童之家"
    assert h2["last_activity_on"] == date(2026, 8, 2)  # #4 (11-05) is after D
    assert h2["days_idle"] == 90
    assert h2["established_on"] == date(2024, 2, 1)
    assert h5["last_activity_on"] is None and pd.isna(h5["days_idle"])
    assert h5["days_operating"] == 60  # opened 2026-09-01
    assert bool(h5["is_demonstration"]) and not bool(h2["is_demonstration"])
    # September: H2 is active (08-02 inside the window); H5 still paper.
    assert list(hq.paper_homes(db, P, "2026-09")["home_id"]) == [5]


def test_villages_without_home(db):
    df = hq.villages_without_home(db, P, "2026-10")
    assert list(df["village_code"]) == [VA21, VA22, VB12, VB13]  # covered ones absent
    states = dict(zip(df["village_code"], df["home_state"], strict=True))
    # VA21: H3 building; VA22: never had one; VB12: H6 opens after D (building);
    # VB13: H7 closed.
    assert states == {VA21: "building", VA22: "none", VB12: "building", VB13: "closed"}
    first = df.iloc[0]
    assert (first["county_name"], first["township_name"], first["village_name"]) == (
        "东湖区",
        "扬子洲镇",
        "扬子洲村",
    )
    assert first["village_kind"] == "village"
    # September: VB11 is covered (by H4 and H5); VB12 and VB13 are not.
    sept = hq.villages_without_home(db, P, "2026-09")
    assert list(sept["village_code"]) == [VA21, VA22, VB12, VB13]
    # Before H5 opened and after H4 closed, VB11 would be open; on 2024-01 (D = 01-31):
    # H1 (01-10) and H4 (01-01) operate: VA11 and VB11 covered, the rest not.
    jan = hq.villages_without_home(db, P, "2024-01")
    assert list(jan["village_code"]) == [VA12, VA21, VA22, VB12, VB13]
    assert dict(zip(jan["village_code"], jan["home_state"], strict=True))[VA12] == "building"


def test_uncovered_townships(db):
    df = hq.uncovered_townships(db, P, "2026-10")
    # TA2: 2 of 2 uncovered; TB1: VB12, VB13 uncovered (2 of 3); TA1 fully covered.
    assert list(df["code"]) == [TA2, TB1]
    assert list(df["uncovered"]) == [2, 2]
    assert list(df["parent_name"]) == ["东湖区", "宁都县"]
    assert df.loc[1, "coverage"] == pytest.approx(1 / 3)
    only_b = hq.uncovered_townships(db, P, "2026-10", region=B1)
    assert list(only_b["code"]) == [TB1]


def test_prefecture_scope_never_returns_another_prefecture(db):
    assert list(hq.homes_by_region(db, A, "2026-10", "county")["code"]) == [A1]
    assert set(hq.villages_without_home(db, A, "2026-10")["village_code"]) == {VA21, VA22}
    assert list(hq.paper_homes(db, B, "2026-10")["home_id"]) == [5]
    assert list(hq.uncovered_townships(db, B, "2026-10")["code"]) == [TB1]
    t = hq.home_totals(db, A, "2026-10")
    assert (t["villages"], t["covered"], t["paper"], t["demo_poverty"]) == (4, 2, 1, 0)
    # A region inside the scope narrows the list; one outside raises ScopeError.
    assert list(hq.paper_homes(db, P, "2026-10", region=B1)["home_id"]) == [5]
    assert list(hq.villages_without_home(db, A, "2026-10", region=TA2)["village_code"]) == [
        VA21,
        VA22,
    ]
    with pytest.raises(ScopeError):
        hq.paper_homes(db, A, "2026-10", region=B1)
    with pytest.raises(ScopeError):
        hq.villages_without_home(db, B, "2026-10", region=A1)
    with pytest.raises(ScopeError):
        hq.uncovered_townships(db, A, "2026-10", region="999999")


def test_bad_period_is_refused(db):
    with pytest.raises(ValueError):
        hq.homes_by_region(db, P, "2026-10'; --", "county")


@pytest.mark.parametrize("scope", [P, A, B1, TA2, VB12, "999999"])
@pytest.mark.parametrize("level", [None, "county", "township", "village"])
def test_places_is_within_scope_walked_down(db, scope, level):
    """`places` reaches exactly the regions `within_scope` finds, with the right names."""
    pl = places(scope, level)
    ws = within_scope(scope, level).subquery()
    with db.connect() as conn:
        got = {r.code: r for r in conn.execute(select(pl))}
        found = {r.code for r in conn.execute(select(ws.c.code))}
        tree = conn.execute(select(regions.c.code, regions.c.parent_code, regions.c.level)).all()
    # Independent answer: walk the parent map in Python.
    parent = {code: up for code, up, _lv in tree}

    def under(code: str) -> bool:
        while code is not None:
            if code == scope:
                return True
            code = parent.get(code)
        return False

    want = {code for code, _up, lv in tree if under(code) and (level is None or lv == level)}
    assert set(got) == want
    assert found == want
    if VA21 in got:  # a village: its own, township and county names; prefecture code
        r = got[VA21]
        assert (r.village_name, r.township_name, r.county_name) == (
            "扬子洲村",
            "扬子洲镇",
            "东湖区",
        )
        assert (r.township_code, r.county_code, r.prefecture_code) == (TA2, A1, A)
    if TB1 in got:  # a township: no village above it; its former-poverty county
        r = got[TB1]
        assert r.village_code is None and r.township_name == "梅江镇"
        assert r.county_name == "宁都县" and bool(r.is_former_poverty_county)
