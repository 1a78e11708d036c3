"""audit_log (DESIGN.md §6) on SQLite and PostgreSQL: writing and filtering rows; an audit
row for every sign-in, export, import and view of individual records; the admin's 审计日志
page. (Sign-in and failure rows are also checked in tests/test_auth.py, CLI changes in
tests/test_users_cli.py.)"""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from datetime import date, datetime

import pytest
from openpyxl import load_workbook
from sqlalchemy import Engine, select

from components import auth, exports
from data.schema import audit_log
from queries import audit
from tests.apptest import ensure_user, run_app
from tests.fixtures.demo import engine_of, tiny_demo_fixture


def rows(engine: Engine) -> list[tuple]:
    with engine.connect() as conn:
        return [
            tuple(r)
            for r in conn.execute(
                select(audit_log.c.username, audit_log.c.action, audit_log.c.target).order_by(
                    audit_log.c.id
                )
            )
        ]


# ---------------------------------------------------------------- queries/audit.py


def test_record_and_read_with_filters(engine):
    # UTC times; Beijing is 8 hours ahead
    audit.record(engine, "zhang", "sign_in", "password", at=datetime(2026, 11, 1, 15, 59))
    audit.record(engine, "zhang", "export", "个案清单.xlsx", at=datetime(2026, 11, 1, 16, 30))
    audit.record(engine, "li", "sign_in_failed", "用户名或密码错误", at=datetime(2026, 11, 2, 3))
    audit.record(engine, "li", "import", "children_50%.xlsx", at=datetime(2026, 11, 2, 4))
    audit.record(engine, None, "import", "children_500.xlsx", at=datetime(2026, 11, 3, 1))

    everything = audit.read_log(engine)
    assert list(everything["username"].fillna("-")) == ["-", "li", "li", "zhang", "zhang"]
    assert everything["at"].iloc[0] == datetime(2026, 11, 3, 1)
    # 2026-11-01 15:59 UTC is 23:59 on 1 November in Beijing; 16:30 UTC is 2 November
    nov2 = audit.read_log(engine, since=date(2026, 11, 2), until=date(2026, 11, 2))
    assert list(nov2["target"]) == ["children_50%.xlsx", "用户名或密码错误", "个案清单.xlsx"]
    nov1 = audit.read_log(engine, until=date(2026, 11, 1))
    assert list(nov1["action"]) == ["sign_in"]
    assert list(audit.read_log(engine, username="li")["action"]) == ["import", "sign_in_failed"]
    only = audit.read_log(engine, actions=["import", "export"])
    assert list(only["target"]) == ["children_500.xlsx", "children_50%.xlsx", "个案清单.xlsx"]
    # the substring is a bound parameter with % and _ taken literally
    assert list(audit.read_log(engine, target_contains="50%")["target"]) == ["children_50%.xlsx"]
    assert list(audit.read_log(engine, target_contains="CHILDREN_5")["target"]) == [
        "children_500.xlsx",
        "children_50%.xlsx",
    ]
    assert audit.read_log(engine, target_contains="_5").empty is False
    assert audit.read_log(engine, target_contains="x'; DROP TABLE audit_log; --").empty
    assert len(audit.read_log(engine, limit=2)) == 2
    assert audit.usernames(engine) == ["li", "zhang"]
    assert audit.action_counts(engine) == {
        "sign_in": 1,
        "export": 1,
        "sign_in_failed": 1,
        "import": 2,
    }
    assert audit.action_counts(engine, since=date(2026, 11, 3)) == {"import": 1}


def test_unknown_actions_are_refused_and_long_values_cut(engine):
    with pytest.raises(ValueError, match="unknown audit action"):
        audit.record(engine, "zhang", "download", "x")
    audit.record(engine, "u" * 80, "export", "长" * 400)
    (username, action, target) = rows(engine)[-1]
    assert len(username) == 64 and action == "export"
    assert len(target) == 255 and target.endswith("…") and target.startswith("长" * 254)
    assert audit.to_local(datetime(2026, 11, 1, 16, 30)) == datetime(2026, 11, 2, 0, 30)


def test_import_record_signature(engine):
    """The call the importer makes: record(engine, username, action, target)."""
    audit.record(engine, "county_admin", "import", "children.xlsx · 1,234 行 · 已导入")
    assert rows(engine) == [("county_admin", "import", "children.xlsx · 1,234 行 · 已导入")]


def test_every_download_is_audited_when_built(engine, monkeypatch):
    url = engine.url.render_as_string(hide_password=False)
    monkeypatch.setenv("REPORTING_DB_URL", url)
    user = auth.AuthUser("zhang", "county", "360781", "360781", False, "password")
    monkeypatch.setattr(auth, "current_user", lambda _url: user)
    import pandas as pd

    frame = pd.DataFrame({"姓名": ["张*明"], "电话": ["138****5678"]})
    build = exports.audited(
        lambda: exports.excel_bytes({"名册": frame}, "名册 · 瑞金市 · 2026年10月"),
        "名册.xlsx · 名册 · 瑞金市 · 2026年10月 · 1 行",
    )
    assert rows(engine) == []  # nothing until the file is built (the click)
    data = build()
    assert load_workbook(io.BytesIO(data))["名册"]["A4"].value == "张*明"
    assert rows(engine) == [("zhang", "export", "名册.xlsx · 名册 · 瑞金市 · 2026年10月 · 1 行")]
    build()
    assert len(rows(engine)) == 2  # each download is one row


# ---------------------------------------------------------------- in the app


