"""The demo generator (the data/demo package) and synthetic identities (data/synthetic.py).

Every database test builds the `tiny` demo on each backend and checks a property the
dashboard relies on: all tables filled, reproducible, valid synthetic identities, dates
inside the history, contract enumerations only, consistent lifecycles, resolving foreign
keys, the small region tree and counties that visibly differ. The shapes of cases and
referrals (overdue share, steady intake, answer times) need more cases than the tiny demo
holds: they are checked on the tiny world's cases drawn under many seeds, without a database.
"""

from __future__ import annotations

import dataclasses
import hashlib
import importlib.util
import re
from collections import Counter, defaultdict
from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import Engine, func, select

from data import labels
from data import schema as s
from data.config import province_code
from data.demo import build_demo, make_world, tiny_tree
from data.demo.arrays import EPOCH, NULL, day_number
from data.demo.cases import CONCERNS, DEPARTMENTS, RISKS, SOURCES, gen_cases, gen_referrals
from data.demo.children import gen_children
from data.load.idnumber import id_check_digit, is_valid_id_number
from data.regions import build_region_tree, real_units
from data.synthetic import id_numbers

ROLLUP = importlib.util.find_spec("data.rollup") is not None
AS_OF = date(2026, 10, 31)
GO_LIVE = date(2024, 1, 1)

# Start and event columns: none may lie before go-live or after the as-of date.
EVENT_COLUMNS = [
    s.children_homes.c.established_on,
    s.children_homes.c.closed_on,
    s.home_activities.c.activity_on,
    s.staff.c.appointed_on,
    s.staff.c.left_on,
    s.staff.c.info_updated_on,
    s.trainings.c.trained_on,
    s.children.c.registered_on,
    s.children.c.exited_on,
    s.children.c.updated_on,
    s.visits.c.visited_on,
    s.cases.c.received_on,
    s.cases.c.assessed_on,
    s.cases.c.closed_on,
    s.referrals.c.referred_on,
    s.referrals.c.responded_on,
    s.care_actions.c.started_on,
    s.care_actions.c.ended_on,
]

ENUMS = [
    (s.regions.c.level, labels.LEVEL),
    (s.regions.c.kind, labels.REGION_KIND),
    (s.children_homes.c.status, labels.HOME_STATUS),
    (s.home_activities.c.kind, labels.ACTIVITY_KIND),
    (s.staff.c.role, labels.STAFF_ROLE),
    (s.staff.c.gender, labels.GENDER),
    (s.staff.c.background, labels.BACKGROUND),
    (s.trainings.c.kind, labels.TRAINING_KIND),
    (s.children.c.category, labels.CHILD_CATEGORY),
    (s.children.c.left_behind_type, labels.LEFT_BEHIND_TYPE),
    (s.children.c.difficulty_type, labels.DIFFICULTY_TYPE),
    (s.children.c.gender, labels.GENDER),
    (s.children.c.guardian_type, labels.GUARDIAN_TYPE),
    (s.children.c.guardianship_quality, labels.GUARDIANSHIP_QUALITY),
    (s.children.c.health_status, labels.HEALTH_STATUS),
    (s.children.c.school_stage, labels.SCHOOL_STAGE),
    (s.visits.c.method, labels.VISIT_METHOD),
    (s.cases.c.source, labels.CASE_SOURCE),
    (s.cases.c.concern, labels.CASE_CONCERN),
    (s.cases.c.risk_level, labels.RISK_LEVEL),
    (s.cases.c.status, labels.CASE_STATUS),
    (s.referrals.c.department, labels.DEPARTMENT),
    (s.care_actions.c.action_type, labels.ACTION_TYPE),
    (s.care_actions.c.provider_type, labels.PROVIDER_TYPE),
    (s.institutions.c.kind, labels.INSTITUTION_KIND),
    (s.institutions.c.status, labels.INSTITUTION_STATUS),
    (s.service_purchases.c.item, labels.PURCHASE_ITEM),
]


def _quiet(_msg: str) -> None:
    pass


@pytest.fixture
def tiny(engine: Engine) -> tuple[Engine, dict[str, int]]:
    """The tiny demo (seed 2026, as of 2026-10-31) built in the backend's empty database."""
    counts = build_demo(engine, "tiny", seed=2026, as_of=AS_OF, rollup=ROLLUP, progress=_quiet)
    return engine, counts


def _rows(engine: Engine, table) -> list[dict]:
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(select(table))]


