"""The file uploader in Chinese.

Streamlit draws its uploader's texts itself, in English and with no parameter to change them
(1.67: an "Upload" button and "20MB per file • XLSX, CSV"). The officials who import ledgers
read Chinese (issue 18.2), so those two texts are hidden (display: none, so neither screen
readers nor the browser tests read them) and Chinese ones are drawn in their place by CSS.
The selectors are Streamlit's test ids, stable across its releases; a browser test
(tests/browser/test_tour_browser.py, the admin's pages) fails if English shows again.

The widget itself accepts any file (issue 19): Streamlit refuses a file of another type or
over server.maxUploadSize in the browser, in English, and keeps the previous file as the
widget's value, so "校验并导入" imported the file chosen before. Every file now reaches the
page, which says in Chinese why it cannot be imported (data.load.reading.upload_refusal)
and disables the button; .streamlit/config.toml's maxUploadSize (200 MB) sits well above
the import limit (LOAD_MAX_FILE_MB, 20 MB) so that a too-large file is refused by the page.
"""

from __future__ import annotations

from collections.abc import Sequence

import streamlit as st
from streamlit.runtime.uploaded_file_manager import UploadedFile

DROPZONE = '[data-testid="stFileUploaderDropzone"]'
INSTRUCTIONS = '[data-testid="stFileUploaderDropzoneInstructions"]'


def _css_string(text: str) -> str:
    """`text` as a CSS string literal (our own texts; quotes and backslashes escaped)."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def stylesheet(button: str, instructions: str) -> str:
    """CSS that replaces the uploader's button text and its size-and-type line."""
    return f"""<style>
{DROPZONE} button [data-testid="stMarkdownContainer"] p {{ display: none; }}
{DROPZONE} button [data-testid="stMarkdownContainer"]::after {{
    content: {_css_string(button)};
}}
{INSTRUCTIONS} > div > span {{ display: none; }}
{INSTRUCTIONS} > div::after {{
    content: {_css_string(instructions)};
    font-size: 0.875rem;
}}
</style>"""


def file_uploader(
    label: str, types: Sequence[str], max_mb: float, *, key: str, help: str | None = None
) -> UploadedFile | None:
    """st.file_uploader with Chinese texts: 选择文件, and the size limit and file types
    (`types` are named, not enforced: the caller checks the file it gets)."""
    kinds = "、".join(t.upper() for t in types)
    st.html(stylesheet("选择文件", f"拖放文件到此处，单个文件不超过 {max_mb:g} MB，格式 {kinds}"))
    return st.file_uploader(label, key=key, help=help)
