"""Institutions and purchased services: the region-level tables of the 机构与保障 view.

Neither hangs off villages or children; both are drawn per prefecture and county (purchases
also at province level), so they sit together, apart from the village and child generators.
"""

from __future__ import annotations

import numpy as np

from data.demo.arrays import (
    GO_LIVE,
    S_INSTITUTIONS,
    S_PURCHASES,
    between,
    categorical,
    enum_codes,
    stream_rng,
)
from data.demo.world import World
from data.synthetic import org_names


def gen_institutions(world: World) -> dict[str, np.ndarray]:
    """A child welfare institution and a welfare guidance centre per prefecture, a minor
    protection centre per county (a few still pending, more in lagging counties), and county
    child welfare institutions in some counties, several of them regional."""
    rng = stream_rng(world.seed, S_INSTITUTIONS)
    n_p, n_c = len(world.pref_code), len(world.county_code)
    statuses = np.array(["transformed", "designated", "pending"])
    pending_p = world.by_county("coverage", 0.45, 0.05)
    mpc_status = categorical(rng, np.c_[0.55 * (1 - pending_p), 0.45 * (1 - pending_p), pending_p])
    mpc_cap = rng.integers(2, 11, n_c) * 5
    has_cwi = rng.random(n_c) < 0.25
    cwi_regional = rng.random(n_c) < 0.6
    cwi_status = categorical(rng, [0.5, 0.3, 0.2], n_c)
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
            statuses[categorical(rng, [0.8, 0.2, 0.0], n_p)],
            statuses[categorical(rng, [0.6, 0.4, 0.0], n_p)],
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
    rng = stream_rng(world.seed, S_PURCHASES)
    years = np.arange(GO_LIVE.year, world.end_year + 1)
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
    k = between(rng, lo[unit], hi[unit])
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
        "item": enum_codes(PURCHASE_ITEMS, item),
        "amount_yuan": amount.astype(np.int64),
        "provider_org": org_names(rng, names[u]),
    }
