"""县区详情 in headless Chromium, on a database of the whole province (every county, thinned
below: tests/test_county_view.py): clicking a county on the overview's county map opens its
detail view, from any prefecture; the breadcrumb goes back to the county map; a 预警 entry
links to the region's view; the print layout hides the sidebar and prints the whole page.

The harness (server, browser, map clicks) is test_overview_browser.py's and
test_map_browser.py's; this file adds the sign-in the app now asks for.
"""

from __future__ import annotations

import re

import pytest

from tests.browser.test_county_user_browser import wait_until_idle
from tests.browser.test_map_browser import PATHS, county_codes, query, wait_for_regions
from tests.browser.test_overview_browser import assert_no_exception, click_map_region, heading
from tests.test_county_view import COUNTY_NAMES, build_thin_province

# One county of each of four prefectures, spread over the province.
CLICKED = ("360730", "361102", "360881", "360402")
SECTIONS = ("乡镇、村缺口", "在办个案", "工作人员名册")


@pytest.fixture(scope="module")
def app(streamlit_app, tmp_path_factory) -> dict:
    """The dashboard on a thin province database, and a province account to sign in with."""
    from tests.apptest import ensure_user, password_of

    url = build_thin_province(tmp_path_factory.mktemp("county_click") / "thin.db")
    user = ensure_user(url)
    base = streamlit_app("server.py", env={"REPORTING_DB_URL": url, "PROVINCE_CODE": "360000"})
    return {"url": base, "user": user, "password": password_of(url, user)}


def sign_in(page, app: dict, path: str = "/") -> None:
    """Open `path` and sign in through the form (the deep link survives the sign-in)."""
    page.goto(app["url"] + path)
    page.get_by_label("用户名").fill(app["user"])
    page.get_by_label("密码").fill(app["password"])
    page.get_by_role("button", name="登录").click()
    page.get_by_label("用户名").wait_for(state="detached")


def wait_for_county_view(page, code: str) -> None:
    page.wait_for_function(f"() => location.search.includes('county={code}')")
    heading(page, f"县区详情：{COUNTY_NAMES[code]}").wait_for()
    for section in SECTIONS:
        heading(page, section).wait_for()
    assert query(page)["county"] == code
    assert_no_exception(page)


def test_clicking_counties_on_the_overview_map(page, app, artifacts_dir):
    sign_in(page, app, "/?level=county")
    heading(page, "全省总览").wait_for()
    everything = county_codes()
    assert len(everything) == 100
    for i, code in enumerate(CLICKED):
        wait_for_regions(page, everything)
        click_map_region(page, code)
        wait_for_county_view(page, code)
        if i == 0:
            # the gap sections are computed when opened: opening one draws its cards
            page.get_by_text("乡镇（街道）缺口", exact=True).click()
            page.get_by_text("无督导员的乡镇").wait_for()
            assert_no_exception(page)
            page.screenshot(path=str(artifacts_dir / "county_view.png"))
        # back up: the province crumb returns to the overview's county map
        page.get_by_role("link", name="江西省", exact=True).click()
        heading(page, "全省总览").wait_for()
        page.wait_for_function("() => !location.search.includes('county=')")
        assert query(page).get("level") == "county"


def test_alert_links_open_the_region(page, app):
    sign_in(page, app, "/alerts")
    page.get_by_role("heading", name="预警", level=1).wait_for()
    page.get_by_text("有预警的县（市、区）").wait_for()
    # The list may be drawn twice on arrival (sign-in, then the period in the URL): read it
    # only when the run is over, and click the entry that was read, not whichever is first.
    wait_until_idle(page)
    # a county entry reads "n. 县名（市名）"; open the first one
    entry = page.get_by_role("link", name=re.compile(r"^\d+\. .+（.+市）$")).first
    label = re.search(r"\d+\. .+（.+市）", entry.inner_text()).group()  # without the icon
    name = re.search(r"\d+\. (.+)（", label).group(1)
    page.get_by_role("link", name=label, exact=True).click()
    heading(page, f"县区详情：{name}").wait_for()
    assert "county" in query(page)
    assert_no_exception(page)


def test_print_layout(page, app, artifacts_dir):
    code = CLICKED[0]
    sign_in(page, app, f"/county?county={code}")
    wait_for_county_view(page, code)
    page.get_by_text("打印版式").click()  # static tables: every row prints
    page.locator('[data-testid="stTable"]').first.wait_for()
    page.frame_locator("iframe").first.get_by_role("button", name="🖨️ 打印本页").wait_for()
    crumbs = page.locator(".st-key-crumbs")
    assert crumbs.is_visible()
    page.emulate_media(media="print")
    sidebar = page.locator('[data-testid="stSidebar"]')
    assert sidebar.evaluate("e => getComputedStyle(e).display") == "none"
    assert not crumbs.is_visible() and not page.locator("iframe").first.is_visible()
    assert (
        page.locator('[data-testid="stSelectbox"]').first.evaluate(
            "e => getComputedStyle(e).display"
        )
        == "none"
    )
    pdf = page.pdf(path=str(artifacts_dir / "county_print.pdf"), format="A4")
    pages = len(re.findall(rb"/Type\s*/Page[^s]", pdf))
    assert pages >= 2  # the whole page, not only the first screen
    assert page.locator(PATHS).count() == 0  # the county view draws no map
