"""The one-click workbook of all indicators (components/workbook.py), opened again with
openpyxl on a tiny demo database (SQLite and PostgreSQL): sheets per scope, caption with
scope and period, Chinese headers with units, numbers (not text) with formats, values equal
to the rollup table, money in 万元, and no personal data in any cell.

The tiny demo holds 南昌市 360100 (东湖区 360102, 新建区 360112, 进贤县 360124) and 赣州市
360700 (宁都县 360730, 兴国县 360732).
"""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from components.workbook import build_workbook
from core.metrics import METRICS
from data.db import make_engine
from data.schema import children, kpi_snapshots, staff
from queries.regions import ScopeError
from tests.conftest import BACKENDS
from tests.fixtures.demo import tiny_demo_url

PROVINCE, GANZHOU, XINGGUO, XINJIAN = "360000", "360700", "360732", "360112"
PERIOD = "2026-10"
COUNTIES = ["360102", "360112", "360124", "360730", "360732"]


@pytest.fixture(scope="module", params=BACKENDS)
def eng(request, tmp_path_factory, pg_database_factory):
    e = make_engine(tiny_demo_url(request.param, tmp_path_factory, pg_database_factory, "wb"))
    yield e
    e.dispose()


def open_wb(eng, scope=PROVINCE, is_demo=True):
    return load_workbook(io.BytesIO(build_workbook(eng, scope, PERIOD, "2026-10-31", is_demo)))


def stored(eng, region: str) -> dict[str, float | None]:
    """metric -> the value the sheet must hold, straight from kpi_snapshots: a count or sum
    keeps it in numerator, money turns into 万元."""
    k = kpi_snapshots
    stmt = select(k.c.metric, k.c.numerator, k.c.value).where(
        k.c.region_code == region, k.c.period == PERIOD
    )
    with eng.connect() as conn:
        rows = {r.metric: r for r in conn.execute(stmt)}
    out = {}
    for m in METRICS:
        r = rows.get(m.code)
        v = (
            None
            if r is None
            else (r.value if r.value is not None or m.kind in ("rate", "mean") else r.numerator)
        )
        out[m.code] = None if v is None else (v / 10_000 if m.kind == "sum" else v)
    return out


def rows_by_code(ws) -> dict[str, dict[str, object]]:
    head = [c.value for c in ws[3]]
    return {
        r[0]: dict(zip(head, r, strict=True)) for r in ws.iter_rows(min_row=4, values_only=True)
    }


def test_sheets_by_scope(eng):
    assert open_wb(eng).sheetnames == ["县（市、区）", "设区市", "全省"]
    assert open_wb(eng, GANZHOU).sheetnames == ["县（市、区）", "全市"]
    assert open_wb(eng, XINGGUO).sheetnames == ["本县"]


def test_caption_headers_and_demo_note(eng):
    wb = open_wb(eng, GANZHOU)
    ws = wb["县（市、区）"]
    assert ws["A1"].value == (
        "全部指标 · 县（市、区） · 江西省 › 赣州市 · 2026年10月 · 数据截至 2026-10-31"
    )
    assert ws["A2"].value.startswith("演示数据：")
    head = [c.value for c in ws[3]]
    assert head[:4] == ["地区代码", "地区名称", "上级地区", "原贫困县"]
    assert head[4] == "儿童之家覆盖率（%）"
    assert "在册儿童（人）" in head and "购买服务金额（万元）" in head
    assert "平均办结天数（天）" in head and "逾期个案（件）" in head
    assert len(head) == 4 + len(METRICS)
    assert wb["全市"]["A1"].value.startswith("全部指标 · 全市 · 江西省 › 赣州市 · 2026年10月")
    plain = open_wb(eng, GANZHOU, is_demo=False)["全市"]["A2"].value
    assert "演示数据" not in plain


def test_every_county_with_the_rollup_values(eng):
    ws = open_wb(eng)["县（市、区）"]
    rows = rows_by_code(ws)
    assert sorted(rows) == COUNTIES
    assert rows[XINJIAN]["地区名称"] == "新建区" and rows[XINJIAN]["上级地区"] == "南昌市"
    for code in COUNTIES:
        want = stored(eng, code)
        for m in METRICS:
            got = rows[code][f"{m.label}（{m.unit}）"]
            if want[m.code] is None:
                assert got is None, (code, m.code)
            else:
                assert got == pytest.approx(want[m.code]), (code, m.code)
    # counted by hand from the raw tables: 新建区 has 12 villages, 9 with an operating home
    assert rows[XINJIAN]["儿童之家覆盖率（%）"] == pytest.approx(0.75)


def test_province_and_prefecture_rows(eng):
    wb = open_wb(eng)
    prov = rows_by_code(wb["全省"])
    assert list(prov) == [PROVINCE]
    want = stored(eng, PROVINCE)
    assert prov[PROVINCE]["在册儿童（人）"] == want["children_active"]
    assert prov[PROVINCE]["购买服务金额（万元）"] == pytest.approx(want["purchase_yuan"])
    assert sorted(rows_by_code(wb["设区市"])) == ["360100", "360700"]


def test_numbers_are_numbers_with_formats(eng):
    ws = open_wb(eng)["县（市、区）"]
    head = [c.value for c in ws[3]]
    fmt = {h: ws.cell(row=5, column=j + 1) for j, h in enumerate(head)}
    assert fmt["儿童之家覆盖率（%）"].number_format == "0.0%"
    assert isinstance(fmt["儿童之家覆盖率（%）"].value, float)
    assert fmt["在册儿童（人）"].number_format == "#,##0"
    assert isinstance(fmt["在册儿童（人）"].value, int | float)
    assert fmt["购买服务金额（万元）"].number_format == "#,##0.0"
    assert fmt["平均办结天数（天）"].number_format == "0.0"


def test_no_personal_data_in_any_cell(eng):
    with eng.connect() as conn:
        rows = conn.execute(select(children.c.name, children.c.id_number)).all()
        rows += conn.execute(select(staff.c.name, staff.c.phone)).all()
    personal = {v for r in rows for v in r if v}
    assert len(personal) > 500
    for scope in (PROVINCE, GANZHOU, XINGGUO):
        cells = {
            str(v)
            for ws in open_wb(eng, scope)
            for row in ws.iter_rows(values_only=True)
            for v in row
            if v is not None
        }
        assert any("兴国县" in c for c in cells)
        assert not {c for c in cells for p in personal if p in c}


def test_out_of_scope_refused(eng):
    with pytest.raises(ScopeError):
        build_workbook(eng, "999999", PERIOD)
