"""The server-start warm-up (components/warmup.py, issue 18.5) on the tiny demo, both backends:
its list of calls is exactly what the warmed pages run for a province user, and after it a
province user's first visit to each of those pages runs no query of its own.
"""

from __future__ import annotations

import functools
import importlib

import pytest

from components import db, warmup
from tests.apptest import run_app
from tests.fixtures.demo import shared_tiny_fixture

tiny = shared_tiny_fixture()
PROVINCE = "360000"


@pytest.fixture
def recorded(monkeypatch) -> list[warmup.Call]:
    """Every data-cache call (db.query's key, without URL and version) made while recording."""
    calls: list[warmup.Call] = []
    cached = db._cached_call

    def record(module, name, url, version, args, kwargs):
        calls.append((module, name, args, kwargs))
        return cached(module, name, url, version, args, kwargs)

    monkeypatch.setattr(db, "_cached_call", record)
    return calls


def expected_calls(url: str) -> set[warmup.Call]:
    months = db.prefill("queries.indicators", "periods", url, (PROVINCE,), ())
    return set(warmup.province_calls(PROVINCE, months[0], months[1], db.meta(url)))


def test_the_warm_list_is_what_the_pages_run(tiny, apptest_env, recorded, monkeypatch):
    monkeypatch.setenv("PROVINCE_CODE", PROVINCE)
    for page in warmup.WARMED_PAGES:
        at = run_app(tiny, page=page, timeout=120)
        assert not at.exception, (page, [e.value for e in at.exception])
    ran = set(recorded)
    warm = expected_calls(tiny)
    behind = {c for c in warm if (c[0], c[1]) in warmup.BEHIND_TABS}
    assert sorted(ran - warm) == [], "pages run queries the warm-up lacks"
    assert sorted(warm - behind - ran) == [], "the warm-up runs queries no warmed page runs"
    assert not behind & ran, "a list behind a lazy tab ran before its tab was opened"
    for page, key, tab in sorted(set(warmup.BEHIND_TABS.values())):
        at = run_app(tiny, page=page, timeout=120)
        at.session_state[key] = tab
        at.run()
        assert not at.exception, (page, tab, [e.value for e in at.exception])
    assert sorted(behind - set(recorded)) == [], "BEHIND_TABS names a list no tab runs"
    assert len(behind) == len(warmup.BEHIND_TABS)


def test_after_the_warm_up_a_first_visit_runs_no_query(tiny, apptest_env, monkeypatch):
    monkeypatch.setenv("PROVINCE_CODE", PROVINCE)
    report = warmup.warm(tiny)
    calls = expected_calls(tiny)
    assert report.failed == 0 and report.queries == len(calls)
    ran: list[str] = []  # a query function is called only on a cache miss
    for module, name in {(c[0], c[1]) for c in calls}:
        fn = getattr(importlib.import_module(module), name)

        @functools.wraps(fn)  # the same __module__ and __name__: db.query's key unchanged
        def counted(*args, _fn=fn, _name=f"{module}.{name}", **kwargs):
            ran.append(_name)
            return _fn(*args, **kwargs)

        monkeypatch.setattr(importlib.import_module(module), name, counted)
    for page in warmup.WARMED_PAGES:
        at = run_app(tiny, page=page, timeout=120)
        assert not at.exception, page
        assert ran == [], f"{page} ran {ran} after the warm-up"


def test_page_imports_are_read_from_the_pages():
    names = warmup.page_imports()
    # pages/overview.py: `from components import db, drill, kpi, map_ranking, ...`
    assert {"streamlit", "components", "components.map_ranking", "components.drill"} <= set(names)
    assert not [n for n in names if n.startswith("pages")]
