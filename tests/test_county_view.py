"""县区详情: the county queries on a hand-built county (SQLite and PostgreSQL), and the page for
22 of the 100 counties (all of them with COUNTY_SWEEP=all, as `make bench` runs it) and every
prefecture of the demo province in AppTest.

The AppTest database holds the full region tree of the province (1 province, 11 prefectures,
100 counties) with demo data: the demo generator run with its `tiny` scale but a "thin" tree
(every county, its first two townships, their first three villages), built in about four
seconds, so every county has townships, villages, staff, children and cases. Set
`COUNTY_VIEW_DB_URL` to run the same checks on another database, e.g. a copy of the
province-scale demo (`data/reporting.db`, never the file itself: the test signs in, which
writes an account). Per-county render times (cold: the county's first render; warm: the
same page again) go to artifacts/county_view_times.json.

Hand-built county 东湖区 A1, D = 2026-03-31:
  T1 公园街道: V11 公园社区, V12 百花洲村;   T2 豫章街道: V21 豫章村
  staff  s1 supervisor T1 李建国 (initial passed 2024-02-01, annual passed 2025-06-01)
         s2 supervisor T2, left on D (not active)
         s3 director V11 欧阳娜娜 (initial failed 2024-03-01; annual passed after D)
         s4 director V12, left 2026-02-01;   s5 director V21, appointed after D
  homes  V11 operating; V12 closed 2026-01-01; V21 building (never counts)
  children V11: c1 visited 2026-03-01, c2 last visited 2025-12-01 (outside the 90 days);
           V12: c3 visited 2026-01-15;   V21: none
  cases  k1 V11 received 03-01 due 03-20 (overdue 11 days, child c3 刘小红); k2 A1 itself
         received 03-25 due 04-10; k3 V11 closed 03-15 (not open on D); k4 T1 high risk,
         received 02-01, assessed 02-10, due 04-30, closed 04-05 (after D: still open on D,
         stage in_progress; k1 and k2, not yet assessed, are being assessed)
"""

from __future__ import annotations

import json
import os
import re
import statistics
import time
from datetime import date

import pandas as pd
import pytest
from sqlalchemy import Engine, insert

from core.metrics import METRIC_CODES, TOLERANCE
from data.regions import build_region_tree
from data.schema import cases, children, children_homes, staff, trainings, visits
from queries import county as county_q
from queries import records
from queries.regions import ScopeError
from tests.fixtures.province import A1, A2, B2, A, P, load_regions
from tests.fixtures.regions import under

PROVINCE = "360000"
PERIOD = "2026-03"
T1, T2 = "360102001", "360102002"
V11, V12, V21 = "360102001001", "360102001002", "360102002001"
EXTRA = [
    *under(A1, "township", {T1: "公园街道", T2: "豫章街道"}),
    *under(T1, "village", {V11: "公园社区", V12: "百花洲村"}),
    *under(T2, "village", {V21: "豫章村"}),
]


def day(s: str | None) -> date | None:
    return date.fromisoformat(s) if s else None


def _staff(id_, role, region, name, appointed, left=None, fcm=False):
    return {
        "id": id_,
        "role": role,
        "region_code": region,
        "name": name,
        "gender": "F" if fcm else "M",
        "phone": f"1381234{id_:04d}",
        "is_female_committee_member": fcm,
        "is_dedicated": id_ == 1,
        "is_registered": True,
        "appointed_on": day(appointed),
        "left_on": day(left),
        "info_updated_on": day("2026-01-10"),
    }


def _child(id_, village, name, id_number=None):
    return {
        "id": id_,
        "village_code": village,
        "category": "left_behind",
        "name": name,
        "id_number": id_number,
        "registered_on": day("2025-01-01"),
    }


def _case(id_, region, received, due, closed=None, risk="medium", child=None, assessed=None):
    return {
        "id": id_,
        "child_id": child,
        "region_code": region,
        "source": "visit",
        "concern": "guardianship",
        "risk_level": risk,
        "received_on": day(received),
        "assessed_on": day(assessed),
        "status": "closed" if closed else "in_progress",
        "due_on": day(due),
        "closed_on": day(closed),
    }


