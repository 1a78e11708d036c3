"""Warm the province-level caches when the server starts (issue 18.5).

After a restart every first visit paid for Python imports and cold queries: the first loads
took 7.9–11 s on a busy machine (队伍建设 slowest, its raw-table panels) and the sign-in to
the overview 5–7 s. server.py starts `warm_in_background` from its lifespan: a daemon
thread imports what the pages import and runs, into the data cache (components/db), every
query the views run for a province user at the newest month (`province_calls`), so the
first leader to sign in finds them ready. `make bench` measures a server's first sign-in
and first page loads with and without it (bench/first_load.py).

The list is data, not a copy of the pages' logic: tests/test_warmup.py opens each page in
`WARMED_PAGES` as a province user and fails, naming the calls, when a page runs a query
the list lacks or the list holds one no page runs. The county page opens on the county with
the largest gap, which depends on the data: its province-level calls are here, not the
county's own.

Nothing here serves anyone: a cached result reaches a user only through `db.query`, which
checks the user's scope first and writes the audit entry of what they saw.
"""

from __future__ import annotations

import ast
import contextlib
import importlib
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from components import db
from data.config import REPO_ROOT, province_code

log = logging.getLogger(__name__)

WARMED_PAGES = (
    "pages/overview.py",
    "pages/homes.py",
    "pages/staffing.py",
    "pages/interventions.py",
    "pages/institutions.py",
    "pages/rankings.py",
    "pages/alerts.py",
    "pages/briefing.py",
    "pages/presentation.py",
)

Call = tuple[str, str, tuple, tuple]  # module, function, positional args, sorted kwargs

# Lists the pages draw behind a lazy tab (components/views.py lazy_tabs): not run when the page
# opens, only when their tab is picked; warmed all the same, so that picking one is instant
# (the province's staff roster costs 0.5 s). (module, function) -> (page, tab key, tab).
BEHIND_TABS: dict[tuple[str, str], tuple[str, str, str]] = {
    ("queries.homes", "villages_without_home"): (
        "pages/homes.py",
        "homes_gap_tab",
        "尚无儿童之家的村",
    ),
    ("queries.homes", "uncovered_townships"): (
        "pages/homes.py",
        "homes_gap_tab",
        "尚无儿童之家的村",
    ),
    ("queries.staffing", "village_vacancies"): (
        "pages/staffing.py",
        "staff_gap_tab",
        "村儿童主任空缺",
    ),
    ("queries.staffing", "certification_violations"): (
        "pages/staffing.py",
        "staff_gap_tab",
        "未持证上岗",
    ),
    ("queries.records", "staff_roster"): ("pages/staffing.py", "staff_gap_tab", "在岗人员花名册"),
}


