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
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection, Engine, delete, func, insert, select

from core.settings import AUDIT_RETENTION_FLOOR_DAYS, environment
from data.db import write_meta
from data.schema import app_meta, audit_log

__all__ = [
    "ACTIONS",
    "ACTION_LABELS",
    "GENESIS",
    "ChainReport",
    "PurgeResult",
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
    "view_records": "查看个人记录",
    "view_personal": "查看未脱敏信息",
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

GENESIS = "0" * 64  # the "previous hash" of the first chained row
_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))  # built once: json.dumps
# with these options builds an encoder per call, a third of a long verification's time
ANCHOR_ID = "audit_anchor_id"  # app_meta keys: the last purged row
ANCHOR_HASH = "audit_anchor_hash"
_COLUMNS = (
    audit_log.c.id,
    audit_log.c.at,
    audit_log.c.username,
    audit_log.c.action,
    audit_log.c.target,
    audit_log.c.client_addr,
    audit_log.c.user_agent,
    audit_log.c.row_hash,
)


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


def _utc(at: datetime) -> datetime:
    """A zone-aware time as naive UTC (what is stored, so what is hashed)."""
    return at.astimezone(UTC).replace(tzinfo=None) if at.tzinfo is not None else at


def row_hash(previous: str, row: Mapping) -> str:
    """SHA-256 hex of the previous row's hash and this row's id, at, username, action,
    target, client_addr and user_agent, as one compact JSON array (UTF-8; None is null; the
    time to the microsecond, which both backends keep), so the encoding has one spelling."""
    fields = [
        previous,
        int(row["id"]),
        _utc(row["at"]).isoformat(timespec="microseconds"),  # 2026-11-02T03:04:05.000678
        row["username"],
        row["action"],
        row["target"],
        row["client_addr"],
        row["user_agent"],
    ]
    text = _JSON.encode(fields)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class _Anchor:
    id: int
    hash: str | None  # None when the last purged row was written before the chain


def _anchor(conn: Connection) -> _Anchor | None:
    meta = dict(
        conn.execute(
            select(app_meta.c.key, app_meta.c.value).where(
                app_meta.c.key.in_([ANCHOR_ID, ANCHOR_HASH])
            )
        ).all()
    )
    if not meta.get(ANCHOR_ID):
        return None
    return _Anchor(int(meta[ANCHOR_ID]), meta.get(ANCHOR_HASH) or None)


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
    anchor = _anchor(conn)
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
        "at": _utc(at),
        "username": _clip(username, USERNAME_MAX),
        "action": action,
        "target": _clip(target, TARGET_MAX),
        "client_addr": _clip(client_addr, CLIENT_ADDR_MAX),
        "user_agent": _clip(user_agent, USER_AGENT_MAX),
    }


# ---------------------------------------------------------------- verification

PROBLEMS_ZH = {
    "edited": "该行内容与其哈希不符：记录被修改过（或是带伪造哈希插入的记录）",
    "deleted": "该行与前一行之间缺少记录：记录被删除",
    "inserted": "该行不在链上（后一行越过它链接到前一行）：记录是插入的",
    "before_anchor": "该行 id 不大于清理锚点：记录是清理之后插入的",
    "unhashed": "该行没有哈希却排在已链接的记录之后：记录是在应用之外插入的，或哈希被清除",
}
PROBLEMS_EN = {
    "edited": "row edited (content no longer matching its hash) or inserted with a made-up hash",
    "deleted": "rows deleted before it",
    "inserted": "row inserted (the next row links past it)",
    "before_anchor": "row inserted at or before the purge anchor",
    "unhashed": "row without a hash after chained rows",
}


