"""The permission to see unmasked personal data (app_users.can_view_personal, DESIGN.md §6), on
SQLite and PostgreSQL, signed in through the form (tests/apptest.py run_app).

A user with it sees child names and ID numbers and staff names and phones as recorded in
县区详情's case list and staff roster only, each such view (and each download) audited as
`view_personal` naming the list, region, scope, period and filter; a user without it sees the
masked lists and writes no such row; the thematic pages and the briefing stay masked for the
permitted user too. The query side (records.case_list / staff_roster with `unmasked`) is in
tests/test_county_view.py.

The tiny demo: 宁都县 360730 has two open cases at the end of 2025-01, one of them overdue,
both of a registered child, and its staff in post.
"""

from __future__ import annotations

import ast
import io
import re
from collections.abc import Iterator

import pandas as pd
import pytest
from openpyxl import load_workbook
from sqlalchemy import Engine, select

from components import auth, record_lists
from components.region_detail import Detail
from data.config import REPO_ROOT
from data.schema import audit_log, children, regions, staff
from queries import records
from tests.apptest import ensure_user, page_text, run_app
from tests.fixtures.demo import engine_of, shared_tiny_fixture

NINGDU, PERIOD = "360730", "2025-01"
MASKED_NAME = re.compile(r"^.\*+.?$")


tiny = shared_tiny_fixture()


@pytest.fixture
def eng(tiny) -> Iterator[Engine]:
    yield from engine_of(tiny, clear_audit=True)


def audit_rows(engine: Engine, action: str) -> list[tuple[str, str]]:
    stmt = (
        select(audit_log.c.username, audit_log.c.target)
        .where(audit_log.c.action == action)
        .order_by(audit_log.c.id)
    )
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(stmt)]


def raw_personal(engine: Engine) -> list[str]:
    """Every child and staff name, phone and ID number as stored (less names that are part
    of a place's name, which the page shows for the place)."""
    with engine.connect() as conn:
        places = "|".join(r[0] for r in conn.execute(select(regions.c.name)))
        names = [r[0] for r in conn.execute(select(children.c.name))]
        names += [r[0] for r in conn.execute(select(staff.c.name))]
        numbers = [r[0] for r in conn.execute(select(children.c.id_number))]
        numbers += [r[0] for r in conn.execute(select(staff.c.phone))]
    return sorted({n for n in names if n not in places} | {v for v in numbers if v})


def masked_or_blank(values: pd.Series) -> bool:
    return values.dropna().map(lambda s: "*" in s or s in ("（匿名）", "未关联", "—")).all()


def open_county(url: str, user: str, code: str = NINGDU, period: str = PERIOD):
    at = run_app(url, user=user, period=period)
    at.query_params["county"] = code
    at.switch_page("pages/county.py")
    at.run()
    assert not at.exception and not at.error, (at.exception, at.error)
    return at


def frame_with(at, column: str) -> pd.DataFrame:
    found = [d.value for d in at.dataframe if column in d.value.columns]
    assert len(found) == 1, [list(d.value.columns) for d in at.dataframe]
    return found[0]


def target(name: str, label: str, shown: str, scope: str = NINGDU) -> str:
    return f"{label} · {name}（{NINGDU}） · 范围 {scope} · {PERIOD} · {shown}"


def test_permitted_user_sees_the_drill_down_lists_unmasked_and_audited(tiny, eng, apptest_env):
    user = ensure_user(tiny, "county", NINGDU, "personal_on", can_view_personal=True)
    at = open_county(tiny, user)
    cases = records.case_list(eng, NINGDU, PERIOD, unmasked=True)
    overdue = cases[cases.overdue]
    assert len(overdue) == 1 and len(cases) == 2
    shown = frame_with(at, "儿童")  # the toggle starts on 只看逾期个案
    assert shown["个案编号"].tolist() == overdue.id.tolist()
    assert shown["儿童"].tolist() == overdue.child_name.fillna("未关联").tolist()
    assert shown["身份证号"].tolist() == overdue.child_id_number.fillna("—").tolist()
    assert all(re.fullmatch(r"\d{17}[\dX]", v) for v in shown["身份证号"])  # not 3601****…
    roster = records.staff_roster(eng, NINGDU, PERIOD, unmasked=True)
    listed = frame_with(at, "姓名")
    assert listed["姓名"].tolist() == roster.name.tolist()
    assert listed["电话"].tolist() == roster.phone.tolist()
    assert not any(MASKED_NAME.match(n) for n in listed["姓名"])
    assert "未脱敏" in "".join(c.value for c in at.caption)
    name = "宁都县"
    assert audit_rows(eng, "view_personal") == [
        (user, target(name, "在办个案清单", "只看逾期")),
        (user, target(name, "工作人员名册", "全部在岗")),
    ]
    at.run()  # the same lists again: no new rows
    assert len(audit_rows(eng, "view_personal")) == 2
    at.toggle(key="county_overdue_only").set_value(False).run()
    assert frame_with(at, "儿童")["儿童"].tolist() == cases.child_name.fillna("未关联").tolist()
    assert audit_rows(eng, "view_personal")[2:] == [
        (user, target(name, "在办个案清单", "全部在办"))
    ]
    # the lists are views of records too, named with the unmasked query
    views = [t for _u, t in audit_rows(eng, "view_records")]
    assert f"个案清单 · {NINGDU} · {PERIOD} · {NINGDU} · unmasked=True" in views
    # each unmasked list downloads through the audited builder
    keys = {b.proto.id for b in at.get("download_button")}
    assert any("xlsx_county_cases_table" in k for k in keys), keys
    assert any("xlsx_county_roster_table" in k for k in keys), keys


