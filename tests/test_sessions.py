"""Sign-in sessions that survive a reload (issue 15): the auth_sessions rows (data/sessions.py)
on SQLite and PostgreSQL, the cookie routes (components/session_http.py) called as ASGI, and
the Streamlit side (components/session.py) finding a sign-in by its cookie in AppTest."""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import threading
from datetime import datetime, timedelta

import pytest
from sqlalchemy import Engine, insert, select
from streamlit.testing.v1 import AppTest

from data import accounts, authentication, sessions
from data.db import make_engine
from data.schema import auth_sessions, regions
from tests.apptest import APP, ensure_user, run_app, sign_in_form_shown
from tests.fixtures.demo import tiny_demo_fixture

T0 = datetime(2026, 12, 1, 9, 0, 0)


@pytest.fixture
def user(engine: Engine) -> str:
    with engine.begin() as conn:
        conn.execute(insert(regions).values(code="360000", name="江西省", level="province"))
    accounts.add_user(engine, "zhang_s", "province", None, "Very-Long-Pass-42")
    return "zhang_s"


def _stored_values(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        rows = conn.execute(select(auth_sessions)).all()
    return [str(v) for row in rows for v in row]


def test_only_hashes_of_the_token_and_the_claim_code_are_stored(engine, user):
    session_id, code = sessions.create(engine, user, "password", T0, client_addr="10.0.0.7",
                                       user_agent="Chromium")  # fmt: skip
    assert code not in _stored_values(engine)
    token = sessions.claim(engine, code, T0 + timedelta(seconds=5))
    assert token is not None and len(token) >= 43 and token != session_id
    stored = _stored_values(engine)
    assert token not in stored and code not in stored
    assert hashlib.sha256(token.encode()).hexdigest() in stored
    row = sessions.by_token(engine, token)
    assert row is not None and row.id == session_id and row.username == user and row.live
    with engine.connect() as conn:
        source = conn.execute(select(auth_sessions.c.client_addr, auth_sessions.c.user_agent)).one()
    assert tuple(source) == ("10.0.0.7", "Chromium")


def test_ids_tokens_and_codes_are_random_and_unguessable(engine, user):
    made = [sessions.create(engine, user, "password", T0) for _ in range(20)]
    tokens = [sessions.claim(engine, code, T0) for _, code in made]
    secrets = [s for pair in made for s in pair] + tokens
    assert len(set(secrets)) == 60 and min(len(s) for s in secrets) >= 43
    assert sessions.by_token(engine, "A" * 43) is None and sessions.by_id(engine, "A" * 43) is None


def test_a_claim_code_works_once_and_only_briefly(engine, user):
    _, code = sessions.create(engine, user, "password", T0)
    assert sessions.claim(engine, code, T0 + timedelta(seconds=sessions.CLAIM_SECONDS + 1)) is None
    _, code = sessions.create(engine, user, "password", T0)
    assert sessions.claim(engine, code, T0) is not None
    assert sessions.claim(engine, code, T0) is None  # used
    assert sessions.claim(engine, "A" * 43, T0) is None and sessions.claim(engine, "", T0) is None
    sid, code = sessions.create(engine, user, "password", T0)
    sessions.end(engine, sid, "sign_out", T0)
    assert sessions.claim(engine, code, T0) is None  # the session ended first


def test_ending_a_session_and_all_of_a_users_sessions(engine, user):
    accounts.add_user(engine, "li_s", "province", None, "Other-Long-Pass-42")
    ids = [sessions.create(engine, user, "password", T0)[0] for _ in range(3)]
    other, _ = sessions.create(engine, "li_s", "password", T0)
    assert sessions.end(engine, ids[0], "sign_out", T0) is True
    assert sessions.end(engine, ids[0], "sign_out", T0) is False  # already ended
    assert sessions.live_count(engine, user) == 2
    assert sessions.end_all(engine, user, "admin", T0) == 2
    assert sessions.live_count(engine, user) == 0 and sessions.live_count(engine, "li_s") == 1
    assert [sessions.by_id(engine, i).end_reason for i in ids] == ["sign_out", "admin", "admin"]
    assert sessions.by_id(engine, other).live
    assert sessions.by_id(engine, "A" * 43) is None and sessions.by_token(engine, None) is None


# ---------------------------------------------------------------- the cookie routes (ASGI)


def _call(app, method: str, path: str, headers: dict[str, str], body: bytes = b"") -> tuple:
    """One HTTP request straight into an ASGI app: (status, header list, body)."""
    scope = {
        "type": "http", "method": method, "path": path, "raw_path": path.encode(),
        "query_string": b"", "scheme": "http", "server": ("127.0.0.1", 8501),
        "client": ("127.0.0.1", 5000), "root_path": "", "http_version": "1.1",
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
    }  # fmt: skip
    sent: list[dict] = []

    async def receive() -> dict:
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict) -> None:
        sent.append(message)

    # in a thread of its own: an earlier test (Playwright's sync API) may have left an event
    # loop running in this one, where asyncio.run refuses to start
    worker = threading.Thread(target=lambda: asyncio.run(app(scope, receive, send)))
    worker.start()
    worker.join()
    start = next(m for m in sent if m["type"] == "http.response.start")
    content = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    headers_out = [(k.decode(), v.decode()) for k, v in start["headers"]]
    return start["status"], headers_out, content


