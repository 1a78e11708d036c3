"""components/format.py: the Chinese number conventions of DESIGN.md §9."""

from __future__ import annotations

import math
from datetime import date, datetime

import pandas as pd

from components import format as f
from components.kpi import as_of_date, period_end


def test_rates():
    assert f.fmt_rate(0.923) == "92.3%"
    assert f.fmt_rate(1.0) == "100.0%"
    assert f.fmt_rate(0.0) == "0.0%"
    assert f.fmt_rate(0.12345) == "12.3%"
    assert f.fmt_value("home_coverage", 0.9) == "90.0%"


def test_counts_money_days():
    assert f.fmt_count(12345, "人") == "12,345 人"
    assert f.fmt_count(12345.0) == "12,345"
    assert f.fmt_count(0, "件") == "0 件"
    assert f.fmt_value("children_active", 401234.0) == "401,234 人"
    assert f.fmt_value("demo_homes", 1580) == "1,580 个"
    assert f.fmt_wan_yuan(12_345_678) == "1,234.6 万元"
    assert f.fmt_value("purchase_yuan", 50_000) == "5.0 万元"
    assert f.fmt_days(12.34) == "12.3 天"
    assert f.fmt_value("case_closure_days", 7) == "7.0 天"


def test_nulls_are_a_dash():
    for x in (None, float("nan"), math.nan, pd.NA):
        assert f.fmt_rate(x) == "—"
        assert f.fmt_count(x, "人") == "—"
        assert f.fmt_wan_yuan(x) == "—"
        assert f.fmt_days(x) == "—"
        assert f.fmt_delta("home_coverage", x) == "—"
    assert f.fmt_value("visit_rate_90d", None) == "—"


def test_null_reasons():
    assert f.null_reason("home_coverage", 0, 0) == "无法计算：该地区没有村（社区）（分母为 0）。"
    assert "乡镇（街道）" in f.null_reason("supervisor_coverage", 0, 0)
    assert "尚未生成" in f.null_reason("home_coverage", found=False)
    assert f.null_reason("children_active", None, None) == "暂无数据。"


def test_deltas():
    assert f.fmt_delta("home_coverage", 0.012) == "+1.2 个百分点"
    assert f.fmt_delta("home_coverage", -0.0049) == "-0.5 个百分点"
    assert f.fmt_delta("home_coverage", 0.0004) == "持平"
    assert f.fmt_delta("children_active", 345) == "+345 人"
    assert f.fmt_delta("children_active", -1234) == "-1,234 人"
    assert f.fmt_delta("overdue_cases", 0) == "持平"
    assert f.fmt_delta("purchase_yuan", 123_456) == "+12.3 万元"
    assert f.fmt_delta("case_closure_days", -1.26) == "-1.3 天"
    assert f.fmt_change_arrow("home_coverage", 0.012) == "↑1.2个百分点"
    assert f.fmt_change_arrow("children_active", -35) == "↓35 人"
    assert f.fmt_change_arrow("children_active", 0) == "持平"
    assert f.fmt_change_arrow("children_active", None) == "—"


def test_targets_and_status():
    assert f.fmt_target("home_coverage") == "目标 ≥ 90.0%"
    assert f.fmt_target("director_coverage") == "目标 100%"
    assert f.fmt_target("overdue_cases") == "目标 0 件"
    assert f.fmt_target("children_active") == ""
    assert f.status_label("met") == "✓ 达标"
    assert f.status_label("missed") == "× 未达标"
    assert f.status_label("no_target") == "— 无目标"
    assert f.status_label("no_data") == "— 无数据"


def test_periods_and_dates():
    assert f.fmt_period("2026-10") == "2026年10月"
    assert f.fmt_period("2026-01") == "2026年1月"
    assert f.fmt_date(date(2026, 10, 31)) == "2026-10-31"
    assert f.fmt_date(datetime(2026, 10, 31, 8, 30)) == "2026-10-31"
    assert f.fmt_date("2026-10-31T08:00:00") == "2026-10-31"
    assert f.fmt_date(None) == "—"
    assert f.fmt_date_cn("2026-10-01") == "2026年10月1日"
    assert period_end("2026-10") == date(2026, 10, 31)
    assert period_end("2024-02") == date(2024, 2, 29)
    assert period_end("2026-12") == date(2026, 12, 31)
    assert as_of_date("2026-10", "2026-10-15") == "2026-10-15"  # unfinished month
    assert as_of_date("2026-09", "2026-10-15") == "2026-09-30"
    assert as_of_date("2026-09", None) == "2026-09-30"
