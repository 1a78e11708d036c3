"""The signed-in user of a browser session (DESIGN.md §6): server-side sessions with idle and
absolute expiry kept in the database (data/sessions.py), the local password sign-in, and
ending a session.

How a session works. A successful sign-in creates a row in auth_sessions; this Streamlit
session keeps the row's id in `st.session_state` (never the cookie's token), and the browser
is handed an HttpOnly cookie through a one-time claim code (`deliver_cookie`, then the
/_auth/claim route of components/session_http.py). A reload, a new tab or a bookmark starts a
new Streamlit session, which finds the sign-in by that cookie. Every run re-reads the row
(sign-out in another tab, an admin's 强制下线 and expiry end it everywhere at once) and, at
most every few seconds, the account from `app_users` (role, region, active, password age),
so the scope always comes from the database: writing keys into session state (a forged
session id, a `scope`, a `role`, another app context) grants nothing.

OIDC sign-ins (components/oidc.py) use the same rows and expiry; components/auth.py picks
between the two and is what the rest of the app asks.

Settings (env): AUTH_IDLE_HOURS (8), AUTH_MAX_SESSION_HOURS (24), AUTH_COOKIE_SECURE;
lock-out settings in data/authentication.py.
"""

from __future__ import annotations

import json
import logging
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta

import streamlit as st
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from components.engine import engine_for
from core.settings import environment
from data import accounts, authentication, sessions
from data.audit import USERNAME_MAX
from data.sessions import SessionRow
from queries import audit

SESSION_KEY = "_auth_session"  # the auth_sessions row id of this Streamlit session
CLAIM_KEY = "_auth_claim"  # a claim code waiting to be posted by the page (one run)
CLEAR_KEY = "_auth_clear_cookie"  # the page should ask the server to drop the cookie
AUDITED_KEY = "_auth_audited"  # record lists already audited in this Streamlit session
NOTICE_KEY = "_auth_notice"
COOKIE_NAME = "jx_care_session"
CLAIM_PATH, SIGN_OUT_PATH = "_auth/claim", "_auth/sign-out"
USER_RECHECK = timedelta(seconds=5)  # how stale the account row may be within a session
TOUCH_EVERY = timedelta(minutes=1)  # last_seen_at is written at most this often

# Why a session ended, as the sign-in form says it (end_reason -> message).
END_MESSAGES = {
    "idle": "您已较长时间未操作，登录已超时，请重新登录。",
    "max_age": "登录时间已超过上限，请重新登录。",
    "disabled": "您的账号已停用或不存在，请联系管理员。",
    "password_reset": "您的密码已被重置，请用新密码登录。",
    "sign_out": "您已退出登录（可能是在其他窗口中退出的），请重新登录。",
    "admin": "管理员已结束您的登录，请重新登录。",
}

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
    must_change_password: bool = False  # a generated or reset password: change it first

    @property
    def role_label(self) -> str:
        return accounts.ROLE_LABELS.get(self.role, self.role)


@dataclass(frozen=True)
class Session:
    """A session row as this run found it, for the database at `url`."""

    row: SessionRow
    url: str

    id = property(lambda self: self.row.id)
    username = property(lambda self: self.row.username)
    via = property(lambda self: self.row.via)
    identity = property(lambda self: self.row.identity)


class AccountCache:
    """Per process: the account behind each session id and when it was read, so that a run
    re-reads app_users at most every USER_RECHECK; thread-safe (sessions run on threads)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_id: dict[str, tuple[AuthUser, datetime]] = {}

    def get(self, session_id: str, at: datetime) -> AuthUser | None:
        with self._lock:
            hit = self._by_id.get(session_id)
        if hit is None or at - hit[1] > USER_RECHECK or at < hit[1]:
            return None
        return hit[0]

    def put(self, session_id: str, user: AuthUser, at: datetime) -> None:
        with self._lock:
            self._by_id[session_id] = (user, at)

    def drop(self, session_id: str) -> None:
        with self._lock:
            self._by_id.pop(session_id, None)


@st.cache_resource(show_spinner=False)
def account_cache() -> AccountCache:
    return AccountCache()


def engine(url: str) -> Engine:
    return engine_for(url)


def cookie_token() -> str | None:
    """The session cookie this browser sent with the websocket (HttpOnly: the page's scripts
    never see it; the server reads it off the request)."""
    try:
        value = st.context.cookies.get(COOKIE_NAME)
    except Exception:  # no request context (AppTest, bare mode)
        return None
    return value if isinstance(value, str) and value else None


def current_session(url: str) -> Session | None:
    """The session row of this Streamlit session (by the id it keeps, else by the browser's
    cookie), live or not; None without one."""
    eng = engine(url)
    row = sessions.by_id(eng, st.session_state.get(SESSION_KEY))
    if row is None:
        row = sessions.by_token(eng, cookie_token())
        if row is None or not row.live:
            return None
        st.session_state[SESSION_KEY] = row.id
    return Session(row, url)


def notice(message: str) -> None:
    """A message for the sign-in form's next run (why the session ended)."""
    st.session_state[NOTICE_KEY] = message


