"""AppTest runs of 个案与关爱 and 机构与保障 on the tiny demo database (built once per module).

Each page runs through app.py (signed in through the form) for two periods at the province
scope, and as a prefecture and a county user, and shows no exception, its title, KPI cards
equal to the query functions' figures for that scope, and no unmasked child or staff name
anywhere on the page (text, tables, charts).
"""

from __future__ import annotations

from collections.abc import Iterator

import pandas as pd
import pytest
from sqlalchemy import select

from components import case_handling
from components.format import fmt_count, fmt_days, fmt_rate, fmt_value
from data.db import make_engine
from data.demo import build_demo
from data.labels import CASE_SOURCE, DEPARTMENT, RISK_LEVEL
from data.schema import children, staff
from queries import institutions as ins
from queries import interventions as iv
from queries import records
from queries import referrals as rf
from queries.indicators import kpis
from tests.apptest import ensure_user, page_text, run_app

PROVINCE, PREFECTURE, COUNTY = "360000", "360700", "360732"  # 江西省, 赣州市, 兴国县
PERIODS = ("2026-10", "2026-06", "2025-01")  # 2025-01: the tiny demo has overdue cases


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Iterator[tuple[str, object, list[str]]]:
    """URL, engine and every child and staff name of a tiny demo database."""
    url = f"sqlite:///{tmp_path_factory.mktemp('iv_pages') / 'demo.db'}"
    engine = make_engine(url)
    build_demo(engine, "tiny", progress=lambda _msg: None)
    with engine.connect() as conn:
        names = [r[0] for r in conn.execute(select(children.c.name))]
        names += [r[0] for r in conn.execute(select(staff.c.name))]
    yield url, engine, sorted(set(names))
    engine.dispose()


# ---------------------------------------------------------------- page helpers


def metrics(at) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for m in at.metric:
        out.setdefault(m.label, []).append(m.value)
    return out


def check_page(at, title: str, names: list[str]) -> str:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    assert [t.value for t in at.title] == [title]
    text = page_text(at)
    leaked = [n for n in names if n in text]
    assert not leaked, leaked[:5]
    return text


def snapshot(engine, scope: str, period: str) -> dict[str, str]:
    """The KPI cards' shown values for the scope (kpi_snapshots)."""
    return {
        r["label"]: fmt_value(r["metric"], r["value"])
        for r in kpis(engine, scope, period).to_dict("records")
    }


# ---------------------------------------------------------------- 个案与关爱


def interventions_cards(engine, scope: str, period: str) -> dict[str, str]:
    snap = snapshot(engine, scope, period)
    pipe = iv.case_pipeline(engine, scope, period)
    open_now = pipe[pipe.stage != "closed"]
    refs = rf.referral_summary(engine, scope, period).set_index("window")
    closure = rf.closure_summary(engine, scope, period).set_index("window").loc["period"]
    return {
        **{
            k: snap[k]
            for k in ("在办个案", "逾期个案", "转介响应及时率", "季度探访率", "关爱行动覆盖率")
        },
        "本月新受理个案": fmt_count(
            iv.case_sources(engine, scope, period).period_cases.sum(), "件"
        ),
        "在办高风险个案": fmt_count(open_now[open_now.risk_level == "high"].cases.sum(), "件"),
        "本月超时未响应转介": fmt_count(refs.loc["period", "unanswered"], "件"),
        "近12个月转介及时率": fmt_rate(refs.loc["12m", "timely_share"]),
        "办结个案": fmt_count(closure.closed, "件"),
        "办结天数中位数": fmt_days(closure.median_days),
        "30天内办结": fmt_rate(closure.within_30_share),
    }


