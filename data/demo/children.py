"""Registered children and their visits, one county at a time.

The child is the unit everything else hangs off (visits here, cases and care actions in their
own modules), so this module fixes who is on the register when: ages, categories, guardians,
schooling, synthetic identities, and the day each child leaves the register (`active_end`),
which the other child-level generators share. Visits sit here as they follow the children's
register days and are attributed to the village's director (or the township's supervisor).
"""

from __future__ import annotations

import numpy as np

from data.demo.arrays import (
    EPOCH,
    NULL,
    S_CHILDREN,
    S_VISITS,
    add_years,
    between,
    categorical,
    enum_codes,
    group_first,
    nullable,
    rank_in_groups,
    stream_rng,
)
from data.demo.world import World
from data.synthetic import id_numbers, person_names

EXISTING_SHARE = 0.75  # children already registered when the system went live

LEFT_BEHIND_TYPES = ("both_parents", "one_parent_other_unable")
DIFFICULTY_TYPES = ("economic", "self_disability_illness", "guardianship")
GUARDIAN_TYPES = ("grandparent", "relative", "parent", "other", "none")
QUALITIES = ("none", "parent_unable", "delegate_weak", "fair", "good")
HEALTH = ("healthy", "disabled", "ill")
STAGES = (
    "not_in_kindergarten",
    "kindergarten",
    "primary",
    "junior",
    "senior",
    "vocational",
    "dropped_out",
    "not_in_school",
)
IN_SCHOOL_STAGES = np.array([False, True, True, True, True, True, False, False])
# Stage probabilities by age band at the last day on the register: under 3, 3-5, 6-11, 12-14,
# 15 and over.
_STAGE_P = np.array(
    [
        [1.0, 0, 0, 0, 0, 0, 0, 0],
        [0.12, 0.88, 0, 0, 0, 0, 0, 0],
        [0, 0, 0.99, 0, 0, 0, 0, 0.01],
        [0, 0, 0, 0.97, 0, 0, 0.02, 0.01],
        [0, 0, 0, 0.04, 0.55, 0.33, 0.05, 0.03],
    ]
)
# guardian type probabilities by group: lb both parents away, lb one parent unable,
# difficulty economic, own disability/illness, guardianship.
_GUARDIAN_P = np.array(
    [
        [0.95, 0.025, 0.0, 0.005, 0.02],
        [0.30, 0.05, 0.62, 0.01, 0.02],
        [0.25, 0.05, 0.67, 0.02, 0.01],
        [0.20, 0.04, 0.73, 0.02, 0.01],
        [0.42, 0.20, 0.13, 0.10, 0.15],
    ]
)


