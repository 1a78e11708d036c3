"""Sign-in, lock-out, sessions, roles and forged state (DESIGN.md §6), on SQLite and
PostgreSQL: password hashing in data/accounts.py and lock-out in data/authentication.py against the `engine` fixture;
the sign-in form, expiry, sign-out, navigation by role, forged session state and OIDC through
the whole app in AppTest on a tiny demo database.

The tiny demo holds 南昌市 360100 (东湖区 360102, 新建区 360112, 进贤县 360124) and 赣州市
360700 (宁都县 360730, 兴国县 360732).
"""

from __future__ import annotations

import dataclasses
import os
import types
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from sqlalchemy import Engine, update
from streamlit.testing.v1 import AppTest

from components import nav, session, signin
from components.db import CONTEXT_KEY, AppContext, Meta
from components.format import md_text
from data import accounts, authentication
from data.config import REPO_ROOT
from data.db import make_engine
from data.demo import build_demo
from data.schema import app_users, regions
from queries import audit, indicators
from tests.apptest import (
    APP,
    ensure_user,
    password_of,
    run_app,
    sign_in,
    sign_in_form_shown,
)
from tests.fixtures.accounts import stored_hash
from tests.fixtures.audit import audit_rows
from tests.fixtures.demo import engine_of, tiny_demo_fixture
from tests.fixtures.pages import THEMATIC_PAGES
from tests.fixtures.regions import region_rows
from tests.fixtures.tables import insert_rows

T0 = datetime(2026, 11, 2, 8, 0, 0)
POLICY = authentication.LockoutPolicy(5, timedelta(minutes=15), timedelta(minutes=15))
SMALL_TREE = [
    ("360000", "江西省", "province", None),
    ("360100", "南昌市", "prefecture", "360000"),
    ("360102", "东湖区", "county", "360100"),
    ("360700", "赣州市", "prefecture", "360000"),
    ("360781", "瑞金市", "county", "360700"),
    ("360781001", "象湖镇", "township", "360781"),
]


@pytest.fixture
def small(engine: Engine) -> Engine:
    """The empty migrated database plus six regions."""
    return insert_rows(engine, (regions, region_rows(SMALL_TREE)))


# ---------------------------------------------------------------- hashes and accounts


def test_stored_hash_is_a_salted_argon2_hash_not_the_password(small):
    password = accounts.add_user(small, "zhang", "county", "360781", "correct horse 123")
    assert password == "correct horse 123"
    h = stored_hash(small, "zhang")
    assert h != password and password not in h
    assert h.startswith("$argon2id$")
    assert accounts.verify_password(h, "correct horse 123")
    assert not accounts.verify_password(h, "correct horse 124")
    # the same password hashes differently every time (a fresh salt)
    assert accounts.hash_password(password) != accounts.hash_password(password)
    # a generated password: 16 characters, returned once, only its hash stored
    generated = accounts.add_user(small, "li", "prefecture", "360100")
    assert len(generated) == 16 and generated not in stored_hash(small, "li")
    assert accounts.verify_password(stored_hash(small, "li"), generated)


def test_account_rules(small):
    with pytest.raises(accounts.UserError, match="设区市"):
        accounts.add_user(small, "wang", "prefecture", "360781")  # a county for a prefecture role
    with pytest.raises(accounts.UserError, match="不存在"):
        accounts.add_user(small, "wang", "county", "360799")
    with pytest.raises(accounts.UserError, match="必须指定"):
        accounts.add_user(small, "wang", "county")
    with pytest.raises(accounts.UserError, match="至少 10"):
        accounts.add_user(small, "wang", "county", "360781", "short")
    with pytest.raises(accounts.UserError, match="用户名"):
        accounts.add_user(small, "王 五", "county", "360781")
    with pytest.raises(accounts.UserError, match="角色"):
        accounts.add_user(small, "wang", "mayor", "360781")
    accounts.add_user(small, "wang", "admin")
    assert accounts.get_user(small, "wang").region_code == "360000"
    assert accounts.get_user(small, "wang").scope == "360000"
    with pytest.raises(accounts.UserError, match="已存在"):
        accounts.add_user(small, "wang", "admin")
    assert accounts.add_user(small, "sso.user@gov.cn", "county", "360781", oidc_only=True) is None
    assert stored_hash(small, "sso.user@gov.cn") == accounts.NO_PASSWORD
    # an OIDC-only account has no password that could ever match
    assert not authentication.authenticate(small, "sso.user@gov.cn", "", now=T0, policy=POLICY).ok
    assert not authentication.authenticate(small, "sso.user@gov.cn", "!", now=T0, policy=POLICY).ok


# ---------------------------------------------------------------- sign-in and lock-out


