"""Reading a ledger file into a grid of raw cells, after checking it is what it claims.

Refused before parsing (a `Refusal`, nothing read further): a file over the size limit; an
.xlsx that is not a zip, is an old .xls, has no workbook, or whose members would unpack to
more than the limit or at a suspicious ratio (a zip bomb: checked from the central directory
before openpyxl opens it; Python's zipfile also stops at the declared size, so a lying
header cannot unpack more); a .csv that is binary (NUL bytes, a known binary signature) or in
an encoding other than UTF-8 (with or without BOM), GBK/GB18030 or UTF-16 with BOM; a sheet
with more data rows than the limit.

Excel files are read with python-calamine when installed (a Rust reader, about ten times
faster than openpyxl on a 100,000-row sheet), else openpyxl in read-only mode; values only
(cached formula results). CSV with the standard csv module.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import datetime
from itertools import islice

import pandas as pd
from openpyxl.utils.datetime import MAC_EPOCH, WINDOWS_EPOCH

from core.settings import environment
from data.load.errors import Refusal, refusal

MiB = 1024 * 1024
MAX_COLUMNS = 200  # columns read per row; ledgers have ~20
MAX_TRAILING_BLANKS = 2000  # consecutive blank rows after which a sheet is taken to end
HEADER_SCAN_ROWS = 30
NOTES_SHEETS = ("填写说明", "说明", "notes")

_BINARY_SIGNATURES = {
    b"PK\x03\x04": "Excel 或压缩文件",
    b"\xd0\xcf\x11\xe0": "旧版 Excel（.xls）或 Word 文件",
    b"%PDF": "PDF 文件",
    b"\x89PNG": "PNG 图片",
    b"\xff\xd8\xff": "JPEG 图片",
    b"GIF8": "GIF 图片",
    b"\x1f\x8b": "gzip 压缩文件",
    b"7z\xbc\xaf": "7z 压缩文件",
    b"Rar!": "RAR 压缩文件",
    b"MZ": "可执行程序",
    b"\x7fELF": "可执行程序",
}


@dataclass(frozen=True)
class Limits:
    """What a file may be. Defaults suit a county ledger (a 100,000-row sheet is ~5 MB)."""

    max_bytes: int = 20 * MiB
    max_rows: int = 200_000
    max_unzipped_bytes: int = 400 * MiB
    max_ratio: float = 200.0  # uncompressed/compressed per zip member (xlsx XML: ~5-60)
    max_members: int = 2000

    @classmethod
    def from_env(cls) -> Limits:
        """`LOAD_MAX_FILE_MB`, `LOAD_MAX_ROWS` (deployment settings, validated by
        core/settings.py `Environment`: an unusable value keeps the default)."""
        env = environment()
        return cls(max_bytes=int(env.load_max_file_mb * MiB), max_rows=int(env.load_max_rows))


@dataclass
class Grid:
    """One sheet's raw cells: rows as lists, with their 1-based physical row numbers, and the
    date system that numbers in date columns count from (a workbook's 1900 or 1904 system;
    CSV has none, so 1900 as Excel writes it)."""

    sheet: str
    rows: list[list[object]]
    row_numbers: list[int]
    epoch: datetime = WINDOWS_EPOCH


def file_format(file_name: str) -> str:
    """'xlsx' or 'csv' from the name; anything else is refused."""
    lower = file_name.lower()
    if lower.endswith(".xlsx"):
        return "xlsx"
    if lower.endswith(".csv"):
        return "csv"
    if lower.endswith(".xls"):
        raise refusal("不支持旧版 Excel（.xls）文件。请在 Excel 中“另存为” .xlsx 格式后再导入。")
    raise refusal("只能导入 .xlsx（Excel）或 .csv 文件。")


def upload_refusal(file_name: str, size: int, limits: Limits) -> str | None:
    """Why a chosen file cannot be imported at all (its type or its size), in Chinese, or
    None: the data page says so as soon as the file is chosen, before any button."""
    try:
        file_format(file_name)
        check_size(size, limits)
    except Refusal as r:
        return r.problems[0].message
    return None


def check_size(size: int, limits: Limits) -> None:
    if size > limits.max_bytes:
        raise refusal(
            f"文件过大（{size / MiB:.1f} MB），超过上限 {limits.max_bytes / MiB:.0f} MB。"
            "请按县（市、区）拆分后分批导入。"
        )
    if size == 0:
        raise refusal("文件是空的。")


def _check_zip(data: bytes, limits: Limits) -> zipfile.ZipFile:
    if data[:4] == b"\xd0\xcf\x11\xe0":
        raise refusal(
            "这是旧版 Excel（.xls）文件，只是扩展名为 .xlsx。请在 Excel 中“另存为” .xlsx 后再导入。"
        )
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise refusal("文件不是有效的 .xlsx（Excel 2007 及以上）文件，可能已损坏或只是改了扩展名。")
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        raise refusal("文件不是有效的 .xlsx 文件（压缩结构损坏）。") from None
    if len(infos) > limits.max_members:
        raise refusal("文件内部结构异常（包含的部件过多），已拒收。")
    total = sum(i.file_size for i in infos)
    if total > limits.max_unzipped_bytes:
        raise refusal(
            f"文件解压后过大（{total / MiB:,.0f} MB，上限 {limits.max_unzipped_bytes / MiB:.0f} MB），"
            "可能是异常或恶意文件，已拒收。"
        )
    for i in infos:
        if i.file_size > MiB and i.file_size > limits.max_ratio * max(i.compress_size, 1):
            raise refusal("文件压缩比异常（疑似“压缩炸弹”），已拒收。请用 Excel 重新保存后再导入。")
    names = {i.filename for i in infos}
    if "xl/workbook.xml" not in names:
        raise refusal("压缩包中没有 Excel 工作簿，这不是 .xlsx 文件。")
    return zf


_DATE1904_RE = re.compile(rb"<(?:\w+:)?workbookPr\b[^>]*\bdate1904\s*=\s*[\"'](?:1|true)[\"']")


def workbook_epoch(zf: zipfile.ZipFile) -> datetime:
    """1904-01-01 when the workbook uses the 1904 date system (`<workbookPr date1904="1">`,
    older Mac Excel), else Excel's 1900 system. The readers convert date-formatted cells
    themselves; this is for dates stored as plain numbers."""
    with zf.open("xl/workbook.xml") as f:
        head = f.read(65536)  # workbookPr comes near the top
    return MAC_EPOCH if _DATE1904_RE.search(head) else WINDOWS_EPOCH


def _openpyxl_sheets(data: bytes) -> list[tuple[str, Callable[[], Iterator]]]:
    import openpyxl

    wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    return [(ws.title, lambda ws=ws: ws.iter_rows(values_only=True)) for ws in wb.worksheets]


def _calamine_sheets(data: bytes) -> list[tuple[str, Callable[[], Iterator]]]:
    """calamine skips leading empty columns: pad them back so letters match Excel's."""
    from python_calamine import CalamineWorkbook

    wb = CalamineWorkbook.from_filelike(io.BytesIO(data))
    out = []
    for i, name in enumerate(wb.sheet_names):
        sheet = wb.get_sheet_by_index(i)
        pad = [None] * (sheet.start[1] if sheet.start else 0)
        out.append((name, lambda sheet=sheet, pad=pad: (pad + row for row in sheet.iter_rows())))
    return out


