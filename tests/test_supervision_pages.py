"""督办 in the app (AppTest, issue 17) on the tiny demo, both backends: a county user sees
its open tasks on landing and answers on the 督办 page (a refused answer keeps the text);
the province user closes one and sends one back; the 预警 overdue alert, the briefing's
section and the deck's slide count the same tasks."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from components import deck as deckmod
from components.briefing_doc import supervision_line
from data import supervision as sv
from data.schema import kpi_snapshots, regions
from queries import supervision as q
from tests.apptest import ensure_user, run_app
from tests.fixtures.demo import engine_of, tiny_demo_fixture

tiny = tiny_demo_fixture("supervision")


@pytest.fixture
def eng(tiny):
    yield from engine_of(tiny)


def texts(at) -> str:
    return " ".join(
        str(e.value)
        for e in (*at.markdown, *at.caption, *at.warning, *at.success, *at.error, *at.info)
    )


def setting(eng) -> tuple[str, str, str]:
    """(a county with figures, the newest period, the county's prefecture)."""
    with eng.connect() as conn:
        period = conn.execute(select(func.max(kpi_snapshots.c.period))).scalar_one()
        county, parent = conn.execute(
            select(regions.c.code, regions.c.parent_code)
            .join(kpi_snapshots, kpi_snapshots.c.region_code == regions.c.code)
            .where(regions.c.level == "county", kpi_snapshots.c.period == period)
            .order_by(regions.c.code)
        ).first()
    return county, period, parent


def test_the_supervision_loop_in_the_app(tiny, eng, apptest_env):
    county, period, _ = setting(eng)
    prov = ensure_user(tiny, "province")
    mine = ensure_user(tiny, "county", county)
    first, second = sv.issue(
        eng,
        prov,
        [
            sv.Order(county, "请补齐儿童之家。", metric="home_coverage", period=period),
            sv.Order(county, "请报送整改方案。", matter="整改方案"),
        ],
    )
    at = run_app(tiny, user=mine, period=period)  # lands on 本县总览
    assert not at.exception
    assert "有 2 件督办事项待反馈" in texts(at)
    at = run_app(tiny, user=mine, page="pages/supervision.py", period=period)
    assert not at.exception
    assert [m.value for m in at.metric][4] == "2 件"  # 待反馈
    # An empty answer is refused in Chinese; what was typed elsewhere stays.
    at.text_area(key=f"answer_{first}").input("已新建儿童之家 3 个，<b>验收</b>").run()
    at.button(key=f"answer_go_{second}").click().run()
    assert not at.exception
    assert any("请填写反馈内容" in e.value for e in at.error)
    assert at.text_area(key=f"answer_{first}").value == "已新建儿童之家 3 个，<b>验收</b>"
    at.button(key=f"answer_go_{first}").click().run()
    assert not at.exception
    assert any(f"已反馈督办事项 #{first}" in s.value for s in at.success)
    task = q.task_list(eng, county, period).set_index("id").loc[first]
    assert (task["status"], task["answer"]) == ("answered", "已新建儿童之家 3 个，<b>验收</b>")

    at = run_app(tiny, user=prov, page="pages/supervision.py", period=period)
    assert not at.exception
    at.selectbox(key="sv_pick").select(first).run()
    at.button(key="sv_accept").click().run()
    assert not at.exception
    assert any(f"督办事项 #{first} 已销号" in s.value for s in at.success)
    assert q.task_list(eng, county, period).set_index("id").loc[first, "status"] == "closed"


def test_every_view_counts_the_same_tasks(tiny, eng, apptest_env):
    county, period, _ = setting(eng)
    prov = ensure_user(tiny, "province")
    long_ago = date.today() - timedelta(days=45)
    sv.issue(
        eng,
        prov,
        [sv.Order(county, "限期整改。", matter="逾期事项")],
        today=long_ago,
    )  # deadline 15 days ago: overdue
    today = date.today()
    since = q.since_last_meeting(today)
    counts = q.counts(eng, "360000", period, since, today)
    assert counts["overdue"] >= 1
    at = run_app(tiny, user=prov, page="pages/alerts.py", period=period)
    assert not at.exception
    assert any(f"督办逾期未反馈 {counts['overdue']} 件" in e.value for e in at.error)
    at = run_app(tiny, user=prov, page="pages/briefing.py", period=period)
    assert not at.exception
    assert supervision_line(counts, since) in texts(at)
    deck = deckmod.with_supervision(
        deckmod.build_deck(eng, "360000", period), eng, "360000", period, today
    )
    slide = deck.slides[-1]
    assert slide.title == "督办事项"
    assert dict(zip(slide.table["事项"], slide.table["件数"], strict=True))["逾期未反馈"] == (
        f"{counts['overdue']} 件"
    )
