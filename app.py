"""Entry point: page config, database check, scope, global filters, navigation.

Run with `streamlit run app.py`. The database URL comes from `REPORTING_DB_URL`, else
`.streamlit/secrets.toml` `[connections.reporting] url`, else the demo SQLite file.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import streamlit as st
from sqlalchemy.exc import SQLAlchemyError

from components import db
from components.format import fmt_date, fmt_period
from data.config import database_url, province_code
from queries.regions import ScopeError

APP_TITLE = "儿童关爱服务体系监测"
PERIOD_KEY = "period"
log = logging.getLogger(__name__)

st.set_page_config(page_title=APP_TITLE, page_icon="🧒", layout="wide")


def current_scope() -> str:
    """Region code the user may see. Until sign-in exists: the whole province (the sign-in
    issue replaces this with the signed-in user's region)."""
    return province_code()


def build_pages(role: str | None = None) -> list[st.Page]:
    """Pages the user may open. Pages a role may not use are left out entirely (hidden pages
    stay reachable by URL, DESIGN.md §8)."""
    return [
        st.Page("pages/overview.py", title="全省总览", icon="📊", url_path="overview", default=True)
    ]


def stop_with(message: str, title: str = "数据暂时无法显示") -> None:
    """Show a short Chinese message on an otherwise empty page and stop this run. A hidden
    one-page navigation keeps Streamlit from listing the pages/ directory on its own."""

    def page() -> None:
        st.title(APP_TITLE)
        st.warning(f"**{title}**\n\n{message}", icon="⚠️")

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
    url = database_url()
    status = db.database_status(url)
    if not status.ok:
        stop_with(status.message)
    scope = current_scope()
    try:
        meta = db.meta(url)
        periods = db.periods(url, scope)
    except SQLAlchemyError:
        log.exception("database error before navigation")
        stop_with("读取数据库时出错，可能是数据库服务中断或正在刷新数据。请稍后刷新页面。")
    if not periods:
        stop_with(
            f"数据库中没有地区 {scope} 的指标汇总。请检查 PROVINCE_CODE 设置，"
            "或运行 `python -m data.rollup` 重新生成汇总。"
        )
    sidebar_header(meta)
    period = choose_period(periods)
    if meta.data_date:
        st.sidebar.caption(f"数据日期：{fmt_date(meta.data_date)}")
    db.set_context(db.AppContext(url, scope, period, tuple(periods), meta))
    page = st.navigation(build_pages())
    run_page(page, lambda msg, title: st.error(f"**{title}**\n\n{msg}", icon="⚠️"))


main()