def test_wrong_password_never_signs_in(small):
    accounts.add_user(small, "zhang", "county", "360781", "right-password-1")
    for attempt in ("", "right-password-2", "RIGHT-PASSWORD-1", "right-password-1 ", "x" * 300):
        result = authentication.authenticate(small, "zhang", attempt, now=T0, policy=POLICY)
        assert not result.ok and result.reason in ("bad_credentials", "locked_now")
        accounts.unlock(small, "zhang")
    unknown = authentication.authenticate(
        small, "nobody", "right-password-1", now=T0, policy=POLICY
    )
    assert not unknown.ok and unknown.reason == "bad_credentials" and unknown.user is None
    ok = authentication.authenticate(small, "zhang", "right-password-1", now=T0, policy=POLICY)
    assert ok.ok and ok.user.username == "zhang" and ok.user.scope == "360781"
    assert accounts.get_user(small, "zhang").last_sign_in_at == T0


def test_five_failures_within_the_window_lock_for_fifteen_minutes(small):
    accounts.add_user(small, "zhang", "county", "360781", "right-password-1")
    reasons = []
    for i in range(5):  # one a minute: all inside the 15-minute window
        r = authentication.authenticate(
            small, "zhang", "wrong", now=T0 + timedelta(minutes=i), policy=POLICY
        )
        reasons.append(r.reason)
    assert reasons == ["bad_credentials"] * 4 + ["locked_now"]
    locked_at = T0 + timedelta(minutes=4)
    assert accounts.get_user(small, "zhang").locked_until == locked_at + timedelta(minutes=15)
    # while locked even the right password is refused
    for minutes in (0, 1, 14):
        r = authentication.authenticate(
            small, "zhang", "right-password-1", now=locked_at + timedelta(minutes=minutes),
            policy=POLICY,
        )  # fmt: skip
        assert not r.ok and r.reason == "locked"
    # after the lock the right password works again, and the count starts over
    r = authentication.authenticate(
        small, "zhang", "right-password-1", now=locked_at + timedelta(minutes=15, seconds=1),
        policy=POLICY,
    )  # fmt: skip
    assert r.ok
    assert accounts.get_user(small, "zhang").failed_attempts == 0
    assert accounts.get_user(small, "zhang").locked_until is None


def test_failures_spread_beyond_the_window_do_not_lock(small):
    accounts.add_user(small, "zhang", "county", "360781", "right-password-1")
    for i in range(4):
        authentication.authenticate(
            small, "zhang", "wrong", now=T0 + timedelta(minutes=i), policy=POLICY
        )
    assert accounts.get_user(small, "zhang").failed_attempts == 4
    # the fifth failure comes 16 minutes after the first: a new window, count 1
    later = T0 + timedelta(minutes=16)
    r = authentication.authenticate(small, "zhang", "wrong", now=later, policy=POLICY)
    assert r.reason == "bad_credentials"
    user = accounts.get_user(small, "zhang")
    assert user.failed_attempts == 1 and user.failed_since == later and user.locked_until is None
    # a success clears the count
    assert authentication.authenticate(
        small, "zhang", "right-password-1", now=later, policy=POLICY
    ).ok
    assert accounts.get_user(small, "zhang").failed_attempts == 0


def test_lockout_policy_from_the_environment(monkeypatch, small):
    monkeypatch.setenv("AUTH_MAX_FAILURES", "3")
    monkeypatch.setenv("AUTH_LOCK_MINUTES", "60")
    policy = authentication.LockoutPolicy.from_env()
    assert policy == authentication.LockoutPolicy(3, timedelta(minutes=15), timedelta(minutes=60))
    accounts.add_user(small, "zhang", "county", "360781", "right-password-1")
    reasons = [
        authentication.authenticate(small, "zhang", "wrong", now=T0, policy=policy).reason
        for _ in range(3)
    ]
    assert reasons == ["bad_credentials", "bad_credentials", "locked_now"]
    assert accounts.get_user(small, "zhang").locked_until == T0 + timedelta(minutes=60)
    monkeypatch.setenv("AUTH_MAX_FAILURES", "not a number")
    assert authentication.LockoutPolicy.from_env().max_failures == 5


