"""Entry point: page config, database check, sign-in (components/signin.py), the signed-in
user's scope, global filters, navigation by role (the page table, components/nav.py).

Run with `streamlit run app.py`. The database URL comes from `REPORTING_DB_URL`, else
`.streamlit/secrets.toml` `[connections.reporting] url`, else the demo SQLite file.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import streamlit as st
from sqlalchemy.exc import SQLAlchemyError

from components import auth, chrome_zh, db, nav, print_css, signin, supervise, watermark
from components.format import fmt_date, fmt_period
from data.config import REPO_ROOT, database_url
from queries.regions import ScopeError

APP_TITLE = "儿童关爱服务体系监测"
PERIOD_KEY = "period"
log = logging.getLogger(__name__)

st.set_page_config(
    page_title=APP_TITLE, page_icon=str(REPO_ROOT / "assets" / "favicon.png"), layout="wide"
)


def current_scope() -> str:
    """Region code the signed-in user may see: their account's region in app_users (admin
    and province users: the province), re-read from the database on every run; never from
    the URL or session state. ScopeError when nobody is signed in."""
    user = auth.current_user(database_url())
    if user is None:
        raise ScopeError("not signed in")
    return user.scope


def sign_in_and_stop(url: str, meta: db.Meta) -> None:
    """Nobody is signed in: the sign-in form, then stop. The views are handed to a hidden
    navigation without being run, so a deep link (/county?county=…) keeps its page and query
    string through the sign-in and opens once signed in."""
    sections = nav.navigation(None)
    nav.follow_return(sections, st.navigation(sections, position="hidden"), db.RETURN_KEY)
    st.title(APP_TITLE)
    if meta.is_demo:
        st.badge("演示数据", color="orange")
    signin.sign_in_form(url, meta.is_demo)
    st.stop()


def change_password_and_stop(url: str, meta: db.Meta, user: auth.AuthUser) -> None:
    """A generated or reset password: the change form before anything else, the deep link
    kept as at the sign-in."""
    st.navigation(nav.navigation(None), position="hidden")
    st.title(APP_TITLE)
    if meta.is_demo:
        st.badge("演示数据", color="orange")
    signin.password_change_form(url, user)
    signin.sidebar(url, user, user.scope)
    st.stop()


def stop_with(message: str, title: str = "数据暂时无法显示") -> None:
    """Show a short Chinese message on an otherwise empty page and stop this run. A hidden
    one-page navigation keeps Streamlit from listing the pages/ directory on its own."""

    def page() -> None:
        st.title(APP_TITLE)
        st.warning(f"**{title}**\n\n{message}", icon=":material/warning:")

    st.navigation([st.Page(page, title=title, url_path="notice")], position="hidden").run()
    st.stop()


def choose_period(periods: list[str]) -> str:
    """Sidebar month selector; the choice lives in session state and in the URL (?period=)."""
    if st.session_state.get(PERIOD_KEY) not in periods:
        asked = st.query_params.get(PERIOD_KEY)
        st.session_state[PERIOD_KEY] = asked if asked in periods else periods[0]
    period = st.sidebar.selectbox("统计月份", periods, format_func=fmt_period, key=PERIOD_KEY)
    st.query_params[PERIOD_KEY] = period
    return period


def sidebar_header(meta: db.Meta) -> None:
    st.sidebar.markdown(f"### {APP_TITLE}")
    if meta.is_demo:
        st.sidebar.badge(
            "演示数据", color="orange", help="本系统当前载入的是程序生成的演示数据，不是真实统计。"
        )


def run_page(page: st.Page, on_error: Callable[[str, str], None]) -> None:
    """Run the page; database trouble or an out-of-scope request becomes a Chinese message."""
    try:
        page.run()
    except ScopeError:
        on_error("您无权查看该地区的数据。请从左侧导航重新进入。", "无权访问")
    except SQLAlchemyError:
        log.exception("database error while rendering %s", page.title)
        on_error(
            "读取数据库时出错，可能是数据库服务中断或正在刷新数据。请稍后刷新页面；"
            "若问题持续，请联系系统管理员。",
            "数据库读取失败",
        )
    except Exception:  # a bug: log it, show Chinese, never a traceback or English
        log.exception("error while rendering %s", page.title)
        on_error("页面显示时出现错误，已记录到服务器日志。请刷新页面或联系系统管理员。", "页面出错")


def main() -> None:
    chrome_zh.inject()  # Streamlit's own controls in Chinese, signed in or not (issue 18.2)
    url = database_url()
    status = db.database_status(url)
    if not status.ok:
        stop_with(status.message)
    try:
        meta = db.meta(url)
        if meta.is_demo:
            signin.ensure_demo_accounts(url)  # once per process; passwords go to the console
        user = auth.current_user(url)
        signin.cookie_handoff()
        if user is None:
            sign_in_and_stop(url, meta)
        if user.must_change_password:
            change_password_and_stop(url, meta, user)
        scope = current_scope()
        place = db.region_path(url, scope)
        periods = db.periods(url, scope)
    except SQLAlchemyError:
        log.exception("database error before navigation")
        stop_with("读取数据库时出错，可能是数据库服务中断或正在刷新数据。请稍后刷新页面。")
    sidebar_header(meta)
    signin.sidebar(url, user, place[-1]["name"] if place else scope)
    if not periods:
        stop_with(
            f"数据库中没有地区 {scope} 的指标汇总。请运行 `python -m data.rollup` 重新生成汇总；"
            "若地区不对，请联系系统管理员核对您账号的所属地区。"
        )
    period = choose_period(periods)
    if meta.data_date:
        st.sidebar.caption(f"数据日期：{fmt_date(meta.data_date)}")
    db.set_context(db.AppContext(url, scope, period, tuple(periods), meta))
    print_css.inject()  # every view prints cleanly to A4
    watermark.inject(user, url)  # the signed-in user's mark over every page
    sections = nav.navigation(user.role, supervise.nav_counts(url, user, scope, period))
    page = st.navigation(sections, expanded=True)  # never "View N more" (issue 18.2)
    nav.follow_return(sections, page, db.RETURN_KEY)
    signin.guard_page(user, nav.row_of(page, user.role))  # the guard from the page's row
    run_page(page, lambda msg, title: st.error(f"**{title}**\n\n{msg}", icon=":material/warning:"))


main()
