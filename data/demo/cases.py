"""Cases (个案) and their referrals (转介) to partner departments, one county at a time.

Referrals are drawn per case from its concern and lifecycle dates, so the two belong together;
the `cases` lag (slow handling, overdue cases, late answers) is applied here only.

The shapes aim at what a real province reports, since the dashboard's case views are read
against it: a steady intake month after month, most cases closed within their due period so
that a tenth or so of the open ones are overdue (a third in the lagging counties), none left
open for years, and referrals answered within days.
"""

from __future__ import annotations

import numpy as np

from data.demo.arrays import (
    EPOCH,
    NULL,
    S_CASES,
    between,
    categorical,
    enum_codes,
    nullable,
    stream_rng,
)
from data.demo.children import active_end
from data.demo.world import World

SOURCES = ("hotline_12355", "mandatory_report", "visit", "school", "police", "other")
CONCERNS = (
    "guardianship",
    "abuse",
    "dropout",
    "illness",
    "psychological",
    "living_hardship",
    "unregistered",
    "other",
)
RISKS = ("high", "medium", "low")
DEPARTMENTS = (
    "civil_affairs",
    "education",
    "public_security",
    "justice",
    "hr_social_security",
    "agriculture",
    "culture_tourism",
    "health",
    "medical_security",
    "women_children_committee",
    "youth_league",
    "womens_federation",
    "disabled_persons_federation",
)
# Concern probabilities: left-behind child, child in difficulty, no child recorded.
_CONCERN_P = np.array(
    [
        [0.25, 0.10, 0.12, 0.05, 0.25, 0.10, 0.03, 0.10],
        [0.18, 0.07, 0.08, 0.20, 0.12, 0.25, 0.03, 0.07],
        [0.20, 0.25, 0.05, 0.05, 0.10, 0.15, 0.10, 0.10],
    ]
)
# Departments a case of each concern is referred to (weights, rows follow CONCERNS).
_DEPT_W = np.array(
    [
        # civ edu pol jus hr agr cul hea med wcc yl wf dpf
        [5, 2, 2, 3, 1, 0.5, 0.2, 1, 0.5, 3, 1, 4, 0.5],
        [2, 2, 6, 5, 0.3, 0.2, 0.2, 3, 0.5, 3, 1, 4, 0.3],
        [2, 8, 1, 0.5, 1, 0.5, 0.5, 0.5, 0.3, 1, 3, 1, 0.5],
        [3, 0.5, 0.3, 0.3, 0.5, 0.5, 0.2, 6, 6, 0.5, 0.5, 1, 3],
        [2, 4, 0.5, 0.5, 0.3, 0.3, 0.5, 4, 0.5, 2, 4, 3, 0.5],
        [6, 2, 0.3, 0.3, 3, 3, 0.5, 1, 2, 1, 1, 2, 1],
        [4, 1, 6, 1, 0.5, 0.5, 0.2, 1, 1, 1, 0.5, 1, 0.5],
        [3, 2, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1],
    ]
)


# Intake: cases received a month per child on the register (about 1 in 300 children a month,
# some 45,000 cases in the province's first 34 months), and the share about a registered
# child (the rest come without one, such as anonymous hotline calls).
CASES_PER_CHILD_MONTH = 0.0033
CHILD_CASE_SHARE = 0.85
# Handling time as a multiple of the case's due period (15 days for high risk, else 20-30):
# the median multiple, in normal counties nudged by the county's quality, and its spread.
PACE = (1.15, 0.72)  # lagging, normal
PACE_SIGMA = (0.45, 0.32)
# A few cases drag on for months (a guardianship to settle, a family to trace), more in the
# lagging counties; the longest end about half a year past their due date, none years later.
DRAG_SHARE = (0.025, 0.005)
DRAG_DAYS = ((45, 200), (45, 150))


def _months(world: World) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """First and last day of each month of the history (the last one clipped to the as-of
    day) and the share of the month inside it, so that a partial month gets its share."""
    first = np.arange(
        (EPOCH + world.start).astype("datetime64[M]"),
        (EPOCH + world.end).astype("datetime64[M]") + 1,
    )
    lo = (first.astype("datetime64[D]") - EPOCH).astype(np.int64)
    nxt = ((first + 1).astype("datetime64[D]") - EPOCH).astype(np.int64)
    hi = np.minimum(nxt - 1, world.end)
    begin = np.maximum(lo, world.start)
    return begin, hi, (hi - begin + 1) / (nxt - lo)


