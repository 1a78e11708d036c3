"""queries/interventions.py on a small hand-built database, both backends.

Every expected figure below was worked out by hand from the fixture (comments say how).
Period 2026-10: D = 2026-10-31, the period starts 2026-10-01, the 12 months start 2025-11-01.
Period 2026-09: D = 2026-09-30.
"""

from __future__ import annotations

import math
from datetime import date

import pandas as pd
import pytest

from data.schema import care_actions, cases, children, referrals, regions
from queries import care as ca_q
from queries import interventions as iv
from queries import records
from queries import referrals as rf
from queries.regions import ScopeError
from tests.fixtures.regions import A1, A2, B1, T1, TWO_PREFECTURES, A, B, P, region_rows, under
from tests.fixtures.tables import insert_rows, keyed

T2, TB = "360102002", "360781001"  # townships (T1: 豫章街道 of 东湖区)
V1, V2, VB = "360102001001", "360102002001", "360781001001"  # one village under each

REGIONS = [
    *TWO_PREFECTURES,
    *under(A1, "township", {T2: "公园街道"}),
    *under(B1, "township", {TB: "象湖镇"}),
    *under(T1, "village", {V1: "墩子塘社区"}),
    *under(T2, "village", {V2: "八一社区"}),
    *under(TB, "village", {VB: "沙洲坝村"}),
]

D = date.fromisoformat
NAMES = ("张小明", "李华", "王芳芳", "赵四", "欧阳小华")
# id, village, name, registered_on, exited_on
CHILDREN = [
    (1, V1, "张小明", "2025-01-01", None),  # active on D
    (2, V1, "李华", "2025-01-01", "2026-10-31"),  # exited on D: not active on D
    (3, V2, "王芳芳", "2026-10-31", None),  # registered on D: active
    (4, VB, "赵四", "2025-05-01", None),  # active
    (5, V2, "欧阳小华", "2026-11-01", None),  # registered after D: not active
]
# id, child, region, source, concern, risk, received, assessed, status, due, closed
# fmt: off
CASES = [
    # c1: open on D, stage 受理, 11 days old, abuse, high risk, not overdue
    (1, 1, V1, "hotline_12355", "abuse", "high", "2026-10-20", None, "received", "2026-11-04", None),
    # c2: open, 处置, 60 days old, overdue by 31 days (due 09-30 < D)
    (2, 1, T1, "mandatory_report", "guardianship", "medium", "2026-09-01", "2026-09-05",
     "in_progress", "2026-09-30", None),
    # c3: open, at the county code, 评估, 152 days old, overdue by 122 days, anonymous
    (3, None, A1, "visit", "dropout", "low", "2026-06-01", None, "assessing", "2026-07-01", None),
    # c4: closed in the period after 10 days
    (4, 3, V2, "school", "abuse", "high", "2026-10-01", "2026-10-02", "closed", "2026-10-16",
     "2026-10-11"),
    # c5: closed on D (so not open on D) after 91 days; overdue on 2026-09-30 (due 08-31)
    (5, 4, VB, "police", "illness", "medium", "2026-08-01", "2026-08-10", "closed", "2026-08-31",
     "2026-10-31"),
    # c6: closed 2026-01-14 after 30 days (inside the 12 months, not the period)
    (6, 2, V1, "other", "living_hardship", "low", "2025-12-15", "2025-12-20", "closed",
     "2026-01-10", "2026-01-14"),
    # c7: open, assessed 10-05 → 处置 on D but 评估 on 2026-09-30; due on D: not overdue
    (7, 1, V1, "hotline_12355", "psychological", "medium", "2026-09-20", "2026-10-05",
     "in_progress", "2026-10-31", None),
    # c8: received on D at the county code of B1, 0 days old
    (8, None, B1, "hotline_12355", "abuse", "high", "2026-10-31", None, "received", "2026-11-15",
     None),
    # c9: received and closed before the 12 months: counted nowhere for 2026-10
    (9, 1, V1, "hotline_12355", "other", "low", "2025-10-15", "2025-10-16", "closed",
     "2025-10-30", "2025-10-20"),
    # c10: open, 评估, 16 days old, no due date (never overdue)
    (10, 4, TB, "visit", "other", "low", "2026-10-15", None, "assessing", None, None),
]
# fmt: on
# id, case, department, referred_on, responded_on
REFERRALS = [
    (1, 2, "public_security", "2026-10-02", "2026-10-05"),  # 3 days: timely
    (2, 2, "education", "2026-10-03", "2026-10-10"),  # 7 days: timely (boundary)
    (3, 4, "education", "2026-10-04", "2026-10-12"),  # 8 days: late
    (4, 7, "public_security", "2026-10-06", None),  # unanswered, its 7 days over
    (5, 8, "womens_federation", "2026-10-31", None),  # made on D: pending (待响应) (B1)
    (6, 5, "health", "2026-08-12", "2026-08-14"),  # 2 days, 12 months only (B1)
    # made D − 11, answered 13 days later, after D: on D unanswered and late (B1)
    (7, 10, "public_security", "2026-10-20", "2026-11-02"),
    (8, 9, "justice", "2025-10-16", "2025-10-17"),  # before the 12 months
]
# id, child, action_type, started_on, ended_on
CARE = [
    (1, 1, "warm_heart", "2026-01-01", None),  # active
    (2, 1, "academic_help", "2026-01-01", "2026-10-31"),  # ended on D: not active
    (3, 1, "warm_heart", "2026-05-01", None),  # same child and type: counted once
    (4, 2, "living_security", "2026-01-01", None),  # child not active on D
    (5, 3, "safety_care", "2026-10-31", None),  # started on D: active
    (6, 4, "health_care", "2026-11-01", None),  # starts after D
    (7, 4, "behavior_care", "2025-06-01", "2026-11-30"),  # ends after D: active
]


