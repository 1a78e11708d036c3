"""One-click workbook: every indicator of DESIGN.md §4 for every county, prefecture and the
province (or whatever of those lies in the user's scope) of one period, as one .xlsx.

Sheets 县（市、区）, 设区市 and 全省/本级, each with a caption row naming the table, the scope,
the period and the data date, Chinese headers with units, and real numbers (not text) with
Excel number formats, so the figures can be summed and charted. Values are those of
`queries.indicators` (rates stay fractions shown as 92.3%; money is in 万元). Aggregates only:
no personal data. No Streamlit here.
"""

from __future__ import annotations

import io

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from sqlalchemy import Engine

from components.format import fmt_period
from components.kpi import as_of_date
from core.metrics import METRICS, Metric
from core.periods import check_period
from queries import indicators, regions

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HEADER_ROW = 3  # row 1 caption, row 2 notes, row 3 headers, data from row 4
LEVEL_SHEETS = {"county": "县（市、区）", "prefecture": "设区市"}
SCOPE_SHEET = {"province": "全省", "prefecture": "全市", "county": "本县"}
DEMO_NOTE = "演示数据：本表数据为程序生成的演示数据，不是真实统计。"
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")


def metric_header(m: Metric) -> str:
    """'儿童之家覆盖率（%）', '在册儿童（人）', '购买服务金额（万元）'."""
    return f"{m.label}（{m.unit}）" if m.unit else m.label


def cell_format(m: Metric) -> str:
    if m.scale != 1:
        return "#,##0.0"
    return {"rate": "0.0%", "mean": "0.0"}.get(m.kind, "#,##0")


def cell_value(m: Metric, value: float) -> float | None:
    """The stored value as the sheet holds it: in the shown unit (money in 万元, by the
    registry's scale), a missing value an empty cell."""
    if pd.isna(value):
        return None
    return float(value) / m.scale


def indicator_frames(engine: Engine, scope: str, period: str) -> dict[str, pd.DataFrame]:
    """Sheet name -> frame (code, name, parent_name, is_former_poverty_county, one column
    per metric code with the stored values) for every level in the scope, scope row last."""
    here = regions.region(engine, scope, scope)
    if here is None:
        raise regions.ScopeError(f"region {scope!r} not found")
    out: dict[str, pd.DataFrame] = {}
    below = {"province": ("county", "prefecture"), "prefecture": ("county",)}
    for level in below.get(here["level"], ()):
        out[LEVEL_SHEETS[level]] = indicators.region_table(engine, scope, period, level)
    k = indicators.kpis(engine, scope, period)
    row = {"code": scope, "name": here["name"], "parent_name": None}
    row |= dict(zip(k["metric"], k["value"], strict=True))
    out[SCOPE_SHEET.get(here["level"], "本级")] = pd.DataFrame([row])
    return out


def _write_sheet(ws, df: pd.DataFrame, caption: str, notes: str) -> None:
    ws.cell(row=1, column=1, value=caption).font = Font(bold=True, size=13)
    ws.cell(row=2, column=1, value=notes).font = Font(size=10, color="555555")
    fixed = [("地区代码", "code", 12), ("地区名称", "name", 14), ("上级地区", "parent_name", 12)]
    has_poverty = "is_former_poverty_county" in df and df["is_former_poverty_county"].any()
    if has_poverty:
        fixed.append(("原贫困县", "is_former_poverty_county", 10))
    headers = [h for h, _, _ in fixed] + [metric_header(m) for m in METRICS]
    for j, text in enumerate(headers, start=1):
        cell = ws.cell(row=HEADER_ROW, column=j, value=text)
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="center", horizontal="center")
    for i, rec in enumerate(df.to_dict("records"), start=HEADER_ROW + 1):
        for j, (_, col, _) in enumerate(fixed, start=1):
            value = rec.get(col)
            if col == "is_former_poverty_county":
                value = "是" if value else "否"
            ws.cell(row=i, column=j, value=None if pd.isna(value) else value)
        for j, m in enumerate(METRICS, start=len(fixed) + 1):
            cell = ws.cell(row=i, column=j, value=cell_value(m, rec.get(m.code)))
            cell.number_format = cell_format(m)
    for j, (_, _, width) in enumerate(fixed, start=1):
        ws.column_dimensions[get_column_letter(j)].width = width
    for j in range(len(fixed) + 1, len(headers) + 1):
        ws.column_dimensions[get_column_letter(j)].width = 14
    ws.row_dimensions[HEADER_ROW].height = 45
    ws.freeze_panes = ws.cell(row=HEADER_ROW + 1, column=3)


def build_workbook(
    engine: Engine,
    scope: str,
    period: str,
    data_date: str | None = None,
    is_demo: bool = False,
) -> bytes:
    """All indicators x all regions of the scope for `period` as .xlsx bytes."""
    check_period(period)
    regions.require_within(engine, scope, scope)
    crumbs = " › ".join(p["name"] for p in regions.path(engine, scope))
    notes = "空白单元格：无数据或分母为 0。比率以百分比显示，金额单位为万元。"
    if is_demo:
        notes = f"{DEMO_NOTE}{notes}"
    wb = Workbook()
    wb.remove(wb.active)
    for sheet, df in indicator_frames(engine, scope, period).items():
        caption = (
            f"全部指标 · {sheet} · {crumbs} · {fmt_period(period)}"
            f" · 数据截至 {as_of_date(period, data_date)}"
        )
        _write_sheet(wb.create_sheet(sheet), df, caption, notes)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def file_stem(scope_name: str, period: str) -> str:
    return f"全部指标_{scope_name}_{period}"
