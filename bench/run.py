"""`make bench`: the `province` and `xl` demo databases (xl = 10× the records over the same
regions) on SQLite and on PostgreSQL: rollup refresh, every query of the overview, every
page's server-side render (AppTest, cold and warm cache) with the queries it runs, the map
payload, and the overview computed the naive way (pandas over the raw tables) as a ratio.

Writes docs/benchmark.md. Budgets (issues 9, 16): at `province` every page warm < 1 s, cold
< 3 s and cold ≤ 3× the overview's; at `xl` no page more than 1.2× slower than at
`province`. PostgreSQL runs when
BENCH_POSTGRES_URL or TEST_POSTGRES_URL names a reachable server (an admin URL: the bench
creates its own databases there); otherwise it is skipped with a note.

Modules: `dbs` (databases, builds, rollup), `pages` (AppTest timings, per-query log),
`naive` (the pandas yardstick), `first_load` (a server's first sign-in and page loads in
chromium, with and without the start-up warm-up), `county_sweep` (县区详情 of all 100
counties, the sweep `make test` samples), `import_refresh` (a 10,000-row ledger import and
the incremental refresh after it), `report` (the Markdown); this one runs them in order.
"""

from __future__ import annotations

import argparse
import os
import pickle
import platform
import subprocess
from datetime import UTC, datetime

from sqlalchemy import Engine

from bench import county_sweep, dbs, first_load, import_refresh, naive
from bench.pages import page_times, timed
from bench.report import (
    COLD_BUDGET_S,
    NOISE_S,
    OVERVIEW_RATIO_BUDGET,
    WARM_BUDGET_S,
    XL_RATIO_BUDGET,
    Run,
    render,
)
from data.config import REPO_ROOT
from data.db import make_engine

REPORT = REPO_ROOT / "docs" / "benchmark.md"
NOTES = REPO_ROOT / "bench" / "notes.md"
SAVED = dbs.CACHE.with_name("bench_runs.pickle")
SCALES = ("province", "xl")


def query_times(engine: Engine, scope: str) -> list[tuple[str, float]]:
    """Median time of each query the overview runs, called directly (no Streamlit)."""
    from queries import drilldown, indicators

    period = indicators.periods(engine, scope)[0]
    county = indicators.region_table(engine, scope, period, "county").iloc[0]["code"]
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
        "drilldown.unit_indicators(county→townships)": lambda: drilldown.unit_indicators(
            engine, scope, period, county
        ),
    }
    return [(name, timed(fn)) for name, fn in calls.items()]


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


def measure(
    backend: str, scale: str, admin_url: str | None, scope: str, args: argparse.Namespace
) -> Run:
    """Build or reuse the database, then time rollup, queries, pages and the naive path."""
    url, built_now = dbs.ensure_demo(backend, scale, admin_url)
    engine = make_engine(url)
    dbs.prepare(engine)
    key = dbs.db_key(backend, scale, url)
    where = str(engine.url.database)
    where = os.path.relpath(where, REPO_ROOT) if backend == "sqlite" else where
    print(f"[bench] {backend} {scale}: {where}", flush=True)
    # A full refresh at xl takes minutes: time it once per build (the build itself does) and
    # reuse that figure unless asked to re-time it.
    reuse = args.reuse_rollup or built_now or (scale == "xl" and not args.retime_rollup)
    rollup_s = dbs.recalled("rollup", key) if reuse else None
    note = ""
    if rollup_s is None:
        rollup_s = dbs.rollup_time(engine)
        dbs.remember("rollup", key, rollup_s)
        print(f"[bench]   rollup refresh {rollup_s:.1f} s", flush=True)
    else:
        note = (
            " (timed when this database was built or by an earlier bench run on the same "
            "build, not re-run)"
        )
    run = Run(
        backend=backend,
        scale=scale,
        where=where,
        counts=dbs.row_counts(engine),
        size=dbs.size_bytes(engine),
        build_s=dbs.recalled("build", key),
        built_now=built_now,
        rollup_s=rollup_s,
        rollup_note=note,
        queries=query_times(engine, scope),
        pages=[],
    )
    print("[bench]   overview queries done", flush=True)
    if not args.skip_naive:
        from queries import indicators

        period = indicators.periods(engine, scope)[0]
        try:
            run.naive = naive.overview(engine, period)
            print(f"[bench]   naive overview {run.naive.total_s:.1f} s", flush=True)
        except MemoryError as exc:  # xl on a small machine: report it, keep going
            run.naive_error = f"out of memory: {exc}"
    engine.dispose()
    only = tuple(t.strip() for t in args.pages.split(",")) if args.pages else ()
    run.pages = page_times(url, only)
    for p in run.pages:
        print(f"[bench]   {p.title}: cold {p.cold:.2f} s, warm {p.warm:.2f} s", flush=True)
    return run


def browser_first_load() -> list[str]:
    """bench/first_load.py on the province SQLite database, or a line saying why not."""
    if not first_load.CHROMIUM.exists():
        return [f"Not measured: {first_load.CHROMIUM} is missing (make browser)."]
    url, _built = dbs.ensure_demo("sqlite", "province", None)
    print("[bench] first loads after a server start (chromium)", flush=True)
    return first_load.table(first_load.measure(url))


def commit() -> str:
    """The code measured: BENCH_COMMIT (a run from a snapshot) or git's HEAD, + if dirty."""
    if os.environ.get("BENCH_COMMIT"):
        return os.environ["BENCH_COMMIT"]
    try:
        git = ["git", "-C", str(REPO_ROOT)]
        head = subprocess.run([*git, "rev-parse", "--short", "HEAD"], capture_output=True)  # noqa: S603
        dirty = subprocess.run([*git, "status", "--porcelain"], capture_output=True)  # noqa: S603
        return head.stdout.decode().strip() + (" + local changes" if dirty.stdout else "")
    except OSError:
        return "unknown"


