"""Every indicator of DESIGN.md §4 on a small hand-made province whose values are worked out
by hand below, at county, prefecture and province level, on SQLite and PostgreSQL.

The fixture (`load_fixture`) is shared with test_rollup.py and test_drilldown.py.

Regions                                       D = 2026-03-31 (period 2026-03, first day 03-01)
  360000 江西省 (province P)                  D − 90 = 2025-12-31, D − 365 = 2025-03-31
    360100 南昌市 (prefecture A)
      360102 东湖区 (county A1)
        360102001 T1 — villages 360102001001 V11, 360102001002 V12
        360102002 T2 — village 360102002001 V21
      360103 西湖区 (county A2)
        360103001 T3 — village 360103001001 V31
    360200 景德镇市 (prefecture B)
      360202 昌江区 (county B1: no townships, no villages, no records)
      360203 珠山区 (county B2)
        360203001 T4 — village 360203001001 V41
"""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import Engine, select

from core.metrics import METRIC_CODES
from data.rollup import refresh
from data.schema import (
    care_actions,
    cases,
    children,
    children_homes,
    home_activities,
    institutions,
    kpi_snapshots,
    referrals,
    regions,
    service_purchases,
    staff,
    trainings,
    visits,
)
from metric_engine import (
    descendant_units,
    metric_rows,
    month_periods,
    parse_period,
    periods_select,
)

P, A, B = "360000", "360100", "360200"
A1, A2, B1, B2 = "360102", "360103", "360202", "360203"
T1, T2, T3, T4 = "360102001", "360102002", "360103001", "360203001"
V11, V12, V21 = "360102001001", "360102001002", "360102002001"
V31, V41 = "360103001001", "360203001001"
ROLLUP_REGIONS = (P, A, B, A1, A2, B1, B2)
FIRST_PERIOD, LAST_PERIOD = "2024-01", "2026-04"  # earliest 2024-01-01, latest 2026-04-20
DATA_DATE = "2026-04-20"
N_MONTHS = 28


def d(s: str) -> date:
    return date.fromisoformat(s)


def _region(code, name, level, parent, kind=None):
    return {"code": code, "name": name, "level": level, "parent_code": parent, "kind": kind}


REGIONS = [
    _region(P, "江西省", "province", None),
    _region(A, "南昌市", "prefecture", P),
    _region(B, "景德镇市", "prefecture", P),
    _region(A1, "东湖区", "county", A),
    _region(A2, "西湖区", "county", A),
    _region(B1, "昌江区", "county", B),
    _region(B2, "珠山区", "county", B),
    _region(T1, "公园街道", "township", A1, "street"),
    _region(T2, "豫章街道", "township", A1, "street"),
    _region(T3, "桃花镇", "township", A2, "town"),
    _region(T4, "竟成镇", "township", B2, "town"),
    _region(V11, "公园社区", "village", T1, "community"),
    _region(V12, "百花洲村", "village", T1, "village"),
    _region(V21, "豫章村", "village", T2, "village"),
    _region(V31, "桃花村", "village", T3, "village"),
    _region(V41, "竟成村", "village", T4, "village"),
]


def _home(id_, village, status, demo, est, closed=None):
    return {
        "id": id_,
        "village_code": village,
        "name": f"儿童之家{id_}",
        "status": status,
        "is_demonstration": demo,
        "established_on": d(est),
        "closed_on": d(closed) if closed else None,
        "funding_yuan": 10000,
    }


# Homes counted on D: active on D and status != building.
HOMES = [
    _home(1, V31, "operating", True, "2025-06-01"),  # counts; demo
    _home(2, V11, "operating", False, "2026-03-31"),  # starts on D: counts
    _home(3, V12, "building", True, "2025-01-01"),  # building: never counts
    _home(4, V12, "closed", True, "2025-01-01", "2026-03-31"),  # ends on D: not on D (Feb yes)
    _home(5, V21, "closed", True, "2025-01-01", "2026-04-15"),  # closed after D: counts on D
    _home(6, V31, "operating", True, "2026-04-01"),  # not yet
    _home(7, V41, "operating", True, "2025-01-01"),  # counts; demo
]


