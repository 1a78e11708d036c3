"""Long lists show 15 rows before they scroll (issue 18.3: "more than 10 rows in the meeting
layout"). Streamlit's own height for a table shows 10 rows, a third of a projected
1920×1080 screen; every table the app draws (`tables.data_table`, the 县区详情 lists) now
shows all its rows up to `tables.LIST_ROWS` (15: 563 px), a region table up to 20.

The page test records the height each st.dataframe of 会议简报 is given on a tiny demo: its
全部指标的变化 lists every indicator (22), the others are short and show every row.
"""

from __future__ import annotations

import pytest
import streamlit as st

from components import tables
from core.metrics import METRIC_CODES
from tests.apptest import run_app
from tests.fixtures.demo import tiny_sqlite_url


def test_rows_height():
    assert tables.LIST_ROWS == 15
    assert tables.rows_height(3) == 35 * 4 + 3
    assert tables.rows_height(3, tables.LIST_ROWS) == 35 * 4 + 3  # short: every row
    assert tables.rows_height(22, tables.LIST_ROWS) == 35 * 16 + 3 == 563  # long: 15 rows
    assert tables.rows_height(30, 20) == 35 * 21 + 3


@pytest.fixture()
def heights(monkeypatch, apptest_env) -> dict[str, tuple[int, object]]:
    """key -> (rows, height) of every st.dataframe the page draws."""
    drawn: dict[str, tuple[int, object]] = {}
    dataframe = st.dataframe

    def record(data, *args, **kwargs):
        drawn[kwargs.get("key") or f"#{len(drawn)}"] = (len(data), kwargs.get("height", "auto"))
        return dataframe(data, *args, **kwargs)

    monkeypatch.setattr(st, "dataframe", record)
    return drawn


def test_the_briefings_long_list_shows_15_rows(heights, tmp_path_factory):
    at = run_app(tiny_sqlite_url(tmp_path_factory, "list_heights"), page="pages/briefing.py")
    assert not at.exception and not at.error, [e.value for e in at.error]
    rows, height = heights["briefing_all_movers"]
    assert rows == len(METRIC_CODES) > tables.LIST_ROWS
    assert height == tables.rows_height(tables.LIST_ROWS) == 563  # was Streamlit's 10 rows
    for key, (rows, height) in heights.items():
        assert height == tables.rows_height(min(rows, tables.LIST_ROWS)), key
