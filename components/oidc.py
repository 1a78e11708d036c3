"""Single sign-on (DESIGN.md §6): with an `[auth]` section in `.streamlit/secrets.toml`,
Streamlit's `st.login` (OIDC) replaces the password form. One claim of the identity names
the account: AUTH_OIDC_CLAIM (core/settings.py), `email` by default, else
`preferred_username` or `sub`; the other claims are never tried. With `email` the provider
must vouch for the address (`email_verified` true), since many let a user type any address.
The value must equal the username of an active account created for single sign-on
(`python -m data.users add NAME --oidc`, accounts.get_oidc_user): a password account is never
signed in this way, whatever the provider says (issue 19.3). Choose a claim the provider
does not let users change (`sub` never changes; `preferred_username` may, by provider).
The account gives the role and region; the session that follows is a row of
components/session.py's, under the same expiry rules as a password sign-in.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

import streamlit as st
from sqlalchemy import Engine

from components import session
from components.session import AuthUser
from core.settings import environment
from data import accounts

OIDC_CLAIMS = ("email", "preferred_username", "sub")  # the claims AUTH_OIDC_CLAIM may name
NO_ACCOUNT = "统一身份认证账号未开通"  # audit reasons of a refused identity
UNVERIFIED = "统一身份认证邮箱未验证"
REFUSED_KEY = "_auth_oidc_refused"  # the identity last refused, audited once per browser session


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


def account_claim() -> str:
    """The claim that names the account (AUTH_OIDC_CLAIM, default email)."""
    return environment().auth_oidc_claim


def email_verified(identity: Mapping) -> bool:
    """Whether the provider vouches for the identity's email: `email_verified` is true (the
    boolean, or the string "true" that some providers send); missing means no."""
    flag = identity.get("email_verified")
    return flag is True or (isinstance(flag, str) and flag.strip().lower() == "true")


def identity_name(identity: Mapping, claim: str) -> tuple[str | None, str]:
    """(the username the identity's `claim` names, "") or (None, the audit reason why it
    names none): the claim missing or blank, or an email the provider has not verified."""
    value = identity.get(claim)
    if not isinstance(value, str) or not value.strip():
        return None, NO_ACCOUNT
    if claim == "email" and not email_verified(identity):
        return None, UNVERIFIED
    return value.strip(), ""


def account_for(engine: Engine, name: str) -> accounts.User | None:
    """The active single-sign-on account `name` names, or None (unknown, a password account,
    disabled, or of no known role)."""
    account = accounts.get_oidc_user(engine, name)
    if account is None or not account.is_active or account.role not in accounts.ROLES:
        return None
    return account


def identity_claims() -> list[str]:
    """The logged-in identity's value of the configured claim, verified or not (empty when
    it has none), for the sign-in page to say which identity was refused."""
    value = st.user.get(account_claim())
    return [value.strip()] if isinstance(value, str) and value.strip() else []


def current_user(url: str, at: datetime) -> AuthUser | None:
    """A logged-in identity that names a single-sign-on account gets a server session
    (audited once per browser session); the same expiry rules as local sign-in apply."""
    if not st.user.is_logged_in:
        return None
    name, refused = identity_name(st.user, account_claim())
    live = session.current_session(url)
    if live is not None and live.via == "oidc" and name is not None and live.identity == name:
        user = session.valid(live, at)  # an ended or expired row stays ended
        if user is None:
            st.logout()  # the provider's cookie would sign straight back in otherwise
        return user
    if live is not None and live.row.live:
        session.end(live, "replaced", None, None)
    account = account_for(session.engine(url), name) if name is not None else None
    if account is not None:
        user = session.start(url, account, "oidc", at, identity=name)
        session.safe_record(url, account.username, "sign_in", "oidc", **session.client_source())
        return user
    reason = refused or NO_ACCOUNT
    shown = identity_claims()
    key = "|".join([reason, *shown])
    if st.session_state.get(REFUSED_KEY) != key:
        st.session_state[REFUSED_KEY] = key
        session.safe_record(url, (shown or ["?"])[0][:64], "sign_in_failed", reason)
    return None
