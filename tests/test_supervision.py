"""督办 (issue 17): the tables, the actions of data/supervision.py and the queries of
queries/supervision.py, on SQLite and PostgreSQL, on the hand-built province of
tests/fixtures/province.py:

    江西省 360000 P
    ├── 南昌市 360100 A: 东湖区 A1, 西湖区 A2, 青云谱区 A3
    └── 景德镇市 360200 B: 昌江区 B1, 珠山区 B2

kpi_snapshots, worked out by hand: 东湖区 home_coverage 80/100 in BEFORE (target .90: gap
⌈(.90 − .80) × 100⌉ = 10) and 88/100 in NOW; 珠山区 overdue_cases 3 in BEFORE (target 0: gap
3) and 1 in NOW.
"""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
import pytest
from sqlalchemy import Engine, func, insert, inspect, select

from data import accounts
from data import supervision as sv
from data.schema import kpi_snapshots, supervision_events, supervision_tasks
from queries import supervision as q
from queries.regions import ScopeError
from tests.fixtures.audit import audit_rows
from tests.fixtures.province import A1, A2, B2, BEFORE, NOW, A, B, P, load_regions, snap

DAY0 = date(2026, 11, 5)
USERS = {
    "prov": ("province", None),
    "pref_a": ("prefecture", A),
    "pref_b": ("prefecture", B),
    "cty_a1": ("county", A1),
    "cty_a2": ("county", A2),
    "cty_b2": ("county", B2),
    "admin": ("admin", None),
}


@pytest.fixture
def tree(engine: Engine) -> Engine:
    load_regions(engine)
    with engine.begin() as conn:
        conn.execute(
            insert(kpi_snapshots),
            [
                snap(A1, BEFORE, "home_coverage", 80, 100),
                snap(A1, NOW, "home_coverage", 88, 100),
                snap(B2, BEFORE, "overdue_cases", 3),
                snap(B2, NOW, "overdue_cases", 1),
            ],
        )
    for name, (role, region) in USERS.items():
        accounts.add_user(engine, name, role, region, "Kx7!pQ2#mZ9w", must_change_password=False)
    return engine


def home_gap(region: str = A1, **kw) -> sv.Order:
    return sv.Order(region, "请于期限内补齐儿童之家。", metric="home_coverage", period=BEFORE, **kw)


def test_migration_creates_the_supervision_tables(engine: Engine) -> None:
    tables = set(inspect(engine).get_table_names())
    assert {"supervision_tasks", "supervision_events"} <= tables
    task_columns = {c["name"] for c in inspect(engine).get_columns("supervision_tasks")}
    assert {"region_code", "metric", "gap_at_issue", "requirement", "deadline", "status"} <= (
        task_columns
    )


def test_a_province_user_issues_many_in_one_step(tree):
    orders = [
        home_gap(),
        sv.Order(B2, "限期清理逾期个案。", metric="overdue_cases", period=BEFORE),
        sv.Order(
            B, "  请报送全市整改方案。  ", matter="整改方案", deadline=DAY0 + timedelta(days=10)
        ),
    ]
    ids = sv.issue(tree, "prov", orders, today=DAY0)
    assert len(ids) == 3
    got = q.task_list(tree, P, NOW, today=DAY0).set_index("id")
    a1, b2, b = got.loc[ids[0]], got.loc[ids[1]], got.loc[ids[2]]
    # The figure and gap at issue are read from kpi_snapshots, the figure now for NOW.
    assert (a1["value_at_issue"], a1["gap_at_issue"], a1["value_now"]) == (0.8, 10, 0.88)
    assert (b2["value_at_issue"], b2["gap_at_issue"], b2["value_now"]) == (3, 3, 1)
    assert a1["deadline"] == DAY0 + timedelta(days=30) and a1["status_label"] == "待反馈"
    assert (a1["region_name"], a1["prefecture_name"], a1["metric_label"]) == (
        "东湖区",
        "南昌市",
        "儿童之家覆盖率",
    )
    assert b["requirement"] == "请报送全市整改方案。" and b["matter"] == "整改方案"
    assert b["prefecture_name"] == "景德镇市" and pd.isna(b["metric"])
    assert b["deadline"] == DAY0 + timedelta(days=10)
    with tree.connect() as conn:
        events = conn.execute(select(func.count()).select_from(supervision_events)).scalar_one()
    assert events == 3
    assert ("prov", "supervise", f"督办发起 3 件：#{ids[0]}、#{ids[1]}、#{ids[2]}") in audit_rows(
        tree
    )


