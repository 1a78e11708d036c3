"""The rollup's panel_counts (metric_engine/panels.py, read by queries/panels.py) against the
naive pandas computation of bench/naive_panels.py, on the tiny demo, both backends: every
panel, every category, every county, for the latest month and earlier ones. The hand-built
fixtures of the thematic query tests check the same panels figure by figure."""

from __future__ import annotations

import pandas as pd
import pytest
from sqlalchemy import select

from bench import naive_panels
from data.db import make_engine
from data.schema import panel_counts
from metric_engine.panels import PANELS
from queries import indicators
from queries.live import areas_at
from queries.panels import live_panel, stored_panel
from tests.fixtures.demo import tiny_demo_fixture

SCOPE = "360000"
tiny = tiny_demo_fixture("panels")


@pytest.fixture(scope="module")
def db(tiny):
    eng = make_engine(tiny)
    yield eng
    eng.dispose()


def test_every_panel_has_a_naive_twin():
    assert set(naive_panels.PANELS) == set(PANELS)


@pytest.mark.parametrize("which", ["latest", "middle", "first"])
def test_panel_counts_equal_the_naive_figures(db, which: str):
    periods = indicators.periods(db, SCOPE)
    period = {"latest": periods[0], "middle": periods[len(periods) // 2], "first": periods[-1]}[
        which
    ]
    naive = naive_panels.panels(db, period)
    for name, panel in PANELS.items():
        if panel.is_histogram:
            stored = _stored_histogram(db, period, name)
            assert stored.to_dict() == naive[name].to_dict(), name
            continue
        stored = stored_panel(db, SCOPE, period, name).set_index("code")
        mine = naive[name].reindex(index=stored.index, columns=list(panel.categories))
        mine = mine.fillna(0).astype(int)
        assert set(naive[name].index) <= set(stored.index), name
        wrong = stored != mine
        assert not wrong.any().any(), (
            name,
            period,
            stored[wrong.any(axis=1)],
            mine[wrong.any(axis=1)],
        )


def _stored_histogram(db, period: str, panel: str):
    pc = panel_counts
    stmt = select(pc.c.region_code, pc.c.category, pc.c.value).where(
        pc.c.period == period, pc.c.panel == panel
    )
    with db.connect() as conn:
        rows = conn.execute(stmt).all()
    return pd.Series(
        {(r.region_code, r.category): int(r.value) for r in rows}, dtype=int
    ).sort_index()


def test_panel_counts_are_not_vacuous(db):
    """Every panel has rows for every county and month, and some of them count something."""
    periods = indicators.periods(db, SCOPE)
    latest = periods[0]
    for name, panel in PANELS.items():
        if panel.is_histogram:
            assert len(_stored_histogram(db, latest, name)) > 0, name
            continue
        stored = stored_panel(db, SCOPE, latest, name)
        assert len(stored) == len(areas_at(db, SCOPE, panel.level)), name
        assert stored.drop(columns="code").to_numpy().sum() > 0, name
    with db.connect() as conn:
        months = conn.execute(select(panel_counts.c.period).distinct()).scalars().all()
    assert sorted(months, reverse=True) == periods


def test_live_panel_equals_the_stored_one(db):
    """The township tables of one county run the same SQL as the rollup: at county level the
    live figures equal the stored ones."""
    period = indicators.periods(db, SCOPE)[0]
    for name, panel in PANELS.items():
        if panel.is_histogram:
            continue
        stored = stored_panel(db, SCOPE, period, name).set_index("code").sort_index()
        live = live_panel(db, SCOPE, period, name, panel.level)
        live = live[live["code"].notna()].set_index("code").sort_index()  # not '本级' rows
        assert stored.equals(live.reindex(stored.index).fillna(0).astype(int)), name


def test_an_incremental_refresh_rewrites_the_panels_of_its_months_only(engine):
    """After an import the rollup refreshes from the first month it touched (data/load
    refresh_rollup → refresh(since=…)): panel_counts of those months are rewritten from the
    raw records, earlier months keep theirs."""
    from data.demo import build_demo
    from data.rollup import refresh
    from data.schema import care_actions

    build_demo(engine, "tiny", progress=lambda _msg: None)
    months = sorted(indicators.periods(engine, SCOPE))
    since = months[len(months) // 2]

    def care_rows() -> dict:
        pc = panel_counts
        stmt = select(pc.c.region_code, pc.c.period, pc.c.category, pc.c.value).where(
            pc.c.panel == "care"
        )
        with engine.connect() as conn:
            return {(r[0], r[1], r[2]): r[3] for r in conn.execute(stmt)}

    before = care_rows()
    assert any(v > 0 for (_c, p, k), v in before.items() if k == "any_action" and p >= since)
    with engine.begin() as conn:
        conn.execute(care_actions.delete())  # as if a ledger had ended every action
    refresh(engine, since=since)
    after = care_rows()
    assert after.keys() == before.keys()  # every county × month × category, still once
    for (code, period, category), value in after.items():
        if period < since:
            assert value == before[(code, period, category)]
        elif category == "any_action" or category in PANELS["care"].categories[1:-1]:
            assert value == 0, (code, period, category)
        else:  # children_active does not depend on care actions
            assert value == before[(code, period, category)]