def _on_register(start: np.ndarray, stop: np.ndarray, lo: np.ndarray, hi: np.ndarray):
    """How many children are on the register at some day of each period [lo, hi]."""
    return np.searchsorted(np.sort(start), hi, side="right") - np.searchsorted(
        np.sort(stop), lo, side="left"
    )


def _child_in(
    rng: np.random.Generator, lo: np.ndarray, hi: np.ndarray, start: np.ndarray, stop: np.ndarray
) -> np.ndarray:
    """For each period [lo, hi], a child on the register at some day of it, uniformly among
    them (-1 where none was found): draw any child and redraw where that child was not on the
    register then. Most children are, so a few rounds over the whole array settle nearly all."""
    pick = np.full(len(lo), -1, dtype=np.int64)
    todo = np.arange(len(lo)) if len(start) else np.arange(0)
    for _ in range(40):
        if not len(todo):
            break
        cand = rng.integers(0, len(start), len(todo))
        ok = (start[cand] <= hi[todo]) & (stop[cand] >= lo[todo])
        pick[todo[ok]] = cand[ok]
        todo = todo[~ok]
    return pick


def gen_cases(
    world: World, ci: int, children: dict[str, np.ndarray], first_id: int
) -> dict[str, np.ndarray]:
    """Cases of county `ci`: mostly about a child on the register that day, some anonymous
    (hotline calls); lifecycle dates consistent with the status at the as-of date; lagging
    counties handle them slowly and leave many open past their due date.

    The intake is drawn month by month, in proportion to the children on the register that
    month, and only then the child (one on the register that month) and the day: drawing
    each child's case day between its registration and exit crowded the cases of children
    registered lately into the last months (intake climbing by 60 % in a year, which no
    province sees). A case's handling time is a multiple of its
    due period, not fixed days, so high-risk cases (due in 15 days) are handled faster too,
    and every case closes eventually: cases left open for good piled up month after month
    into a third of the open ones overdue, some by years.
    """
    rng = stream_rng(world.seed, S_CASES, ci)
    c_start = children["registered_on"]
    c_stop = active_end(world, children)
    mult = float(rng.lognormal(0.0, 0.25))
    m_lo, m_hi, m_share = _months(world)
    on_register = _on_register(c_start, c_stop, m_lo, m_hi)
    per_month = rng.poisson(CASES_PER_CHILD_MONTH * mult * on_register * m_share)
    month = np.repeat(np.arange(len(m_lo)), per_month)
    lo, hi = m_lo[month], m_hi[month]
    n = len(month)
    about_child = rng.random(n) < CHILD_CASE_SHARE
    child_ix = np.where(about_child, _child_in(rng, lo, hi, c_start, c_stop), -1)
    has_child = child_ix >= 0
    child_ix = np.maximum(child_ix, 0)
    # A day of the month; for a child, one the child was on the register.
    lo = np.where(has_child, np.maximum(lo, c_start[child_ix]), lo)
    hi = np.where(has_child, np.minimum(hi, c_stop[child_ix]), hi)
    received = between(rng, lo, hi)
    child_id = np.where(has_child, children["id"][child_ix], 0)
    # Region: the child's (or a random) village mostly, else its township or the county.
    vills = np.flatnonzero(world.vill_county == ci)
    village = np.where(has_child, children["_village"][child_ix], rng.choice(vills, n))
    village = village.astype(np.int64)
    level = categorical(rng, [0.75, 0.15, 0.10], n)
    region = np.select(
        [level == 0, level == 1],
        [world.vill_code[village], world.town_code[world.vill_town[village]]],
        world.county_code[ci],
    )
    lb_child = children["category"][child_ix] == "left_behind"
    group = np.where(has_child, np.where(lb_child, 0, 1), 2)
    concern = categorical(rng, _CONCERN_P[group])
    source = categorical(rng, [0.30, 0.25, 0.20, 0.12, 0.08, 0.05], n)
    risk = categorical(rng, [0.15, 0.40, 0.45], n)
    due_days = np.where(risk == 0, 15, between(rng, np.full(n, 20), 30))
    due = received + due_days
    lagging = world.lag["cases"][ci]
    k = 0 if lagging else 1  # which of the (lagging, normal) pairs above
    pace = world.by_county("cases", PACE[0], PACE[1], -0.05, 0.55, 0.9)[ci]
    assess_delay = between(rng, np.zeros(n), 12 if lagging else 4)
    work = due_days * rng.lognormal(np.log(pace), PACE_SIGMA[k], n)
    drag = rng.random(n) < DRAG_SHARE[k]
    work = np.where(drag, between(rng, np.full(n, DRAG_DAYS[k][0]), DRAG_DAYS[k][1]), work)
    duration = np.maximum(work.astype(np.int64), assess_delay + 1)
    assess_day = received + assess_delay
    closed = received + duration
    closed = np.where(closed > world.end, NULL, closed)
    assessed = np.where(assess_day > world.end, NULL, assess_day)
    status = np.select(
        [closed >= 0, assessed >= 0, world.end - received <= 2],
        ["closed", "in_progress", "received"],
        "assessing",
    )
    order = np.lexsort((np.arange(n), received))
    out = {
        "id": np.arange(first_id, first_id + n),
        "child_id": nullable(child_id[order], has_child[order]),
        "region_code": region[order],
        "source": enum_codes(SOURCES, source[order]),
        "concern": enum_codes(CONCERNS, concern[order]),
        "risk_level": enum_codes(RISKS, risk[order]),
        "received_on": received[order],
        "assessed_on": assessed[order],
        "status": status[order],
        "due_on": due[order],
        "closed_on": closed[order],
        "_concern": concern[order],
        "_assess_day": assess_day[order],  # also where it lies after the as-of day
    }
    return out


