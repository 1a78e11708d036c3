"""queries/staffing.py (and the staff roster, queries/records.py) on a hand-built province,
both backends. Every expected figure was worked out by hand from the fixture (reasoning in
the comments).

Same tree as tests/test_homes_queries.py: county A1 (prefecture A) with townships TA1 (villages
VA11, VA12) and TA2 (VA21, VA22); county B1 (prefecture B, former poverty) with township TB1
(villages VB11, VB12, VB13).

Period 2026-10: D = 2026-10-31, D − 365 = 2025-10-31; "in the 365 days ending D" is
(2025-10-31, 2026-10-31].
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from data.schema import regions, staff, trainings
from queries import records
from queries import staffing as sq
from queries.privacy import mask_name, mask_phone
from queries.regions import ScopeError
from tests.fixtures.regions import region_rows
from tests.fixtures.tables import METRIC_BY_REGION_COLUMNS, insert_rows, keyed
from tests.test_homes_queries import (
    A1,
    B1,
    REGIONS,
    TA1,
    TA2,
    TB1,
    VA11,
    VA12,
    VA21,
    VA22,
    VB11,
    VB12,
    VB13,
    A,
    B,
    P,
)

D = date
STAFF = [
    # id, role, region, name, gender, phone, female committee member, dedicated,
    # background, appointed, left, registered
    (1, "supervisor", TA1, "张三丰", "M", "13812345678", False, True, "social_worker",
     D(2024, 1, 1), None, True),  # S1 active
    (2, "supervisor", TA2, "李秀英", "F", "13900001111", False, False, "other",
     D(2024, 1, 1), D(2026, 6, 30), True),  # S2 left 06-30: TA2 empty for 123 days
    (3, "supervisor", TA2, "王建国", "M", "13700002222", False, False, "other",
     D(2023, 1, 1), D(2024, 1, 1), True),  # an earlier holder of TA2
    (4, "supervisor", TB1, "赵敏", "F", "13600003333", False, False, "other",
     D(2026, 11, 10), None, True),  # appointed after D: TB1 never staffed on D
    (11, "director", VA11, "刘晓红", "F", "15800004444", True, False, "committee_member",
     D(2024, 2, 1), None, True),  # D1 active, certified, last training on D − 365
    (12, "director", VA12, "陈静", "F", "15800005555", False, False, "other",
     D(2025, 1, 1), D(2026, 10, 30), True),  # D2 left the day before D
    (13, "director", VA21, "周芳", "F", "15800006666", False, False, "other",
     D(2026, 1, 15), None, True),  # D3 active, failed initial: violation
    (14, "director", VA22, "吴强", "M", "15800007777", False, False, "other",
     D(2024, 1, 1), D(2026, 10, 31), True),  # D4 left on D: not active on D
    (15, "director", VB11, "郑伟", "M", "15800008888", False, False, "village_official_graduate",
     D(2024, 3, 1), None, False),  # D5 active, initial only after D: violation
    (16, "director", VB12, "孙丽", "F", "15800009999", True, True, "committee_member",
     D(2024, 1, 1), None, True),  # D6 active, certified, trained
    (17, "director", VB13, "钱多多", "M", "15800001234", False, False, "other",
     D(2026, 11, 1), None, True),  # after D: VB13 never staffed on D
]  # fmt: skip
TRAININGS = [
    # id, staff, day, kind, passed
    (1, 1, D(2024, 1, 5), "initial", True),
    (2, 1, D(2026, 5, 1), "annual", True),
    (3, 11, D(2024, 2, 10), "initial", True),
    (4, 11, D(2025, 10, 31), "annual", True),  # exactly D − 365: outside the year
    (5, 13, D(2026, 2, 1), "initial", False),
    (6, 13, D(2026, 6, 1), "annual", True),
    (7, 15, D(2026, 11, 1), "initial", True),  # after D
    (8, 16, D(2024, 1, 20), "initial", True),
    (9, 16, D(2026, 3, 1), "annual", True),
    (10, 12, D(2025, 1, 10), "initial", True),
    (11, 14, D(2024, 1, 5), "initial", True),
    (12, 16, D(2026, 4, 1), "annual", False),  # a failed one changes nothing
]
RAW_NAMES = [s[3] for s in STAFF]
RAW_PHONES = [s[5] for s in STAFF]
# Active on D (2026-10-31): S1, D1, D3, D5, D6.
# Active on D − 365 (2025-10-31): S1, S2, D1, D2, D4, D5, D6.
# Left in (2025-10-31, 2026-10-31]: S2 (06-30), D2 (10-30), D4 (10-31).


STAFF_COLUMNS = (
    "id role region_code name gender phone is_female_committee_member is_dedicated background"
    " appointed_on left_on is_registered"
)


@pytest.fixture(params=["raw", "rollup"])
def db(engine, request):
    """The fixture's records; with 'rollup' also refreshed, so every hand figure below is
    checked from the raw records and from the rollup's panel_counts ('staff') alike."""
    from data.rollup import refresh

    people = [r | {"info_updated_on": r["appointed_on"]} for r in keyed(STAFF_COLUMNS, STAFF)]
    loaded = insert_rows(
        engine,
        (regions, region_rows(REGIONS)),
        (staff, people),
        (trainings, keyed("id staff_id trained_on kind passed", TRAININGS)),
    )
    if request.param == "rollup":
        refresh(loaded)
    return loaded


