"""The periods of the indicator SQL as a literal SELECT: the rows of core/periods.py
(`Period.as_row`: the month, D, its first day, year, month index and one `d_minus_<N>`
column per window length of the registry), built in Python so both backends compare the
same dates.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Date, Integer, String, literal, select, union_all
from sqlalchemy.sql import Select

from core.metrics import window_column, window_lengths
from core.periods import Period, month_periods, parse_period

__all__ = ["Period", "month_periods", "parse_period", "periods_select"]


def periods_select(periods: Sequence[Period]) -> Select:
    """The periods as a literal SELECT (a drill-down's one month; the rollup uses a table)."""
    if not periods:
        raise ValueError("no periods")
    rows = [
        select(
            literal(p.period, String).label("period"),
            literal(p.d_start, Date).label("d_start"),
            literal(p.d_end, Date).label("d_end"),
            *(literal(p.window_start(n), Date).label(window_column(n)) for n in window_lengths()),
            literal(p.year, Integer).label("year"),
            literal(p.m_index, Integer).label("m_index"),
        )
        for p in periods
    ]
    return rows[0] if len(rows) == 1 else union_all(*rows)
