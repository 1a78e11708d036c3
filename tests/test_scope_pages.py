"""Each role sees exactly its subtree (DESIGN.md §6), on SQLite and PostgreSQL, in every query
and every page.

Queries: the indicator reads (kpis, metric_by_region, region_table, trend), the live
drill-down and the views' queries return for a scope exactly the province's rows restricted
to that scope's subtree, and refuse (ScopeError) a region outside it. Pages: signed in through
the form as a province, a prefecture (赣州市) and a county (兴国县) user, every page of the
navigation renders without error and no text it sends — titles, cards, tables, chart and map
specs — names a region outside the user's subtree (its ancestors excepted); personal data is
masked and abuse counts below county level never show as 1–4.

The tiny demo holds 南昌市 360100 (东湖区 360102, 新建区 360112, 进贤县 360124) and 赣州市
360700 (宁都县 360730, 兴国县 360732).
"""

from __future__ import annotations

import inspect
import os
import re
from collections.abc import Iterator

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import Engine, select

from core.metrics import METRIC_CODES
from data.regions import real_units
from data.schema import children, kpi_snapshots, regions, staff
from queries import drilldown, homes, indicators, institutions, interventions, records, staffing
from queries.regions import ScopeError
from tests.apptest import APP, ensure_user, page_text, run_app
from tests.fixtures.demo import engine_of, shared_tiny_fixture

PROVINCE, NANCHANG, GANZHOU, XINGGUO, NINGDU = "360000", "360100", "360700", "360732", "360730"
PERIOD = "2026-10"
COUNTIES = {
    PROVINCE: {"360102", "360112", "360124", "360730", "360732"},
    GANZHOU: {"360730", "360732"},
    XINGGUO: {"360732"},
}
PREFECTURES = {PROVINCE: {NANCHANG, GANZHOU}, GANZHOU: {GANZHOU}, XINGGUO: set()}
OUTSIDE = {GANZHOU: NANCHANG, XINGGUO: NINGDU}  # a region just outside each scope
ROLES = {PROVINCE: "province", GANZHOU: "prefecture", XINGGUO: "county"}


tiny = shared_tiny_fixture()


@pytest.fixture(scope="module")
def eng(tiny) -> Iterator[Engine]:
    yield from engine_of(tiny)


@pytest.fixture(scope="module")
def tree(eng) -> pd.DataFrame:
    with eng.connect() as conn:
        return pd.DataFrame(
            conn.execute(
                select(regions.c.code, regions.c.name, regions.c.level, regions.c.parent_code)
            ).all(),
            columns=["code", "name", "level", "parent_code"],
        )


def subtree(tree: pd.DataFrame, scope: str) -> set[str]:
    """The scope and everything under it, walked in Python (not with the code under test)."""
    kids: dict[str, list[str]] = {}
    for code, parent in zip(tree.code, tree.parent_code, strict=True):
        kids.setdefault(parent, []).append(code)
    out, todo = set(), [scope]
    while todo:
        c = todo.pop()
        out.add(c)
        todo += kids.get(c, [])
    return out


def ancestors(tree: pd.DataFrame, code: str) -> set[str]:
    parent = dict(zip(tree.code, tree.parent_code, strict=True))
    out = set()
    while parent.get(code):
        code = parent[code]
        out.add(code)
    return out


def same_rows(left: pd.DataFrame, right: pd.DataFrame, key: str) -> None:
    a = left.sort_values(key).reset_index(drop=True)
    b = right.sort_values(key).reset_index(drop=True)
    pd.testing.assert_frame_equal(a, b, check_dtype=False)


# ---------------------------------------------------------------- queries


def test_subtrees_of_the_tiny_demo(tree):
    """The hand-written sets below are the tiny demo's."""
    for scope, counties in COUNTIES.items():
        found = set(tree[(tree.level == "county") & tree.code.isin(subtree(tree, scope))].code)
        assert found == counties