@pytest.fixture
def county_db(engine: Engine) -> Engine:
    load_regions(engine, EXTRA)
    with engine.begin() as conn:
        conn.execute(
            insert(staff),
            [
                _staff(1, "supervisor", T1, "李建国", "2024-01-01"),
                _staff(2, "supervisor", T2, "张三丰", "2024-01-01", "2026-03-31"),
                _staff(3, "director", V11, "欧阳娜娜", "2024-01-01", fcm=True),
                _staff(4, "director", V12, "王五", "2024-01-01", "2026-02-01"),
                _staff(5, "director", V21, "赵六", "2026-04-01"),
            ],
        )
        conn.execute(
            insert(trainings),
            [
                {"id": 1, "staff_id": 1, "trained_on": day("2024-02-01"), "kind": "initial", "passed": True},
                {"id": 2, "staff_id": 1, "trained_on": day("2025-06-01"), "kind": "annual", "passed": True},
                {"id": 3, "staff_id": 3, "trained_on": day("2024-03-01"), "kind": "initial", "passed": False},
                {"id": 4, "staff_id": 3, "trained_on": day("2026-04-02"), "kind": "annual", "passed": True},
            ],
        )  # fmt: skip
        conn.execute(
            insert(children_homes),
            [
                {"id": 1, "village_code": V11, "name": "甲", "status": "operating", "established_on": day("2025-01-01"), "closed_on": None},
                {"id": 2, "village_code": V12, "name": "乙", "status": "closed", "established_on": day("2025-01-01"), "closed_on": day("2026-01-01")},
                {"id": 3, "village_code": V21, "name": "丙", "status": "building", "established_on": day("2025-01-01"), "closed_on": None},
            ],
        )  # fmt: skip
        conn.execute(
            insert(children),
            [
                _child(1, V11, "陈一"),
                _child(2, V11, "陈二"),
                _child(3, V12, "刘小红", "360102201001011234"),
            ],
        )
        conn.execute(
            insert(visits),
            [
                {"id": 1, "child_id": 1, "staff_id": 3, "visited_on": day("2026-03-01")},
                {"id": 2, "child_id": 2, "staff_id": 3, "visited_on": day("2025-12-01")},
                {"id": 3, "child_id": 3, "staff_id": 3, "visited_on": day("2026-01-15")},
            ],
        )
        conn.execute(
            insert(cases),
            [
                _case(1, V11, "2026-03-01", "2026-03-20", child=3),
                _case(2, A1, "2026-03-25", "2026-04-10"),
                _case(3, V11, "2026-03-01", "2026-03-30", closed="2026-03-15"),
                _case(
                    4, T1, "2026-02-01", "2026-04-30", "2026-04-05", "high", assessed="2026-02-10"
                ),
            ],
        )
    return engine


# ---------------------------------------------------------------- queries


def test_township_gaps_by_hand(county_db):
    df = county_q.township_gaps(county_db, A1, PERIOD, A1).set_index("code")
    assert list(df.index) == [T1, T2]
    t1, t2 = df.loc[T1], df.loc[T2]
    assert (t1["name"], t1["villages"], bool(t1["has_supervisor"])) == ("公园街道", 2, True)
    assert (t1["villages_without_director"], t1["villages_without_home"]) == (1, 1)
    assert t1["visit_rate"] == pytest.approx(2 / 3) and bool(t1["low_visits"])
    assert (t1["children"], t1["open_cases"], t1["overdue_cases"], t1["gaps"]) == (3, 2, 1, 3)
    assert t1["trained_12m"] == pytest.approx(0.5)  # s1 of s1, s3
    assert (t2["villages"], bool(t2["has_supervisor"]), bool(t2["no_supervisor"])) == (
        1,
        False,
        True,
    )
    assert (t2["villages_without_director"], t2["villages_without_home"]) == (1, 1)
    assert pd.isna(t2["visit_rate"]) and not t2["low_visits"]  # no children: no visit gap
    assert (t2["children"], t2["gaps"]) == (0, 3)


