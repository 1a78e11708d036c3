"""AppTest runs of pages/homes.py and pages/staffing.py on the tiny demo database (built once
for the module), at province scope for two periods and at a prefecture and a county scope:
no exception or error message, the title, card values equal to what the queries return,
every list present, and no unmasked personal data anywhere on the page. The live queries are
also checked against the rollup.

Every run signs in through the form (tests/apptest.py): as a province account, and for the
scope tests as a prefecture and a county account, whose pages must show their own figures and
no other region. The fine-grained scope rules are tested at the query level
(test_homes_queries.py, test_staffing_queries.py).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from components import tables, views
from components.format import fmt_count, fmt_rate, fmt_value
from components.views import Col, display_frame
from data.db import make_engine
from data.demo import build_demo
from data.schema import children, regions, staff
from queries import homes as hq
from queries import indicators, records
from queries import staffing as sq
from tests.apptest import ensure_user, run_app

PROVINCE = "360000"
PERIODS = ("2026-10", "2025-06")


@pytest.fixture(scope="module")
def demo_url(tmp_path_factory) -> str:
    path: Path = tmp_path_factory.mktemp("homes_staffing") / "tiny.db"
    url = f"sqlite:///{path}"
    engine = make_engine(url)
    build_demo(engine, "tiny", progress=lambda _msg: None)
    engine.dispose()
    return url


@pytest.fixture(scope="module")
def engine(demo_url):
    eng = make_engine(demo_url)
    yield eng
    eng.dispose()


@pytest.fixture(scope="module")
def raw_personal(engine) -> list[str]:
    """Every staff and child name and phone/ID in the DB that could be told apart from a
    place name (a two-character name inside a village name is no leak)."""
    with engine.connect() as conn:
        places = [r[0] for r in conn.execute(select(regions.c.name))]
        names = [r[0] for r in conn.execute(select(staff.c.name))]
        names += [r[0] for r in conn.execute(select(children.c.name))]
        phones = [r[0] for r in conn.execute(select(staff.c.phone)) if r[0]]
        ids = [r[0] for r in conn.execute(select(children.c.id_number)) if r[0]]
    joined = "|".join(places)
    return [n for n in set(names) if n not in joined] + phones + ids


def page_text(at: AppTest) -> str:
    """Everything a user could read: text elements, card labels and values, every table
    cell, and the chart specs."""
    parts: list[str] = []
    for kind in ("title", "header", "subheader", "markdown", "caption", "info", "success"):
        parts += [str(e.value) for e in getattr(at, kind)]
    parts += [f"{m.label} {m.value} {m.help}" for m in at.metric]
    parts += [e.value.to_csv() for e in at.dataframe]
    parts += [str(e.proto) for e in at.get("plotly_chart")]
    return "\n".join(parts)


def metric_value(at: AppTest, label: str) -> str:
    found = [m.value for m in at.metric if m.label == label]
    assert len(found) == 1, [m.label for m in at.metric]
    return found[0]


def open_page(url: str, page: str, period: str, user: str | None = None) -> AppTest:
    at = run_app(url, page=page, user=user, period=period)
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    return at


def tab_by_tab(at: AppTest, key: str, labels: tuple[str, ...]) -> tuple[list[int], str]:
    """Open each lazy tab (views.lazy_tabs) in turn: the row counts of every table drawn and
    the text of the page, over all of them. Leaves the first tab open."""
    shapes, text = [], []
    for label in (*labels[1:], labels[0]):
        at.session_state[key] = label
        at.run()
        assert not at.exception and not at.error, label
        shapes += [e.value.shape[0] for e in at.dataframe]
        text.append(page_text(at))
    return shapes, "\n".join(text)


def snapshot_card(engine, period: str, metric: str) -> str:
    row = indicators.kpis(engine, PROVINCE, period).set_index("metric").loc[metric]
    return fmt_value(metric, row["value"])


@pytest.mark.parametrize("period", PERIODS)
def test_homes_page(apptest_env, demo_url, engine, raw_personal, period):
    at = open_page(demo_url, "pages/homes.py", period)
    assert [t.value for t in at.title] == ["儿童之家"]
    totals = hq.home_totals(engine, PROVINCE, period)
    assert metric_value(at, "儿童之家覆盖率") == snapshot_card(engine, period, "home_coverage")
    assert metric_value(at, "示范性儿童之家") == snapshot_card(engine, period, "demo_homes")
    assert metric_value(at, "运营中儿童之家") == fmt_count(totals["operating"], "个")
    assert metric_value(at, "空壳儿童之家") == fmt_count(totals["paper"], "个")
    assert metric_value(at, "尚无儿童之家的村") == fmt_count(totals["uncovered"], "个")
    assert metric_value(at, "示范之家位于原贫困县") == fmt_rate(totals["demo_poverty_share"])
    assert metric_value(at, "近 90 天活动") == fmt_count(totals["activities"], "次")
    # The lists are the queries' lists, row for row.
    paper = hq.paper_homes(engine, PROVINCE, period)
    missing = hq.villages_without_home(engine, PROVINCE, period)
    shapes, text = tab_by_tab(at, "homes_gap_tab", ("空壳儿童之家清单", "尚无儿童之家的村"))
    assert len(paper) == totals["paper"]
    assert len(missing) == totals["uncovered"]
    for n in (len(paper), len(missing)):
        assert n == 0 or n in shapes
    assert "空壳儿童之家清单" in text or "空壳" in text
    for raw in raw_personal:
        assert raw not in text


@pytest.mark.parametrize("period", PERIODS)
def test_staffing_page(apptest_env, demo_url, engine, raw_personal, period):
    at = open_page(demo_url, "pages/staffing.py", period)
    assert [t.value for t in at.title] == ["队伍建设"]
    for label, metric in (
        ("儿童督导员配备率", "supervisor_coverage"),
        ("儿童主任配备率", "director_coverage"),
        ("持证上岗率", "certified_rate"),
        ("年度轮训率", "trained_12m"),
        ("实名录入率", "registered_rate"),
        ("女性委员担任比例", "female_director_share"),
        ("专人专岗比例", "dedicated_share"),
    ):
        assert metric_value(at, label) == snapshot_card(engine, period, metric)
    towns = sq.township_vacancies(engine, PROVINCE, period)
    villages = sq.village_vacancies(engine, PROVINCE, period)
    violations = sq.certification_violations(engine, PROVINCE, period)
    flow = sq.turnover(engine, PROVINCE, period).set_index("role")
    assert metric_value(at, "空缺岗位") == f"{len(towns) + len(villages):,} 个"
    assert metric_value(at, "未持证上岗") == fmt_count(len(violations), "人")
    assert metric_value(at, "近 12 个月流失率") == fmt_rate(flow.at["all", "turnover"])
    roster = records.staff_roster(engine, PROVINCE, period)
    shapes, text = tab_by_tab(
        at, "staff_gap_tab", ("乡镇督导员空缺", "村儿童主任空缺", "未持证上岗", "在岗人员花名册")
    )
    for n in (len(towns), len(villages), len(violations), len(roster)):
        assert n == 0 or n in shapes
    for raw in raw_personal:
        assert raw not in text
    # The masked roster is on the page: its masked names are there, its raw ones are not.
    if len(roster):
        assert roster["name"].iloc[0] in text


def test_staffing_metric_switch(apptest_env, demo_url):
    at = open_page(demo_url, "pages/staffing.py", PERIODS[0])
    at.segmented_control(key="staffing_metric").set_value("trained_12m").run()
    assert not at.exception and not at.error
    at.session_state["staff_gap_tab"] = "在岗人员花名册"
    at.run()
    at.segmented_control(key="staff_roster_role").set_value("supervisor").run()
    assert not at.exception and not at.error


def test_county_filter_narrows_the_lists(apptest_env, demo_url, engine):
    at = open_page(demo_url, "pages/homes.py", PERIODS[0])
    county = hq.homes_by_region(engine, PROVINCE, PERIODS[0], "county").iloc[-1]
    at.selectbox(key="homes_county").set_value(county["code"]).run()
    at.session_state["homes_gap_tab"] = "尚无儿童之家的村"
    at.run()
    assert not at.exception and not at.error
    expected = hq.villages_without_home(engine, PROVINCE, PERIODS[0], region=county["code"])
    assert len(expected) == 0 or len(expected) in [e.value.shape[0] for e in at.dataframe]


@pytest.mark.parametrize("period", ["2024-03", "2025-01", "2025-12", "2026-10"])
def test_live_figures_match_the_rollup(engine, period):
    """The view's live figures and the kpi_snapshots rollup follow the same definitions."""
    homes = hq.homes_by_region(engine, PROVINCE, period, "county").set_index("code")
    team = sq.staffing_by_region(engine, PROVINCE, period, "county").set_index("code")
    for metric, frame, num, den in (
        ("home_coverage", homes, "covered", "villages"),
        ("supervisor_coverage", team, "staffed_townships", "townships"),
        ("director_coverage", team, "staffed_villages", "villages"),
    ):
        snap = indicators.metric_by_region(engine, PROVINCE, period, metric, "county")
        snap = snap.set_index("code")
        assert (frame[num] == snap["numerator"]).all(), metric
        assert (frame[den] == snap["denominator"]).all(), metric
    demo = indicators.metric_by_region(engine, PROVINCE, period, "demo_homes", "county")
    assert (homes["demo"] == demo.set_index("code")["value"]).all()
    kpis = indicators.kpis(engine, PROVINCE, period).set_index("metric")
    roster = records.staff_roster(engine, PROVINCE, period)
    directors = roster[roster["role"] == "director"]
    for metric, num, den in (
        ("certified_rate", roster["certified"].sum(), len(roster)),
        ("trained_12m", roster["trained_12m"].sum(), len(roster)),
        ("registered_rate", roster["is_registered"].sum(), len(roster)),
        ("dedicated_share", roster["is_dedicated"].sum(), len(roster)),
        ("female_director_share", directors["is_female_committee_member"].sum(), len(directors)),
    ):
        assert (kpis.at[metric, "numerator"], kpis.at[metric, "denominator"]) == (num, den)
    violations = sq.certification_violations(engine, PROVINCE, period)
    assert len(violations) == len(roster) - roster["certified"].sum()