def test_disabled_reset_and_unlock(small):
    accounts.add_user(small, "zhang", "county", "360781", "right-password-1")
    accounts.set_active(small, "zhang", False)
    assert authentication.authenticate(
        small, "zhang", "right-password-1", now=T0, policy=POLICY
    ).reason == ("disabled")
    # a wrong password on a disabled account says nothing about it being disabled
    assert authentication.authenticate(small, "zhang", "wrong", now=T0, policy=POLICY).reason == (
        "bad_credentials"
    )
    accounts.set_active(small, "zhang", True)
    for _ in range(5):
        authentication.authenticate(small, "zhang", "wrong", now=T0, policy=POLICY)
    assert accounts.get_user(small, "zhang").is_locked(T0)
    new = accounts.reset_password(small, "zhang", now=T0 + timedelta(minutes=1))
    assert not accounts.get_user(small, "zhang").is_locked(T0)
    assert accounts.get_user(small, "zhang").password_changed_at == T0 + timedelta(minutes=1)
    assert not authentication.authenticate(
        small, "zhang", "right-password-1", now=T0, policy=POLICY
    ).ok
    assert authentication.authenticate(small, "zhang", new, now=T0, policy=POLICY).ok
    with pytest.raises(accounts.UserError, match="不存在"):
        accounts.set_active(small, "nobody", False)


def test_demo_regions_fall_back_to_what_the_database_holds(small):
    assert accounts.demo_region(small, "province") == "360000"
    assert accounts.demo_region(small, "admin") == "360000"
    assert accounts.demo_region(small, "prefecture", "360100") == "360100"
    assert accounts.demo_region(small, "prefecture", "360900") == "360100"  # first by code
    assert accounts.demo_region(small, "county", "360781") == "360781"
    # 东湖区 has no township here: the fallback is the first county that has one
    assert accounts.demo_region(small, "county", "360124") == "360781"


# ---------------------------------------------------------------- the app (AppTest)


tiny = tiny_demo_fixture("auth")


@pytest.fixture
def tiny_engine(tiny) -> Iterator[Engine]:
    yield from engine_of(tiny)


def open_app(url: str, **query: str) -> AppTest:
    """The app as a new browser session sees it: nobody signed in."""
    os.environ["REPORTING_DB_URL"] = url
    at = AppTest.from_file(APP, default_timeout=60)
    for k, v in query.items():
        at.query_params[k] = v
    return at.run()


def assert_sign_in_page(at: AppTest) -> None:
    """The sign-in form and nothing of the data: no card, table, chart or sidebar filter."""
    assert not at.exception, [e.value for e in at.exception]
    assert sign_in_form_shown(at)
    assert not at.metric and not at.dataframe and not at.get("plotly_chart")
    assert not at.sidebar.selectbox
    assert [t.value for t in at.title] == ["儿童关爱服务体系监测"]


def card(at: AppTest, label: str) -> str:
    found = [m.value for m in at.metric if m.label == label]
    assert len(found) == 1, [m.label for m in at.metric]
    return found[0]


def registered_pages(at: AppTest) -> set[str]:
    """The page files this run passed to st.navigation."""
    return {
        os.path.relpath(str(info["script_path"]), os.path.dirname(APP))
        for info in at._registered_pages.values()
        if info.get("script_path")
    }


def test_every_page_is_behind_the_sign_in(tiny, apptest_env, tiny_engine):
    at = open_app(tiny)
    assert_sign_in_page(at)
    # a deep link keeps its page and query string through the form
    at = open_app(tiny, county="360112", period="2026-09")
    assert_sign_in_page(at)
    at.switch_page("pages/homes.py").run()
    assert_sign_in_page(at)
    user = ensure_user(tiny, "county", "360112")
    sign_in(at, user, password_of(tiny, user))
    assert not at.exception
    assert [t.value for t in at.title] == ["儿童之家"]
    assert at.query_params["county"] in ("360112", ["360112"])


def test_wrong_password_in_the_form_is_refused_and_audited(tiny, apptest_env, tiny_engine):
    user = ensure_user(tiny, "county", "360112")
    at = open_app(tiny)
    before = len(audit_rows(tiny_engine))
    sign_in(at, user, password_of(tiny, user) + "x")
    assert_sign_in_page(at)
    assert any("用户名或密码错误" in e.value for e in at.error)
    sign_in(at, "no_such_user", "whatever-password")
    assert_sign_in_page(at)
    new = audit_rows(tiny_engine)[before:]
    assert new == [
        (user, "sign_in_failed", "用户名或密码错误"),
        ("no_such_user", "sign_in_failed", "用户名或密码错误"),
    ]
    sign_in(at, user, password_of(tiny, user))
    assert not sign_in_form_shown(at)
    assert [t.value for t in at.title] == ["新建区总览"]
    assert audit_rows(tiny_engine)[-1] == (user, "sign_in", "password")