def _staff(id_, role, region, fcm, dedicated, registered, appointed, left=None):
    return {
        "id": id_,
        "role": role,
        "region_code": region,
        "name": f"人员{id_}",
        "gender": "F" if fcm else "M",
        "is_female_committee_member": fcm,
        "is_dedicated": dedicated,
        "is_registered": registered,
        "appointed_on": d(appointed),
        "left_on": d(left) if left else None,
    }


STAFF = [
    _staff(1, "supervisor", T1, False, True, True, "2024-01-01"),
    _staff(2, "supervisor", T2, False, False, True, "2025-01-01", "2026-03-31"),  # left on D
    _staff(3, "supervisor", T3, False, True, False, "2026-03-31"),  # appointed on D: active
    _staff(4, "director", V11, True, True, True, "2024-01-01"),
    _staff(5, "director", V12, False, True, False, "2024-06-01"),
    _staff(6, "director", V21, True, True, True, "2026-04-01"),  # not yet
    _staff(7, "director", V31, True, False, False, "2024-01-01"),
    _staff(8, "director", V41, False, True, True, "2024-01-01"),
    _staff(9, "supervisor", T4, False, False, True, "2024-01-01"),
]


def _training(id_, staff_id, on, kind, passed):
    return {"id": id_, "staff_id": staff_id, "trained_on": d(on), "kind": kind, "passed": passed}


TRAININGS = [
    _training(1, 1, "2024-01-10", "initial", True),  # S1 certified
    _training(2, 1, "2025-03-31", "annual", True),  # exactly 365 days before D: not in 12m
    _training(3, 2, "2025-01-10", "initial", True),
    _training(4, 3, "2026-03-31", "initial", True),  # on D: certified and trained
    _training(5, 4, "2024-02-01", "initial", True),
    _training(6, 4, "2025-04-01", "annual", True),  # 364 days before D: in 12m
    _training(7, 5, "2024-06-10", "initial", False),  # failed: S5 not certified
    _training(8, 5, "2026-01-15", "annual", True),  # S5 trained
    _training(9, 7, "2025-10-01", "annual", False),  # failed
    _training(10, 7, "2026-04-05", "initial", True),  # after D
    _training(11, 8, "2024-01-05", "initial", True),
    _training(12, 8, "2026-02-01", "annual", True),
    _training(13, 9, "2026-03-01", "annual", True),  # trained but never certified
]


def _child(id_, village, category, quality, registered, exited=None):
    return {
        "id": id_,
        "village_code": village,
        "category": category,
        "name": f"儿童{id_}",
        "guardianship_quality": quality,
        "registered_on": d(registered),
        "exited_on": d(exited) if exited else None,
    }


CHILDREN = [
    _child(1, V11, "left_behind", "fair", "2024-01-01"),
    _child(2, V11, "difficulty", "none", "2024-01-01", "2026-03-31"),  # exits on D: gone on D
    _child(3, V12, "left_behind", "none", "2026-03-31"),  # registered on D: active
    _child(4, V21, "difficulty", "good", "2025-01-01"),
    _child(5, V21, "left_behind", "fair", "2025-06-01", "2026-01-15"),
    _child(6, V31, "left_behind", "none", "2024-01-01"),
    _child(7, V41, "difficulty", "fair", "2024-01-01"),
    _child(8, V12, "left_behind", "fair", "2026-04-01"),  # not yet
]

VISITS = [
    (1, "2026-01-01"),  # 89 days before D: in the window
    (2, "2025-12-10"),  # (child gone on D; in February's window)
    (2, "2026-03-15"),
    (3, "2026-03-31"),  # on D
    (4, "2025-12-31"),  # exactly 90 days before D: out (in February's window)
    (5, "2026-03-01"),  # child exited before
    (6, "2025-10-01"),
    (6, "2026-02-10"),
    (6, "2026-02-20"),
    (6, "2026-02-20"),  # same day twice: the child still counts once
    (7, "2025-11-01"),
    (7, "2026-04-02"),  # after D
]

CARE = [
    (1, "2025-01-01", "2025-06-30"),
    (1, "2026-03-31", None),  # starts on D: C1 covered on D (not in February)
    (2, "2025-01-01", None),
    (3, "2026-01-01", None),  # began before the child's registration: covered on D
    (4, "2025-05-01", "2026-03-31"),  # ends on D: C4 not covered on D (covered in February)
    (6, "2025-01-01", None),
    (6, "2025-06-01", "2026-06-01"),  # overlaps: C6 counts once
    # C7: a long action, one inside it, one starting inside the first: counts once (needs the
    # running max of earlier ends, not just the previous row's end).
    (7, "2025-01-01", "2026-12-31"),
    (7, "2025-02-01", "2025-03-01"),
    (7, "2025-05-01", None),
]