@pytest.mark.parametrize("scope", [P, A])
def test_township_case_counts_under_3_are_withheld_outside_the_county(county_db, scope):
    """Issue 19.10: 公园街道's 2 open cases and 1 overdue case name children to anyone who
    knows the township; a province or prefecture user sees "<3" (NA here); 0 stays 0."""
    df = county_q.township_gaps(county_db, scope, PERIOD, A1).set_index("code")
    t1, t2 = df.loc[T1], df.loc[T2]
    assert pd.isna(t1["open_cases"]) and pd.isna(t1["overdue_cases"])
    assert (t2["open_cases"], t2["overdue_cases"]) == (0, 0)
    assert (t1["children"], t1["gaps"]) == (3, 3)  # not a small cell


def test_village_gaps_by_hand(county_db):
    df = county_q.village_gaps(county_db, P, PERIOD, A1).set_index("code")
    assert list(df.index) == [V11, V12, V21]
    assert list(df["township_name"]) == ["公园街道", "公园街道", "豫章街道"]
    assert list(df["has_director"]) == [True, False, False]
    assert list(df["has_home"]) == [True, False, False]
    assert df.loc[V11, "visit_rate"] == 0.5 and df.loc[V12, "visit_rate"] == 1.0
    assert pd.isna(df.loc[V21, "visit_rate"])
    assert list(df["low_visits"]) == [True, False, False]
    assert list(df["children"]) == [2, 1, 0]
    assert list(df["gaps"]) == [1, 2, 2]


def _visited_villages(engine: Engine, villages: dict[str, tuple[int, int]]) -> None:
    """Under county A2, one township per village; village → (registered children, children
    visited on 2026-03-15, inside the 90 days ending D)."""
    rows = []
    for i, code in enumerate(villages, start=1):
        town = f"{A2}{i:03d}"
        rows += [(town, f"乡镇{i}", "township", A2), (code, f"村{i}", "village", town)]
    load_regions(engine, rows)
    kids, seen = [], []
    for code, (n, visited) in villages.items():
        first = len(kids) + 1
        kids += [_child(first + k, code, f"儿童{first + k}") for k in range(n)]
        seen += [
            {"id": first + k, "child_id": first + k, "visited_on": day("2026-03-15")}
            for k in range(visited)
        ]
    with engine.begin() as conn:
        conn.execute(insert(children), kids)
        conn.execute(insert(visits), seen)


def test_visit_rate_exactly_on_target_is_no_gap(engine):
    """探访率低 is a rate below the target: a village (and its township) exactly on it has
    no visit gap, one just below it has (kills `<` vs `<=` and off-by-a-margin mutants of
    the comparison)."""
    assert county_q.visit_target() == pytest.approx(0.9)  # the counts below assume it
    on, below = f"{A2}001001", f"{A2}002001"
    _visited_villages(engine, {on: (10, 9), below: (1000, 899)})
    villages = county_q.village_gaps(engine, P, PERIOD, A2).set_index("code")
    assert villages.loc[on, "visit_rate"] == pytest.approx(0.9)
    assert villages.loc[below, "visit_rate"] == pytest.approx(0.899)
    assert not villages.loc[on, "low_visits"] and villages.loc[below, "low_visits"]
    assert (villages.loc[on, "gaps"], villages.loc[below, "gaps"]) == (2, 3)  # + director, home
    towns = county_q.township_gaps(engine, P, PERIOD, A2).set_index("code")
    assert list(towns["low_visits"]) == [False, True]
    # the comparison itself, at the edge of the one tolerance (core.metrics.meets_target)
    t = county_q.visit_target()
    rates = pd.Series([t, t + TOLERANCE / 2, t - TOLERANCE / 2, t - 1e-6, t + 1e-6, None])
    low = county_q._low(pd.to_numeric(rates), t)
    assert low.tolist() == [False, False, False, True, False, False]