# ---------------------------------------------------------------- components/views.py helpers


def test_export_caption_and_map_level():
    assert tables.export_caption("儿童主任空缺的村", "赣州市", "2026-10") == (
        "儿童主任空缺的村 · 赣州市 · 2026年10月"
    )
    assert views.map_level("province") == ("county", True)
    assert views.map_level("prefecture") == ("county", True)
    assert views.map_level("county") == ("township", False)


def test_display_frame_headers_labels_and_gaps():
    df = pd.DataFrame(
        {
            "role": ["director", "supervisor"],
            "ok": [True, False],
            "rate": [0.9234, None],
            "left": [dt.date(2026, 6, 30), None],
            "days": pd.array([123, None], dtype="Int64"),
            "unused": ["x", "y"],
        }
    )
    shown = display_frame(
        df,
        [
            Col("role", "岗位", labels={"director": "儿童主任", "supervisor": "儿童督导员"}),
            Col("ok", "持证上岗", yes_no=True),
            Col("rate", "配备率（%）", percent=True),
            Col("left", "上一任离岗日期", none="从未配备"),
            Col("days", "空缺天数", fmt="%,d"),
        ],
    )
    assert list(shown.columns) == ["岗位", "持证上岗", "配备率（%）", "上一任离岗日期", "空缺天数"]
    assert list(shown["岗位"]) == ["儿童主任", "儿童督导员"]
    assert list(shown["持证上岗"]) == ["是", "否"]
    assert shown.loc[0, "配备率（%）"] == 92.3 and pd.isna(shown.loc[1, "配备率（%）"])
    assert list(shown["上一任离岗日期"]) == ["2026-06-30", "从未配备"]
    assert shown.loc[0, "空缺天数"] == 123 and pd.isna(shown.loc[1, "空缺天数"])


