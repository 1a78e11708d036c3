"""Sign-in in front of every page (DESIGN.md §6): local accounts or OIDC, server-side
sessions with idle and absolute expiry, sign-out, demo accounts, audit of record views.

How a session works. A successful sign-in creates a record in a server-side store (one per
server process, `st.cache_resource`) under a random 256-bit token; the browser session keeps
only that token in `st.session_state`. Every run looks the token up, checks expiry, and
re-reads the account from `app_users` (role, region, active, password age), so the scope
always comes from the database, never from session state: writing keys into session state
(a forged token, a `scope`, a `role`, another app context) grants nothing. A page reload
starts a new Streamlit session, which must sign in again (deliberate on shared office PCs).

With an `[auth]` section in `.streamlit/secrets.toml`, Streamlit's `st.login` (OIDC) replaces
the password form; the identity's `email`, `preferred_username` or `sub` claim must equal an
active `app_users.username`, which gives the role and region.

Settings (env): AUTH_IDLE_HOURS (8), AUTH_MAX_SESSION_HOURS (24); lock-out settings in
data/accounts.py.
"""

from __future__ import annotations

import os
import secrets
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import streamlit as st
from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from components.engine import engine_for
from data import accounts
from data.audit import USERNAME_MAX
from queries import audit

TOKEN_KEY = "_auth_token"  # noqa: S105 — a session_state key name, not a secret
NOTICE_KEY = "_auth_notice"
OIDC_CLAIMS = ("email", "preferred_username", "sub")
USER_RECHECK = timedelta(seconds=5)  # how stale the account row may be within a session

# Demo accounts (created only on a demo database, passwords printed once to the console).
DEMO_ACCOUNTS: tuple[tuple[str, str, str | None], ...] = (
    ("demo_province", "province", None),
    ("demo_prefecture", "prefecture", "360100"),  # 南昌市
    ("demo_county", "county", "360781"),  # 瑞金市
    ("demo_admin", "admin", None),
)


def now() -> datetime:
    """UTC now; tests replace it to step through expiry and lock-out."""
    return audit.utc_now()


def _hours(name: str, default: float) -> timedelta:
    try:
        value = float(os.environ.get(name, default))
    except ValueError:
        value = default
    return timedelta(hours=value if value > 0 else default)


def idle_timeout() -> timedelta:
    return _hours("AUTH_IDLE_HOURS", 8)


def max_session() -> timedelta:
    return _hours("AUTH_MAX_SESSION_HOURS", 24)


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


def _engine(url: str) -> Engine:
    return engine_for(url)


def oidc_settings() -> Mapping | None:
    """The `[auth]` secrets section, or None when OIDC is not configured (no secrets file or
    no section)."""
    try:
        section = st.secrets.get("auth")
    except Exception:  # no secrets.toml at all: Streamlit raises instead of returning None
        return None
    return section if isinstance(section, Mapping) and section else None


def oidc_configured() -> bool:
    return oidc_settings() is not None


def _oidc_provider() -> str | None:
    """A named provider when `[auth.NAME]` is the only one configured, else the default."""
    section = oidc_settings() or {}
    named = [k for k, v in section.items() if isinstance(v, Mapping)]
    return named[0] if len(named) == 1 else None


def _notice(message: str) -> None:
    st.session_state[NOTICE_KEY] = message


def _end(session: Session, action: str | None, message: str | None) -> None:
    store().drop(session.token)
    if st.session_state.get(TOKEN_KEY) == session.token:
        del st.session_state[TOKEN_KEY]
    if action:
        _safe_record(session.url, session.username, action, session.via)
    if message:
        _notice(message)


def _safe_record(url: str, username: str | None, action: str, target: str | None) -> None:
    """Audit, but never let a failing audit write break a page for the user."""
    try:
        audit.record(_engine(url), username, action, target)
    except SQLAlchemyError:
        import logging

        logging.getLogger(__name__).exception("audit write failed: %s %s", action, target)


def _as_auth_user(user: accounts.User, via: str) -> AuthUser:
    return AuthUser(
        username=user.username,
        role=user.role,
        region_code=user.region_code,
        scope=user.scope,
        can_view_personal=user.can_view_personal,
        via=via,
    )


def _valid(session: Session, at: datetime) -> AuthUser | None:
    """The account behind a live session, re-read from the database at most every few
    seconds; None (session ended, reason noted) when expired, disabled or re-keyed."""
    if at - session.last_seen > idle_timeout():
        _end(session, "session_expired", "您已较长时间未操作，登录已超时，请重新登录。")
        return None
    if at - session.started > max_session():
        _end(session, "session_expired", "登录时间已超过上限，请重新登录。")
        return None
    if session.user is None or session.checked is None or at - session.checked > USER_RECHECK:
        user = accounts.get_user(_engine(session.url), session.username)
        if user is None or not user.is_active or user.role not in accounts.ROLES:
            _end(session, None, "您的账号已停用或不存在，请联系管理员。")
            return None
        if user.password_changed_at is not None and user.password_changed_at > session.started:
            _end(session, None, "您的密码已被重置，请用新密码登录。")
            return None
        session.user, session.checked = _as_auth_user(user, session.via), at
    session.last_seen = at
    return session.user