def _dates(row: tuple, positions: tuple[int, ...]) -> list:
    return [D(v) if i in positions and v is not None else v for i, v in enumerate(row)]


CASE_COLUMNS = (
    "id child_id region_code source concern risk_level received_on assessed_on status due_on"
    " closed_on"
)


@pytest.fixture(params=["raw", "rollup"])
def db(engine, request):
    """The fixture's records; with 'rollup' also refreshed, so that every hand figure below is
    checked on both paths: computed from the raw records (no panel_counts yet) and read from
    the rollup's panel_counts (the county and province tables of the pages)."""
    from data.rollup import refresh

    kids = keyed(
        "id village_code name registered_on exited_on",
        [_dates(c, (3, 4)) for c in CHILDREN],
        category="left_behind",
    )
    refs = keyed(
        "id case_id department referred_on responded_on", [_dates(r, (3, 4)) for r in REFERRALS]
    )
    care = keyed("id child_id action_type started_on ended_on", [_dates(r, (3, 4)) for r in CARE])
    loaded = insert_rows(
        engine,
        (regions, region_rows(REGIONS)),
        (children, kids),
        (cases, keyed(CASE_COLUMNS, [_dates(r, (6, 7, 9, 10)) for r in CASES])),
        (referrals, refs),
        (care_actions, care),
    )
    if request.param == "rollup":
        refresh(loaded)
    return loaded


def _pipeline(df: pd.DataFrame) -> dict:
    return {(r.stage, r.risk_level): r.cases for r in df.itertuples() if r.cases}


def _no_raw_names(df: pd.DataFrame) -> None:
    text = df.astype(str).to_numpy().ravel().tolist()
    for name in NAMES:
        assert not any(name in str(cell) for cell in text), name


# ---------------------------------------------------------------- pipeline and open cases


