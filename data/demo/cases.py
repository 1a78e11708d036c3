"""Cases (个案) and their referrals (转介) to partner departments, one county at a time.

Referrals are drawn per case from its concern and lifecycle dates, so the two belong together;
the `cases` lag (slow handling, overdue cases, late answers) is applied here only.
"""

from __future__ import annotations

import numpy as np

from data.demo.arrays import NULL, S_CASES, between, categorical, enum_codes, nullable, stream_rng
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


def gen_cases(
    world: World, ci: int, children: dict[str, np.ndarray], first_id: int
) -> dict[str, np.ndarray]:
    """Cases of county `ci`: mostly about a registered child while on the register, some
    anonymous (hotline calls); lifecycle dates consistent with the status at the as-of date;
    lagging counties handle them slowly and leave many open past their due date."""
    rng = stream_rng(world.seed, S_CASES, ci)
    n_ch = len(children["id"])
    mult = float(rng.lognormal(0.0, 0.25))
    n_child = rng.poisson(0.074 * n_ch * mult) if n_ch else 0
    n_anon = rng.poisson(0.013 * n_ch * mult) if n_ch else 0
    child_ix = rng.integers(0, max(n_ch, 1), n_child)
    c_start = children["registered_on"][child_ix]
    c_stop = active_end(world, children)[child_ix]
    anon_on = between(rng, np.full(n_anon, world.start), world.end)
    received = np.r_[between(rng, c_start, c_stop), anon_on]
    n = n_child + n_anon
    has_child = np.r_[np.ones(n_child, bool), np.zeros(n_anon, bool)]
    child_id = np.r_[children["id"][child_ix], np.zeros(n_anon, np.int64)]
    # Region: the child's (or a random) village mostly, else its township or the county.
    vills = np.flatnonzero(world.vill_county == ci)
    village = np.r_[children["_village"][child_ix], rng.choice(vills, n_anon) if n_anon else []]
    village = village.astype(np.int64)
    level = categorical(rng, [0.75, 0.15, 0.10], n)
    region = np.select(
        [level == 0, level == 1],
        [world.vill_code[village], world.town_code[world.vill_town[village]]],
        world.county_code[ci],
    )
    lb_child = children["category"][child_ix] == "left_behind"
    group = np.r_[np.where(lb_child, 0, 1), np.full(n_anon, 2)]
    concern = categorical(rng, _CONCERN_P[group])
    source = categorical(rng, [0.30, 0.25, 0.20, 0.12, 0.08, 0.05], n)
    risk = categorical(rng, [0.15, 0.40, 0.45], n)
    due = received + np.where(risk == 0, 15, between(rng, np.full(n, 20), 30))
    lagging = world.lag["cases"][ci]
    assess_delay = between(rng, np.zeros(n), 12 if lagging else 4)
    median = 34.0 if lagging else 17.0
    duration = np.maximum(rng.lognormal(np.log(median), 0.6 if lagging else 0.45, n), 2)
    duration = duration.astype(np.int64) + assess_delay
    stuck = rng.random(n) < (0.06 if lagging else 0.004)
    assessed = received + assess_delay
    closed = np.where(stuck, NULL, received + duration)
    closed = np.where(closed > world.end, NULL, closed)
    assessed = np.where(assessed > world.end, NULL, assessed)
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
    }
    return out


def gen_referrals(
    world: World, ci: int, cases: dict[str, np.ndarray], first_id: int
) -> dict[str, np.ndarray]:
    """Zero to three referrals per case to departments suited to its concern; most answered
    within a week, lagging counties slower and more often not at all."""
    rng = stream_rng(world.seed, S_CASES, ci, 1)
    n = len(cases["id"])
    k = categorical(rng, [0.3, 0.4, 0.2, 0.1], n)
    w = _DEPT_W[cases["_concern"]]
    score = np.log(w) + rng.gumbel(size=w.shape)  # Gumbel top-k: k distinct, weighted
    ranked = np.argsort(-score, axis=1)[:, :3]
    take = np.arange(3)[None, :] < k[:, None]
    row, col = np.nonzero(take)
    dept = ranked[row, col]
    assessed = cases["assessed_on"][row]
    base = np.where(assessed >= 0, assessed, cases["received_on"][row])
    referred = base + between(rng, np.zeros(len(row)), 4)
    closed = cases["closed_on"][row]
    referred = np.where(closed >= 0, np.minimum(referred, closed), referred)
    keep = referred <= world.end
    row, dept, referred = row[keep], dept[keep], referred[keep]
    m = len(row)
    lagging = world.lag["cases"][ci]
    kind = categorical(rng, [0.62, 0.26, 0.12] if lagging else [0.9, 0.07, 0.03], m)
    delay = np.select(
        [kind == 0, kind == 1],
        [between(rng, np.zeros(m), 7), between(rng, np.full(m, 8), 30 if lagging else 20)],
        0,
    )
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