def _checksums(engine: Engine) -> dict[str, str]:
    """One hash per raw table over its rows in primary-key order."""
    out = {}
    with engine.connect() as conn:
        for table in s.RAW_TABLES:
            digest = hashlib.sha256()
            for row in conn.execute(select(table).order_by(*table.primary_key.columns)):
                digest.update(repr(tuple(str(v) for v in row)).encode())
            out[table.name] = digest.hexdigest()
    return out


def _years_later(d: date, years: int) -> date:
    try:
        return d.replace(year=d.year + years)
    except ValueError:  # 29 February
        return date(d.year + years, 3, 1)


# --- synthetic identities (no database) ------------------------------------------------------


def test_id_check_digit_matches_the_standard_worked_example():
    # GB 11643-1999's example: 11010519491231002X.
    assert id_check_digit("11010519491231002") == "X"
    assert is_valid_id_number("11010519491231002X")
    # By hand: digits × weights 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2 sum to 182; 182 mod 11 = 6
    # and position 6 of "10X98765432" is "6".
    assert id_check_digit("36012120150304013") == "6"


@pytest.mark.parametrize(
    "bad",
    [
        "110105194912310021",  # wrong check character
        "11010519491231002",  # 17 characters
        "11010519491231002XX",  # 19 characters
        "1101051949123100AX",  # letter among the digits
        "36012120150230001" + id_check_digit("36012120150230001"),  # 30 February
        "36012120151300001" + id_check_digit("36012120151300001"),  # month 13
    ],
)
def test_invalid_id_numbers_are_refused(bad):
    assert not is_valid_id_number(bad)


def test_vectorised_id_numbers_embed_county_birth_date_and_sequence():
    ids = id_numbers(
        np.array(["360121", "110105"]),
        np.array(["2015-03-04", "1949-12-31"], dtype="datetime64[D]"),
        np.array([13, 2]),
    )
    assert list(ids) == ["360121201503040136", "11010519491231002X"]


# --- the tiny region tree (no database) -----------------------------------------------------


def test_tiny_tree_is_a_small_real_subtree_with_an_empty_county():
    full = build_region_tree(province_code(), 2026)
    tree = tiny_tree(full)
    assert Counter(tree.level) == {
        "province": 1,
        "prefecture": 2,
        "county": 5,
        "township": 12,
        "village": 48,
    }
    real = {u.code: u for u in real_units(province_code())}
    for row in tree[tree.level.isin(["prefecture", "county"])].itertuples():
        assert real[row.code].name == row.name
        assert real[row.code].parent_code == row.parent_code
    towns_per_county = Counter(tree[tree.level == "township"].parent_code)
    counties = set(tree[tree.level == "county"].code)
    empty = counties - set(towns_per_county)
    assert len(empty) == 1
    assert sorted(towns_per_county.values()) == [3, 3, 3, 3]
    assert set(Counter(tree[tree.level == "village"].parent_code).values()) == {4}
    if province_code() == "360000":
        # 南昌市 (first by code) and 赣州市 (most former poverty counties: 11 of the 25).
        assert set(tree[tree.level == "prefecture"].name) == {"南昌市", "赣州市"}
        ganzhou = tree[(tree.level == "county") & (tree.parent_code == "360700")]
        assert ganzhou.is_former_poverty_county.all() and len(ganzhou) == 2
        assert tree.set_index("code").loc[next(iter(empty)), "name"] == "东湖区"


# --- the tiny build on each backend ---------------------------------------------------------


def test_build_fills_every_table_and_writes_meta(tiny):
    engine, counts = tiny
    with engine.connect() as conn:
        actual = {
            t.name: conn.execute(select(func.count()).select_from(t)).scalar_one()
            for t in s.metadata.sorted_tables
        }
        meta = dict(conn.execute(select(s.app_meta.c.key, s.app_meta.c.value)).all())
    for table in s.RAW_TABLES:
        assert actual[table.name] > 0, table.name
        assert counts[table.name] == actual[table.name], table.name
    assert actual["regions"] == 68  # 1 + 2 + 5 + 12 + 48
    assert actual["institutions"] >= 2 * 2 + 5  # two per prefecture, one per county at least
    assert actual["app_users"] == actual["audit_log"] == actual["import_batches"] == 0
    assert (actual["kpi_snapshots"] > 0) == ROLLUP
    assert meta["demo"] == "1"
    assert (meta["scale"], meta["seed"], meta["as_of"]) == ("tiny", "2026", "2026-10-31")
    assert meta["generated_at"][:2] == "20"
    # A few hundred children: tiny stays fast.
    assert 200 <= actual["children"] <= 1000