def test_case_pipeline(db):
    df = iv.case_pipeline(db, P, "2026-10")
    assert len(df) == 12  # every stage × risk pair
    # On D: c1, c8 受理 (high); c3, c10 评估 (low); c2, c7 处置 (medium); closed in the
    # period: c4 (high, 10-11) and c5 (medium, on D).
    assert _pipeline(df) == {
        ("received", "high"): 2,
        ("assessing", "low"): 2,
        ("in_progress", "medium"): 2,
        ("closed", "high"): 1,
        ("closed", "medium"): 1,
    }
    assert df[df.stage != "closed"].cases.sum() == 6  # = open_cases on D
    # 2026-09-30: c2, c5 assessed before D → 处置; c3 never assessed → 评估; c7 assessed
    # only on 10-05 → 评估 then; nothing closed in September.
    assert _pipeline(iv.case_pipeline(db, P, "2026-09")) == {
        ("assessing", "low"): 1,
        ("assessing", "medium"): 1,
        ("in_progress", "medium"): 2,
    }


def test_open_cases_by_county(db):
    df = iv.open_cases_by_area(db, P, "2026-10").set_index("code")
    assert list(df.index) == [A1, A2, B1]
    # 东湖区: c1 (V1), c2 (T1), c3 (county code), c7 (V1) open; c2, c3 overdue; c1 high
    # risk and abuse; ages 11, 60, 152, 41 days.
    assert df.loc[A1, ["open_cases", "overdue_cases", "high_risk_open", "abuse_open"]].tolist() == [
        4,
        2,
        1,
        1,
    ]
    assert df.loc[A1, [b[0] for b in iv.AGE_BUCKETS]].tolist() == [1, 0, 2, 0, 1]
    # 西湖区: nothing; 瑞金市: c8 (0 days, high, abuse), c10 (16 days, no due date).
    assert df.loc[A2, ["open_cases", "overdue_cases"]].tolist() == [0, 0]
    assert df.loc[B1, ["open_cases", "overdue_cases", "high_risk_open", "abuse_open"]].tolist() == [
        2,
        0,
        1,
        1,
    ]
    assert df.loc[B1, [b[0] for b in iv.AGE_BUCKETS]].tolist() == [1, 1, 0, 0, 0]
    assert df.loc[A1, "parent_name"] == "南昌市"
    # 2026-09-30: open c2, c3, c5, c7; overdue c3 (due 07-01) and c5 (due 08-31), not c2
    # (due on D).
    sep = iv.open_cases_by_area(db, P, "2026-09").set_index("code")
    assert sep.open_cases.tolist() == [3, 0, 1] and sep.overdue_cases.tolist() == [1, 0, 1]


def test_open_cases_by_township_small_counts(db):
    df = iv.open_cases_by_area(db, A1, "2026-10", level="township")
    # 豫章街道: c1, c2, c7 (one abuse case → "<5"); 公园街道: none open (c4 closed);
    # c3 at the county code forms the 东湖区本级 row.
    assert df.code.tolist() == [T1, T2, A1]
    assert df.name.tolist() == ["豫章街道", "公园街道", "东湖区本级"]
    assert df.open_cases.tolist() == [3, 0, 1]
    assert df.overdue_cases.tolist() == [1, 0, 1]
    assert df.abuse_open.tolist() == ["<5", "0", "0"]
    assert df.open_cases.sum() == 4  # = 东湖区's open cases


def test_open_case_ageing(db):
    df = iv.open_case_ageing(db, P, "2026-10")
    # ages: c1 11, c8 0 (both high) | c10 16 | c2 60, c7 41 | — | c3 152
    assert df.bucket.tolist() == [b[0] for b in iv.AGE_BUCKETS]
    assert df.cases.tolist() == [2, 1, 2, 0, 1]
    assert df.high_risk.tolist() == [2, 0, 0, 0, 0]


def test_case_sources(db):
    df = iv.case_sources(db, P, "2026-10").set_index("source")
    assert list(df.index) == list(iv.CASE_SOURCE)
    # period: c1, c8 hotline; c4 school; c10 visit. 12 months: + c7 hotline, c2 mandatory,
    # c3 visit, c5 police, c6 other; c9 (2025-10-15) is too old.
    assert df.period_cases.tolist() == [2, 0, 1, 1, 0, 0]
    assert df.cases_12m.tolist() == [3, 1, 2, 1, 1, 1]