def header(size: int, build: float, backends_note: str) -> list[str]:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            cpu = next(ln.split(":", 1)[1].strip() for ln in fh if ln.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return [
        "# Benchmark",
        "",
        f"`make bench` run on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {platform.node()}: "
        f"{os.cpu_count()} cores ({cpu}), Python {platform.python_version()}, "
        f"{platform.system()} {platform.release()}; code at commit {commit()}. {backends_note}",
        "",
        f"Budgets (issues 9, 16): at `province` scale every page renders warm in < "
        f"{WARM_BUDGET_S:g} s and cold in < {COLD_BUDGET_S:g} s and at most "
        f"{OVERVIEW_RATIO_BUDGET:g}× the overview's cold render (server-side AppTest render, "
        "signed in); at `xl` "
        f"(10× the records over the same regions) no page is more than {XL_RATIO_BUDGET:g}× "
        "slower than at `province`, cold or warm: the cost must grow with the regions shown, "
        f"not the records (a difference under {NOISE_S:g} s counts as noise, whatever its "
        "ratio). Cold = median of three renders, each with Streamlit's data cache emptied "
        "(st.cache_resource — engines, map geometry — stays warm, as on a running server); "
        "warm = median of three reruns; the queries listed per page are those of the first "
        "cold render.",
        "",
        f"Map payload: the county choropleth figure is {size / 1024:.0f} KB, built in "
        f"{build * 1000:.0f} ms (geometry cached).",
        "",
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run")
    parser.add_argument("--scale", default="both", choices=[*SCALES, "both"])
    parser.add_argument("--backend", default="both", choices=["sqlite", "postgresql", "both"])
    parser.add_argument("--pages", default="", help="comma-separated page titles (default all)")
    parser.add_argument("--skip-naive", action="store_true", help="leave out the naive overview")
    parser.add_argument(
        "--reuse-rollup",
        action="store_true",
        help="report the rollup refresh time measured earlier on the same build (all scales)",
    )
    parser.add_argument(
        "--retime-rollup",
        action="store_true",
        help="time the rollup refresh at xl again even when this build's time is known",
    )
    parser.add_argument(
        "--render-only",
        action="store_true",
        help="rewrite the report from the last run's saved figures (after editing notes.md)",
    )
    parser.add_argument(
        "--skip-browser",
        action="store_true",
        help="leave out the first loads after a server start in chromium (bench/first_load.py)",
    )
    parser.add_argument(
        "--skip-sweep",
        action="store_true",
        help="leave out the 县区详情 sweep of all 100 counties (bench/county_sweep.py)",
    )
    parser.add_argument(
        "--skip-import",
        action="store_true",
        help="leave out the 10,000-row ledger import and its refresh (bench/import_refresh.py)",
    )
    parser.add_argument("--out", default=str(REPORT), help="report file (default: docs/...)")
    args = parser.parse_args(argv)
    scope = os.environ.get("PROVINCE_CODE", "360000")
    scales = SCALES if args.scale == "both" else (args.scale,)
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    admin_url = os.environ.get("BENCH_POSTGRES_URL") or os.environ.get("TEST_POSTGRES_URL")
    note = "SQLite and PostgreSQL."
    if "postgresql" in backends and not args.render_only:
        why = "no BENCH_POSTGRES_URL set" if not admin_url else dbs.pg_reachable(admin_url)
        if why:
            backends.remove("postgresql")
            note = f"PostgreSQL skipped: {why}."
            print(f"[bench] {note}")
    elif backends == ["sqlite"]:
        note = "SQLite only (--backend sqlite)."
    if not backends:
        print("[bench] nothing to run")
        return 1
    first: list[str] = []
    sweep: list[str] = []
    imports: list[str] = []
    if args.render_only:
        with open(SAVED, "rb") as fh:
            head, runs, first, *rest = pickle.load(fh)  # noqa: S301 - our own file, below
        sweep = rest[0] if rest else []
        imports = rest[1] if len(rest) > 1 else []
    else:
        size, build = map_payload()
        head = header(size, build, note)
        runs = []
        for backend in backends:
            for scale in scales:
                runs.append(measure(backend, scale, admin_url, scope, args))
                with open(SAVED, "wb") as fh:  # --render-only rewrites the report from these
                    pickle.dump((head, runs, first), fh)
        if "sqlite" in backends and "province" in scales and not args.skip_browser:
            first = browser_first_load()
            with open(SAVED, "wb") as fh:
                pickle.dump((head, runs, first), fh)
        if not args.skip_sweep:
            print("[bench] 县区详情 of all 100 counties (tests/test_county_view.py)", flush=True)
            sweep = county_sweep.run()
            with open(SAVED, "wb") as fh:
                pickle.dump((head, runs, first, sweep), fh)
        if not args.skip_import and "province" in scales:
            print("[bench] a 10,000-row ledger import and its refresh", flush=True)
            results = [import_refresh.run(b, admin_url) for b in backends]
            imports = import_refresh.report_lines(results)
            with open(SAVED, "wb") as fh:
                pickle.dump((head, runs, first, sweep, imports), fh)
    notes = NOTES.read_text(encoding="utf-8") if NOTES.exists() else ""
    text = render(head, runs, notes, first, sweep, imports)
    out = os.path.abspath(args.out)
    os.makedirs(os.path.dirname(out), exist_ok=True)
    with open(out, "w", encoding="utf-8") as fh:
        fh.write(text)
    print(text)
    print(f"\n写入 {os.path.relpath(out, REPO_ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