def test_case_list_masked_by_hand(county_db):
    df = records.case_list(county_db, A1, PERIOD, A1)
    assert list(df.columns) == records.CASE_COLUMNS
    assert list(df["id"]) == [1, 4, 2]  # overdue first, then high risk, then by date
    assert list(df["region_code"]) == [V11, T1, A1]
    assert list(df["overdue"]) == [True, False, False]
    assert df["days_overdue"].iloc[0] == 11 and df["days_overdue"].iloc[1:].isna().all()
    assert list(df["days_open"]) == [30, 58, 6]
    assert list(df["stage"]) == ["assessing", "in_progress", "assessing"]  # stage on D
    assert df.iloc[0]["child_name"] == "刘*红" and "刘小红" not in df.to_string()
    assert df.iloc[0]["child_id_number"] == "3601**********1234"
    assert "360102201001011234" not in df.to_string()
    assert (df.iloc[0]["township_name"], df.iloc[0]["village_name"]) == ("公园街道", "公园社区")
    assert df.iloc[1]["township_name"] == "公园街道" and pd.isna(df.iloc[1]["village_name"])
    assert df.iloc[2]["county_name"] == "东湖区" and pd.isna(df.iloc[2]["township_name"])
    assert df.iloc[0]["concern"] == "guardianship"
    # Above the county the list names neither village nor concern (issue 19.10), unless
    # the user may see unmasked data.
    for scope in (P, A):
        wide = records.case_list(county_db, scope, PERIOD, A1)
        assert list(wide["id"]) == [1, 4, 2]
        assert wide["village_name"].isna().all() and wide["concern"].isna().all()
        assert list(wide["township_name"].fillna("")) == ["公园街道", "公园街道", ""]
    permitted = records.case_list(county_db, P, PERIOD, A1, unmasked=True)
    assert permitted.iloc[0][["village_name", "concern"]].tolist() == ["公园社区", "guardianship"]
    assert not records.shows_case_detail(county_db, P)
    assert records.shows_case_detail(county_db, A1)
    only = records.case_list(county_db, P, PERIOD, A1, overdue_only=True)
    assert list(only["id"]) == [1]
    assert list(records.case_list(county_db, P, PERIOD, A)["id"]) == [1, 4, 2]  # prefecture
    assert list(records.case_list(county_db, P, PERIOD)["id"]) == [1, 4, 2]  # the scope
    assert list(records.case_list(county_db, P, PERIOD, T1)["id"]) == [1, 4]  # a township
    assert records.case_list(county_db, P, "2026-01", A1).empty  # nothing received yet


def test_staff_roster_masked_by_hand(county_db):
    df = records.staff_roster(county_db, P, PERIOD, A1)
    assert list(df.columns) == records.STAFF_COLUMNS
    assert list(df["id"]) == [1, 3]  # s2 left on D, s4 left, s5 not yet appointed
    s1, s3 = df.iloc[0], df.iloc[1]
    assert (s1["name"], s1["phone"], s1["role"]) == ("李*国", "138****0001", "supervisor")
    assert (bool(s1["certified"]), bool(s1["trained_12m"])) == (True, True)
    assert s1["last_trained_on"] == date(2025, 6, 1)
    assert s1["township_name"] == "公园街道" and pd.isna(s1["village_name"])
    assert (s3["name"], bool(s3["is_female_committee_member"])) == ("欧**娜", True)
    assert (bool(s3["certified"]), bool(s3["trained_12m"])) == (False, False)
    assert pd.isna(s3["last_trained_on"])
    assert s3["village_name"] == "公园社区"
    text = df.to_string()
    assert "李建国" not in text and "欧阳娜娜" not in text and "13812340001" not in text


