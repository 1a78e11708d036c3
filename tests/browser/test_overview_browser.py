"""The 全省总览 overview in headless Chromium: the real app (`streamlit run server.py`) on a tiny
demo database. The map is drawn offline (every drawn region counted), no request leaves the
app's host, and clicks drill 省 → 市 → 县 with the state in the URL; the breadcrumb goes back.

The tiny demo holds 南昌市 360100 (东湖区, 新建区 360112, 进贤县) and 赣州市 (宁都县, 兴国县); the
map draws the province's real boundaries: 11 prefectures, 南昌市's 9 counties.
"""

from __future__ import annotations

import pytest

from data import accounts
from data.db import make_engine
from tests.browser.test_county_user_browser import sign_in_browser
from tests.browser.test_map_browser import (
    INTERIOR_POINT_JS,
    PATHS,
    SHAPE_STATS_JS,
    RequestLog,
    assert_canvas_drawn,
    county_codes,
    prefecture_codes,
    query,
    wait_for_regions,
)
from tests.fixtures.demo import tiny_sqlite_url

NANCHANG, XINJIAN = "360100", "360112"
EXCEPTION_BOX = '[data-testid="stException"]'
# The legend of the map (the page has other plotly charts with legends of their own).
MAP_LEGEND_JS = f"""() => {{
    const path = document.querySelector('{PATHS}');
    const plot = path && path.closest('.js-plotly-plot');
    const legend = plot && plot.querySelector('g.legend');
    return legend ? legend.textContent : '';
}}"""


ACCOUNT: dict[str, str] = {}  # the province account the tests sign in with


@pytest.fixture(scope="module")
def app_url(streamlit_app, tmp_path_factory) -> str:
    """The dashboard on a tiny demo database of its own, with a province account."""
    url = tiny_sqlite_url(tmp_path_factory, "overview_browser")
    engine = make_engine(url)
    ACCOUNT["province_user"] = accounts.add_user(
        engine, "province_user", "province", must_change_password=False
    )
    engine.dispose()
    return streamlit_app("server.py", env={"REPORTING_DB_URL": url, "PROVINCE_CODE": "360000"})


def open_signed_in(page, url: str) -> None:
    """Open a URL in a new browser session: the sign-in form first, then the page it asked
    for (path and query string kept)."""
    page.context.clear_cookies()  # a signed-in browser (session cookie) would skip the form
    page.goto(url)
    ((username, password),) = ACCOUNT.items()
    sign_in_browser(page, username, password)


def click_map_region(page, code: str) -> None:
    """Click well inside a drawn region, the map scrolled into view first (it sits below the
    KPI cards, and a mouse click only reaches what is on screen)."""
    page.locator(PATHS).first.scroll_into_view_if_needed()
    page.wait_for_timeout(300)
    point = page.evaluate(INTERIOR_POINT_JS, code)
    assert point is not None, f"region {code} is not drawn"
    page.mouse.move(point[0], point[1])
    page.wait_for_timeout(300)  # plotly picks the clicked location from its hover state
    page.mouse.click(point[0], point[1])


def assert_drawn_not_inverted(page, max_share: float) -> None:
    """Every region drawn and filled, none covering the map frame: a ring of the wrong
    orientation fills everything but itself, i.e. the whole frame. (One county may well span
    over half of its prefecture's frame: 新建区 does in 南昌市.)"""
    stats = page.evaluate(SHAPE_STATS_JS)
    assert stats["areas"] and min(stats["areas"]) > 0
    assert max(stats["areas"]) < max_share * stats["frameArea"]
    assert all(f not in ("none", "rgba(0, 0, 0, 0)") for f in stats["fills"])


def assert_no_exception(page) -> None:
    assert page.locator(EXCEPTION_BOX).count() == 0
    assert page.get_by_text("页面出错").count() == 0


def snap(page, path) -> None:
    """Screenshot with the map in view (Streamlit scrolls inside its own container, so a
    full-page shot would show only the top)."""
    maps = page.locator(PATHS)
    if maps.count():
        maps.first.scroll_into_view_if_needed()
        page.wait_for_timeout(300)
    page.screenshot(path=str(path))


def heading(page, text: str):
    return page.get_by_role("heading", name=text, exact=True)