def gen_referrals(
    world: World, ci: int, cases: dict[str, np.ndarray], first_id: int
) -> dict[str, np.ndarray]:
    """Zero to three referrals per case to departments suited to its concern, made within a
    few days of the assessment; most answered within a week (typically in two to four days),
    a few late (most of those within days past the week), lagging counties slower and more
    often not at all."""
    rng = stream_rng(world.seed, S_CASES, ci, 1)
    n = len(cases["id"])
    k = categorical(rng, [0.3, 0.4, 0.2, 0.1], n)
    w = _DEPT_W[cases["_concern"]]
    score = np.log(w) + rng.gumbel(size=w.shape)  # Gumbel top-k: k distinct, weighted
    ranked = np.argsort(-score, axis=1)[:, :3]
    take = np.arange(3)[None, :] < k[:, None]
    row, col = np.nonzero(take)
    dept = ranked[row, col]
    # After the assessment, also where it is still to come: a case not yet assessed on the
    # as-of day has no referral yet (referring it from its receipt instead crowded the last
    # days with referrals, and the latest month with pending ones).
    referred = cases["_assess_day"][row] + between(rng, np.zeros(len(row)), 4)
    closed = cases["closed_on"][row]
    referred = np.where(closed >= 0, np.minimum(referred, closed), referred)
    keep = referred <= world.end
    row, dept, referred = row[keep], dept[keep], referred[keep]
    m = len(row)
    lagging = world.lag["cases"][ci]
    kind = categorical(rng, [0.62, 0.26, 0.12] if lagging else [0.9, 0.07, 0.03], m)
    on_time = 1 + rng.binomial(6, 0.35, m)  # 1-7 days, mostly 2-4
    late = 8 + np.minimum(rng.exponential(8.0 if lagging else 4.0, m), 22).astype(np.int64)
    delay = np.select([kind == 0, kind == 1], [on_time, late], 0)
    responded = referred + delay
    responded = np.where((kind == 2) | (responded > world.end), NULL, responded)
    order = np.lexsort((dept, referred, row))
    return {
        "id": np.arange(first_id, first_id + m),
        "case_id": cases["id"][row[order]],
        "department": enum_codes(DEPARTMENTS, dept[order]),
        "referred_on": referred[order],
        "responded_on": responded[order],
    }