@pytest.mark.parametrize("scope", [PROVINCE, GANZHOU, XINGGUO])
def test_indicator_queries_see_exactly_the_subtree(eng, scope):
    cards = indicators.kpis(eng, scope, PERIOD).set_index("metric")
    with eng.connect() as conn:
        snap = {
            r.metric: r
            for r in conn.execute(
                select(kpi_snapshots).where(
                    kpi_snapshots.c.region_code == scope, kpi_snapshots.c.period == PERIOD
                )
            )
        }
    assert set(snap) == set(METRIC_CODES)
    kids = snap["children_active"]
    assert cards.at["children_active", "value"] == (
        kids.value if kids.value is not None else kids.numerator
    )
    home = snap["home_coverage"]
    assert cards.at["home_coverage", "value"] == pytest.approx(home.value)
    for level, expected in (("county", COUNTIES[scope]), ("prefecture", PREFECTURES[scope])):
        assert set(indicators.region_table(eng, scope, PERIOD, level).code) == expected
        by = indicators.metric_by_region(eng, scope, PERIOD, "children_active", level)
        assert set(by.code) == expected
        whole = indicators.metric_by_region(eng, PROVINCE, PERIOD, "children_active", level)
        same_rows(by, whole[whole.code.isin(expected)], "code")
    trend = indicators.trend(eng, scope, ["children_active"], last_n=3, until=PERIOD)
    assert len(trend) == 3 and list(trend.period)[-1] == PERIOD
    assert trend.value.iloc[-1] == cards.at["children_active", "value"]
    assert indicators.periods(eng, scope)[0] == PERIOD
    if scope in OUTSIDE:
        out = OUTSIDE[scope]
        for call in (
            lambda: indicators.kpis(eng, scope, PERIOD, region=out),
            lambda: indicators.trend(eng, scope, ["children_active"], region=out),
            lambda: indicators.kpis(eng, scope, PERIOD, region=PROVINCE),
            lambda: indicators.kpis(eng, scope, PERIOD, region="440106"),  # another province
        ):
            with pytest.raises(ScopeError):
                call()


@pytest.mark.parametrize("scope", [PROVINCE, GANZHOU, XINGGUO])
def test_live_drilldown_sees_exactly_the_subtree(eng, tree, scope):
    townships = set(tree[tree.parent_code == XINGGUO].code)
    assert townships
    live = drilldown.unit_indicators(eng, scope, PERIOD, XINGGUO)
    assert set(live.code) == townships
    town = sorted(townships)[0]
    villages = drilldown.unit_indicators(eng, scope, PERIOD, town)
    assert set(villages.code) == set(tree[tree.parent_code == town].code)
    if scope != PROVINCE:
        with pytest.raises(ScopeError):
            drilldown.unit_indicators(eng, scope, PERIOD, OUTSIDE[scope])
        other_town = sorted(tree[tree.parent_code == "360112"].code)[0]
        with pytest.raises(ScopeError):
            drilldown.unit_indicators(eng, scope, PERIOD, other_town)


BY_REGION = [
    (homes.homes_by_region, {"level": "county"}),
    (staffing.staffing_by_region, {"level": "county"}),
    (interventions.open_cases_by_area, {"level": "county"}),
    (institutions.protection_centers_by_county, {}),
    (institutions.purchases_by_area, {}),
]


def _code_column(df: pd.DataFrame) -> str:
    return next(c for c in ("code", "county_code", "region_code") if c in df.columns)


@pytest.mark.parametrize("scope", [GANZHOU, XINGGUO])
@pytest.mark.parametrize("fn,kwargs", BY_REGION, ids=lambda x: getattr(x, "__name__", ""))
def test_view_tables_are_the_province_rows_of_the_subtree(eng, tree, scope, fn, kwargs):
    mine = fn(eng, scope, PERIOD, **kwargs)
    whole = fn(eng, PROVINCE, PERIOD, **kwargs)
    key = _code_column(whole)
    inside = subtree(tree, scope)
    expected = whole[whole[key].isin(inside)]
    assert set(mine[key]) <= inside
    assert set(mine[key]) == set(expected[key])
    # the shared rows carry the same figures (names of parents may differ, so compare numbers)
    numbers = [c for c in expected.columns if pd.api.types.is_numeric_dtype(expected[c])]
    same_rows(mine[[key, *numbers]], expected[[key, *numbers]], key)


@pytest.mark.parametrize("scope", [GANZHOU, XINGGUO])
def test_lists_of_people_and_cases_are_the_subtrees(eng, tree, scope):
    inside = subtree(tree, scope)
    roster = records.staff_roster(eng, scope, PERIOD)
    everyone = records.staff_roster(eng, PROVINCE, PERIOD)
    assert len(roster) > 0
    assert set(roster.id) == set(everyone[everyone.region_code.isin(inside)].id)
    open_cases = records.case_list(eng, scope, PERIOD)
    all_open = records.case_list(eng, PROVINCE, PERIOD)
    assert len(open_cases) > 0
    assert set(open_cases.id) == set(all_open[all_open.region_code.isin(inside)].id)
    overdue = records.case_list(eng, scope, PERIOD, overdue_only=True)
    assert set(overdue.id) == set(open_cases[open_cases.overdue].id)
    inst = institutions.institutions_list(eng, scope, PERIOD)
    all_inst = institutions.institutions_list(eng, PROVINCE, PERIOD)
    assert set(inst.id) == set(all_inst[all_inst.region_code.isin(inside)].id)
    # masked: no raw name or phone of the database appears
    with eng.connect() as conn:
        raw = {r[0] for r in conn.execute(select(staff.c.name))}
        phones = {r[0] for r in conn.execute(select(staff.c.phone)) if r[0]}
    assert not set(roster.name) & raw and not set(roster.phone) & phones
    assert all(re.fullmatch(r"\d{3}\*+\d{4}", p) for p in roster.phone.dropna())


