"""The one Excel writer: every .xlsx the app hands out (a table's download, the one-click
workbook of all indicators) is laid out and written here.

Layout: row 1 the caption (title, scope, period, data date), row 2 notes when there are
any, row 3 the Chinese headers, data from row 4. Every text cell is written as text, never
as a formula: a home or village name imported as `=HYPERLINK(...)`, or a masked name that
begins with `=`, must show as typed and not run in the reader's Excel (formula injection).
Numbers stay numbers (with a number format when given), so figures can be summed. No
Streamlit here: the workbook builder runs outside a page too.

Watermark (components/watermark.py): given one, every sheet carries it in the page header and
footer, so each printed page names whose download it was (Excel shows neither on screen but in
the page layout view and the print preview; the cells stay the data alone).
"""

from __future__ import annotations

import io
import math
from collections.abc import Mapping
from datetime import date, datetime

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HEADER_ROW = 3  # row 1 caption, row 2 notes, row 3 headers, data from row 4
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
SHEET_NAME_MAX = 31  # Excel's limit
WIDTH_SAMPLE = 200  # rows read to size a column
MAX_WIDTH = 60


def cell_value(value: object) -> object:
    """A frame's value as openpyxl takes it: missing (None, NaN, NaT) an empty cell, numpy
    scalars as Python numbers, timestamps as datetimes."""
    if value is None or value is pd.NaT:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, np.generic):
        value = value.item()
        if isinstance(value, float) and math.isnan(value):
            return None
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    if isinstance(value, (str, int, float, bool, date, datetime)):
        return value
    return str(value)


def put(ws: Worksheet, row: int, column: int, value: object):
    """Write one cell; a string stays a string even when it begins with '=' (openpyxl
    would otherwise store it as a formula)."""
    cell = ws.cell(row=row, column=column, value=cell_value(value))
    if isinstance(cell.value, str):
        cell.data_type = "s"
    return cell


def auto_width(df: pd.DataFrame, column: str) -> int:
    """Two units a character (CJK is double width), header included, capped."""
    values = [str(column), *(str(v) for v in df[column].head(WIDTH_SAMPLE))]
    return min(max(len(v) for v in values) * 2 + 2, MAX_WIDTH)


def header_text(text: str) -> str:
    """`text` as a header/footer section holds it: '&' starts a code there ('&P' the page
    number), so a literal one is doubled."""
    return text.replace("&", "&&")


def set_watermark(ws: Worksheet, watermark: str) -> None:
    """The watermark in the centre of the header and the footer of every printed page."""
    for part in (ws.oddHeader.center, ws.oddFooter.center):
        part.text = header_text(watermark)
        part.size = 9
        part.color = "808080"


def write_sheet(
    ws: Worksheet,
    df: pd.DataFrame,
    caption: str,
    notes: str | None = None,
    number_formats: Mapping[str, str] | None = None,
    widths: Mapping[str, int] | None = None,
    styled_header: bool = False,
    freeze_columns: int | None = None,
    watermark: str | None = None,
) -> None:
    """`df` (headers already in Chinese) on `ws` in the layout above. `number_formats` and
    `widths` by column (other columns sized by content); `styled_header` fills and wraps
    the header row; `freeze_columns` freezes the header and that many columns; `watermark`
    goes in the page header and footer."""
    if watermark:
        set_watermark(ws, watermark)
    put(ws, 1, 1, caption).font = Font(bold=True, size=13)
    if notes:
        put(ws, 2, 1, notes).font = Font(size=10, color="555555")
    formats = number_formats or {}
    for j, column in enumerate(df.columns, start=1):
        cell = put(ws, HEADER_ROW, j, str(column))
        cell.font = Font(bold=True)
        if styled_header:
            cell.fill = HEADER_FILL
            cell.alignment = Alignment(wrap_text=True, vertical="center", horizontal="center")
        width = (widths or {}).get(column) or auto_width(df, column)
        ws.column_dimensions[get_column_letter(j)].width = width
    for i, values in enumerate(df.itertuples(index=False, name=None), start=HEADER_ROW + 1):
        for j, (column, value) in enumerate(zip(df.columns, values, strict=True), start=1):
            cell = put(ws, i, j, value)
            if column in formats:
                cell.number_format = formats[column]
    if styled_header:
        ws.row_dimensions[HEADER_ROW].height = 45
    if freeze_columns is not None:
        ws.freeze_panes = ws.cell(row=HEADER_ROW + 1, column=freeze_columns + 1)


def workbook_bytes(
    sheets: Mapping[str, tuple[pd.DataFrame, dict]], watermark: str | None = None
) -> bytes:
    """Sheet name -> (frame, `write_sheet` keyword arguments) as .xlsx bytes; names cut to
    Excel's 31 characters; `watermark` on every sheet."""
    wb = Workbook()
    wb.remove(wb.active)
    for name, (df, options) in sheets.items():
        sheet_options = {**options, "watermark": watermark} if watermark else options
        write_sheet(wb.create_sheet(name[:SHEET_NAME_MAX]), df, **sheet_options)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def excel_bytes(
    sheets: Mapping[str, pd.DataFrame], caption: str, watermark: str | None = None
) -> bytes:
    """A workbook with one sheet per frame under one caption (title, scope, period)."""
    return workbook_bytes(
        {name: (df, {"caption": caption}) for name, df in sheets.items()}, watermark
    )
