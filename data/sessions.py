"""Server-side sign-in sessions (DESIGN.md §6, issue 15): the table auth_sessions and the only
SQL that touches it. components/session.py decides who is signed in; the users CLI and page
end a user's sessions through `end_all`.

Why in the database and not in the server's memory: a Streamlit session ends with its
websocket, so a reload, a new tab or a bookmark used to ask for the password again. The
browser now keeps a random token in an HttpOnly cookie and every new Streamlit session finds
its sign-in by that token; a server restart or a second server process keeps it too.

What is stored: never the token, only its SHA-256 (`token_hash`). A sign-in made inside a
Streamlit run cannot set a cookie (a script has no HTTP response), so it gets a one-time claim
code instead (its hash in `claim_hash`, valid CLAIM_SECONDS); the page posts that code to the
app's /_auth/claim route, which generates the token, stores its hash and sets the cookie. A
session row is never deleted while it may be shown; an ended one keeps `ended_at` and
`end_reason` for the audit.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, fields
from datetime import datetime, timedelta

from sqlalchemy import Engine, func, select, update

from data.schema import auth_sessions as s

CLAIM_SECONDS = 60
ADDR_MAX, AGENT_MAX, IDENTITY_MAX = 64, 255, 255


def digest(secret: str) -> str:
    """The stored form of a token or claim code: SHA-256, hex."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class SessionRow:
    id: str
    username: str
    via: str
    identity: str
    created_at: datetime
    last_seen_at: datetime
    ended_at: datetime | None
    end_reason: str | None

    @property
    def live(self) -> bool:
        return self.ended_at is None


def _row(r) -> SessionRow | None:
    if r is None:
        return None
    return SessionRow(**{**r._asdict(), "identity": r.identity or ""})


COLUMNS = tuple(s.c[f.name] for f in fields(SessionRow))


def create(
    engine: Engine,
    username: str,
    via: str,
    at: datetime,
    identity: str = "",
    client_addr: str | None = None,
    user_agent: str | None = None,
) -> tuple[str, str]:
    """A new live session; returns (session id, one-time claim code for the cookie)."""
    session_id = secrets.token_urlsafe(32)
    claim = secrets.token_urlsafe(32)
    with engine.begin() as conn:
        conn.execute(
            s.insert().values(
                id=session_id,
                claim_hash=digest(claim),
                claim_expires_at=at + timedelta(seconds=CLAIM_SECONDS),
                username=username,
                via=via,
                identity=(identity or "")[:IDENTITY_MAX],
                created_at=at,
                last_seen_at=at,
                client_addr=(client_addr or None) and client_addr[:ADDR_MAX],
                user_agent=(user_agent or None) and user_agent[:AGENT_MAX],
            )
        )
    return session_id, claim


def claim(engine: Engine, code: str, at: datetime) -> str | None:
    """Exchange a claim code (once, before it expires, on a live session) for a new cookie
    token; None when the code is unknown, used, expired or its session ended."""
    if not isinstance(code, str) or not code:
        return None
    token = secrets.token_urlsafe(32)
    with engine.begin() as conn:
        done = conn.execute(
            update(s)
            .where(
                s.c.claim_hash == digest(code),
                s.c.claim_expires_at >= at,
                s.c.ended_at.is_(None),
            )
            .values(token_hash=digest(token), claim_hash=None, claim_expires_at=None)
        )
    return token if done.rowcount == 1 else None


def by_id(engine: Engine, session_id: object) -> SessionRow | None:
    if not isinstance(session_id, str) or not session_id:
        return None
    with engine.connect() as conn:
        return _row(conn.execute(select(*COLUMNS).where(s.c.id == session_id)).first())


def by_token(engine: Engine, token: object) -> SessionRow | None:
    """The session a cookie token names (live or not); None for anything else."""
    if not isinstance(token, str) or not token:
        return None
    with engine.connect() as conn:
        stmt = select(*COLUMNS).where(s.c.token_hash == digest(token))
        return _row(conn.execute(stmt).first())


def touch(engine: Engine, session_id: str, at: datetime) -> None:
    """Record activity (the idle timeout counts from last_seen_at)."""
    with engine.begin() as conn:
        conn.execute(
            update(s).where(s.c.id == session_id, s.c.ended_at.is_(None)).values(last_seen_at=at)
        )


def end(engine: Engine, session_id: str, reason: str, at: datetime) -> bool:
    """End one session (sign-out, expiry, account change); False when it had ended already."""
    with engine.begin() as conn:
        done = conn.execute(
            update(s)
            .where(s.c.id == session_id, s.c.ended_at.is_(None))
            .values(ended_at=at, end_reason=reason[:32], claim_hash=None)
        )
    return done.rowcount == 1


def end_by_token(engine: Engine, token: object, reason: str, at: datetime) -> bool:
    """End the session a cookie names (the sign-out route)."""
    row = by_token(engine, token)
    return row is not None and end(engine, row.id, reason, at)


def end_all(engine: Engine, username: str, reason: str, at: datetime) -> int:
    """End every live session of `username` (an admin's 强制下线, a disabled account, a
    reset password); returns how many were live."""
    with engine.begin() as conn:
        done = conn.execute(
            update(s)
            .where(s.c.username == username, s.c.ended_at.is_(None))
            .values(ended_at=at, end_reason=reason[:32], claim_hash=None)
        )
    return done.rowcount


def live_count(engine: Engine, username: str | None = None) -> int:
    """Live sessions (of `username`, or all): the users page shows it."""
    stmt = select(func.count()).select_from(s).where(s.c.ended_at.is_(None))
    if username is not None:
        stmt = stmt.where(s.c.username == username)
    with engine.connect() as conn:
        return int(conn.execute(stmt).scalar_one())
