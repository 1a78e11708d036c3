"""督办 end to end (issue 17) in headless Chromium against the served app, on the tiny demo
with one month reshaped by hand so that all five counties fall below the home-coverage
target (95/100 in the month before, 80/100 in the newest: gap ⌈(0.90 − 0.80) × 100⌉ = 10):

1. the province user issues 督办 to the five counties from the briefing, in one step: six
   tasks, as 新建区 also fell below the director-coverage target in the demo;
2. the user of one county (东湖区, the first by code) sees it on landing (a notice and
   督办（1） in the navigation) and answers; the user of a second (进贤县, the third) too;
3. the province user sends the first answer back and closes the second;
4. the 督办 page, 预警's overdue alert, the briefing's section and the PPTX show the same
   counts: 6 issued (the old task, 45 days back, is before the last meeting), 2 answers,
   1 closed, 1 overdue (the old task), 6 awaiting an answer (4 never answered + the
   returned one + the old one), 0 awaiting acceptance.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from pptx import Presentation
from sqlalchemy import func, select, update

from data import accounts
from data import supervision as sv
from data.db import make_engine
from data.schema import kpi_snapshots, regions, supervision_tasks
from tests.browser.test_county_user_browser import wait_until_idle
from tests.browser.test_tour_browser import open_nav_page
from tests.fixtures.demo import tiny_sqlite_url

PASSWORD = "Browser-Supervise-42"
EXPECTED = {"新发起": 6, "已反馈": 2, "已销号": 1, "逾期未反馈": 1, "待反馈": 6, "待销号": 0}


@pytest.fixture(scope="module")
def app(streamlit_app, tmp_path_factory):
    url = tiny_sqlite_url(tmp_path_factory, "supervision_browser")
    engine = make_engine(url)
    k = kpi_snapshots
    with engine.begin() as conn:
        periods = sorted({p for (p,) in conn.execute(select(k.c.period).distinct())})
        newest, before = periods[-1], periods[-2]
        counties = [
            c
            for (c,) in conn.execute(
                select(regions.c.code).where(regions.c.level == "county").order_by(regions.c.code)
            )
        ]
        for period, covered in ((before, 95), (newest, 80)):
            conn.execute(
                update(k)
                .where(k.c.metric == "home_coverage", k.c.period == period)
                .where(k.c.region_code.in_(counties))
                .values(numerator=covered, denominator=100, value=covered / 100)
            )
    assert len(counties) == 5
    accounts.add_user(engine, "sv_province", "province", None, PASSWORD, must_change_password=False)
    for i, code in enumerate((counties[0], counties[2])):
        accounts.add_user(
            engine, f"sv_county{i}", "county", code, PASSWORD, must_change_password=False
        )
    # One task issued 45 days ago and never answered: overdue since 15 days.
    sv.issue(
        engine,
        "sv_province",
        [sv.Order(counties[4], "请报送整改方案。", matter="整改方案")],
        today=date.today() - timedelta(days=45),
        now=sv.utc_now() - timedelta(days=45),
    )
    base = streamlit_app("server.py", env={"REPORTING_DB_URL": url, "PROVINCE_CODE": "360000"})
    yield base, engine, counties
    engine.dispose()


def signed_in(browser, base: str, username: str, path: str = ""):
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(30_000)
    page.goto(f"{base}/{path}")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_function("() => document.body.textContent.includes('退出登录')")
    wait_until_idle(page)
    return context, page


def metrics(page) -> dict[str, int]:
    out = {}
    for m in page.locator('[data-testid="stMetric"]').all():
        label = m.locator('[data-testid="stMetricLabel"]').inner_text().strip()
        value = m.locator('[data-testid="stMetricValue"]').inner_text().strip()
        if label in EXPECTED:
            out[label] = int(value.replace("件", "").replace(",", "").strip())
    return out


def choose(page, label: str, option_text: str) -> None:
    page.locator('[data-testid="stSelectbox"]').filter(has_text=label).click()
    page.get_by_role("option").filter(has_text=option_text).first.click()
    wait_until_idle(page)


def answer(browser, base: str, username: str, text: str) -> None:
    context, page = signed_in(browser, base, username)
    assert page.get_by_text("有 1 件督办事项待反馈").count() == 1  # on landing
    nav = page.locator('[data-testid="stSidebarNav"]')
    assert nav.get_by_text("督办（1）").count() == 1
    open_nav_page(page, "督办")
    page.get_by_label("反馈整改情况").fill(text)
    page.get_by_role("button", name="提交反馈").click()
    page.get_by_text("已反馈督办事项").wait_for()
    wait_until_idle(page)
    context.close()


def test_from_the_briefing_to_a_countys_answer_and_back(browser, app):
    base, engine, counties = app
    with engine.connect() as conn:
        found = conn.execute(
            select(regions.c.code, regions.c.name).where(regions.c.code.in_(counties))
        )
        names = dict(found.all())
    # 1. five counties from the briefing, in one step
    context, page = signed_in(browser, base, "sv_province", "briefing")
    page.get_by_role("button", name="对跌破目标的县（市、区）发起督办（6 项）").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_role("button", name="发出督办（6 件）").click()
    # the confirmation, not the briefing's 督办事项 line that also counts them
    page.get_by_text(re.compile(r"^已向.+发起督办 6 件")).wait_for()
    wait_until_idle(page)
    t = supervision_tasks
    with engine.connect() as conn:
        issued = conn.execute(
            select(t.c.region_code, t.c.gap_at_issue).where(t.c.metric == "home_coverage")
        ).all()
    assert sorted(issued) == sorted((c, 10.0) for c in counties)

    # 2. two counties answer
    answer(browser, base, "sv_county0", "已新建儿童之家 10 个，待验收。")
    answer(browser, base, "sv_county1", "已补齐儿童之家，已验收。")

    # 3. the province sends the first back and closes the second
    open_nav_page(page, "督办")
    choose(page, "查看一件督办事项的经过", names[counties[0]])
    page.get_by_label("退回理由").fill("未附验收材料，请补充。")
    page.get_by_role("button", name="退回重新整改").click()
    page.get_by_text("已退回").wait_for()
    wait_until_idle(page)
    choose(page, "查看一件督办事项的经过", names[counties[2]])
    page.get_by_role("button", name="销号（整改到位）").click()
    page.get_by_text("已销号").first.wait_for()
    wait_until_idle(page)
    page.reload()
    page.locator("h1", has_text="督办").wait_for()
    wait_until_idle(page)

    # 4. the same counts everywhere
    assert metrics(page) == EXPECTED
    open_nav_page(page, "预警")
    assert page.get_by_text(f"督办逾期未反馈 {EXPECTED['逾期未反馈']} 件").count() == 1
    open_nav_page(page, "会议简报")
    line = (
        f"新发起督办 {EXPECTED['新发起']} 件，收到反馈 {EXPECTED['已反馈']} 件，销号 "
        f"{EXPECTED['已销号']} 件；目前逾期未反馈 {EXPECTED['逾期未反馈']} 件，待反馈 "
        f"{EXPECTED['待反馈']} 件，待销号 {EXPECTED['待销号']} 件。"
    )
    assert page.get_by_text(line).count() == 1
    open_nav_page(page, "汇报模式")
    with page.expect_download() as info:
        page.get_by_role("button", name="下载 PPT 演示文稿").click()
    deck = Presentation(str(info.value.path()))
    rows = {}
    for slide in deck.slides:
        titles = [s.text_frame.text for s in slide.shapes if s.has_text_frame]
        if not any(tt.startswith("督办事项") for tt in titles):
            continue
        for shape in slide.shapes:
            if shape.has_table:
                cells = [[c.text for c in r.cells] for r in shape.table.rows]
                rows.update({r[0]: int(r[1].replace("件", "").strip()) for r in cells[1:]})
    assert rows == EXPECTED
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(t)).scalar_one() == 7
    context.close()
