"""Staff and their trainings: the township supervisors (儿童督导员) and village directors
(儿童主任) with turnover, and their initial and yearly trainings.

Kept together because trainings are drawn per staff member from the staff arrays, and both
follow the county's `coverage` and `training` lag; the staff step also leaves the holders of
each post on the `World`, which the visits of the children's step are attributed to.
"""

from __future__ import annotations

import numpy as np

from data.demo.arrays import (
    EPOCH,
    GO_LIVE,
    NULL,
    S_STAFF,
    S_TRAINING,
    between,
    categorical,
    enum_codes,
    stream_rng,
)
from data.demo.world import World
from data.synthetic import person_names, phone_numbers


def _tenures(
    world: World,
    rng: np.random.Generator,
    p_initial: np.ndarray,
    p_later: np.ndarray,
    hazard: np.ndarray,
    gap_days: np.ndarray,
    max_tenures: int = 6,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Successive office holders of each slot: (slot, appointed, left or NULL).

    A slot (parameters given per slot) is filled at go-live, later, or never; a holder leaves
    at a yearly hazard and is replaced after a gap, so vacancies exist at any date, more where
    the gap is long.
    """
    n = len(p_initial)
    initial = rng.random(n) < p_initial
    later = ~initial & (rng.random(n) < p_later)
    first = np.where(initial, world.golive(rng, n), world.later(rng, n))
    current = np.where(initial | later, first, NULL)
    slots, appointed, left = [], [], []
    for _ in range(max_tenures):
        idx = np.flatnonzero(current >= 0)
        if not len(idx):
            break
        tenure = np.maximum(rng.exponential(365.0 / hazard[idx]), 60).astype(np.int64)
        leave = current[idx] + tenure
        gap = np.maximum(rng.exponential(gap_days[idx]), 7).astype(np.int64)
        slots.append(idx)
        appointed.append(current[idx])
        left.append(np.where(leave <= world.end, leave, NULL))
        nxt = leave + gap
        current = np.full(n, NULL, dtype=np.int64)
        go_on = (leave <= world.end) & (nxt <= world.end)
        current[idx[go_on]] = nxt[go_on]
    slot, app, lft = (
        np.concatenate(x) if x else np.array([], np.int64) for x in (slots, appointed, left)
    )
    order = np.lexsort((app, slot))
    return slot[order], app[order], lft[order]


BACKGROUNDS = ("committee_member", "village_official_graduate", "social_worker", "other")


def gen_staff(world: World) -> dict[str, np.ndarray]:
    """Supervisors (one or two per township) then directors (one per village), with turnover."""
    rng = stream_rng(world.seed, S_STAFF)
    p_initial = world.by_county("coverage", 0.86, 0.975, 0.01, 0.9, 0.995)
    p_later = world.by_county("coverage", 0.45, 0.75)
    hazard = world.by_county("coverage", 0.15, 0.07)
    gap = world.by_county("coverage", 160.0, 40.0, 0.0, 0, 1000)
    # Supervisors: township slots, a second slot in 40% of townships, filled less often.
    two = rng.random(len(world.town_code)) < 0.4
    t_slot_town = np.sort(np.r_[np.arange(len(world.town_code)), np.flatnonzero(two)])
    tc = world.town_county[t_slot_town]
    second = np.r_[False, t_slot_town[1:] == t_slot_town[:-1]]
    slot, sup_app, sup_left = _tenures(
        world, rng, np.where(second, 0.8, 1.0) * p_initial[tc], p_later[tc], hazard[tc], gap[tc]
    )
    sup_town = t_slot_town[slot]
    vc = world.vill_county
    v_slot, dir_app, dir_left = _tenures(
        world, rng, p_initial[vc], p_later[vc], hazard[vc], gap[vc]
    )
    n_sup, n_dir = len(sup_town), len(v_slot)
    role = np.r_[np.full(n_sup, "supervisor"), np.full(n_dir, "director")]
    region = np.r_[world.town_code[sup_town], world.vill_code[v_slot]]
    county = np.r_[world.town_county[sup_town], world.vill_county[v_slot]]
    appointed = np.r_[sup_app, dir_app]
    left = np.r_[sup_left, dir_left]
    is_dir = role == "director"
    n = n_sup + n_dir
    female = rng.random(n) < np.where(is_dir, 0.60, 0.45)
    gender = np.where(female, "F", "M")
    fcm_p = world.by_county("coverage", 0.65, 0.82, 0.03)[county]
    fcm = is_dir & female & (rng.random(n) < fcm_p)
    bg_dir = categorical(rng, [0.45, 0.15, 0.10, 0.30], n)
    bg_sup = categorical(rng, [0.0, 0.20, 0.30, 0.50], n)
    background = np.where(fcm, 0, np.where(is_dir, bg_dir, bg_sup))
    dedicated_p = world.by_county("coverage", 0.30, 0.55, 0.08, 0.2, 0.9)[county]
    dedicated = rng.random(n) < np.where(is_dir, dedicated_p, dedicated_p + 0.1)
    registered_p = world.by_county("training", 0.80, 0.965, 0.01, 0.9, 0.995)[county]
    registered = rng.random(n) < registered_p
    last = np.where(left >= 0, left, world.end)
    upd_mean = world.by_county("training", 240.0, 90.0, 0.0, 0, 1000)[county]
    updated = np.maximum(last - rng.exponential(upd_mean).astype(np.int64), appointed)
    world.supervisors = {
        "id": np.arange(1, n_sup + 1),
        "unit": sup_town,
        "appointed": sup_app,
        "left": sup_left,
    }
    world.directors = {
        "id": np.arange(n_sup + 1, n + 1),
        "unit": v_slot,
        "appointed": dir_app,
        "left": dir_left,
    }
    return {
        "id": np.arange(1, n + 1),
        "role": role,
        "region_code": region,
        "name": person_names(rng, gender),
        "gender": gender,
        "phone": phone_numbers(rng, n),
        "is_female_committee_member": fcm,
        "is_dedicated": dedicated,
        "background": enum_codes(BACKGROUNDS, background),
        "appointed_on": appointed,
        "left_on": left,
        "is_registered": registered,
        "info_updated_on": updated,
        "_county": county,
    }


def gen_trainings(world: World, staff: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """An initial training at or soon after appointment (mostly passed, a retake when failed,
    missing for some) and a yearly rotation training at the county's (directors) or the
    prefecture's (supervisors) session, attended by most, by fewer in lagging counties."""
    rng = stream_rng(world.seed, S_TRAINING)
    n = len(staff["id"])
    county = staff["_county"]
    appointed, left = staff["appointed_on"], staff["left_on"]
    until = np.where(left >= 0, np.minimum(left - 1, world.end), world.end)
    has_initial = rng.random(n) < world.by_county("training", 0.72, 0.96, 0.01, 0.8, 0.99)[county]
    existing = appointed < world.start + 31
    delay_hi = np.where(world.lag["training"][county], 180, 45)
    # Staff in post at go-live had their certificates recorded in January 2024.
    first_on = np.where(
        existing,
        between(rng, appointed, world.golive_end),
        appointed + between(rng, np.zeros(n), delay_hi),
    )
    first_passed = rng.random(n) < 0.93
    retake_on = first_on + between(rng, np.full(n, 30), 90)
    retake_passed = rng.random(n) < 0.9
    parts = [
        (np.flatnonzero(has_initial & (first_on <= until)), first_on, "initial", first_passed),
        (
            np.flatnonzero(has_initial & ~first_passed & (retake_on <= until)),
            retake_on,
            "initial",
            retake_passed,
        ),
    ]
    # Annual sessions: a habitual month per county / prefecture (March to September).
    county_month = rng.integers(3, 10, len(world.county_code))
    pref_month = rng.integers(3, 10, len(world.pref_code))
    month = np.where(
        staff["role"] == "director", county_month[county], pref_month[world.county_pref[county]]
    )
    attend_p = world.by_county("training", 0.60, 0.93, 0.02, 0.8, 0.99)[county]
    for year in range(GO_LIVE.year, world.end_year + 1):
        first_of_month = (np.datetime64(f"{year}-01", "M") + (month - 1)).astype("datetime64[D]")
        session = (first_of_month - EPOCH).astype(np.int64) + rng.integers(0, 28, n)
        on = session + between(rng, np.zeros(n), 14)
        ok = (rng.random(n) < attend_p) & (appointed < on) & (on <= until) & (on >= world.start)
        parts.append((np.flatnonzero(ok), on, "annual", rng.random(n) < 0.97))
    idx = np.concatenate([p[0] for p in parts])
    on = np.concatenate([p[1][p[0]] for p in parts])
    kind = np.concatenate([np.full(len(p[0]), p[2]) for p in parts])
    passed = np.concatenate([p[3][p[0]] for p in parts])
    staff_id = staff["id"][idx]
    order = np.lexsort((on, staff_id))
    return {
        "id": np.arange(1, len(order) + 1),
        "staff_id": staff_id[order],
        "trained_on": on[order],
        "kind": kind[order],
        "passed": passed[order],
    }
