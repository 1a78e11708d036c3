"""The audit trail's writer and its hash chain (DESIGN.md §6, issue 15): the one way a row gets
into `audit_log`, and the check that nobody rewrote one.

Sign-ins (successful and failed), sign-outs, exports, imports, user administration and every
view of individual records are written by `record(engine, username, action, target)`; the
app, the importer and the user CLI all call it (the read side is queries/audit.py). Sign-in
rows also carry the client's address and agent (`client_addr`, `user_agent`). Times are stored
in UTC without a zone (the column is a plain DateTime on both backends) and shown in Beijing
time by the audit page. No Streamlit here.

Why a chain: an audit log is only evidence if an inspector can tell that nobody who could
reach the database edited it afterwards. Each row's `row_hash` is SHA-256 over a canonical
encoding (`row_hash`) of the previous row's hash (GENESIS for the first) and the row's id,
time, user, action, target, address and agent. Editing, deleting or inserting a row breaks the
link at that row, and `verify_chain` (`python -m data.audit verify`, the 审计日志 page) names
the first broken id. The app has no update or delete path on audit_log except `purge`. What a
chain without a secret cannot show: a rewrite that recomputes every later hash, or the newest
rows deleted; the verify command prints the chain's head (last id and hash) so an operator can
note it elsewhere and compare.

Concurrent writers must not both chain to the same predecessor (a fork), so a write reads its
predecessor, picks its id (part of the hash) and inserts inside one transaction holding the
table's write lock: `BEGIN IMMEDIATE` on SQLite (its one writer lock, waited for up to the
busy timeout), `LOCK TABLE audit_log IN SHARE ROW EXCLUSIVE MODE` on PostgreSQL (conflicts
with itself and with other writers, not with readers). The id is the sequence's next value on
PostgreSQL and max + 1 on SQLite.

Rows written before the chain existed (older databases) have no hash: verification reports
them as unchained up to the first chained row, not as broken; a row without a hash after
chained rows is broken.

Retention: 网络安全法 Art. 21 asks for network logs kept at least six months. `purge` deletes
rows older than AUDIT_RETENTION_DAYS (core/settings.py, never under 180 days) as a prefix of
the chain by id, keeps the last purged row's id and hash in app_meta as the anchor the
verification starts from, and writes an `audit_purge` row naming what it deleted and the anchor
(so a forged anchor can be compared with the chained record of the purge).

The encoding and the walk live in data/audit_chain.py (below this module, re-exported here).
The command line, in Chinese with an English gloss like the other CLIs of data/:

    python -m data.audit verify [--url URL]            # walk the chain; exit 1 when broken
    python -m data.audit purge [--url URL] [--days N]  # delete rows past the retention

`--url` picks the database (default: the configured one); `purge` is audited as done by
`cli:<OS user>`.
"""

from __future__ import annotations

import argparse
import getpass
import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection, Engine, delete, func, insert, select

from core.settings import AUDIT_RETENTION_FLOOR_DAYS, environment
from data.audit_chain import (
    ANCHOR_HASH,
    ANCHOR_ID,
    GENESIS,
    PROBLEMS_EN,
    PROBLEMS_ZH,
    ChainReport,
    as_utc,
    read_anchor,
    row_hash,
    verify_chain,
)
from data.config import database_url
from data.db import make_engine, write_meta
from data.schema import audit_log

__all__ = [
    "ACTIONS",
    "ACTION_LABELS",
    "GENESIS",
    "PROBLEMS_EN",
    "PROBLEMS_ZH",
    "ChainReport",
    "PurgeResult",
    "main",
    "purge",
    "record",
    "retention_days",
    "row_hash",
    "to_local",
    "utc_now",
    "verify_chain",
]

log = logging.getLogger(__name__)

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
    "rollup": "刷新指标汇总",
    "supervise": "督办",
    "view_records": "查看个人记录",
    "view_personal": "查看未脱敏信息",
    "print": "打印版式",
    "user_add": "新增用户",
    "user_disable": "停用用户",
    "user_enable": "启用用户",
    "user_reset": "重置密码",
    "user_unlock": "解除锁定",
    "user_update": "修改用户",
    "audit_purge": "清理审计日志",
    "password_change": "修改本人密码",
    "sessions_ended": "结束用户登录",
}
ACTIONS: tuple[str, ...] = tuple(ACTION_LABELS)