def xlsx_reader() -> str:
    """'calamine' (Rust, ~10x faster on big sheets) when installed, else 'openpyxl';
    `LOAD_XLSX_READER` forces one."""
    forced = environment().load_xlsx_reader
    if forced is not None:
        return forced
    try:
        import python_calamine  # noqa: F401
    except ImportError:
        return "openpyxl"
    return "calamine"


def read_xlsx(data: bytes, limits: Limits, score) -> Grid:
    """The sheet whose first rows best match the ledger's headers (`score(rows) -> int`);
    the notes sheet of our templates is skipped. Values only (cached formula results)."""
    epoch = workbook_epoch(_check_zip(data, limits))
    opener = _calamine_sheets if xlsx_reader() == "calamine" else _openpyxl_sheets
    try:
        sheets = [(t, rows) for t, rows in opener(data) if t.strip().lower() not in NOTES_SHEETS]
        if not sheets:
            raise refusal("工作簿中没有可导入的工作表。")
        best = sheets[0]
        if len(sheets) > 1:
            best = max(
                sheets, key=lambda sh: score([list(r) for r in islice(sh[1](), HEADER_SCAN_ROWS)])
            )
        return replace(_collect(best[0], best[1](), limits), epoch=epoch)
    except Refusal:
        raise
    except Exception:  # the readers raise many types on a damaged workbook
        raise refusal(
            "无法打开该 Excel 文件，可能已损坏。请用 Excel 打开后重新保存再导入。"
        ) from None


