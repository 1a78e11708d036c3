"""The Streamlit edge of the database: cached query wrappers behind the scope guard, the
database health check and the app context pages read. The one cached Engine per URL is
`engine_for` (components/engine.py, re-exported here for the pages).

Engines cannot be hashed, so every cached function takes the URL (plus scope and period) as
plain arguments and resolves the engine inside (DESIGN.md §8). Each wrapper also passes a
data version read from `app_meta` (re-read every 30 s), so a rollup refresh that updates
app_meta shows up without restarting the app.
"""

from __future__ import annotations

import hashlib
import importlib
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pandas as pd
import streamlit as st
from sqlalchemy import inspect, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from streamlit.errors import StreamlitAPIException

from components import auth
from components.engine import engine_for
from data.config import is_default_demo_url
from data.db import current_revision, head_revision, read_meta
from data.schema import kpi_snapshots
from queries import indicators, regions

DATA_TTL = 3600  # seconds; the data version below invalidates sooner after a refresh
META_TTL = 30


@st.cache_resource(show_spinner=False)
def _head() -> str:
    return head_revision()


# ---------------------------------------------------------------- health check


@dataclass(frozen=True)
class DbStatus:
    """Whether the app can show data; when not, what happened and what to do (Chinese)."""

    ok: bool
    problem: str = ""  # missing, unreachable, empty, old_schema, new_schema, no_snapshots
    message: str = ""
    meta: dict = field(default_factory=dict)


