"""The audit chain's encoding and its verification (the why is in data/audit.py's docstring,
the writer that keeps the chain): `row_hash`, the purge anchor in app_meta, and
`verify_chain`, which the CLI (`python -m data.audit verify`) and the 审计日志 page call.
Below data/audit.py, which imports it, so the two never import each other. No Streamlit here.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Connection, Engine, select

from data.schema import app_meta, audit_log

__all__ = [
    "ANCHOR_HASH",
    "ANCHOR_ID",
    "GENESIS",
    "PROBLEMS_EN",
    "PROBLEMS_ZH",
    "Anchor",
    "ChainReport",
    "as_utc",
    "read_anchor",
    "row_hash",
    "verify_chain",
]

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


def as_utc(at: datetime) -> datetime:
    """A zone-aware time as naive UTC (what is stored, so what is hashed)."""
    return at.astimezone(UTC).replace(tzinfo=None) if at.tzinfo is not None else at


def row_hash(previous: str, row: Mapping) -> str:
    """SHA-256 hex of the previous row's hash and this row's id, at, username, action,
    target, client_addr and user_agent, as one compact JSON array (UTF-8; None is null; the
    time to the microsecond, which both backends keep), so the encoding has one spelling."""
    fields = [
        previous,
        int(row["id"]),
        as_utc(row["at"]).isoformat(timespec="microseconds"),  # 2026-11-02T03:04:05.000678
        row["username"],
        row["action"],
        row["target"],
        row["client_addr"],
        row["user_agent"],
    ]
    text = _JSON.encode(fields)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Anchor:
    """The last purged row (data/audit.py `purge`): where verification starts."""

    id: int
    hash: str | None  # None when the last purged row was written before the chain


def read_anchor(conn: Connection) -> Anchor | None:
    meta = dict(
        conn.execute(
            select(app_meta.c.key, app_meta.c.value).where(
                app_meta.c.key.in_([ANCHOR_ID, ANCHOR_HASH])
            )
        ).all()
    )
    if not meta.get(ANCHOR_ID):
        return None
    return Anchor(int(meta[ANCHOR_ID]), meta.get(ANCHOR_HASH) or None)


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


def _walk(rows: Iterable, anchor: Anchor | None, ids_from_one: bool) -> ChainReport:
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
        anchor = read_anchor(conn)
        result = conn.execution_options(yield_per=2000).execute(
            select(*_COLUMNS).order_by(audit_log.c.id)
        )
        return _walk(result, anchor, ids_from_one=conn.dialect.name == "sqlite")