def task_count(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(supervision_tasks)).scalar_one()


@pytest.mark.parametrize(
    ("user", "orders", "message"),
    [
        ("pref_a", [home_gap(B2)], "珠山区不在您的管辖范围内。"),
        ("pref_a", [home_gap(A)], "南昌市不是可督办的县（市、区）。"),
        ("prov", [home_gap(P)], "江西省不是可督办的县（市、区）或设区市。"),
        ("cty_a1", [home_gap(A1)], "只有省级、市级用户可以发起督办。"),
        ("admin", [home_gap(A1)], "只有省级、市级用户可以发起督办。"),
        ("prov", [home_gap("369999")], "地区代码 369999 不存在。"),
        # all or none: one refused order, nothing written
        ("pref_a", [home_gap(A1), home_gap(A2), home_gap(B2)], "珠山区不在您的管辖范围内。"),
        ("prov", [sv.Order(A1, "  ", matter="x")], "请填写整改要求。"),
        ("prov", [sv.Order(A1, "要求", matter=" ")], "请填写督办事项。"),
        ("prov", [sv.Order(A1, "要" * 1001, matter="x")], "整改要求不能超过 1000 字（现在 1001 字）。"),
        ("prov", [home_gap(deadline=DAY0 - timedelta(days=1))], "办理期限不能早于今天。"),
        ("prov", [sv.Order(A1, "要求", metric="no_such_metric", period=BEFORE)], "未知指标 no_such_metric。"),
        ("prov", [], "请至少选择一个督办对象。"),
    ],
)  # fmt: skip
def test_issuing_is_refused_outside_the_rules(tree, user, orders, message):
    with pytest.raises(sv.SupervisionError) as refused:
        sv.issue(tree, user, orders, today=DAY0)
    assert str(refused.value) == message
    assert task_count(tree) == 0


def test_a_prefecture_user_issues_inside_its_prefecture(tree):
    ids = sv.issue(tree, "pref_a", [home_gap(A1), home_gap(A2)], today=DAY0)
    tasks = q.task_list(tree, A, NOW, today=DAY0)
    assert sorted(tasks["id"]) == sorted(ids)
    assert set(tasks["issuer_region"]) == {A}


def test_each_scope_sees_only_its_tasks(tree):
    to_a1, to_b2, to_b = sv.issue(
        tree,
        "prov",
        [home_gap(A1), home_gap(B2), sv.Order(B, "方案", matter="方案")],
        today=DAY0,
    )
    seen = {
        scope: set(q.task_list(tree, scope, NOW, today=DAY0)["id"])
        for scope in (P, A, B, A1, A2, B2)
    }
    assert seen == {
        P: {to_a1, to_b2, to_b},
        A: {to_a1},
        B: {to_b2, to_b},
        A1: {to_a1},
        A2: set(),
        B2: {to_b2},
    }  # fmt: skip
    assert set(q.task_list(tree, P, NOW, prefecture=B, today=DAY0)["id"]) == {to_b2, to_b}
    assert set(q.task_list(tree, P, NOW, metric="home_coverage", today=DAY0)["id"]) == {
        to_a1,
        to_b2,
    }
    assert list(q.history(tree, A1, NOW, to_a1)["action"]) == ["issue"]
    with pytest.raises(ScopeError):
        q.history(tree, A2, NOW, to_a1)  # another county's task, by a crafted id
    with pytest.raises(ScopeError):
        q.history(tree, A, NOW, to_b)
    assert q.to_do(tree, A1, NOW) == {"to_answer": 1, "to_accept": 0}
    assert q.to_do(tree, B, NOW) == {"to_answer": 1, "to_accept": 0}
    assert q.to_do(tree, P, NOW) == {"to_answer": 0, "to_accept": 0}


def status_of(engine, task_id) -> str:
    return q.task_list(engine, P, NOW, today=DAY0).set_index("id").loc[task_id, "status"]