def by_code(df: pd.DataFrame) -> dict[str, dict]:
    return {r["code"]: r for r in df.to_dict("records")}


def test_staffing_by_county(db):
    df = sq.staffing_by_region(db, P, "2026-10", "county")
    assert list(df["code"]) == [A1, B1]
    a1, b1 = by_code(df)[A1], by_code(df)[B1]
    # A1: TA1 has S1, TA2 none; villages VA11 (D1) and VA21 (D3) staffed, VA12 (D2 left
    # 10-30) and VA22 (D4 left on D) empty; D3 uncertified.
    assert {
        k: a1[k]
        for k in (
            "townships",
            "staffed_townships",
            "vacant_townships",
            "villages",
            "staffed_villages",
            "vacant_villages",
            "supervisors",
            "directors",
            "uncertified",
        )
    } == {
        "townships": 2,
        "staffed_townships": 1,
        "vacant_townships": 1,
        "villages": 4,
        "staffed_villages": 2,
        "vacant_villages": 2,
        "supervisors": 1,
        "directors": 2,
        "uncertified": 1,
    }
    assert (a1["supervisor_coverage"], a1["director_coverage"]) == (0.5, 0.5)
    # Turnover A1: start S1 S2 D1 D2 D4 (5), end S1 D1 D3 (3), leavers S2 D2 D4: 3 / 4.
    assert (a1["headcount_start"], a1["leavers_12m"]) == (5, 3)
    assert a1["turnover"] == pytest.approx(0.75)
    # B1: TB1 empty (S4 starts after D); VB11 (D5), VB12 (D6) staffed, VB13 empty.
    assert (b1["townships"], b1["staffed_townships"], b1["villages"], b1["staffed_villages"]) == (
        1,
        0,
        3,
        2,
    )
    assert b1["supervisor_coverage"] == 0.0
    assert b1["director_coverage"] == pytest.approx(2 / 3)
    assert (b1["uncertified"], b1["leavers_12m"], b1["headcount_start"]) == (1, 0, 2)
    assert b1["turnover"] == 0.0
    assert b1["is_former_poverty_county"]


def test_staffing_september_and_townships(db):
    # 2026-09 (D = 09-30): D2 and D4 are still in post, so all four A1 villages have a
    # director (VA11 D1, VA12 D2, VA21 D3, VA22 D4).
    a1 = by_code(sq.staffing_by_region(db, P, "2026-09", "county"))[A1]
    assert (a1["staffed_villages"], a1["vacant_villages"], a1["staffed_townships"]) == (4, 0, 1)
    towns = by_code(sq.staffing_by_region(db, A1, "2026-10", "township"))
    assert set(towns) == {TA1, TA2}
    assert (towns[TA1]["townships"], towns[TA1]["staffed_townships"]) == (1, 1)
    assert towns[TA1]["supervisor_coverage"] == 1.0 and towns[TA2]["supervisor_coverage"] == 0.0
    assert (towns[TA2]["villages"], towns[TA2]["staffed_villages"]) == (2, 1)
    metric = sq.as_metric(sq.staffing_by_region(db, A1, "2026-10", "township"), "director_coverage")
    assert list(metric.columns) == METRIC_BY_REGION_COLUMNS
    assert by_code(metric)[TA2]["value"] == 0.5
    assert (by_code(metric)[TA2]["numerator"], by_code(metric)[TA2]["denominator"]) == (1.0, 2.0)


