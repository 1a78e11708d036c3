"""The audit trail's writer (DESIGN.md §6): the one way a row gets into `audit_log`.

Sign-ins (successful and failed), sign-outs, exports, imports, user administration and every
view of individual records are written by `record(engine, username, action, target)`; the
app, the importer and the user CLI all call it (the read side is queries/audit.py). Times
are stored in UTC without a zone (the column is a plain DateTime on both backends) and
shown in Beijing time by the audit page. No Streamlit here.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, insert

from data.schema import audit_log

__all__ = ["ACTIONS", "ACTION_LABELS", "record", "to_local", "utc_now"]

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