def gen_children(world: World, ci: int, first_id: int) -> dict[str, np.ndarray]:
    """The registered children of county `ci`, village by village."""
    rng = stream_rng(world.seed, S_CHILDREN, ci)
    vills = np.flatnonzero(world.vill_county == ci)
    lb_n, d_n = world.lb_count[vills], world.diff_count[vills]
    village = np.r_[np.repeat(vills, lb_n), np.repeat(vills, d_n)]
    is_lb = np.r_[np.ones(lb_n.sum(), bool), np.zeros(d_n.sum(), bool)]
    order = np.argsort(village, kind="stable")
    village, is_lb = village[order], is_lb[order]
    n = len(village)
    existing = rng.random(n) < EXISTING_SHARE
    registered = np.where(existing, world.golive(rng, n), world.later(rng, n))
    # Age at registration: left-behind 0-5 21.7%, 6-13 67.4%, 14-15 10.9% (FACTS.md);
    # under 16 for left-behind, under 18 at the as-of date for everyone.
    band_lb = categorical(rng, [0.217, 0.674, 0.109], n)
    band_d = categorical(rng, [0.25, 0.55, 0.20], n)
    band_lo = np.where(is_lb, np.array([0, 6, 14])[band_lb], np.array([0, 6, 14])[band_d])
    band_hi = np.where(is_lb, np.array([6, 14, 16])[band_lb], np.array([6, 14, 18])[band_d])
    age_days = np.floor((band_lo + rng.random(n) * (band_hi - band_lo)) * 365.25).astype(np.int64)
    birth = registered - np.maximum(age_days, 20)
    birth_min = np.full(n, add_years(np.array([world.end]), -18)[0] + 1)
    birth_min = np.where(is_lb, np.maximum(birth_min, add_years(registered, -16) + 1), birth_min)
    too_old = birth < birth_min
    birth = np.where(too_old, between(rng, birth_min, registered - 20), birth)
    male = rng.random(n) < 0.545
    # Exits: left-behind children at 16; parents return or hardship ends at a yearly hazard.
    aged_out = np.where(is_lb, add_years(birth, 16), np.iinfo(np.int64).max)
    hazard_exit = registered + np.maximum(
        rng.exponential(365.0 / np.where(is_lb, 0.06, 0.045)), 30
    ).astype(np.int64)
    exit_on = np.minimum(aged_out, hazard_exit)
    exited = np.where(exit_on <= world.end, exit_on, NULL)
    lb_type = categorical(rng, [0.9, 0.1], n)
    d_type = categorical(rng, [0.55, 0.25, 0.20], n)
    group = np.where(is_lb, lb_type, 2 + d_type)
    guardian = categorical(rng, _GUARDIAN_P[group])
    quality_p = np.tile(np.array([0.0, 0.0, 0.15, 0.45, 0.40]), (n, 1))  # delegated guardians
    parent = guardian == 2
    quality_p[parent & (group == 1)] = [0.0, 0.85, 0.0, 0.10, 0.05]
    quality_p[parent & (group == 4)] = [0.0, 0.70, 0.0, 0.20, 0.10]
    quality_p[parent & (group != 1) & (group != 4)] = [0.0, 0.10, 0.0, 0.45, 0.45]
    quality_p[guardian == 4] = [1.0, 0.0, 0.0, 0.0, 0.0]
    quality = categorical(rng, quality_p)
    health_p = np.where((group == 3)[:, None], [0.0, 0.6, 0.4], [0.985, 0.008, 0.007])
    health = categorical(rng, health_p)
    # School stage from the age at the last day on the register.
    ref = np.where(exited >= 0, exited, world.end)
    age = (ref - birth) / 365.25
    band = np.searchsorted([3, 6, 12, 15], age, side="right")
    stage_p = _STAGE_P[band]
    disabled_out = (health == 1) & (age >= 6) & (rng.random(n) < 0.3)
    stage_p[disabled_out] = [0, 0, 0, 0, 0, 0, 0, 1.0]
    stage = categorical(rng, stage_p)
    updated = np.maximum(ref - rng.exponential(120.0, n).astype(np.int64), registered)
    # ID numbers: county code, birth date, sequence (odd for boys) unique per date and gender.
    key = birth * 2 + male
    rank = rank_in_groups(key)
    seq = 2 * (group_first(key, rng.integers(0, 100, n)) + rank) + male
    if seq.max(initial=0) > 999:
        raise ValueError("too many children born on one day in one county for unique IDs")
    gender = np.where(male, "M", "F")
    birth_days = (EPOCH + birth).astype("datetime64[D]")
    return {
        "id": np.arange(first_id, first_id + n),
        "village_code": world.vill_code[village],
        "category": np.where(is_lb, "left_behind", "difficulty"),
        "left_behind_type": enum_codes(LEFT_BEHIND_TYPES, lb_type, is_lb),
        "difficulty_type": enum_codes(DIFFICULTY_TYPES, d_type, ~is_lb),
        "name": person_names(rng, gender),
        "gender": gender,
        "birth_date": birth,
        "id_number": id_numbers(np.full(n, world.county_code[ci]), birth_days, seq),
        "guardian_type": enum_codes(GUARDIAN_TYPES, guardian),
        "guardianship_quality": enum_codes(QUALITIES, quality),
        "health_status": enum_codes(HEALTH, health),
        "school_stage": enum_codes(STAGES, stage),
        "in_school": IN_SCHOOL_STAGES[stage],
        "registered_on": registered,
        "exited_on": exited,
        "updated_on": updated,
        "_village": village,
        "_group": group,
        "_health": health,
        "_in_school": IN_SCHOOL_STAGES[stage],
    }