@pytest.mark.parametrize("period", PERIODS)
def test_interventions_page_province(demo, apptest_env, period):
    url, engine, names = demo
    at = run_app(url, page="pages/interventions.py", period=period)
    text = check_page(at, "个案与关爱", names)
    shown = metrics(at)
    for label, value in interventions_cards(engine, PROVINCE, period).items():
        assert shown[label][0] == value, label
    # the KPI card and the closure card agree (both the period's mean closure days)
    closure = rf.closure_summary(engine, PROVINCE, period).set_index("window")
    assert shown["平均办结天数"] == [fmt_days(closure.loc["period", "mean_days"])] * 2
    # the overdue list shows every overdue case of the query, masked (the tiny demo has
    # overdue cases in 2025-01 only of these months: a tenth of a handful of open cases)
    overdue = records.case_list(engine, PROVINCE, period, overdue_only=True)
    lists = [d.value for d in at.dataframe if "逾期天数" in d.value.columns]
    if period == "2025-01":
        assert len(overdue) > 0
    if overdue.empty:
        assert not lists and "没有逾期个案。" in text
        return
    assert len(lists) == 1 and len(lists[0]) == len(overdue)
    assert lists[0]["个案编号"].tolist() == overdue.id.tolist()
    assert lists[0]["儿童姓名"].tolist() == overdue.child_name.fillna("（匿名）").tolist()
    masked = overdue.child_name.dropna().tolist()
    assert all(name in text for name in masked)  # the leak check reads the tables too


def as_user(url: str, role: str, code: str) -> str:
    """A signed-in account of `role` whose scope is `code`."""
    return ensure_user(url, role, code)


def test_interventions_page_prefecture(demo, apptest_env):
    url, engine, names = demo
    user = as_user(url, "prefecture", PREFECTURE)
    at = run_app(url, page="pages/interventions.py", period="2026-10", user=user)
    text = check_page(at, "个案与关爱", names)
    assert "赣州市" in text and "南昌市" not in text and "东湖区" not in text
    shown = metrics(at)
    for label, value in interventions_cards(engine, PREFECTURE, "2026-10").items():
        assert shown[label][0] == value, label
    # no county of 南昌市 in the tables of a 赣州市 user
    by_area = [
        d.value for d in at.dataframe if {"县（市、区）", "在办个案（件）"} <= set(d.value.columns)
    ]
    assert by_area and set(by_area[0]["县（市、区）"]) == {"宁都县", "兴国县"}


def test_interventions_page_county(demo, apptest_env):
    url, engine, names = demo
    user = as_user(url, "county", COUNTY)
    at = run_app(url, page="pages/interventions.py", period="2026-10", user=user)
    check_page(at, "个案与关爱", names)
    shown = metrics(at)
    for label, value in interventions_cards(engine, COUNTY, "2026-10").items():
        assert shown[label][0] == value, label
    # townships in a table (no map); abuse counts below county level never under 5 as digits
    by_area = [
        d.value
        for d in at.dataframe
        if "乡镇（街道）" in d.value.columns and "在办个案（件）" in d.value.columns
    ]
    assert by_area
    abuse = by_area[0]["其中遭受侵害（件）"].tolist()
    assert all(v == "<5" or v == "0" or int(v.replace(",", "")) >= 5 for v in abuse)


# ---------------------------------------------------------------- 机构与保障


def institutions_cards(engine, scope: str, period: str) -> dict[str, str]:
    snap = snapshot(engine, scope, period)
    centers = ins.protection_centers_by_county(engine, scope, period)
    cwi = (
        ins.institution_summary(engine, scope, period)
        .set_index("kind")
        .loc["child_welfare_institution"]
    )
    years = ins.purchases_by_year(engine, scope, period).set_index("year")
    per_child = years.loc[int(period[:4]), "per_child_yuan"]
    return {
        "救助保护机构落实率": snap["救助保护机构落实率"],
        "购买服务金额": snap["购买服务金额"],
        "未落实救助保护机构的县": fmt_count((~centers.ready).sum(), "个"),
        "儿童福利机构": fmt_count(cwi.institutions, "个"),
        "生均购买服务金额": f"{per_child:,.1f} 元/人",
        "本年未购买服务的县": fmt_count(
            (ins.purchases_by_area(engine, scope, period).amount_yuan == 0).sum(), "个"
        ),
    }


@pytest.mark.parametrize("period", PERIODS)
def test_institutions_page_province(demo, apptest_env, period):
    url, engine, names = demo
    at = run_app(url, page="pages/institutions.py", period=period)
    check_page(at, "机构与保障", names)
    shown = metrics(at)
    for label, value in institutions_cards(engine, PROVINCE, period).items():
        assert shown[label] == [value], label
    # the purchase amount card (rollup) equals the query's sum of the year's items
    total = ins.purchases_by_item(engine, PROVINCE, period).amount_yuan.sum()
    assert shown["购买服务金额"] == [fmt_value("purchase_yuan", total)]


