"""Which loads the rollup has not yet caught up with (issue 19.7).

An import commits its rows and then refreshes kpi_snapshots in a second step. A crash, a
killed server or a failed refresh between the two used to leave the indicators stale with
nothing to show it: a re-import of the same file found every row unchanged and said "无需刷新".
Now the import writes a marker in the same transaction as its rows — app_meta key
`rollup_pending:<batch id>`, value the earliest date it touched (or `full`) — and the
refresh that covers it deletes it in its own transaction. A marker still present means the
snapshot is behind those rows: the next import (even of unchanged rows), the data page's
button and `python -m data.rollup` refresh from the earliest marker.

One key per batch, so two imports committing at once never write the same row (a shared
key would make the second fail on PostgreSQL's unique index).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import Connection, select

from data.schema import app_meta

PREFIX = "rollup_pending:"
FULL = "full"


@dataclass(frozen=True)
class Marker:
    key: str
    since: date | None  # None: the refresh must cover every month

    @property
    def batch_id(self) -> int | None:
        tail = self.key[len(PREFIX) :]
        return int(tail) if tail.isdigit() else None


def mark(conn: Connection, batch_id: int, since: date | None) -> None:
    """Record, in the caller's transaction, that batch `batch_id` changed rows from `since`
    on (None: dates unknown, refresh everything)."""
    value = since.isoformat() if since is not None else FULL
    conn.execute(app_meta.insert().values(key=f"{PREFIX}{batch_id}", value=value))


def markers(conn: Connection) -> list[Marker]:
    """The loads not yet refreshed, oldest batch first."""
    rows = conn.execute(
        select(app_meta.c.key, app_meta.c.value).where(app_meta.c.key.startswith(PREFIX))
    ).all()
    out = [Marker(k, None if v == FULL else date.fromisoformat(v)) for k, v in rows]
    return sorted(out, key=lambda m: (m.batch_id is None, m.batch_id or 0, m.key))


def earliest(found: list[Marker], since: date | None = None) -> tuple[bool, date | None]:
    """(full, since): whether a refresh covering `found` (and a load from `since`) must
    recompute every month, else the earliest date to refresh from."""
    dates = [m.since for m in found] + ([since] if since is not None else [])
    if any(m.since is None for m in found):
        return True, None
    return (not dates), min(dates) if dates else None


def covered(found: list[Marker], first_month: str | None, whole: bool) -> list[str]:
    """Keys a refresh from `first_month` ('YYYY-MM', to the latest month) catches up with:
    all of them for a refresh of every month (`whole`), else those from that month on."""
    if whole:
        return [m.key for m in found]
    if first_month is None:
        return []
    return [m.key for m in found if m.since is not None and f"{m.since:%Y-%m}" >= first_month]


def clear(conn: Connection, keys: list[str]) -> None:
    """Delete the markers a finished refresh covered (in the refresh's transaction)."""
    if keys:
        conn.execute(app_meta.delete().where(app_meta.c.key.in_(keys)))