def test_township_vacancies(db):
    df = sq.township_vacancies(db, P, "2026-10")
    assert list(df["code"]) == [TA2, TB1]  # TA1 has S1: not listed
    ta2, tb1 = df.to_dict("records")
    # TA2's latest holder S2 left 2026-06-30: July 31 + Aug 31 + Sep 30 + Oct 31 = 123 days.
    assert (ta2["county_name"], ta2["township_name"]) == ("东湖区", "扬子洲镇")
    assert ta2["last_left_on"] == date(2026, 6, 30)
    assert ta2["vacant_days"] == 123 and not ta2["never_filled"]
    # TB1 was never filled on D (S4 is appointed after D).
    assert tb1["never_filled"] and tb1["last_left_on"] is None and pd.isna(tb1["vacant_days"])
    # September: TA2 empty for 92 days.
    sept = sq.township_vacancies(db, P, "2026-09")
    assert list(sept["vacant_days"].astype(object).where(sept["vacant_days"].notna(), None)) == [
        92,
        None,
    ]


def test_village_vacancies(db):
    df = sq.village_vacancies(db, P, "2026-10")
    # VA12: D2 left the day before D -> 1 day; VA22: D4 left on D -> 0 days (not active on
    # D); VB13: never. VA11, VA21, VB11, VB12 have an active director: absent.
    assert list(df["code"]) == [VA12, VA22, VB13]
    days = dict(zip(df["code"], df["vacant_days"], strict=True))
    assert days[VA12] == 1 and days[VA22] == 0 and pd.isna(days[VB13])
    assert list(df["never_filled"]) == [False, False, True]
    first = df.iloc[0]
    assert (first["county_name"], first["township_name"], first["village_name"]) == (
        "东湖区",
        "豫章街道",
        "孺子亭社区",
    )
    assert VA11 not in set(df["code"]) and VB11 not in set(df["code"])
    # September: only VB13 (nobody ever) is empty.
    assert list(sq.village_vacancies(db, P, "2026-09")["code"]) == [VB13]


def test_certification_violations(db):
    df = sq.certification_violations(db, P, "2026-10")
    # Active without a passed initial on or before D: D3 (failed 02-01) and D5 (passed only
    # on 11-01, after D). S1, D1, D6 are certified.
    assert list(df["id"]) == [13, 15]
    d3, d5 = df.to_dict("records")
    assert d3["name"] == "周*" and d5["name"] == "郑*"
    assert d3["failed_initial"] and not d5["failed_initial"]
    assert (d3["county_name"], d3["township_name"], d3["village_name"]) == (
        "东湖区",
        "扬子洲镇",
        "扬子洲村",
    )
    assert d3["appointed_on"] == date(2026, 1, 15)
    assert d3["days_in_post"] == 289  # 2026-01-15 to 2026-10-31
    assert d5["role"] == "director" and d5["region_code"] == VB11
    # On 2026-11 (D = 11-30) D5 has passed; D3 has not: only D3 remains (and S4 and D7, now
    # in post without any initial training).
    nov = sq.certification_violations(db, P, "2026-11")
    assert list(nov["id"]) == [13, 4, 17]


def test_roster(db):
    df = records.staff_roster(db, P, "2026-10")
    assert list(df["id"]) == [1, 11, 13, 15, 16]  # by county, township, post; S1 first
    s1 = df.iloc[0].to_dict()
    assert (s1["name"], s1["phone"], s1["role"]) == ("张*丰", "138****5678", "supervisor")
    assert s1["village_name"] is None and s1["township_name"] == "豫章街道"
    assert s1["certified"] and s1["trained_12m"] and s1["is_dedicated"] and s1["is_registered"]
    assert s1["last_trained_on"] == date(2026, 5, 1)
    rows = {r["id"]: r for r in df.to_dict("records")}
    # D1: certified; the annual of 2025-10-31 is D − 365, outside the year.
    assert rows[11]["certified"] and not rows[11]["trained_12m"]
    assert rows[11]["last_trained_on"] == date(2025, 10, 31)
    assert rows[11]["is_female_committee_member"]
    # D3: trained this year but not certified; D5: nothing on or before D.
    assert rows[13]["trained_12m"] and not rows[13]["certified"]
    assert rows[13]["last_trained_on"] == date(2026, 6, 1)
    assert not rows[15]["certified"] and rows[15]["last_trained_on"] is None
    assert not rows[15]["is_registered"]
    # D6: the failed annual of 04-01 is ignored: last passed is 03-01.
    assert rows[16]["last_trained_on"] == date(2026, 3, 1)
    # The shares of the KPI cards: certified 3/5, trained 3/5, registered 4/5, dedicated 2/5,
    # female committee members among active directors 2/4.
    assert (df["certified"].sum(), df["trained_12m"].sum(), df["is_registered"].sum()) == (3, 3, 4)
    assert df["is_dedicated"].sum() == 2
    directors = df[df["role"] == "director"]
    assert (directors["is_female_committee_member"].sum(), len(directors)) == (2, 4)
    only_sup = records.staff_roster(db, P, "2026-10", role="supervisor")
    assert list(only_sup["id"]) == [1]
    with pytest.raises(ValueError):
        records.staff_roster(db, P, "2026-10", role="boss")


