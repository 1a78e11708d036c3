"""The synthetic demo database: a province-sized reporting DB a newcomer can explore at once.

`python -m data.demo --scale {tiny,province,xl} --url URL [--seed N] [--as-of YYYY-MM-DD]`

The data follow the contract of DESIGN.md §3 and the shapes of FACTS.md: about 400,000
registered children over the real province, prefectures and counties (synthetic townships and
villages), the staff who care for them, their visits, cases and referrals, care actions,
children's homes and their activities, institutions and purchased services, month by month
from the system's go-live (2024-01) to the as-of date. Counties differ on purpose: for each
dimension (coverage, training, visits, case handling) a seed-chosen set lags behind, so the
dashboard has gaps to show.

Speed matters (a newcomer's first `make run` builds it): everything is generated with numpy
over whole arrays (no Python loop per child or visit), children and what hangs off them one
county at a time (bounded memory at `xl`), and loaded with the driver's bulk path (`executemany`
on SQLite, COPY on PostgreSQL) in one transaction, secondary indexes rebuilt at the end.
Identities (names, ID numbers, phones) are synthetic: see `data.synthetic`.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

import numpy as np
import pandas as pd
from sqlalchemy import Boolean, Date, Engine, Table
from sqlalchemy.schema import CreateIndex, DropIndex

from data import schema as s
from data.config import province_code
from data.db import make_engine, upgrade, write_meta
from data.regions import build_region_tree
from data.synthetic import id_numbers, org_names, person_names, phone_numbers

SCALES: dict[str, float] = {"tiny": 0.6, "province": 1.0, "xl": 10.0}
"""Children (and all that hangs off them: visits, cases, referrals, care) per village."""
GO_LIVE = date(2024, 1, 1)  # the system's first day: no start/event date before it
LAG_DIMENSIONS = ("coverage", "training", "visits", "cases")
LAG_SHARE = 0.12  # share of counties lagging on each dimension (at least one)
# Expected children per village before the village's own weights (calibrated so that the
# province holds about 400,000 registered children at the as-of date).
LEFT_BEHIND_PER_VILLAGE = 16.1
DIFFICULTY_PER_VILLAGE = 6.0
EXISTING_SHARE = 0.75  # children already registered when the system went live
BATCH_ROWS = 100_000  # rows per executemany / COPY batch: bounds the Python objects alive

EPOCH = np.datetime64("1970-01-01", "D")
NULL = -1  # a missing date in the integer day arrays (days since 1970-01-01)

# Streams of the random generator: one per step, so a change in one step leaves the rest.
(
    _S_PROFILE,
    _S_STAFF,
    _S_TRAINING,
    _S_HOMES,
    _S_ACTIVITIES,
    _S_INSTITUTIONS,
    _S_PURCHASES,
    _S_CHILDREN,
    _S_VISITS,
    _S_CASES,
    _S_CARE,
) = range(1, 12)

Progress = Callable[[str], object]


def _day(d: date) -> int:
    return int((np.datetime64(d, "D") - EPOCH).astype(np.int64))


def _rng(seed: int, stream: int, *keys: int) -> np.random.Generator:
    return np.random.default_rng([seed, stream, *keys])


def _between(rng: np.random.Generator, lo, hi) -> np.ndarray:
    """Uniform integers in [lo, hi] (inclusive, element-wise; hi below lo gives lo)."""
    lo = np.asarray(lo, dtype=np.int64)
    hi = np.maximum(np.asarray(hi, dtype=np.int64), lo)
    size = np.broadcast(lo, hi).shape
    return lo + np.floor(rng.random(size) * (hi - lo + 1)).astype(np.int64)


def _categorical(rng: np.random.Generator, probs: np.ndarray, n: int | None = None) -> np.ndarray:
    """Indices drawn from probs: one row of probabilities for all, or one row per draw."""
    probs = np.asarray(probs, dtype=float)
    if probs.ndim == 1:
        cum = np.cumsum(probs / probs.sum())
        return np.minimum(np.searchsorted(cum, rng.random(n), side="right"), len(probs) - 1)
    cum = np.cumsum(probs / probs.sum(axis=1, keepdims=True), axis=1)
    u = rng.random(len(probs))[:, None]
    return np.minimum((u >= cum).sum(axis=1), probs.shape[1] - 1)


def _add_years(days: np.ndarray, years: int) -> np.ndarray:
    """The same calendar day `years` later (29 Feb moves to 1 Mar), as day numbers."""
    d = (EPOCH + np.asarray(days, dtype=np.int64)).astype("datetime64[D]")
    month = d.astype("datetime64[M]")
    offset = d - month.astype("datetime64[D]")
    return ((month + 12 * years).astype("datetime64[D]") + offset - EPOCH).astype(np.int64)


def _nullable(values: np.ndarray, present: np.ndarray) -> np.ndarray:
    """An object array holding values where present and None elsewhere."""
    out = np.asarray(values).astype(object)
    out[~np.asarray(present, dtype=bool)] = None
    return out


def _codes(labels: tuple[str, ...], index: np.ndarray, present=None) -> np.ndarray:
    """Enumeration codes for indices into labels (None where not present)."""
    out = np.array(labels, dtype=object)[index]
    if present is not None:
        out[~np.asarray(present, dtype=bool)] = None
    return out


def _rank_in_groups(keys: np.ndarray) -> np.ndarray:
    """Each element's 0-based rank among the elements with an equal key (in array order)."""
    order = np.argsort(keys, kind="stable")
    sorted_keys = keys[order]
    new_group = np.r_[True, sorted_keys[1:] != sorted_keys[:-1]][: len(keys)]
    starts = np.flatnonzero(new_group)
    group_start = starts[np.cumsum(new_group) - 1]
    rank = np.empty(len(keys), dtype=np.int64)
    rank[order] = np.arange(len(keys)) - group_start
    return rank


# ---------------------------------------------------------------------------------------------
# The world: region arrays and county profiles
# ---------------------------------------------------------------------------------------------


