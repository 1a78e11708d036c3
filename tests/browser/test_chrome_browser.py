"""Streamlit's own controls in Chinese (issue 18.2, components/chrome_zh.py), in headless
Chromium on the tiny demo: the table toolbar's tooltips and search box, a column's menu with
its 统计 and 数字格式 submenus, a page the role may not open and a URL no page answers, a
bookmarked administration page opened before the sign-in. Each state is checked over the
whole document (menus, tooltips and dialogs are drawn outside the main area), and fails on
any English word left.
"""

from __future__ import annotations

import pytest

from components import signin
from tests.browser import test_tour_browser as tour
from tests.browser.test_county_user_browser import sign_in_browser, wait_until_idle
from tests.browser.test_tour_browser import english_words, heading

tour_app = tour.tour_app  # the tour's fixture: its accounts, on a server of this module's own

DATAFRAME = '[data-testid="stDataFrame"]'
COLUMN_MENU = '[aria-label="列菜单"]'
HEADER_Y = 15  # px below a table's top: the middle of its header row


def no_english(page, state: str, usernames: set[str]) -> None:
    page.wait_for_timeout(400)  # menus and tooltips animate in
    english = english_words(page, usernames, "body")
    assert english == [], (state, english)
    assert page.get_by_text("Page not found").count() == 0, state


def open_column_menu(page, table, column_title: str) -> None:
    """Open the ⋮ menu of the header `column_title`: the header row is drawn on a canvas, so
    move along it until the menu opens (a click beside the ⋮ only sorts the column)."""
    box = table.bounding_box()
    headers = table.locator('[role="columnheader"]').all_inner_texts()
    assert column_title in headers, headers
    for dx in range(10, int(box["width"]), 8):
        page.mouse.move(box["x"] + dx, box["y"] + HEADER_Y)
        page.wait_for_timeout(60)
        page.mouse.click(box["x"] + dx, box["y"] + HEADER_Y)
        page.wait_for_timeout(250)
        menu = page.locator(COLUMN_MENU)
        if menu.count() and column_title in menu.inner_text():
            return
        if menu.count():
            page.keyboard.press("Escape")
    raise AssertionError(f"no column menu opened for {column_title}")


@pytest.fixture
def signed_in_page(browser, tour_app):
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(45_000)
    yield page
    context.close()


def test_table_toolbar_and_column_menu_speak_chinese(signed_in_page, tour_app):
    page, users = signed_in_page, {"tour_province"}
    page.goto(f"{tour_app['url']}/rankings")
    sign_in_browser(page, "tour_province", tour_app["passwords"]["tour_province"])
    heading(page, "红黑榜").wait_for()
    wait_until_idle(page)
    element = page.locator('[data-testid="stElementContainer"]').filter(has=page.locator(DATAFRAME))
    table = element.first.locator(DATAFRAME)
    table.scroll_into_view_if_needed()
    table.hover()
    buttons = element.first.locator('[data-testid="stElementToolbarButton"] >> visible=true')
    buttons.first.wait_for()
    labels = [b.get_attribute("aria-label") for b in buttons.locator("button").all()]
    assert labels == ["搜索", "全屏"], labels
    for button in buttons.all():
        table.hover()
        button.hover()
        no_english(page, f"tooltip {button.inner_text()!r}", users)
    buttons.first.click()  # the search box
    no_english(page, "search box", users)
    page.keyboard.press("Escape")

    # 全部县（市、区）排名: text, number and link columns
    table = page.locator(DATAFRAME).filter(has_text="市内名次")
    table.scroll_into_view_if_needed()
    open_column_menu(page, table, "县（市、区）")
    no_english(page, "column menu", users)
    page.locator(COLUMN_MENU).get_by_text("统计").hover()
    no_english(page, "统计 submenu", users)
    page.keyboard.press("Escape")
    page.mouse.click(5, 5)

    open_column_menu(page, table, "综合得分")
    page.locator(COLUMN_MENU).get_by_text("数字格式").hover()
    no_english(page, "数字格式 submenu", users)


def test_a_page_the_role_lacks_and_an_unknown_url_answer_in_chinese(signed_in_page, tour_app):
    page, users = signed_in_page, {"tour_county"}
    page.goto(f"{tour_app['url']}/users")
    sign_in_browser(page, "tour_county", tour_app["passwords"]["tour_county"])
    wait_until_idle(page)
    assert page.get_by_text("用户管理仅供系统管理员使用。").count() == 1
    assert page.get_by_text("无权访问").count() == 1
    no_english(page, "a county user at /users", users)

    page.goto(f"{tour_app['url']}/no-such-page")
    dialog = page.get_by_role("dialog")
    dialog.get_by_role("heading", name="页面不存在").wait_for()
    assert dialog.get_by_text("您要打开的页面不存在，已为您打开首页。").count() == 1
    no_english(page, "an unknown URL", users)


def test_a_bookmarked_admin_page_opens_after_the_sign_in(signed_in_page, tour_app):
    page = signed_in_page
    page.goto(f"{tour_app['url']}/audit")
    page.get_by_role("button", name="登录").wait_for()
    wait_until_idle(page)
    demo_accounts = {name for name, _role, _region in signin.DEMO_ACCOUNTS}  # named in a hint
    no_english(page, "the sign-in form at /audit", demo_accounts)
    sign_in_browser(page, "tour_admin", tour_app["passwords"]["tour_admin"])
    heading(page, "审计日志").wait_for()
    assert page.url.split("?")[0].endswith("/audit")
    no_english(page, "the audit log after the sign-in", {"tour_admin"})
