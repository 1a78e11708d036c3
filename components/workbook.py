"""One-click workbook: every indicator of DESIGN.md §4 for every county, prefecture and the
province (or whatever of those lies in the user's scope) of one period, as one .xlsx.

Sheets 县（市、区）, 设区市 and 全省/本级, each with a caption row naming the table, the scope,
the period and the data date, Chinese headers with units, and real numbers (not text) with
Excel number formats, so the figures can be summed and charted. Values are those of
`queries.indicators` (rates stay fractions shown as 92.3%; money is in 万元). Aggregates only:
no personal data. No Streamlit here.
"""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Engine

from components import xlsx
from components.format import fmt_period
from components.kpi import as_of_date
from core.metrics import METRICS, Metric
from core.periods import check_period
from queries import indicators, regions

XLSX_MIME = xlsx.XLSX_MIME
LEVEL_SHEETS = {"county": "县（市、区）", "prefecture": "设区市"}
SCOPE_SHEET = {"province": "全省", "prefecture": "全市", "county": "本县"}
DEMO_NOTE = "演示数据：本表数据为程序生成的演示数据，不是真实统计。"


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


def sheet_frame(df: pd.DataFrame) -> tuple[pd.DataFrame, dict]:
    """`indicator_frames`' frame as the sheet shows it: Chinese headers with units, values
    in the shown unit, 原贫困县 as 是/否 when any county is one; with the `xlsx.write_sheet`
    options (number formats by metric, widths, header style, frozen name columns)."""
    fixed = {"code": ("地区代码", 12), "name": ("地区名称", 14), "parent_name": ("上级地区", 12)}
    out = pd.DataFrame({header: df[col] for col, (header, _) in fixed.items()})
    widths = {header: width for header, width in fixed.values()}
    if "is_former_poverty_county" in df and df["is_former_poverty_county"].any():
        out["原贫困县"] = df["is_former_poverty_county"].map(lambda v: "是" if v else "否")
        widths["原贫困县"] = 10
    formats = {}
    for m in METRICS:
        header = metric_header(m)
        out[header] = [cell_value(m, v) for v in df.get(m.code, pd.Series(index=df.index))]
        formats[header] = cell_format(m)
        widths[header] = 14
    options = {
        "number_formats": formats,
        "widths": widths,
        "styled_header": True,
        "freeze_columns": 2,
    }
    return out, options


def build_workbook(
    engine: Engine,
    scope: str,
    period: str,
    data_date: str | None = None,
    is_demo: bool = False,
    watermark: str | None = None,
) -> bytes:
    """All indicators x all regions of the scope for `period` as .xlsx bytes; `watermark`
    (components/watermark.py) in every sheet's page header and footer."""
    check_period(period)
    regions.require_within(engine, scope, scope)
    crumbs = " › ".join(p["name"] for p in regions.path(engine, scope))
    notes = "空白单元格：无数据或分母为 0。比率以百分比显示，金额单位为万元。"
    if is_demo:
        notes = f"{DEMO_NOTE}{notes}"
    sheets = {}
    for sheet, df in indicator_frames(engine, scope, period).items():
        caption = (
            f"全部指标 · {sheet} · {crumbs} · {fmt_period(period)}"
            f" · 数据截至 {as_of_date(period, data_date)}"
        )
        frame, options = sheet_frame(df)
        sheets[sheet] = (frame, {"caption": caption, "notes": notes, **options})
    return xlsx.workbook_bytes(sheets, watermark)


def file_stem(scope_name: str, period: str) -> str:
    return f"全部指标_{scope_name}_{period}"
