"""Excel downloads: every table in the app leaves as .xlsx with Chinese headers, a title row
that names the table, the scope and the period, and the data date (DESIGN.md §9); the file
itself is written by components/xlsx.py, the one Excel writer.

Every download is audited (DESIGN.md §6): the workbook is built only when the user clicks
(Streamlit's deferred `data` callable), and building it writes an `export` row to audit_log
for the signed-in user. Other download buttons (PPTX, other builders) wrap their builder with
`audited(build, target)` to get the same.

Every download also carries the signed-in user's watermark (components/watermark.py): read
here within the script run (`watermark.current_text`) and handed to the builder, which runs
later; the other download buttons pass it to their builders the same way.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import streamlit as st

from components import watermark
from components.xlsx import XLSX_MIME, excel_bytes
from data.config import database_url

__all__ = ["XLSX_MIME", "audited", "download_excel", "excel_bytes"]


def audited(build: Callable[[], bytes], target: str) -> Callable[[], bytes]:
    """`build` plus an audit row (`export`, `target`) for the signed-in user, written when
    the file is actually built, i.e. downloaded. Call inside the script run (it reads who is
    signed in then); the returned callable may run later on another thread."""
    from components import auth

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
    masked personal data). The workbook is built when clicked, watermarked for the signed-in
    user, and the download audited."""
    frame = df.copy()
    mark = watermark.current_text(database_url())

    def build() -> bytes:
        return excel_bytes({file_stem: frame}, caption, watermark=mark)

    st.download_button(
        label,
        data=audited(build, f"{file_stem}.xlsx · {caption} · {len(frame)} 行"),
        file_name=f"{file_stem}.xlsx",
        mime=XLSX_MIME,
        key=key,
        icon=":material/download:",
        on_click="ignore",
    )
