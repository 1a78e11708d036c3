"""The demo's world: the region tree as arrays, the dates, and what makes counties differ.

Every generator reads the same `World`; keeping it apart from them fixes in one place which
villages exist (the whole province, or the `tiny` subtree tests use), how many children each
village holds, and which counties lag behind on each dimension, so the dashboard has gaps to
show.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd

from data.config import province_code
from data.demo.arrays import EPOCH, GO_LIVE, S_PROFILE, between, day_number, stream_rng
from data.regions import build_region_tree

SCALES: dict[str, float] = {"tiny": 0.6, "province": 1.0, "xl": 10.0}
"""Children (and all that hangs off them: visits, cases, referrals, care) per village."""
LAG_DIMENSIONS = ("coverage", "training", "visits", "cases")
LAG_SHARE = 0.12  # share of counties lagging on each dimension (at least one)
# Expected children per village before the village's own weights (calibrated so that the
# province holds about 400,000 registered children at the as-of date).
LEFT_BEHIND_PER_VILLAGE = 16.1
DIFFICULTY_PER_VILLAGE = 6.0


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

    @property
    def end_year(self) -> int:
        """The as-of year: yearly events (trainings, purchases) run from 2024 to it."""
        return int((EPOCH + self.end).astype("datetime64[Y]").astype(int) + 1970)

    def golive(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """Dates of records that existed at go-live: spread over January 2024."""
        return between(rng, np.full(n, self.start), self.golive_end)

    def later(self, rng: np.random.Generator, n: int, until: int | None = None) -> np.ndarray:
        """Dates of records created after go-live: uniform from February 2024 to `until`."""
        lo = min(self.start + 31, self.end)
        return between(rng, np.full(n, lo), self.end if until is None else until)

    def by_county(self, lagging_dim: str, lagging, normal, spread: float = 0.0, lo=0, hi=1):
        """A per-county parameter: `lagging` in the dimension's lagging counties, else `normal`
        nudged by the county's quality (so that normal counties differ a little too)."""
        base = np.clip(normal + spread * self.quality, lo, hi)
        return np.where(self.lag[lagging_dim], lagging, base)


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
        start=day_number(GO_LIVE),
        end=day_number(as_of),
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
    rng = stream_rng(seed, S_PROFILE)
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


def _or_none(values: pd.Series, keep: pd.Series | bool = True) -> np.ndarray:
    """An object array of the values, None where missing or not kept (SQL NULL)."""
    return values.astype(object).where(values.notna() & keep, None).to_numpy(object)


def regions_columns(tree: pd.DataFrame) -> dict[str, np.ndarray]:
    """The `regions` rows of the tree as column arrays (kind only for townships and villages)."""
    return {
        "code": tree.code.to_numpy(object),
        "name": tree["name"].to_numpy(object),
        "level": tree.level.to_numpy(object),
        "parent_code": _or_none(tree.parent_code),
        "kind": _or_none(tree["kind"], tree.level.isin(["township", "village"])),
        "is_former_poverty_county": tree.is_former_poverty_county.to_numpy(bool),
        "population": _or_none(tree["population"]),
    }
