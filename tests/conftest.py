"""Shared fixtures: every database test runs on SQLite and, when `TEST_POSTGRES_URL` is set,
on PostgreSQL in a database of its own that this session creates and drops."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from data.db import make_engine, upgrade
from data.schema import metadata

PG_ADMIN_URL = os.environ.get("TEST_POSTGRES_URL")
BACKENDS = ["sqlite"] + (["postgresql"] if PG_ADMIN_URL else [])


def _pg_admin() -> Engine:
    url = make_url(PG_ADMIN_URL).set(drivername="postgresql+psycopg")
    return create_engine(url, isolation_level="AUTOCOMMIT")


@pytest.fixture(scope="session")
def pg_database_factory() -> Iterator:
    """Creates throw-away PostgreSQL databases; drops all of them at the end of the session."""
    created: list[str] = []
    admin = _pg_admin() if PG_ADMIN_URL else None

    def create(tag: str) -> str:
        name = f"dash_test_{tag}_{uuid.uuid4().hex[:8]}"
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
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


def _empty_tables(engine: Engine) -> None:
    with engine.begin() as conn:
        for table in reversed(metadata.sorted_tables):
            conn.execute(table.delete())


@pytest.fixture(params=BACKENDS)
def engine(request, tmp_path, _pg_schema_url) -> Iterator[Engine]:
    """An empty, migrated reporting database on each backend."""
    if request.param == "sqlite":
        eng = make_engine(f"sqlite:///{tmp_path / 'test.db'}")
        upgrade(eng)
    else:
        eng = make_engine(_pg_schema_url)
        _empty_tables(eng)
    yield eng
    eng.dispose()


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
