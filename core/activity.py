"""'Active on day D' (DESIGN.md §3), the one definition every query and the indicator SQL
use: a record started (appointed_on / registered_on / established_on / received_on /
started_on) on or before D and not ended (left_on / exited_on / closed_on / ended_on) on or
before D. D may be a date or a column (a period's d_end in the indicator SQL).
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import and_, or_
from sqlalchemy.sql import ColumnElement

__all__ = ["active_on"]


def active_on(start: ColumnElement, end: ColumnElement, d: date | ColumnElement) -> ColumnElement:
    """Started on or before D and not ended on or before D (an open end never ends)."""
    return and_(start <= d, or_(end.is_(None), end > d))
