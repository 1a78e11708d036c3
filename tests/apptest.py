"""Helpers for AppTest runs of the whole app (app.py → sign-in → st.navigation → a page).

Every page sits behind the sign-in form. `run_app` signs in through that form (the text
inputs and the 登录 button, exactly as a user does): as `user` when given, else as a
province account this helper creates in the test database (`ensure_user`), with a random
password it keeps in memory for the test process.
"""

from __future__ import annotations

import atexit
import json
import os
from collections.abc import Iterator

import pytest
import streamlit as st
from google.protobuf.json_format import MessageToDict
from sqlalchemy import delete, inspect
from sqlalchemy.engine import make_url
from streamlit.runtime.pages_manager import PagesManager
from streamlit.testing.v1 import AppTest

from data import accounts
from data.config import REPO_ROOT, is_default_demo_url
from data.db import make_engine
from data.schema import app_users

APP = str(REPO_ROOT / "app.py")
SIGN_IN_LABEL = "登录"
_PASSWORDS: dict[tuple[str, str], str] = {}  # (url, username) -> password, this process only
_CREATED_IN_DEMO_DB: set[tuple[str, str]] = set()


def pin_navigation_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    """AppTest resets `PagesManager.uses_pages_directory` before every run, so with a pages/
    folder each rerun would execute the page file alone (the pre-st.navigation behaviour)
    instead of app.py. A served app sets the flag to False at its first st.navigation call
    and keeps it; pin it to that steady state."""
    original = PagesManager.__init__

    def init(self, *args, **kwargs):
        original(self, *args, **kwargs)
        PagesManager.uses_pages_directory = False

    monkeypatch.setattr(PagesManager, "__init__", init)


def clear_streamlit_caches() -> None:
    st.cache_data.clear()
    st.cache_resource.clear()


def ensure_user(
    url: str,
    role: str = "province",
    region_code: str | None = None,
    username: str | None = None,
    *,
    can_view_personal: bool = False,
) -> str:
    """An account of `role` at `region_code` (province/admin: the province) in the database
    at `url`, for signing in with `run_app(..., user=...)`/`sign_in`; created (or given a
    new password) with a random password that only this test process knows."""
    username = username or f"apptest_{role}_{region_code or 'province'}"
    engine = make_engine(url)
    try:
        existing = accounts.get_user(engine, username)
        key = (url, username)
        if existing is None:
            _PASSWORDS[key] = accounts.add_user(
                engine,
                username,
                role,
                region_code,
                can_view_personal=can_view_personal,
                must_change_password=False,
            )
            if is_default_demo_url(url):
                _CREATED_IN_DEMO_DB.add(key)
        elif key not in _PASSWORDS:
            _PASSWORDS[key] = accounts.reset_password(engine, username, must_change_password=False)
        if existing is not None and existing.can_view_personal != can_view_personal:
            accounts.set_personal_permission(engine, username, can_view_personal)
        if existing is not None and (not existing.is_active or existing.locked_until):
            accounts.set_active(engine, username, True)
            accounts.unlock(engine, username)
    finally:
        engine.dispose()
    return username


def password_of(url: str, username: str) -> str:
    """The password `ensure_user` gave `username` in this process."""
    return _PASSWORDS[(url, username)]


def _default_user(url: str) -> str | None:
    """The province test account, when the database can hold one (a missing file, an empty
    or unmigrated database, an unreachable server: None, and the app shows its notice)."""
    try:
        parsed = make_url(url)
        sqlite = parsed.drivername.startswith("sqlite")
        if sqlite and (not parsed.database or not os.path.exists(parsed.database)):
            return None
        engine = make_engine(url)
        try:
            columns = {c["name"] for c in inspect(engine).get_columns("app_users")}
        finally:
            engine.dispose()
        if "failed_attempts" not in columns:
            return None
        return ensure_user(url)
    except Exception:  # the database is not usable: let the app say so
        return None


def sign_in_form_shown(at: AppTest) -> bool:
    return any(t.key == "signin_username" for t in at.text_input)


def sign_in(at: AppTest, username: str, password: str) -> AppTest:
    """Fill the sign-in form and press 登录, as a user does."""
    at.text_input(key="signin_username").input(username)
    at.text_input(key="signin_password").input(password)
    next(b for b in at.button if b.label == SIGN_IN_LABEL).click()
    return at.run()


def run_app(
    url: str,
    page: str | None = None,
    timeout: float = 60,
    user: str | None = None,
    password: str | None = None,
    **query_params: str,
) -> AppTest:
    """Run app.py on the database at `url`, signed in as `user` (default: a province account
    created for the test); `page` is a pages/ file to switch to (e.g. "pages/homes.py"),
    query_params go into the URL."""
    os.environ["REPORTING_DB_URL"] = url
    if user is None:
        user = _default_user(url)
    at = AppTest.from_file(APP, default_timeout=timeout)
    for key, value in query_params.items():
        at.query_params[key] = value
    at.run()
    if user is not None and sign_in_form_shown(at):
        sign_in(at, user, password if password is not None else password_of(url, user))
    if page is not None:
        at.switch_page(page)
        at.run()
    return at


def _strings(value) -> Iterator[str]:
    """Every string inside a proto dict, JSON specs (plotly figures, decks) decoded."""
    if isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)
    elif isinstance(value, str):
        if value[:1] in "{[":
            try:
                yield from _strings(json.loads(value))
                return
            except ValueError:
                pass
        yield value


def page_text(at: AppTest) -> str:
    """All text a page sends: element protos (charts and maps decoded) and table cells, so a
    test can look for names that must never show anywhere on it."""
    parts: list[str] = []

    def walk(node) -> None:
        if type(node).__name__ == "Dataframe":
            parts.append(node.value.to_string())
        elif getattr(node, "proto", None) is not None:
            parts.extend(_strings(MessageToDict(node.proto)))
        for child in getattr(node, "children", {}).values():
            walk(child)

    walk(at._tree)
    return "\n".join(parts)


@atexit.register
def _drop_accounts_from_demo_db() -> None:
    """Leave no test account behind in the demo database `make run` serves (the bench
    renders pages there through run_app)."""
    for url, username in _CREATED_IN_DEMO_DB:
        try:
            engine = make_engine(url)
            with engine.begin() as conn:
                conn.execute(delete(app_users).where(app_users.c.username == username))
            engine.dispose()
        except Exception:  # the process is exiting: nothing more to do
            pass