@pytest.mark.parametrize("scope", (PREFECTURE, COUNTY))
def test_institutions_page_other_scopes(demo, apptest_env, scope):
    url, engine, names = demo
    user = as_user(url, "prefecture" if scope == PREFECTURE else "county", scope)
    at = run_app(url, page="pages/institutions.py", period="2026-10", user=user)
    text = check_page(at, "机构与保障", names)
    shown = metrics(at)
    for label, value in institutions_cards(engine, scope, "2026-10").items():
        assert shown[label] == [value], label
    assert "南昌市" not in text  # the other prefecture never appears


def test_interventions_page_choices(demo, apptest_env):
    """Every map metric and the 12-month window render without an exception; the window
    switches the referral caption to the 12-month figures."""
    url, engine, names = demo
    at = run_app(url, page="pages/interventions.py", period="2026-10")
    offered = at.selectbox(key="iv_map_metric").options
    assert {"逾期个案", "平均办结天数", "转介响应及时率"} <= set(offered), offered
    for i in range(len(offered)):
        at.selectbox(key="iv_map_metric").select_index(i).run()
        check_page(at, "个案与关爱", names)
    window = [b for b in at.button_group if b.key == "iv_window"]
    assert len(window) == 1
    window[0].set_value("12m").run()
    check_page(at, "个案与关爱", names)
    refs = rf.referral_summary(engine, PROVINCE, "2026-10").set_index("window").loc["12m"]
    captions = [c.value for c in at.caption]
    assert any(f"共转介 {int(refs.referrals):,} 件" in c for c in captions), captions


def test_departments_worst_first_by_hand():
    """Lowest 7-day share first; a tie goes to the most unanswered; no known outcome last."""
    refs = pd.DataFrame(
        {
            "department": ["edu", "civil", "police", "health", "court"],
            "referrals": [10, 10, 4, 0, 3],
            "unanswered": [1, 3, 2, 0, 0],
            "timely_share": [0.9, 0.5, 0.5, float("nan"), 1.0],
        }
    )
    assert case_handling.worst_first(refs)["department"].tolist() == [
        "civil",  # 50%, 3 unanswered
        "police",  # 50%, 2 unanswered
        "edu",  # 90%
        "court",  # 100%
        "health",  # — (nothing known yet)
    ]


def test_the_department_table_opens_worst_first(demo, apptest_env):
    url, engine, names = demo
    at = run_app(url, page="pages/interventions.py", period="2026-10")
    next(w for w in at.button_group if w.key == "iv_window").set_value("12m").run()
    check_page(at, "个案与关爱", names)
    (table,) = [d.value for d in at.dataframe if "7天内响应率" in d.value.columns]
    refs = rf.referrals_by_department(engine, PROVINCE, "2026-10", window="12m")
    expected = [DEPARTMENT[d] for d in case_handling.worst_first(refs)["department"]]
    assert expected != list(DEPARTMENT.values())  # the demo's order differs from the query's
    assert table["部门"].tolist() == expected
    shares = refs.set_index("department")["timely_share"].dropna()
    assert table["部门"].iloc[0] == DEPARTMENT[shares.idxmin()]  # the slowest on top


def test_closure_days_by_source_and_risk_on_the_page(demo, apptest_env):
    """Two clicks: open 个案与关爱, pick 近12个月; the two tables give the closed cases and mean
    closure days per source and per risk level of queries.referrals.closure_by_group."""
    url, engine, names = demo
    at = run_app(url, page="pages/interventions.py", period="2026-10")
    next(w for w in at.button_group if w.key == "iv_window").set_value("12m").run()
    check_page(at, "个案与关爱", names)
    for by, column, labels in (
        ("source", "来源", CASE_SOURCE),
        ("risk_level", "风险等级", RISK_LEVEL),
    ):
        expected = rf.closure_by_group(engine, PROVINCE, "2026-10", by)
        assert expected["closed_12m"].sum() > 0, by
        (table,) = [
            d.value for d in at.dataframe if {column, "平均办结天数"} <= set(d.value.columns)
        ]
        assert table[column].tolist() == [labels[g] for g in expected["group"]]
        assert table["办结个案（件）"].tolist() == expected["closed_12m"].tolist()
        assert (
            table["平均办结天数"].round(6).tolist() == expected["mean_days_12m"].round(6).tolist()
        )