def _case(id_, region, received, due, closed=None):
    return {
        "id": id_,
        "region_code": region,
        "source": "hotline_12355",
        "concern": "guardianship",
        "risk_level": "medium",
        "received_on": d(received),
        "status": "closed" if closed else "in_progress",
        "due_on": d(due),
        "closed_on": d(closed) if closed else None,
    }


CASES = [
    _case(1, V11, "2026-01-10", "2026-02-10"),  # open, overdue
    _case(2, T1, "2026-03-05", "2026-03-31"),  # open, due on D: not overdue
    _case(3, A1, "2026-02-01", "2026-03-01", "2026-03-01"),  # county level; closed on day 1: 28 d
    _case(4, V12, "2026-01-01", "2026-02-01", "2026-02-28"),  # closed the day before: 58 d (Feb)
    _case(5, V21, "2026-03-10", "2026-04-10", "2026-03-31"),  # closed on D: not open; 21 d
    _case(6, V31, "2026-03-31", "2026-04-30"),  # received on D: open
    _case(7, T4, "2025-12-01", "2026-01-01", "2026-03-20"),  # 31 + 31 + 28 + 19 = 109 d
    _case(8, B2, "2026-04-01", "2026-04-30"),  # not yet
    _case(9, T3, "2026-03-02", "2026-03-20", "2026-03-12"),  # 10 d
    _case(10, V41, "2026-03-15", "2026-04-14", "2026-04-10"),  # open on D (B2); 26 d in April
]


def _referral(id_, case_id, referred, responded):
    return {
        "id": id_,
        "case_id": case_id,
        "department": "education",
        "referred_on": d(referred),
        "responded_on": d(responded) if responded else None,
    }


REFERRALS = [
    _referral(1, 1, "2026-03-01", "2026-03-08"),  # period's first day; 7 days: timely
    _referral(2, 1, "2026-03-10", "2026-03-18"),  # 8 days: not timely
    _referral(3, 2, "2026-03-20", None),  # no answer: not timely
    _referral(4, 4, "2026-02-28", "2026-03-01"),  # previous period
    _referral(5, 6, "2026-03-31", "2026-04-03"),  # made on D, answered after D: pending
    _referral(6, 7, "2026-03-05", "2026-03-12"),  # 7 days: timely
    _referral(7, 3, "2026-03-01", "2026-03-02"),  # of the county-level case: counts for A1
    # The 7-day boundary at a month end (D = 2026-03-31, B2's case K10): known once answered
    # on or before D or made on or before D − 7 = 03-24; otherwise pending.
    _referral(8, 10, "2026-03-24", None),  # D − 7, never answered: known, late
    _referral(9, 10, "2026-03-24", "2026-03-31"),  # D − 7, answered on D (7 d): timely
    _referral(10, 10, "2026-03-24", "2026-04-01"),  # D − 7, answered D + 1: known, late
    _referral(11, 10, "2026-03-25", None),  # D − 6, never: pending
    _referral(12, 10, "2026-03-25", "2026-04-01"),  # D − 6, answered D + 1: pending on D
    _referral(13, 10, "2026-03-25", "2026-03-31"),  # D − 6, answered on D (6 d): timely
    _referral(14, 10, "2026-03-30", "2026-03-31"),  # D − 1, answered on D: timely
    _referral(15, 10, "2026-03-31", "2026-03-31"),  # D, answered on D (0 d): timely
    _referral(16, 10, "2026-03-31", "2026-04-01"),  # D, answered D + 1: pending
    # The same at a year end (D = 2025-12-31, B2's case K7): December's figures.
    _referral(17, 7, "2025-12-24", None),  # D − 7, never: known, late
    _referral(18, 7, "2025-12-24", "2025-12-31"),  # D − 7, answered on D: timely
    _referral(19, 7, "2025-12-24", "2026-01-01"),  # D − 7, answered D + 1: known, late
    _referral(20, 7, "2025-12-25", "2026-01-01"),  # D − 6, answered D + 1 (next year): pending
    _referral(21, 7, "2025-12-30", None),  # D − 1, never: pending
    _referral(22, 7, "2025-12-31", "2025-12-31"),  # D, answered on D: timely
    _referral(23, 7, "2025-12-31", "2026-01-01"),  # D, answered D + 1: pending
]

