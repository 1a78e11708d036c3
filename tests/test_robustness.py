"""Robustness: a clear Chinese notice instead of a traceback for database trouble the
tests/test_app.py cases leave out (a plain `postgresql://` URL to a closed port, a database
missing on a live server, an empty migrated PostgreSQL database, a schema one migration
behind, a period the data does not hold on every view), and 24 simultaneous signed-in
sessions of different scopes that each see only their own figures.

tests/test_app.py already covers, on SQLite: missing file, empty file, unversioned schema,
no snapshots, unreachable `postgresql+psycopg` URL, newer schema, a query failing mid-session
and `?period=1999-01` on the overview's period selector.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext
from types import SimpleNamespace

import pytest
from alembic import command
from sqlalchemy import Engine, select
from sqlalchemy.engine import make_url
from streamlit.runtime import Runtime
from streamlit.runtime.pages_manager import PagesManager
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1 import app_test as app_test_module
from streamlit.testing.v1.util import patch_config_options

from data.db import alembic_config, head_revision, make_engine, upgrade
from data.demo.build import main as demo_main
from data.schema import kpi_snapshots, regions
from tests import apptest
from tests.conftest import PG_ADMIN_URL
from tests.fixtures.pages import VIEW_PAGES

CJK = re.compile(r"[\u4e00-\u9fff]")
TRACEBACK_MARKS = ("Traceback", "Error:", "Exception", 'File "')
NEWEST = "2026-10"  # the tiny demo's months: 2024-01 … 2026-10


@pytest.fixture(autouse=True)
def _app_env(apptest_env) -> None:
    """Pinned navigation mode, fresh caches, REPORTING_DB_URL restored (tests/conftest.py)."""


@pytest.fixture(scope="module")
def tiny_url(tmp_path_factory) -> str:
    """A tiny demo database (1 province, 2 prefectures, 5 counties), rolled up."""
    url = f"sqlite:///{tmp_path_factory.mktemp('robust') / 'tiny.db'}"
    assert demo_main(["--scale", "tiny", "--url", url]) == 0
    return url


def url_of(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def assert_notice(at: AppTest, *phrases: str) -> str:
    """Exactly one warning, in Chinese, holding `phrases`; no exception, no traceback, no
    card, and no password from the URL."""
    assert not at.exception
    warnings = [w.value for w in at.warning]
    assert len(warnings) == 1, warnings
    text = warnings[0]
    assert CJK.search(text), text
    for phrase in phrases:
        assert phrase in text, text
    for mark in TRACEBACK_MARKS:
        assert mark not in text, text
    assert not at.metric
    return text


# ---------------------------------------------------------------- unreachable


def test_plain_postgresql_url_to_a_closed_port():
    """The `postgresql://` spelling (no driver) goes through the psycopg 3 normalisation and
    still ends in the notice, with the URL shown without its password."""
    start = time.monotonic()
    at = apptest.run_app("postgresql://postgres:s3cret@127.0.0.1:1/x", timeout=30)
    text = assert_notice(at, "无法连接数据库", "127.0.0.1:1/x", "REPORTING_DB_URL")
    assert "s3cret" not in text and "s3cret" not in apptest.page_text(at)
    assert time.monotonic() - start < 15  # a refused port fails fast, no hang


@pytest.mark.skipif(not PG_ADMIN_URL, reason="needs TEST_POSTGRES_URL")
def test_database_missing_on_a_live_server():
    url = make_url(PG_ADMIN_URL).set(database="dash_no_such_database_x")
    at = apptest.run_app(url.render_as_string(hide_password=False), timeout=30)
    assert_notice(at, "无法连接数据库", "dash_no_such_database_x")


# ---------------------------------------------------------------- empty and old schema


def test_migrated_database_without_rows(engine):
    """An empty migrated database (SQLite and PostgreSQL): the rollup hint, not a sign-in
    form over nothing."""
    at = apptest.run_app(url_of(engine), timeout=30)
    assert_notice(at, "还没有指标汇总", "python -m data.rollup")
    assert not apptest.sign_in_form_shown(at)


def test_schema_one_migration_behind_then_upgraded(engine):
    """A database left at 0001_baseline (head is later) names both revisions and `make run`;
    once upgraded, the same session sees the next step (the rollup hint): a failed health
    check is not cached."""
    url = url_of(engine)
    with engine.begin() as conn:
        cfg = alembic_config(url)
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0001_baseline")
    try:
        head = head_revision()
        assert head != "0001_baseline"
        at = apptest.run_app(url, timeout=30)
        assert_notice(at, "数据库结构版本过旧", "0001_baseline", head, "make run")
    finally:
        upgrade(engine)  # the PostgreSQL schema database is shared by the session's tests
    at.run()
    assert_notice(at, "还没有指标汇总")


# ---------------------------------------------------------------- missing period


UNKNOWN_PERIODS = ("1999-01", "2026-13", "x' OR '1'='1")


def test_unknown_period_falls_back_to_newest_on_every_view(tiny_url):
    """A month the data does not hold (or garbage) in ?period= opens the newest month on
    every view, with no exception or error box, and the URL is corrected."""
    user = apptest.ensure_user(tiny_url, "county", "360730")
    for i, page in enumerate(VIEW_PAGES):
        asked = UNKNOWN_PERIODS[i % len(UNKNOWN_PERIODS)]
        at = apptest.run_app(tiny_url, page=page, user=user, timeout=60, period=asked)
        assert not at.exception, (page, at.exception)
        assert not at.error, (page, [e.value for e in at.error])
        assert at.sidebar.selectbox(key="period").value == NEWEST, page
        assert at.query_params["period"] in (NEWEST, [NEWEST]), page
        assert asked not in apptest.page_text(at), page


# ---------------------------------------------------------------- concurrency


@pytest.fixture
def threaded_apptest(monkeypatch) -> Iterator[None]:
    """Make AppTest safe to run from many threads of one process, the way the Streamlit
    server runs sessions (one runtime, shared caches, a script thread per session).

    AppTest.run swaps process globals on every run: it installs a fresh mock Runtime and
    sets it back to None afterwards, patches `config.get_option` and restores it, and resets
    `PagesManager.uses_pages_directory`. Interleaved across threads these would pull the
    runtime from under a running session and leave a mock patched in. Here the runtime and
    the config patch are installed once for the whole test, and AppTest's own swaps land on
    stand-ins."""
    probe = AppTest.from_string("import streamlit as st")
    probe.run()  # discovers the bidi components once
    shared = app_test_module.MagicMock(spec=Runtime)
    shared.media_file_mgr = app_test_module.MediaFileManager(
        app_test_module.MemoryMediaFileStorage("/mock/media")
    )
    shared.dataframe_source_mgr = app_test_module.DataframeSourceManager()
    shared.cache_storage_manager = app_test_module.MemoryCacheStorageManager()
    shared.bidi_component_registry = probe._bidi_component_manager

    class StandInPagesManager(PagesManager):
        """AppTest's `= None` reset lands on this subclass; the real flag stays False."""

    PagesManager.uses_pages_directory = False
    monkeypatch.setattr(app_test_module, "Runtime", SimpleNamespace(_instance=None))
    monkeypatch.setattr(app_test_module, "PagesManager", StandInPagesManager)
    monkeypatch.setattr(app_test_module, "patch_config_options", lambda _o: nullcontext())
    monkeypatch.setattr(Runtime, "_instance", shared)
    with patch_config_options({"global.appTest": True}):
        yield


