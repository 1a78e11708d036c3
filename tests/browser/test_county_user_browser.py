"""A county user in headless Chromium (`streamlit run server.py` on a tiny demo database): the
sign-in form comes first and shows nothing of the data; signed in as 兴国县, the overview
shows 兴国县's figures and no other county's name or figures anywhere in the page (visible
text and the whole DOM, hidden tabs and chart SVGs included); a shared link to another
county opens only the user's own view.

The tiny demo holds 南昌市 (东湖区, 新建区, 进贤县) and 赣州市 (宁都县, 兴国县 360732).
"""

from __future__ import annotations

import pytest

from data import accounts
from data.db import make_engine
from data.regions import real_units
from queries import indicators
from tests.browser.test_map_browser import RequestLog
from tests.fixtures.demo import tiny_sqlite_url

PROVINCE, XINGGUO, PERIOD = "360000", "360732", "2026-10"
EXCEPTION_BOX = '[data-testid="stException"]'


def sign_in_browser(page, username: str, password: str) -> None:
    """Fill the sign-in form of the page just opened and press 登录 (the form keeps the
    page's path and query string, so the requested view opens)."""
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    page.get_by_text("退出登录").wait_for()


def wait_until_idle(page) -> None:
    """Wait for the script run to finish (Streamlit's running indicator gone)."""
    page.wait_for_timeout(500)
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=60_000
    )
    page.wait_for_timeout(500)


@pytest.fixture(scope="module")
def county_app(streamlit_app, tmp_path_factory) -> tuple[str, str, str, object]:
    """The app on a tiny demo database with one 兴国县 account; (app URL, username,
    password, engine)."""
    url = tiny_sqlite_url(tmp_path_factory, "county_user")
    engine = make_engine(url)
    password = accounts.add_user(
        engine, "xingguo_user", "county", XINGGUO, must_change_password=False
    )
    app = streamlit_app("server.py", env={"REPORTING_DB_URL": url, "PROVINCE_CODE": PROVINCE})
    yield app, "xingguo_user", password, engine
    engine.dispose()


def other_counties() -> dict[str, str]:
    """Every county of the province but 兴国县 (the real boundary list), code -> name."""
    return {
        u.code: u.name for u in real_units(PROVINCE) if u.level == "county" and u.code != XINGGUO
    }


def test_county_user_sees_no_other_county(page, county_app, artifacts_dir):
    app, username, password, engine = county_app
    log = RequestLog(page, app)
    page.goto(app)
    page.get_by_label("用户名").wait_for()
    assert page.locator('[data-testid="stMetric"]').count() == 0
    assert "兴国县" not in page.content() and "在册儿童" not in page.content()

    sign_in_browser(page, username, password)
    page.get_by_role("heading", name="兴国县总览", exact=True).wait_for()
    page.get_by_text("在册儿童").first.wait_for()
    wait_until_idle(page)
    assert page.locator(EXCEPTION_BOX).count() == 0
    page.screenshot(path=str(artifacts_dir / "county_user_overview.png"))

    html = page.content()
    text = page.evaluate("() => document.body.innerText")
    mine = indicators.kpis(engine, XINGGUO, PERIOD).set_index("metric")
    own_kids = f"{mine.at['children_active', 'value']:,.0f} 人"
    assert own_kids in text
    # no other county's name, in the visible text or anywhere in the DOM
    leaked = [n for n in other_counties().values() if n in html or n in text]
    assert not leaked, leaked[:10]
    assert "南昌市" not in html and "南昌市" not in text
    # no other county's figures: the children count of every other county the database
    # holds (formatted as on the cards), unless it happens to equal one of 兴国县's own
    own_values = set(page.locator('[data-testid="stMetricValue"]').all_inner_texts())
    for code in ("360102", "360112", "360124", "360730"):
        theirs = indicators.kpis(engine, PROVINCE, PERIOD, region=code).set_index("metric")
        figure = f"{theirs.at['children_active', 'value']:,.0f} 人"
        if figure != own_kids and figure not in own_values:
            assert figure not in html, (code, figure)
    assert password not in html and password not in page.url
    assert log.foreign() == [], log.foreign()


def test_a_shared_link_to_another_county_opens_only_the_users_own(page, county_app):
    app, username, password, _engine = county_app
    page.goto(f"{app}/county?county=360730")  # 宁都县: another county of 赣州市
    page.get_by_label("用户名").wait_for()
    sign_in_browser(page, username, password)
    wait_until_idle(page)
    html = page.content()
    assert page.locator(EXCEPTION_BOX).count() == 0
    assert "宁都县" not in html.replace("“宁都县”", "")
    page.goto(f"{app}/?prefecture=360100")  # 南昌市, by the overview's drill parameter
    # the same browser stays signed in (its session cookie): no second sign-in
    page.get_by_role("heading", name="兴国县总览", exact=True).wait_for()
    wait_until_idle(page)
    assert "prefecture=" not in page.url
    assert "新建区" not in page.content()
