"""Shared fixtures: every database test runs on SQLite and, when `TEST_POSTGRES_URL` is set,
on PostgreSQL in a database of its own that this session creates and drops."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from data.db import make_engine, upgrade
from data.schema import metadata

# `slow` tests, by module and test function (parameters left off): each sweeps every county,
# prefecture, page or view, or takes over 20 s alone. `make check` leaves them out; `make test`
# and CI run them. Assigned here so the test files need not change.
SLOW_TESTS = {
    "test_county_view.py": {"test_county_view_renders", "test_prefecture_view_renders"},
    "test_robustness.py": {
        "test_unknown_period_falls_back_to_newest_on_every_view",
        "test_24_simultaneous_sessions_see_only_their_own_scope",
    },
    "test_scope_pages.py": {"test_every_page_shows_only_the_users_subtree"},
}
BROWSER_DIR = Path(__file__).resolve().parent / "browser"

PG_ADMIN_URL = os.environ.get("TEST_POSTGRES_URL")
BACKENDS = ["sqlite"] + (["postgresql"] if PG_ADMIN_URL else [])


def pytest_collection_modifyitems(config, items) -> None:
    """`browser` on every test under tests/browser/, `apptest` on every test that renders the
    app through AppTest (the `apptest_env` fixture), `slow` on the tests of SLOW_TESTS. A name
    there that its module no longer defines is an error, so a rename cannot drop the marker."""
    for item in items:
        path = Path(item.path)
        if BROWSER_DIR in path.parents:
            item.add_marker(pytest.mark.browser)
        if "apptest_env" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.apptest)  # renders app.py (1–10 s each)
        slow = SLOW_TESTS.get(path.name)
        if slow is None:
            continue
        missing = sorted(name for name in slow if not hasattr(item.module, name))
        if missing:
            raise pytest.UsageError(f"SLOW_TESTS names tests {path.name} lacks: {missing}")
        if getattr(item, "originalname", item.name) in slow:
            item.add_marker(pytest.mark.slow)


def _pg_admin() -> Engine:
    url = make_url(PG_ADMIN_URL).set(drivername="postgresql+psycopg")
    return create_engine(url, isolation_level="AUTOCOMMIT")


@pytest.fixture(scope="session")
def pg_database_factory() -> Iterator:
    """Creates throw-away PostgreSQL databases; drops all of them at the end of the session."""
    created: list[str] = []
    admin = _pg_admin() if PG_ADMIN_URL else None

    def create(tag: str, template: str | None = None) -> str:
        """A new database tagged `tag`; a copy of database `template` when one is named (no
        connection may be open on it)."""
        name = f"dash_test_{tag}_{uuid.uuid4().hex[:8]}"
        copy = f' TEMPLATE "{template}"' if template else ""
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"{copy}'))
        created.append(name)
        return (
            make_url(PG_ADMIN_URL)
            .set(drivername="postgresql+psycopg", database=name)
            .render_as_string(hide_password=False)
        )

    yield create
    if admin is not None:
        with admin.connect() as conn:
            for name in created:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def _pg_schema_url(pg_database_factory) -> str | None:
    if not PG_ADMIN_URL:
        return None
    url = pg_database_factory("schema")
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    return url


@pytest.fixture(scope="session", params=BACKENDS)
def shared_tiny(request, tmp_path_factory, pg_database_factory) -> str:
    """One tiny demo database per backend for the session (per xdist worker), shared by the
    modules that only read it (tests/fixtures/demo.py `shared_tiny_fixture`)."""
    from tests.fixtures.demo import tiny_demo_url

    return tiny_demo_url(request.param, tmp_path_factory, pg_database_factory, "shared")


def _empty_tables(engine: Engine) -> None:
    with engine.begin() as conn:
        for table in reversed(metadata.sorted_tables):
            conn.execute(table.delete())


@pytest.fixture(scope="session")
def _sqlite_schema_file(tmp_path_factory) -> Path:
    """A migrated, empty SQLite file, copied by each `engine` test: the Alembic upgrade takes
    0.1–0.2 s and some 360 tests per run ask for an empty database (tests/test_migrations_drift
    checks the migrations themselves)."""
    path = tmp_path_factory.mktemp("schema") / "schema.db"
    eng = make_engine(f"sqlite:///{path}")
    upgrade(eng)
    eng.dispose()  # the last connection closed: the WAL is checkpointed into the file
    return path


@pytest.fixture(params=BACKENDS)
def engine(request, tmp_path, _pg_schema_url, _sqlite_schema_file) -> Iterator[Engine]:
    """An empty, migrated reporting database on each backend."""
    if request.param == "sqlite":
        shutil.copyfile(_sqlite_schema_file, tmp_path / "test.db")
        eng = make_engine(f"sqlite:///{tmp_path / 'test.db'}")
    else:
        eng = make_engine(_pg_schema_url)
        _empty_tables(eng)
    yield eng
    eng.dispose()


@pytest.fixture
def tree(engine: Engine) -> Engine:
    """The importer tests' database: `engine` plus the region tree of tests/fixtures/ledgers.
    (Modules that define a `tree` fixture of their own mean another tree.)"""
    from tests.fixtures.ledgers import add_tree

    add_tree(engine)
    return engine


@pytest.fixture
def apptest_env(monkeypatch) -> Iterator[None]:
    """AppTest runs: navigation pinned to the served-app mode, fresh Streamlit caches, and
    REPORTING_DB_URL restored afterwards."""
    from tests.apptest import clear_streamlit_caches, pin_navigation_mode

    pin_navigation_mode(monkeypatch)
    monkeypatch.delenv("REPORTING_DB_URL", raising=False)
    clear_streamlit_caches()
    yield
    clear_streamlit_caches()
