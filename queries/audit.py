"""The audit trail's read side (DESIGN.md §6) for the 审计日志 page, and the list of queries
whose results are views of individual records. Rows are written only by data/audit.py
`record` (re-exported here for the pages and components that audit what they show), which
also owns the hash chain the page reports on (`verify_chain`, re-exported). No Streamlit here.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta

import pandas as pd
from sqlalchemy import Engine, func, select

from data.audit import (
    ACTION_LABELS,
    ACTIONS,
    BEIJING,
    ChainReport,
    record,
    to_local,
    utc_now,
    verify_chain,
)
from data.schema import audit_log

__all__ = [
    "ACTIONS",
    "ACTION_LABELS",
    "RECORD_QUERIES",
    "ChainReport",
    "action_counts",
    "log_extent",
    "read_log",
    "record",
    "to_local",
    "usernames",
    "utc_now",
    "verify_chain",
]

# Queries that return individual records (one row per child, case or staff member, masked):
# showing their result is a view of individual records, audited by the cached query edge
# (components/db.py `query`) once per browser session, list, scope, period and filter.
RECORD_QUERIES: dict[str, str] = {
    "queries.records.case_list": "个案清单",
    "queries.records.staff_roster": "工作人员名册",
    "queries.staffing.certification_violations": "未持证上岗人员名单",
    "queries.briefing.new_overdue_cases": "新增逾期个案清单",
    # The briefing carries its new overdue cases (issue 19.8: they were shown unaudited).
    "queries.briefing.build_briefing": "会议简报（含新增逾期个案清单）",
}


def _day_start(d: date) -> datetime:
    """Beijing midnight of `d` in UTC (the audit page filters by Beijing calendar days)."""
    return datetime(d.year, d.month, d.day) - BEIJING


def read_log(
    engine: Engine,
    since: date | None = None,
    until: date | None = None,
    username: str | None = None,
    actions: Sequence[str] | None = None,
    target_contains: str | None = None,
    limit: int = 1000,
) -> pd.DataFrame:
    """Audit rows newest first: id, at (UTC), username, action, target, client_addr and
    user_agent (where a sign-in came from; None on other rows). `since`/`until` are
    Beijing calendar days, both included; `username` matches exactly; `actions` keeps only
    those codes; `target_contains` is a case-insensitive substring (a bound parameter, never
    pasted into SQL). At most `limit` rows."""
    columns = ["id", "at", "username", "action", "target", "client_addr", "user_agent"]
    stmt = select(*(audit_log.c[name] for name in columns))
    if since is not None:
        stmt = stmt.where(audit_log.c.at >= _day_start(since))
    if until is not None:
        stmt = stmt.where(audit_log.c.at < _day_start(until + timedelta(days=1)))
    if username:
        stmt = stmt.where(audit_log.c.username == username)
    if actions:
        stmt = stmt.where(audit_log.c.action.in_(list(actions)))
    if target_contains:
        pattern = "%" + _escape_like(target_contains.lower()) + "%"
        stmt = stmt.where(func.lower(audit_log.c.target).like(pattern, escape="\\"))
    stmt = stmt.order_by(audit_log.c.at.desc(), audit_log.c.id.desc()).limit(max(int(limit), 0))
    with engine.connect() as conn:
        rows = conn.execute(stmt).all()
    df = pd.DataFrame(rows, columns=columns)
    df["at"] = pd.to_datetime(df["at"])
    return df


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def usernames(engine: Engine) -> list[str]:
    """Every username that appears in the log (the audit page's filter choices)."""
    stmt = (
        select(audit_log.c.username)
        .where(audit_log.c.username.is_not(None))
        .group_by(audit_log.c.username)
        .order_by(audit_log.c.username)
    )
    with engine.connect() as conn:
        return [r[0] for r in conn.execute(stmt)]


def action_counts(engine: Engine, since: date | None = None) -> dict[str, int]:
    """Rows per action (from Beijing day `since` on): the audit page's summary line."""
    stmt = select(audit_log.c.action, func.count()).group_by(audit_log.c.action)
    if since is not None:
        stmt = stmt.where(audit_log.c.at >= _day_start(since))
    with engine.connect() as conn:
        return {action: int(n) for action, n in conn.execute(stmt)}


def log_extent(engine: Engine) -> tuple[int, int | None]:
    """(rows, newest id) of audit_log: what changes when a row is written or deleted, so the
    page's cached verdict on the hash chain is redone then."""
    stmt = select(func.count(), func.max(audit_log.c.id))
    with engine.connect() as conn:
        n, newest = conn.execute(stmt).one()
    return int(n), newest
