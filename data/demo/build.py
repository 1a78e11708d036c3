"""The demo build: runs the generators in order into one bulk load, then the rollup.

The order lives here and nowhere else: region-level tables first (staff before trainings,
homes before their activities), then children and what hangs off them county by county so
memory stays bounded at `xl`; ids of the child-level tables continue across counties.
Also the command line, `python -m data.demo`.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from datetime import UTC, date, datetime

import numpy as np
from sqlalchemy import Engine, Table

from data import schema as s
from data.db import make_engine, upgrade, write_meta
from data.demo.arrays import GO_LIVE
from data.demo.care import gen_care
from data.demo.cases import gen_cases, gen_referrals
from data.demo.children import gen_children, gen_visits
from data.demo.homes import gen_home_activities, gen_homes
from data.demo.institutions import gen_institutions, gen_purchases
from data.demo.staffing import gen_staff, gen_trainings
from data.demo.world import LAG_DIMENSIONS, SCALES, World, make_world, regions_columns
from data.demo.writer import BulkWriter

Progress = Callable[[str], object]
Columns = dict[str, np.ndarray]


def _public(columns: Columns) -> Columns:
    """The table's columns without the generator's helper arrays (named `_...`)."""
    return {k: v for k, v in columns.items() if not k.startswith("_")}


def build_demo(
    engine: Engine,
    scale: str = "province",
    seed: int = 2026,
    as_of: date = date(2026, 10, 31),
    rollup: bool = True,
    progress: Progress = print,
) -> dict[str, int]:
    """Create the schema, replace all its contents by synthetic demo data, refresh the rollup.

    Returns the number of rows written per table. Deterministic for a seed: the same seed,
    scale and as-of date give identical rows.
    """
    if scale not in SCALES:
        raise ValueError(f"scale must be one of {sorted(SCALES)}")
    if as_of < GO_LIVE:
        raise ValueError(f"as_of must be on or after {GO_LIVE.isoformat()}")
    t_all = time.perf_counter()
    upgrade(engine)
    world = make_world(scale, seed, as_of)
    progress(
        f"[demo] scale={scale} seed={seed} as_of={as_of.isoformat()}: "
        f"{len(world.county_code)} counties, {len(world.town_code)} townships, "
        f"{len(world.vill_code)} villages; lagging counties per dimension: "
        + ", ".join(f"{d} {int(world.lag[d].sum())}" for d in LAG_DIMENSIONS)
    )
    writer = BulkWriter(engine)
    try:
        writer.begin(s.RAW_TABLES)

        def step(name: str, table: Table, make: Callable[[], Columns]) -> Columns:
            """Generate one table, load it and report its rows and time."""
            t0 = time.perf_counter()
            columns = make()
            rows = writer.insert(table, _public(columns))
            progress(f"[demo] {name:<22}{rows:>12,} rows {time.perf_counter() - t0:7.1f} s")
            return columns

        step("regions", s.regions, lambda: regions_columns(world.tree))
        staff = step("staff", s.staff, lambda: gen_staff(world))
        step("trainings", s.trainings, lambda: gen_trainings(world, staff))
        homes = step("children_homes", s.children_homes, lambda: gen_homes(world))
        step("home_activities", s.home_activities, lambda: gen_home_activities(world, homes))
        step("institutions", s.institutions, lambda: gen_institutions(world))
        step("service_purchases", s.service_purchases, lambda: gen_purchases(world))
        _children_by_county(world, writer, progress)
        t0 = time.perf_counter()
        writer.finish()
        progress(f"[demo] {'indexes + commit':<22}{'':>12} {time.perf_counter() - t0:12.1f} s")
    finally:
        writer.close()
    counts = dict(writer.counts)
    meta = {
        "demo": "1",
        "scale": scale,
        "seed": str(seed),
        "as_of": as_of.isoformat(),
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    with engine.begin() as conn:
        write_meta(conn, meta)
    if rollup:
        t0 = time.perf_counter()
        from data.rollup import refresh  # written alongside; imported late on purpose

        stats = refresh(engine)
        rows = stats.get("rows", 0) if isinstance(stats, dict) else 0
        counts[s.kpi_snapshots.name] = rows
        progress(f"[demo] {'rollup refresh':<22}{rows:>12,} rows {time.perf_counter() - t0:7.1f} s")
    if engine.dialect.name == "sqlite":  # leave a self-contained file (Makefile moves it)
        with engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    progress(f"[demo] done: {sum(counts.values()):,} rows in {time.perf_counter() - t_all:.1f} s")
    return counts


_CHILD_TABLES = (s.children, s.visits, s.cases, s.referrals, s.care_actions)


def _children_by_county(world: World, writer: BulkWriter, progress: Progress) -> None:
    """Children and their visits, cases, referrals and care actions, county by county."""
    t0 = time.perf_counter()
    next_id = {t.name: 1 for t in _CHILD_TABLES}
    rows = {t.name: 0 for t in _CHILD_TABLES}
    n_c = len(world.county_code)
    report_every = max(1, n_c // 5)
    for ci in range(n_c):
        children = gen_children(world, ci, next_id["children"])
        parts = [(s.children, children)]
        parts.append((s.visits, gen_visits(world, ci, children, next_id["visits"])))
        cases = gen_cases(world, ci, children, next_id["cases"])
        parts.append((s.cases, cases))
        parts.append((s.referrals, gen_referrals(world, ci, cases, next_id["referrals"])))
        parts.append((s.care_actions, gen_care(world, ci, children, next_id["care_actions"])))
        for table, cols in parts:
            n = writer.insert(table, _public(cols))
            next_id[table.name] += n
            rows[table.name] += n
        if (ci + 1) % report_every == 0 or ci + 1 == n_c:
            progress(
                f"[demo] counties {ci + 1:>3}/{n_c}: "
                + ", ".join(f"{k} {v:,}" for k, v in rows.items())
                + f" ({time.perf_counter() - t0:.1f} s)"
            )


def main(argv: list[str] | None = None) -> int:
    """Command line: build the demo database at --url."""
    parser = argparse.ArgumentParser(
        description="生成演示数据库 (synthetic demo reporting database)"
    )
    parser.add_argument("--scale", choices=sorted(SCALES), default="province")
    parser.add_argument("--url", required=True, help="SQLAlchemy URL of the database to fill")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--as-of", type=date.fromisoformat, default=date(2026, 10, 31))
    parser.add_argument("--no-rollup", action="store_true", help="skip data.rollup.refresh")
    args = parser.parse_args(argv)
    engine = make_engine(args.url)
    try:
        build_demo(engine, args.scale, args.seed, args.as_of, rollup=not args.no_rollup)
    finally:
        engine.dispose()
    return 0