def _collect(sheet: str, rows_iter, limits: Limits) -> Grid:
    """Keep non-blank rows (with their numbers), stop after a long blank run, refuse past
    the row limit (the header rows above the data are allowed for)."""
    rows: list[list[object]] = []
    numbers: list[int] = []
    blanks = 0
    for n, row in enumerate(rows_iter, start=1):
        cells = list(row[:MAX_COLUMNS])
        if all(c is None or (isinstance(c, str) and not c.strip()) for c in cells):
            blanks += 1
            if blanks > MAX_TRAILING_BLANKS:
                break
            continue
        blanks = 0
        rows.append(cells)
        numbers.append(n)
        if len(rows) > limits.max_rows + HEADER_SCAN_ROWS:
            raise refusal(
                f"文件行数超过上限（{limits.max_rows:,} 行）。请按县（市、区）或月份拆分后分批导入。",
                sheet=sheet,
            )
    return Grid(sheet, rows, numbers)


def decode_csv(data: bytes) -> str:
    """UTF-8 (BOM or not), UTF-16 with BOM, else GB18030 (a superset of GBK); binary refused."""
    for sig, what in _BINARY_SIGNATURES.items():
        if data.startswith(sig):
            raise refusal(
                f"文件扩展名为 .csv，但内容是{what}，不是文本表格。请确认文件类型后再导入。"
            )
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            raise refusal("无法识别文件编码。请将 CSV 保存为 UTF-8 或 GBK 编码。") from None
    if b"\x00" in data[:65536]:
        raise refusal("文件扩展名为 .csv，但内容是二进制数据，不是文本表格。")
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        controls = sum(1 for ch in text[:65536] if ord(ch) < 32 and ch not in "\t\r\n")
        if controls > 8:
            raise refusal("文件扩展名为 .csv，但内容含大量控制字符，不是文本表格。")
        return text
    raise refusal("无法识别文件编码。请将 CSV 保存为 UTF-8 或 GBK 编码后再导入。")


def read_csv(data: bytes, limits: Limits) -> Grid:
    text = decode_csv(data)
    sample = text[:8192]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",\t;|")
        delimiter = dialect.delimiter
    except csv.Error:
        delimiter = ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        return _collect("", ([c if c != "" else None for c in r] for r in reader), limits)
    except csv.Error:
        raise refusal("CSV 文件格式错误（引号不配对或字段过长），无法读取。") from None


def to_frame(rows: list[list[object]], numbers: list[int], width: int) -> pd.DataFrame:
    """Rows padded to `width` columns, indexed by spreadsheet row number."""
    padded = [(r + [None] * width)[:width] for r in rows]
    return pd.DataFrame(
        padded,
        index=pd.Index(numbers, name="row", dtype="int64"),
        columns=range(width),
        dtype=object,
    )


def column_letter(i: int) -> str:
    """0 → A, 25 → Z, 26 → AA."""
    s = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        s = chr(65 + r) + s
    return s
