"""The incremental refresh after a ledger import (issue 16): 10,000 new visit records of the
newest month, loaded with `data.load.import_file` (read, validate, write, then the rollup
refresh of the months the rows touch: kpi_snapshots and panel_counts) into a copy of the
province bench database, so the bench's own database is left as it was.

`python -m bench.import_refresh [--backend sqlite|postgresql]` prints the figures;
bench/run.py puts them in docs/benchmark.md.
"""

from __future__ import annotations

import argparse
import csv
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url

from bench import dbs
from data.db import make_engine
from data.schema import children, visits

ROWS = 10_000
HEADER = ("编号", "儿童编号", "探访人员编号", "探访日期", "探访方式", "是否发现问题")


@dataclass
class ImportRefresh:
    backend: str
    rows: int
    loaded: int  # rows inserted
    status: str
    problems: list[str]  # the first of any rejected rows, masked
    rollup: str  # data.load's note: "since YYYY-MM" or "full"
    seconds: dict[str, float]  # read, validate, write, rollup, total (import_file's clocks)
    wall_s: float


def _ledger(engine, path: Path, as_of: str) -> None:
    """ROWS new visits on the last day of the newest month, each to an existing child (the
    newest ids, one visit each), numbered after the highest visit id."""
    with engine.connect() as conn:
        first_id = int(conn.execute(select(func.max(visits.c.id))).scalar_one()) + 1
        kids = conn.execute(select(children.c.id).order_by(children.c.id.desc()).limit(ROWS))
        kid_ids = [int(k) for (k,) in kids]
    with path.open("w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh)
        out.writerow(HEADER)
        for i, kid in enumerate(kid_ids):
            out.writerow((first_id + i, kid, "", as_of, "入户走访", "否"))


def _copy(backend: str, url: str, admin_url: str | None) -> tuple[str, Callable[[], None]]:
    """A copy of the bench database and a function that removes it."""
    if backend == "sqlite":
        src = Path(make_url(url).database)
        dst = src.with_name("bench_import.db")
        engine = make_engine(url)
        with engine.connect():
            pass
        engine.dispose()  # the last connection closed: the WAL checkpointed into the file
        shutil.copyfile(src, dst)
        return f"sqlite:///{dst}", lambda: dst.unlink(missing_ok=True)
    admin = dbs.pg_admin(admin_url)
    name = f"{make_url(url).database}_import"
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{make_url(url).database}"'))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return make_url(url).set(database=name).render_as_string(hide_password=False), drop


def run(backend: str, admin_url: str | None = None) -> ImportRefresh:
    """Import ROWS visits into a copy of the province demo on `backend` and time it."""
    from data.load.core import import_file
    from queries import indicators

    url, _built = dbs.ensure_demo(backend, "province", admin_url)
    source = make_engine(url)
    period = indicators.periods(source, "360000")[0]
    source.dispose()
    copy_url, remove = _copy(backend, url, admin_url)
    engine = make_engine(copy_url)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "探访记录.csv"
            _ledger(engine, path, f"{period}-28")
            t0 = time.perf_counter()
            result = import_file(engine, "visits", str(path), user="bench", refresh=True)
            wall = time.perf_counter() - t0
    finally:
        engine.dispose()
        remove()
    return ImportRefresh(
        backend=backend,
        rows=ROWS,
        loaded=result.inserted,
        status=result.status,
        problems=[p.masked().line() for p in result.errors[:5]],
        rollup=result.rollup or "",
        seconds=dict(result.seconds),
        wall_s=wall,
    )


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.import_refresh")
    parser.add_argument("--backend", default="sqlite", choices=["sqlite", "postgresql"])
    args = parser.parse_args()
    admin = os.environ.get("BENCH_POSTGRES_URL") or os.environ.get("TEST_POSTGRES_URL")
    print("\n".join(report_lines([run(args.backend, admin)])))


def report_lines(results: list[ImportRefresh]) -> list[str]:
    """The Markdown table of docs/benchmark.md's import section."""
    lines = [
        f"{ROWS:,} new visit records of the newest month (a CSV ledger, one visit each to the "
        "newest children), loaded by `data.load.import_file` into a copy of the `province` "
        "database: read and validate the file, write the rows, then refresh the rollup "
        "(kpi_snapshots and panel_counts) for the months the rows touch, every county. "
        "import_file's own clocks; the full refresh is in 'Databases' above.",
        "",
        "| backend | status | rows inserted | read s | validate s | write s | refresh | "
        "refresh s | total s |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    names = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
    for r in results:
        s = r.seconds
        cell = [f"{s[k]:.2f}" if k in s else "—" for k in ("read", "validate", "write")]
        lines.append(
            f"| {names[r.backend]} | {r.status} | {r.loaded:,} | {' | '.join(cell)} | "
            f"{r.rollup or '—'} | {s.get('rollup', float('nan')):.1f} | {r.wall_s:.1f} |"
        )
        lines += [f"  - {p}" for p in r.problems]
    return lines


if __name__ == "__main__":
    main()
