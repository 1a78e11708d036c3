"""The periods of the indicator SQL: calendar months 'YYYY-MM' as of their last day D, with
the window starts and month index every metric compares against, built in Python so both
backends compare the same dates.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import Date, Integer, String, literal, select, union_all
from sqlalchemy.sql import Select

VISIT_WINDOW_DAYS = 90
TRAINING_WINDOW_DAYS = 365

_PERIOD_RE = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


@dataclass(frozen=True)
class Period:
    """One calendar month as of its last day D."""

    period: str
    d_start: date
    d_end: date
    d_minus_90: date
    d_minus_365: date
    year: int
    m_index: int

    def as_row(self) -> dict:
        return {
            "period": self.period,
            "d_start": self.d_start,
            "d_end": self.d_end,
            "d_minus_90": self.d_minus_90,
            "d_minus_365": self.d_minus_365,
            "year": self.year,
            "m_index": self.m_index,
        }


def parse_period(period: str) -> Period:
    """'2026-03' -> the month with D = 2026-03-31 (ValueError for anything else)."""
    m = _PERIOD_RE.match(period) if isinstance(period, str) else None
    if not m:
        raise ValueError(f"period must be 'YYYY-MM', got {period!r}")
    year, month = int(m.group(1)), int(m.group(2))
    d_end = date(year, month, calendar.monthrange(year, month)[1])
    return Period(
        period=period,
        d_start=date(year, month, 1),
        d_end=d_end,
        d_minus_90=d_end - timedelta(days=VISIT_WINDOW_DAYS),
        d_minus_365=d_end - timedelta(days=TRAINING_WINDOW_DAYS),
        year=year,
        m_index=year * 12 + month - 1,
    )


def month_periods(first: str, last: str) -> list[Period]:
    """Every month from `first` to `last` inclusive ('YYYY-MM')."""
    a, b = parse_period(first), parse_period(last)
    if a.m_index > b.m_index:
        raise ValueError(f"first period {first} is after last period {last}")
    return [
        parse_period(f"{i // 12:04d}-{i % 12 + 1:02d}") for i in range(a.m_index, b.m_index + 1)
    ]


def periods_select(periods: Sequence[Period]) -> Select:
    """The periods as a literal SELECT (a drill-down's one month; the rollup uses a table)."""
    if not periods:
        raise ValueError("no periods")
    rows = [
        select(
            literal(p.period, String).label("period"),
            literal(p.d_start, Date).label("d_start"),
            literal(p.d_end, Date).label("d_end"),
            literal(p.d_minus_90, Date).label("d_minus_90"),
            literal(p.d_minus_365, Date).label("d_minus_365"),
            literal(p.year, Integer).label("year"),
            literal(p.m_index, Integer).label("m_index"),
        )
        for p in periods
    ]
    return rows[0] if len(rows) == 1 else union_all(*rows)