@pytest.fixture
def routes_app(engine, user, monkeypatch):
    from starlette.applications import Starlette

    from components import session_http

    monkeypatch.setattr(session_http, "database_url", lambda: str(engine.url))
    monkeypatch.setattr(session_http, "engine_for", lambda url: engine)
    return Starlette(routes=session_http.routes(""))


SAME = {"host": "dash.local:8501", "origin": "http://dash.local:8501",
        "content-type": "application/json"}  # fmt: skip


def test_the_claim_route_sets_an_httponly_samesite_cookie(engine, user, routes_app):
    from components import session

    sid, code = sessions.create(engine, user, "password", session.now())
    status, headers, _ = _call(routes_app, "POST", "/_auth/claim", SAME,
                               json.dumps({"code": code}).encode())  # fmt: skip
    assert status == 200
    cookies = [v for k, v in headers if k == "set-cookie"]
    assert len(cookies) == 1
    cookie = cookies[0]
    name, token = cookie.split(";")[0].split("=", 1)
    assert name == session.COOKIE_NAME
    flags = {f.strip().lower() for f in cookie.split(";")[1:]}
    assert "httponly" in flags and "samesite=lax" in flags and "path=/" in flags
    assert "secure" not in flags  # plain HTTP, AUTH_COOKIE_SECURE unset
    assert sessions.by_token(engine, token).id == sid
    # the same code again, another site's page, no origin at all: refused, nothing set
    again = _call(routes_app, "POST", "/_auth/claim", SAME, json.dumps({"code": code}).encode())
    assert again[0] == 400 and not [v for k, v in again[1] if k == "set-cookie"]
    _, code2 = sessions.create(engine, user, "password", session.now())
    evil = {**SAME, "origin": "http://evil.example"}
    assert (
        _call(routes_app, "POST", "/_auth/claim", evil, json.dumps({"code": code2}).encode())[0]
        == 403
    )
    bare = {k: v for k, v in SAME.items() if k != "origin"}
    assert (
        _call(routes_app, "POST", "/_auth/claim", bare, json.dumps({"code": code2}).encode())[0]
        == 403
    )
    assert _call(routes_app, "GET", "/_auth/claim", SAME)[0] == 405


def test_the_cookie_is_secure_over_https_or_when_configured(engine, user, routes_app, monkeypatch):
    from components import session

    _, code = sessions.create(engine, user, "password", session.now())
    proxied = {**SAME, "x-forwarded-proto": "https"}
    _, headers, _ = _call(
        routes_app, "POST", "/_auth/claim", proxied, json.dumps({"code": code}).encode()
    )
    assert "secure" in {f.strip().lower() for f in dict(headers)["set-cookie"].split(";")}
    monkeypatch.setenv("AUTH_COOKIE_SECURE", "true")
    _, code = sessions.create(engine, user, "password", session.now())
    _, headers, _ = _call(
        routes_app, "POST", "/_auth/claim", SAME, json.dumps({"code": code}).encode()
    )
    assert "secure" in {f.strip().lower() for f in dict(headers)["set-cookie"].split(";")}


def test_the_sign_out_route_ends_the_session_and_clears_the_cookie(engine, user, routes_app):
    from components import session

    sid, code = sessions.create(engine, user, "password", session.now())
    token = sessions.claim(engine, code, session.now())
    headers = {**SAME, "cookie": f"{session.COOKIE_NAME}={token}"}
    status, out, _ = _call(routes_app, "POST", "/_auth/sign-out", headers, b"{}")
    assert status == 200
    cleared = dict(out)["set-cookie"]
    assert cleared.startswith(f"{session.COOKIE_NAME}=") and "max-age=0" in cleared.lower()
    assert (
        not sessions.by_id(engine, sid).live
        and sessions.by_id(engine, sid).end_reason == "sign_out"
    )
    evil = {**headers, "origin": "http://evil.example"}
    sid2, code2 = sessions.create(engine, user, "password", session.now())
    token2 = sessions.claim(engine, code2, session.now())
    evil["cookie"] = f"{session.COOKIE_NAME}={token2}"
    assert _call(routes_app, "POST", "/_auth/sign-out", evil, b"{}")[0] == 403
    assert sessions.by_id(engine, sid2).live


