"""Sign-in attempts against `app_users` (DESIGN.md §6): the password check, the lock-out and
the user's own password change; the accounts themselves are data/accounts.py.

Lock-out: `max_failures` wrong passwords within `window` lock the account for `lock_for`
(defaults 5 in 15 minutes → 15 minutes; env AUTH_MAX_FAILURES, AUTH_FAILURE_WINDOW_MINUTES,
AUTH_LOCK_MINUTES). While locked even the right password is refused. A successful sign-in
clears the count. Parallel attempts are checked and counted one at a time on both backends
(`_attempt_row`), so a burst of guesses gets no more than `max_failures` verified. A wrong
old password in `change_own_password` counts like a wrong sign-in. Times are UTC without a
zone. No Streamlit here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, Engine, Row, select, update

from core.settings import environment
from data.accounts import (
    _DUMMY_HASH,
    User,
    _user,
    get_user,
    hash_password,
    password_problems,
    verify_password,
)
from data.audit import utc_now
from data.schema import app_users

__all__ = ["AuthResult", "LockoutPolicy", "authenticate", "change_own_password"]


@dataclass(frozen=True)
class LockoutPolicy:
    max_failures: int = 5
    window: timedelta = timedelta(minutes=15)
    lock_for: timedelta = timedelta(minutes=15)

    @classmethod
    def from_env(cls) -> LockoutPolicy:
        """AUTH_MAX_FAILURES / AUTH_FAILURE_WINDOW_MINUTES / AUTH_LOCK_MINUTES, validated by
        core/settings.py `Environment` (5, 15 and 15 by default)."""
        env = environment()
        return cls(
            max_failures=int(env.auth_max_failures),
            window=timedelta(minutes=env.auth_failure_window_minutes),
            lock_for=timedelta(minutes=env.auth_lock_minutes),
        )


@dataclass(frozen=True)
class AuthResult:
    """Outcome of one sign-in attempt: ok, or why not (bad_credentials, locked, disabled)."""

    ok: bool
    reason: str
    user: User | None = None
    locked_until: datetime | None = None


def change_own_password(
    engine: Engine,
    username: str,
    old_password: str,
    new_password: str,
    now: datetime,
    policy: LockoutPolicy | None = None,
) -> tuple[bool, str]:
    """The signed-in user replaces their password (the forced change at the first sign-in,
    or any later one): the old one must verify, the new one must pass `password_problems`
    and differ from the old. On success the hash is replaced, `must_change_password` is
    cleared and `password_changed_at` becomes exactly `now`. Returns (ok, Chinese message);
    a refusal changes nothing (the flag stays set). A wrong old password counts towards the
    lock-out like a wrong sign-in, so a session left open cannot be used to guess it.

    For the caller (the sign-in UI): components/session.py ends every session created before
    `password_changed_at` ("您的密码已被重置"), the one the change was made in included.
    After a success, replace this browser's session with a new one created at `now` (or
    later) for `get_user(engine, username)`: `password_changed_at == now` is not later than
    its start, so it survives, while the user's other sessions end as after a reset."""
    policy = policy or LockoutPolicy.from_env()
    with engine.begin() as conn:
        row = _attempt_row(conn, username)
        if row is None or not row.is_active:
            return False, "账号不存在或已停用，请联系系统管理员。"
        user = _user(row)
        if user.is_locked(now):
            return False, "原密码连续输错次数过多，账号已暂时锁定，请稍后再试或联系系统管理员。"
        if not verify_password(row.password_hash, old_password or ""):
            if _failure(conn, user, now, policy).reason == "locked_now":
                return False, "原密码不正确。连续输错次数过多，账号已暂时锁定。"
            return False, "原密码不正确。"
        if new_password == old_password:
            return False, "新密码不能与原密码相同。"
        problems = password_problems(new_password or "", username)
        if problems:
            return False, "".join(problems)
        conn.execute(
            update(app_users)
            .where(app_users.c.username == username)
            .values(
                password_hash=hash_password(new_password),
                password_changed_at=now,
                must_change_password=False,
                failed_attempts=0,
                failed_since=None,
            )
        )
    return True, "密码已修改。"


# ---------------------------------------------------------------- sign-in


def _attempt_row(conn: Connection, username: str) -> Row | None:
    """The account row for one password attempt, held until `conn`'s transaction ends, so
    concurrent attempts check the lock, verify and count one at a time: at most
    `max_failures` guesses are verified before the lock holds (issue 19.2). PostgreSQL locks
    the row (SELECT ... FOR UPDATE). SQLite has no row locks: the transaction takes the
    database's write lock first (BEGIN IMMEDIATE, which must be its first statement), so
    other writers wait (busy timeout 30 s, data/db.py) while one hash is verified; readers
    do not (WAL). Without it each thread read a count of 0 and verified its guess."""
    stmt = select(app_users).where(app_users.c.username == username)
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("BEGIN IMMEDIATE")
    else:
        stmt = stmt.with_for_update()
    return conn.execute(stmt).first()


def authenticate(
    engine: Engine,
    username: str,
    password: str,
    now: datetime | None = None,
    policy: LockoutPolicy | None = None,
) -> AuthResult:
    """Check a sign-in attempt and record its effect on the account (failure count, lock,
    last sign-in). Never raises for a wrong name or password.

    Order: an unknown name or a wrong password is `bad_credentials` (the two look alike);
    a locked account is `locked` whatever the password; a disabled account with the right
    password is `disabled`."""
    now = now or utc_now()
    policy = policy or LockoutPolicy.from_env()
    username = (username or "").strip()
    with engine.begin() as conn:
        row = _attempt_row(conn, username) if username else None
        if row is None:
            verify_password(_DUMMY_HASH, password or "")
            return AuthResult(False, "bad_credentials")
        user = _user(row)
        if user.is_locked(now):
            return AuthResult(False, "locked", user, user.locked_until)
        if not verify_password(row.password_hash, password or ""):
            return _failure(conn, user, now, policy)
        if not user.is_active:
            return AuthResult(False, "disabled", user)
        conn.execute(
            update(app_users)
            .where(app_users.c.username == username)
            .values(failed_attempts=0, failed_since=None, locked_until=None, last_sign_in_at=now)
        )
    return AuthResult(True, "ok", get_user(engine, username))


def _failure(conn: Connection, user: User, now: datetime, policy: LockoutPolicy) -> AuthResult:
    """Count a wrong password; the `max_failures`-th within the window locks the account."""
    fresh = user.failed_since is None or now - user.failed_since > policy.window
    count = 1 if fresh else user.failed_attempts + 1
    since = now if fresh else user.failed_since
    values: dict = {"failed_attempts": count, "failed_since": since}
    if count >= policy.max_failures:
        values = {"failed_attempts": 0, "failed_since": None, "locked_until": now + policy.lock_for}
    conn.execute(update(app_users).where(app_users.c.username == user.username).values(**values))
    if "locked_until" in values:
        return AuthResult(False, "locked_now", user, values["locked_until"])
    return AuthResult(False, "bad_credentials", user)
