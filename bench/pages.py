"""Page render times under AppTest (cold and warm cache) and the queries each cold render runs.

During a page's cold render two clocks run. Every SQL statement any Engine executes is timed
with SQLAlchemy's cursor events (`cursor.execute`: on SQLite the statement up to its first row,
the whole of a grouped or sorted query; on PostgreSQL the complete result) and put down to the
outermost function of the `queries/` package on the call stack (the entry point a page or
component called, e.g. `indicators.region_table`), or, outside `queries/`, to the first
function of the app's own code (`data.db.read_meta` ...). And every function of the loaded
`queries.*` modules is wrapped for the render, so each outermost call's wall time (SQL,
fetching rows, shaping the DataFrame) is known too.
"""

from __future__ import annotations

import functools
import importlib
import inspect
import logging
import pkgutil
import statistics
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine, event

from data.config import REPO_ROOT

PAGES = (  # (title, page file, role that may open it[, query params])
    ("全省总览", "pages/overview.py", "province"),
    ("儿童之家", "pages/homes.py", "province"),
    ("队伍建设", "pages/staffing.py", "province"),
    ("个案与关爱", "pages/interventions.py", "province"),
    ("机构与保障", "pages/institutions.py", "province"),
    ("县区详情（宁都县）", "pages/county.py", "province", {"county": "360730"}),
    ("红黑榜", "pages/rankings.py", "province"),
    ("预警", "pages/alerts.py", "province"),
    ("会议简报", "pages/briefing.py", "province"),
    ("汇报模式", "pages/presentation.py", "province"),
    ("数据管理", "pages/data.py", "admin"),
)
OVERVIEW = "全省总览"
_QUERIES_DIR = str(REPO_ROOT / "queries") + "/"
_OWN_DIRS = tuple(str(REPO_ROOT / d) + "/" for d in ("components", "data", "pages"))
_APP = str(REPO_ROOT / "app.py")


def timed(fn: Callable[[], object], repeat: int = 3) -> float:
    """Median wall time of `repeat` calls, in seconds."""
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


@dataclass
class QueryStat:
    """One query function: statements run and their execute time, calls and wall time."""

    name: str
    calls: int = 0  # SQL statements
    seconds: float = 0.0  # their cursor.execute time
    runs: int = 0  # outermost calls of the function (0: not a wrapped queries function)
    wall: float = 0.0  # their wall time

    @property
    def cost(self) -> float:
        return max(self.seconds, self.wall)


@dataclass
class PageTiming:
    title: str
    cold: float
    warm: float
    error: str = ""
    queries: list[QueryStat] = field(default_factory=list)

    @property
    def sql_seconds(self) -> float:
        return sum(q.seconds for q in self.queries)

    @property
    def query_wall(self) -> float:
        return sum(q.wall for q in self.queries)


def _module_name(path: str) -> str:
    rel = Path(path).resolve().relative_to(REPO_ROOT).with_suffix("")
    parts = rel.parts[1:] if rel.parts[0] == "queries" else rel.parts
    return ".".join(parts)


def caller_name() -> str:
    """`module.function` of the outermost `queries/` frame on the stack, else of the first
    frame of the app's own code, else 'other'."""
    frame = sys._getframe(1)
    outermost_query, first_own = None, None
    while frame is not None:
        path = frame.f_code.co_filename
        if path.startswith(_QUERIES_DIR):
            outermost_query = frame
        elif first_own is None and (path.startswith(_OWN_DIRS) or path == _APP):
            first_own = frame
        frame = frame.f_back
    hit = outermost_query or first_own
    if hit is None:
        return "other"
    return f"{_module_name(hit.f_code.co_filename)}.{hit.f_code.co_name}"