INSTITUTIONS = [
    (1, A1, "minor_protection_center", "transformed"),  # A1 ready
    (2, A2, "minor_protection_center", "pending"),  # not ready
    (3, A2, "child_welfare_institution", "designated"),  # wrong kind
    (4, B, "minor_protection_center", "designated"),  # at a prefecture: no county's
    (5, B2, "minor_protection_center", "designated"),  # B2 ready
]

PURCHASES = [
    (1, P, 2026, "100000.00"),  # province level: only the province
    (2, A, 2026, "50000.50"),  # prefecture A and the province
    (3, A1, 2026, "1234.56"),
    (4, T1, 2026, "1000.00"),  # township: counts for A1
    (5, A1, 2025, "9999.00"),  # another year
    (6, B2, 2026, "0.10"),
    (7, V41, 2026, "0.20"),  # 0.10 + 0.20 must store 0.3 on both backends
    (8, B, 2025, "7.00"),
]


def load_fixture(engine: Engine) -> None:
    """Insert the hand-made province above into an empty migrated database."""
    from decimal import Decimal

    with engine.begin() as conn:
        conn.execute(regions.insert(), REGIONS)
        conn.execute(children_homes.insert(), HOMES)
        conn.execute(
            home_activities.insert(),
            [{"id": 1, "home_id": 7, "activity_on": d(DATA_DATE), "kind": "other"}],
        )
        conn.execute(staff.insert(), STAFF)
        conn.execute(trainings.insert(), TRAININGS)
        conn.execute(children.insert(), CHILDREN)
        conn.execute(
            visits.insert(),
            [
                {"id": i, "child_id": c, "visited_on": d(on), "method": "home"}
                for i, (c, on) in enumerate(VISITS, 1)
            ],
        )
        conn.execute(
            care_actions.insert(),
            [
                {
                    "id": i,
                    "child_id": c,
                    "action_type": "warm_heart",
                    "started_on": d(s),
                    "ended_on": d(e) if e else None,
                }
                for i, (c, s, e) in enumerate(CARE, 1)
            ],
        )
        conn.execute(cases.insert(), CASES)
        conn.execute(referrals.insert(), REFERRALS)
        conn.execute(
            institutions.insert(),
            [{"id": i, "region_code": r, "kind": k, "status": s} for i, r, k, s in INSTITUTIONS],
        )
        conn.execute(
            service_purchases.insert(),
            [
                {"id": i, "region_code": r, "year": y, "item": "hotline", "amount_yuan": Decimal(a)}
                for i, r, y, a in PURCHASES
            ],
        )


# ----------------------------------------------------------------------------- expectations
# (numerator, denominator); a count or sum has denominator None. Worked out by hand from the
# records above; the comments name the records that count.

