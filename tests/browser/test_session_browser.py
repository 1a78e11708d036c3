"""Signed in once, safe everywhere (issue 15), in headless Chromium against the served app
(`streamlit run server.py`, st.App with the cookie routes) on a tiny demo database: a deep
link opened signed out lands on its page after sign-in; the cookie is HttpOnly and SameSite;
a reload and a new tab stay signed in; a fresh browser context is signed out; a sign-out
signs out the other tab at its reload; a disabled user's open tab is signed out at its next
rerun; a download's /media URL answers no other browser.
"""

from __future__ import annotations

import pytest

from components.session import COOKIE_NAME
from data import accounts, sessions
from data.db import make_engine
from tests.browser.test_county_user_browser import wait_until_idle
from tests.fixtures.demo import tiny_sqlite_url

PASSWORD = "Browser-Session-42"


@pytest.fixture(scope="module")
def app(streamlit_app, tmp_path_factory):
    url = tiny_sqlite_url(tmp_path_factory, "session_browser")
    engine = make_engine(url)
    for name in ("session_user", "session_victim"):
        accounts.add_user(engine, name, "province", None, PASSWORD, must_change_password=False)
    base = streamlit_app("server.py", env={"REPORTING_DB_URL": url, "PROVINCE_CODE": "360000"})
    yield base, engine
    engine.dispose()


def sign_in_form(page):
    return page.get_by_label("用户名")


def h1(page) -> list[str]:
    return page.locator("h1").all_inner_texts()


def open_signed_out(page, address: str) -> None:
    page.goto(address)
    sign_in_form(page).wait_for()
    wait_until_idle(page)


def sign_in(page, username: str) -> None:
    sign_in_form(page).fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_function("() => document.body.textContent.includes('退出登录')")
    wait_until_idle(page)


def wait_for_cookie(context) -> dict:
    for _ in range(40):
        found = [c for c in context.cookies() if c["name"] == COOKIE_NAME]
        if found:
            return found[0]
        context.pages[0].wait_for_timeout(250)
    raise AssertionError("the sign-in cookie never arrived")


def test_a_sign_in_survives_reloads_tabs_and_deep_links(browser, app):
    base, engine = app  # the server's first request: a bookmark still lands on its page
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(30_000)
    open_signed_out(page, f"{base}/homes?period=2026-09")
    sign_in(page, "session_user")
    assert h1(page) == ["儿童之家"] and "/homes" in page.url and "period=2026-09" in page.url

    cookie = wait_for_cookie(context)
    assert cookie["httpOnly"] is True and cookie["sameSite"] in ("Lax", "Strict")
    assert cookie["path"] == "/" and cookie["value"] not in page.content()
    assert sessions.by_token(engine, cookie["value"]).username == "session_user"

    page.reload()
    page.locator("h1", has_text="儿童之家").wait_for()
    wait_until_idle(page)
    assert sign_in_form(page).count() == 0

    other = context.new_page()
    other.goto(f"{base}/staffing")
    other.locator("h1", has_text="队伍建设").wait_for()
    assert sign_in_form(other).count() == 0

    with page.expect_download() as info:
        page.get_by_role("button", name="下载 Excel").first.click()
    media = info.value.url
    assert "/media/" in media

    stranger = browser.new_context()
    elsewhere = stranger.new_page()
    open_signed_out(elsewhere, f"{base}/staffing")
    assert "队伍建设" not in h1(elsewhere)
    # a download's URL gives another browser nothing: refused while the file is held (the
    # guard, tests/test_sessions.py), gone once the one-shot download was served
    fetched = stranger.request.get(media)
    assert fetched.status in (403, 404) and not fetched.body().startswith(b"PK")
    stranger.close()

    page.get_by_role("button", name="退出登录").click()
    sign_in_form(page).wait_for()
    other.reload()
    sign_in_form(other).wait_for()
    wait_until_idle(other)
    assert "队伍建设" not in h1(other)
    context.close()


def test_a_disabled_users_open_tab_is_signed_out_at_its_next_rerun(browser, app):
    base, engine = app
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(30_000)
    open_signed_out(page, f"{base}/homes")
    sign_in(page, "session_victim")
    accounts.set_active(engine, "session_victim", False)
    try:
        page.get_by_role("link", name="队伍建设").click()  # any rerun
        sign_in_form(page).wait_for()
        assert page.get_by_text("已停用").count() >= 1
    finally:
        accounts.set_active(engine, "session_victim", True)
        context.close()