def test_user_without_the_permission_sees_the_masked_lists(tiny, eng, apptest_env):
    user = ensure_user(tiny, "county", NINGDU, "personal_off", can_view_personal=False)
    at = open_county(tiny, user)
    text = page_text(at)
    for raw in raw_personal(eng):
        assert raw not in text
    cases = frame_with(at, "儿童")
    assert "身份证号" not in cases.columns
    assert masked_or_blank(cases["儿童"]) and cases["儿童"].str.contains("*", regex=False).any()
    assert frame_with(at, "姓名")["姓名"].map(lambda s: bool(MASKED_NAME.match(s))).all()
    assert "已脱敏" in "".join(c.value for c in at.caption)
    assert audit_rows(eng, "view_personal") == []
    assert audit_rows(eng, "view_records")  # still a view of (masked) records


@pytest.mark.parametrize(
    "page", ["pages/staffing.py", "pages/interventions.py", "pages/briefing.py"]
)
def test_thematic_pages_stay_masked_for_a_permitted_user(tiny, eng, apptest_env, page):
    user = ensure_user(tiny, "province", None, "personal_province", can_view_personal=True)
    at = run_app(tiny, page=page, user=user, period=PERIOD)
    if page == "pages/staffing.py":  # the roster sits behind a lazy tab
        at.session_state["staff_gap_tab"] = "在岗人员花名册"
        at.run()
    assert not at.exception and not at.error, (at.exception, at.error)
    text = page_text(at)
    for raw in raw_personal(eng):
        assert raw not in text, raw
    people = [
        d.value[c] for d in at.dataframe for c in ("姓名", "儿童姓名", "儿童") if c in d.value
    ]
    assert all(masked_or_blank(p) for p in people)
    assert all("身份证号" not in d.value.columns for d in at.dataframe)
    if page != "pages/briefing.py":  # the briefing may list no new overdue case this month
        assert people and any(p.str.contains("*", regex=False).any() for p in people)
    assert audit_rows(eng, "view_personal") == []


def test_download_of_an_unmasked_list_is_audited(eng, monkeypatch):
    url = eng.url.render_as_string(hide_password=False)
    monkeypatch.setenv("REPORTING_DB_URL", url)
    user = auth.AuthUser("wang", "county", NINGDU, NINGDU, True, "password")
    monkeypatch.setattr(auth, "current_user", lambda _url: user)
    frame = pd.DataFrame({"姓名": ["王小明"], "电话": ["13812345678"]})
    what = "宁都县工作人员名册.xlsx · 工作人员名册 · 宁都县（360730） · 2 行 · 下载"
    build = record_lists.audited_download(url, lambda: _xlsx(frame), what)
    assert audit_rows(eng, "export") == [] and audit_rows(eng, "view_personal") == []
    data = build()  # the click
    assert load_workbook(io.BytesIO(data)).active["A4"].value == "王小明"
    assert audit_rows(eng, "export") == [("wang", what)]
    assert audit_rows(eng, "view_personal") == [("wang", what)]


def test_audit_target_names_list_region_scope_period_and_filter():
    d = Detail("sqlite://", "360700", PERIOD, NINGDU, "宁都县", "county", False)
    assert record_lists.audit_target(d, "在办个案清单", "只看逾期") == (
        "在办个案清单 · 宁都县（360730） · 范围 360700 · 2025-01 · 只看逾期"
    )


def asks_unmasked(source: str) -> bool:
    """A call with `unmasked=...` or a mapping with an "unmasked" key (keyword arguments
    handed on as a dict)."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and any(k.arg == "unmasked" for k in node.keywords):
            return True
        if isinstance(node, ast.Dict) and any(
            isinstance(k, ast.Constant) and k.value == "unmasked" for k in node.keys
        ):
            return True
    return False


def test_only_the_drill_down_lists_ask_for_unmasked_data():
    """No page, no other component and not app.py asks for unmasked lists: the one place
    that does is the drill-down's record lists, behind the permission check."""
    files = [REPO_ROOT / "app.py"]
    files += [p for folder in ("pages", "components") for p in (REPO_ROOT / folder).rglob("*.py")]
    askers = sorted(
        p.relative_to(REPO_ROOT).as_posix()
        for p in files
        if asks_unmasked(p.read_text(encoding="utf-8"))
    )
    assert askers == ["components/record_lists.py"]
    assert asks_unmasked("q(records.case_list, unmasked=flag)")  # the check sees both forms
    assert asks_unmasked('db.query(fn, **{"unmasked": True})')


def _xlsx(frame: pd.DataFrame) -> bytes:
    from components.exports import excel_bytes

    return excel_bytes({"名册": frame}, "工作人员名册 · 宁都县 · 2025年6月")