def test_every_query_refuses_a_region_outside_the_scope(eng):
    """Every public query of the views that takes a region argument refuses one outside the
    scope, for a prefecture and a county user."""
    from queries import county as county_q

    region_params = ("region", "region_code", "county")
    checked = []
    for mod in (homes, staffing, interventions, institutions, county_q, records):
        for name, fn in inspect.getmembers(mod, inspect.isfunction):
            if fn.__module__ != mod.__name__ or name.startswith("_"):
                continue
            params = inspect.signature(fn).parameters
            if list(params)[:3] != ["engine", "scope", "period"]:
                continue
            where = next((p for p in region_params if p in params), None)
            if where is None:
                continue
            extra = (
                {"level": "county"}
                if "level" in params and params["level"].default is inspect.Parameter.empty
                else {}
            )
            for scope, out in OUTSIDE.items():
                with pytest.raises(ScopeError):
                    fn(eng, scope, PERIOD, **extra, **{where: out})
            checked.append(f"{mod.__name__}.{name}")
    assert len(checked) >= 20, checked
    assert "queries.records.case_list" in checked
    assert "queries.records.staff_roster" in checked


# ---------------------------------------------------------------- pages


def forbidden_names(tree: pd.DataFrame, scope: str) -> list[str]:
    """Names of regions outside the scope's subtree and not its ancestors: the province's
    real prefectures and counties (the maps draw those) and every region the database holds,
    less any name that also belongs to a region the user may see."""
    visible = subtree(tree, scope) | ancestors(tree, scope)
    allowed = set(tree[tree.code.isin(visible)].name)
    outside = set(tree[~tree.code.isin(visible)].name)
    if scope != PROVINCE:
        outside |= {
            u.name
            for u in real_units(PROVINCE)
            if u.level in ("prefecture", "county") and u.code not in visible
            and u.code[:4] != scope[:4]  # same prefecture: drawn on the user's own map
        }  # fmt: skip
        if len(scope) == 6 and not scope.endswith("00"):  # a county sees no sibling county
            outside |= {
                u.name for u in real_units(PROVINCE) if u.level == "county" and u.code != scope
            }
    return sorted(n for n in outside - allowed if not any(n in a for a in allowed))


def view_pages(at) -> list[str]:
    pages = []
    for info in at._registered_pages.values():
        path = info.get("script_path")
        if path:
            pages.append(os.path.relpath(str(path), os.path.dirname(APP)))
    return sorted(pages)


@pytest.mark.parametrize("scope", [PROVINCE, GANZHOU, XINGGUO])
def test_every_page_shows_only_the_users_subtree(tiny, eng, tree, apptest_env, scope):
    user = ensure_user(tiny, ROLES[scope], scope)
    first = run_app(tiny, user=user, period=PERIOD)
    pages = view_pages(first)
    assert "pages/overview.py" in pages and "pages/audit.py" not in pages
    names = forbidden_names(tree, scope)
    assert bool(names) == (scope != PROVINCE)  # a province user may see every name
    with eng.connect() as conn:
        raw_people = {r[0] for r in conn.execute(select(children.c.name))}
        raw_people |= {r[0] for r in conn.execute(select(staff.c.name))}
        raw_ids = {r[0] for r in conn.execute(select(children.c.id_number)) if r[0]}
    checked = []
    for page in pages:
        at = run_app(
            tiny, user=user, page=page if page != "pages/overview.py" else None, period=PERIOD
        )
        assert not at.exception, (page, [e.value for e in at.exception])
        assert not at.error, (page, [e.value for e in at.error])
        text = page_text(at)
        leaked = [n for n in names if n in text]
        assert not leaked, (page, leaked[:10])
        people = [n for n in raw_people if len(n) >= 2 and n in text]
        assert not people, (page, people[:5])
        assert not [i for i in raw_ids if i in text], page
        checked.append(page)
    assert len(checked) >= 6