EXPECTED_2026_03: dict[str, dict[str, tuple]] = {
    # villages with ≥1 counting home / villages. A1: V11 (H2 from D), V21 (H5, closed later);
    # V12 has only a building home and one closed on D. A2: V31 (H1). B2: V41 (H7).
    "home_coverage": {
        A1: (2, 3), A2: (1, 1), B1: (0, 0), B2: (1, 1), A: (3, 4), B: (1, 1), P: (4, 5)
    },
    # demonstration homes counting on D: H5 (A1), H1 (A2), H7 (B2).
    "demo_homes": {
        A1: (1, None), A2: (1, None), B1: (0, None), B2: (1, None),
        A: (2, None), B: (1, None), P: (3, None),
    },
    # townships with an active supervisor: T1 (S1); T2's S2 left on D; T3's S3 from D; T4 (S9).
    "supervisor_coverage": {
        A1: (1, 2), A2: (1, 1), B1: (0, 0), B2: (1, 1), A: (2, 3), B: (1, 1), P: (3, 4)
    },
    # villages with an active director: V11 (S4), V12 (S5), V31 (S7), V41 (S8); V21's S6 later.
    "director_coverage": {
        A1: (2, 3), A2: (1, 1), B1: (0, 0), B2: (1, 1), A: (3, 4), B: (1, 1), P: (4, 5)
    },
    # active directors S4 (yes), S5, S7 (yes), S8.
    "female_director_share": {
        A1: (1, 2), A2: (1, 1), B1: (0, 0), B2: (0, 1), A: (2, 3), B: (0, 1), P: (2, 4)
    },
    # active staff: A1 S1 S4 S5 (all dedicated); A2 S3 (yes) S7; B2 S8 (yes) S9.
    "dedicated_share": {
        A1: (3, 3), A2: (1, 2), B1: (0, 0), B2: (1, 2), A: (4, 5), B: (1, 2), P: (5, 7)
    },
    # passed initial on or before D: S1, S4 (A1); S3 on D (A2; S7's is after D); S8 (B2).
    "certified_rate": {
        A1: (2, 3), A2: (1, 2), B1: (0, 0), B2: (1, 2), A: (3, 5), B: (1, 2), P: (4, 7)
    },
    # passed training after 2025-03-31: S4 (364 days back), S5 (A1; S1's is 365 back);
    # S3 (A2; S7 failed); S8, S9 (B2).
    "trained_12m": {
        A1: (2, 3), A2: (1, 2), B1: (0, 0), B2: (2, 2), A: (3, 5), B: (2, 2), P: (5, 7)
    },
    # registered: S1, S4 (A1); none (A2); S8, S9 (B2).
    "registered_rate": {
        A1: (2, 3), A2: (0, 2), B1: (0, 0), B2: (2, 2), A: (2, 5), B: (2, 2), P: (4, 7)
    },
    # active children: A1 C1, C3 (from D), C4 (C2 exits on D, C5 left, C8 later); A2 C6; B2 C7.
    "children_active": {
        A1: (3, None), A2: (1, None), B1: (0, None), B2: (1, None),
        A: (4, None), B: (1, None), P: (5, None),
    },
    "children_left_behind": {  # C1, C3; C6
        A1: (2, None), A2: (1, None), B1: (0, None), B2: (0, None),
        A: (3, None), B: (0, None), P: (3, None),
    },
    "children_difficulty": {  # C4; C7
        A1: (1, None), A2: (0, None), B1: (0, None), B2: (1, None),
        A: (1, None), B: (1, None), P: (2, None),
    },
    "children_unguarded": {  # C3; C6 (C2 is gone on D)
        A1: (1, None), A2: (1, None), B1: (0, None), B2: (0, None),
        A: (2, None), B: (0, None), P: (2, None),
    },
    # visited after 2025-12-31: C1 (01-01), C3 (on D); not C4 (12-31); C6; not C7.
    "visit_rate_90d": {
        A1: (2, 3), A2: (1, 1), B1: (0, 0), B2: (0, 1), A: (3, 4), B: (0, 1), P: (3, 5)
    },
    # active care on D: C1 (from D), C3; not C4 (ends on D); C6 once; C7 once.
    "care_coverage": {
        A1: (2, 3), A2: (1, 1), B1: (0, 0), B2: (1, 1), A: (3, 4), B: (1, 1), P: (4, 5)
    },
    # open on D: K1, K2 (A1; K3 closed 03-01, K5 on D); K6 received on D (A2); K10 (B2).
    "open_cases": {
        A1: (2, None), A2: (1, None), B1: (0, None), B2: (1, None),
        A: (3, None), B: (1, None), P: (4, None),
    },
    "overdue_cases": {  # K1 (due 02-10); K2 is due on D
        A1: (1, None), A2: (0, None), B1: (0, None), B2: (0, None),
        A: (1, None), B: (0, None), P: (1, None),
    },
    # closed 03-01..03-31: K3 28 d + K5 21 d (A1; K4 closed 02-28); K9 10 d; K7 109 d.
    "case_closure_days": {
        A1: (49, 2), A2: (10, 1), B1: (0, 0), B2: (109, 1), A: (59, 3), B: (109, 1), P: (168, 4)
    },
    # made 03-01..03-31 and known on D: R1 (7 d), R2 (8 d), R3 (none, 11 days back), R7 (A1);
    # A2's R5 (made on D, answered after) is pending; B2: R6, R9, R13, R14, R15 timely of
    # those and R8, R10 (known, late); R11, R12, R16 pending.
    "referral_timely": {
        A1: (2, 4), A2: (0, 0), B1: (0, 0), B2: (5, 7), A: (2, 4), B: (5, 7), P: (7, 11)
    },
    "referral_pending": {  # R5 (A2); R11, R12, R16 (B2)
        A1: (0, None), A2: (1, None), B1: (0, None), B2: (3, None),
        A: (1, None), B: (3, None), P: (4, None),
    },
    # counties with a ready centre at their own code: A1, B2 (I4 sits at prefecture B).
    "protection_center_ready": {
        A1: (1, 1), A2: (0, 1), B1: (0, 1), B2: (1, 1), A: (1, 2), B: (1, 2), P: (2, 4)
    },
    # 2026 purchases: A1 1234.56 + 1000.00 (T1); B2 0.10 + 0.20; A adds its own 50000.50;
    # P adds its own 100000.00.
    "purchase_yuan": {
        A1: (2234.56, None), A2: (0, None), B1: (0, None), B2: (0.3, None),
        A: (52235.06, None), B: (0.3, None), P: (152235.36, None),
    },
}  # fmt: skip