def test_turnover(db):
    df = sq.turnover(db, P, "2026-10").set_index("role")
    assert list(df.index) == ["supervisor", "director", "all"]
    # Supervisors: start S1 S2 (2), end S1 (1), leaver S2: 1 / 1.5.
    assert df.loc["supervisor", ["headcount_start", "headcount_end", "leavers"]].tolist() == [
        2,
        1,
        1,
    ]
    assert df.loc["supervisor", "turnover"] == pytest.approx(2 / 3)
    # Directors: start D1 D2 D4 D5 D6 (5), end D1 D3 D5 D6 (4), leavers D2 D4: 2 / 4.5.
    assert df.loc["director", ["headcount_start", "headcount_end", "leavers"]].tolist() == [5, 4, 2]
    assert df.loc["director", "turnover"] == pytest.approx(2 / 4.5)
    # All: 3 / ((7 + 5) / 2) = 0.5.
    assert df.loc["all", "average_headcount"] == 6.0
    assert df.loc["all", "turnover"] == pytest.approx(0.5)
    # Before anyone was appointed: no headcount, turnover null (never 0).
    empty = sq.turnover(db, P, "2022-06").set_index("role")
    assert empty.loc["all", "leavers"] == 0 and pd.isna(empty.loc["all", "turnover"])


def test_prefecture_scope_never_returns_another_prefecture(db):
    assert list(sq.staffing_by_region(db, B, "2026-10", "county")["code"]) == [B1]
    assert list(sq.village_vacancies(db, B, "2026-10")["code"]) == [VB13]
    assert list(sq.township_vacancies(db, A, "2026-10")["code"]) == [TA2]
    assert list(sq.certification_violations(db, A, "2026-10")["id"]) == [13]
    assert list(records.staff_roster(db, B, "2026-10")["id"]) == [15, 16]
    flow = sq.turnover(db, B, "2026-10").set_index("role")
    assert flow.loc["all", ["headcount_start", "headcount_end", "leavers"]].tolist() == [2, 2, 0]
    # Narrowing inside the scope works; outside it raises ScopeError.
    assert list(sq.village_vacancies(db, P, "2026-10", region=TA1)["code"]) == [VA12]
    assert list(records.staff_roster(db, A, "2026-10", region=VA21)["id"]) == [13]
    for fn in (
        sq.township_vacancies,
        sq.village_vacancies,
        sq.certification_violations,
        records.staff_roster,
    ):
        with pytest.raises(ScopeError):
            fn(db, A, "2026-10", region=B1)
    with pytest.raises(ScopeError):
        records.staff_roster(db, B, "2026-10", region=VA11)


def test_no_unmasked_personal_data_leaves_the_module(db):
    frames = [
        records.staff_roster(db, P, "2026-10"),
        records.staff_roster(db, P, "2026-11"),
        sq.certification_violations(db, P, "2026-10"),
        sq.certification_violations(db, P, "2026-11"),
        sq.township_vacancies(db, P, "2026-10"),
        sq.village_vacancies(db, P, "2026-10"),
        sq.staffing_by_region(db, P, "2026-10", "county"),
        sq.turnover(db, P, "2026-10"),
    ]
    for df in frames:
        text = df.astype(str).to_string()
        for raw in RAW_NAMES + RAW_PHONES:
            assert raw not in text
    roster = records.staff_roster(db, P, "2026-11")
    assert set(roster["name"]) <= {mask_name(n) for n in RAW_NAMES}
    assert set(roster["phone"]) <= {mask_phone(p) for p in RAW_PHONES}


def test_the_fixture_uses_every_village():
    # Guard: the expected values above assume these seven villages and three townships.
    assert {VA11, VA12, VA21, VA22, VB11, VB12, VB13} == {
        r[0] for r in REGIONS if r[2] == "village"
    }
    assert {TA1, TA2, TB1} == {r[0] for r in REGIONS if r[2] == "township"}
