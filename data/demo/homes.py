"""Children's homes (儿童之家) and their activities.

A module of their own because the homes view and the `home_coverage` / `demo_homes` indicators
read only these two tables: openings, closures and replacements per village, and activity
levels that expose "paper homes" (operating on the register but holding nothing).
"""

from __future__ import annotations

import numpy as np

from data.demo.arrays import (
    NULL,
    S_ACTIVITIES,
    S_HOMES,
    between,
    categorical,
    enum_codes,
    stream_rng,
)
from data.demo.world import World


def gen_homes(world: World) -> dict[str, np.ndarray]:
    """Children's homes: most villages have one from go-live, others opened later or are
    still being built; a few closed (some replaced); demonstration homes favour former
    poverty counties."""
    rng = stream_rng(world.seed, S_HOMES)
    nv = len(world.vill_code)
    vc = world.vill_county
    initial = rng.random(nv) < world.by_county("coverage", 0.62, 0.86, 0.03, 0.7, 0.95)[vc]
    later = ~initial & (rng.random(nv) < world.by_county("coverage", 0.45, 0.7)[vc])
    planned = world.later(rng, nv, until=world.end + 180)
    est = np.where(initial, world.golive(rng, nv), np.where(later, planned, NULL))
    has = initial | later
    operating_from = np.where(has & (est <= world.end), est, NULL)
    closes = operating_from + (rng.exponential(365.0 / 0.015, nv)).astype(np.int64) + 90
    closed = (operating_from >= 0) & (closes <= world.end)
    replaced = closed & (rng.random(nv) < 0.4)
    new_est = closes + between(rng, np.full(nv, 60), 300)
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
    rng = stream_rng(world.seed, S_ACTIVITIES)
    n = len(homes["id"])
    county = homes["_county"]
    start = homes["established_on"]
    stop = np.where(homes["closed_on"] >= 0, homes["closed_on"] - 1, world.end)
    paper = rng.random(n) < world.by_county("coverage", 0.35, 0.08, 0.02, 0.02, 0.2)[county]
    stop = np.where(paper, np.minimum(stop, world.end - between(rng, np.full(n, 91), 420)), stop)
    days = np.where(start >= 0, np.maximum(stop - start + 1, 0), 0)
    per_day = rng.uniform(0.8, 2.2, n) / 30.4
    count = rng.poisson(per_day * days)
    home = np.repeat(np.arange(n), count)
    on = start[home] + np.floor(rng.random(len(home)) * days[home]).astype(np.int64)
    kind = categorical(rng, [0.15, 0.2, 0.3, 0.25, 0.1], len(home))
    participants = np.where(
        kind == 1, rng.integers(8, 41, len(home)), rng.integers(5, 31, len(home))
    )
    order = np.lexsort((on, home))
    return {
        "id": np.arange(1, len(home) + 1),
        "home_id": homes["id"][home[order]],
        "activity_on": on[order],
        "kind": enum_codes(ACTIVITY_KINDS, kind[order]),
        "participants": participants[order],
    }
