"""The signed-in user of a browser session (DESIGN.md §6): server-side sessions with idle and
absolute expiry, the local password sign-in, and ending a session.

How a session works. A successful sign-in creates a record in a server-side store (one per
server process, `st.cache_resource`) under a random 256-bit token; the browser session keeps
only that token in `st.session_state`. Every run looks the token up, checks expiry, and
re-reads the account from `app_users` (role, region, active, password age), so the scope
always comes from the database, never from session state: writing keys into session state
(a forged token, a `scope`, a `role`, another app context) grants nothing. A page reload
starts a new Streamlit session, which must sign in again (deliberate on shared office PCs).

OIDC sign-ins (components/oidc.py) use the same store and expiry; components/auth.py picks
between the two and is what the rest of the app asks.

Settings (env): AUTH_IDLE_HOURS (8), AUTH_MAX_SESSION_HOURS (24); lock-out settings in
data/accounts.py.
"""

from __future__ import annotations

import logging
import secrets
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import streamlit as st
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from components.engine import engine_for
from core.settings import environment
from data import accounts
from data.audit import USERNAME_MAX
from queries import audit

TOKEN_KEY = "_auth_token"  # noqa: S105 — a session_state key name, not a secret
NOTICE_KEY = "_auth_notice"
USER_RECHECK = timedelta(seconds=5)  # how stale the account row may be within a session

log = logging.getLogger(__name__)


def now() -> datetime:
    """UTC now; tests replace it to step through expiry and lock-out."""
    return audit.utc_now()


def idle_timeout() -> timedelta:
    """AUTH_IDLE_HOURS (core/settings.py `Environment`, 8 h by default)."""
    return timedelta(hours=environment().auth_idle_hours)


def max_session() -> timedelta:
    """AUTH_MAX_SESSION_HOURS (core/settings.py `Environment`, 24 h by default)."""
    return timedelta(hours=environment().auth_max_session_hours)


# ---------------------------------------------------------------- who is signed in


@dataclass(frozen=True)
class AuthUser:
    """The signed-in user as the app sees them (always re-read from app_users)."""

    username: str
    role: str
    region_code: str | None
    scope: str
    can_view_personal: bool
    via: str  # password, oidc

    @property
    def role_label(self) -> str:
        return accounts.ROLE_LABELS.get(self.role, self.role)


@dataclass
class Session:
    token: str
    username: str
    url: str
    via: str
    started: datetime
    last_seen: datetime
    identity: str = ""  # the OIDC claim that signed in
    checked: datetime | None = None
    user: AuthUser | None = None
    audited: set[str] = field(default_factory=set)


class SessionStore:
    """Server-side sessions by token; thread-safe (Streamlit runs sessions on threads)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_token: dict[str, Session] = {}

    def create(
        self, username: str, url: str, via: str, at: datetime, identity: str = ""
    ) -> Session:
        token = secrets.token_urlsafe(32)
        session = Session(token, username, url, via, at, at, identity)
        with self._lock:
            self._purge(at - idle_timeout())
            self._by_token[token] = session
        return session

    def _purge(self, seen_before: datetime) -> None:
        """Forget sessions idle past the timeout (browser tabs closed without signing out)."""
        stale = [t for t, s in self._by_token.items() if s.last_seen < seen_before]
        for token in stale:
            del self._by_token[token]

    def get(self, token: object) -> Session | None:
        if not isinstance(token, str):
            return None
        with self._lock:
            return self._by_token.get(token)

    def drop(self, token: str) -> None:
        with self._lock:
            self._by_token.pop(token, None)

    def count(self) -> int:
        with self._lock:
            return len(self._by_token)


@st.cache_resource(show_spinner=False)
def store() -> SessionStore:
    return SessionStore()


def engine(url: str) -> Engine:
    return engine_for(url)


def current_session() -> Session | None:
    """The server session this browser session's token names, live or not (None without one)."""
    return store().get(st.session_state.get(TOKEN_KEY))


def notice(message: str) -> None:
    """A message for the sign-in form's next run (why the session ended)."""
    st.session_state[NOTICE_KEY] = message


def safe_record(url: str, username: str | None, action: str, target: str | None) -> None:
    """Audit, but never let a failing audit write break a page for the user."""
    try:
        audit.record(engine(url), username, action, target)
    except SQLAlchemyError:
        log.exception("audit write failed: %s %s", action, target)


def as_auth_user(user: accounts.User, via: str) -> AuthUser:
    return AuthUser(
        username=user.username,
        role=user.role,
        region_code=user.region_code,
        scope=user.scope,
        can_view_personal=user.can_view_personal,
        via=via,
    )