# ---------------------------------------------------------------- the app side (AppTest)

tiny = tiny_demo_fixture("sessions")


@pytest.fixture
def browser_cookie(monkeypatch):
    """What the browser would send: the cookie the claim route set for the last sign-in (the
    claim code is taken from data.sessions.create, as the page would post it)."""
    from components import session

    made: list[str] = []
    create = sessions.create

    def capturing(*args, **kwargs):
        session_id, code = create(*args, **kwargs)
        made.append(code)
        return session_id, code

    monkeypatch.setattr(sessions, "create", capturing)
    jar: dict[str, str | None] = {"token": None}
    monkeypatch.setattr(session, "cookie_token", lambda: jar["token"])

    def claim(url: str) -> str:
        engine = make_engine(url)
        try:
            jar["token"] = sessions.claim(engine, made[-1], session.now())
        finally:
            engine.dispose()
        assert jar["token"]
        return jar["token"]

    return claim


def _fresh_tab(url: str, page: str | None = None) -> AppTest:
    """A reload, a new tab, a bookmark: a new Streamlit session, empty session state."""
    os.environ["REPORTING_DB_URL"] = url
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    if page:
        at.switch_page(page).run()
    return at


def test_a_reload_or_new_tab_keeps_the_sign_in_and_sign_out_ends_it_everywhere(
    tiny, apptest_env, browser_cookie
):
    from components import session

    user = ensure_user(tiny, "county", "360112", "sessions_county")
    first = run_app(tiny, user=user)
    assert [t.value for t in first.title] == ["新建区总览"]
    token = browser_cookie(tiny)
    held = first.session_state[session.SESSION_KEY]
    assert held != token and token not in str(
        {k: first.session_state[k] for k in first.session_state}
    )
    second = _fresh_tab(tiny, "pages/homes.py")
    assert not sign_in_form_shown(second) and [t.value for t in second.title] == ["儿童之家"]
    assert second.session_state[session.SESSION_KEY] == held
    first.sidebar.button(key="sign_out").click().run()
    assert sign_in_form_shown(first)
    second.run()
    assert sign_in_form_shown(second)
    assert any("退出登录" in i.value for i in second.info)
    assert sign_in_form_shown(_fresh_tab(tiny))  # the cookie names an ended session


def test_disabling_a_user_or_an_admin_ending_sessions_signs_out_open_tabs(
    tiny, apptest_env, browser_cookie, monkeypatch
):
    from components import session

    clock = [session.now() + timedelta(days=1)]
    monkeypatch.setattr(session, "now", lambda: clock[0])
    user = ensure_user(tiny, "county", "360112", "sessions_disabled")
    engine = make_engine(tiny)
    try:
        run_app(tiny, user=user)
        browser_cookie(tiny)
        tab = _fresh_tab(tiny)
        assert not sign_in_form_shown(tab)
        accounts.set_active(engine, user, False)
        clock[0] += timedelta(seconds=6)  # past the account re-check
        tab.run()
        assert sign_in_form_shown(tab) and any("已停用" in i.value for i in tab.info)
        accounts.set_active(engine, user, True)
        run_app(tiny, user=user)
        browser_cookie(tiny)
        tab = _fresh_tab(tiny)
        assert not sign_in_form_shown(tab)
        assert sessions.end_all(engine, user, "admin", clock[0]) >= 1
        tab.run()  # at once: the session row is read on every run
        assert sign_in_form_shown(tab) and any("管理员已结束" in i.value for i in tab.info)
    finally:
        engine.dispose()


def test_a_generated_password_must_be_changed_at_the_first_sign_in(tiny, apptest_env):
    engine = make_engine(tiny)
    try:
        if accounts.get_user(engine, "sessions_first") is None:
            first = accounts.add_user(engine, "sessions_first", "county", "360112")
        else:
            first = accounts.reset_password(engine, "sessions_first")
        assert accounts.get_user(engine, "sessions_first").must_change_password
        at = run_app(tiny, user="sessions_first", password=first)
        assert [m.value for m in at.markdown if m.value.startswith("####")] == ["#### 修改密码"]
        assert not at.metric and not at.dataframe and not at.get("plotly_chart")

        def submit(old: str, new: str, again: str) -> AppTest:
            at.text_input(key="pw_old").input(old)
            at.text_input(key="pw_new").input(new)
            at.text_input(key="pw_again").input(again)
            return _submit(at)

        submit(first, "Brand-New-Pass-7", "Brand-New-Pass-8")
        assert any("不一致" in e.value for e in at.error)
        submit("wrong-old-Pass-1", "Brand-New-Pass-7", "Brand-New-Pass-7")
        assert any("原密码不正确" in e.value for e in at.error)
        submit(first, "sessions_first-X1", "sessions_first-X1")
        assert any("用户名" in e.value for e in at.error)
        assert at.text_input(key="pw_new").value == "sessions_first-X1"  # kept, not lost
        assert accounts.get_user(engine, "sessions_first").must_change_password
        submit(first, "Brand-New-Pass-7", "Brand-New-Pass-7")
        assert not at.exception
        assert [t.value for t in at.title] == ["新建区总览"] and at.metric
        assert not accounts.get_user(engine, "sessions_first").must_change_password
        at.run()  # the new session outlives the change it was made after
        assert [t.value for t in at.title] == ["新建区总览"]
        assert authentication.authenticate(
            engine, "sessions_first", "Brand-New-Pass-7", now=audit_now()
        ).ok
    finally:
        engine.dispose()


