"""The audit trail (DESIGN.md §6): sign-ins (successful and failed), sign-outs, exports,
imports, user administration and every view of individual records go to `audit_log`.

`record(engine, username, action, target)` is the one way to write a row; importers and the
user CLI call it too. Times are stored in UTC without a zone (the column is a plain
DateTime on both backends) and shown in Beijing time by the audit page. No Streamlit here.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta

import pandas as pd
from sqlalchemy import Engine, func, insert, select

from data.schema import audit_log

__all__ = [
    "ACTIONS",
    "ACTION_LABELS",
    "RECORD_QUERIES",
    "action_counts",
    "read_log",
    "record",
    "to_local",
    "usernames",
    "utc_now",
]

# Action codes (English, stored) and their Chinese labels (shown).
ACTION_LABELS: dict[str, str] = {
    "sign_in": "登录成功",
    "sign_in_failed": "登录失败",
    "sign_in_locked": "登录被锁定",
    "account_locked": "账号锁定",
    "sign_out": "退出登录",
    "session_expired": "会话超时",
    "export": "导出",
    "import": "导入",
    "view_records": "查看个人记录",
    "view_personal": "查看未脱敏信息",
    "user_add": "新增用户",
    "user_disable": "停用用户",
    "user_enable": "启用用户",
    "user_reset": "重置密码",
    "user_unlock": "解除锁定",
    "user_update": "修改用户",
}
ACTIONS: tuple[str, ...] = tuple(ACTION_LABELS)

# Queries that return individual records (one row per child, case or staff member, masked):
# showing their result is a view of individual records, audited by the cached query edge
# (components/db.py `query`) once per browser session, list, scope, period and filter.
RECORD_QUERIES: dict[str, str] = {
    "queries.interventions.overdue_case_list": "逾期个案清单",
    "queries.staffing.staff_roster": "工作人员名册",
    "queries.staffing.certification_violations": "未持证上岗人员名单",
    "queries.county.case_list": "县区个案清单",
    "queries.county.staff_roster": "县区工作人员名册",
    "queries.briefing.new_overdue_cases": "新增逾期个案清单",
}

USERNAME_MAX = 64
ACTION_MAX = 32
TARGET_MAX = 255
BEIJING = timedelta(hours=8)  # China has one zone and no daylight saving


def utc_now() -> datetime:
    """Now in UTC, without a zone (what the DateTime columns hold)."""
    return datetime.now(UTC).replace(tzinfo=None)


def to_local(at: datetime) -> datetime:
    """A stored UTC time as Beijing time, for display."""
    return at + BEIJING


def _clip(value: str | None, limit: int) -> str | None:
    if value is None:
        return None
    value = str(value)
    return value if len(value) <= limit else value[: limit - 1] + "…"


def record(
    engine: Engine,
    username: str | None,
    action: str,
    target: str | None = None,
    at: datetime | None = None,
) -> None:
    """Write one audit row in its own transaction. `action` is one of ACTIONS (an unknown
    code is refused, so a typo cannot hide rows from the audit page's filters); `target` says
    what was touched (a file name, a list, a username), cut to the column's 255 characters."""
    if action not in ACTION_LABELS:
        raise ValueError(f"unknown audit action {action!r}")
    row = {
        "at": at or utc_now(),
        "username": _clip(username, USERNAME_MAX),
        "action": action,
        "target": _clip(target, TARGET_MAX),
    }
    with engine.begin() as conn:
        conn.execute(insert(audit_log), row)


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
    """Audit rows newest first: id, at (UTC), username, action, target. `since`/`until` are
    Beijing calendar days, both included; `username` matches exactly; `actions` keeps only
    those codes; `target_contains` is a case-insensitive substring (a bound parameter, never
    pasted into SQL). At most `limit` rows."""
    stmt = select(
        audit_log.c.id, audit_log.c.at, audit_log.c.username, audit_log.c.action, audit_log.c.target
    )
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
    df = pd.DataFrame(rows, columns=["id", "at", "username", "action", "target"])
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
