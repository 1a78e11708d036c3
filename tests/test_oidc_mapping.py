"""Which OIDC identity names which account (issue 19.3): the one claim AUTH_OIDC_CLAIM
names (core/settings.py), a verified email when that claim is `email`, and only accounts
created for single sign-on. The sign-in through the whole app is in tests/test_auth.py."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from components import oidc
from core.settings import environment
from data import accounts
from data.schema import regions
from tests.fixtures.regions import region_rows
from tests.fixtures.tables import insert_rows

TREE = [
    ("360000", "江西省", "province", None),
    ("360700", "赣州市", "prefecture", "360000"),
    ("360781", "瑞金市", "county", "360700"),
]


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


@pytest.mark.parametrize(
    ("identity", "claim", "named"),
    [
        ({"email": "a@jx.gov.cn", "email_verified": True}, "email", ("a@jx.gov.cn", "")),
        ({"email": " a@jx.gov.cn ", "email_verified": "True"}, "email", ("a@jx.gov.cn", "")),
        ({"email": "a@jx.gov.cn"}, "email", (None, oidc.UNVERIFIED)),
        ({"email": "a@jx.gov.cn", "email_verified": False}, "email", (None, oidc.UNVERIFIED)),
        ({"email": "a@jx.gov.cn", "email_verified": "no"}, "email", (None, oidc.UNVERIFIED)),
        ({"email": "a@jx.gov.cn", "email_verified": 1}, "email", (None, oidc.UNVERIFIED)),
        # the other claims are never tried, whatever they hold
        ({"sub": "a@jx.gov.cn", "preferred_username": "a"}, "email", (None, oidc.NO_ACCOUNT)),
        ({"email": "a@jx.gov.cn", "email_verified": True}, "sub", (None, oidc.NO_ACCOUNT)),
        ({"sub": "8f2c", "email": "x@example.com"}, "sub", ("8f2c", "")),
        ({"preferred_username": "zhao"}, "preferred_username", ("zhao", "")),
        ({"preferred_username": "  "}, "preferred_username", (None, oidc.NO_ACCOUNT)),
        ({"sub": 42}, "sub", (None, oidc.NO_ACCOUNT)),
    ],
)
def test_identity_name_reads_one_claim_and_a_verified_email(identity, claim, named):
    assert oidc.identity_name(identity, claim) == named


@pytest.fixture
def county(engine: Engine) -> Engine:
    """The migrated database with a province, a prefecture and one county."""
    return insert_rows(engine, (regions, region_rows(TREE)))


def test_only_single_sign_on_accounts_are_named(county):
    accounts.add_user(county, "sso@jx.gov.cn", "county", "360781", oidc_only=True)
    accounts.add_user(county, "pw@jx.gov.cn", "county", "360781", must_change_password=False)
    found = oidc.account_for(county, "sso@jx.gov.cn")
    assert found is not None and (found.username, found.scope) == ("sso@jx.gov.cn", "360781")
    assert accounts.get_oidc_user(county, "sso@jx.gov.cn") == accounts.get_user(
        county, "sso@jx.gov.cn"
    )
    # a password account is never named by an identity, nor an unknown name
    assert oidc.account_for(county, "pw@jx.gov.cn") is None
    assert accounts.get_oidc_user(county, "pw@jx.gov.cn") is None
    assert oidc.account_for(county, "nobody@jx.gov.cn") is None
    # a disabled account is not named; re-enabled it is again
    accounts.set_active(county, "sso@jx.gov.cn", False)
    assert oidc.account_for(county, "sso@jx.gov.cn") is None
    accounts.set_active(county, "sso@jx.gov.cn", True)
    assert oidc.account_for(county, "sso@jx.gov.cn") is not None
    # a password set on it makes it a password account: no longer named
    accounts.reset_password(county, "sso@jx.gov.cn", must_change_password=False)
    assert oidc.account_for(county, "sso@jx.gov.cn") is None