def test_repeated_failures_lock_the_account_in_the_form(tiny, apptest_env, tiny_engine):
    user = ensure_user(tiny, "prefecture", "360700", "lock_me")
    at = open_app(tiny)
    for _ in range(5):
        sign_in(at, user, "not-the-password")
    assert_sign_in_page(at)
    assert any("账号已锁定 15 分钟" in e.value for e in at.error), [e.value for e in at.error]
    sign_in(at, user, password_of(tiny, user))  # the right password, but locked
    assert_sign_in_page(at)
    assert any("暂时锁定" in e.value for e in at.error)
    actions = [a for u, a, _t in audit_rows(tiny_engine) if u == user]
    assert actions[-7:] == ["sign_in_failed"] * 5 + ["account_locked", "sign_in_locked"]
    ensure_user(tiny, "prefecture", "360700", "lock_me")  # unlocks for later runs


def test_session_expires_after_idle_hours(tiny, apptest_env, tiny_engine, monkeypatch):
    clock = [audit.utc_now() + timedelta(days=1)]  # after the test accounts were keyed
    monkeypatch.setattr(session, "now", lambda: clock[0])
    at = run_app(tiny, user=ensure_user(tiny, "county", "360112"))
    assert [t.value for t in at.title] == ["新建区总览"]
    clock[0] += timedelta(hours=7, minutes=59)  # still inside the 8 idle hours
    at.run()
    assert [t.value for t in at.title] == ["新建区总览"]
    clock[0] += timedelta(hours=8, minutes=1)
    at.run()
    assert_sign_in_page(at)
    assert any("登录已超时" in i.value for i in at.info)
    assert audit_rows(tiny_engine)[-1] == ("apptest_county_360112", "session_expired", "password")
    # the absolute limit: active all the time, but 24 hours after signing in it ends
    at = run_app(tiny, user=ensure_user(tiny, "county", "360112"))
    for _ in range(4):
        clock[0] += timedelta(hours=6, minutes=1)
        at.run()
    assert_sign_in_page(at)
    assert any("超过上限" in i.value for i in at.info)


def test_sign_out(tiny, apptest_env, tiny_engine):
    at = run_app(tiny, user=ensure_user(tiny, "county", "360112"))
    assert not sign_in_form_shown(at)
    shown = f"{md_text('apptest_county_360112')}（县级用户 · 新建区）"  # escaped: Markdown
    assert any(shown in c.value for c in at.sidebar.caption)
    at.sidebar.button(key="sign_out").click().run()
    assert_sign_in_page(at)
    assert audit_rows(tiny_engine)[-1] == ("apptest_county_360112", "sign_out", "password")
    assert session.SESSION_KEY not in at.session_state


def test_disabled_or_reset_account_loses_its_session(tiny, apptest_env, tiny_engine, monkeypatch):
    clock = [audit.utc_now() + timedelta(days=1)]  # after the test accounts were keyed
    monkeypatch.setattr(session, "now", lambda: clock[0])
    user = ensure_user(tiny, "county", "360112", "will_be_disabled")
    at = run_app(tiny, user=user)
    assert not sign_in_form_shown(at)
    accounts.set_active(tiny_engine, user, False)
    clock[0] += timedelta(seconds=6)  # past the account re-check interval
    at.run()
    assert_sign_in_page(at)
    assert any("已停用" in i.value for i in at.info)
    accounts.set_active(tiny_engine, user, True)
    at = run_app(tiny, user=user)
    assert not sign_in_form_shown(at)
    accounts.reset_password(tiny_engine, user, now=clock[0] + timedelta(seconds=1))
    clock[0] += timedelta(seconds=12)
    at.run()
    assert_sign_in_page(at)
    assert any("密码已被重置" in i.value for i in at.info)
    ensure_user(tiny, "county", "360112", "will_be_disabled")


def test_navigation_by_role(tiny, apptest_env):
    views = set(THEMATIC_PAGES)
    admin_only = {"pages/audit.py", "pages/users.py"}
    for role, region in (("province", None), ("prefecture", "360100"), ("county", "360112")):
        at = run_app(tiny, user=ensure_user(tiny, role, region))
        pages = registered_pages(at)
        assert views <= pages and not pages & admin_only, (role, pages)
        # a page not passed to st.navigation does not exist for the role, even by its URL
        with pytest.raises(ValueError, match="Could not find a navigation page"):
            at.switch_page("pages/audit.py")
    at = run_app(tiny, user=ensure_user(tiny, "admin"))
    assert views | admin_only <= registered_pages(at)
    at.switch_page("pages/audit.py").run()
    assert not at.exception and [t.value for t in at.title] == ["审计日志"]


def navigation_of(at: AppTest) -> list[tuple[str, str, str, str]]:
    """(file, title, icon, URL) of each page file this run passed to st.navigation, in
    order (the hidden stand-ins of components/nav.stand_in, which have no file, left out)."""
    return [
        (
            os.path.relpath(str(info["script_path"]), os.path.dirname(APP)),
            info["page_name"],
            info["icon"],
            info["url_pathname"],
        )
        for info in at._registered_pages.values()
        if info.get("script_path")
    ]


