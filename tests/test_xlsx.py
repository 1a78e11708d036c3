"""The one Excel writer (components/xlsx.py): layout, types, and text that stays text."""

from __future__ import annotations

import io
from datetime import date

import numpy as np
import openpyxl
import pandas as pd

from components.xlsx import HEADER_ROW, excel_bytes, workbook_bytes


def _sheet(data: bytes, name: str):
    return openpyxl.load_workbook(io.BytesIO(data))[name]


def test_text_starting_with_equals_is_written_as_text_not_formula():
    """Issue 19.4: a home named like a formula, a masked name beginning with '='."""
    evil = '=HYPERLINK("http://example.invalid/x","点击")'
    frame = pd.DataFrame({"儿童之家": [evil, "=1+1", "+SUM(A1)", "正常名称"], "人数": [1, 2, 3, 4]})
    ws = _sheet(excel_bytes({"名册": frame}, "名册 · 测试"), "名册")
    cells = [ws.cell(row=HEADER_ROW + 1 + i, column=1) for i in range(4)]
    assert [c.value for c in cells] == [evil, "=1+1", "+SUM(A1)", "正常名称"]
    assert {c.data_type for c in cells} == {"s"}
    # the raw sheet XML holds no <f> (formula) element at all
    with io.BytesIO(excel_bytes({"名册": frame}, "名册 · 测试")) as buf:
        import zipfile

        xml = zipfile.ZipFile(buf).read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in xml and "<f " not in xml


def test_layout_types_and_missing_values():
    frame = pd.DataFrame(
        {
            "地区": ["瑞金市", "兴国县"],
            "覆盖率": [np.float64(0.925), np.nan],
            "个数": [np.int64(12), np.int64(0)],
            "日期": [pd.Timestamp("2026-10-31"), pd.NaT],
        }
    )
    data = workbook_bytes(
        {
            "表" * 40: (
                frame,
                {"caption": "表 · 赣州市", "notes": "说明", "number_formats": {"覆盖率": "0.0%"}},
            )
        }
    )
    wb = openpyxl.load_workbook(io.BytesIO(data))
    assert wb.sheetnames == ["表" * 31]
    ws = wb["表" * 31]
    assert ws.cell(row=1, column=1).value == "表 · 赣州市"
    assert ws.cell(row=2, column=1).value == "说明"
    assert [ws.cell(row=HEADER_ROW, column=j).value for j in range(1, 5)] == [
        "地区",
        "覆盖率",
        "个数",
        "日期",
    ]
    assert ws.cell(row=4, column=2).value == 0.925
    assert ws.cell(row=4, column=2).number_format == "0.0%"
    assert ws.cell(row=4, column=3).value == 12 and ws.cell(row=5, column=3).value == 0
    assert ws.cell(row=5, column=2).value is None and ws.cell(row=5, column=4).value is None
    assert ws.cell(row=4, column=4).value.date() == date(2026, 10, 31)