@dataclass(frozen=True)
class ChainReport:
    """What `verify_chain` found: `ok`, or the first broken row (`broken_id`, `problem`, one
    of PROBLEMS_ZH; `missing`, the absent ids when rows were deleted). `rows` counts the
    chained rows verified; `unchained` the rows before the chain began, up to `unchained_before`;
    `anchor_id` is the last purged row; `head_id`/`head_hash` the last verified row."""

    ok: bool
    rows: int = 0
    unchained: int = 0
    unchained_before: int | None = None
    anchor_id: int | None = None
    head_id: int | None = None
    head_hash: str | None = None
    broken_id: int | None = None
    problem: str | None = None
    missing: tuple[int, int] | None = None

    def problem_zh(self) -> str:
        """The break in Chinese, with the missing ids when rows were deleted."""
        text = PROBLEMS_ZH.get(self.problem or "", "")
        if self.missing:
            lo, hi = self.missing
            text += f"（缺少 id {lo}）" if lo == hi else f"（缺少 id {lo}–{hi}）"
        return text


def _diagnose(previous: str, previous_id: int | None, row, following) -> tuple[str, tuple | None]:
    """Why `row` does not reproduce its hash: the next row links past it (inserted); ids are
    missing before it (deleted: SQLite ids have no gaps, PostgreSQL's sequence skips only on
    a failed write); else its own fields changed (edited, or a row with a made-up hash).
    `previous_id` None: the first row, where ids start unknown (PostgreSQL's sequence goes on
    after a table is emptied), so a gap says nothing."""
    if following is not None and following.row_hash == row_hash(previous, following._mapping):
        return "inserted", None
    if previous_id is not None and row.id > previous_id + 1:
        return "deleted", (previous_id + 1, row.id - 1)
    return "edited", None


def _walk(rows: Iterable, anchor: _Anchor | None, ids_from_one: bool) -> ChainReport:
    """The walk of `verify_chain`; `ids_from_one`: the first id is 1 unless rows were
    deleted (SQLite, whose ids are max + 1, so an emptied table starts at 1 again)."""
    previous_id = anchor.id if anchor else 0
    known_start = anchor is not None or ids_from_one
    previous = anchor.hash if anchor else None  # None: no chained row yet
    counts = {"rows": 0, "unchained": 0, "anchor_id": anchor.id if anchor else None}
    first_chained = None

    def broken(row, problem: str, missing: tuple | None = None) -> ChainReport:
        return ChainReport(
            ok=False,
            **counts,
            unchained_before=first_chained,
            head_id=previous_id if previous else None,
            head_hash=previous,
            broken_id=row.id,
            problem=problem,
            missing=missing,
        )

    it = iter(rows)
    row = next(it, None)
    while row is not None:
        following = next(it, None)
        if anchor and row.id <= anchor.id:
            return broken(row, "before_anchor")
        if row.row_hash is None:
            if previous is not None:
                return broken(row, "unhashed")
            counts["unchained"] += 1
        else:
            base = previous or GENESIS
            if row_hash(base, row._mapping) != row.row_hash:
                known = previous_id if known_start else None
                return broken(row, *_diagnose(base, known, row, following))
            previous = row.row_hash
            counts["rows"] += 1
            first_chained = first_chained or row.id
        previous_id, known_start = row.id, True
        row = following
    return ChainReport(
        ok=True,
        **counts,
        unchained_before=(first_chained or previous_id + 1) if counts["unchained"] else None,
        head_id=previous_id if previous else None,
        head_hash=previous,
    )


def verify_chain(engine: Engine) -> ChainReport:
    """Walk audit_log by id from the purge anchor (or GENESIS) and recompute every hash."""
    with engine.connect() as conn:
        anchor = _anchor(conn)
        result = conn.execution_options(yield_per=2000).execute(
            select(*_COLUMNS).order_by(audit_log.c.id)
        )
        return _walk(result, anchor, ids_from_one=conn.dialect.name == "sqlite")


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
    now = _utc(now or utc_now())
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


if __name__ == "__main__":  # python -m data.audit verify | purge (data/audit_cli.py)
    from data.audit_cli import main

    raise SystemExit(main())