def test_status_rules(tree):
    first, second = sv.issue(tree, "prov", [home_gap(A1), home_gap(A1)], today=DAY0)
    refusals = [
        (lambda: sv.answer(tree, "cty_a2", first, "已整改"), "只有被督办地区的用户可以反馈。"),
        (lambda: sv.answer(tree, "pref_a", first, "已整改"), "只有被督办地区的用户可以反馈。"),
        (lambda: sv.answer(tree, "cty_a1", first, "   "), "请填写反馈内容。"),
        (
            lambda: sv.accept(tree, "prov", first),
            "该督办事项待反馈，只有已反馈的事项可以销号或退回。",
        ),
    ]
    for act, message in refusals:
        with pytest.raises(sv.SupervisionError, match=message):
            act()
    assert status_of(tree, first) == sv.PENDING
    text = "新建儿童之家 6 个，<b>已验收</b>\n第二行"
    sv.answer(tree, "cty_a1", first, text, done_on=date(2026, 11, 30))
    row = q.task_list(tree, A1, NOW, today=DAY0).set_index("id").loc[first]
    assert (row["status"], row["answer"], row["done_on"]) == ("answered", text, date(2026, 11, 30))
    assert q.to_do(tree, P, NOW) == {"to_answer": 0, "to_accept": 1}
    with pytest.raises(sv.SupervisionError, match="不能再反馈"):
        sv.answer(tree, "cty_a1", first, "再次反馈")
    with pytest.raises(sv.SupervisionError, match="只有发起督办的地区的用户"):
        sv.accept(tree, "pref_a", first)  # the prefecture did not issue it
    sv.accept(tree, "prov", first)
    assert status_of(tree, first) == sv.CLOSED
    with pytest.raises(sv.SupervisionError, match="已销号"):
        sv.send_back(tree, "prov", first, "不合格", today=DAY0)

    sv.answer(tree, "cty_a1", second, "已整改")
    with pytest.raises(sv.SupervisionError, match="请填写退回理由"):
        sv.send_back(tree, "prov", second, "", today=DAY0)
    sv.send_back(tree, "prov", second, "未附验收材料", DAY0 + timedelta(days=15), today=DAY0)
    row = q.task_list(tree, P, NOW, today=DAY0).set_index("id").loc[second]
    assert (row["status_label"], row["deadline"]) == ("退回", DAY0 + timedelta(days=15))
    sv.answer(tree, "cty_a1", second, "已补充验收材料")  # answered again after a return
    assert status_of(tree, second) == sv.ANSWERED
    actions = list(q.history(tree, P, NOW, second)["action"])
    assert actions == ["issue", "answer", "send_back", "answer"]
    assert list(q.history(tree, P, NOW, second)["body"])[2] == "未附验收材料"
    audited = [t for _u, a, t in audit_rows(tree) if a == "supervise"]
    assert audited[-3:] == [
        f"督办反馈 1 件：#{second}",
        f"督办退回 1 件：#{second}",
        f"督办反馈 1 件：#{second}",
    ]
    assert sum(1 for t in audited if t.startswith("督办销号")) == 1
    assert sum(1 for t in audited if t.startswith("督办退回")) == 1
    assert sum(1 for t in audited if t.startswith("督办反馈")) == 3


def test_the_overdue_rule(tree):
    late, answered, returned = sv.issue(
        tree, "prov", [home_gap(A1), home_gap(A2), home_gap(B2)], today=DAY0
    )
    due = DAY0 + timedelta(days=30)
    sv.answer(tree, "cty_a2", answered, "已整改")
    sv.answer(tree, "cty_b2", returned, "已整改")
    sv.send_back(tree, "prov", returned, "不合格", due, today=DAY0)
    on_due = q.task_list(tree, P, NOW, today=due).set_index("id")["overdue"]
    assert not on_due.any()  # the deadline day itself is not late
    after = q.task_list(tree, P, NOW, today=due + timedelta(days=1)).set_index("id")
    assert after["overdue"].to_dict() == {late: True, answered: False, returned: True}
    assert after.loc[late, "days_left"] == -1
    only = q.task_list(tree, P, NOW, overdue_only=True, today=due + timedelta(days=1))
    assert sorted(only["id"]) == sorted([late, returned])
    assert q.counts(tree, P, NOW, since=DAY0, today=due + timedelta(days=1)) == {
        "issued": 3,
        "answered": 2,
        "closed": 0,
        "overdue": 2,
        "open": 2,
        "awaiting_acceptance": 1,
    }
    assert q.counts(tree, A, NOW, since=DAY0, today=due + timedelta(days=1))["overdue"] == 1