def test_lists_unmasked_only_when_asked(county_db):
    """`unmasked=True` (the drill-down, for a user with the permission) gives the values as
    recorded; every other call is masked. Same rows and columns either way."""
    cases_masked = records.case_list(county_db, A1, PERIOD, A1)
    cases_raw = records.case_list(county_db, A1, PERIOD, A1, unmasked=True)
    assert cases_raw.drop(columns=["child_name", "child_id_number"]).equals(
        cases_masked.drop(columns=["child_name", "child_id_number"])
    )
    assert cases_raw.iloc[0][["child_name", "child_id_number"]].tolist() == [
        "刘小红",
        "360102201001011234",
    ]
    assert cases_raw["child_name"].iloc[1:].isna().all()  # no child: nothing to unmask
    staff_masked = records.staff_roster(county_db, P, PERIOD, A1)
    staff_raw = records.staff_roster(county_db, P, PERIOD, A1, unmasked=True)
    assert staff_raw.drop(columns=["name", "phone"]).equals(
        staff_masked.drop(columns=["name", "phone"])
    )
    assert staff_raw[["name", "phone"]].values.tolist() == [
        ["李建国", "13812340001"],
        ["欧阳娜娜", "13812340003"],
    ]
    assert staff_masked["name"].tolist() == ["李*国", "欧**娜"]


def test_county_queries_are_scoped(county_db):
    with pytest.raises(ScopeError):
        county_q.township_gaps(county_db, B2, PERIOD, A1)
    with pytest.raises(ScopeError):
        records.staff_roster(county_db, B2, PERIOD, A1)
    with pytest.raises(ScopeError):
        records.case_list(county_db, "360200", PERIOD, A1)
    with pytest.raises(ValueError):
        county_q.village_gaps(county_db, P, PERIOD, T1)  # a township is no county


# ---------------------------------------------------------------- AppTest, every county

TREE = build_region_tree(PROVINCE)
COUNTIES = TREE[TREE.level == "county"].sort_values("code")
PREFECTURES = TREE[TREE.level == "prefecture"].sort_values("code")
COUNTY_NAMES = dict(zip(COUNTIES.code, COUNTIES.name, strict=True))
PREFECTURE_NAMES = dict(zip(PREFECTURES.code, PREFECTURES.name, strict=True))
COUNTY_SECTIONS = ["与所属设区市、全省对比", "近 12 个月趋势", "乡镇、村缺口", "在办个案", "工作人员名册"]  # fmt: skip
GAP_SECTIONS = ("county_towns_open", "county_villages_open")  # lazy expanders, closed on open


def sweep_counties() -> list[str]:
    """The counties `test_county_view_renders` opens: every one of the 100 with
    COUNTY_SWEEP=all (`make bench` runs the full sweep so, bench/county_sweep.py), else the
    first and the last county of each prefecture (22): every prefecture's tree, both ends of
    its code range. The full sweep took 52 s of a 475 s test run (2 cores)."""
    if os.environ.get("COUNTY_SWEEP") == "all":
        return list(COUNTY_NAMES)
    ends = COUNTIES.groupby("parent_code").code.agg(["first", "last"])
    return sorted({*ends["first"], *ends["last"]})


MASKED_NAME = re.compile(r"^.\*+.?$")
MASKED_PHONE = re.compile(r"^\d{3}\*+\d{4}$")
TIMES: dict[str, tuple[float, float]] = {}


def thin_tree(tree: pd.DataFrame) -> pd.DataFrame:
    """Every province, prefecture and county; two townships per county, three villages per
    township."""
    towns = tree[tree.level == "township"].sort_values("code").groupby("parent_code").head(2)
    vills = tree[(tree.level == "village") & tree.parent_code.isin(towns.code)]
    vills = vills.sort_values("code").groupby("parent_code").head(3)
    upper = tree[tree.level.isin(["province", "prefecture", "county"])]
    keep = set(upper.code) | set(towns.code) | set(vills.code)
    return tree[tree.code.isin(keep)].reset_index(drop=True)


def build_thin_province(path) -> str:
    """A demo database of the whole province tree, thinned below the counties."""
    import data.demo.world as world
    from data.db import make_engine
    from data.demo import build_demo

    url = f"sqlite:///{path}"
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(world, "tiny_tree", thin_tree)
        mp.setenv("PROVINCE_CODE", PROVINCE)
        engine = make_engine(url)
        build_demo(engine, "tiny", progress=lambda _msg: None)
        engine.dispose()
    return url