# ---------------------------------------------------------------- overdue list, masking


def test_overdue_case_list_masked(db):
    df = records.case_list(db, P, "2026-10", overdue_only=True)
    assert df.id.tolist() == [3, 2]  # most overdue first
    first, second = df.to_dict("records")
    assert first["days_overdue"] == 122 and second["days_overdue"] == 31
    assert first["county_name"] == "东湖区" and pd.isna(first["township_name"])
    assert second["township_name"] == "豫章街道"
    assert (second["risk_level"], second["stage"]) == ("medium", "in_progress")
    # The concern is the county's own users' to see (issue 19.10), not the province's.
    assert pd.isna(second["concern"]) and pd.isna(second["village_name"])
    county = second["region_code"][:6]
    own = records.case_list(db, county, "2026-10", overdue_only=True).set_index("id")
    assert own.loc[2, "concern"] == "guardianship"
    assert second["received_on"] == date(2026, 9, 1) and second["due_on"] == date(2026, 9, 30)
    assert pd.isna(first["child_name"])  # anonymous case
    assert second["child_name"] == "张*明"
    # On 2026-09-30: c3 (91 days) and c5 (30 days), whose child 赵四 shows as 赵*.
    sep = records.case_list(db, P, "2026-09", overdue_only=True)
    assert sep.id.tolist() == [3, 5]
    assert sep.days_overdue.tolist() == [91, 30]
    assert pd.isna(sep.child_name[0]) and sep.child_name[1] == "赵*"
    assert sep.county_name.tolist() == ["东湖区", "瑞金市"]


def test_no_unmasked_names_anywhere(db):
    frames = [
        iv.case_pipeline(db, P, "2026-10"),
        iv.open_cases_by_area(db, P, "2026-10"),
        iv.open_cases_by_area(db, A1, "2026-10", level="township"),
        iv.open_case_ageing(db, P, "2026-10"),
        iv.case_sources(db, P, "2026-10"),
        records.case_list(db, P, "2026-10"),
        records.case_list(db, P, "2026-09", overdue_only=True),
        rf.referrals_by_department(db, P, "2026-10"),
        rf.referral_summary(db, P, "2026-10"),
        rf.closure_summary(db, P, "2026-10"),
        rf.closure_distribution(db, P, "2026-10"),
        ca_q.care_actions_by_area(db, P, "2026-10"),
    ]
    for df in frames:
        _no_raw_names(df)


# ---------------------------------------------------------------- referrals


def test_referrals_by_department_period(db):
    df = rf.referrals_by_department(db, P, "2026-10").set_index("department")
    assert list(df.index) == list(rf.DEPARTMENT)
    # 公安: r1 (3 days), r4 (none), r7 (answered after D: unknown on D, so unanswered)
    ps = df.loc["public_security"]
    assert (ps.referrals, ps.answered, ps.unanswered, ps.pending, ps.timely) == (3, 1, 2, 0, 1)
    assert ps.timely_share == pytest.approx(1 / 3)
    assert ps.median_days == 3.0 and ps.mean_days == 3.0
    # 教育: r2 (7 days, timely at the boundary), r3 (8 days)
    ed = df.loc["education"]
    assert (ed.referrals, ed.answered, ed.unanswered, ed.timely) == (2, 2, 0, 1)
    assert ed.timely_share == 0.5 and ed.median_days == 7.5 and ed.mean_days == 7.5
    # 妇联: r5 made on D is pending, not late: nothing known yet, so no share (never 0)
    wf = df.loc["womens_federation"]
    assert (wf.referrals, wf.unanswered, wf.pending) == (1, 0, 1)
    assert math.isnan(wf.timely_share) and math.isnan(wf.median_days)
    # 司法 had a referral only before the 12 months: no referrals, share null (never 0)
    assert df.loc["justice", "referrals"] == 0 and math.isnan(df.loc["justice", "timely_share"])


