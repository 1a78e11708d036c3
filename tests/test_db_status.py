"""What the app says about a database it cannot use (issue 19): a damaged file and a
read-only one are told apart from "cannot connect", and a replaced database file drops the
cached figures at once."""

from __future__ import annotations

import os
import shutil

import pytest

from components import db
from data.db import make_engine, upgrade, write_meta
from tests import apptest
from tests.test_robustness import assert_notice


@pytest.fixture(autouse=True)
def _app_env(apptest_env) -> None:
    """Pinned navigation mode, fresh caches, REPORTING_DB_URL restored (tests/conftest.py)."""


def test_a_damaged_database_file_is_reported_as_damaged(tmp_path):
    bad = tmp_path / "reporting.db"
    bad.write_bytes(b"this is a spreadsheet, not a database" * 100)
    at = apptest.run_app(f"sqlite:///{bad}", timeout=30)
    text = assert_notice(at, "已损坏", str(bad))
    assert "无法连接" not in text
    assert db.check_database(f"sqlite:///{bad}").problem == "corrupt"


def test_a_read_only_database_is_reported_as_read_only(tmp_path, monkeypatch):
    path = tmp_path / "reporting.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    real_access = os.access
    # these machines run the tests as root, for whom chmod does not stop writes
    monkeypatch.setattr(
        db.os, "access", lambda p, mode: False if mode == os.W_OK else real_access(p, mode)
    )
    at = apptest.run_app(f"sqlite:///{path}", timeout=30)
    text = assert_notice(at, "只读", "写权限")
    assert "无法连接" not in text


def test_a_replaced_database_file_changes_the_data_version(tmp_path):
    path = tmp_path / "reporting.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    with engine.begin() as conn:
        write_meta(conn, {"demo": "1"})
    engine.dispose()
    url = f"sqlite:///{path}"
    before = db.meta(url).version
    assert db.meta(url).version == before  # stable while the file stays
    shutil.copy(path, tmp_path / "new.db")
    os.replace(tmp_path / "new.db", path)  # same content and app_meta, a new file
    assert db.meta(url).version != before