def test_same_seed_gives_identical_rows_and_another_seed_differs(engine):
    build_demo(engine, "tiny", seed=2026, as_of=AS_OF, rollup=False, progress=_quiet)
    first = _checksums(engine)
    build_demo(engine, "tiny", seed=2026, as_of=AS_OF, rollup=False, progress=_quiet)
    assert _checksums(engine) == first
    build_demo(engine, "tiny", seed=7, as_of=AS_OF, rollup=False, progress=_quiet)
    other = _checksums(engine)
    for name in ("children", "visits", "cases", "staff", "children_homes"):
        assert other[name] != first[name], name


def test_identities_are_synthetic_valid_and_consistent(tiny):
    engine, _ = tiny
    children = _rows(engine, s.children)
    ids = [c["id_number"] for c in children]
    assert len(set(ids)) == len(ids)
    for c in children:
        number = c["id_number"]
        assert is_valid_id_number(number), number
        assert number[:6] == c["village_code"][:6]  # the child's county
        assert number[6:14] == c["birth_date"].strftime("%Y%m%d")
        assert (int(number[16]) % 2 == 1) == (c["gender"] == "M")
        assert 2 <= len(c["name"]) <= 4
    staff = _rows(engine, s.staff)
    assert all(re.fullmatch(r"1[358]\d{9}", p["phone"]) for p in staff)
    assert {p["gender"] for p in staff} == {"F", "M"}


def test_no_start_or_event_date_outside_the_history(tiny):
    engine, _ = tiny
    with engine.connect() as conn:
        for col in EVENT_COLUMNS:
            lo, hi = conn.execute(select(func.min(col), func.max(col))).one()
            if lo is None:
                continue
            assert lo >= GO_LIVE and hi <= AS_OF, col
        # The history really starts at go-live: records existing then are dated January 2024.
        first = conn.execute(select(func.min(s.children.c.registered_on))).scalar_one()
        assert first < date(2024, 2, 1)
        last = conn.execute(select(func.max(s.visits.c.visited_on))).scalar_one()
        assert last > AS_OF - timedelta(days=31)


def test_an_earlier_as_of_date_bounds_every_date(engine):
    as_of = date(2025, 3, 15)
    build_demo(engine, "tiny", seed=2026, as_of=as_of, rollup=False, progress=_quiet)
    with engine.connect() as conn:
        for col in EVENT_COLUMNS:
            hi = conn.execute(select(func.max(col))).scalar_one()
            assert hi is None or hi <= as_of, col
        births = conn.execute(select(func.min(s.children.c.birth_date))).scalar_one()
    assert births > _years_later(as_of, -18)


def test_enumerations_come_from_the_contract(tiny):
    engine, _ = tiny
    with engine.connect() as conn:
        for col, codes in ENUMS:
            values = set(conn.execute(select(col).distinct()).scalars())
            assert values - {None} <= set(codes), (col, values - set(codes))
            assert values - {None}, col
        categories = set(conn.execute(select(s.children.c.category).distinct()).scalars())
        roles = set(conn.execute(select(s.staff.c.role).distinct()).scalars())
        kinds = set(conn.execute(select(s.trainings.c.kind).distinct()).scalars())
    assert categories == {"left_behind", "difficulty"}
    assert roles == {"supervisor", "director"}
    assert kinds == {"initial", "annual"}


def test_children_are_consistent(tiny):
    engine, _ = tiny
    children = _rows(engine, s.children)
    in_school = {
        "not_in_kindergarten": False,
        "kindergarten": True,
        "primary": True,
        "junior": True,
        "senior": True,
        "vocational": True,
        "dropped_out": False,
        "not_in_school": False,
    }
    for c in children:
        lb = c["category"] == "left_behind"
        assert (c["left_behind_type"] is not None) == lb
        assert (c["difficulty_type"] is not None) == (not lb)
        assert (c["guardian_type"] == "none") == (c["guardianship_quality"] == "none")
        assert c["in_school"] == in_school[c["school_stage"]]
        assert c["birth_date"] < c["registered_on"]
        assert _years_later(c["birth_date"], 18) > AS_OF  # 0-17 at the as-of date
        last_day = c["exited_on"] or AS_OF
        if lb:  # left-behind children are under 16 while on the register
            assert _years_later(c["birth_date"], 16) >= last_day
        if c["exited_on"]:
            assert c["exited_on"] > c["registered_on"]
        assert c["registered_on"] <= c["updated_on"] <= last_day
        if c["school_stage"] == "primary":
            assert 5 <= (last_day - c["birth_date"]).days / 365.25 < 13
    shares = Counter(c["category"] for c in children)
    assert 0.6 <= shares["left_behind"] / len(children) <= 0.85


