"""AppTest runs of the whole app (app.py → st.navigation → pages/overview.py) on a temporary
SQLite database: the real region tree plus synthetic kpi_snapshots, and the friendly
messages for a missing, empty, unversioned or unrolled database."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import streamlit as st
from sqlalchemy import create_engine, insert, text
from sqlalchemy.engine import make_url
from streamlit.runtime.pages_manager import PagesManager
from streamlit.testing.v1 import AppTest

from core.metrics import METRICS
from data.config import REPO_ROOT
from data.db import make_engine, upgrade, write_meta
from data.regions import build_region_tree
from data.schema import kpi_snapshots, metadata, regions
from tests import apptest

APP = str(REPO_ROOT / "app.py")
PERIODS = ("2026-08", "2026-09", "2026-10")
PROVINCE = "360000"

# Hand-set province figures the cards must show (everything else is synthetic).
KNOWN = {
    # (metric, period): (numerator, denominator, value)
    ("home_coverage", "2026-10"): (923.0, 1000.0, 0.923),
    ("home_coverage", "2026-09"): (911.0, 1000.0, 0.911),
    ("children_active", "2026-10"): (12345.0, None, 12345.0),
    ("children_active", "2026-09"): (12000.0, None, 12000.0),
    ("children_active", "2026-08"): (11500.0, None, 11500.0),
    ("overdue_cases", "2026-10"): (3.0, None, 3.0),
    ("overdue_cases", "2026-09"): (3.0, None, 3.0),
    ("purchase_yuan", "2026-10"): (12_345_678.0, None, 12_345_678.0),
    ("referral_timely", "2026-10"): (0.0, 0.0, None),  # no referrals: shown as —
}


def synthetic_snapshots(codes: list[str]) -> list[dict]:
    """Every metric × region × period, deterministic; KNOWN overrides the province."""
    rows = []
    for i, code in enumerate(codes):
        for t, period in enumerate(PERIODS):
            for j, m in enumerate(METRICS):
                if m.kind == "rate":
                    den = 100.0 + i
                    num = float(min(den, round(den * (0.80 + 0.04 * t + ((i * 7 + j) % 10) / 60))))
                    row = (num, den, num / den)
                elif m.kind == "mean":
                    row = (float(100 * (j + t + 1)), 10.0, float(10 * (j + t + 1)))
                else:
                    num = float(1000 + 10 * i + 5 * t + j)
                    row = (num, None, num)
                if code == PROVINCE:
                    row = KNOWN.get((m.code, period), row)
                rows.append(
                    dict(
                        region_code=code,
                        period=period,
                        metric=m.code,
                        numerator=row[0],
                        denominator=row[1],
                        value=row[2],
                    )
                )
    return rows


def snapshot_regions(tree) -> list[str]:
    """Province, prefecture and county codes in tree order (the synthetic index i)."""
    return list(tree[tree.level.isin(["province", "prefecture", "county"])].code)


def build_reporting_db(path: Path, demo: bool = True) -> str:
    """The app's test database: regions of the real province tree and synthetic snapshots
    for every metric × 112 province/prefecture/county regions × 3 months. (The demo
    generator + rollup can replace this one function later.)"""
    url = f"sqlite:///{path}"
    engine = make_engine(url)
    upgrade(engine)
    tree = build_region_tree(PROVINCE)
    tree = tree.astype(object).where(tree.notna(), None)
    with engine.begin() as conn:
        conn.execute(insert(regions), tree.to_dict("records"))
        conn.execute(insert(kpi_snapshots), synthetic_snapshots(snapshot_regions(tree)))
        write_meta(conn, {"demo": "1" if demo else "0", "data_date": "2026-10-31"})
    engine.dispose()
    return url


@pytest.fixture(scope="module")
def reporting_db(tmp_path_factory) -> str:
    return build_reporting_db(tmp_path_factory.mktemp("app") / "reporting.db")


LEGACY_PAGES_TESTS = {"test_page_url_on_a_fresh_server"}


@pytest.fixture(autouse=True)
def _navigation_mode(monkeypatch, request) -> None:
    """AppTest resets `PagesManager.uses_pages_directory` before every run, so with a pages/
    folder each rerun would execute the page file alone (the pre-st.navigation behaviour)
    instead of app.py. A served app sets the flag to False at its first st.navigation call
    and keeps it; pin it to that steady state."""
    if request.node.originalname in LEGACY_PAGES_TESTS:
        return
    original = PagesManager.__init__

    def init(self, *args, **kwargs):
        original(self, *args, **kwargs)
        PagesManager.uses_pages_directory = False

    monkeypatch.setattr(PagesManager, "__init__", init)


@pytest.fixture(autouse=True)
def _fresh_caches() -> Iterator[None]:
    st.cache_data.clear()
    st.cache_resource.clear()
    saved = os.environ.get("REPORTING_DB_URL")
    yield
    st.cache_data.clear()
    st.cache_resource.clear()
    if saved is None:
        os.environ.pop("REPORTING_DB_URL", None)
    else:
        os.environ["REPORTING_DB_URL"] = saved


def run_app(url: str, period: str | None = None, user: str | None = None) -> AppTest:
    """The app signed in through its form (tests/apptest.py: a province account by default)."""
    return apptest.run_app(url, timeout=30, user=user, **({"period": period} if period else {}))


def metric(at: AppTest, label: str):
    found = [m for m in at.metric if m.label == label]
    assert len(found) == 1, [m.label for m in at.metric]
    return found[0]


def captions(at: AppTest) -> list[str]:
    return [c.value for c in at.caption]


def all_text(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption]
    parts += [w.value for w in at.warning] + [t.value for t in at.title]
    return "\n".join(parts)


def test_overview_renders_with_known_values(reporting_db):
    at = run_app(reporting_db)
    assert not at.exception and not at.error and not at.warning
    assert [t.value for t in at.title] == ["全省总览"]
    header = all_text(at)
    assert (
        "江西省" in header and "统计月份：2026年10月" in header and "数据截至：2026-10-31" in header
    )
    home = metric(at, "儿童之家覆盖率")
    assert home.value == "92.3%"
    assert "+1.2 个百分点" in home.delta
    kids = metric(at, "在册儿童")
    assert kids.value == "12,345 人"
    assert "+345 人" in kids.delta
    assert metric(at, "逾期个案").value == "3 件"
    timely = metric(at, "转介响应及时率")
    assert timely.value == "—"
    assert "分母为 0" in timely.help
    caps = captions(at)
    assert any("✓ 达标" in c and "目标 ≥ 90.0%" in c for c in caps)  # home coverage
    assert any("× 未达标" in c and "目标 0 件" in c for c in caps)  # 3 overdue cases
    assert len(at.metric) == 15
    assert at.sidebar.selectbox(key="period").value == "2026-10"
    assert at.query_params["period"] == ["2026-10"] or at.query_params["period"] == "2026-10"
    # the region tables: 11 prefectures and 100 counties
    frames = {df.value.shape[0] for df in at.dataframe}
    assert {11, 100} <= frames


def test_period_switch_and_url(reporting_db):
    at = run_app(reporting_db)
    at.sidebar.selectbox(key="period").select("2026-09").run()
    assert not at.exception
    assert metric(at, "儿童之家覆盖率").value == "91.1%"
    kids = metric(at, "在册儿童")
    assert kids.value == "12,000 人" and "+500 人" in kids.delta
    assert "统计月份：2026年9月" in all_text(at)
    assert "2026-09" in str(at.query_params["period"])
    # the oldest month has no previous month: no delta
    at.sidebar.selectbox(key="period").select("2026-08").run()
    assert metric(at, "在册儿童").value == "11,500 人"
    assert metric(at, "在册儿童").delta == "—"


def test_period_from_url(reporting_db):
    at = run_app(reporting_db, period="2026-09")
    assert not at.exception
    assert at.sidebar.selectbox(key="period").value == "2026-09"
    at = run_app(reporting_db, period="1999-01")  # unknown → newest
    assert at.sidebar.selectbox(key="period").value == "2026-10"


def test_demo_badge(reporting_db, tmp_path):
    at = run_app(reporting_db)
    assert "演示数据" in all_text(at)
    real = build_reporting_db(tmp_path / "real.db", demo=False)
    at = run_app(real)
    assert not at.exception
    assert "演示数据" not in all_text(at)


def test_ranking_metric_and_level(reporting_db):
    at = run_app(reporting_db)
    ranking = ranking_table(at)
    assert len(ranking) == 11 and list(ranking["rank"]) == list(range(1, 12))
    at.selectbox(key="overview_metric").select("children_active").run()
    assert not at.exception
    assert "未设目标" in all_text(at)
    # counties: the synthetic count grows with the region index, so the last county leads
    at.button_group(key="overview_level").set_value("county").run()
    assert not at.exception
    ranking = ranking_table(at)
    assert len(ranking) == 100
    assert ranking["code"].iloc[0] == snapshot_regions(build_region_tree(PROVINCE))[-1]
    assert at.button_group(key="overview_rank_window").value == "bottom"


def ranking_table(at: AppTest):
    found = [d.value for d in at.dataframe if "rank" in d.value.columns]
    assert len(found) == 1
    return found[0]


def _assert_notice(at: AppTest, *phrases: str) -> None:
    assert not at.exception
    warnings = [w.value for w in at.warning]
    assert len(warnings) == 1, warnings
    for p in phrases:
        assert p in warnings[0], warnings[0]
    assert not at.metric


def test_missing_database_file(tmp_path):
    path = tmp_path / "nowhere" / "reporting.db"
    at = run_app(f"sqlite:///{path}")
    _assert_notice(at, "未找到数据库文件", "make run")
    assert not path.exists()  # the check must not create it


def test_empty_database(tmp_path):
    path = tmp_path / "empty.db"
    create_engine(f"sqlite:///{path}").connect().close()
    _assert_notice(run_app(f"sqlite:///{path}"), "数据库是空的", "python -m data.demo")


def test_old_schema_without_alembic_version(tmp_path):
    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = create_engine(url)
    metadata.create_all(engine)
    engine.dispose()
    _assert_notice(run_app(url), "没有版本记录", "make run")


def test_no_snapshots(tmp_path):
    url = f"sqlite:///{tmp_path / 'norollup.db'}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    _assert_notice(run_app(url), "还没有指标汇总", "python -m data.rollup")


def test_unreachable_server():
    _assert_notice(
        run_app("postgresql+psycopg://nobody:secret@127.0.0.1:1/none?connect_timeout=2"),
        "无法连接数据库",
    )


def test_schema_newer_than_the_code(tmp_path):
    url = f"sqlite:///{tmp_path / 'newer.db'}"
    engine = make_engine(url)
    upgrade(engine)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = 'ffff_future'"))
    engine.dispose()
    _assert_notice(run_app(url), "比当前程序新")


def test_prefecture_scope(reporting_db):
    """current_scope() is the signed-in user's region: a 赣州市 user sees that prefecture's
    figures and only its counties."""
    at = run_app(reporting_db, user=apptest.ensure_user(reporting_db, "prefecture", "360700"))
    assert not at.exception
    assert [t.value for t in at.title] == ["赣州市总览"]
    assert "江西省 › 赣州市" in all_text(at)
    # synthetic count for region index i, month t, metric j: 1000 + 10*i + 5*t + j
    codes = snapshot_regions(build_region_tree(PROVINCE))
    i = codes.index("360700")
    assert metric(at, "在册儿童").value == f"{1000 + 10 * i + 5 * 2 + 9:,d} 人"
    counties = {df.value.shape[0] for df in at.dataframe}
    assert 18 in counties and 100 not in counties and 11 not in counties


def test_scope_without_snapshots(reporting_db, tmp_path):
    """A user whose region has no snapshots gets the notice, not an empty page."""
    path = tmp_path / "no_county_rows.db"
    shutil.copy(make_url(reporting_db).database, path)
    url = f"sqlite:///{path}"
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM kpi_snapshots WHERE region_code = '360102'"))
    engine.dispose()
    at = run_app(url, user=apptest.ensure_user(url, "county", "360102"))
    _assert_notice(at, "没有地区 360102 的指标汇总")


def test_page_url_on_a_fresh_server(reporting_db, monkeypatch):
    """A fresh server runs a pages/ file on its own for the first request to its URL; the
    page hands over to app.py (which asks for the sign-in first), keeping the period from
    the URL."""
    os.environ["REPORTING_DB_URL"] = reporting_db
    user = apptest.ensure_user(reporting_db)
    at = AppTest.from_file(APP, default_timeout=30)
    at.query_params["period"] = "2026-09"
    at.switch_page("pages/overview.py").run()
    assert not at.exception
    assert apptest.sign_in_form_shown(at)  # handed over to app.py, which signs in first
    # app.py's st.navigation call has ended the pages-folder mode for the server process.
    apptest.pin_navigation_mode(monkeypatch)
    apptest.sign_in(at, user, apptest.password_of(reporting_db, user))
    assert not at.exception
    assert [t.value for t in at.title] == ["全省总览"]
    assert metric(at, "儿童之家覆盖率").value == "91.1%"


def test_database_failing_mid_session(reporting_db, tmp_path):
    """The health check is cached; a query that fails afterwards becomes a Chinese message."""
    path = tmp_path / "copy.db"
    shutil.copy(make_url(reporting_db).database, path)
    url = f"sqlite:///{path}"
    at = run_app(url)
    assert metric(at, "儿童之家覆盖率").value == "92.3%"
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("ALTER TABLE kpi_snapshots RENAME TO kpi_snapshots_gone"))
    engine.dispose()
    at.sidebar.selectbox(key="period").select("2026-09").run()  # not cached yet
    assert not at.exception
    assert any("数据库读取失败" in e.value for e in at.error)
