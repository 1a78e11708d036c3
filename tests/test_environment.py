"""The deployment's environment, validated in one place (core/settings.py `Environment`):
defaults, overrides, and the rule that an unusable number keeps its default."""

from __future__ import annotations

import pytest

from core.settings import SETTINGS_FILE, environment, settings_path
from data.authentication import LockoutPolicy
from data.config import DEFAULT_DB_URL, database_url, province_code

VARIABLES = (
    "REPORTING_DB_URL",
    "PROVINCE_CODE",
    "DASHBOARD_SETTINGS",
    "AUTH_MAX_FAILURES",
    "AUTH_FAILURE_WINDOW_MINUTES",
    "AUTH_LOCK_MINUTES",
    "AUTH_IDLE_HOURS",
    "AUTH_MAX_SESSION_HOURS",
    "LOAD_MAX_FILE_MB",
    "LOAD_MAX_ROWS",
    "LOAD_XLSX_READER",
)


@pytest.fixture
def clean_env(monkeypatch):
    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr("data.config.SECRETS_PATH", SETTINGS_FILE.parent / "no-such-secrets")
    return monkeypatch


def test_defaults(clean_env):
    env = environment()
    assert (env.province_code, env.reporting_db_url, env.dashboard_settings) == (
        "360000",
        None,
        None,
    )
    assert (env.auth_max_failures, env.auth_idle_hours, env.auth_max_session_hours) == (5, 8, 24)
    assert (env.load_max_file_mb, env.load_max_rows, env.load_xlsx_reader) == (20, 200_000, None)
    assert settings_path() == SETTINGS_FILE and province_code() == "360000"
    assert LockoutPolicy.from_env() == LockoutPolicy()


def test_overrides(clean_env, tmp_path):
    clean_env.setenv("PROVINCE_CODE", " 440000 ")
    clean_env.setenv("REPORTING_DB_URL", "sqlite:///x.db")
    clean_env.setenv("DASHBOARD_SETTINGS", str(tmp_path / "s.toml"))
    clean_env.setenv("AUTH_MAX_FAILURES", "3")
    clean_env.setenv("AUTH_LOCK_MINUTES", "60")
    clean_env.setenv("LOAD_XLSX_READER", "openpyxl")
    env = environment()
    assert province_code() == "440000" and database_url() == "sqlite:///x.db"
    assert settings_path() == tmp_path / "s.toml"
    policy = LockoutPolicy.from_env()
    assert policy.max_failures == 3 and policy.lock_for.total_seconds() == 3600
    assert env.load_xlsx_reader == "openpyxl"


@pytest.mark.parametrize("bad", ["not a number", "很多", "-5", "0", "nan", "inf"])
def test_an_unusable_number_keeps_its_default(clean_env, bad):
    clean_env.setenv("AUTH_MAX_FAILURES", bad)
    clean_env.setenv("LOAD_MAX_ROWS", bad)
    clean_env.setenv("LOAD_XLSX_READER", "excel")
    env = environment()
    assert env.auth_max_failures == 5 and env.load_max_rows == 200_000
    assert env.load_xlsx_reader is None
    assert database_url() == DEFAULT_DB_URL