def client_source() -> dict[str, str | None]:
    """The browser's address and agent as the request gave them (for sign-in audit rows and
    the session row); empty outside a real request."""
    try:
        addr = st.context.ip_address
        agent = st.context.headers.get("User-Agent")
    except Exception:  # no request behind this run
        addr = agent = None
    return {
        "client_addr": addr if isinstance(addr, str) and addr else None,
        "user_agent": agent if isinstance(agent, str) and agent else None,
    }


def safe_record(
    url: str, username: str | None, action: str, target: str | None, **source: str | None
) -> None:
    """Audit, but never let a failing audit write break a page for the user."""
    try:
        audit.record(engine(url), username, action, target, **source)
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
        must_change_password=user.must_change_password and via == "password",
    )


def start(url: str, user: accounts.User, via: str, at: datetime, identity: str = "") -> AuthUser:
    """A new session row for `user`, kept by this Streamlit session; the browser gets its
    cookie on the next run (`deliver_cookie`)."""
    session_id, claim = sessions.create(
        engine(url), user.username, via, at, identity=identity, **client_source()
    )
    auth_user = as_auth_user(user, via)
    account_cache().put(session_id, auth_user, at)
    st.session_state[SESSION_KEY] = session_id
    st.session_state[CLAIM_KEY] = claim
    st.session_state.pop(CLEAR_KEY, None)
    return auth_user


def end(session: Session, reason: str, action: str | None, message: str | None) -> None:
    """End the session everywhere (every tab that shares it), forget it here; audit
    `action` and leave `message` for the sign-in form when given."""
    sessions.end(engine(session.url), session.id, reason, now())
    account_cache().drop(session.id)
    if st.session_state.get(SESSION_KEY) == session.id:
        del st.session_state[SESSION_KEY]
        st.session_state[CLEAR_KEY] = True
    if action:
        safe_record(session.url, session.username, action, session.via)
    if message:
        notice(message)


def end_current(url: str) -> None:
    """Sign-out: end this browser's session in every tab, audited (the provider's cookie,
    under OIDC, is components/auth.py's to clear)."""
    session = current_session(url)
    if session is not None and session.row.live:
        end(session, "sign_out", "sign_out", None)
    st.session_state.pop(SESSION_KEY, None)
    st.session_state[CLEAR_KEY] = True


def valid(session: Session, at: datetime) -> AuthUser | None:
    """The account behind a live session; None (session ended, reason noted) when it ended
    elsewhere, expired, or its account was disabled or re-keyed."""
    row = session.row
    if not row.live:
        if st.session_state.get(SESSION_KEY) == row.id:
            del st.session_state[SESSION_KEY]
            st.session_state[CLEAR_KEY] = True
            notice(END_MESSAGES.get(row.end_reason or "", END_MESSAGES["sign_out"]))
        return None
    if at - row.last_seen_at > idle_timeout():
        end(session, "idle", "session_expired", END_MESSAGES["idle"])
        return None
    if at - row.created_at > max_session():
        end(session, "max_age", "session_expired", END_MESSAGES["max_age"])
        return None
    user = account_cache().get(row.id, at)
    if user is None:
        account = accounts.get_user(engine(session.url), row.username)
        if account is None or not account.is_active or account.role not in accounts.ROLES:
            end(session, "disabled", None, END_MESSAGES["disabled"])
            return None
        changed = account.password_changed_at
        if changed is not None and changed > row.created_at:
            end(session, "password_reset", None, END_MESSAGES["password_reset"])
            return None
        user = as_auth_user(account, row.via)
        account_cache().put(row.id, user, at)
    if at - row.last_seen_at >= TOUCH_EVERY:
        sessions.touch(engine(session.url), row.id, at)
    return user


