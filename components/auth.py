"""Who is signed in (DESIGN.md §6), whichever way they signed in, and the audit of what they
see: the one place the rest of the app asks (components/db.py's scope guard, exports, pages).

Sign-in comes in two kinds: a local password session (components/session.py, which also
holds the session rows, the expiry rules and `AuthUser`) or, with an `[auth]` secrets section,
OIDC through `st.login` (components/oidc.py). The sign-in form, the sidebar and the page
guards are components/signin.py.
"""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from components import oidc, session
from components.session import AuthUser, sign_in

__all__ = [
    "AuthUser",
    "audit_view",
    "current_user",
    "personal_data_allowed",
    "recorder",
    "require_user",
    "sign_in",
    "sign_out",
]


def current_user(url: str) -> AuthUser | None:
    """The signed-in user of this browser session for the database at `url`, or None."""
    at = session.now()
    if oidc.configured():
        return oidc.current_user(url, at)
    return session.password_user(url, at)


def require_user(url: str) -> AuthUser:
    """The signed-in user; raises PermissionError when nobody is (pages reach data only
    through app.py, which signs in first)."""
    user = current_user(url)
    if user is None:
        raise PermissionError("not signed in")
    return user


def sign_out(url: str) -> None:
    """End this browser session's sign-in (OIDC: also the provider's cookie)."""
    session.end_current(url)
    if oidc.configured():
        st.logout()


# ---------------------------------------------------------------- audit of the signed-in user


def audit_view(url: str, target: str, action: str = "view_records") -> None:
    """Audit a view of individual records (or, with action "print", a page opened in its
    print layout) once per browser session, action and target (the list or page, its scope
    and period): a rerun of the same view writes no new row."""
    user = current_user(url)
    if user is None:
        return
    audited = st.session_state.setdefault(session.AUDITED_KEY, set())
    seen = target if action == "view_records" else (action, target)
    if seen in audited:
        return
    audited.add(seen)
    session.safe_record(url, user.username, action, target)


def recorder(url: str, action: str, target: str) -> Callable[[], None]:
    """A callable that writes one audit row for the signed-in user, safe to call later from
    another thread (a deferred download builds its file outside the script run)."""
    user = current_user(url)
    username = user.username if user else None

    def write() -> None:
        session.safe_record(url, username, action, target)

    return write


def personal_data_allowed(url: str, target: str) -> bool:
    """Whether the signed-in user may see unmasked personal data; each granted access is
    audited. A page shows unmasked values only when this returns True."""
    user = current_user(url)
    if user is None or not user.can_view_personal:
        return False
    session.safe_record(url, user.username, "view_personal", target)
    return True