class QueryLog:
    """Times every statement of every Engine and every outermost call of a `queries.*`
    function while active (a context manager)."""

    def __init__(self) -> None:
        self.stats: dict[str, QueryStat] = {}
        self._local = threading.local()
        self._lock = threading.Lock()
        self._patched: list[tuple[object, str, Callable]] = []

    def _stat(self, name: str) -> QueryStat:
        return self.stats.setdefault(name, QueryStat(name))

    def _before(self, conn, cursor, statement, parameters, context, executemany) -> None:
        self._local.t0 = time.perf_counter()

    def _after(self, conn, cursor, statement, parameters, context, executemany) -> None:
        elapsed = time.perf_counter() - getattr(self._local, "t0", time.perf_counter())
        name = caller_name()
        with self._lock:
            stat = self._stat(name)
            stat.calls += 1
            stat.seconds += elapsed

    def _wrap(self, name: str, fn: Callable) -> Callable:
        local = self._local

        @functools.wraps(fn)
        def clocked(*args, **kwargs):
            depth = getattr(local, "depth", 0)
            local.depth = depth + 1
            t0 = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                local.depth = depth
                if depth == 0:
                    with self._lock:
                        stat = self._stat(name)
                        stat.runs += 1
                        stat.wall += time.perf_counter() - t0

        return clocked

    def __enter__(self) -> QueryLog:
        import queries

        for info in pkgutil.walk_packages(queries.__path__, "queries."):
            importlib.import_module(info.name)  # a page may import its module only now
        for mod_name, mod in list(sys.modules.items()):
            if not mod_name.startswith("queries.") or mod is None:
                continue
            short = mod_name.removeprefix("queries.")
            for attr, fn in list(vars(mod).items()):
                if inspect.isfunction(fn) and fn.__module__ == mod_name:
                    self._patched.append((mod, attr, fn))
                    setattr(mod, attr, self._wrap(f"{short}.{attr}", fn))
        event.listen(Engine, "before_cursor_execute", self._before)
        event.listen(Engine, "after_cursor_execute", self._after)
        return self

    def __exit__(self, *exc) -> None:
        event.remove(Engine, "before_cursor_execute", self._before)
        event.remove(Engine, "after_cursor_execute", self._after)
        for mod, attr, fn in self._patched:
            setattr(mod, attr, fn)
        self._patched.clear()

    def top(self) -> list[QueryStat]:
        return sorted(self.stats.values(), key=lambda q: -q.cost)


class PageErrors(logging.Handler):
    """Collects the app's "error while rendering" log records: app.py turns a page's
    exception into a Chinese notice, so AppTest sees no exception at all."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.seen: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if "while rendering" in record.getMessage():
            exc = record.exc_info[1] if record.exc_info else None
            self.seen.append(f"{type(exc).__name__}: {exc}" if exc else record.getMessage())

    def first(self) -> str:
        return self.seen[0] if self.seen else ""

    def __enter__(self) -> PageErrors:
        logging.getLogger().addHandler(self)
        return self

    def __exit__(self, *exc) -> None:
        logging.getLogger().removeHandler(self)


COLD_RUNS = 3  # one cold render is one sample; on a shared VM single samples vary by ±0.3 s


def cold_run(at) -> float:
    """One render of the page with Streamlit's data cache emptied, in seconds."""
    import streamlit as st

    st.cache_data.clear()
    t0 = time.perf_counter()
    at.run(timeout=300)
    return time.perf_counter() - t0


def page_times(url: str, only: tuple[str, ...] = ()) -> list[PageTiming]:
    """Server-side render times under AppTest, signed in beforehand (the sign-in is not
    timed): cold = the median of COLD_RUNS renders each with Streamlit's data cache emptied
    (st.cache_resource — engines, sessions, map geometry — stays warm, as on a running
    server), warm = the median of three reruns of the same page. `only`: page titles to run
    (default: all)."""
    import pytest

    from tests.apptest import clear_streamlit_caches, ensure_user, pin_navigation_mode, run_app

    mp = pytest.MonkeyPatch()
    pin_navigation_mode(mp)
    out = []
    try:
        clear_streamlit_caches()
        for title, page, role, *params in PAGES:
            if not (REPO_ROOT / page).exists() or (only and title not in only):
                continue
            at = run_app(url, user=ensure_user(url, role=role), timeout=300)
            at.switch_page(page)
            for name, value in (params[0] if params else {}).items():
                at.query_params[name] = value
            with QueryLog() as log, PageErrors() as errors:
                colds = [cold_run(at)]  # the queries logged are this first render's
            if not (at.exception or errors.seen):
                colds += [cold_run(at) for _ in range(COLD_RUNS - 1)]
                warm = timed(lambda at=at: at.run(timeout=300), repeat=3)
            cold = statistics.median(colds)
            error = str(at.exception[0].message) if at.exception else errors.first()
            if error:
                out.append(PageTiming(title, cold, float("nan"), error[:200], log.top()))
            else:
                out.append(PageTiming(title, cold, warm, "", log.top()))
    finally:
        mp.undo()
        clear_streamlit_caches()
    return out
