"""Every table in the app downloads as .xlsx (issue 8): Chinese headers with units, a caption
naming the table, the area and the month, the same rows as on screen.

The page tests record what each page hands to the Excel download (`components.tables` calls
`download_excel` for every table it draws) and check it against the tables the page shows:
one workbook per table, same row count, headers without bare column codes.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from datetime import date

import pandas as pd
import pytest
import streamlit as st
from openpyxl import load_workbook

from components import tables
from components.exports import excel_bytes
from components.format import fmt_period
from core.metrics import METRIC_CODES
from data.db import make_engine
from data.load import import_file
from tests.apptest import ensure_user, run_app
from tests.fixtures.demo import tiny_demo_url
from tests.fixtures.ledgers import children_ledger, idn, xlsx_bytes

PERIOD = "2026-10"
TODAY = date(2026, 11, 28)
CJK = re.compile(r"[\u4e00-\u9fff]")
CODE_LIKE = re.compile(r"^[a-z_0-9]+$")  # a column name that leaked instead of its label


# ---------------------------------------------------------------- headers


def test_excel_headers_carry_labels_and_percent_unit_and_drop_links():
    shown = pd.DataFrame(
        {
            "name": ["东湖区"],
            "home_coverage": [92.3],
            "open_cases": [12],
            "详情": ["county?county=360102"],
        }
    )
    config = {
        "name": st.column_config.TextColumn("县（市、区）"),
        "home_coverage": tables.number_column(tables.BY_CODE["home_coverage"]),
        "open_cases": tables.number_column(tables.BY_CODE["open_cases"]),
        "详情": st.column_config.LinkColumn("详情", display_text="打开详情"),
    }
    out = tables.excel_frame(shown, config, ["name", "home_coverage", "open_cases", "详情"])
    assert list(out.columns) == ["县（市、区）", "儿童之家覆盖率（%）", "在办个案（件）"]
    assert out.iloc[0].tolist() == ["东湖区", 92.3, 12]
    # a plain string label, no config, and a header that already names its unit
    assert tables.excel_header("a", "地区") == "地区"
    assert tables.excel_header("地区", None) == "地区"
    pct = st.column_config.NumberColumn("占比（%）", format="%.1f%%")
    assert tables.excel_header("x", pct) == "占比（%）"


def test_export_caption_names_table_area_and_month():
    assert tables.export_caption("各县指标明细", "赣州市", PERIOD) == (
        "各县指标明细 · 赣州市 · 2026年10月"
    )
    data = excel_bytes({"表": pd.DataFrame({"地区": ["兴国县"]})}, "表 · 赣州市 · 2026年10月")
    ws = load_workbook(io.BytesIO(data))["表"]
    assert ws["A1"].value == "表 · 赣州市 · 2026年10月"


# ---------------------------------------------------------------- every page


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> str:
    return tiny_demo_url("sqlite", tmp_path_factory, lambda _tag: "", "table_exports")


@pytest.fixture()
def exported(monkeypatch, apptest_env) -> Iterator[list[tuple[pd.DataFrame, str, str]]]:
    """(frame, file stem, caption) of every Excel download a page offers for a table."""
    calls: list[tuple[pd.DataFrame, str, str]] = []

    def record(df: pd.DataFrame, file_stem: str, caption: str, key: str, **_kw) -> None:
        calls.append((df, file_stem, caption))

    monkeypatch.setattr(tables, "download_excel", record)
    yield calls


PAGES = [  # (page, role, region, query params, what the captions name)
    ("pages/overview.py", "province", None, {}, "江西省"),
    ("pages/overview.py", "province", None, {"prefecture": "360700"}, "赣州市"),
    ("pages/homes.py", "province", None, {}, "江西省"),
    ("pages/staffing.py", "province", None, {}, "江西省"),
    ("pages/interventions.py", "province", None, {}, "江西省"),
    ("pages/institutions.py", "province", None, {}, "江西省"),
    ("pages/county.py", "province", None, {"county": "360730"}, "宁都县"),
    ("pages/county.py", "province", None, {"prefecture": "360700"}, "赣州市"),
    ("pages/rankings.py", "province", None, {}, "江西省"),
    ("pages/alerts.py", "province", None, {}, "江西省"),
    ("pages/briefing.py", "province", None, {}, "江西省"),
    ("pages/homes.py", "county", "360732", {}, "兴国县"),
    ("pages/interventions.py", "prefecture", "360700", {}, "赣州市"),
]


@pytest.mark.parametrize(("page", "role", "region", "params", "area"), PAGES)
def test_every_table_on_a_page_downloads_as_excel(tiny, exported, page, role, region, params, area):
    user = ensure_user(tiny, role=role, region_code=region)
    at = run_app(tiny, user=user, **params)
    at.switch_page(page)
    for name, value in params.items():
        at.query_params[name] = value
    exported.clear()
    at.run()
    assert not at.exception and not at.error, (at.exception, at.error)
    shown = [d.value for d in at.dataframe]
    assert shown, f"{page} shows no table"
    assert len(exported) == len(shown), (page, [c for _df, _s, c in exported])
    assert sorted(len(df) for df, _s, _c in exported) == sorted(len(df) for df in shown)
    month = fmt_period(at.session_state["period"])  # the month app.py picked
    for df, stem, caption in exported:
        assert caption.startswith(stem) and " · " in caption, caption
        assert area in caption, (caption, area)
        if page != "pages/briefing.py":  # the briefing names its own two months
            assert month in caption, caption
        for header in map(str, df.columns):
            assert not CODE_LIKE.match(header) or header in ("rank",), (caption, header)
            assert header not in METRIC_CODES, (caption, header)
        assert any(CJK.search(str(h)) for h in df.columns), caption


def test_admin_tables_download_as_excel(tiny, exported):
    bad = children_ledger().iloc[:1]
    bad.loc[0, "编号"] = 90001
    bad.loc[0, "村（社区）代码"] = "360112001001"  # a village of the tiny demo
    bad.loc[0, "身份证号"] = idn("360112", "20150305", 11)[:17] + "0"  # wrong check digit
    eng = make_engine(tiny)
    r = import_file(eng, "children", xlsx_bytes(bad), "坏台账.xlsx", user="admin", today=TODAY)
    eng.dispose()
    assert r.status == "rejected"
    at = run_app(tiny, user=ensure_user(tiny, role="admin"))
    for page, sections in (
        ("pages/data.py", ("导入记录", "数据更新情况")),
        ("pages/audit.py", (None,)),
        ("pages/users.py", (None,)),
    ):
        at.switch_page(page)
        exported.clear()
        at.run()
        for section in sections:
            if section is not None:
                exported.clear()
                at.session_state["data_section"] = section
                at.run()
            assert not at.exception and not at.error, (page, at.exception, at.error)
            shown = [d.value for d in at.dataframe]
            assert shown, (page, section)
            assert len(exported) == len(shown), (page, section)
            assert all(CJK.search(caption) for _df, _s, caption in exported)
            if section == "导入记录":  # one attempt's stored problems, a table of its own
                exported.clear()
                batch = at.selectbox(key="data_batch")
                batch.set_value(r.batch_id).run()
                assert not at.exception
                assert [c for _df, _s, c in exported if "问题清单" in c], exported