USERNAME_MAX = 64
ACTION_MAX = 32
TARGET_MAX = 255
CLIENT_ADDR_MAX = 64
USER_AGENT_MAX = 255
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


@contextmanager
def _write_lock(engine: Engine) -> Iterator[Connection]:
    """One transaction holding audit_log's write lock (see the module docstring)."""
    with engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        elif conn.dialect.name == "postgresql":
            conn.exec_driver_sql("LOCK TABLE audit_log IN SHARE ROW EXCLUSIVE MODE")
        yield conn
        conn.commit()  # on an exception the connection closes and rolls back


def _append(conn: Connection, row: dict) -> None:
    """Insert `row` chained to the current last row; the caller holds `_write_lock`."""
    last = conn.execute(
        select(audit_log.c.id, audit_log.c.row_hash).order_by(audit_log.c.id.desc()).limit(1)
    ).first()
    anchor = read_anchor(conn)
    if last is not None:
        previous = last.row_hash or GENESIS  # after unchained rows the chain starts afresh
    else:
        previous = (anchor.hash if anchor else None) or GENESIS
    if conn.dialect.name == "postgresql":
        sequence = func.pg_get_serial_sequence(audit_log.name, "id")
        row_id = conn.execute(select(func.nextval(sequence))).scalar_one()
    else:
        row_id = max(last.id if last else 0, anchor.id if anchor else 0) + 1
    row = {**row, "id": int(row_id)}
    conn.execute(insert(audit_log), {**row, "row_hash": row_hash(previous, row)})


def record(
    engine: Engine,
    username: str | None,
    action: str,
    target: str | None = None,
    at: datetime | None = None,
    *,
    client_addr: str | None = None,
    user_agent: str | None = None,
) -> None:
    """Write one audit row, chained, in its own transaction. `action` is one of ACTIONS (an
    unknown code is refused, so a typo cannot hide rows from the audit page's filters);
    `target` says what was touched (a file name, a list, a username), cut to the column's 255
    characters; `client_addr` and `user_agent` (sign-ins) are cut to theirs (64, 255)."""
    if action not in ACTION_LABELS:
        raise ValueError(f"unknown audit action {action!r}")
    row = _fields(at or utc_now(), username, action, target, client_addr, user_agent)
    with _write_lock(engine) as conn:
        _append(conn, row)


def _fields(
    at: datetime,
    username: str | None,
    action: str,
    target: str | None,
    client_addr: str | None = None,
    user_agent: str | None = None,
) -> dict:
    """A row's values as stored (and hashed): UTC time, each text cut to its column."""
    return {
        "at": as_utc(at),
        "username": _clip(username, USERNAME_MAX),
        "action": action,
        "target": _clip(target, TARGET_MAX),
        "client_addr": _clip(client_addr, CLIENT_ADDR_MAX),
        "user_agent": _clip(user_agent, USER_AGENT_MAX),
    }


# ---------------------------------------------------------------- retention


@dataclass(frozen=True)
class PurgeResult:
    """What `purge` did: rows deleted (the ids up to `anchor_id`), the days kept, the cutoff."""

    deleted: int
    days: int
    cutoff: datetime
    anchor_id: int | None


def retention_days(days: int | None = None) -> int:
    """Days of audit rows kept: `days`, else AUDIT_RETENTION_DAYS; never under the floor."""
    chosen = environment().audit_retention_days if days is None else int(days)
    if chosen < AUDIT_RETENTION_FLOOR_DAYS:
        log.warning(
            "audit retention %s days is under the legal floor; keeping %s",
            chosen,
            AUDIT_RETENTION_FLOOR_DAYS,
        )
        return AUDIT_RETENTION_FLOOR_DAYS
    return chosen