def test_lifecycles_are_consistent(tiny):
    engine, _ = tiny
    children = {c["id"]: c for c in _rows(engine, s.children)}
    for v in _rows(engine, s.visits):
        c = children[v["child_id"]]
        assert c["registered_on"] <= v["visited_on"]
        assert c["exited_on"] is None or v["visited_on"] < c["exited_on"]
    cases = {c["id"]: c for c in _rows(engine, s.cases)}
    for c in cases.values():
        assert 15 <= (c["due_on"] - c["received_on"]).days <= 30
        assert (c["status"] == "closed") == (c["closed_on"] is not None)
        if c["assessed_on"]:
            assert c["received_on"] <= c["assessed_on"]
        if c["closed_on"]:
            assert c["assessed_on"] is not None and c["assessed_on"] <= c["closed_on"]
        if c["status"] in ("received", "assessing"):
            assert c["assessed_on"] is None
        if c["status"] == "in_progress":
            assert c["assessed_on"] is not None
        if c["child_id"] is not None:
            assert children[c["child_id"]]["village_code"].startswith(c["region_code"][:6])
        assert len(c["region_code"]) in (6, 9, 12)
    for r in _rows(engine, s.referrals):
        case = cases[r["case_id"]]
        assert case["assessed_on"] is not None and case["assessed_on"] <= r["referred_on"]
        assert case["closed_on"] is None or r["referred_on"] <= case["closed_on"]
        assert r["responded_on"] is None or r["referred_on"] <= r["responded_on"]
    staff = {p["id"]: p for p in _rows(engine, s.staff)}
    for p in staff.values():
        assert p["left_on"] is None or p["left_on"] > p["appointed_on"]
        assert len(p["region_code"]) == (12 if p["role"] == "director" else 9)
    for t in _rows(engine, s.trainings):
        p = staff[t["staff_id"]]
        assert p["appointed_on"] <= t["trained_on"]
        assert p["left_on"] is None or t["trained_on"] < p["left_on"]
    for h in _rows(engine, s.children_homes):
        assert (h["status"] == "building") == (h["established_on"] is None)
        assert (h["status"] == "closed") == (h["closed_on"] is not None)
    for a in _rows(engine, s.care_actions):
        assert a["ended_on"] is None or a["ended_on"] > a["started_on"]


def test_every_foreign_key_resolves(tiny):
    engine, _ = tiny
    with engine.connect() as conn:
        for table in s.RAW_TABLES:
            for fk in table.foreign_keys:
                col, target = fk.parent, fk.column
                orphans = conn.execute(
                    select(func.count())
                    .select_from(table)
                    .where(col.is_not(None), col.not_in(select(target)))
                ).scalar_one()
                assert orphans == 0, f"{table.name}.{col.name} -> {target}"


def test_county_without_townships_and_staff_posts(tiny):
    engine, _ = tiny
    regions = _rows(engine, s.regions)
    levels = Counter(r["level"] for r in regions)
    assert levels == {"province": 1, "prefecture": 2, "county": 5, "township": 12, "village": 48}
    parents = {r["parent_code"] for r in regions}
    bare = [r for r in regions if r["level"] == "county" and r["code"] not in parents]
    assert len(bare) == 1
    institutions = _rows(engine, s.institutions)
    centres = {i["region_code"] for i in institutions if i["kind"] == "minor_protection_center"}
    assert centres == {r["code"] for r in regions if r["level"] == "county"}
    years = {p["year"] for p in _rows(engine, s.service_purchases)}
    assert years == {2024, 2025, 2026}


def test_lagging_visit_county_visits_least(tiny):
    """The county lagging on visits has the lowest 90-day visit rate at the as-of date."""
    engine, _ = tiny
    world = make_world("tiny", 2026, AS_OF)
    lagging = set(world.county_code[world.lag["visits"]])
    assert len(lagging) == 1
    children = _rows(engine, s.children)
    visited = {
        v["child_id"]
        for v in _rows(engine, s.visits)
        if AS_OF - timedelta(days=90) < v["visited_on"] <= AS_OF
    }
    active: dict[str, list[bool]] = defaultdict(list)
    for c in children:
        if c["exited_on"] is None or c["exited_on"] > AS_OF:
            active[c["village_code"][:6]].append(c["id"] in visited)
    rate = {county: sum(v) / len(v) for county, v in active.items()}
    worst = min(rate, key=rate.get)
    assert worst in lagging
    assert rate[worst] < 0.85 < min(r for c, r in rate.items() if c not in lagging)