# February (D = 2026-02-28, D − 90 = 2025-11-30, D − 365 = 2025-02-28): the same records one
# month earlier, where the boundary cases fall the other way.
EXPECTED_2026_02: dict[str, dict[str, tuple]] = {
    "home_coverage": {A1: (2, 3)},  # V12 via H4 (closes 03-31), V21; V11's H2 not yet
    "demo_homes": {A1: (2, None)},  # H4, H5
    "supervisor_coverage": {A1: (2, 2), A2: (0, 1)},  # S2 still active; S3 not yet
    "certified_rate": {A1: (3, 4)},  # S1, S2, S4 of S1 S2 S4 S5
    "trained_12m": {A1: (3, 4)},  # S1 (2025-03-31), S4, S5; S2's 2025-01-10 too old
    "children_active": {A1: (3, None)},  # C1, C2, C4
    "children_difficulty": {A1: (2, None)},  # C2, C4
    "children_unguarded": {A1: (1, None)},  # C2
    "visit_rate_90d": {A1: (3, 3), A2: (1, 1), B2: (0, 1)},  # C4's 12-31 counts now
    "care_coverage": {A1: (2, 3)},  # C2, C4; C1 has none in February
    "open_cases": {A1: (2, None)},  # K1, K3 (K4 closed on D)
    "overdue_cases": {A1: (1, None)},  # K1
    "case_closure_days": {A1: (58, 1)},  # K4
    "referral_timely": {A1: (0, 0)},  # R4 made on D, answered the next day: pending on D
    "referral_pending": {A1: (1, None)},  # R4
    "purchase_yuan": {A1: (2234.56, None), P: (152235.36, None)},  # still 2026
}
# The year end (D = 2025-12-31): R17–R23 of K7 (B2), nothing elsewhere. Known: R17 (late),
# R18 (timely), R19 (late), R22 (timely); pending: R20, R21, R23.
EXPECTED_2025_12 = {
    "referral_timely": {B2: (2, 4), B: (2, 4), P: (2, 4), A1: (0, 0), A: (0, 0)},
    "referral_pending": {B2: (3, None), B: (3, None), P: (3, None), A1: (0, None)},
}
# January 2026: December's referrals answered on 01-01 belong to December, not here.
EXPECTED_2026_01 = {
    "referral_timely": {B2: (0, 0), P: (0, 0)},
    "referral_pending": {B2: (0, None), P: (0, None)},
}
# 2025: only the 2025 purchases.
EXPECTED_2025_06 = {"purchase_yuan": {A1: (9999.0, None), B: (7.0, None), P: (10006.0, None)}}


def expected_value(num, den):
    """value as DESIGN.md §4 defines it: n/d, null for a zero denominator, n for counts."""
    if den is None:
        return num
    return None if den == 0 else num / den


def snapshots(engine: Engine) -> dict[tuple[str, str, str], tuple]:
    with engine.connect() as conn:
        rows = conn.execute(select(kpi_snapshots)).all()
    return {
        (r.region_code, r.period, r.metric): (r.numerator, r.denominator, r.value) for r in rows
    }