tiny = tiny_demo_fixture("audit")


@pytest.fixture
def tiny_engine(tiny) -> Iterator[Engine]:
    yield from engine_of(tiny, clear_audit=True)


def test_views_of_individual_records_are_audited_once_per_session(tiny, tiny_engine, apptest_env):
    user = ensure_user(tiny, "county", "360112")
    at = run_app(tiny, user=user, page="pages/staffing.py", period="2026-10")
    assert not at.exception and [t.value for t in at.title] == ["队伍建设"]
    # The lists of people sit behind lazy tabs: a view is recorded when one is opened.
    assert not [r for r in rows(tiny_engine) if r[1] == "view_records"]
    for tab in ("未持证上岗", "在岗人员花名册"):
        at.session_state["staff_gap_tab"] = tab
        at.run()
        assert not at.exception
    views = [r for r in rows(tiny_engine) if r[1] == "view_records"]
    assert sorted(views) == [
        (user, "view_records", "工作人员名册 · 360112 · 2026-10 · region=None · role=None"),
        (user, "view_records", "未持证上岗人员名单 · 360112 · 2026-10 · region=None"),
    ]
    at.session_state["staff_gap_tab"] = "未持证上岗"
    at.run()  # the same lists again: no new rows
    assert len([r for r in rows(tiny_engine) if r[1] == "view_records"]) == 2
    at = run_app(tiny, user=user, page="pages/interventions.py", period="2026-10")
    assert not at.exception
    assert (
        user,
        "view_records",
        "个案清单 · 360112 · 2026-10 · overdue_only=True · region=None",
    ) in rows(tiny_engine)
    # a page of aggregate figures only is not a view of records
    before = len(rows(tiny_engine))
    run_app(tiny, user=user, page="pages/homes.py", period="2026-10")
    assert [r[1] for r in rows(tiny_engine)[before:]] == ["sign_in"]


def test_admin_browses_and_filters_the_log(tiny, tiny_engine, apptest_env):
    audit.record(tiny_engine, "someone", "import", "children.xlsx")
    county = ensure_user(tiny, "county", "360112")
    run_app(tiny, user=county)
    admin = ensure_user(tiny, "admin")
    at = run_app(tiny, user=admin, page="pages/audit.py")
    assert not at.exception and [t.value for t in at.title] == ["审计日志"]
    table = next(d.value for d in at.dataframe if "操作" in d.value.columns)
    assert list(table.columns) == ["编号", "时间", "用户", "操作", "对象", "来源地址", "客户端"]
    assert list(table["用户"]) == [admin, county, "someone"]
    assert list(table["操作"]) == ["登录成功", "登录成功", "导入"]
    assert {m.label: m.value for m in at.metric}["登录成功"] == "2 次"
    at.multiselect(key="audit_actions").select("import").run()
    table = next(d.value for d in at.dataframe if "操作" in d.value.columns)
    assert list(table["对象"]) == ["children.xlsx"]
    at.multiselect(key="audit_actions").unselect("import").run()
    at.selectbox(key="audit_user").select(county).run()
    table = next(d.value for d in at.dataframe if "操作" in d.value.columns)
    assert list(table["用户"]) == [county]
    assert at.get("download_button")  # the filtered log downloads as Excel (audited too)
    assert os.environ["REPORTING_DB_URL"] == tiny


def test_unmasked_personal_data_needs_the_permission_and_is_audited(engine, monkeypatch):
    url = engine.url.render_as_string(hide_password=False)
    plain = auth.AuthUser("li", "county", "360781", "360781", False, "password")
    allowed = auth.AuthUser("wang", "county", "360781", "360781", True, "password")
    monkeypatch.setattr(auth, "current_user", lambda _url: plain)
    assert not auth.personal_data_allowed(url, "儿童档案 1234")
    assert rows(engine) == []
    monkeypatch.setattr(auth, "current_user", lambda _url: allowed)
    assert auth.personal_data_allowed(url, "儿童档案 1234")
    assert rows(engine) == [("wang", "view_personal", "儿童档案 1234")]
    monkeypatch.setattr(auth, "current_user", lambda _url: None)
    assert not auth.personal_data_allowed(url, "儿童档案 1234")


def test_the_briefing_and_a_print_layout_are_audited_once(tiny, tiny_engine, apptest_env):
    """Issue 19.8: the briefing's new overdue cases and a county opened in its print layout
    (every list printed in full) were shown without an audit row."""
    user = ensure_user(tiny, "province", "360000")
    at = run_app(tiny, user=user, page="pages/briefing.py", period="2026-10")
    assert not at.exception
    briefing_views = [t for _u, a, t in rows(tiny_engine) if a == "view_records"]
    assert briefing_views == ["会议简报（含新增逾期个案清单） · 360000 · 2026-10 · 2026-09"]
    at.run()
    assert len([r for r in rows(tiny_engine) if r[1] == "view_records"]) == 1

    before = len(rows(tiny_engine))
    at = run_app(tiny, user=user, page="pages/county.py", period="2026-10", county="360112")
    assert not at.exception
    assert not [r for r in rows(tiny_engine)[before:] if r[1] == "print"]
    at.toggle(key="county_print").set_value(True).run()
    assert not at.exception
    printed = [(u, t) for u, a, t in rows(tiny_engine) if a == "print"]
    assert printed == [(user, "县区详情 · 新建区（360112） · 范围 360000 · 2026-10")]
    at.run()  # the same print layout again: no new row
    assert len([r for r in rows(tiny_engine) if r[1] == "print"]) == 1
