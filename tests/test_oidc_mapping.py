"""Which OIDC identity names which account (issue 19.3): the one claim AUTH_OIDC_CLAIM
names (core/settings.py), a verified email when that claim is `email`, and only accounts
created for single sign-on. The sign-in through the whole app is in tests/test_auth.py."""

from __future__ import annotations

import pytest

from core.settings import environment


@pytest.mark.parametrize(
    ("value", "claim"),
    [
        (None, "email"),
        ("", "email"),
        ("email", "email"),
        ("preferred_username", "preferred_username"),
        (" Sub ", "sub"),
        ("upn", "email"),  # unknown: the default, never some other claim
        ("email_verified", "email"),
    ],
)
def test_the_account_claim_setting(monkeypatch, value, claim):
    monkeypatch.delenv("AUTH_OIDC_CLAIM", raising=False)
    if value is not None:
        monkeypatch.setenv("AUTH_OIDC_CLAIM", value)
    assert environment().auth_oidc_claim == claim