@pytest.fixture(scope="module")
def province_url(tmp_path_factory) -> str:
    return os.environ.get("COUNTY_VIEW_DB_URL") or build_thin_province(
        tmp_path_factory.mktemp("county_view") / "thin.db"
    )


@pytest.fixture(scope="module")
def app(province_url):
    """One signed-in AppTest for the module: each test opens another county, as a user who
    goes from county to county (caches warm up as they would on a server)."""
    from tests.apptest import clear_streamlit_caches, pin_navigation_mode, run_app

    with pytest.MonkeyPatch.context() as mp:
        pin_navigation_mode(mp)
        mp.delenv("REPORTING_DB_URL", raising=False)
        mp.setenv("PROVINCE_CODE", PROVINCE)
        clear_streamlit_caches()
        at = run_app(province_url, page="pages/county.py", timeout=60)
        # without a region in the URL the page opens on the county with the largest gap
        assert at.title[0].value.startswith("县区详情："), [e.value for e in at.exception]
        yield at
        clear_streamlit_caches()
    if TIMES:
        write_times()


def write_times() -> None:
    from data.config import REPO_ROOT

    cold = [c for c, _w in TIMES.values()]
    warm = [w for _c, w in TIMES.values()]
    summary = {
        "database": "COUNTY_VIEW_DB_URL" if os.environ.get("COUNTY_VIEW_DB_URL") else "thin",
        "counties": len(TIMES),
        "cold_mean_s": round(statistics.mean(cold), 3),
        "cold_median_s": round(statistics.median(cold), 3),
        "cold_max_s": round(max(cold), 3),
        "warm_mean_s": round(statistics.mean(warm), 3),
        "warm_max_s": round(max(warm), 3),
        "per_county": {k: [round(c, 3), round(w, 3)] for k, (c, w) in sorted(TIMES.items())},
    }
    out = REPO_ROOT / "artifacts"
    out.mkdir(exist_ok=True)
    (out / "county_view_times.json").write_text(
        json.dumps(summary, ensure_ascii=False, indent=1), encoding="utf-8"
    )


def open_region(at, key: str, code: str) -> float:
    for k in ("county", "prefecture"):
        at.query_params.pop(k, None)
    at.query_params[key] = code
    at.switch_page("pages/county.py")
    start = time.perf_counter()
    at.run()
    return time.perf_counter() - start


def assert_clean(at) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def frame_with(at, column: str) -> pd.DataFrame | None:
    for df in at.dataframe:
        if column in df.value.columns:
            return df.value
    return None


def test_the_province_has_100_counties():
    assert len(COUNTIES) == 100 and len(PREFECTURES) == 11


@pytest.mark.parametrize("code", sweep_counties())
def test_county_view_renders(app, code):
    cold = open_region(app, "county", code)
    assert_clean(app)
    assert [t.value for t in app.title] == [f"县区详情：{COUNTY_NAMES[code]}"]
    assert [s.value for s in app.subheader] == COUNTY_SECTIONS
    start = time.perf_counter()
    app.run()
    TIMES[code] = (cold, time.perf_counter() - start)
    assert_clean(app)
    compare = frame_with(app, "指标")
    assert (
        compare is not None and len(compare) == len(METRIC_CODES) + 1
    )  # indicators + the composite score
    assert compare["全省排名"].str.match(r"^(\d+ / \d+|无数据)$").all()
    roster = frame_with(app, "姓名")
    if roster is not None:  # masked, every one
        assert roster["姓名"].map(lambda s: bool(MASKED_NAME.match(s))).all()
        assert roster["电话"].dropna().map(lambda s: bool(MASKED_PHONE.match(s))).all()
    # The gap sections are computed only once opened: closed, no township table is drawn.
    assert frame_with(app, "所属乡镇（街道）") is None