# --- cases and referrals in bulk (the generator alone, no database) ------------------------

CASE_SEEDS = 300

END = day_number(AS_OF)
MONTHS = np.arange(np.datetime64(GO_LIVE, "M"), np.datetime64(AS_OF, "M") + 1)
MONTH_FIRST = (MONTHS.astype("datetime64[D]") - EPOCH).astype(np.int64)
MONTH_LAST = ((MONTHS + 1).astype("datetime64[D]") - EPOCH).astype(np.int64) - 1


@pytest.fixture(scope="module")
def case_sample() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Cases and referrals of the tiny world's children drawn under many seeds, with the
    county's `cases` lag: the tiny demo holds some fifty cases, a handful open on any day,
    too few for a share of open cases or a month's intake; 300 draws give about 14,000."""
    world = make_world("tiny", 2026, AS_OF)
    children = [gen_children(world, ci, 1) for ci in range(len(world.county_code))]
    case_parts, ref_parts = [], []
    for seed in range(CASE_SEEDS):
        drawn = dataclasses.replace(world, seed=seed)
        for ci, kids in enumerate(children):
            cases = gen_cases(drawn, ci, kids, 1)
            refs = gen_referrals(drawn, ci, cases, 1)
            lagging = bool(world.lag["cases"][ci])
            frame = pd.DataFrame({k: v for k, v in cases.items() if not k.startswith("_")})
            case_parts.append(frame.assign(seed=seed, county=ci, lagging=lagging))
            ref_parts.append(pd.DataFrame(refs).assign(seed=seed, county=ci, lagging=lagging))
    cases = pd.concat(case_parts, ignore_index=True)
    refs = pd.concat(ref_parts, ignore_index=True)
    keys = ["seed", "county", "id"]
    fields = ["received_on", "assessed_on", "closed_on"]
    refs = refs.merge(cases[keys + fields], left_on=["seed", "county", "case_id"], right_on=keys)
    return cases, refs


def _open_overdue(cases: pd.DataFrame, months: int = 12) -> pd.DataFrame:
    """Open and overdue cases (DESIGN.md §4) on the last day of each of the last months."""
    rows = []
    for last in MONTH_LAST[-months:]:
        active = (cases.received_on <= last) & (
            (cases.closed_on == NULL) | (cases.closed_on > last)
        )
        overdue = active & (cases.due_on < last)
        for lagging in (False, True):
            mine = cases.lagging == lagging
            rows.append(
                {
                    "last": last,
                    "lagging": lagging,
                    "open": int((active & mine).sum()),
                    "overdue": int((overdue & mine).sum()),
                    "over_a_year": int((overdue & mine & (cases.due_on < last - 365)).sum()),
                }
            )
    return pd.DataFrame(rows)


def _timeliness(refs: pd.DataFrame, month: int) -> tuple[int, int, int]:
    """Timely, known and pending referrals of a month as `referral_timely` counts them."""
    first, last = MONTH_FIRST[month], MONTH_LAST[month]
    made = refs[(refs.referred_on >= first) & (refs.referred_on <= last)]
    answered = (made.responded_on != NULL) & (made.responded_on <= last)
    known = answered | (made.referred_on <= last - 7)
    timely = answered & (made.responded_on - made.referred_on <= 7)
    return int(timely.sum()), int(known.sum()), int((~known).sum())


def test_a_tenth_of_open_cases_are_overdue_none_for_years(case_sample):
    """Over the last year's month ends about a tenth of the open cases are overdue, a third in
    the lagging county; none is a year past its due date (cases left open for good piled up
    into a third of all open cases overdue, some by years)."""
    cases, _ = case_sample
    counts = _open_overdue(cases, months=len(MONTHS))
    assert counts.over_a_year.sum() == 0
    last_year = counts[counts["last"] >= MONTH_LAST[-12]]
    by = last_year.groupby("lagging")[["open", "overdue"]].sum()
    share = by.overdue / by.open
    overall = by.overdue.sum() / by.open.sum()
    assert by.open.min() > 500  # enough open cases for shares
    assert 0.05 <= overall <= 0.22, overall
    assert 0.02 <= share[False] <= 0.10, share
    assert 0.22 <= share[True] <= 0.45, share


