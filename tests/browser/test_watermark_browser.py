"""The watermark (issue 15, components/watermark.py) in headless Chromium on the real app
(`streamlit run server.py`, tiny demo database): signed out, no mark; signed in, a fixed overlay
covers the whole window with the account, region, role and date, faint, not selectable and
not hit by the pointer — a click on the overview's map still drills down, the navigation
still opens pages, and in 汇报模式 (the projector layout) 下一页 still turns the slide. In
print media the screen overlay gives way to the print stylesheet's copy. Screenshots at
1920×1080 (overview with the map) and 1280×720 (汇报模式) go to artifacts/ for a look.
"""

from __future__ import annotations

from urllib.parse import unquote

import pytest

from data import accounts
from data.db import make_engine
from tests.browser.test_county_user_browser import sign_in_browser, wait_until_idle
from tests.browser.test_map_browser import PATHS, county_codes, prefecture_codes, wait_for_regions
from tests.browser.test_overview_browser import assert_no_exception, click_map_region, heading
from tests.fixtures.demo import tiny_sqlite_url

NANCHANG = "360100"
USERNAME = "wm_user"
OVERLAY = ".dash-watermark"
# The overlay's computed style and box, and what lies under the centre of the map.
OVERLAY_JS = """(sel) => {
    const el = document.querySelector(sel);
    if (!el) return null;
    const s = getComputedStyle(el), r = el.getBoundingClientRect();
    const wrapper = el.closest('[data-testid="stElementContainer"]');
    return {position: s.position, pointerEvents: s.pointerEvents, userSelect: s.userSelect,
            opacity: parseFloat(s.opacity), zIndex: parseInt(s.zIndex, 10),
            background: s.backgroundImage, display: s.display,
            wrapper: wrapper ? getComputedStyle(wrapper).display : null,
            box: [r.left, r.top, r.width, r.height], w: innerWidth, h: innerHeight};
}"""
HIT_UNDER_MAP_JS = f"""() => {{
    const plot = document.querySelector('{PATHS}').closest('.js-plotly-plot');
    const r = plot.getBoundingClientRect();
    const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
    if (!hit) return null;
    if (hit.closest('{OVERLAY}')) return 'overlay';
    return plot.contains(hit) ? 'map' : hit.tagName;
}}"""
PRINT_MARK_JS = "() => getComputedStyle(document.body, '::after').backgroundImage"


@pytest.fixture(scope="module")
def app(streamlit_app, tmp_path_factory) -> tuple[str, str]:
    """The app on a tiny demo database with a province account; (app URL, password)."""
    url = tiny_sqlite_url(tmp_path_factory, "watermark_browser")
    engine = make_engine(url)
    password = accounts.add_user(engine, USERNAME, "province", must_change_password=False)
    engine.dispose()
    return streamlit_app(
        "server.py", env={"REPORTING_DB_URL": url, "PROVINCE_CODE": "360000"}
    ), password


def new_page(browser, width: int, height: int):
    context = browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(30_000)
    return context, page


def assert_overlay(page) -> str:
    """The overlay covers the window, faint, out of the pointer's and the selection's way;
    returns the text its tile says."""
    o = page.evaluate(OVERLAY_JS, OVERLAY)
    assert o is not None, "no watermark overlay on the signed-in page"
    assert o["position"] == "fixed" and o["pointerEvents"] == "none"
    assert o["userSelect"] == "none" and 0.06 <= o["opacity"] <= 0.10
    assert o["zIndex"] >= 1000  # over charts and maps
    assert o["box"] == [0, 0, o["w"], o["h"]]
    assert o["background"].startswith('url("data:image/svg+xml')
    assert o["wrapper"] == "contents"  # its Streamlit block adds no gap to the page
    return unquote(o["background"])


def test_overlay_over_the_overview_and_clicks_pass_through(browser, app, artifacts_dir):
    base, password = app
    context, page = new_page(browser, 1920, 1080)
    try:
        page.goto(base)
        page.get_by_label("用户名").wait_for()
        assert page.locator(OVERLAY).count() == 0  # signed out: nothing to mark

        sign_in_browser(page, USERNAME, password)
        heading(page, "全省总览").wait_for()
        wait_for_regions(page, prefecture_codes())
        wait_until_idle(page)
        assert_no_exception(page)
        tile = assert_overlay(page)
        assert f"{USERNAME} · 江西省 · 省级用户 · 20" in tile
        page.locator(PATHS).first.scroll_into_view_if_needed()
        page.wait_for_timeout(300)
        page.screenshot(path=str(artifacts_dir / "watermark_overview_1920x1080.png"))
        assert page.evaluate(HIT_UNDER_MAP_JS) == "map"  # the pointer reaches the map

        click_map_region(page, NANCHANG)  # 省 → 市 through the overlay
        wait_for_regions(page, county_codes(NANCHANG))
        wait_until_idle(page)
        assert page.locator(OVERLAY).count() == 1

        page.emulate_media(media="print")
        assert page.evaluate(OVERLAY_JS, OVERLAY)["display"] == "none"
        assert f"{USERNAME} · 江西省" in unquote(page.evaluate(PRINT_MARK_JS))
        page.emulate_media(media="screen")

        page.get_by_role("link", name="预警").first.click()  # the navigation still works
        page.wait_for_url("**/alerts*")
        wait_until_idle(page)
        assert_no_exception(page)
        assert_overlay(page)
    finally:
        context.close()


def test_overlay_on_the_projector_layout(browser, app, artifacts_dir):
    base, password = app
    context, page = new_page(browser, 1280, 720)
    try:
        page.goto(f"{base}/presentation")
        page.get_by_label("用户名").fill(USERNAME)  # 汇报模式 hides the sidebar and its 退出登录
        page.get_by_label("密码").fill(password)
        page.get_by_role("button", name="登录").click()
        page.get_by_label("用户名").wait_for(state="detached")
        wait_until_idle(page)
        if page.locator(".deck-title").count() == 0:  # the first request lands on the overview
            page.get_by_role("link", name="汇报模式").click()
        page.locator(".deck-title").wait_for()
        wait_until_idle(page)
        assert_no_exception(page)
        assert f"{USERNAME} · 江西省" in assert_overlay(page)
        for slide in (2, 3):  # the map, then the ranking bars: each a click through the overlay
            page.get_by_role("button", name="下一页").click()
            page.wait_for_function(f"() => location.search.includes('slide={slide}')")
            page.locator(".js-plotly-plot").first.wait_for()
            wait_until_idle(page)
            page.locator(".deck-title").scroll_into_view_if_needed()
            page.wait_for_timeout(300)
            page.screenshot(path=str(artifacts_dir / f"watermark_slide{slide}_1280x720.png"))
        assert_overlay(page)
    finally:
        context.close()