def change_password(url: str, user: AuthUser, old: str, new: str) -> tuple[bool, str]:
    """The signed-in user replaces their password (forced at the first sign-in after an
    administrator set it). On success every session of theirs ends, as after a reset, and
    this browser gets a new one (and a new cookie) created after the change."""
    at = now()
    engine_ = engine(url)
    ok, message = authentication.change_own_password(engine_, user.username, old, new, at)
    safe_record(
        url, user.username, "password_change", "成功" if ok else "未通过", **client_source()
    )
    if not ok:
        return False, message
    current = current_session(url)
    sessions.end_all(engine_, user.username, "password_reset", at)
    if current is not None:
        account_cache().drop(current.id)
    account = accounts.get_user(engine_, user.username)
    if account is None:
        return False, END_MESSAGES["disabled"]
    start(url, account, user.via, at)
    return True, message


def password_user(url: str, at: datetime) -> AuthUser | None:
    """The user of this browser's live password session for `url`, or None."""
    session = current_session(url)
    if session is None or session.via != "password":
        return None
    return valid(session, at)


def deliver_cookie(base_path: str = "") -> None:
    """After a sign-in: have the page post the one-time claim code to /_auth/claim, whose
    response sets the HttpOnly cookie; after a sign-out, ask the server to drop it. Runs
    the script once (the code is taken out of session state when rendered)."""
    prefix = "/" + base_path.strip("/") + "/" if base_path.strip("/") else "/"
    claim = st.session_state.pop(CLAIM_KEY, None)
    if claim:
        body = json.dumps({"code": claim})
        target = json.dumps(prefix + CLAIM_PATH)
    elif st.session_state.pop(CLEAR_KEY, None):
        body, target = "{}", json.dumps(prefix + SIGN_OUT_PATH)
    else:
        return
    st.html(
        "<script>fetch(" + target + ", {method: 'POST', credentials: 'same-origin',"
        " headers: {'Content-Type': 'application/json'}, body: " + json.dumps(body) + "});"
        "</script>",
        unsafe_allow_javascript=True,
    )


# ---------------------------------------------------------------- local sign-in


def _lock_minutes(until: datetime | None, at: datetime) -> int:
    if until is None:
        return authentication.LockoutPolicy.from_env().lock_for.seconds // 60
    return max(1, int((until - at).total_seconds() + 59) // 60)


def sign_in(url: str, username: str, password: str) -> tuple[bool, str]:
    """Check the password, audit the attempt, and on success start a session for this
    browser session. Returns (ok, Chinese message for the sign-in page)."""
    username = (username or "").strip()
    at = now()
    src = client_source()
    policy = authentication.LockoutPolicy.from_env()
    result = authentication.authenticate(
        engine(url), username, password or "", now=at, policy=policy
    )
    if result.ok and result.user is not None:
        old = current_session(url)
        if old is not None and old.row.live:
            sessions.end(engine(url), old.id, "replaced", at)
        start(url, result.user, "password", at)
        st.session_state.pop(NOTICE_KEY, None)
        safe_record(url, result.user.username, "sign_in", "password", **src)
        return True, "登录成功。"
    name = username[:USERNAME_MAX] or None
    if result.reason == "locked_now":
        safe_record(url, name, "sign_in_failed", "密码错误", **src)
        safe_record(url, name, "account_locked", f"连续 {policy.max_failures} 次密码错误", **src)
        return False, (
            f"用户名或密码错误。连续输错 {policy.max_failures} 次，账号已锁定 "
            f"{_lock_minutes(result.locked_until, at)} 分钟；如需提前解锁请联系管理员。"
        )
    if result.reason == "locked":
        safe_record(url, name, "sign_in_locked", "账号锁定中", **src)
        return False, (
            f"该账号因多次登录失败已暂时锁定，请 {_lock_minutes(result.locked_until, at)} "
            "分钟后再试，或联系管理员解锁。"
        )
    if result.reason == "disabled":
        safe_record(url, name, "sign_in_failed", "账号已停用", **src)
        return False, "该账号已停用，请联系管理员。"
    safe_record(url, name, "sign_in_failed", "用户名或密码错误", **src)
    return False, (
        f"用户名或密码错误。连续输错 {policy.max_failures} 次，账号将锁定 "
        f"{policy.lock_for.seconds // 60} 分钟。"
    )