# ---------------------------------------------------------------- other scopes

# Tiny demo: 南昌市 (360100: 东湖区, 新建区, 进贤县) and 赣州市 (360700: 宁都县, 兴国县).
SCOPES = {
    # scope: (role, one of its counties, a county outside it)
    "360100": ("prefecture", "东湖区", "宁都县"),
    "360730": ("county", "宁都县", "东湖区"),
}


@pytest.mark.parametrize("scope", sorted(SCOPES))
def test_pages_in_a_prefecture_and_a_county_scope(apptest_env, demo_url, engine, scope):
    """Signed in as a prefecture or county user: the figures are that scope's, and no other
    region's name appears anywhere on the page."""
    role, inside, outside = SCOPES[scope]
    user = ensure_user(demo_url, role, scope)
    period = PERIODS[0]
    kpis = indicators.kpis(engine, scope, period).set_index("metric")

    at = open_page(demo_url, "pages/homes.py", period, user=user)
    assert [t.value for t in at.title] == ["儿童之家"]
    totals = hq.home_totals(engine, scope, period)
    assert metric_value(at, "运营中儿童之家") == fmt_count(totals["operating"], "个")
    assert metric_value(at, "尚无儿童之家的村") == fmt_count(totals["uncovered"], "个")
    assert metric_value(at, "空壳儿童之家") == fmt_count(totals["paper"], "个")
    assert metric_value(at, "儿童之家覆盖率") == fmt_value(
        "home_coverage", kpis.at["home_coverage", "value"]
    )
    text = page_text(at)
    assert inside in text and outside not in text

    at = open_page(demo_url, "pages/staffing.py", period, user=user)
    assert [t.value for t in at.title] == ["队伍建设"]
    violations = sq.certification_violations(engine, scope, period)
    assert metric_value(at, "未持证上岗") == fmt_count(len(violations), "人")
    assert metric_value(at, "儿童主任配备率") == fmt_value(
        "director_coverage", kpis.at["director_coverage", "value"]
    )
    text = page_text(at)
    assert inside in text and outside not in text