def stand_in_urls(at: AppTest) -> set[str]:
    """The URLs this run held by a stand-in (a page without a file) rather than a page."""
    return {
        info["url_pathname"] for info in at._registered_pages.values() if not info["script_path"]
    }


def test_navigation_and_role_guards_come_from_the_one_page_table(tiny, apptest_env, monkeypatch):
    """A role's navigation is exactly the rows of components/nav.py open to it, and the guard
    app.py puts before every page run is built from the same row: a county user is refused an
    administration page even when a navigation bug lists it, and changing one row's roles
    changes both the navigation and the guard."""
    county = ensure_user(tiny, "county", "360112")
    at = run_app(tiny, user=county)
    # st.Page gives the default page (the overview) the URL "", i.e. "/"
    assert navigation_of(at) == [
        (r.path, r.title_for("county"), r.icon, "" if r.default else r.url_path)
        for r in nav.PAGES
        if r.allows("county")
    ]
    assert navigation_of(at)[:2] == [
        ("pages/overview.py", "本县总览", ":material/dashboard:", ""),
        ("pages/homes.py", "儿童之家", ":material/home:", "homes"),
    ]
    admin_rows = [r for r in nav.PAGES if not r.allows("county")]
    assert [r.path for r in admin_rows] == ["pages/data.py", "pages/audit.py", "pages/users.py"]
    # their URLs are held by stand-ins that run nothing: a bookmark is refused in Chinese
    # instead of Streamlit's English "Page not found" (issue 18.2)
    assert stand_in_urls(at) == {r.url_path for r in admin_rows}
    for row in admin_rows:  # a stand-in's row is the page's, which the guard refuses
        at_its_url = types.SimpleNamespace(url_path=row.url_path)  # what st.navigation returns
        assert nav.row_of(at_its_url, "county") == row and not row.allows("county")

    listed_for_all = nav.rows_for
    monkeypatch.setattr(nav, "rows_for", lambda role: list(nav.PAGES))  # the navigation bug
    at = run_app(tiny, user=county)
    for row in admin_rows:
        at.switch_page(row.path).run()
        assert not at.exception, [e.value for e in at.exception]
        assert [e.value for e in at.error] == [f"**无权访问**\n\n{row.refusal()}"], row.path
        assert not at.title and not at.dataframe  # the page itself never ran

    # one row changed: 儿童之家 admin-only
    homes = nav.row("pages/homes.py")
    changed = tuple(dataclasses.replace(r, roles=nav.ADMIN) if r is homes else r for r in nav.PAGES)
    monkeypatch.setattr(nav, "PAGES", changed)
    at = run_app(tiny, user=county, page="pages/homes.py")  # still listed by the bug
    assert [e.value for e in at.error] == ["**无权访问**\n\n儿童之家仅供系统管理员使用。"]
    assert not at.metric and not at.title
    monkeypatch.setattr(nav, "rows_for", listed_for_all)
    at = run_app(tiny, user=county)
    assert "pages/homes.py" not in registered_pages(at)
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page("pages/homes.py")
    at = run_app(tiny, user=ensure_user(tiny, "admin"), page="pages/homes.py")
    assert not at.exception and [t.value for t in at.title] == ["儿童之家"]


def test_every_page_file_is_one_row_of_the_page_table():
    """A page added under pages/ without its row (or a row left for a removed file) would be
    missing from every navigation, or break it."""
    files = sorted(f.relative_to(REPO_ROOT).as_posix() for f in (REPO_ROOT / "pages").glob("*.py"))
    assert sorted(r.path for r in nav.PAGES) == files
    assert len({r.url_path for r in nav.PAGES}) == len(nav.PAGES)
    assert [r.path for r in nav.PAGES if r.default] == ["pages/overview.py"]
    assert all(r.roles <= set(accounts.ROLES) and r.roles for r in nav.PAGES)
    assert nav.rows_for(None) == [r for r in nav.PAGES if r.roles == nav.EVERY_ROLE]


def test_a_page_guards_itself_by_its_own_row(tiny, apptest_env):
    """signin.page_user(url, __file__), a page's first line: the signed-in user when the
    page's row allows their role, else the row's refusal and nothing more of the page."""

    def script(url: str, username: str, password: str, page_file: str) -> None:
        import streamlit as st

        from components import session, signin

        session.sign_in(url, username, password)
        user = signin.page_user(url, page_file)
        st.write(f"opened as {user.username}")

    audit_page = str(REPO_ROOT / "pages" / "audit.py")
    for user, said in (
        (ensure_user(tiny, "county", "360112"), []),
        (ensure_user(tiny, "admin"), ["opened as apptest_admin_province"]),
    ):
        at = AppTest.from_function(
            script, args=(tiny, user, password_of(tiny, user), audit_page), default_timeout=60
        ).run()
        assert not at.exception, [e.value for e in at.exception]
        assert [m.value for m in at.markdown] == said
        refused = [] if said else [f"**无权访问**\n\n{nav.row('pages/audit.py').refusal()}"]
        assert [e.value for e in at.error] == refused
    assert nav.row("pages/audit.py").refusal() == "审计日志仅供系统管理员使用。"


