"""The rollup refresh: every metric × province/prefecture/county × month, idempotent,
since/until, app_meta, the CLI, and identical snapshots on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import Engine, func, select

from core.metrics import METRIC_CODES
from data.db import make_engine, read_meta, upgrade
from data.rollup import expected_rows, main, refresh
from data.schema import children, kpi_snapshots
from metric_engine import month_periods
from tests.conftest import PG_ADMIN_URL
from tests.test_metrics import (
    A1,
    DATA_DATE,
    FIRST_PERIOD,
    LAST_PERIOD,
    N_MONTHS,
    ROLLUP_REGIONS,
    V11,
    load_fixture,
    snapshots,
)

ALL_PERIODS = [p.period for p in month_periods(FIRST_PERIOD, LAST_PERIOD)]


def test_writes_every_metric_region_and_month(engine: Engine):
    load_fixture(engine)
    stats = refresh(engine)
    n = len(METRIC_CODES) * len(ROLLUP_REGIONS) * N_MONTHS  # 22 × 7 × 28 = 4,312
    assert n == 4312
    assert stats["rows"] == n == expected_rows(engine, N_MONTHS)
    assert (stats["periods"], stats["first"], stats["last"]) == (N_MONTHS, "2024-01", "2026-04")
    assert stats["data_date"] == DATA_DATE
    got = snapshots(engine)
    assert len(got) == n
    assert {k[0] for k in got} == set(ROLLUP_REGIONS)
    assert sorted({k[1] for k in got}) == ALL_PERIODS
    with engine.connect() as conn:
        per_cell = conn.execute(
            select(kpi_snapshots.c.region_code, kpi_snapshots.c.period, func.count())
            .group_by(kpi_snapshots.c.region_code, kpi_snapshots.c.period)
            .having(func.count() != len(METRIC_CODES))
        ).all()
    assert per_cell == []
    meta = read_meta(engine)
    assert meta["data_date"] == DATA_DATE
    assert meta["rollup_at"]


def test_refresh_is_idempotent(engine: Engine):
    load_fixture(engine)
    refresh(engine)
    first = snapshots(engine)
    stats = refresh(engine)
    assert snapshots(engine) == first
    assert stats["rows"] == len(first)


def test_since_until_replace_only_those_months(engine: Engine):
    load_fixture(engine)
    refresh(engine)
    before = snapshots(engine)
    # A new child in V11 registered 2026-01-20: counts from January on.
    with engine.begin() as conn:
        conn.execute(
            children.insert().values(
                id=99,
                village_code=V11,
                category="left_behind",
                name="新儿童",
                registered_on=date(2026, 1, 20),
            )
        )
    stats = refresh(engine, since="2026-02", until="2026-03")
    assert (stats["periods"], stats["rows"]) == (2, 2 * 7 * 22)
    after = snapshots(engine)
    assert set(after) == set(before)
    changed = {k for k in after if after[k] != before[k]}
    # Only February and March were recomputed: January and April keep the old count.
    assert {k[1] for k in changed} == {"2026-02", "2026-03"}
    key = (A1, "2026-03", "children_active")
    assert (before[key][0], after[key][0]) == (3.0, 4.0)
    assert after[(A1, "2026-01", "children_active")] == before[(A1, "2026-01", "children_active")]
    assert after[(A1, "2026-04", "children_active")] == before[(A1, "2026-04", "children_active")]
    # since alone runs to the latest month with data.
    stats = refresh(engine, since="2026-04")
    assert (stats["periods"], stats["first"], stats["last"]) == (1, "2026-04", "2026-04")
    april = (A1, "2026-04", "children_active")  # C1, C3, C4, C8 (from 04-01), then child 99
    assert (before[april][0], snapshots(engine)[april][0]) == (4.0, 5.0)


def test_since_until_on_an_empty_snapshot_table(engine: Engine):
    load_fixture(engine)
    stats = refresh(engine, since="2025-12", until="2026-01")
    assert stats["rows"] == 2 * 7 * 22
    assert sorted({k[1] for k in snapshots(engine)}) == ["2025-12", "2026-01"]


def test_bad_arguments_and_empty_database(engine: Engine):
    with pytest.raises(ValueError):
        refresh(engine, since="2026-3")
    stats = refresh(engine)  # no data at all: nothing to write, no error
    assert (stats["rows"], stats["periods"], stats["data_date"]) == (0, 0, None)
    load_fixture(engine)
    refresh(engine)
    before = snapshots(engine)
    with pytest.raises(ValueError):
        refresh(engine, since="2026-04", until="2026-01")
    assert snapshots(engine) == before  # the failed refresh changed nothing


def test_cli(tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    eng = make_engine(url)
    upgrade(eng)
    load_fixture(eng)
    assert main(["--url", url, "--since", "2026-01", "--until", "2026-03"]) == 0
    out = capsys.readouterr().out
    assert "462 rows for 3 months" in out  # 3 × 7 × 22
    assert main(["--url", url, "--since", "2026-13"]) == 1
    assert "rollup failed" in capsys.readouterr().err
    with eng.connect() as conn:
        assert conn.execute(select(func.count()).select_from(kpi_snapshots)).scalar() == 462
    eng.dispose()


@pytest.mark.skipif(not PG_ADMIN_URL, reason="TEST_POSTGRES_URL not set")
def test_sqlite_and_postgresql_write_identical_snapshots(tmp_path, pg_database_factory):
    engines = [
        make_engine(f"sqlite:///{tmp_path / 'same.db'}"),
        make_engine(pg_database_factory("same")),
    ]
    results = []
    for eng in engines:
        upgrade(eng)
        load_fixture(eng)
        refresh(eng)
        results.append(snapshots(eng))
        eng.dispose()
    sqlite_rows, pg_rows = results
    assert len(sqlite_rows) == len(METRIC_CODES) * len(ROLLUP_REGIONS) * N_MONTHS
    assert sqlite_rows == pg_rows  # exact float equality, nulls included
