"""Benchmark: demo build, rollup refresh, every query of the overview, every page's
server-side render (AppTest, cold and warm cache), and the map payload, at `province` scale on
SQLite (and PostgreSQL when BENCH_POSTGRES_URL or TEST_POSTGRES_URL is set).

Writes docs/benchmark.md. Budgets (issue 9): every page warm < 1 s, cold < 3 s.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import Engine, func, select, text
from sqlalchemy.engine import make_url

from data.config import DEFAULT_SQLITE_PATH, REPO_ROOT
from data.db import make_engine, read_meta, upgrade
from data.schema import RAW_TABLES, kpi_snapshots

WARM_BUDGET_S, COLD_BUDGET_S = 1.0, 3.0
REPORT = REPO_ROOT / "docs" / "benchmark.md"
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


def timed(fn: Callable[[], object], repeat: int = 3) -> float:
    """Median wall time of `repeat` calls, in seconds."""
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def ensure_demo(url: str, scale: str) -> tuple[Engine, float | None]:
    """Reuse a built demo database of this scale, or build it; returns the build time."""
    from data.demo import build_demo

    engine = make_engine(url)
    if _has_schema(engine):
        upgrade(engine)
    meta = read_meta(engine) if _has_schema(engine) else {}
    if meta.get("scale") == scale and meta.get("demo") == "1":
        return engine, None
    t0 = time.perf_counter()
    build_demo(engine, scale, rollup=True, progress=lambda *_a, **_k: None)
    return engine, time.perf_counter() - t0


def _has_schema(engine: Engine) -> bool:
    with engine.connect() as conn:
        return engine.dialect.has_table(conn, "app_meta")


def row_counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {
            t.name: conn.execute(select(func.count()).select_from(t)).scalar_one()
            for t in (*RAW_TABLES, kpi_snapshots)
        }


def query_times(engine: Engine, scope: str) -> list[tuple[str, float]]:
    from queries import indicators

    period = indicators.periods(engine, scope)[0]
    calls = {
        "indicators.periods": lambda: indicators.periods(engine, scope),
        "indicators.kpis": lambda: indicators.kpis(engine, scope, period),
        "indicators.region_table(county)": lambda: indicators.region_table(
            engine, scope, period, "county"
        ),
        "indicators.metric_by_region(county)": lambda: indicators.metric_by_region(
            engine, scope, period, "visit_rate_90d", "county"
        ),
        "indicators.trend": lambda: indicators.trend(
            engine, scope, ("home_coverage", "visit_rate_90d"), until=period
        ),
    }
    try:
        from queries import drilldown

        county = indicators.region_table(engine, scope, period, "county").iloc[0]["code"]
        calls["drilldown.unit_indicators(county→townships)"] = lambda: drilldown.unit_indicators(
            engine, scope, period, county
        )
    except ImportError:
        pass
    return [(name, timed(fn)) for name, fn in calls.items()]


def page_times(url: str) -> list[tuple[str, float, float]]:
    """(page, cold, warm) server-side render times under AppTest, signed in beforehand (the
    sign-in itself is not timed): cold = first render with Streamlit's data cache emptied
    (st.cache_resource — engines, sessions, map geometry — stays warm, as on a running
    server), warm = the median of three reruns of the same page."""
    import pytest
    import streamlit as st

    from tests.apptest import clear_streamlit_caches, ensure_user, pin_navigation_mode, run_app

    mp = pytest.MonkeyPatch()
    pin_navigation_mode(mp)
    out = []
    try:
        clear_streamlit_caches()
        for title, page, role, *params in PAGES:
            if not (REPO_ROOT / page).exists():
                continue
            at = run_app(url, user=ensure_user(url, role=role), timeout=120)
            st.cache_data.clear()
            at.switch_page(page)
            for name, value in (params[0] if params else {}).items():
                at.query_params[name] = value
            t0 = time.perf_counter()
            at.run(timeout=120)
            cold = time.perf_counter() - t0
            if at.exception:
                out.append((title + "（出错）", cold, float("nan")))
                continue
            warm = timed(lambda at=at: at.run(timeout=120), repeat=3)
            out.append((title, cold, warm))
    finally:
        mp.undo()
        clear_streamlit_caches()
    return out


def rollup_time(engine: Engine) -> float:
    from data.rollup import refresh

    t0 = time.perf_counter()
    refresh(engine)
    return time.perf_counter() - t0


def map_payload() -> tuple[int, float]:
    """Bytes of the county choropleth figure and the time to build it (warm geometry)."""
    import pandas as pd

    from components import maps
    from data.regions import real_units

    counties = [u for u in real_units("360000") if u.level == "county"]
    values = pd.DataFrame(
        {"code": [u.code for u in counties], "name": [u.name for u in counties], "value": 0.9}
    )
    t = timed(lambda: maps.choropleth(values, "county", "home_coverage", "360000"))
    fig = maps.choropleth(values, "county", "home_coverage", "360000")
    return maps.figure_payload_bytes(fig), t


def backend_section(label: str, url: str, scale: str, scope: str) -> list[str]:
    engine, build_s = ensure_demo(url, scale)
    lines = [f"### {label} · `{scale}`", ""]
    counts = row_counts(engine)
    lines.append(
        "Rows: "
        + ", ".join(f"{k} {v:,}" for k, v in counts.items() if v)
        + (f". Demo build (incl. rollup): {build_s:.1f} s." if build_s else ".")
    )
    lines += ["", f"Rollup refresh: **{rollup_time(engine):.1f} s**", ""]
    lines += ["| query | median s |", "|---|---|"]
    lines += [f"| {n} | {t:.3f} |" for n, t in query_times(engine, scope)]
    lines += ["", "| page (AppTest) | cold s | warm s | budget |", "|---|---|---|---|"]
    for title, cold, warm in page_times(url):
        ok = cold < COLD_BUDGET_S and warm < WARM_BUDGET_S
        lines.append(
            f"| {title} | {cold:.2f} | {warm:.2f} | {'达标 met' if ok else '未达标 MISSED'} |"
        )
    lines.append("")
    engine.dispose()
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run")
    parser.add_argument("--scale", default="province", choices=["tiny", "province", "xl"])
    args = parser.parse_args(argv)
    scope = os.environ.get("PROVINCE_CODE", "360000")
    sqlite_path = (
        DEFAULT_SQLITE_PATH
        if args.scale == "province"
        else DEFAULT_SQLITE_PATH.with_name(f"bench_{args.scale}.db")
    )
    lines = [
        "# Benchmark",
        "",
        f"`make bench` on {datetime.now():%Y-%m-%d %H:%M}, {platform.node()}: "
        f"{os.cpu_count()} cores, Python {platform.python_version()}. "
        f"Budgets: every page warm < {WARM_BUDGET_S:g} s and cold < {COLD_BUDGET_S:g} s "
        "(server-side AppTest render).",
        "",
    ]
    size, build = map_payload()
    lines += [
        f"Map: county choropleth figure {size / 1024:.0f} KB, built in {build * 1000:.0f} ms "
        "(geometry cached).",
        "",
    ]
    lines += backend_section("SQLite", f"sqlite:///{sqlite_path}", args.scale, scope)
    pg = os.environ.get("BENCH_POSTGRES_URL") or os.environ.get("TEST_POSTGRES_URL")
    if pg:
        bench_url = make_url(pg).set(drivername="postgresql+psycopg", database="dash_bench")
        admin = make_engine(pg).execution_options(isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            exists = conn.execute(
                text("SELECT 1 FROM pg_database WHERE datname = 'dash_bench'")
            ).first()
            if not exists:
                conn.execute(text('CREATE DATABASE "dash_bench"'))
        admin.dispose()
        lines += backend_section(
            "PostgreSQL", bench_url.render_as_string(hide_password=False), args.scale, scope
        )
    REPORT.parent.mkdir(exist_ok=True)
    REPORT.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))
    print(f"\n写入 {REPORT.relative_to(REPO_ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