def start(url: str, user: accounts.User, via: str, at: datetime, identity: str = "") -> AuthUser:
    """A new server session for `user`, its token kept in this browser session."""
    session = store().create(user.username, url, via, at, identity=identity)
    session.user, session.checked = as_auth_user(user, via), at
    st.session_state[TOKEN_KEY] = session.token
    return session.user


def end(session: Session, action: str | None, message: str | None) -> None:
    """Forget the session (and this browser session's token for it); audit `action` and
    leave `message` for the sign-in form when given."""
    store().drop(session.token)
    if st.session_state.get(TOKEN_KEY) == session.token:
        del st.session_state[TOKEN_KEY]
    if action:
        safe_record(session.url, session.username, action, session.via)
    if message:
        notice(message)


def end_current() -> None:
    """Sign-out: end this browser session's session, audited (the provider's cookie, under
    OIDC, is components/auth.py's to clear)."""
    session = current_session()
    if session is not None:
        end(session, "sign_out", None)
    st.session_state.pop(TOKEN_KEY, None)


def valid(session: Session, at: datetime) -> AuthUser | None:
    """The account behind a live session, re-read from the database at most every few
    seconds; None (session ended, reason noted) when expired, disabled or re-keyed."""
    if at - session.last_seen > idle_timeout():
        end(session, "session_expired", "您已较长时间未操作，登录已超时，请重新登录。")
        return None
    if at - session.started > max_session():
        end(session, "session_expired", "登录时间已超过上限，请重新登录。")
        return None
    if session.user is None or session.checked is None or at - session.checked > USER_RECHECK:
        user = accounts.get_user(engine(session.url), session.username)
        if user is None or not user.is_active or user.role not in accounts.ROLES:
            end(session, None, "您的账号已停用或不存在，请联系管理员。")
            return None
        if user.password_changed_at is not None and user.password_changed_at > session.started:
            end(session, None, "您的密码已被重置，请用新密码登录。")
            return None
        session.user, session.checked = as_auth_user(user, session.via), at
    session.last_seen = at
    return session.user


def password_user(url: str, at: datetime) -> AuthUser | None:
    """The user of this browser session's live password session for `url`, or None."""
    session = current_session()
    if session is None or session.url != url or session.via != "password":
        return None
    return valid(session, at)


# ---------------------------------------------------------------- local sign-in


def _lock_minutes(until: datetime | None, at: datetime) -> int:
    if until is None:
        return accounts.LockoutPolicy.from_env().lock_for.seconds // 60
    return max(1, int((until - at).total_seconds() + 59) // 60)


def sign_in(url: str, username: str, password: str) -> tuple[bool, str]:
    """Check the password, audit the attempt, and on success start a session for this
    browser session. Returns (ok, Chinese message for the sign-in page)."""
    username = (username or "").strip()
    at = now()
    policy = accounts.LockoutPolicy.from_env()
    result = accounts.authenticate(engine(url), username, password or "", now=at, policy=policy)
    if result.ok and result.user is not None:
        old = current_session()
        if old is not None:
            store().drop(old.token)
        start(url, result.user, "password", at)
        st.session_state.pop(NOTICE_KEY, None)
        safe_record(url, result.user.username, "sign_in", "password")
        return True, "登录成功。"
    name = username[:USERNAME_MAX] or None
    if result.reason == "locked_now":
        safe_record(url, name, "sign_in_failed", "密码错误")
        safe_record(url, name, "account_locked", f"连续 {policy.max_failures} 次密码错误")
        return False, (
            f"用户名或密码错误。连续输错 {policy.max_failures} 次，账号已锁定 "
            f"{_lock_minutes(result.locked_until, at)} 分钟；如需提前解锁请联系管理员。"
        )
    if result.reason == "locked":
        safe_record(url, name, "sign_in_locked", "账号锁定中")
        return False, (
            f"该账号因多次登录失败已暂时锁定，请 {_lock_minutes(result.locked_until, at)} "
            "分钟后再试，或联系管理员解锁。"
        )
    if result.reason == "disabled":
        safe_record(url, name, "sign_in_failed", "账号已停用")
        return False, "该账号已停用，请联系管理员。"
    safe_record(url, name, "sign_in_failed", "用户名或密码错误")
    return False, (
        f"用户名或密码错误。连续输错 {policy.max_failures} 次，账号将锁定 "
        f"{policy.lock_for.seconds // 60} 分钟。"
    )