def test_referral_summary_and_12_months(db):
    df = rf.referral_summary(db, P, "2026-10").set_index("window")
    # period: r1 r2 r3 r4 r5 r7 → 6 made; on D answered r1 r2 r3 (3, 7, 8 days), r5 pending,
    # r4 r7 unanswered; timely r1 r2 of the 5 known
    per = df.loc["period"]
    assert (per.referrals, per.answered, per.unanswered, per.pending, per.timely) == (
        6,
        3,
        2,
        1,
        2,
    )
    assert per.timely_share == pytest.approx(2 / 5)  # = referral_timely
    assert per.median_days == 7.0 and per.mean_days == 6.0
    # 12 months: + r6 (2 days)
    y = df.loc["12m"]
    assert (y.referrals, y.answered, y.unanswered, y.pending, y.timely) == (7, 4, 2, 1, 3)
    assert y.timely_share == pytest.approx(3 / 6)
    assert y.median_days == 5.0 and y.mean_days == pytest.approx(5.0)
    health = rf.referrals_by_department(db, P, "2026-10", window="12m").set_index("department")
    assert health.loc["health", "referrals"] == 1 and health.loc["health", "median_days"] == 2.0


# ---------------------------------------------------------------- closure times


def test_closure_summary_and_distribution(db):
    df = rf.closure_summary(db, P, "2026-10").set_index("window")
    # period: c4 10 days, c5 91 days; 12 months: + c6 30 days (c9 closed too early)
    per = df.loc["period"]
    # the period's mean is case_closure_days
    assert per.closed == 2 and per.mean_days == 50.5 and per.median_days == 50.5
    assert per.within_30 == 1 and per.within_30_share == 0.5
    y = df.loc["12m"]
    assert y.closed == 3 and y.mean_days == pytest.approx(131 / 3) and y.median_days == 30.0
    assert y.within_30 == 2 and y.within_30_share == pytest.approx(2 / 3)
    dist = rf.closure_distribution(db, P, "2026-10")
    assert dist.bucket.tolist() == [b[0] for b in iv.AGE_BUCKETS]
    assert dist.period_cases.tolist() == [1, 0, 0, 0, 1]
    assert dist.cases_12m.tolist() == [1, 1, 0, 0, 1]
    # September: nothing closed → null mean (shown "—"), never 0
    sep = rf.closure_summary(db, P, "2026-09").set_index("window")
    assert sep.loc["period", "closed"] == 0 and math.isnan(sep.loc["period", "mean_days"])


def test_closure_days_by_source_and_risk(db):
    """c4 school/high 10 days and c5 police/medium 91 days closed in the period; c6
    other/low 30 days in the 12 months only; c9 too early. Groups without a closure in the
    12 months (12355, 强制报告, 走访) have no row; a group with none in the period: 0, null."""
    src = rf.closure_by_group(db, P, "2026-10", "source").set_index("group")
    assert src.index.tolist() == ["school", "police", "other"]  # CASE_SOURCE order
    assert src.closed_period.tolist() == [1, 1, 0] and src.closed_12m.tolist() == [1, 1, 1]
    assert src.mean_days_period.tolist()[:2] == [10.0, 91.0]
    assert math.isnan(src.loc["other", "mean_days_period"])
    assert src.mean_days_12m.tolist() == [10.0, 91.0, 30.0]
    risk = rf.closure_by_group(db, P, "2026-10", "risk_level").set_index("group")
    assert risk.index.tolist() == ["high", "medium", "low"]
    assert risk.mean_days_12m.tolist() == [10.0, 91.0, 30.0]
    assert risk.closed_period.tolist() == [1, 1, 0]
    # the groups add up to closure_summary, whose period mean is case_closure_days
    total = rf.closure_summary(db, P, "2026-10").set_index("window")
    for w in ("period", "12m"):
        n = risk[f"closed_{w}"].sum()
        days = (risk[f"closed_{w}"] * risk[f"mean_days_{w}"].fillna(0)).sum()
        assert n == total.loc[w, "closed"] and days / n == pytest.approx(total.loc[w, "mean_days"])
    # 赣州市 (B) closed only c5; nothing closed in September
    assert rf.closure_by_group(db, B, "2026-10", "source")["group"].tolist() == ["police"]
    sep = rf.closure_by_group(db, P, "2026-09", "source").set_index("group")
    assert sep.closed_period.sum() == 0 and sep.mean_days_period.isna().all()
    with pytest.raises(ValueError):
        rf.closure_by_group(db, P, "2026-10", "concern")