def assert_row(got: tuple | None, num, den, where: str) -> None:
    assert got is not None, f"no row for {where}"
    g_num, g_den, g_val = got
    assert g_num == pytest.approx(num, abs=1e-9), f"{where}: numerator {g_num} != {num}"
    if den is None:
        assert g_den is None, f"{where}: denominator {g_den} should be null"
    else:
        assert g_den == pytest.approx(den, abs=1e-9), f"{where}: denominator {g_den} != {den}"
    want = expected_value(num, den)
    if want is None:
        assert g_val is None, f"{where}: value {g_val} should be null"
    else:
        assert g_val == pytest.approx(want, rel=1e-12), f"{where}: value {g_val} != {want}"


@pytest.fixture
def loaded(engine: Engine) -> Engine:
    load_fixture(engine)
    refresh(engine)
    return engine


def test_expectations_cover_every_metric_and_level():
    assert set(EXPECTED_2026_03) == set(METRIC_CODES)
    for metric, by_region in EXPECTED_2026_03.items():
        assert set(by_region) == set(ROLLUP_REGIONS), metric


@pytest.mark.parametrize(
    ("period", "expected"),
    [
        ("2026-03", EXPECTED_2026_03),
        ("2026-02", EXPECTED_2026_02),
        ("2026-01", EXPECTED_2026_01),
        ("2025-12", EXPECTED_2025_12),
        ("2025-06", EXPECTED_2025_06),
    ],
)
def test_rollup_values_match_hand_worked(loaded, period, expected):
    got = snapshots(loaded)
    for metric, by_region in expected.items():
        for region, (num, den) in by_region.items():
            assert_row(got.get((region, period, metric)), num, den, f"{metric} {region} {period}")


def test_boundary_cases_read_as_specified(loaded):
    """The boundary records, one by one, as the values a leader reads."""
    got = snapshots(loaded)
    # 0.1 + 0.2 stored as 0.3 exactly (rounded to the fen on both backends).
    assert got[(B2, "2026-03", "purchase_yuan")][0] == 0.3
    # B1 has no units and no records: rates null, counts 0, rows present.
    assert got[(B1, "2026-03", "home_coverage")] == (0.0, 0.0, None)
    assert got[(B1, "2026-03", "children_active")] == (0.0, None, 0.0)
    assert got[(B1, "2026-03", "case_closure_days")] == (0.0, 0.0, None)
    # A mean: 168 days over 4 closed cases.
    assert got[(P, "2026-03", "case_closure_days")][2] == pytest.approx(42.0)
    # Purchases at the province code count only for the province.
    assert got[(P, "2026-03", "purchase_yuan")][0] == pytest.approx(152235.36)
    assert sum(got[(r, "2026-03", "purchase_yuan")][0] for r in (A, B)) == pytest.approx(52235.36)


def test_direct_upper_levels_equal_summed_counties(engine):
    """metric_engine computed directly with prefecture/province groups (each leaf under three
    groups) gives the same rows as the rollup's sums of counties."""
    load_fixture(engine)
    refresh(engine)
    got = snapshots(engine)
    groups = select(regions.c.code).where(regions.c.level.in_(("province", "prefecture", "county")))
    units = descendant_units(groups, "all_units")
    periods = periods_select(month_periods("2026-02", "2026-03")).subquery("ps")
    with engine.connect() as conn:
        rows = conn.execute(metric_rows(units, periods)).all()
    assert len(rows) == 7 * 2 * len(METRIC_CODES)
    for r in rows:
        assert (r.numerator, r.denominator, r.value) == pytest.approx(
            got[(r.group_code, r.period, r.metric)]
        ), (r.group_code, r.period, r.metric)


def test_period_bounds():
    p = parse_period("2024-02")
    assert (p.d_start, p.d_end, p.year, p.m_index) == (
        d("2024-02-01"),
        d("2024-02-29"),
        2024,
        24289,
    )
    assert [x.period for x in month_periods("2025-11", "2026-02")] == [
        "2025-11",
        "2025-12",
        "2026-01",
        "2026-02",
    ]
    for bad in ("2026-13", "2026-3", "26-03", "", None):
        with pytest.raises(ValueError):
            parse_period(bad)
    with pytest.raises(ValueError):
        month_periods("2026-03", "2026-02")