def test_forged_session_state_grants_nothing(tiny, apptest_env, tiny_engine):
    """Keys written into session state are not a sign-in and not a scope."""
    os.environ["REPORTING_DB_URL"] = tiny
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state[session.SESSION_KEY] = "A" * 43  # a token of the right shape
    for key, value in {
        "username": "demo_admin",
        "user": "demo_admin",
        "role": "province",
        "scope": "360000",
        "region_code": "360000",
        "signed_in": True,
        "authenticated": True,
    }.items():
        at.session_state[key] = value
    at.session_state[CONTEXT_KEY] = AppContext(
        tiny, "360000", "2026-10", ("2026-10",), Meta(True, None, "t")
    )
    at.run()
    assert_sign_in_page(at)
    # a page run on its own with a forged context hands over to the sign-in
    at = AppTest.from_file(os.path.join(os.path.dirname(APP), "pages/homes.py"), default_timeout=60)
    at.session_state[CONTEXT_KEY] = AppContext(
        tiny, "360000", "2026-10", ("2026-10",), Meta(True, None, "t")
    )
    at.run()
    assert not at.exception
    assert not at.metric and not at.dataframe
    assert [t.value for t in at.title] != ["儿童之家"]


def test_forged_state_cannot_widen_a_signed_in_scope(tiny, apptest_env, tiny_engine):
    county = "360112"
    at = run_app(tiny, user=ensure_user(tiny, "county", county))
    kids = indicators.kpis(tiny_engine, county, "2026-10").set_index("metric")
    expected = f"{kids.at['children_active', 'value']:,.0f} 人"
    assert card(at, "在册儿童") == expected
    province_kids = indicators.kpis(tiny_engine, "360000", "2026-10").set_index("metric")
    assert f"{province_kids.at['children_active', 'value']:,.0f} 人" != expected
    for key, value in {"scope": "360000", "role": "province", "region_code": "360000"}.items():
        at.session_state[key] = value
    at.session_state[CONTEXT_KEY] = AppContext(
        tiny, "360000", "2026-10", ("2026-10",), Meta(True, None, "t")
    )
    at.query_params["prefecture"] = "360700"
    at.run()
    assert not at.exception
    assert [t.value for t in at.title] == ["新建区总览"]
    assert card(at, "在册儿童") == expected
    assert any("不在您的查看范围内" in w.value for w in at.warning)
    # the county page of another county is refused too
    at.query_params.pop("prefecture", None)
    at.query_params["county"] = "360730"
    at.switch_page("pages/county.py").run()
    assert not at.exception
    assert "宁都县" not in [t.value for t in at.title]
    assert not any("宁都县" in m.value for m in at.markdown if "县区详情" in m.value)


def test_demo_accounts_are_created_once_and_printed_once(tmp_path, capsys, apptest_env):
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    eng = make_engine(url)
    build_demo(eng, "tiny", progress=lambda _msg: None)
    at = open_app(url)
    assert_sign_in_page(at)
    assert any("演示模式" in w.value for w in at.warning)
    out = capsys.readouterr().out
    listed = {
        line.split()[0]: line.split()[-1]
        for line in out.splitlines()
        if line.strip().startswith("demo_")
    }
    assert set(listed) == {"demo_province", "demo_prefecture", "demo_county", "demo_admin"}
    got = {u: accounts.get_user(eng, u) for u in listed}
    assert got["demo_province"].region_code == "360000"
    assert got["demo_prefecture"].region_code == "360100"
    assert got["demo_county"].region_code == "360112"  # no 瑞金市 in the tiny demo
    assert got["demo_admin"].role == "admin"
    for name, password in listed.items():
        assert password not in stored_hash(eng, name)
        assert accounts.verify_password(stored_hash(eng, name), password)
    # a printed password signs in; a second start prints nothing and creates nothing
    sign_in(at, "demo_county", listed["demo_county"])
    assert [t.value for t in at.title] == ["新建区总览"]
    signin.ensure_demo_accounts.clear()
    open_app(url)
    assert "demo_" not in capsys.readouterr().out
    assert accounts.count_users(eng) == 4
    eng.dispose()