def _safe_url(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # an unparsable URL must not leak into the page as a traceback
        return "（无法解析的地址）"


def _sqlite_path(url: str) -> Path | None:
    u = make_url(url)
    if not u.drivername.startswith("sqlite") or not u.database or u.database == ":memory:":
        return None
    return Path(u.database)


SQLITE_HEADER = b"SQLite format 3\x00"
SQLITE_CORRUPT = ("file is not a database", "malformed", "disk image")


def _corrupt(path: Path, demo_hint: str) -> DbStatus:
    return DbStatus(
        False,
        "corrupt",
        f"数据库文件 {path} 已损坏或不是 SQLite 数据库，无法读取。请从备份恢复该文件；"
        f"演示环境可删除该文件后重新生成。{demo_hint}",
    )


def _sqlite_file_trouble(path: Path, demo_hint: str) -> DbStatus | None:
    """A SQLite file the app cannot use, told apart from "cannot connect": not a database
    (a damaged or wrong file), or read-only (the app writes sign-in sessions and the audit
    log, and SQLite writes its journal beside the file, so the folder must be writable too)."""
    try:
        with path.open("rb") as f:
            head = f.read(len(SQLITE_HEADER))
    except OSError:
        return DbStatus(False, "read_only", f"无法读取数据库文件 {path}：请检查文件权限。")
    if head and head != SQLITE_HEADER:
        return _corrupt(path, demo_hint)
    if not os.access(path, os.W_OK) or not os.access(path.parent, os.W_OK):
        return DbStatus(
            False,
            "read_only",
            f"数据库文件 {path} 或其所在目录是只读的。看板需要写入登录会话和审计日志，"
            "请让运行看板的系统账号对该文件及其目录有写权限后刷新本页。",
        )
    return None


class _NotReady(Exception):
    def __init__(self, problem: str, message: str):
        super().__init__(problem)
        self.problem, self.message = problem, message


def check_database(url: str) -> DbStatus:
    """Uncached health check: file present, server reachable, schema at the current Alembic
    head, snapshots present. Returns a DbStatus instead of raising."""
    where = "" if is_default_demo_url(url) else f" --url '{_safe_url(url)}'"
    demo_hint = (
        "请在项目目录运行 `make run`（首次运行会自动生成演示数据），"
        f"或运行 `python -m data.demo{where}` 生成演示数据。"
    )
    try:
        sqlite_path = _sqlite_path(url)
    except Exception:
        return DbStatus(
            False,
            "unreachable",
            f"数据库地址无法解析：{_safe_url(url)}。请检查 REPORTING_DB_URL 或 .streamlit/secrets.toml。",
        )
    if sqlite_path is not None and not sqlite_path.exists():
        return DbStatus(False, "missing", f"未找到数据库文件 {sqlite_path}。{demo_hint}")
    if sqlite_path is not None:
        trouble = _sqlite_file_trouble(sqlite_path, demo_hint)
        if trouble is not None:
            return trouble
    try:
        engine = engine_for(url)
        with engine.connect() as conn:
            tables = set(inspect(conn).get_table_names())
        if not tables:
            return DbStatus(False, "empty", f"数据库是空的，还没有建表。{demo_hint}")
        revision, head = current_revision(engine), _head()
        if revision is None:
            return DbStatus(
                False,
                "old_schema",
                "数据库结构没有版本记录，可能是旧版本建的库。请运行 `make run`（会自动升级数据库结构），"
                "或用 `python -m data.demo` 重新生成演示数据。",
            )
        if revision != head:
            known = revision in _known_revisions()
            return DbStatus(
                False,
                "old_schema" if known else "new_schema",
                (
                    f"数据库结构版本过旧（{revision}，当前程序需要 {head}）。请运行 `make run`，启动前会自动升级数据库结构。"
                    if known
                    else f"数据库结构版本（{revision}）比当前程序新。请更新程序后再打开。"
                ),
            )
        with engine.connect() as conn:
            has_rows = conn.execute(select(kpi_snapshots.c.period).limit(1)).first() is not None
        if not has_rows:
            return DbStatus(
                False,
                "no_snapshots",
                f"数据库中还没有指标汇总数据。请运行 `python -m data.rollup{where}` 生成汇总后刷新本页"
                "（`make run` 会自动完成）。",
            )
        return DbStatus(True, meta=read_meta(engine))
    except SQLAlchemyError as exc:
        if sqlite_path is not None and any(m in str(exc).lower() for m in SQLITE_CORRUPT):
            return _corrupt(sqlite_path, demo_hint)
        return DbStatus(
            False,
            "unreachable",
            f"无法连接数据库（{_safe_url(url)}）。请确认数据库服务已启动，"
            "并检查 REPORTING_DB_URL 或 .streamlit/secrets.toml 中的连接地址。",
        )


@st.cache_resource(show_spinner=False)
def _known_revisions() -> frozenset[str]:
    from alembic.script import ScriptDirectory

    from data.db import alembic_config

    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    return frozenset(r.revision for r in script.walk_revisions())


@st.cache_data(ttl=META_TTL, show_spinner=False)
def _healthy(url: str) -> dict:
    """Cached only when healthy: a failure raises, and exceptions are never cached, so a user
    who fixes the database and reloads sees the data at once."""
    status = check_database(url)
    if not status.ok:
        raise _NotReady(status.problem, status.message)
    return status.meta


def database_status(url: str) -> DbStatus:
    """Health check for the page edge (healthy results cached for 30 s)."""
    try:
        return DbStatus(True, meta=_healthy(url))
    except _NotReady as e:
        return DbStatus(False, e.problem, e.message)


# ---------------------------------------------------------------- app_meta


@dataclass(frozen=True)
class Meta:
    """Facts about the loaded data shown on every page."""

    is_demo: bool
    data_date: str | None  # 'YYYY-MM-DD' when the loader/demo recorded it
    version: str  # changes whenever app_meta changes (rollup refresh)


def meta(url: str) -> Meta:
    """The `app_meta` flags (demo=1 → 演示数据 badge; data_date/as_of)."""
    values = _meta_values(url)
    demo = str(values.get("demo", "")).strip().lower() in ("1", "true", "yes")
    data_date = values.get("data_date") or values.get("as_of") or None
    raw = repr((sorted(values.items()), _file_identity(url))).encode()
    digest = hashlib.sha1(raw, usedforsecurity=False).hexdigest()[:12]  # a cache key, not a MAC
    return Meta(demo, data_date, digest)


def _file_identity(url: str) -> tuple[int, int] | None:
    """A SQLite file's device and inode: a file replaced (the demo rebuilt and moved into
    place, a backup restored) is a new inode, so every cached figure keyed by the version is
    dropped at once, not served from the old file for up to DATA_TTL (issue 19)."""
    try:
        path = _sqlite_path(url)
        if path is None:
            return None
        stat = path.stat()
    except (OSError, ValueError):
        return None
    return stat.st_dev, stat.st_ino


@st.cache_data(ttl=META_TTL, show_spinner=False)
def _meta_values(url: str) -> dict[str, str]:
    return read_meta(engine_for(url))


def _v(url: str) -> str:
    return meta(url).version


# ---------------------------------------------------------------- scope guard


def _guard(url: str, code: str | None) -> None:
    """Refuse (ScopeError) a region outside the signed-in user's scope before any cached
    figure is read or returned: pages pass the scope on, but the edge checks it again, so a
    page bug or a forged value cannot reach another area's figures, cached or not."""
    if code is None:
        return
    user = auth.current_user(url)
    if user is None:
        raise regions.ScopeError("not signed in")
    if not isinstance(code, str):
        raise regions.ScopeError(f"region {code!r} is not a region code")
    chain = {p["code"] for p in _path(url, code, _v(url))}
    # A code the database does not hold has no rows anywhere (every table's region column is
    # a foreign key to regions), so it is let through: the overview draws such a region of
    # the province grey as "无数据" and the pages judge it by the boundary tree.
    if chain and user.scope not in chain:
        raise regions.ScopeError(f"region {code!r} is outside scope {user.scope}")


def _audit_records(url: str, fn: Callable[..., Any], args: tuple, kwargs: dict) -> None:
    """A query that returns individual records (queries.audit.RECORD_QUERIES) is a view of
    them: audited once per browser session, list, scope, period and filter."""
    from queries.audit import RECORD_QUERIES

    label = RECORD_QUERIES.get(f"{fn.__module__}.{fn.__name__}")
    if label is None:
        return
    parts = [label, *(str(a) for a in args), *(f"{k}={v}" for k, v in sorted(kwargs.items()))]
    auth.audit_view(url, " · ".join(parts))


# ---------------------------------------------------------------- cached queries


@st.cache_data(ttl=DATA_TTL, show_spinner=False, max_entries=2048)
def _cached_call(module: str, name: str, url: str, version: str, args: tuple, kwargs: tuple) -> Any:
    fn = getattr(importlib.import_module(module), name)
    return fn(engine_for(url), *args, **dict(kwargs))


def query(fn: Callable[..., Any], url: str, *args: Any, **kwargs: Any) -> Any:
    """Run a `queries/` function `fn(engine, scope, period, ...)` through the data cache.

    The key is the function, the URL, the data version and every argument, so the user's
    scope and the period are always part of it: no session receives another scope's figures.
    The scope (first argument) must lie inside the signed-in user's (ScopeError otherwise).
    """
    _guard(url, args[0] if args else None)
    _audit_records(url, fn, args, kwargs)
    return _cached_call(
        fn.__module__, fn.__name__, url, _v(url), tuple(args), tuple(sorted(kwargs.items()))
    )


def prefill(module: str, name: str, url: str, args: tuple, kwargs: tuple) -> Any:
    """Fill the data cache for a call no user has made yet (components/warmup.py, at server
    start), under the key `query` gives the same call. Neither guard nor audit: nobody is
    served here, and a user reaches the result only through `query`, which checks their
    scope and records what they saw."""
    return _cached_call(module, name, url, _v(url), args, kwargs)


def periods(url: str, scope: str) -> list[str]:
    """Available periods for the scope, newest first."""
    return query(indicators.periods, url, scope)


def kpis(url: str, scope: str, period: str, region: str | None = None) -> pd.DataFrame:
    """Cached `queries.indicators.kpis`."""
    return query(indicators.kpis, url, scope, period, region)


def region_table(url: str, scope: str, period: str, level: str) -> pd.DataFrame:
    """Cached `queries.indicators.region_table`."""
    return query(indicators.region_table, url, scope, period, level)


def metric_by_region(url: str, scope: str, period: str, metric: str, level: str) -> pd.DataFrame:
    """Cached `queries.indicators.metric_by_region`."""
    return query(indicators.metric_by_region, url, scope, period, metric, level)


def trend(
    url: str,
    scope: str,
    metrics: Sequence[str],
    region: str | None = None,
    last_n: int = 12,
    until: str | None = None,
) -> pd.DataFrame:
    """Cached `queries.indicators.trend`."""
    return query(indicators.trend, url, scope, tuple(metrics), region, last_n, until)


@st.cache_data(ttl=DATA_TTL, show_spinner=False, max_entries=256)
def _path(url: str, code: str, version: str) -> list[dict]:
    return regions.path(engine_for(url), code)


def region_path(url: str, code: str) -> list[dict]:
    """Cached breadcrumb chain (province › prefecture › county) of a region inside the
    signed-in user's scope."""
    _guard(url, code)
    return _path(url, code, _v(url))


@st.cache_data(ttl=DATA_TTL, show_spinner=False, max_entries=256)
def _region(url: str, code: str, scope: str, version: str) -> dict | None:
    return regions.region(engine_for(url), code, scope)


def region(url: str, code: str, scope: str) -> dict | None:
    """Cached `queries.regions.region` (ScopeError outside the scope)."""
    _guard(url, scope)
    return _region(url, code, scope, _v(url))


def clear_caches() -> None:
    """Forget cached data (after an import or a rollup run in this process)."""
    st.cache_data.clear()


# ---------------------------------------------------------------- app context


@dataclass(frozen=True)
class AppContext:
    """What every page needs: where the data is, whose scope, which month."""

    url: str
    scope: str
    period: str
    periods: tuple[str, ...]
    meta: Meta


CONTEXT_KEY = "_app_context"
RETURN_KEY = "goto"  # the page a hand-over to app.py should end on (its url_path)
ENTRYPOINT = "app.py"


def set_context(ctx: AppContext) -> None:
    st.session_state[CONTEXT_KEY] = ctx


def get_context() -> AppContext:
    """The context app.py set on this run; pages read scope and period from here only.

    Without one, the page is running on its own: on the first request after a server start
    to a page URL (/overview), Streamlit still treats the pages/ folder the pre-st.navigation
    way and runs the page file without app.py. Hand over to app.py, keeping the URL's
    filters and, in RETURN_KEY, the page asked for: app.py opens it once its navigation is
    set (components/nav.follow_return), so a bookmark opened first after a restart still
    lands on its page. Its st.navigation call ends that mode for the whole process.

    The context is trusted only for a signed-in user whose scope contains ctx.scope: one
    written into session state by anything but app.py (a forged or stale context) sends the
    run back to app.py, which signs in and sets the real one."""
    ctx = st.session_state.get(CONTEXT_KEY)
    if not isinstance(ctx, AppContext) or not _context_allowed(ctx):
        asked = asked_page()
        wanted = {RETURN_KEY: asked} if asked else {}
        try:
            st.switch_page(ENTRYPOINT, query_params={**st.query_params.to_dict(), **wanted})
        except StreamlitAPIException:  # app.py is not a page here (a page run as the entry)
            st.stop()
    return ctx


def asked_page() -> str | None:
    """The last path segment of the URL this session was opened with ("homes"), if any."""
    try:
        path = urlsplit(st.context.url or "").path
    except Exception:  # no request behind this run (AppTest)
        return None
    return path.rstrip("/").rsplit("/", 1)[-1] or None


def _context_allowed(ctx: AppContext) -> bool:
    try:
        _guard(ctx.url, ctx.scope)
    except regions.ScopeError:
        return False
    return True