def test_case_intake_is_steady_month_to_month(case_sample):
    """Cases received per month stay level (drawing a child's case day between its
    registration and exit made the intake climb by 60 % in the last year)."""
    cases, _ = case_sample
    month = np.searchsorted(MONTH_FIRST, cases.received_on, side="right") - 1
    intake = np.bincount(month, minlength=len(MONTHS))
    assert intake.min() > 200
    assert intake.max() / intake.min() < 1.45, intake
    last_year = intake[-12:]
    assert last_year.max() / last_year.min() < 1.35, last_year
    assert last_year[-3:].sum() < 1.2 * last_year[:3].sum(), last_year
    assert intake[0] > 0.8 * intake.mean()  # the go-live month too


def test_referrals_are_answered_within_days(case_sample):
    """Most answers come within one to ten days, within a week as a rule."""
    _, refs = case_sample
    answered = refs[refs.responded_on != NULL]
    days = answered.responded_on - answered.referred_on
    assert 0.88 <= len(answered) / len(refs) <= 0.99
    assert days.between(1, 10).mean() >= 0.88, days.value_counts().sort_index()
    assert (days <= 7).mean() >= 0.8
    assert 2 <= days.median() <= 5


def test_latest_month_timeliness_is_like_the_month_before(case_sample):
    """The latest month's referral timeliness and pending count look like the previous
    months' (referrals of cases not yet assessed crowded the last days, and the latest
    month with pending ones)."""
    _, refs = case_sample
    rates, pending = [], []
    for month in range(len(MONTHS) - 7, len(MONTHS)):
        timely, known, waiting = _timeliness(refs, month)
        assert known > 200
        rates.append(timely / known)
        pending.append(waiting)
    assert abs(rates[-1] - rates[-2]) <= 0.06, rates
    assert min(rates) >= 0.75 and max(rates) <= 0.95, rates
    assert pending[-1] <= 1.5 * np.mean(pending[:-1]), pending


def test_lagging_county_is_worse_on_cases_and_referrals(case_sample):
    """The county lagging on cases leaves more of them overdue, takes longer to close them
    and gets fewer referrals answered in time, so the case views have a gap to show."""
    cases, refs = case_sample
    by = _open_overdue(cases).groupby("lagging")[["open", "overdue"]].sum()
    share = by.overdue / by.open
    assert share[True] >= 3 * share[False], share
    closed = cases[(cases.closed_on != NULL) & (cases.closed_on > END - 365)]
    days = (closed.closed_on - closed.received_on).groupby(closed.lagging).mean()
    assert days[True] >= 1.4 * days[False], days
    assert days[False] <= 25, days
    known = refs[refs.referred_on <= END - 7]
    ok = (known.responded_on != NULL) & (known.responded_on - known.referred_on <= 7)
    timely = ok.groupby(known.lagging).mean()
    assert timely[True] <= timely[False] - 0.15, timely
    assert timely[False] >= 0.85, timely
    unanswered = (refs.responded_on == NULL).groupby(refs.lagging).mean()
    assert unanswered[True] > 2 * unanswered[False], unanswered


def test_cases_show_every_code_status_and_department(case_sample):
    """Every source, concern, risk level and status occurs, recent unassessed cases among
    them, and referrals go to every department; dates follow the lifecycle."""
    cases, refs = case_sample
    assert set(cases.source) == set(SOURCES)
    assert set(cases.concern) == set(CONCERNS)
    assert set(cases.risk_level) == set(RISKS)
    assert set(cases.status) == set(labels.CASE_STATUS)
    received = cases[cases.status == "received"]
    assert len(received) and (END - received.received_on <= 2).all()
    assert set(refs.department) == set(DEPARTMENTS)
    assessed = cases[cases.assessed_on != NULL]
    assert (assessed.assessed_on >= assessed.received_on).all()
    closed = cases[cases.closed_on != NULL]
    assert (closed.assessed_on != NULL).all() and (closed.closed_on >= closed.assessed_on).all()
    assert (cases[["received_on", "assessed_on", "closed_on"]].max() <= END).all()
    assert ((cases.due_on - cases.received_on).between(15, 30)).all()
    assert (refs.assessed_on != NULL).all() and (refs.referred_on >= refs.assessed_on).all()
    assert ((refs.closed_on == NULL) | (refs.referred_on <= refs.closed_on)).all()
    answered = refs[refs.responded_on != NULL]
    assert (answered.responded_on >= answered.referred_on).all()
    assert refs.referred_on.max() <= END and refs.responded_on.max() <= END
