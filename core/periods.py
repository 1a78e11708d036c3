"""The period type: a calendar month 'YYYY-MM' as of its last day D (DESIGN.md §4).

One parser for the whole app: periods come from URLs, forms and files, so every layer
calls `parse_period` (or `check_period` for the string itself) and never trusts a period
it did not parse. The window starts ("the N days ending D" begins after D − N) are derived
from the metric registry's window lengths (core/metrics.py `window_lengths`).
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta

from core.metrics import window_column, window_lengths

__all__ = [
    "Period",
    "check_period",
    "month_periods",
    "parse_period",
    "period_end",
    "previous_period",
]

_PERIOD_RE = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


@dataclass(frozen=True)
class Period:
    """One calendar month as of its last day D."""

    period: str
    d_start: date
    d_end: date
    year: int
    m_index: int  # year * 12 + month − 1

    def window_start(self, days: int) -> date:
        """D − days: "in the `days` days ending D" means after this day, on or before D."""
        return self.d_end - timedelta(days=int(days))

    def as_row(self) -> dict:
        """The row of the indicator SQL's periods: the month, D, its first day, year, month
        index and one `d_minus_<N>` per registry window."""
        row = {
            "period": self.period,
            "d_start": self.d_start,
            "d_end": self.d_end,
            "year": self.year,
            "m_index": self.m_index,
        }
        row.update({window_column(n): self.window_start(n) for n in window_lengths()})
        return row


def check_period(period: str) -> str:
    """The period string itself when it is 'YYYY-MM' (ValueError otherwise)."""
    parse_period(period)
    return period


def parse_period(period: str) -> Period:
    """'2026-03' -> the month with D = 2026-03-31 (ValueError for anything else)."""
    m = _PERIOD_RE.match(period) if isinstance(period, str) else None
    if not m:
        raise ValueError(f"period must be 'YYYY-MM', got {period!r}")
    year, month = int(m.group(1)), int(m.group(2))
    return Period(
        period=period,
        d_start=date(year, month, 1),
        d_end=date(year, month, calendar.monthrange(year, month)[1]),
        year=year,
        m_index=year * 12 + month - 1,
    )


def period_end(period: str) -> date:
    """D: the last day of 'YYYY-MM' (ValueError for anything else)."""
    return parse_period(period).d_end


def _of_index(m_index: int) -> Period:
    return parse_period(f"{m_index // 12:04d}-{m_index % 12 + 1:02d}")


def previous_period(period: str) -> str:
    """'2026-01' -> '2025-12'."""
    return _of_index(parse_period(period).m_index - 1).period


def month_periods(first: str, last: str) -> list[Period]:
    """Every month from `first` to `last` inclusive ('YYYY-MM')."""
    a, b = parse_period(first), parse_period(last)
    if a.m_index > b.m_index:
        raise ValueError(f"first period {first} is after last period {last}")
    return [_of_index(i) for i in range(a.m_index, b.m_index + 1)]
