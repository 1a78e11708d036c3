"""Single sign-on (DESIGN.md §6): with an `[auth]` section in `.streamlit/secrets.toml`,
Streamlit's `st.login` (OIDC) replaces the password form. The identity's `email`,
`preferred_username` or `sub` claim must equal an active `app_users.username`, which gives
the role and region; the session that follows is a row of components/session.py's, under
the same expiry rules as a password sign-in.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

import streamlit as st

from components import session
from components.session import AuthUser
from data import accounts

OIDC_CLAIMS = ("email", "preferred_username", "sub")
REFUSED_KEY = "_auth_oidc_refused"  # the claims last refused, audited once per browser session


def settings() -> Mapping | None:
    """The `[auth]` secrets section, or None when OIDC is not configured (no secrets file or
    no section)."""
    try:
        section = st.secrets.get("auth")
    except Exception:  # no secrets.toml at all: Streamlit raises instead of returning None
        return None
    return section if isinstance(section, Mapping) and section else None


def configured() -> bool:
    return settings() is not None


def provider() -> str | None:
    """A named provider when `[auth.NAME]` is the only one configured, else the default."""
    section = settings() or {}
    named = [k for k, v in section.items() if isinstance(v, Mapping)]
    return named[0] if len(named) == 1 else None


def identity_claims() -> list[str]:
    """The logged-in identity's claims that may name an account, in OIDC_CLAIMS order."""
    out = []
    for claim in OIDC_CLAIMS:
        value = st.user.get(claim)
        if isinstance(value, str) and value.strip():
            out.append(value.strip())
    return out


def current_user(url: str, at: datetime) -> AuthUser | None:
    """A logged-in identity that maps to an active account gets a server session (audited
    once per browser session); the same expiry rules as local sign-in apply."""
    if not st.user.is_logged_in:
        return None
    claims = identity_claims()
    live = session.current_session(url)
    if live is not None and live.via == "oidc" and live.identity in claims:
        user = session.valid(live, at)  # an ended or expired row stays ended
        if user is None:
            st.logout()  # the provider's cookie would sign straight back in otherwise
        return user
    if live is not None and live.row.live:
        session.end(live, "replaced", None, None)
    engine = session.engine(url)
    for claim in claims:
        account = accounts.get_user(engine, claim)
        if account is not None and account.is_active and account.role in accounts.ROLES:
            user = session.start(url, account, "oidc", at, identity=claim)
            session.safe_record(url, account.username, "sign_in", "oidc", **session.client_source())
            return user
    key = "|".join(claims)
    if st.session_state.get(REFUSED_KEY) != key:
        st.session_state[REFUSED_KEY] = key
        session.safe_record(
            url, (claims or ["?"])[0][:64], "sign_in_failed", "统一身份认证账号未开通"
        )
    return None