def active_end(world: World, children: dict[str, np.ndarray]) -> np.ndarray:
    """The last day each child is on the register (the day before exit, or the as-of day)."""
    exited = children["exited_on"]
    return np.where(exited >= 0, exited - 1, world.end)


def _holder_at(units: np.ndarray, days: np.ndarray, holders: dict[str, np.ndarray]) -> np.ndarray:
    """The id of the office holder of each unit on each day (0 where the post was vacant)."""
    if not len(holders["id"]):
        return np.zeros(len(units), dtype=np.int64)
    shift = np.int64(1) << 20  # days are offsets far below 2**20 from 1970
    keys = holders["unit"].astype(np.int64) * shift + holders["appointed"]
    order = np.argsort(keys, kind="stable")
    keys = keys[order]
    pos = np.searchsorted(keys, units.astype(np.int64) * shift + days, side="right") - 1
    pos_ok = pos >= 0
    cand = order[np.maximum(pos, 0)]
    left = holders["left"][cand]
    ok = pos_ok & (holders["unit"][cand] == units) & ((left < 0) | (left > days))
    return np.where(ok, holders["id"][cand], 0)


def gen_visits(
    world: World, ci: int, children: dict[str, np.ndarray], first_id: int
) -> dict[str, np.ndarray]:
    """Home or phone visits by the village director: most children every two to three months,
    some only now and then (many of them in lagging counties), from registration to exit."""
    rng = stream_rng(world.seed, S_VISITS, ci)
    n = len(children["id"])
    start = children["registered_on"]
    stop = active_end(world, children)
    regular = rng.random(n) < world.by_county("visits", 0.45, 0.91, 0.02, 0.82, 0.97)[ci]
    gap_lo = np.where(regular, 50, 110)
    gap_hi = np.where(regular, 88, 300)
    existing = start < world.start + 31
    # Children on the register at go-live were visited for the census that January (most of
    # them); later ones at registration or within two weeks.
    census = existing & (regular | (rng.random(n) < 0.5))
    first = np.where(
        census,
        between(rng, start, world.golive_end),
        start + between(rng, np.zeros(n), np.where(existing, 200, 14)),
    )
    k = max(1, (world.span + 31) // 50 + 2)
    gaps = gap_lo[:, None] + np.floor(
        rng.random((n, k - 1)) * (gap_hi - gap_lo + 1)[:, None]
    ).astype(np.int64)
    days = first[:, None] + np.c_[np.zeros(n, np.int64), np.cumsum(gaps, axis=1)]
    mask = days <= stop[:, None]
    child_ix, _ = np.nonzero(mask)
    on = days[mask]
    village = children["_village"][child_ix]
    staff_id = _holder_at(village, on, world.directors)
    town = world.vill_town[village]
    missing = staff_id == 0
    staff_id[missing] = _holder_at(town[missing], on[missing], world.supervisors)
    phone_p = world.by_county("visits", 0.45, 0.22)[ci]
    concern_p = np.where(children["category"][child_ix] == "difficulty", 0.07, 0.045)
    m = len(on)
    return {
        "id": np.arange(first_id, first_id + m),
        "child_id": children["id"][child_ix],
        "staff_id": nullable(staff_id, staff_id > 0),
        "visited_on": on,
        "method": np.where(rng.random(m) < phone_p, "phone", "home"),
        "concern_found": rng.random(m) < concern_p,
    }