def test_county_user_sees_its_own_figures_and_small_abuse_counts_hidden(tiny, eng, apptest_env):
    user = ensure_user(tiny, "county", XINGGUO)
    at = run_app(tiny, user=user, period=PERIOD)
    cards = {m.label: m.value for m in at.metric}
    mine = indicators.kpis(eng, XINGGUO, PERIOD).set_index("metric")
    assert cards["在册儿童"] == f"{mine.at['children_active', 'value']:,.0f} 人"
    assert [t.value for t in at.title] == ["兴国县总览"]
    at = run_app(tiny, user=user, page="pages/interventions.py", period=PERIOD)
    tables = [
        d.value
        for d in at.dataframe
        if "乡镇（街道）" in d.value.columns and "其中遭受侵害（件）" in d.value.columns
    ]
    assert tables
    abuse = tables[0]["其中遭受侵害（件）"].astype(str).tolist()
    assert abuse and not [a for a in abuse if a in {"1", "2", "3", "4"}]
    assert all(
        a in {"0", "<5"} or (a.replace(",", "").isdigit() and int(a.replace(",", "")) >= 5)
        for a in abuse
    )


def test_prefecture_user_cannot_reach_another_prefecture_or_county(tiny, eng, apptest_env):
    user = ensure_user(tiny, "prefecture", GANZHOU)
    at = run_app(tiny, user=user, prefecture=NANCHANG, period=PERIOD)
    assert [t.value for t in at.title] == ["赣州市总览"]
    assert "南昌市" not in page_text(at).replace("“南昌市”", "")
    at = run_app(tiny, user=user, page="pages/county.py", county="360112", period=PERIOD)
    assert not at.exception
    text = page_text(at)
    assert "新建区" not in text.replace("“新建区”", "")
    # refused, then (the link's county dropped) 县区详情 opens on the user's own prefecture:
    # its figures, never the outsider's
    assert [t.value for t in at.title] in (["县区详情"], ["设区市详情：赣州市"])
    shown = [m.value for m in at.metric]
    outsider = indicators.kpis(eng, PROVINCE, PERIOD, region="360112").set_index("metric")
    own = indicators.kpis(eng, PROVINCE, PERIOD, region=GANZHOU).set_index("metric")
    assert np.isfinite(outsider.at["children_active", "value"])
    if shown:  # the cards are 赣州市's (a bare "127 人" may be one of its own figures too)
        assert f"{own.at['children_active', 'value']:,.0f} 人" in shown
        assert own.at["children_active", "value"] != outsider.at["children_active", "value"]


def test_the_cache_edge_refuses_another_scope(tiny, eng, apptest_env):
    """components/db.py checks every scope it is given against the signed-in user's, so a
    figure cached for one session's scope never reaches a session of a smaller scope: a
    province user's cached province figures first, then a county user asking for them."""
    from streamlit.testing.v1 import AppTest

    from tests.apptest import password_of

    province = run_app(tiny, period=PERIOD)  # fills the caches with the province's figures
    assert not province.exception
    user = ensure_user(tiny, "county", XINGGUO)

    def script(url: str, username: str, password: str, county: str) -> None:
        import streamlit as st

        from components import auth, db
        from queries import indicators
        from queries.regions import ScopeError

        assert auth.current_user(url) is None
        try:
            db.kpis(url, "360000", "2026-10")
        except ScopeError:
            st.write("refused before sign-in")
        ok, _message = auth.sign_in(url, username, password)
        st.write(f"signed in: {ok}")
        for scope in ("360000", "360700", "360730"):
            try:
                db.kpis(url, scope, "2026-10")
                st.write(f"{scope} served")
            except ScopeError:
                st.write(f"{scope} refused")
        try:
            db.query(indicators.region_table, url, "360000", "2026-10", "county")
            st.write("query served")
        except ScopeError:
            st.write("query refused")
        own = db.kpis(url, county, "2026-10").set_index("metric")
        st.write(f"own {own.at['children_active', 'value']:.0f}")

    os.environ["REPORTING_DB_URL"] = tiny
    at = AppTest.from_function(
        script, args=(tiny, user, password_of(tiny, user), XINGGUO), default_timeout=60
    ).run()
    assert not at.exception, [e.value for e in at.exception]
    said = [m.value for m in at.markdown]
    mine = indicators.kpis(eng, XINGGUO, PERIOD).set_index("metric")
    assert said == [
        "refused before sign-in",
        "signed in: True",
        "360000 refused",
        "360700 refused",
        "360730 refused",
        "query refused",
        f"own {mine.at['children_active', 'value']:.0f}",
    ]