@dataclass
class World:
    """Everything the steps share: the region tree as arrays, the dates, county profiles."""

    seed: int
    scale: float
    start: int  # GO_LIVE as a day number
    end: int  # the as-of day
    tree: pd.DataFrame
    province: tuple[str, str]
    pref_code: np.ndarray
    pref_name: np.ndarray
    county_code: np.ndarray
    county_name: np.ndarray
    county_pref: np.ndarray
    county_poor: np.ndarray
    town_code: np.ndarray
    town_county: np.ndarray
    vill_code: np.ndarray
    vill_name: np.ndarray
    vill_town: np.ndarray
    vill_county: np.ndarray
    vill_community: np.ndarray
    lag: dict[str, np.ndarray] = field(default_factory=dict)
    quality: np.ndarray | None = None
    lb_count: np.ndarray | None = None  # left-behind children per village
    diff_count: np.ndarray | None = None  # children in difficulty per village
    directors: dict[str, np.ndarray] = field(default_factory=dict)
    supervisors: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def span(self) -> int:
        return self.end - self.start

    @property
    def golive_end(self) -> int:
        """The last day of the go-live month (January 2024), or the as-of day if earlier."""
        return self.start + min(30, self.span)

    def golive(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """Dates of records that existed at go-live: spread over January 2024."""
        return _between(rng, np.full(n, self.start), self.golive_end)

    def later(self, rng: np.random.Generator, n: int, until: int | None = None) -> np.ndarray:
        """Dates of records created after go-live: uniform from February 2024 to `until`."""
        lo = min(self.start + 31, self.end)
        return _between(rng, np.full(n, lo), self.end if until is None else until)


def tiny_tree(tree: pd.DataFrame) -> pd.DataFrame:
    """A small real subtree: two prefectures with two counties each (the rural and former
    poverty counties first), three townships of four villages under each, and one more
    county of the first prefecture kept without any township (an edge the views must handle).
    """
    counties = tree[tree.level == "county"].copy()
    villages = tree[tree.level == "village"]
    rural = villages[villages.kind == "village"].code.str[:6].value_counts()
    counties["rural"] = counties.code.map(rural).fillna(0)
    prefectures = sorted(tree[tree.level == "prefecture"].code)
    poor_per_pref = counties[counties.is_former_poverty_county].groupby("parent_code").size()
    second = max(prefectures[1:], key=lambda p: (poor_per_pref.get(p, 0), p), default=None)
    keep_counties: list[str] = []
    for pref in [prefectures[0], second]:
        if pref is None:
            continue
        mine = counties[counties.parent_code == pref].sort_values(
            ["is_former_poverty_county", "rural", "code"], ascending=[False, False, True]
        )
        keep_counties += list(mine.code[:2])
    empty = sorted(set(counties[counties.parent_code == prefectures[0]].code) - set(keep_counties))
    towns = tree[(tree.level == "township") & tree.parent_code.isin(keep_counties)]
    towns = towns.sort_values("code").groupby("parent_code").head(3)
    vills = tree[(tree.level == "village") & tree.parent_code.isin(towns.code)]
    vills = vills.sort_values("code").groupby("parent_code").head(4)
    keep = (
        set(tree[tree.level.isin(["province"])].code)
        | {p for p in (prefectures[0], second) if p}
        | set(keep_counties)
        | set(empty[:1])
        | set(towns.code)
        | set(vills.code)
    )
    return tree[tree.code.isin(keep)].reset_index(drop=True)


def make_world(scale: str, seed: int, as_of: date) -> World:
    """Region arrays, lagging counties per dimension and expected children per village."""
    tree = build_region_tree(province_code(), seed)
    if scale == "tiny":
        tree = tiny_tree(tree)
    tree = tree.sort_values("code").reset_index(drop=True)
    prov = tree[tree.level == "province"].iloc[0]
    prefs = tree[tree.level == "prefecture"]
    counties = tree[tree.level == "county"]
    towns = tree[tree.level == "township"]
    vills = tree[tree.level == "village"]
    county_ix = pd.Index(counties.code)
    town_ix = pd.Index(towns.code)
    world = World(
        seed=seed,
        scale=SCALES[scale],
        start=_day(GO_LIVE),
        end=_day(as_of),
        tree=tree,
        province=(str(prov.code), str(prov["name"])),
        pref_code=prefs.code.to_numpy(str),
        pref_name=prefs["name"].to_numpy(str),
        county_code=counties.code.to_numpy(str),
        county_name=counties["name"].to_numpy(str),
        county_pref=pd.Index(prefs.code).get_indexer(counties.parent_code),
        county_poor=counties.is_former_poverty_county.to_numpy(bool),
        town_code=towns.code.to_numpy(str),
        town_county=county_ix.get_indexer(towns.parent_code),
        vill_code=vills.code.to_numpy(str),
        vill_name=vills["name"].to_numpy(str),
        vill_town=town_ix.get_indexer(vills.parent_code),
        vill_county=np.zeros(len(vills), dtype=np.int64),
        vill_community=(vills.kind == "community").to_numpy(bool),
    )
    world.vill_county = world.town_county[world.vill_town]
    rng = _rng(seed, _S_PROFILE)
    n_c = len(world.county_code)
    world.quality = rng.normal(0.0, 1.0, n_c)
    has_villages = np.bincount(world.vill_county, minlength=n_c) > 0
    candidates = np.flatnonzero(has_villages)
    k = max(1, round(LAG_SHARE * len(candidates))) if len(candidates) else 0
    weights = np.where(world.county_poor[candidates], 1.5, 1.0)
    for dim in LAG_DIMENSIONS:
        lagging = np.zeros(n_c, dtype=bool)
        if k:
            lagging[rng.choice(candidates, size=k, replace=False, p=weights / weights.sum())] = True
        world.lag[dim] = lagging
    # Former poverty counties hold clearly more left-behind children per village; urban
    # communities few (left-behind children are rural by definition).
    poor_v = world.county_poor[world.vill_county]
    lb_w = np.where(poor_v, 1.7, 1.0) * np.where(world.vill_community, 0.3, 1.0)
    lb_w *= rng.lognormal(-0.1, 0.45, len(vills))
    d_w = np.where(poor_v, 1.3, 1.0) * np.where(world.vill_community, 0.8, 1.0)
    d_w *= rng.lognormal(-0.06, 0.35, len(vills))
    world.lb_count = rng.poisson(LEFT_BEHIND_PER_VILLAGE * world.scale * lb_w)
    world.diff_count = rng.poisson(DIFFICULTY_PER_VILLAGE * world.scale * d_w)
    return world


def _by_county(world: World, lagging_dim: str, lagging, normal, spread: float = 0.0, lo=0, hi=1):
    """A per-county parameter: `lagging` in the dimension's lagging counties, else `normal`
    nudged by the county's quality (so that normal counties differ a little too)."""
    base = np.clip(normal + spread * world.quality, lo, hi)
    return np.where(world.lag[lagging_dim], lagging, base)


# ---------------------------------------------------------------------------------------------
# Region-level tables: staff, trainings, homes, activities, institutions, purchases
# ---------------------------------------------------------------------------------------------


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
    rng = _rng(world.seed, _S_STAFF)
    p_initial = _by_county(world, "coverage", 0.86, 0.975, 0.01, 0.9, 0.995)
    p_later = _by_county(world, "coverage", 0.45, 0.75)
    hazard = _by_county(world, "coverage", 0.15, 0.07)
    gap = _by_county(world, "coverage", 160.0, 40.0, 0.0, 0, 1000)
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
    fcm_p = _by_county(world, "coverage", 0.65, 0.82, 0.03)[county]
    fcm = is_dir & female & (rng.random(n) < fcm_p)
    bg_dir = _categorical(rng, [0.45, 0.15, 0.10, 0.30], n)
    bg_sup = _categorical(rng, [0.0, 0.20, 0.30, 0.50], n)
    background = np.where(fcm, 0, np.where(is_dir, bg_dir, bg_sup))
    dedicated_p = _by_county(world, "coverage", 0.30, 0.55, 0.08, 0.2, 0.9)[county]
    dedicated = rng.random(n) < np.where(is_dir, dedicated_p, dedicated_p + 0.1)
    registered_p = _by_county(world, "training", 0.80, 0.965, 0.01, 0.9, 0.995)[county]
    registered = rng.random(n) < registered_p
    last = np.where(left >= 0, left, world.end)
    upd_mean = _by_county(world, "training", 240.0, 90.0, 0.0, 0, 1000)[county]
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
        "background": _codes(BACKGROUNDS, background),
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
    rng = _rng(world.seed, _S_TRAINING)
    n = len(staff["id"])
    county = staff["_county"]
    appointed, left = staff["appointed_on"], staff["left_on"]
    until = np.where(left >= 0, np.minimum(left - 1, world.end), world.end)
    has_initial = rng.random(n) < _by_county(world, "training", 0.72, 0.96, 0.01, 0.8, 0.99)[county]
    existing = appointed < world.start + 31
    delay_hi = np.where(world.lag["training"][county], 180, 45)
    # Staff in post at go-live had their certificates recorded in January 2024.
    first_on = np.where(
        existing,
        _between(rng, appointed, world.golive_end),
        appointed + _between(rng, np.zeros(n), delay_hi),
    )
    first_passed = rng.random(n) < 0.93
    retake_on = first_on + _between(rng, np.full(n, 30), 90)
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
    attend_p = _by_county(world, "training", 0.60, 0.93, 0.02, 0.8, 0.99)[county]
    end_year = (EPOCH + world.end).astype("datetime64[Y]").astype(int) + 1970
    for year in range(GO_LIVE.year, end_year + 1):
        first_of_month = (np.datetime64(f"{year}-01", "M") + (month - 1)).astype("datetime64[D]")
        session = (first_of_month - EPOCH).astype(np.int64) + rng.integers(0, 28, n)
        on = session + _between(rng, np.zeros(n), 14)
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


def gen_homes(world: World) -> dict[str, np.ndarray]:
    """Children's homes: most villages have one from go-live, others opened later or are
    still being built; a few closed (some replaced); demonstration homes favour former
    poverty counties."""
    rng = _rng(world.seed, _S_HOMES)
    nv = len(world.vill_code)
    vc = world.vill_county
    initial = rng.random(nv) < _by_county(world, "coverage", 0.62, 0.86, 0.03, 0.7, 0.95)[vc]
    later = ~initial & (rng.random(nv) < _by_county(world, "coverage", 0.45, 0.7)[vc])
    planned = world.later(rng, nv, until=world.end + 180)
    est = np.where(initial, world.golive(rng, nv), np.where(later, planned, NULL))
    has = initial | later
    operating_from = np.where(has & (est <= world.end), est, NULL)
    closes = operating_from + (rng.exponential(365.0 / 0.015, nv)).astype(np.int64) + 90
    closed = (operating_from >= 0) & (closes <= world.end)
    replaced = closed & (rng.random(nv) < 0.4)
    new_est = closes + _between(rng, np.full(nv, 60), 300)
    # First homes, then replacements.
    v = np.r_[np.flatnonzero(has), np.flatnonzero(replaced)]
    established = np.r_[operating_from[has], new_est[replaced]]
    established = np.where(established > world.end, NULL, established)
    closed_on = np.r_[np.where(closed, closes, NULL)[has], np.full(replaced.sum(), NULL)]
    status = np.select([closed_on >= 0, established >= 0], ["closed", "operating"], "building")
    name = np.r_[
        np.char.add(world.vill_name[has], "儿童之家"),
        np.char.add(world.vill_name[replaced], "儿童之家（新址）"),
    ]
    order = np.lexsort((np.arange(len(v)), v))
    v, established, status, closed_on, name = (
        a[order] for a in (v, established, status, closed_on, name)
    )
    n = len(v)
    county = world.vill_county[v]
    demo_p = np.where(world.county_poor[county], 0.2, 0.075)
    demo = (status != "building") & (rng.random(n) < demo_p)
    funding = np.round(rng.lognormal(np.log(30_000), 0.35, n), -2)
    funding += np.where(demo, np.round(rng.uniform(50_000, 150_000, n), -2), 0)
    return {
        "id": np.arange(1, n + 1),
        "village_code": world.vill_code[v],
        "name": name,
        "status": status,
        "is_demonstration": demo,
        "established_on": established,
        "closed_on": closed_on,
        "funding_yuan": funding.astype(np.int64),
        "_county": county,
    }


ACTIVITY_KINDS = ("psych_course", "parent_child", "tutoring", "safety_education", "other")


def gen_home_activities(world: World, homes: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """About one to two activities a month in operating homes; "paper homes" stopped holding
    any long before the as-of date (more of them in lagging counties)."""
    rng = _rng(world.seed, _S_ACTIVITIES)
    n = len(homes["id"])
    county = homes["_county"]
    start = homes["established_on"]
    stop = np.where(homes["closed_on"] >= 0, homes["closed_on"] - 1, world.end)
    paper = rng.random(n) < _by_county(world, "coverage", 0.35, 0.08, 0.02, 0.02, 0.2)[county]
    stop = np.where(paper, np.minimum(stop, world.end - _between(rng, np.full(n, 91), 420)), stop)
    days = np.where(start >= 0, np.maximum(stop - start + 1, 0), 0)
    per_day = rng.uniform(0.8, 2.2, n) / 30.4
    count = rng.poisson(per_day * days)
    home = np.repeat(np.arange(n), count)
    on = start[home] + np.floor(rng.random(len(home)) * days[home]).astype(np.int64)
    kind = _categorical(rng, [0.15, 0.2, 0.3, 0.25, 0.1], len(home))
    participants = np.where(
        kind == 1, rng.integers(8, 41, len(home)), rng.integers(5, 31, len(home))
    )
    order = np.lexsort((on, home))
    return {
        "id": np.arange(1, len(home) + 1),
        "home_id": homes["id"][home[order]],
        "activity_on": on[order],
        "kind": _codes(ACTIVITY_KINDS, kind[order]),
        "participants": participants[order],
    }


def gen_institutions(world: World) -> dict[str, np.ndarray]:
    """A child welfare institution and a welfare guidance centre per prefecture, a minor
    protection centre per county (a few still pending, more in lagging counties), and county
    child welfare institutions in some counties, several of them regional."""
    rng = _rng(world.seed, _S_INSTITUTIONS)
    n_p, n_c = len(world.pref_code), len(world.county_code)
    statuses = np.array(["transformed", "designated", "pending"])
    pending_p = _by_county(world, "coverage", 0.45, 0.05)
    mpc_status = _categorical(rng, np.c_[0.55 * (1 - pending_p), 0.45 * (1 - pending_p), pending_p])
    mpc_cap = rng.integers(2, 11, n_c) * 5
    has_cwi = rng.random(n_c) < 0.25
    cwi_regional = rng.random(n_c) < 0.6
    cwi_status = _categorical(rng, [0.5, 0.3, 0.2], n_c)
    cwi_cap = rng.integers(4, 16, n_c) * 10
    p_cwi_cap = rng.integers(8, 31, n_p) * 10
    rows = {
        "region_code": [
            world.pref_code,
            world.pref_code,
            world.county_code,
            world.county_code[has_cwi],
        ],
        "kind": [
            np.full(n_p, "child_welfare_institution"),
            np.full(n_p, "welfare_guidance_center"),
            np.full(n_c, "minor_protection_center"),
            np.full(has_cwi.sum(), "child_welfare_institution"),
        ],
        "is_regional": [
            np.ones(n_p, bool),
            np.zeros(n_p, bool),
            np.zeros(n_c, bool),
            cwi_regional[has_cwi],
        ],
        "status": [
            statuses[_categorical(rng, [0.8, 0.2, 0.0], n_p)],
            statuses[_categorical(rng, [0.6, 0.4, 0.0], n_p)],
            statuses[mpc_status],
            statuses[cwi_status[has_cwi]],
        ],
        "capacity": [
            p_cwi_cap.astype(object),
            np.full(n_p, None, dtype=object),
            mpc_cap.astype(object),
            cwi_cap[has_cwi].astype(object),
        ],
        "children_in_care": [
            np.floor(p_cwi_cap * rng.uniform(0.2, 0.5, n_p)).astype(np.int64).astype(object),
            np.full(n_p, None, dtype=object),
            np.floor(mpc_cap * rng.uniform(0.0, 0.5, n_c)).astype(np.int64).astype(object),
            np.floor(cwi_cap * rng.uniform(0.2, 0.6, n_c)).astype(np.int64)[has_cwi].astype(object),
        ],
    }
    out = {k: np.concatenate(v) for k, v in rows.items()}
    order = np.argsort(out["region_code"], kind="stable")
    out = {k: v[order] for k, v in out.items()}
    out["id"] = np.arange(1, len(order) + 1)
    return out


PURCHASE_ITEMS = (
    "hotline",
    "guardianship_assessment",
    "targeted_assistance",
    "policy_publicity",
    "training",
    "home_visit",
    "psychological",
    "family_education",
)
_PURCHASE_BASE = np.array([200_000, 80_000, 150_000, 30_000, 60_000, 100_000, 80_000, 60_000])


def gen_purchases(world: World) -> dict[str, np.ndarray]:
    """Services bought each year 2024 to the as-of year: two to four items per county (fewer
    and smaller in lagging counties), one or two per prefecture, three at province level."""
    rng = _rng(world.seed, _S_PURCHASES)
    end_year = int((EPOCH + world.end).astype("datetime64[Y]").astype(int) + 1970)
    years = np.arange(GO_LIVE.year, end_year + 1)
    n_items = len(PURCHASE_ITEMS)
    codes = np.r_[[world.province[0]], world.pref_code, world.county_code]
    names = np.r_[[world.province[1]], world.pref_name, world.county_name]
    level = np.r_[0, np.ones(len(world.pref_code), int), np.full(len(world.county_code), 2)]
    lag = np.r_[False, np.zeros(len(world.pref_code), bool), world.lag["coverage"]]
    lo = np.select([level == 0, level == 1, lag], [3, 1, 1], 2)
    hi = np.select([level == 0, level == 1, lag], [3, 2, 2], 4)
    factor = np.select([level == 0, level == 1, lag], [5.0, 2.0, 0.6], 1.0)
    unit = np.repeat(np.arange(len(codes)), len(years))
    year = np.tile(years, len(codes))
    k = _between(rng, lo[unit], hi[unit])
    # k distinct items per unit and year: the first k of a random ranking (hotline first at
    # province level, where the 12355 line is run).
    score = rng.random((len(unit), n_items))
    score[level[unit] == 0, 0] = -1.0
    ranked = np.argsort(score, axis=1)
    take = np.arange(n_items)[None, :] < k[:, None]
    row, col = np.nonzero(take)
    item = ranked[row, col]
    u = unit[row]
    amount = np.round(_PURCHASE_BASE[item] * factor[u] * rng.lognormal(0, 0.4, len(row)), -2)
    return {
        "id": np.arange(1, len(row) + 1),
        "region_code": codes[u],
        "year": year[row],
        "item": _codes(PURCHASE_ITEMS, item),
        "amount_yuan": amount.astype(np.int64),
        "provider_org": org_names(rng, names[u]),
    }


# ---------------------------------------------------------------------------------------------
# Child-level tables, one county at a time
# ---------------------------------------------------------------------------------------------

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
    rng = _rng(world.seed, _S_CHILDREN, ci)
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
    band_lb = _categorical(rng, [0.217, 0.674, 0.109], n)
    band_d = _categorical(rng, [0.25, 0.55, 0.20], n)
    band_lo = np.where(is_lb, np.array([0, 6, 14])[band_lb], np.array([0, 6, 14])[band_d])
    band_hi = np.where(is_lb, np.array([6, 14, 16])[band_lb], np.array([6, 14, 18])[band_d])
    age_days = np.floor((band_lo + rng.random(n) * (band_hi - band_lo)) * 365.25).astype(np.int64)
    birth = registered - np.maximum(age_days, 20)
    birth_min = np.full(n, _add_years(np.array([world.end]), -18)[0] + 1)
    birth_min = np.where(is_lb, np.maximum(birth_min, _add_years(registered, -16) + 1), birth_min)
    too_old = birth < birth_min
    birth = np.where(too_old, _between(rng, birth_min, registered - 20), birth)
    male = rng.random(n) < 0.545
    # Exits: left-behind children at 16; parents return or hardship ends at a yearly hazard.
    aged_out = np.where(is_lb, _add_years(birth, 16), np.iinfo(np.int64).max)
    hazard_exit = registered + np.maximum(
        rng.exponential(365.0 / np.where(is_lb, 0.06, 0.045)), 30
    ).astype(np.int64)
    exit_on = np.minimum(aged_out, hazard_exit)
    exited = np.where(exit_on <= world.end, exit_on, NULL)
    lb_type = _categorical(rng, [0.9, 0.1], n)
    d_type = _categorical(rng, [0.55, 0.25, 0.20], n)
    group = np.where(is_lb, lb_type, 2 + d_type)
    guardian = _categorical(rng, _GUARDIAN_P[group])
    quality_p = np.tile(np.array([0.0, 0.0, 0.15, 0.45, 0.40]), (n, 1))  # delegated guardians
    parent = guardian == 2
    quality_p[parent & (group == 1)] = [0.0, 0.85, 0.0, 0.10, 0.05]
    quality_p[parent & (group == 4)] = [0.0, 0.70, 0.0, 0.20, 0.10]
    quality_p[parent & (group != 1) & (group != 4)] = [0.0, 0.10, 0.0, 0.45, 0.45]
    quality_p[guardian == 4] = [1.0, 0.0, 0.0, 0.0, 0.0]
    quality = _categorical(rng, quality_p)
    health_p = np.where((group == 3)[:, None], [0.0, 0.6, 0.4], [0.985, 0.008, 0.007])
    health = _categorical(rng, health_p)
    # School stage from the age at the last day on the register.
    ref = np.where(exited >= 0, exited, world.end)
    age = (ref - birth) / 365.25
    band = np.searchsorted([3, 6, 12, 15], age, side="right")
    stage_p = _STAGE_P[band]
    disabled_out = (health == 1) & (age >= 6) & (rng.random(n) < 0.3)
    stage_p[disabled_out] = [0, 0, 0, 0, 0, 0, 0, 1.0]
    stage = _categorical(rng, stage_p)
    updated = np.maximum(ref - rng.exponential(120.0, n).astype(np.int64), registered)
    # ID numbers: county code, birth date, sequence (odd for boys) unique per date and gender.
    key = birth * 2 + male
    rank = _rank_in_groups(key)
    seq = 2 * (_group_first(key, rng.integers(0, 100, n)) + rank) + male
    if seq.max(initial=0) > 999:
        raise ValueError("too many children born on one day in one county for unique IDs")
    gender = np.where(male, "M", "F")
    birth_days = (EPOCH + birth).astype("datetime64[D]")
    return {
        "id": np.arange(first_id, first_id + n),
        "village_code": world.vill_code[village],
        "category": np.where(is_lb, "left_behind", "difficulty"),
        "left_behind_type": _codes(LEFT_BEHIND_TYPES, lb_type, is_lb),
        "difficulty_type": _codes(DIFFICULTY_TYPES, d_type, ~is_lb),
        "name": person_names(rng, gender),
        "gender": gender,
        "birth_date": birth,
        "id_number": id_numbers(np.full(n, world.county_code[ci]), birth_days, seq),
        "guardian_type": _codes(GUARDIAN_TYPES, guardian),
        "guardianship_quality": _codes(QUALITIES, quality),
        "health_status": _codes(HEALTH, health),
        "school_stage": _codes(STAGES, stage),
        "in_school": IN_SCHOOL_STAGES[stage],
        "registered_on": registered,
        "exited_on": exited,
        "updated_on": updated,
        "_village": village,
        "_group": group,
        "_health": health,
        "_in_school": IN_SCHOOL_STAGES[stage],
    }


def _group_first(keys: np.ndarray, values: np.ndarray) -> np.ndarray:
    """For each element, the value of the first element (in array order) with the same key."""
    order = np.argsort(keys, kind="stable")
    sk = keys[order]
    new_group = np.r_[True, sk[1:] != sk[:-1]][: len(keys)]
    firsts = order[np.flatnonzero(new_group)]
    group_no = np.cumsum(new_group) - 1
    out = np.empty(len(keys), dtype=values.dtype)
    out[order] = values[firsts][group_no]
    return out


def _active_end(world: World, children: dict[str, np.ndarray]) -> np.ndarray:
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
    rng = _rng(world.seed, _S_VISITS, ci)
    n = len(children["id"])
    start = children["registered_on"]
    stop = _active_end(world, children)
    regular = rng.random(n) < _by_county(world, "visits", 0.45, 0.91, 0.02, 0.82, 0.97)[ci]
    gap_lo = np.where(regular, 50, 110)
    gap_hi = np.where(regular, 88, 300)
    existing = start < world.start + 31
    # Children on the register at go-live were visited for the census that January (most of
    # them); later ones at registration or within two weeks.
    census = existing & (regular | (rng.random(n) < 0.5))
    first = np.where(
        census,
        _between(rng, start, world.golive_end),
        start + _between(rng, np.zeros(n), np.where(existing, 200, 14)),
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
    phone_p = _by_county(world, "visits", 0.45, 0.22)[ci]
    concern_p = np.where(children["category"][child_ix] == "difficulty", 0.07, 0.045)
    m = len(on)
    return {
        "id": np.arange(first_id, first_id + m),
        "child_id": children["id"][child_ix],
        "staff_id": _nullable(staff_id, staff_id > 0),
        "visited_on": on,
        "method": np.where(rng.random(m) < phone_p, "phone", "home"),
        "concern_found": rng.random(m) < concern_p,
    }


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
    rng = _rng(world.seed, _S_CASES, ci)
    n_ch = len(children["id"])
    mult = float(rng.lognormal(0.0, 0.25))
    n_child = rng.poisson(0.074 * n_ch * mult) if n_ch else 0
    n_anon = rng.poisson(0.013 * n_ch * mult) if n_ch else 0
    child_ix = rng.integers(0, max(n_ch, 1), n_child)
    c_start = children["registered_on"][child_ix]
    c_stop = _active_end(world, children)[child_ix]
    anon_on = _between(rng, np.full(n_anon, world.start), world.end)
    received = np.r_[_between(rng, c_start, c_stop), anon_on]
    n = n_child + n_anon
    has_child = np.r_[np.ones(n_child, bool), np.zeros(n_anon, bool)]
    child_id = np.r_[children["id"][child_ix], np.zeros(n_anon, np.int64)]
    # Region: the child's (or a random) village mostly, else its township or the county.
    vills = np.flatnonzero(world.vill_county == ci)
    village = np.r_[children["_village"][child_ix], rng.choice(vills, n_anon) if n_anon else []]
    village = village.astype(np.int64)
    level = _categorical(rng, [0.75, 0.15, 0.10], n)
    region = np.select(
        [level == 0, level == 1],
        [world.vill_code[village], world.town_code[world.vill_town[village]]],
        world.county_code[ci],
    )
    lb_child = children["category"][child_ix] == "left_behind"
    group = np.r_[np.where(lb_child, 0, 1), np.full(n_anon, 2)]
    concern = _categorical(rng, _CONCERN_P[group])
    source = _categorical(rng, [0.30, 0.25, 0.20, 0.12, 0.08, 0.05], n)
    risk = _categorical(rng, [0.15, 0.40, 0.45], n)
    due = received + np.where(risk == 0, 15, _between(rng, np.full(n, 20), 30))
    lagging = world.lag["cases"][ci]
    assess_delay = _between(rng, np.zeros(n), 12 if lagging else 4)
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
        "child_id": _nullable(child_id[order], has_child[order]),
        "region_code": region[order],
        "source": _codes(SOURCES, source[order]),
        "concern": _codes(CONCERNS, concern[order]),
        "risk_level": _codes(RISKS, risk[order]),
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
    rng = _rng(world.seed, _S_CASES, ci, 1)
    n = len(cases["id"])
    k = _categorical(rng, [0.3, 0.4, 0.2, 0.1], n)
    w = _DEPT_W[cases["_concern"]]
    score = np.log(w) + rng.gumbel(size=w.shape)  # Gumbel top-k: k distinct, weighted
    ranked = np.argsort(-score, axis=1)[:, :3]
    take = np.arange(3)[None, :] < k[:, None]
    row, col = np.nonzero(take)
    dept = ranked[row, col]
    assessed = cases["assessed_on"][row]
    base = np.where(assessed >= 0, assessed, cases["received_on"][row])
    referred = base + _between(rng, np.zeros(len(row)), 4)
    closed = cases["closed_on"][row]
    referred = np.where(closed >= 0, np.minimum(referred, closed), referred)
    keep = referred <= world.end
    row, dept, referred = row[keep], dept[keep], referred[keep]
    m = len(row)
    lagging = world.lag["cases"][ci]
    kind = _categorical(rng, [0.62, 0.26, 0.12] if lagging else [0.9, 0.07, 0.03], m)
    delay = np.select(
        [kind == 0, kind == 1],
        [_between(rng, np.zeros(m), 7), _between(rng, np.full(m, 8), 30 if lagging else 20)],
        0,
    )
    responded = referred + delay
    responded = np.where((kind == 2) | (responded > world.end), NULL, responded)
    order = np.lexsort((dept, referred, row))
    return {
        "id": np.arange(first_id, first_id + m),
        "case_id": cases["id"][row[order]],
        "department": _codes(DEPARTMENTS, dept[order]),
        "referred_on": referred[order],
        "responded_on": responded[order],
    }


ACTION_TYPES = (
    "living_security",
    "academic_help",
    "warm_heart",
    "health_care",
    "behavior_care",
    "safety_care",
)
PROVIDERS = ("social_worker", "volunteer", "teacher", "warm_mother", "organization")
_ACTION_DAYS = np.array([600.0, 240.0, 300.0, 300.0, 180.0, 120.0])  # mean duration (extras)
# The main action by child group (rows as _GUARDIAN_P: lb both parents away, lb one parent
# unable, difficulty economic, own disability/illness, guardianship).
_MAIN_ACTION_P = np.array(
    [
        [0.02, 0.25, 0.50, 0.03, 0.05, 0.15],
        [0.10, 0.20, 0.45, 0.05, 0.05, 0.15],
        [0.85, 0.10, 0.02, 0.01, 0.01, 0.01],
        [0.25, 0.02, 0.03, 0.68, 0.01, 0.01],
        [0.45, 0.05, 0.25, 0.02, 0.18, 0.05],
    ]
)
# Extra, shorter actions: base probability, applied where relevant (difficulty, in school,
# left-behind, ill or disabled, anyone, anyone).
_EXTRA_ACTION_P = np.array([0.15, 0.12, 0.15, 0.3, 0.04, 0.15])
_PROVIDER_P = np.array(
    [
        [0.5, 0.05, 0.0, 0.05, 0.4],
        [0.1, 0.3, 0.5, 0.05, 0.05],
        [0.2, 0.3, 0.05, 0.35, 0.1],
        [0.4, 0.2, 0.05, 0.05, 0.3],
        [0.4, 0.1, 0.3, 0.1, 0.1],
        [0.2, 0.3, 0.3, 0.1, 0.1],
    ]
)


def gen_care(
    world: World, ci: int, children: dict[str, np.ndarray], first_id: int
) -> dict[str, np.ndarray]:
    """The six care actions ("两提升、四关爱") a child receives, each by a kind of provider.

    Most children get one main action suited to them (living security for economic hardship,
    health care for disability or illness, emotional care for left-behind children …) that
    lasts while they are on the register; some get extra, shorter actions. Fewer children are
    covered in counties lagging on coverage.
    """
    rng = _rng(world.seed, _S_CARE, ci)
    n = len(children["id"])
    group = children["_group"]
    is_lb = group <= 1
    sick = children["_health"] > 0
    in_school = children["_in_school"]
    covered = rng.random(n) < _by_county(world, "coverage", 0.55, 0.8, 0.04, 0.68, 0.9)[ci]
    main_p = _MAIN_ACTION_P[group].copy()
    main_p[~in_school, 1] = 0.0  # academic help only for children in school
    main_p[sick, 3] += 0.5
    main = _categorical(rng, main_p)
    extra = (
        rng.random((n, 6))
        < _EXTRA_ACTION_P * np.c_[~is_lb, in_school, is_lb, sick, np.ones((n, 2), bool)]
    )
    extra[np.arange(n), main] = False
    child_ix = np.r_[np.flatnonzero(covered), np.nonzero(extra)[0]]
    action = np.r_[main[covered], np.nonzero(extra)[1]]
    lasting = np.r_[rng.random(covered.sum()) < 0.92, np.zeros(int(extra.sum()), bool)]
    m = len(child_ix)
    c_start = children["registered_on"][child_ix]
    c_stop = _active_end(world, children)[child_ix]
    soon = lasting | (rng.random(m) < 0.4)
    # Actions under way at go-live were recorded in January 2024, later ones within 60 days
    # of registration, extras also at any time on the register.
    soon_on = np.where(
        c_start <= world.golive_end,
        _between(rng, c_start, world.golive_end),
        c_start + _between(rng, np.zeros(m), 60),
    )
    started = np.where(soon, soon_on, _between(rng, c_start, c_stop))
    ok = started <= c_stop
    child_ix, action, started, c_stop, lasting = (
        a[ok] for a in (child_ix, action, started, c_stop, lasting)
    )
    m = len(child_ix)
    duration = np.maximum(rng.exponential(_ACTION_DAYS[action]), 30).astype(np.int64)
    ends = np.where(lasting, np.iinfo(np.int64).max // 2, started + duration)
    exited = children["exited_on"][child_ix]
    ended = np.where(ends <= c_stop, ends, np.where(exited >= 0, exited, NULL))
    provider = _categorical(rng, _PROVIDER_P[action])
    order = np.lexsort((started, action, child_ix))
    return {
        "id": np.arange(first_id, first_id + m),
        "child_id": children["id"][child_ix[order]],
        "action_type": _codes(ACTION_TYPES, action[order]),
        "provider_type": _codes(PROVIDERS, provider[order]),
        "started_on": started[order],
        "ended_on": ended[order],
    }


# ---------------------------------------------------------------------------------------------
# Bulk loading
# ---------------------------------------------------------------------------------------------


class BulkWriter:
    """Loads column arrays into the raw tables in one transaction, fast on both backends:
    executemany on SQLite (foreign keys checked by the tests, not per row), COPY on
    PostgreSQL; secondary indexes dropped first and rebuilt once at the end."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.pg = engine.dialect.name == "postgresql"
        self.fairy = engine.raw_connection()
        self.conn = self.fairy.driver_connection
        self.counts: dict[str, int] = {}
        self._sqlite_restore: list[str] = []
        self._pg_fks: list[tuple[str, str, str]] = []

    def _exec(self, sql: str) -> None:
        cur = self.conn.cursor()
        try:
            cur.execute(sql)
        finally:
            cur.close()

    def _ddl(self, element) -> str:
        return str(element.compile(dialect=self.engine.dialect))

    def begin(self, tables: tuple[Table, ...]) -> None:
        """Empty every table, drop the loaded tables' secondary indexes, start the load."""
        self.tables = tables
        if not self.pg:
            cur = self.conn.cursor()
            fk = cur.execute("PRAGMA foreign_keys").fetchone()[0]
            sync = cur.execute("PRAGMA synchronous").fetchone()[0]
            cur.close()
            self._sqlite_restore = [
                f"PRAGMA foreign_keys={int(fk)}",
                f"PRAGMA synchronous={int(sync)}",
            ]
            if self.conn.in_transaction:
                self.conn.commit()
            for pragma in (
                "PRAGMA foreign_keys=OFF",
                "PRAGMA synchronous=OFF",
                "PRAGMA cache_size=-262144",
            ):
                self._exec(pragma)
            self._exec("BEGIN")
            for table in reversed(s.metadata.sorted_tables):
                self._exec(self._ddl(table.delete()))
        else:
            prep = self.engine.dialect.identifier_preparer
            names = ", ".join(prep.format_table(t) for t in s.metadata.sorted_tables)
            self._exec(f"TRUNCATE TABLE {names} RESTART IDENTITY CASCADE")
            # Foreign keys are checked row by row during COPY (most of the load time): drop
            # them and add them back at the end, which validates each in one pass.
            cur = self.conn.cursor()
            cur.execute(
                "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) "
                "FROM pg_constraint WHERE contype = 'f' AND conrelid = ANY(%s::regclass[])",
                ([prep.format_table(t) for t in tables],),
            )
            self._pg_fks = cur.fetchall()
            cur.close()
            for table_name, name, _definition in self._pg_fks:
                self._exec(f"ALTER TABLE {table_name} DROP CONSTRAINT {prep.quote(name)}")
        for table in tables:
            for index in table.indexes:
                self._exec(self._ddl(DropIndex(index, if_exists=True)))

    def insert(self, table: Table, columns: dict[str, np.ndarray]) -> int:
        """Append rows given as one array per column (dates as day numbers, NULL = -1)."""
        names = [c.name for c in table.columns if c.name in columns]
        n = len(columns[names[0]]) if names else 0
        for lo in range(0, n, BATCH_ROWS):
            hi = min(lo + BATCH_ROWS, n)
            lists = [self._py(table.c[name], columns[name][lo:hi]) for name in names]
            rows = zip(*lists, strict=True)
            if self.pg:
                prep = self.engine.dialect.identifier_preparer
                cols = ", ".join(prep.quote(c) for c in names)
                cur = self.conn.cursor()
                with cur.copy(f"COPY {prep.format_table(table)} ({cols}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
                cur.close()
            else:
                marks = ", ".join("?" * len(names))
                sql = f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({marks})"
                self.conn.executemany(sql, rows)
        self.counts[table.name] = self.counts.get(table.name, 0) + n
        return n

    def _py(self, column, values: np.ndarray) -> list:
        """Python values the driver takes: ISO dates, 0/1 (SQLite) or bool (PG), None."""
        if isinstance(column.type, Date) and values.dtype != object:
            days = np.asarray(values, dtype=np.int64)
            iso = np.datetime_as_string((EPOCH + days).astype("datetime64[D]"), unit="D")
            out = iso.astype(object)
            out[days < 0] = None
            return out.tolist()
        if isinstance(column.type, Boolean) and values.dtype != object:
            return values.astype(bool).tolist() if self.pg else values.astype(np.int8).tolist()
        return values.tolist()

    def finish(self) -> None:
        """Rebuild the indexes, move PostgreSQL's id sequences past the loaded ids, commit."""
        for table in self.tables:
            for index in table.indexes:
                self._exec(self._ddl(CreateIndex(index, if_not_exists=True)))
        if self.pg:
            prep = self.engine.dialect.identifier_preparer
            for table_name, name, definition in self._pg_fks:
                self._exec(
                    f"ALTER TABLE {table_name} ADD CONSTRAINT {prep.quote(name)} {definition}"
                )
            for table in self.tables:
                if "id" in table.c and table.c.id.primary_key:
                    self._exec(
                        f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                        f"COALESCE((SELECT MAX(id) FROM {table.name}), 0) + 1, false)"
                    )
        self.conn.commit()
        if self.pg:  # fresh statistics, so the rollup's first queries get good plans
            prep = self.engine.dialect.identifier_preparer
            self._exec("ANALYZE " + ", ".join(prep.format_table(t) for t in self.tables))
            self.conn.commit()
        else:
            self._exec("PRAGMA wal_checkpoint(TRUNCATE)")

    def close(self) -> None:
        """Roll back anything unfinished and give the connection back as it came."""
        try:
            self.conn.rollback()
            for pragma in self._sqlite_restore:
                self._exec(pragma)
        finally:
            self.fairy.close()


def _public(columns: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    return {k: v for k, v in columns.items() if not k.startswith("_")}


def _regions_columns(tree: pd.DataFrame) -> dict[str, np.ndarray]:
    kind = tree["kind"].astype(object)
    kind = kind.where(kind.notna() & (tree.level.isin(["township", "village"])), None)
    population = tree["population"].astype(object).where(tree["population"].notna(), None)
    return {
        "code": tree.code.to_numpy(object),
        "name": tree["name"].to_numpy(object),
        "level": tree.level.to_numpy(object),
        "parent_code": tree.parent_code.astype(object)
        .where(tree.parent_code.notna(), None)
        .to_numpy(object),
        "kind": kind.to_numpy(object),
        "is_former_poverty_county": tree.is_former_poverty_county.to_numpy(bool),
        "population": population.to_numpy(object),
    }


def build_demo(
    engine: Engine,
    scale: str = "province",
    seed: int = 2026,
    as_of: date = date(2026, 10, 31),
    rollup: bool = True,
    progress: Progress = print,
) -> dict[str, int]:
    """Create the schema, replace all its contents by synthetic demo data, refresh the rollup.

    Returns the number of rows written per table. Deterministic for a seed: the same seed,
    scale and as-of date give identical rows.
    """
    if scale not in SCALES:
        raise ValueError(f"scale must be one of {sorted(SCALES)}")
    if as_of < GO_LIVE:
        raise ValueError(f"as_of must be on or after {GO_LIVE.isoformat()}")
    t_all = time.perf_counter()
    upgrade(engine)
    world = make_world(scale, seed, as_of)
    progress(
        f"[demo] scale={scale} seed={seed} as_of={as_of.isoformat()}: "
        f"{len(world.county_code)} counties, {len(world.town_code)} townships, "
        f"{len(world.vill_code)} villages; lagging counties per dimension: "
        + ", ".join(f"{d} {int(world.lag[d].sum())}" for d in LAG_DIMENSIONS)
    )
    writer = BulkWriter(engine)
    try:
        writer.begin(s.RAW_TABLES)

        def step(name: str, table: Table, columns: dict[str, np.ndarray], t0: float) -> None:
            rows = writer.insert(table, _public(columns))
            progress(f"[demo] {name:<22}{rows:>12,} rows {time.perf_counter() - t0:7.1f} s")

        t0 = time.perf_counter()
        step("regions", s.regions, _regions_columns(world.tree), t0)
        t0 = time.perf_counter()
        staff = gen_staff(world)
        step("staff", s.staff, staff, t0)
        t0 = time.perf_counter()
        step("trainings", s.trainings, gen_trainings(world, staff), t0)
        t0 = time.perf_counter()
        homes = gen_homes(world)
        step("children_homes", s.children_homes, homes, t0)
        t0 = time.perf_counter()
        step("home_activities", s.home_activities, gen_home_activities(world, homes), t0)
        t0 = time.perf_counter()
        step("institutions", s.institutions, gen_institutions(world), t0)
        t0 = time.perf_counter()
        step("service_purchases", s.service_purchases, gen_purchases(world), t0)
        _children_by_county(world, writer, progress)
        t0 = time.perf_counter()
        writer.finish()
        progress(f"[demo] {'indexes + commit':<22}{'':>12} {time.perf_counter() - t0:12.1f} s")
    finally:
        writer.close()
    counts = dict(writer.counts)
    meta = {
        "demo": "1",
        "scale": scale,
        "seed": str(seed),
        "as_of": as_of.isoformat(),
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    with engine.begin() as conn:
        write_meta(conn, meta)
    if rollup:
        t0 = time.perf_counter()
        from data.rollup import refresh  # written alongside; imported late on purpose

        stats = refresh(engine)
        rows = stats.get("rows", 0) if isinstance(stats, dict) else 0
        counts[s.kpi_snapshots.name] = rows
        progress(f"[demo] {'rollup refresh':<22}{rows:>12,} rows {time.perf_counter() - t0:7.1f} s")
    if engine.dialect.name == "sqlite":  # leave a self-contained file (Makefile moves it)
        with engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    progress(f"[demo] done: {sum(counts.values()):,} rows in {time.perf_counter() - t_all:.1f} s")
    return counts


_CHILD_TABLES = (s.children, s.visits, s.cases, s.referrals, s.care_actions)


def _children_by_county(world: World, writer: BulkWriter, progress: Progress) -> None:
    """Children and their visits, cases, referrals and care actions, county by county."""
    t0 = time.perf_counter()
    next_id = {t.name: 1 for t in _CHILD_TABLES}
    rows = {t.name: 0 for t in _CHILD_TABLES}
    n_c = len(world.county_code)
    report_every = max(1, n_c // 5)
    for ci in range(n_c):
        children = gen_children(world, ci, next_id["children"])
        parts = [(s.children, children)]
        parts.append((s.visits, gen_visits(world, ci, children, next_id["visits"])))
        cases = gen_cases(world, ci, children, next_id["cases"])
        parts.append((s.cases, cases))
        parts.append((s.referrals, gen_referrals(world, ci, cases, next_id["referrals"])))
        parts.append((s.care_actions, gen_care(world, ci, children, next_id["care_actions"])))
        for table, cols in parts:
            n = writer.insert(table, _public(cols))
            next_id[table.name] += n
            rows[table.name] += n
        if (ci + 1) % report_every == 0 or ci + 1 == n_c:
            progress(
                f"[demo] counties {ci + 1:>3}/{n_c}: "
                + ", ".join(f"{k} {v:,}" for k, v in rows.items())
                + f" ({time.perf_counter() - t0:.1f} s)"
            )


def main(argv: list[str] | None = None) -> int:
    """Command line: build the demo database at --url."""
    parser = argparse.ArgumentParser(
        description="生成演示数据库 (synthetic demo reporting database)"
    )
    parser.add_argument("--scale", choices=sorted(SCALES), default="province")
    parser.add_argument("--url", required=True, help="SQLAlchemy URL of the database to fill")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--as-of", type=date.fromisoformat, default=date(2026, 10, 31))
    parser.add_argument("--no-rollup", action="store_true", help="skip data.rollup.refresh")
    args = parser.parse_args(argv)
    engine = make_engine(args.url)
    try:
        build_demo(engine, args.scale, args.seed, args.as_of, rollup=not args.no_rollup)
    finally:
        engine.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