def purge(
    engine: Engine, days: int | None = None, actor: str = "system", now: datetime | None = None
) -> PurgeResult:
    """Delete the rows older than the retention, as the chain's prefix by id (a row younger
    than the cutoff ends the prefix, so nothing after it goes), move the anchor to the last
    deleted row and write an `audit_purge` row, all in one locked transaction. Nothing to
    delete: nothing written."""
    keep = retention_days(days)
    now = as_utc(now or utc_now())
    cutoff = now - timedelta(days=keep)
    with _write_lock(engine) as conn:
        first_kept = conn.execute(
            select(func.min(audit_log.c.id)).where(audit_log.c.at >= cutoff)
        ).scalar()
        stmt = select(audit_log.c.id, audit_log.c.row_hash).order_by(audit_log.c.id.desc())
        if first_kept is not None:
            stmt = stmt.where(audit_log.c.id < first_kept)
        last = conn.execute(stmt.limit(1)).first()
        if last is None:
            return PurgeResult(0, keep, cutoff, None)
        doomed = audit_log.c.id <= last.id
        n = conn.execute(select(func.count()).select_from(audit_log).where(doomed)).scalar_one()
        target = (
            f"删除北京时间 {to_local(cutoff):%Y-%m-%d %H:%M} 之前的 {n} 条记录"
            f"（id ≤ {last.id}，锚点哈希 {last.row_hash or '无'}，保留 {keep} 天）"
        )
        _append(conn, _fields(now, actor, "audit_purge", target))
        conn.execute(delete(audit_log).where(doomed))
        write_meta(conn, {ANCHOR_ID: str(last.id), ANCHOR_HASH: last.row_hash or ""})
    return PurgeResult(int(n), keep, cutoff, int(last.id))


# ---------------------------------------------------------------- the command line


def report_lines(report: ChainReport) -> list[str]:
    """What `verify` prints for a report (first line: verifies or where it breaks)."""
    if report.ok:
        lines = [f"审计日志哈希链完整 (audit chain verifies): {report.rows:,} 条记录 (rows)"]
    else:
        lines = [
            f"审计日志哈希链在 id {report.broken_id} 处断开 "
            f"(audit chain broken at id {report.broken_id}): {report.problem_zh()} "
            f"[{PROBLEMS_EN[report.problem]}]",
            f"此前 {report.rows:,} 条记录校验通过 (rows verified before it)",
        ]
    if report.unchained:
        lines.append(
            f"id {report.unchained_before} 之前的 {report.unchained:,} 条记录写于哈希链启用之前，"
            f"未纳入校验 (unchained before id {report.unchained_before})"
        )
    if report.anchor_id is not None:
        lines.append(
            f"自清理锚点 id {report.anchor_id} 之后校验 (from the purge anchor at id {report.anchor_id})"
        )
    if report.ok and report.head_id is not None:
        lines.append(f"链尾 (head): id {report.head_id} {report.head_hash}")
    return lines


def _actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except Exception:  # no login name in a container: still say where it came from
        return "cli"


def _purge(engine, days: int | None) -> None:
    if days is not None and days < AUDIT_RETENTION_FLOOR_DAYS:
        print(
            f"保留期不得少于 {AUDIT_RETENTION_FLOOR_DAYS} 天（网络安全法第二十一条），"
            f"按 {AUDIT_RETENTION_FLOOR_DAYS} 天执行 "
            f"(retention raised to the {AUDIT_RETENTION_FLOOR_DAYS}-day floor)"
        )
    result = purge(engine, days=days, actor=_actor())
    before = f"{to_local(result.cutoff):%Y-%m-%d %H:%M}"
    if result.deleted:
        print(
            f"已清理北京时间 {before} 之前的 {result.deleted:,} 条审计记录（id ≤ {result.anchor_id}，"
            f"保留 {result.days} 天）(purged {result.deleted:,} rows older than {result.days} days)"
        )
    else:
        print(
            f"没有北京时间 {before} 之前的审计记录需要清理 "
            f"(nothing older than {result.days} days to purge)"
        )


def main(argv: Sequence[str] | None = None) -> int:
    """0 when the chain verifies (or the purge ran), 1 when it is broken or the call failed."""
    parser = argparse.ArgumentParser(
        prog="python -m data.audit", description="审计日志：校验哈希链、清理过期记录"
    )
    parser.add_argument("command", choices=["verify", "purge"])
    parser.add_argument("--url", default=None, help="SQLAlchemy URL (default: the configured DB)")
    parser.add_argument(
        "--days",
        type=int,
        default=None,
        help="purge: days kept (default AUDIT_RETENTION_DAYS; never under 180)",
    )
    args = parser.parse_args(argv)
    engine = make_engine(args.url or database_url())
    try:
        if args.command == "purge":
            _purge(engine, args.days)
            return 0
        report = verify_chain(engine)
        print("\n".join(report_lines(report)))
        return 0 if report.ok else 1
    except Exception as exc:  # a CLI: report, do not dump a traceback on the operator
        print(f"审计日志操作失败 (audit {args.command} failed): {exc}")
        return 1
    finally:
        engine.dispose()


if __name__ == "__main__":
    raise SystemExit(main())