def _submit(at: AppTest) -> AppTest:
    button = next(b for b in at.get("button") if getattr(b, "label", "") == "修改密码")
    return button.click().run()


def audit_now() -> datetime:
    from components import session

    return session.now()


def test_disabling_resetting_or_ending_a_users_sessions_ends_them_at_once(engine, user, capsys):
    from data import users as cli

    def live() -> int:
        return sessions.live_count(engine, user)

    for _ in range(2):
        sessions.create(engine, user, "password", T0)
    accounts.set_active(engine, user, False)
    assert live() == 0
    accounts.set_active(engine, user, True)
    sessions.create(engine, user, "password", T0)
    accounts.reset_password(engine, user, now=T0 + timedelta(minutes=1))
    assert live() == 0
    for _ in range(3):
        sessions.create(engine, user, "password", T0)
    assert accounts.end_sessions(engine, user) == 3 and live() == 0
    with pytest.raises(accounts.UserError):
        accounts.end_sessions(engine, "nobody_here")
    sessions.create(engine, user, "password", T0)
    url = engine.url.render_as_string(hide_password=False)
    assert cli.main(["--url", url, "end-sessions", user]) == 0
    assert "已结束用户 zhang_s 的 1 个登录会话" in capsys.readouterr().out
    assert live() == 0
    assert cli.main(["--url", url, "end-sessions", "nobody_here"]) == 2
    assert "不存在" in capsys.readouterr().err
    with engine.connect() as conn:
        reasons = [r for (r,) in conn.execute(select(auth_sessions.c.end_reason))]
    assert sorted(set(reasons)) == ["admin", "disabled", "password_reset"]


def test_media_downloads_answer_only_a_signed_in_browser_and_are_audited(engine, user, monkeypatch):
    """Issue 19.6: a /media/<id> download (Content-Disposition attachment: an export) fetched
    without a live session is refused; with one it is served and written to the audit log.
    Other media (the page icon of the sign-in form) are served to anyone."""
    from components import session, session_http
    from tests.fixtures.audit import audit_rows

    monkeypatch.setattr(session_http, "database_url", lambda: str(engine.url))
    monkeypatch.setattr(session_http, "engine_for", lambda url: engine)
    served: list[str] = []

    async def streamlit(scope, receive, send):
        served.append(scope["path"])
        headers = [(b"content-type", b"application/octet-stream")]
        if scope["path"].endswith(".xlsx"):
            headers.append((b"content-disposition", b'attachment; filename="a.xlsx"'))
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": b"file"})

    guarded = session_http.MediaGuard(streamlit)
    path = "/media/abc123.xlsx"
    forged = {"host": "h", "cookie": f"{session.COOKIE_NAME}=forged"}
    for headers in ({"host": "h"}, forged):
        status, _, body = _call(guarded, "GET", path, headers)
        assert status == 403 and body != b"file"
    sid, code = sessions.create(engine, user, "password", session.now())
    token = sessions.claim(engine, code, session.now())
    with_cookie = {"host": "h", "cookie": f"other=1; {session.COOKIE_NAME}={token}"}
    status, _, body = _call(guarded, "GET", path, with_cookie)
    assert status == 200 and body == b"file"
    assert audit_rows(engine)[-1] == (user, "export", "文件下载 abc123.xlsx")
    # A replay of the same URL (issue 19.8) is one more download, one more row.
    assert _call(guarded, "GET", path, with_cookie)[2] == b"file"
    fetched = [r for r in audit_rows(engine) if r == (user, "export", "文件下载 abc123.xlsx")]
    assert len(fetched) == 2
    rows_before = len(audit_rows(engine))
    assert _call(guarded, "GET", "/media/icon.png", {"host": "h"})[2] == b"file"  # no download
    assert _call(guarded, "GET", "/_stcore/health", {"host": "h"})[0] == 200  # not media
    assert len(audit_rows(engine)) == rows_before
    sessions.end(engine, sid, "sign_out", session.now())
    assert _call(guarded, "GET", path, with_cookie)[0] == 403