def within(code: str, scope: str) -> bool:
    """County `code` lies in `scope` (province 360000, prefecture 3601/3607, or itself)."""
    if scope.endswith("0000"):
        return code[:2] == scope[:2]
    if scope.endswith("00"):
        return code[:4] == scope[:4]
    return code == scope


def kpi_expectation(url: str, scope: str, period: str) -> dict[str, str]:
    """Card label → shown value, straight from queries.indicators.kpis for `scope`."""
    from components.format import fmt_value
    from queries.indicators import kpis

    engine = make_engine(url)
    try:
        frame = kpis(engine, scope, period)
    finally:
        engine.dispose()
    return {r["label"]: fmt_value(r["metric"], r["value"]) for r in frame.to_dict("records")}


def test_24_simultaneous_sessions_see_only_their_own_scope(tiny_url, threaded_apptest, monkeypatch):
    """24 sessions (province, both prefectures, all 5 counties, three users each) sign in
    and render the overview at the same time in one process sharing its caches; every
    session's cards equal queries.indicators.kpis of its own scope and its page names no
    county outside it."""
    engine = make_engine(tiny_url)
    with engine.connect() as conn:
        rows = conn.execute(select(regions.c.code, regions.c.name, regions.c.level)).all()
        newest = conn.execute(select(kpi_snapshots.c.period).order_by(kpi_snapshots.c.period.desc()).limit(1)).scalar_one()  # fmt: skip
    engine.dispose()
    assert newest == NEWEST
    counties = {code: name for code, name, level in rows if level == "county"}
    prefectures = [code for code, _n, level in rows if level == "prefecture"]
    assert len(counties) == 5 and sorted(prefectures) == ["360100", "360700"]
    scopes = [("province", None, "360000")]
    scopes += [("prefecture", code, code) for code in prefectures]
    scopes += [("county", code, code) for code in sorted(counties)]
    sessions = [(role, region, scope, k) for role, region, scope in scopes for k in range(3)]
    assert len(sessions) == 24

    expected = {scope: kpi_expectation(tiny_url, scope, NEWEST) for _r, _g, scope in scopes}
    # The scopes' figures differ, so a session showing another scope's cards is caught.
    assert len({tuple(sorted(v.items())) for v in expected.values()}) == len(scopes)
    users = {s: apptest.ensure_user(tiny_url, s[0], s[1], f"conc_{s[2]}_{s[3]}") for s in sessions}
    passwords = {s: apptest.password_of(tiny_url, u) for s, u in users.items()}

    monkeypatch.setenv("REPORTING_DB_URL", tiny_url)
    barrier = threading.Barrier(len(sessions))
    spans: list[tuple[float, float]] = []
    lock = threading.Lock()

    def session(s: tuple) -> AppTest:
        at = AppTest.from_file(apptest.APP, default_timeout=180)
        at.run()  # the sign-in form
        assert apptest.sign_in_form_shown(at), [w.value for w in at.warning]
        barrier.wait()  # every session signs in and renders at the same moment
        began = time.monotonic()
        apptest.sign_in(at, users[s], passwords[s])
        with lock:
            spans.append((began, time.monotonic()))
        return at

    start = time.monotonic()
    with ThreadPoolExecutor(max_workers=len(sessions)) as pool:
        results = dict(zip(sessions, pool.map(session, sessions), strict=True))
    elapsed = time.monotonic() - start

    # They really overlapped: every session had started before the first one finished.
    assert max(b for b, _e in spans) < min(e for _b, e in spans), elapsed
    for s, at in results.items():
        _role, _region, scope, _k = s
        assert not at.exception, (s, at.exception)
        assert not at.error, (s, [e.value for e in at.error])
        shown = {m.label: m.value for m in at.metric}
        assert len(shown) >= 10 and set(shown) <= set(expected[scope]), (s, shown)
        assert shown == {k: v for k, v in expected[scope].items() if k in shown}, s
        text = apptest.page_text(at)
        foreign = [n for code, n in counties.items() if not within(code, scope)]
        assert not [n for n in foreign if n in text], (s, foreign)
    print(f"24 concurrent sessions: {elapsed:.1f} s")