# ---------------------------------------------------------------- care actions


def test_care_actions_by_county(db):
    df = ca_q.care_actions_by_area(db, P, "2026-10").set_index("code")
    assert list(df.index) == [A1, A2, B1]
    # 东湖区: children 1 (V1) and 3 (V2) active; child 1 warm_heart (twice, counted once),
    # child 3 safety_care from D; child 2 exited on D, its action does not count.
    a1 = df.loc[A1]
    assert a1.children_active == 2 and a1.any_action == 2
    assert (a1.warm_heart, a1.safety_care, a1.academic_help, a1.living_security) == (1, 1, 0, 0)
    assert df.loc[A2, ["children_active", "any_action"]].tolist() == [0, 0]
    # 瑞金市: child 4, behavior_care runs past D; health_care starts after D.
    b1 = df.loc[B1]
    assert (b1.children_active, b1.behavior_care, b1.health_care, b1.any_action) == (1, 1, 0, 1)
    totals = ca_q.care_action_totals(df.reset_index()).set_index("action_type")
    assert totals.children.tolist() == [0, 0, 1, 0, 1, 1]  # ACTION_TYPE order
    assert totals.loc["warm_heart", "share"] == pytest.approx(1 / 3)


def test_care_actions_by_township(db):
    df = ca_q.care_actions_by_area(db, A1, "2026-10", level="township")
    assert df.code.tolist() == [T1, T2]
    assert df.children_active.tolist() == [1, 1]
    assert df.warm_heart.tolist() == [1, 0] and df.safety_care.tolist() == [0, 1]


# ---------------------------------------------------------------- scope


def test_prefecture_scope_sees_only_its_own(db):
    assert iv.open_cases_by_area(db, A, "2026-10").code.tolist() == [A1, A2]
    assert ca_q.care_actions_by_area(db, A, "2026-10").code.tolist() == [A1, A2]
    assert set(records.case_list(db, A, "2026-10", overdue_only=True).county_name) == {"东湖区"}
    # 南昌市 holds c1 c2 c3 c7 open, c4 closed; 瑞金市's c8, c10, c5 stay out
    assert _pipeline(iv.case_pipeline(db, A, "2026-10")) == {
        ("received", "high"): 1,
        ("assessing", "low"): 1,
        ("in_progress", "medium"): 2,
        ("closed", "high"): 1,
    }
    assert iv.case_sources(db, A, "2026-10").period_cases.sum() == 2  # c1, c4
    ref = rf.referral_summary(db, A, "2026-10").set_index("window")
    assert ref.loc["period", "referrals"] == 4 and ref.loc["period", "timely_share"] == 0.5
    assert rf.closure_summary(db, A, "2026-10").set_index("window").loc["period", "closed"] == 1
    # the other prefecture and a county of it
    b = iv.open_cases_by_area(db, B, "2026-10")
    assert b.code.tolist() == [B1] and b.open_cases.tolist() == [2]