def province_calls(scope: str, period: str, before: str | None, meta: db.Meta) -> list[Call]:
    """The cached queries (`db.query` keys) the pages of WARMED_PAGES run for a user of
    `scope` at `period` opening each page as it opens (and each of its lazy tabs: the calls
    of BEHIND_TABS), `before` the month before."""
    p, m = scope, period
    trends = (
        (("home_coverage", "director_coverage", "visit_rate_90d", "trained_12m"), p),
        (("open_cases", "overdue_cases"), p),
        (("home_coverage",), None),
        (("demo_homes",), None),
        (("supervisor_coverage", "director_coverage", "female_director_share"), None),
        (("certified_rate", "trained_12m", "registered_rate", "dedicated_share"), None),
        (("open_cases", "overdue_cases"), None),
        (("referral_timely", "visit_rate_90d", "care_coverage"), None),
        (("case_closure_days",), None),
    )
    whole = (("region", None),)  # the whole scope, no region chosen
    calls: list[Call] = [
        ("queries.indicators", "periods", (p,), ()),
        ("queries.indicators", "kpis", (p, m, p), ()),
        ("queries.indicators", "kpis", (p, m, None), ()),
        ("queries.indicators", "region_table", (p, m, "prefecture"), ()),
        ("queries.indicators", "region_table", (p, m, "county"), ()),
        ("queries.indicators", "metric_by_region", (p, m, "visit_rate_90d", "prefecture"), ()),
        *(
            ("queries.indicators", "metric_by_region", (p, m, metric, "county"), ())
            for metric in ("home_coverage", "director_coverage", "overdue_cases", "purchase_yuan")
        ),
        *(("queries.indicators", "trend", (p, codes, r, 12, m), ()) for codes, r in trends),
        # 儿童之家
        ("queries.homes", "homes_by_region", (p, m, "county"), ()),
        ("queries.homes", "activities_by_kind", (p, m), ()),
        ("queries.homes", "paper_homes", (p, m), whole),
        ("queries.homes", "villages_without_home", (p, m), whole),
        ("queries.homes", "uncovered_townships", (p, m), whole),
        # 队伍建设
        ("queries.staffing", "staffing_by_region", (p, m, "county"), ()),
        ("queries.staffing", "turnover", (p, m), ()),
        ("queries.staffing", "township_vacancies", (p, m), whole),
        ("queries.staffing", "village_vacancies", (p, m), whole),
        ("queries.staffing", "certification_violations", (p, m), whole),
        ("queries.records", "staff_roster", (p, m), (("region", None), ("role", None))),
        # 个案与关爱
        ("queries.interventions", "case_pipeline", (p, m), ()),
        ("queries.interventions", "case_sources", (p, m), ()),
        ("queries.interventions", "open_cases_by_area", (p, m, "county"), ()),
        ("queries.interventions", "open_case_ageing", (p, m), ()),
        ("queries.referrals", "referral_figures", (p, m), ()),
        ("queries.referrals", "closure_figures", (p, m), ()),
        ("queries.care", "care_actions_by_area", (p, m, "county"), ()),
        ("queries.records", "case_list", (p, m), (("overdue_only", True), ("region", None))),
        ("queries.records", "shows_case_detail", (p, False), ()),
        # 机构与保障
        ("queries.institutions", "protection_centers_by_county", (p, m), ()),
        ("queries.institutions", "institution_summary", (p, m), ()),
        ("queries.institutions", "institutions_list", (p, m), ()),
        ("queries.institutions", "purchases_by_year", (p, m), ()),
        ("queries.institutions", "purchases_by_item", (p, m), ()),
        ("queries.institutions", "purchases_by_area", (p, m), ()),
        # 预警, 红黑榜, 会议简报, 汇报模式
        ("queries.alerts", "metric_alerts", (p, m), ()),
        ("queries.alerts", "region_alerts", (p, m), ()),
        ("components.deck", "build_deck", (p, m), meta_kwargs(meta)),
    ]
    if before is not None:
        calls += [
            ("queries.rankings", "ranking", (p, m, "composite", "county"), (("compare", before),)),
            ("queries.briefing", "build_briefing", (p, m, before), ()),
        ]
    return calls


def meta_kwargs(meta: db.Meta) -> tuple:
    """The deck's keyword arguments from the database's metadata, as pages/presentation.py
    passes them (sorted, as db.query keys them)."""
    return (("data_date", meta.data_date), ("is_demo", meta.is_demo))


def page_imports() -> list[str]:
    """The modules app.py and the pages import (read from their source: a page file itself
    cannot be imported, it draws the page)."""
    names: dict[str, None] = {}
    for path in [REPO_ROOT / "app.py", *sorted((REPO_ROOT / "pages").glob("*.py"))]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names.update((a.name, None) for a in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names[node.module] = None
                names.update((f"{node.module}.{a.name}", None) for a in node.names)
    return list(names)


@dataclass(frozen=True)
class WarmReport:
    imports_s: float
    queries_s: float
    queries: int
    failed: int


def warm(url: str, scope: str | None = None) -> WarmReport:
    """Import what the pages import, then fill the data cache with `province_calls` for
    `scope` (default the province) at the newest month. A failing call is logged and
    skipped: the page runs it again when asked, and says what went wrong then."""
    started = time.perf_counter()
    for name in page_imports():
        with contextlib.suppress(ImportError):  # `from x import f`: x itself is imported
            importlib.import_module(name)
    imported = time.perf_counter()
    scope = scope or province_code()
    meta = db.meta(url)
    months = db.prefill("queries.indicators", "periods", url, (scope,), ())
    failed = 0
    calls = (
        province_calls(scope, months[0], months[1] if len(months) > 1 else None, meta)
        if months
        else []
    )
    for module, name, args, kwargs in calls:
        try:
            db.prefill(module, name, url, args, kwargs)
        except Exception:  # a warm-up never stops the server
            failed += 1
            log.exception("warm-up of %s.%s failed", module, name)
    return WarmReport(
        imported - started, time.perf_counter() - imported, len(calls) - failed, failed
    )


def warm_in_background(url: str, done: Callable[[WarmReport], None] | None = None) -> None:
    """`warm(url)` in a daemon thread (the server answers meanwhile); prints its timings."""

    def run() -> None:
        try:
            report = warm(url)
        except Exception:  # e.g. the database is not there yet
            log.exception("cache warm-up failed")
            return
        print(  # to the server console, as the demo passwords are (bench/first_load.py reads it)
            f"[warm-up] done: imports {report.imports_s:.1f} s, {report.queries} queries "
            f"{report.queries_s:.1f} s ({report.failed} failed)",
            flush=True,
        )
        if done is not None:
            done(report)

    threading.Thread(target=run, name="cache-warm-up", daemon=True).start()