def test_no_demo_accounts_outside_demo_mode(tmp_path, capsys, apptest_env):
    url = f"sqlite:///{tmp_path / 'real.db'}"
    eng = make_engine(url)
    build_demo(eng, "tiny", progress=lambda _msg: None)
    with eng.begin() as conn:
        from data.db import write_meta

        write_meta(conn, {"demo": "0"})
    at = open_app(url)
    assert_sign_in_page(at)
    assert not any("演示模式" in w.value for w in at.warning)
    assert accounts.count_users(eng) == 0 and "demo_" not in capsys.readouterr().out
    sign_in(at, "demo_province", "anything-at-all")
    assert_sign_in_page(at)
    eng.dispose()


# ---------------------------------------------------------------- OIDC (st.login)


OIDC_SECRETS = {
    "redirect_uri": "http://localhost:8501/oauth2callback",
    "cookie_secret": "x" * 32,
    "client_id": "dashboard",
    "client_secret": "secret",
    "server_metadata_url": "https://sso.example.gov.cn/.well-known/openid-configuration",
}


def oidc_app(url: str, user: dict) -> AppTest:
    os.environ["REPORTING_DB_URL"] = url
    at = AppTest.from_file(APP, default_timeout=60)
    at.secrets["auth"] = OIDC_SECRETS
    at.user = user
    return at.run()


def test_oidc_replaces_the_password_form(tiny, apptest_env, tiny_engine):
    at = oidc_app(tiny, {"is_logged_in": False})
    assert not at.exception
    assert not sign_in_form_shown(at) and not at.metric
    assert [b.label for b in at.button] == ["使用统一身份认证登录"]


def test_oidc_identity_maps_to_an_account(tiny, apptest_env, tiny_engine):
    name = "zhao.county@jx.gov.cn"
    if accounts.get_user(tiny_engine, name) is None:
        accounts.add_user(tiny_engine, name, "county", "360730", oidc_only=True)
    at = oidc_app(tiny, verified(email=name, sub="8f2c"))
    assert not at.exception, [e.value for e in at.exception]
    assert [t.value for t in at.title] == ["宁都县总览"]
    assert audit_rows(tiny_engine)[-1] == (name, "sign_in", "oidc")
    # an identity without an account sees no data, only whom to ask
    at = oidc_app(tiny, verified(email="stranger@example.com", sub="1"))
    assert not at.metric and not at.dataframe
    assert any("尚未在本系统开通" in e.value for e in at.error)
    assert audit_rows(tiny_engine)[-1][1:] == ("sign_in_failed", "统一身份认证账号未开通")
    # a disabled account is refused the same way
    accounts.set_active(tiny_engine, name, False)
    at = oidc_app(tiny, verified(email=name))
    assert not at.metric and any("尚未在本系统开通或已停用" in e.value for e in at.error)
    accounts.set_active(tiny_engine, name, True)


def verified(**claims: str) -> dict:
    """A logged-in identity whose provider vouches for its email (issue 19.3)."""
    return {"is_logged_in": True, "email_verified": True, **claims}


def assert_oidc_refused(
    at: AppTest, engine: Engine, reason: str = "统一身份认证账号未开通"
) -> None:
    """No data, the whom-to-ask message, and the refusal audited with `reason`."""
    assert not at.exception, [e.value for e in at.exception]
    assert not at.metric and not at.dataframe
    assert any("尚未在本系统开通" in e.value for e in at.error)
    assert audit_rows(engine)[-1][1:] == ("sign_in_failed", reason)


def test_oidc_never_maps_a_password_account(tiny, apptest_env, tiny_engine, monkeypatch):
    """Issue 19.3: a provider whose claim equals a password account's username must not sign
    in as that account (an identity provider, or anyone who can name themselves there, would
    otherwise take over every password account). Only accounts made with `oidc_only` map."""
    name = ensure_user(tiny, "county", "360730", "li.county@jx.gov.cn")
    at = oidc_app(tiny, verified(email=name))
    assert_oidc_refused(at, tiny_engine)
    for claim in ("preferred_username", "sub"):
        monkeypatch.setenv("AUTH_OIDC_CLAIM", claim)
        at = oidc_app(tiny, verified(**{claim: name}))
        assert_oidc_refused(at, tiny_engine)
    assert not any(row == (name, "sign_in", "oidc") for row in audit_rows(tiny_engine))