def current_user(url: str) -> AuthUser | None:
    """The signed-in user of this browser session for the database at `url`, or None."""
    at = now()
    if oidc_configured():
        return _current_oidc_user(url, at)
    session = store().get(st.session_state.get(TOKEN_KEY))
    if session is None or session.url != url or session.via != "password":
        return None
    return _valid(session, at)


def require_user(url: str) -> AuthUser:
    """The signed-in user; raises PermissionError when nobody is (pages reach data only
    through app.py, which signs in first)."""
    user = current_user(url)
    if user is None:
        raise PermissionError("not signed in")
    return user


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
    engine = _engine(url)
    policy = accounts.LockoutPolicy.from_env()
    result = accounts.authenticate(engine, username, password or "", now=at, policy=policy)
    if result.ok and result.user is not None:
        old = store().get(st.session_state.get(TOKEN_KEY))
        if old is not None:
            store().drop(old.token)
        session = store().create(result.user.username, url, "password", at)
        session.user, session.checked = _as_auth_user(result.user, "password"), at
        st.session_state[TOKEN_KEY] = session.token
        st.session_state.pop(NOTICE_KEY, None)
        _safe_record(url, result.user.username, "sign_in", "password")
        return True, "登录成功。"
    name = username[:USERNAME_MAX] or None
    if result.reason == "locked_now":
        _safe_record(url, name, "sign_in_failed", "密码错误")
        _safe_record(url, name, "account_locked", f"连续 {policy.max_failures} 次密码错误")
        return False, (
            f"用户名或密码错误。连续输错 {policy.max_failures} 次，账号已锁定 "
            f"{_lock_minutes(result.locked_until, at)} 分钟；如需提前解锁请联系管理员。"
        )
    if result.reason == "locked":
        _safe_record(url, name, "sign_in_locked", "账号锁定中")
        return False, (
            f"该账号因多次登录失败已暂时锁定，请 {_lock_minutes(result.locked_until, at)} "
            "分钟后再试，或联系管理员解锁。"
        )
    if result.reason == "disabled":
        _safe_record(url, name, "sign_in_failed", "账号已停用")
        return False, "该账号已停用，请联系管理员。"
    _safe_record(url, name, "sign_in_failed", "用户名或密码错误")
    return False, (
        f"用户名或密码错误。连续输错 {policy.max_failures} 次，账号将锁定 "
        f"{policy.lock_for.seconds // 60} 分钟。"
    )


def sign_out(url: str) -> None:
    """End this browser session's sign-in (OIDC: also the provider's cookie)."""
    session = store().get(st.session_state.get(TOKEN_KEY))
    if session is not None:
        _end(session, "sign_out", None)
    st.session_state.pop(TOKEN_KEY, None)
    if oidc_configured():
        st.logout()


def sign_in_form(url: str, demo: bool) -> None:
    """The password form (or, with OIDC configured, the single sign-on button)."""
    notice = st.session_state.pop(NOTICE_KEY, None)
    if notice:
        st.info(notice, icon=":material/info:")
    if oidc_configured():
        _oidc_sign_in(url)
        return
    left, _ = st.columns([2, 3])
    with left:
        with st.form("sign_in", clear_on_submit=True, enter_to_submit=True):
            st.markdown("#### 用户登录")
            username = st.text_input("用户名", key="signin_username", autocomplete="username")
            password = st.text_input(
                "密码", type="password", key="signin_password", autocomplete="current-password"
            )
            submitted = st.form_submit_button("登录", type="primary", width="stretch")
        if submitted:
            ok, message = sign_in(url, username, password)
            if ok:
                st.rerun()
            st.error(message, icon=":material/lock:")
        st.caption("账号由系统管理员开通。忘记密码或账号被锁定时，请联系系统管理员。")
        if demo:
            st.warning(
                "**演示模式**：演示账号（省级 demo_province、市级 demo_prefecture、县级 "
                "demo_county、管理员 demo_admin）的密码已在启动看板的终端窗口中打印，只打印一次。"
                "遗失时可运行 `python -m data.users reset demo_province` 重新生成。",
                icon=":material/science:",
            )


# ---------------------------------------------------------------- OIDC


def _identity_claims() -> list[str]:
    out = []
    for claim in OIDC_CLAIMS:
        value = st.user.get(claim)
        if isinstance(value, str) and value.strip():
            out.append(value.strip())
    return out