def test_region_inside_and_outside_the_scope(db):
    inside = iv.case_pipeline(db, P, "2026-10", region=A)
    assert inside.equals(iv.case_pipeline(db, A, "2026-10"))
    with pytest.raises(ScopeError):
        iv.case_pipeline(db, A, "2026-10", region=B1)
    with pytest.raises(ScopeError):
        records.case_list(db, A, "2026-10", region=B, overdue_only=True)
    with pytest.raises(ScopeError):
        iv.open_cases_by_area(db, A1, "2026-10", region=A)  # above the scope


def test_bad_period_and_level(db):
    with pytest.raises(ValueError):
        iv.case_pipeline(db, P, "2026-13")
    with pytest.raises(ValueError):
        iv.open_cases_by_area(db, P, "2026-10", level="village")
    assert iv.window_start("2026-10", "12m") == date(2025, 11, 1)
    assert iv.window_start("2026-01", "12m") == date(2025, 2, 1)


def test_live_figures_agree_with_the_rollup(db):
    """The page shows KPI cards from kpi_snapshots next to these live figures: the rollup of
    the same fixture must give the same numbers (open 6, overdue 2, 101 days / 2 closures,
    2 of 6 referrals timely, 3 of 3 children with an active care action)."""
    from data.rollup import refresh
    from queries.indicators import kpis

    refresh(db)
    snap = kpis(db, P, "2026-10").set_index("metric")
    live_open = iv.open_cases_by_area(db, P, "2026-10")
    assert snap.loc["open_cases", "value"] == live_open.open_cases.sum() == 6
    assert snap.loc["overdue_cases", "value"] == live_open.overdue_cases.sum() == 2
    closure = rf.closure_summary(db, P, "2026-10").set_index("window").loc["period"]
    assert snap.loc["case_closure_days", "value"] == closure.mean_days == 50.5
    timely = rf.referral_summary(db, P, "2026-10").set_index("window").loc["period"]
    assert snap.loc["referral_timely", "value"] == pytest.approx(timely.timely_share)
    care = ca_q.care_actions_by_area(db, P, "2026-10")
    assert snap.loc["care_coverage", "numerator"] == care.any_action.sum() == 3
    assert snap.loc["care_coverage", "denominator"] == care.children_active.sum() == 3


def test_care_actions_by_county_come_from_panel_counts(db):
    """After a refresh the county table is read from panel_counts ('care'): the same hand
    figures as the live SQL above, and still those figures once the raw care actions are gone
    (so it does not scan them); the township table of one county stays live."""
    from data.rollup import refresh
    from data.schema import panel_counts

    live = ca_q.care_actions_by_area(db, P, "2026-10")
    refresh(db)
    with db.begin() as conn:
        n = conn.execute(
            panel_counts.select().where(
                panel_counts.c.period == "2026-10", panel_counts.c.panel == "care"
            )
        ).all()
        conn.execute(care_actions.delete())
    assert {r.region_code for r in n} == {A1, A2, B1}  # every county, 0 rows included
    stored = ca_q.care_actions_by_area(db, P, "2026-10")
    pd.testing.assert_frame_equal(stored, live)
    a1 = stored.set_index("code").loc[A1]
    assert (a1.children_active, a1.warm_heart, a1.safety_care, a1.any_action) == (2, 1, 1, 2)
    assert ca_q.care_actions_by_area(db, A, "2026-10").code.tolist() == [A1, A2]
    # September: child 1 warm_heart (c1, c3) and academic_help, child 4 behavior_care;
    # child 3 not yet registered (2026-10-31), child 2 active with living_security.
    sep = ca_q.care_actions_by_area(db, P, "2026-09").set_index("code")
    assert sep.loc[A1, ["children_active", "warm_heart", "academic_help"]].tolist() == [2, 1, 1]
    assert sep.loc[A1, ["living_security", "any_action"]].tolist() == [1, 2]
    assert sep.loc[B1, ["children_active", "behavior_care", "any_action"]].tolist() == [1, 1, 1]
    town = ca_q.care_actions_by_area(db, A1, "2026-10", level="township")
    assert town.children_active.tolist() == [1, 1] and town.any_action.sum() == 0