def test_oidc_email_must_be_verified(tiny, apptest_env, tiny_engine):
    """Issue 19.3: with the default claim `email`, the provider must say the address is the
    user's (`email_verified` true); many providers let a user type any address."""
    name = "qian.county@jx.gov.cn"
    if accounts.get_user(tiny_engine, name) is None:
        accounts.add_user(tiny_engine, name, "county", "360730", oidc_only=True)
    for flag in ({}, {"email_verified": False}, {"email_verified": "false"}):
        at = oidc_app(tiny, {"is_logged_in": True, "email": name, **flag})
        assert_oidc_refused(at, tiny_engine, "统一身份认证邮箱未验证")
    at = oidc_app(tiny, {"is_logged_in": True, "email": name, "email_verified": "true"})
    assert not at.exception and [t.value for t in at.title] == ["宁都县总览"]
    assert audit_rows(tiny_engine)[-1] == (name, "sign_in", "oidc")


def test_oidc_maps_on_the_configured_claim_only(tiny, apptest_env, tiny_engine, monkeypatch):
    """Issue 19.3: one claim names the account, AUTH_OIDC_CLAIM (default email); the other
    claims of the identity are never tried."""
    sub = "f81d4fae-7dec-11d0-a765-00a0c91e6bf6"
    if accounts.get_user(tiny_engine, sub) is None:
        accounts.add_user(tiny_engine, sub, "county", "360730", oidc_only=True)
    identity = verified(email="sun@example.com", preferred_username=sub, sub=sub)
    assert_oidc_refused(oidc_app(tiny, identity), tiny_engine)  # default: email
    monkeypatch.setenv("AUTH_OIDC_CLAIM", "preferred_username")
    at = oidc_app(tiny, {**identity, "preferred_username": "sun"})
    assert_oidc_refused(at, tiny_engine)
    monkeypatch.setenv("AUTH_OIDC_CLAIM", "sub")
    at = oidc_app(tiny, {"is_logged_in": True, "sub": sub})  # no email needed, none verified
    assert not at.exception and [t.value for t in at.title] == ["宁都县总览"]
    assert audit_rows(tiny_engine)[-1] == (sub, "sign_in", "oidc")


def test_locked_until_is_stored_and_cleared(small):
    accounts.add_user(small, "zhang", "county", "360781", "right-password-1")
    with small.begin() as conn:
        conn.execute(
            update(app_users)
            .where(app_users.c.username == "zhang")
            .values(locked_until=T0 + timedelta(minutes=5))
        )
    assert authentication.authenticate(
        small, "zhang", "right-password-1", now=T0, policy=POLICY
    ).reason == ("locked")
    accounts.unlock(small, "zhang")
    assert authentication.authenticate(small, "zhang", "right-password-1", now=T0, policy=POLICY).ok
    assert audit.ACTION_LABELS["account_locked"] == "账号锁定"


def test_admin_manages_users_on_the_users_page(tiny, apptest_env, tiny_engine):
    target = ensure_user(tiny, "county", "360112", "managed_user")
    admin = ensure_user(tiny, "admin")
    at = run_app(tiny, user=admin, page="pages/users.py")
    assert not at.exception and [t.value for t in at.title] == ["用户管理"]
    table = next(d.value for d in at.dataframe if "用户名" in d.value.columns)
    row = table.set_index("用户名").loc[target]
    assert (row["角色"], row["所属地区"], row["状态"]) == ("县级用户", "新建区", "正常")
    assert not any("argon2" in str(v) for v in table.to_numpy().ravel())

    at.selectbox(key="users_pick").select(target).run()
    at.button(key="users_reset").click().run()
    shown = [c.value for c in at.code]
    assert len(shown) == 1 and len(shown[0]) == 16
    assert authentication.authenticate(tiny_engine, target, shown[0]).ok
    assert audit_rows(tiny_engine)[-1] == (admin, "user_reset", target)
    at.run()  # the password is shown once: gone on the next run
    assert not at.code

    at.button(key="users_disable").click().run()
    assert not accounts.get_user(tiny_engine, target).is_active
    assert any(f"已停用用户 {target}" in s.value for s in at.success)
    table = next(d.value for d in at.dataframe if "用户名" in d.value.columns)
    assert table.set_index("用户名").loc[target, "状态"] == "停用"
    at.button(key="users_enable").click().run()
    assert accounts.get_user(tiny_engine, target).is_active
    # the admin cannot disable their own account
    at.selectbox(key="users_pick").select(admin).run()
    assert at.button(key="users_disable").disabled

    at.selectbox(key="users_new_role").select("county").run()
    at.text_input(key="users_new_name").input("new_xingguo")
    at.selectbox(key="users_new_region").select("360732")
    next(b for b in at.button if b.label == "新增").click().run()
    assert not at.exception
    created = accounts.get_user(tiny_engine, "new_xingguo")
    assert created is not None and created.region_code == "360732" and created.role == "county"
    assert authentication.authenticate(tiny_engine, "new_xingguo", at.code[0].value).ok
    assert audit_rows(tiny_engine)[-1] == (admin, "user_add", "new_xingguo county 360732")