def _current_oidc_user(url: str, at: datetime) -> AuthUser | None:
    """OIDC: a logged-in identity that maps to an active account gets a server session
    (audited once per browser session); the same expiry rules as local sign-in apply."""
    if not st.user.is_logged_in:
        return None
    claims = _identity_claims()
    session = store().get(st.session_state.get(TOKEN_KEY))
    if session is not None and session.url == url and session.via == "oidc":
        if session.identity in claims:
            user = _valid(session, at)
            if user is None:
                st.logout()  # the provider's cookie would sign straight back in otherwise
            return user
        _end(session, None, None)
    engine = _engine(url)
    for claim in claims:
        user = accounts.get_user(engine, claim)
        if user is not None and user.is_active and user.role in accounts.ROLES:
            session = store().create(user.username, url, "oidc", at, identity=claim)
            session.user, session.checked = _as_auth_user(user, "oidc"), at
            st.session_state[TOKEN_KEY] = session.token
            _safe_record(url, user.username, "sign_in", "oidc")
            return session.user
    key = "|".join(claims)
    if st.session_state.get("_auth_oidc_refused") != key:
        st.session_state["_auth_oidc_refused"] = key
        _safe_record(url, (claims or ["?"])[0][:64], "sign_in_failed", "统一身份认证账号未开通")
    return None


def _oidc_sign_in(url: str) -> None:
    if st.user.is_logged_in:
        who = "、".join(_identity_claims()) or "（未知）"
        st.error(
            f"您的统一身份认证账号（{who}）尚未在本系统开通或已停用，请联系系统管理员。",
            icon=":material/lock:",
        )
        st.button("退出统一身份认证", on_click=st.logout, key="oidc_logout")
        return
    st.markdown("#### 用户登录")
    st.button(
        "使用统一身份认证登录",
        type="primary",
        on_click=st.login,
        args=(_oidc_provider(),) if _oidc_provider() else (),
        key="oidc_login",
    )
    st.caption("登录后按您在本系统开通的账号确定可查看的地区。")


# ---------------------------------------------------------------- sidebar


def sidebar(url: str, user: AuthUser, region_name: str) -> None:
    """Who is signed in, and the sign-out button."""
    st.sidebar.caption(f"当前用户：{user.username}（{user.role_label} · {region_name}）")
    if st.sidebar.button("退出登录", key="sign_out", icon=":material/logout:"):
        sign_out(url)
        st.rerun()


# ---------------------------------------------------------------- demo accounts


@st.cache_resource(show_spinner=False)
def ensure_demo_accounts(url: str) -> int:
    """On a demo database, create the demo accounts that do not exist yet and print their
    passwords once to the server console (stdout); nothing else keeps them. Runs once per
    server process. Returns how many accounts were created."""
    engine = _engine(url)
    created = []
    for username, role, region in DEMO_ACCOUNTS:
        if accounts.get_user(engine, username) is not None:
            continue
        code = accounts.demo_region(engine, role, region)
        if code is None:
            continue
        try:
            password = accounts.add_user(engine, username, role, code)
        except (accounts.UserError, IntegrityError):  # another process created it meanwhile
            continue
        created.append((username, accounts.ROLE_LABELS[role], code, password))
        _safe_record(url, "system", "user_add", f"{username} {role} {code} 演示账号")
    if created:
        lines = [
            "",
            "=" * 64,
            "演示模式：已创建演示账号（密码只显示这一次，不会保存在任何地方）",
            "Demo mode: demo accounts created (passwords shown once, stored nowhere):",
        ]
        lines += [
            f"  {u:<16} {label:<6} 地区 {code:<8} 密码 {pw}" for u, label, code, pw in created
        ]
        lines += [
            "遗失密码：python -m data.users reset <用户名>",
            "=" * 64,
            "",
        ]
        print("\n".join(lines), flush=True)
    return len(created)


# ---------------------------------------------------------------- audit helpers


def audit_view(url: str, target: str) -> None:
    """Audit a view of individual records once per browser session and target (the list,
    its scope and period): a rerun of the same list writes no new row."""
    session = store().get(st.session_state.get(TOKEN_KEY))
    user = current_user(url)
    if user is None or session is None:
        return
    if target in session.audited:
        return
    session.audited.add(target)
    _safe_record(url, user.username, "view_records", target)


def recorder(url: str, action: str, target: str) -> Callable[[], None]:
    """A callable that writes one audit row for the signed-in user, safe to call later from
    another thread (a deferred download builds its file outside the script run)."""
    user = current_user(url)
    username = user.username if user else None

    def write() -> None:
        _safe_record(url, username, action, target)

    return write


def personal_data_allowed(url: str, target: str) -> bool:
    """Whether the signed-in user may see unmasked personal data; each granted access is
    audited. A page shows unmasked values only when this returns True."""
    user = current_user(url)
    if user is None or not user.can_view_personal:
        return False
    _safe_record(url, user.username, "view_personal", target)
    return True
