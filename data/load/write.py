"""Writing a validated ledger: an upsert on the natural key inside the caller's transaction,
the import_batches record, and the rollup refresh afterwards.

The upsert compares each row with what is stored and writes only what differs: new keys are
inserted, changed rows updated (only the columns the file carries), identical rows left
alone, so re-importing a file writes nothing and says so. New rows go in by INSERT
executemany on SQLite and COPY on PostgreSQL, changed rows by UPDATE executemany (no
dialect-specific ON CONFLICT), and every statement runs in the one transaction the caller
holds: all rows or none.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal

import pandas as pd
from sqlalchemy import Boolean, Connection, Date, Engine, Numeric, any_, bindparam, func, select
from sqlalchemy.dialects.postgresql import ARRAY

from core.masking import mask_id_numbers_in
from data import rollup, rollup_pending
from data import schema as s
from data.load.checks import LEVEL_ORDER, Lookups
from data.load.errors import MAX_STORED_ERRORS, ImportResult
from data.load.identity import Conflict, conflicts
from data.load.specs import Spec

CHUNK = 5_000  # keys per IN (...) lookup, rows per executemany
FULL_REFRESH_KINDS = ("regions", "institutions")  # no dates of their own: every month changes


@dataclass
class Plan:
    """What an import will do: rows to insert and to update, and how many are unchanged."""

    columns: list[str]  # table columns written (key first)
    inserts: list[dict] = field(default_factory=list)
    updates: list[dict] = field(default_factory=list)
    unchanged: int = 0
    since: date | None = None  # earliest date touched (old or new values), for the rollup
    conflicts: list[Conflict] = field(default_factory=list)  # keys reused for another record


def _null(v: object) -> bool:
    return v is None or (isinstance(v, float) and v != v)


def _converter(column):
    """cell value -> driver value for one column: None for a blank, Decimal for money, False
    for a blank cell of a not-null flag column (its default), numpy scalars unwrapped."""
    if isinstance(column.type, Numeric):
        return lambda v: (
            None if _null(v) else Decimal(str(v)).quantize(Decimal("0.01"), ROUND_HALF_UP)
        )
    if isinstance(column.type, Boolean) and not column.nullable:
        return lambda v: False if _null(v) else bool(v)
    return lambda v: None if _null(v) else (v.item() if hasattr(v, "item") else v)


def _stored(conn: Connection, table, key: str, keys: list) -> dict[object, dict]:
    """The stored rows with these keys. PostgreSQL gets each chunk as one array parameter
    (= ANY), which it plans and psycopg sends far faster than thousands of IN parameters."""
    col = table.c[key]
    pg = conn.dialect.name == "postgresql"
    size = 50_000 if pg else CHUNK
    out: dict[object, dict] = {}
    for i in range(0, len(keys), size):
        chunk = keys[i : i + size]
        cond = (
            col == any_(bindparam("keys", chunk, type_=ARRAY(col.type))) if pg else col.in_(chunk)
        )
        for row in conn.execute(select(table).where(cond)).mappings():
            out[row[key]] = dict(row)
    return out


def _same(old: object, new: object) -> bool:
    if old is None or new is None:
        return old is None and new is None
    if isinstance(old, Decimal | float) or isinstance(new, Decimal):
        return Decimal(str(old)).quantize(Decimal("0.01"), ROUND_HALF_UP) == Decimal(
            str(new)
        ).quantize(Decimal("0.01"), ROUND_HALF_UP)
    if isinstance(old, datetime):
        old = old.date()
    return old == new


# Dates no indicator reads: a change to them alone moves no month of the rollup.
NOT_METRIC_DATES = ("birth_date", "updated_on", "info_updated_on")


def _dates(row: dict, table) -> list[date]:
    out = []
    for c in table.columns:
        v = row.get(c.name)
        if v is None or c.name in NOT_METRIC_DATES:
            continue
        if isinstance(c.type, Date):
            out.append(v if isinstance(v, date) else date.fromisoformat(str(v)[:10]))
        elif c.name == "year":
            out.append(date(int(v), 1, 1))
    return out


def plan(conn: Connection, spec: Spec, frame: pd.DataFrame, lookups: Lookups) -> Plan:
    """Compare the validated rows with the stored ones (read in this transaction); a row
    whose key names a record it does not describe is a conflict (data/load/identity.py)."""
    table, key = spec.table, spec.key
    frame = frame.copy()
    if spec.kind == "children":
        _assign_child_ids(conn, frame, lookups)
    columns = [key] + [c for c in frame.columns if c != key and c in table.c]
    converted = []
    for c in columns:
        conv = _converter(table.c[c])
        converted.append([conv(v) for v in frame[c].tolist()])
    recs = [dict(zip(columns, values, strict=True)) for values in zip(*converted, strict=True)]
    stored = _stored(conn, table, key, [r[key] for r in recs])
    p = Plan(columns)
    touched: list[date] = []
    changed: list[tuple[int, dict, dict]] = []  # (spreadsheet row, stored, new)
    for row, r in zip(frame.index.tolist(), recs, strict=True):
        old = stored.get(r[key])
        if old is None:
            p.inserts.append(r)
            touched += _dates(r, table)
        elif all(_same(old[c], r[c]) for c in columns):
            p.unchanged += 1
        else:
            p.updates.append(r)
            changed.append((int(row), old, r))
            touched += _dates(r, table) + _dates(old, table)
    p.conflicts = conflicts(conn, spec, changed)
    p.since = min(touched) if touched else None
    if spec.kind == "regions":  # parents before children (foreign key on parent_code)
        p.inserts.sort(key=lambda r: LEVEL_ORDER.index(r.get("level") or "village"))
    return p


def _assign_child_ids(conn: Connection, frame: pd.DataFrame, lookups: Lookups) -> None:
    """Rows without 编号: the id of the child already registered with that ID number, else a
    new id after the largest in use."""
    if "id" not in frame:
        frame["id"] = None
    if not frame["id"].isna().any():
        return
    ids = [None if pd.isna(i) else int(i) for i in frame["id"].tolist()]
    if "id_number" in frame:
        numbers = frame["id_number"].tolist()
        ids = [
            lookups.child_by_id_number.get(n) if i is None else i
            for i, n in zip(ids, numbers, strict=True)
        ]
    top = max(
        [
            conn.execute(select(func.max(s.children.c.id))).scalar() or 0,
            *(i for i in ids if i is not None),
        ]
    )
    for n, i in enumerate(ids):
        if i is None:
            top += 1
            ids[n] = top
    frame["id"] = pd.Series(ids, index=frame.index, dtype=object)


def apply(conn: Connection, spec: Spec, p: Plan) -> None:
    """Execute the plan (inside the caller's transaction)."""
    table, key = spec.table, spec.key
    if conn.dialect.name == "postgresql" and p.inserts:
        _copy_rows(conn, table, p.columns, p.inserts)
    else:
        for i in range(0, len(p.inserts), CHUNK):
            conn.execute(table.insert(), p.inserts[i : i + CHUNK])
    if p.updates:
        values = {c: bindparam(f"v_{c}") for c in p.columns if c != key}
        stmt = table.update().where(table.c[key] == bindparam("k_key")).values(values)
        rows = [
            {"k_key": r[key], **{f"v_{c}": r[c] for c in p.columns if c != key}} for r in p.updates
        ]
        for i in range(0, len(rows), CHUNK):
            conn.execute(stmt, rows[i : i + CHUNK])


def _copy_rows(conn: Connection, table, columns: list[str], rows: list[dict]) -> None:
    """PostgreSQL: COPY the new rows on the transaction's own driver connection (several
    times faster than INSERT batches; rolled back with the rest on failure). Foreign keys
    and constraints are checked as for INSERT."""
    prep = conn.dialect.identifier_preparer
    names = ", ".join(prep.quote(c) for c in columns)
    sql = f"COPY {prep.format_table(table)} ({names}) FROM STDIN"
    with conn.connection.driver_connection.cursor() as cur, cur.copy(sql) as copy:
        for r in rows:
            copy.write_row([r[c] for c in columns])


def record_batch(conn: Connection, result: ImportResult, user: str | None) -> int:
    """One import_batches row per attempt; errors_json keeps the first errors (masked: no
    raw ID number at rest), their count, the row counts and notes."""
    payload = {
        "errors": [p.masked().as_dict() for p in result.errors[:MAX_STORED_ERRORS]],
        "error_count": len(result.errors),
        "inserted": result.inserted,
        "updated": result.updated,
        "unchanged": result.unchanged,
        "notes": [mask_id_numbers_in(n) for n in result.notes],
    }
    b = s.import_batches
    stmt = (
        b.insert()
        .values(
            kind=result.kind,
            file_name=result.file_name[:255],
            sha256=result.sha256,
            rows_in=result.rows_in,
            rows_loaded=result.rows_loaded,
            status=result.status,
            errors_json=json.dumps(payload, ensure_ascii=False),
            imported_by=(user or None) and user[:64],
            imported_at=datetime.now(UTC).replace(tzinfo=None),
        )
        .returning(b.c.id)
    )
    return conn.execute(stmt).scalar_one()


def note_rollup(engine: Engine, batch_id: int, note: str) -> None:
    """Add the rollup outcome to a batch's errors_json (after the load committed)."""
    b = s.import_batches
    with engine.begin() as conn:
        raw = conn.execute(select(b.c.errors_json).where(b.c.id == batch_id)).scalar_one()
        payload = json.loads(raw or "{}")
        payload["rollup"] = note
        conn.execute(
            b.update()
            .where(b.c.id == batch_id)
            .values(errors_json=json.dumps(payload, ensure_ascii=False))
        )


def _month(d: date) -> str:
    return d.strftime("%Y-%m")


def _next_month(period: str) -> str:
    y, m = int(period[:4]), int(period[5:7])
    return f"{y + (m == 12)}-{m % 12 + 1:02d}"


def refresh_rollup(engine: Engine, kind: str, since: date | None) -> str:
    """Recompute kpi_snapshots after a load. Only the months from the earliest date the
    import touched onward — or an earlier load's, when its refresh never finished (its
    marker, data/rollup_pending.py, is still there) — when the snapshot already spans the
    data; else everything. Returns "full" or "since YYYY-MM"."""
    with engine.connect() as conn:
        whole, since = rollup_pending.earliest(rollup_pending.markers(conn), since)
        lo, hi = rollup.data_dates(conn)
        k = s.kpi_snapshots
        snap_min, snap_max = conn.execute(select(func.min(k.c.period), func.max(k.c.period))).one()
    full = (
        whole
        or kind in FULL_REFRESH_KINDS
        or since is None
        or lo is None
        or snap_min is None
        or _month(lo) != snap_min
        or _month(hi) < snap_max
    )
    if full:
        rollup.refresh(engine)
        return "full"
    first = max(_month(since), _month(lo))
    first = min(first, _month(hi))
    if _month(hi) > snap_max:
        first = min(first, _next_month(snap_max))
    rollup.refresh(engine, since=first)
    return f"since {first}"


def rollup_behind(engine: Engine) -> list[int]:
    """Batch ids whose rows are in but whose rollup refresh never finished."""
    with engine.connect() as conn:
        return [m.batch_id for m in rollup_pending.markers(conn) if m.batch_id is not None]


def catch_up(engine: Engine) -> str:
    """Refresh the rollup for the loads it is behind on (from the earliest of them); "" when
    it is behind on none. Returns refresh_rollup's note."""
    if not rollup_behind(engine):
        return ""
    return refresh_rollup(engine, "", None)
