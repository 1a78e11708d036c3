"""Excel export: Chinese headers, caption row, values intact."""

import io

import pandas as pd
from openpyxl import load_workbook

from components.exports import excel_bytes


def test_workbook_has_caption_headers_and_values():
    df = pd.DataFrame({"地区": ["南昌市", "赣州市"], "儿童主任配备率(%)": [98.5, None]})
    data = excel_bytes(
        {"主任配备": df, "另一表": df.head(1)}, "儿童主任配备率 · 江西省 · 2026年10月"
    )
    wb = load_workbook(io.BytesIO(data))
    assert wb.sheetnames == ["主任配备", "另一表"]
    ws = wb["主任配备"]
    assert ws["A1"].value == "儿童主任配备率 · 江西省 · 2026年10月"
    assert [c.value for c in ws[3]] == ["地区", "儿童主任配备率(%)"]
    assert [c.value for c in ws[4]] == ["南昌市", 98.5]
    assert ws["B5"].value is None