@pytest.mark.parametrize("code", list(COUNTY_NAMES)[::10])
def test_county_gap_sections_open(app, province_url, code):
    """Opening the two sections draws that county's township gaps (the cards agree with
    queries.county.township_gaps) and its village list; closing them draws neither."""
    from data.db import make_engine

    open_region(app, "county", code)
    for key in GAP_SECTIONS:
        app.session_state[key] = True
    app.run()
    assert_clean(app)
    eng = make_engine(province_url)
    towns = county_q.township_gaps(eng, PROVINCE, indicators_latest(eng), code)  # the default
    eng.dispose()
    cards = {m.label: m.value for m in app.metric}
    assert cards["无督导员的乡镇"] == f"{int(towns['no_supervisor'].sum())} / {len(towns)}"
    assert frame_with(app, "所属乡镇（街道）") is not None or any(
        "没有缺口村" in str(e.value) or "暂无村" in str(e.value) for e in [*app.success, *app.info]
    )
    for key in GAP_SECTIONS:
        app.session_state[key] = False
    app.run()
    assert "无督导员的乡镇" not in {m.label for m in app.metric}


def indicators_latest(eng: Engine) -> str:
    from queries.indicators import periods

    return periods(eng, PROVINCE)[0]


@pytest.mark.parametrize("code", list(PREFECTURE_NAMES))
def test_prefecture_view_renders(app, code):
    open_region(app, "prefecture", code)
    assert_clean(app)
    assert [t.value for t in app.title] == [f"设区市详情：{PREFECTURE_NAMES[code]}"]
    assert "所辖县（市、区）" in [s.value for s in app.subheader]
    counties = frame_with(app, "市内排名")
    expected = set(COUNTIES[COUNTIES.parent_code == code].name)
    assert counties is not None and set(counties["县（市、区）"]) == expected


def test_print_layout(app):
    open_region(app, "county", "360102")
    app.toggle(key="county_print").set_value(True).run()
    assert_clean(app)
    assert any("@media print" in m.value for m in app.markdown)
    assert len(app.table) >= 3  # comparison, gap lists, cases, roster: static tables
    app.toggle(key="county_print").set_value(False).run()


def test_refused_codes(app):
    open_region(app, "county", "440106")  # 广州市海珠区: not of this province
    assert_clean(app)
    assert any("区县代码 440106 不属于本省" in w.value for w in app.warning)
    assert [t.value for t in app.title] == ["县区详情"]  # the pickers
    assert len(app.selectbox(key="county_pick").options) == 100
    assert len(app.selectbox(key="prefecture_pick").options) == 11
    app.selectbox(key="prefecture_pick").select("360800").run()
    assert_clean(app)
    assert [t.value for t in app.title] == ["设区市详情：吉安市"]


def test_county_user_sees_own_county_only(province_url):
    from tests.apptest import clear_streamlit_caches, ensure_user, pin_navigation_mode, run_app

    own, other = "360102", "360103"
    with pytest.MonkeyPatch.context() as mp:
        pin_navigation_mode(mp)
        clear_streamlit_caches()
        user = ensure_user(province_url, "county", own)
        at = run_app(province_url, page="pages/county.py", user=user)
        open_region(at, "county", own)  # the page's own URL (/county?county=…)
        assert_clean(at)
        assert [t.value for t in at.title] == [f"县区详情：{COUNTY_NAMES[own]}"]
        compare = frame_with(at, "指标")
        indicators = compare.iloc[
            : len(METRIC_CODES)
        ]  # the last row is the composite score (no peer values)
        assert set(indicators["南昌市"]) == {"无权查看"} and set(indicators["全省"]) == {"无权查看"}
        ranks = compare["全省排名"]
        assert ranks.str.match(r"^(\d+ / \d+|无数据)$").all()
        # ranked among the province's counties, beyond the user's own scope
        assert max(int(r.split(" / ")[1]) for r in ranks if "/" in r) > 50
        open_region(at, "county", other)
        assert_clean(at)
        assert any("不在您的查看范围内" in w.value for w in at.warning)
        assert [t.value for t in at.title] == ["县区详情"]
        clear_streamlit_caches()
