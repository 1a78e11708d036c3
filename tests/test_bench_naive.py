"""The benchmark's naive overview (pandas over the raw tables, bench/naive.py) against the app's
figures (the rollup read by queries.indicators): an independent cross-check of every metric
for the province, every prefecture and every county, on each backend."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import Engine

from bench import naive
from core.metrics import METRIC_CODES
from data.demo import build_demo
from queries import indicators

SCOPE = "360000"


@pytest.fixture
def tiny(engine: Engine) -> Engine:
    build_demo(engine, "tiny", progress=lambda _msg: None)
    return engine


def _same(app: pd.Series, mine: pd.Series) -> np.ndarray:
    """Equal values position by position; a null (zero denominator) only matches a null."""
    a, b = app.to_numpy(dtype=float), mine.to_numpy(dtype=float)
    return (np.isnan(a) & np.isnan(b)) | np.isclose(a, b, rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("which", ["latest", "earlier"])
def test_naive_overview_equals_the_app(tiny: Engine, which: str):
    periods = indicators.periods(tiny, SCOPE)
    period = periods[0] if which == "latest" else periods[len(periods) // 2]
    result = naive.overview(tiny, period)
    got = result.values

    cards = indicators.kpis(tiny, SCOPE, period).set_index("metric")["value"]
    wrong = [m for m in METRIC_CODES if not _same(cards[[m]], got.loc[[SCOPE], m]).all()]
    assert not wrong, {m: (cards[m], got.loc[SCOPE, m]) for m in wrong}

    for level in ("prefecture", "county"):
        table = indicators.region_table(tiny, SCOPE, period, level).set_index("code")
        assert set(table.index) == set(result.levels[result.levels == level].index)
        for m in METRIC_CODES:
            ok = _same(table[m], got.loc[table.index, m])
            assert ok.all(), (level, m, table.loc[~ok, m], got.loc[table.index[~ok], m])


def test_naive_overview_sees_the_data(tiny: Engine):
    """Not vacuous: the tiny demo has children, staff, cases and null rates (no villages)."""
    period = indicators.periods(tiny, SCOPE)[0]
    got = naive.overview(tiny, period).values
    assert got.loc[SCOPE, "children_active"] > 0
    assert got.loc[SCOPE, "open_cases"] > 0
    assert 0 < got.loc[SCOPE, "director_coverage"] <= 1
    assert got["home_coverage"].isna().any()  # the county without townships has no villages


def test_query_log_names_the_outermost_query_function(tiny: Engine):
    """The per-page query breakdown: statements and wall time go to `indicators.kpis`
    (not its helpers), and the wrapped functions are restored afterwards."""
    from bench.pages import QueryLog

    original = indicators.kpis
    period = indicators.periods(tiny, SCOPE)[0]
    with QueryLog() as log:
        indicators.kpis(tiny, SCOPE, period)
    assert indicators.kpis is original
    stat = log.stats["indicators.kpis"]
    assert stat.calls >= 1 and stat.runs == 1
    assert stat.wall >= stat.seconds > 0
    assert not any(name.startswith("regions.") for name in log.stats)  # called inside kpis