def test_overview_map_drill_down_and_back(page, app_url, artifacts_dir):
    log = RequestLog(page, app_url)
    open_signed_in(page, app_url)
    heading(page, "全省总览").wait_for()
    prefectures = prefecture_codes()
    wait_for_regions(page, prefectures)
    assert page.locator(PATHS).count() == len(prefectures) == 11
    assert_drawn_not_inverted(page, 0.5)
    legend = page.evaluate(MAP_LEGEND_JS)
    assert "无数据" in legend and "季度探访率" in legend
    assert_no_exception(page)
    snap(page, artifacts_dir / "overview_province.png")

    # 省 → 市: click 南昌市, its counties replace the prefectures, the URL says so.
    click_map_region(page, NANCHANG)
    nanchang = county_codes(NANCHANG)
    assert len(nanchang) == 9
    wait_for_regions(page, nanchang)
    page.wait_for_function(f"() => location.search.includes('prefecture={NANCHANG}')")
    assert query(page)["prefecture"] == NANCHANG
    heading(page, "南昌市总览").wait_for()
    assert page.locator(PATHS).count() == 9
    assert_drawn_not_inverted(page, 0.9)
    assert_no_exception(page)
    snap(page, artifacts_dir / "overview_prefecture.png")

    # 市 → 县: click 新建区, the county page opens with the county's name.
    click_map_region(page, XINJIAN)
    page.wait_for_function(f"() => location.search.includes('county={XINJIAN}')")
    heading(page, "县区详情：新建区").wait_for()
    assert query(page)["county"] == XINJIAN
    assert page.get_by_text("江西省 › 南昌市 › 新建区").count() >= 1
    page.get_by_text("在册儿童").first.wait_for()
    assert_no_exception(page)
    snap(page, artifacts_dir / "county_page.png")

    # The breadcrumb goes back up: 南昌市 (a link), then 江西省 (a button on the overview).
    page.get_by_role("link", name="南昌市", exact=True).click()
    heading(page, "南昌市总览").wait_for()
    wait_for_regions(page, nanchang)
    assert query(page).get("prefecture") == NANCHANG and "county" not in query(page)
    page.get_by_role("button", name="江西省", exact=True).click()
    page.wait_for_function("() => !location.search.includes('prefecture=')")
    heading(page, "全省总览").wait_for()
    wait_for_regions(page, prefectures)
    assert_no_exception(page)

    assert any(url.endswith("/app/static/world_110m.json") for url in log.urls)
    assert log.foreign() == [], log.foreign()


def test_shared_links_and_foreign_codes(page, app_url):
    log = RequestLog(page, app_url)
    # A bookmarked drilled view opens directly, with its metric and level.
    open_signed_in(page, f"{app_url}/?prefecture={NANCHANG}&metric=home_coverage")
    heading(page, "南昌市总览").wait_for()
    wait_for_regions(page, county_codes(NANCHANG))
    legend = page.evaluate(MAP_LEGEND_JS)
    assert "儿童之家覆盖率" in legend
    # A code of another province (广州市) is refused politely: the province view.
    open_signed_in(page, f"{app_url}/?prefecture=440100")
    page.get_by_text("链接中的设区市代码 440100 不属于本省，已忽略。").wait_for()
    wait_for_regions(page, prefecture_codes())
    assert "prefecture" not in query(page)
    assert_no_exception(page)
    # The county page refuses one too.
    open_signed_in(page, f"{app_url}/county?county=440106")
    page.get_by_text("链接中的区县代码 440106 不属于本省，已忽略。").wait_for()
    assert_no_exception(page)
    assert log.foreign() == [], log.foreign()


def test_three_d_tab_draws_offline(page, app_url, artifacts_dir):
    log = RequestLog(page, app_url)
    open_signed_in(page, f"{app_url}/?level=county")
    wait_for_regions(page, county_codes())
    page.get_by_role("tab", name="三维").click()
    canvas = page.locator('[data-testid="stDeckGlJsonChart"] canvas').first
    canvas.wait_for(timeout=45_000)
    canvas.scroll_into_view_if_needed()
    assert_canvas_drawn(canvas, artifacts_dir / "overview_deck_3d.png")
    assert_no_exception(page)
    assert log.foreign() == [], log.foreign()


# KPI values whose text is wider than its box (Streamlit cuts them with "…").
CUT_VALUES_JS = """() => [...document.querySelectorAll('[data-testid="stMetricValue"]')]
    .filter(v => [v, ...v.querySelectorAll('*')].some(e => e.scrollWidth > e.clientWidth + 1))
    .map(v => v.textContent)"""


def test_every_kpi_value_shows_whole_on_a_laptop_screen(page, app_url):
    """Five cards a row left a value about 130 px, and Streamlit's 36 px digits cut it:
    "399,42…" on the province demo at 1400 px, "100.0…" and "19.5…" here at 1200 px. The
    value's size follows its card now (components/kpi.py)."""
    for width in (1200, 1400):
        page.set_viewport_size({"width": width, "height": 1000})
        open_signed_in(page, app_url)
        heading(page, "全省总览").wait_for()
        page.locator('[data-testid="stMetricValue"]').first.wait_for()
        page.wait_for_timeout(500)
        assert page.locator('[data-testid="stMetricValue"]').count() == 15
        assert page.evaluate(CUT_VALUES_JS) == [], width
