"""Rollup refresh: recompute `kpi_snapshots` (DESIGN.md §4) for every province, prefecture and
county and every month from the first month with data to the latest.

Set-based: the indicator SQL of metric_engine/ runs once per metric family over all
months, at county level (every region at or under a county maps to it), into temp tables;
prefectures and provinces are then the sums of their counties' numerators and denominators
(every metric is additive that way: its records sit at county level or below, DESIGN.md §3).
The exception is purchase_yuan: a purchase may sit at a prefecture or province code and then
counts there and above only, so it is computed directly for all three levels. The panels of
metric_engine/panels.py (breakdowns of the thematic pages, issue 16) are written the same way
into `panel_counts`, for counties only: the pages sum a scope's counties. Delete and insert
happen in one transaction, so readers see the old snapshot or the new one.

CLI: python -m data.rollup [--url URL] [--since YYYY-MM] [--until YYYY-MM]
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime

from sqlalchemy import (
    Column,
    Connection,
    Date,
    Engine,
    Float,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    and_,
    case,
    func,
    literal,
    select,
    true,
    union_all,
)

from core.metrics import METRIC_CODES, window_column, window_lengths
from data import rollup_pending
from data.db import make_engine, write_meta
from data.schema import (
    CODE as CODE_TYPE,
)
from data.schema import (
    app_meta,
    care_actions,
    cases,
    children,
    children_homes,
    home_activities,
    kpi_snapshots,
    panel_counts,
    referrals,
    regions,
    staff,
    trainings,
    visits,
)
from metric_engine import (
    FAMILIES,
    Period,
    descendant_units,
    family_select,
    has_denominator,
    month_periods,
    parse_period,
    unpivot,
    value_expr,
    with_value,
)
from metric_engine.panels import PANELS, panel_long

Progress = Callable[[str], None]

# The start and event dates that define the months the rollup covers (brief: the first and
# the latest month with data).
EVENT_DATES = (
    children.c.registered_on,
    staff.c.appointed_on,
    children_homes.c.established_on,
    cases.c.received_on,
    care_actions.c.started_on,
    trainings.c.trained_on,
    visits.c.visited_on,
    home_activities.c.activity_on,
    referrals.c.referred_on,
)
UPPER_LEVELS = ("prefecture", "province")
ROLLUP_LEVELS = ("province", "prefecture", "county")
DIRECT_FAMILIES = ("purchases",)  # not additive from counties: computed at every level


class RollupError(RuntimeError):
    """The rollup could not run (bad arguments or an empty region tree)."""


def data_dates(conn: Connection) -> tuple[date | None, date | None]:
    """Earliest and latest start/event date over the raw tables (None, None when empty)."""
    lows, highs = [], []
    for col in EVENT_DATES:
        lo, hi = conn.execute(select(func.min(col), func.max(col))).one()
        if lo is not None:
            lows.append(_as_date(lo))
            highs.append(_as_date(hi))
    return (min(lows), max(highs)) if lows else (None, None)


def _as_date(x) -> date:
    return x if isinstance(x, date) else date.fromisoformat(str(x)[:10])


def _temp_tables(conn: Connection, families: list[str]) -> dict[str, Table]:
    """Session temp tables for the periods, the units and the per-family results."""
    md = MetaData()
    t = {
        "periods": Table(
            "tmp_rollup_periods",
            md,
            Column("period", String(7), primary_key=True),
            Column("d_start", Date, nullable=False),
            Column("d_end", Date, nullable=False),
            *(Column(window_column(n), Date, nullable=False) for n in window_lengths()),
            Column("year", Integer, nullable=False),
            Column("m_index", Integer, nullable=False),
            prefixes=["TEMPORARY"],
        ),
        # leaf -> its county (each leaf once)
        "units": Table(
            "tmp_rollup_units",
            md,
            Column("leaf_code", CODE_TYPE, primary_key=True),
            Column("group_code", CODE_TYPE, nullable=False),
            prefixes=["TEMPORARY"],
        ),
        # leaf -> its township (each leaf at or under a township once), for township panels
        "township_units": Table(
            "tmp_rollup_township_units",
            md,
            Column("leaf_code", CODE_TYPE, primary_key=True),
            Column("group_code", CODE_TYPE, nullable=False),
            prefixes=["TEMPORARY"],
        ),
        # leaf -> each of its county, prefecture and province ancestors (itself included)
        "units_up": Table(
            "tmp_rollup_units_up",
            md,
            Column("leaf_code", CODE_TYPE, nullable=False),
            Column("group_code", CODE_TYPE, nullable=False),
            PrimaryKeyConstraint("leaf_code", "group_code"),
            prefixes=["TEMPORARY"],
        ),
        "rows": Table(
            "tmp_rollup_rows",
            md,
            Column("group_code", CODE_TYPE, nullable=False),
            Column("period", String(7), nullable=False),
            Column("metric", String(40), nullable=False),
            Column("numerator", Float),
            Column("denominator", Float),
            PrimaryKeyConstraint("group_code", "period", "metric"),
            prefixes=["TEMPORARY"],
        ),
    }
    for fam in families:
        cols = [Column("group_code", CODE_TYPE), Column("period", String(7))]
        for m in FAMILIES[fam][1]:
            cols += [Column(f"{m}__n", Float), Column(f"{m}__d", Float)]
        t[f"wide_{fam}"] = Table(f"tmp_rollup_wide_{fam}", md, *cols, prefixes=["TEMPORARY"])
    for name, panel in PANELS.items():
        cols = [Column("group_code", CODE_TYPE), Column("period", String(7))]
        if panel.is_histogram:
            cols += [Column("category", String(40)), Column("value", Float)]
        else:
            cols += [Column(c, Float) for c in panel.categories]
        t[f"panel_{name}"] = Table(f"tmp_rollup_panel_{name}", md, *cols, prefixes=["TEMPORARY"])
    for table in t.values():
        table.drop(conn, checkfirst=True)
        table.create(conn)
    return t


def _analyze(conn: Connection, *tables: Table) -> None:
    """Give the planner row counts for fresh temp tables (PostgreSQL never auto-analyzes
    them; SQLite otherwise guesses)."""
    for table in tables:
        conn.exec_driver_sql(f"ANALYZE {table.name}")


def _codes_at(levels: tuple[str, ...]):
    return select(regions.c.code).where(regions.c.level.in_(levels))


def _fill_units(conn: Connection, table: Table, levels: tuple[str, ...]) -> None:
    """(leaf_code, group_code) into a temp units table: every region at or under each
    region of `levels`, mapped to it."""
    units = descendant_units(_codes_at(levels), f"{table.name}_src")
    conn.execute(
        table.insert().from_select(
            ["leaf_code", "group_code"], select(units.c.leaf_code, units.c.group_code)
        )
    )


def _upper_rows(t: dict[str, Table], metrics: list[str]):
    """Prefecture and province rows: sums of their counties' numerators and denominators;
    a region without counties still gets every row (0 counts, null rates)."""
    r, leaf, up, rows, p = (
        regions.alias("upper"),
        regions.alias("leaf"),
        t["units_up"],
        t["rows"],
        t["periods"],
    )
    county_of = (
        select(up.c.leaf_code.label("county_code"), up.c.group_code.label("region_code"))
        .join(leaf, leaf.c.code == up.c.leaf_code)
        .where(leaf.c.level == "county", up.c.group_code != up.c.leaf_code)
        .subquery("county_of")
    )
    mlist = union_all(
        *(
            select(
                literal(m, String).label("metric"),
                literal(1 if has_denominator(m) else 0, Integer).label("has_den"),
            )
            for m in metrics
        )
    ).subquery("mlist")
    agg = (
        select(
            r.c.code.label("region_code"),
            p.c.period,
            mlist.c.metric,
            mlist.c.has_den,
            func.coalesce(func.sum(rows.c.numerator), 0.0).label("num"),
            func.coalesce(func.sum(rows.c.denominator), 0.0).label("den"),
        )
        .select_from(
            r.join(p, true())
            .join(mlist, true())
            .outerjoin(county_of, county_of.c.region_code == r.c.code)
            .outerjoin(
                rows,
                and_(
                    rows.c.group_code == county_of.c.county_code,
                    rows.c.period == p.c.period,
                    rows.c.metric == mlist.c.metric,
                ),
            )
        )
        .where(r.c.level.in_(UPPER_LEVELS))
        .group_by(r.c.code, p.c.period, mlist.c.metric, mlist.c.has_den)
        .subquery("upper_agg")
    )
    den = case((agg.c.has_den == 1, agg.c.den), else_=None)
    return select(
        agg.c.region_code,
        agg.c.period,
        agg.c.metric,
        agg.c.num,
        den,
        value_expr(agg.c.num, den),
    )


# Refreshes in one process (the app after two imports) wait for each other: on SQLite the
# second would otherwise fail with "database is locked" when it comes to write.
_REFRESH_LOCK = threading.Lock()


@contextmanager
def _transaction(engine: Engine) -> Iterator[Connection]:
    """One transaction for the whole refresh. On PostgreSQL it reads one snapshot of the raw
    tables (REPEATABLE READ) and first locks kpi_snapshots against a concurrent refresh
    (readers are not blocked); the lock comes before any query so the snapshot is taken
    after it. SQLite serialises writers itself."""
    with _REFRESH_LOCK, engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            conn = conn.execution_options(isolation_level="REPEATABLE READ")
        with conn.begin():
            if conn.dialect.name == "postgresql":
                conn.exec_driver_sql("LOCK TABLE kpi_snapshots IN EXCLUSIVE MODE")
            _tune(conn)
            yield conn


def _tune(conn: Connection) -> None:
    if conn.dialect.name == "postgresql":
        # Room for the sorts of the visit and care windows (this transaction only).
        conn.exec_driver_sql("SET LOCAL work_mem = '256MB'")
        # Many mid-sized statements: JIT compilation costs more than it saves here.
        conn.exec_driver_sql("SET LOCAL jit = off")


def refresh(
    engine: Engine,
    since: str | None = None,
    until: str | None = None,
    progress: Progress | None = None,
) -> dict:
    """Recompute kpi_snapshots for every metric × province/prefecture/county × month.

    Months run from the month of the earliest start/event date in the raw tables to the
    month of the latest one; `since` / `until` ('YYYY-MM') override either end, and then only
    those months are replaced. Also writes app_meta `data_date` (the latest event date) and
    `rollup_at`, and deletes the pending-load markers it caught up with (data/rollup_pending.py). Returns {"rows", "seconds", "periods", "first", "last", "data_date"}.
    """
    say = progress or (lambda _msg: None)
    t0 = time.perf_counter()
    for bound in (since, until):
        if bound is not None:
            parse_period(bound)  # ValueError before anything is touched
    families = [f for f in FAMILIES if f not in DIRECT_FAMILIES]
    county_metrics = [m for f in families for m in FAMILIES[f][1]]
    with _transaction(engine) as conn:
        pending = rollup_pending.markers(conn)
        lo, hi = data_dates(conn)
        first = since or (lo.strftime("%Y-%m") if lo else None)
        last = until or (hi.strftime("%Y-%m") if hi else None)
        stats = {"rows": 0, "periods": 0, "first": first, "last": last}
        stats["data_date"] = hi.isoformat() if hi else None
        deletes = [kpi_snapshots.delete(), panel_counts.delete()]
        if since or until:
            if not (first and last):
                raise RollupError("no data: give both --since and --until")
            deletes = [d.where(d.table.c.period.between(first, last)) for d in deletes]
        periods: list[Period] = month_periods(first, last) if first and last else []
        stats["periods"] = len(periods)
        caught_up = rollup_pending.covered(pending, None if until else first, not (since or until))
        if not periods:
            for delete in deletes:
                conn.execute(delete)
            _write_meta(conn, stats["data_date"])
            rollup_pending.clear(conn, caught_up)
            stats["seconds"] = round(time.perf_counter() - t0, 3)
            return stats
        say(f"[rollup] {first} .. {last}: {len(periods)} months")

        t = _temp_tables(conn, families)
        conn.execute(t["periods"].insert(), [p.as_row() for p in periods])
        _fill_units(conn, t["units"], ("county",))
        _fill_units(conn, t["township_units"], ("township",))
        _fill_units(conn, t["units_up"], ROLLUP_LEVELS)
        _analyze(conn, t["periods"], t["units"], t["township_units"], t["units_up"])
        if conn.execute(select(func.count()).select_from(t["units"])).scalar_one() == 0:
            raise RollupError("the regions table has no county: load the region tree first")

        long_cols = ["group_code", "period", "metric", "numerator", "denominator"]
        for fam in families:
            t1 = time.perf_counter()
            wide = t[f"wide_{fam}"]
            sel = family_select(fam, t["units"], t["periods"])
            conn.execute(wide.insert().from_select([c.name for c in wide.columns], sel))
            conn.execute(t["rows"].insert().from_select(long_cols, unpivot(wide, FAMILIES[fam][1])))
            say(f"[rollup] {fam:<14}{time.perf_counter() - t1:8.1f} s")
        for name in PANELS:
            t1 = time.perf_counter()
            wide = t[f"panel_{name}"]
            units = t["township_units"] if PANELS[name].level == "township" else t["units"]
            sel = PANELS[name].build(units, t["periods"])
            conn.execute(wide.insert().from_select([c.name for c in sel.selected_columns], sel))
            say(f"[rollup] panel {name:<8}{time.perf_counter() - t1:8.1f} s")
        _analyze(conn, t["rows"])

        t1 = time.perf_counter()
        for delete in deletes:
            conn.execute(delete)
        k = kpi_snapshots
        out_cols = ["region_code", "period", "metric", "numerator", "denominator", "value"]
        conn.execute(k.insert().from_select(out_cols, with_value(t["rows"])))
        conn.execute(k.insert().from_select(out_cols, _upper_rows(t, county_metrics)))
        for fam in DIRECT_FAMILIES:
            wide = family_select(fam, t["units_up"], t["periods"]).subquery("direct")
            long = unpivot(wide, FAMILIES[fam][1]).subquery("direct_long")
            conn.execute(k.insert().from_select(out_cols, with_value(long)))
        panel_cols = ["region_code", "period", "panel", "category", "value"]
        for name in PANELS:
            long = panel_long(name, t[f"panel_{name}"])
            conn.execute(panel_counts.insert().from_select(panel_cols, long))
        say(f"[rollup] {'write':<14}{time.perf_counter() - t1:8.1f} s")
        for table in reversed(list(t.values())):
            table.drop(conn)
        _write_meta(conn, stats["data_date"])
        rollup_pending.clear(conn, caught_up)
        # Counted rather than summed from rowcount, which some drivers leave at -1.
        written = select(func.count()).select_from(k).where(k.c.period.between(first, last))
        stats["rows"] = conn.execute(written).scalar_one()
    stats["seconds"] = round(time.perf_counter() - t0, 3)
    return stats


def _write_meta(conn: Connection, data_date: str | None) -> None:
    values = {"rollup_at": datetime.now(UTC).isoformat(timespec="seconds")}
    if data_date:
        values["data_date"] = data_date
    else:
        conn.execute(app_meta.delete().where(app_meta.c.key == "data_date"))
    write_meta(conn, values)


def expected_rows(engine: Engine, n_periods: int) -> int:
    """Rows a full refresh writes: metrics × province/prefecture/county regions × months."""
    with engine.connect() as conn:
        n_regions = conn.execute(
            select(func.count()).select_from(regions).where(regions.c.level.in_(ROLLUP_LEVELS))
        ).scalar_one()
    return len(METRIC_CODES) * n_regions * n_periods


def main(argv: list[str] | None = None) -> int:
    from data.config import database_url

    parser = argparse.ArgumentParser(description="Recompute kpi_snapshots (DESIGN.md §4).")
    parser.add_argument("--url", default=None, help="SQLAlchemy URL (default: the app's)")
    parser.add_argument("--since", default=None, help="first month YYYY-MM")
    parser.add_argument("--until", default=None, help="last month YYYY-MM")
    args = parser.parse_args(argv)
    url = args.url or database_url()
    try:
        engine = make_engine(url)
        stats = refresh(engine, args.since, args.until, progress=print)
    except Exception as exc:  # a clear one-line message, non-zero exit
        print(f"rollup failed: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    print(
        f"[rollup] wrote {stats['rows']:,} rows for {stats['periods']} months "
        f"({stats['first']} .. {stats['last']}), data date {stats['data_date']}, "
        f"in {stats['seconds']:.1f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
