"""Excel downloads: every table in the app leaves as .xlsx with Chinese headers, a title row
that names the table, the scope and the period, and the data date (DESIGN.md §9).

Every download is audited (DESIGN.md §6): the workbook is built only when the user clicks
(Streamlit's deferred `data` callable), and building it writes an `export` row to audit_log
for the signed-in user. Other download buttons (PPTX, other builders) wrap their builder with
`audited(build, target)` to get the same.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping

import pandas as pd
import streamlit as st
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def excel_bytes(sheets: Mapping[str, pd.DataFrame], caption: str) -> bytes:
    """A workbook with one sheet per frame; row 1 holds the caption (title, scope, period),
    the table starts on row 3. Sheet names are cut to Excel's 31 characters."""
    buf = io.BytesIO()
    with pd.ExcelWriter(buf, engine="openpyxl") as writer:
        for name, df in sheets.items():
            sheet = name[:31]
            df.to_excel(writer, sheet_name=sheet, index=False, startrow=2)
            ws = writer.sheets[sheet]
            ws.cell(row=1, column=1, value=caption).font = Font(bold=True, size=12)
            for i, col in enumerate(df.columns, start=1):
                values = [str(col), *(str(v) for v in df[col].head(200))]
                width = min(max(len(v) for v in values) * 2 + 2, 60)
                ws.column_dimensions[get_column_letter(i)].width = width
    return buf.getvalue()


def audited(build: Callable[[], bytes], target: str) -> Callable[[], bytes]:
    """`build` plus an audit row (`export`, `target`) for the signed-in user, written when
    the file is actually built, i.e. downloaded. Call inside the script run (it reads who is
    signed in then); the returned callable may run later on another thread."""
    from components import auth
    from data.config import database_url

    write = auth.recorder(database_url(), "export", target)

    def run() -> bytes:
        data = build()
        write()
        return data

    return run


def download_excel(
    df: pd.DataFrame, file_stem: str, caption: str, key: str, label: str = "下载 Excel"
) -> None:
    """A download button for one table (the frame must already carry Chinese headers and
    masked personal data). The workbook is built when clicked, and the download audited."""
    frame = df.copy()

    def build() -> bytes:
        return excel_bytes({file_stem: frame}, caption)

    st.download_button(
        label,
        data=audited(build, f"{file_stem}.xlsx · {caption} · {len(frame)} 行"),
        file_name=f"{file_stem}.xlsx",
        mime=XLSX_MIME,
        key=key,
        icon=":material/download:",
        on_click="ignore",
    )
