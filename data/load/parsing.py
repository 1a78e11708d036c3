"""Cell parsers: turn what ledgers really contain into database values, column by column.

Every parser takes a column of raw cells (str from CSV; str, int, float, datetime or bool
from openpyxl) and returns the parsed values plus, per row, a Chinese message when the cell
cannot be understood (None when it parsed or was blank). Blank cells parse to None; whether
that is allowed is the validator's business. All text is NFKC-normalised first, which turns
full-width digits, letters and spaces (０１２, ＡＢ, U+3000) into ASCII.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

import numpy as np
import pandas as pd
from openpyxl.utils.datetime import WINDOWS_EPOCH, from_excel

from data.load import fields as ft
from data.load.idnumber import id_check_digit, is_valid_id_number
from data.load.specs import ENUMS, SYNONYMS

_SPACE_RE = re.compile(r"\s+")
_DATE_RE = re.compile(
    r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$"
)
_SCI_RE = re.compile(r"^\d(?:\.\d+)?E\+?\d+$", re.IGNORECASE)
_TRUE = {"是", "y", "yes", "true", "1", "√", "✓", "✔", "有", "合格", "通过", "t"}
_FALSE = {"否", "n", "no", "false", "0", "×", "✗", "✘", "无", "不合格", "未通过", "f"}
_BRACKETS_RE = re.compile(r"^(.*?)\((.*)\)$")

Parsed = tuple[pd.Series, pd.Series]  # (values, message or None)


def cells(series: pd.Series, fn) -> pd.Series:
    """fn over every cell, kept as Python objects (Series.map would turn [1, None] into
    floats [1.0, NaN])."""
    return pd.Series([fn(v) for v in series.tolist()], index=series.index, dtype=object)


def _none(t: object) -> bool:
    """None or NaN (pandas may turn a None into NaN when it maps a column)."""
    return t is None or (isinstance(t, float) and t != t)


def norm_text(x: object) -> str:
    """NFKC, trimmed; full-width space and digits become ASCII."""
    return unicodedata.normalize("NFKC", str(x)).strip()


def norm_key(x: object) -> str:
    """Key for matching headers and enumeration labels: NFKC, no whitespace, no '*' marks,
    lower case ('* 性别 ' → '性别', '村（社区）代码' → '村(社区)代码')."""
    return _SPACE_RE.sub("", norm_text(x)).replace("*", "").lower()


def _blank(raw: pd.Series) -> pd.Series:
    return cells(
        raw,
        lambda v: (
            v is None
            or (isinstance(v, float) and np.isnan(v))
            or (isinstance(v, str) and not v.strip())
        ),
    ).astype(bool)


def cell_text(v: object) -> str | None:
    """One cell as normalised text (None when blank). Integral floats lose their '.0' (a
    code typed as a number), datetimes become ISO dates."""
    if v is None:
        return None
    if isinstance(v, str):
        t = unicodedata.normalize("NFKC", v).strip()
        return t or None
    if isinstance(v, bool):
        return "是" if v else "否"
    if isinstance(v, float):
        if np.isnan(v):
            return None
        return str(int(v)) if v.is_integer() and abs(v) < 1e16 else repr(v)
    if isinstance(v, datetime):
        return v.date().isoformat()
    return norm_text(v)


def text_of(raw: pd.Series) -> pd.Series:
    """Every cell of a column as cell_text()."""
    return cells(raw, cell_text)


def _empty_messages(index: pd.Index) -> pd.Series:
    return pd.Series([None] * len(index), index=index, dtype=object)


def parse_text(raw: pd.Series) -> Parsed:
    return text_of(raw), _empty_messages(raw.index)


def _by_text(raw: pd.Series, one: Callable[[str], object], message: str) -> Parsed:
    """`one` over the text of every filled cell; `message` where a cell holds text that `one`
    could not turn into a value. The shape of every parser with a single message."""
    text = text_of(raw)
    values = cells(text, lambda t: None if _none(t) else one(t))
    bad = text.notna() & values.isna()
    return values, pd.Series(np.where(bad, message, None), index=raw.index, dtype=object)


def _by_cell(raw: pd.Series, one: Callable[[object], tuple[object, str | None]]) -> Parsed:
    """`one` over every raw cell, returning (value, message): for parsers that must see the
    cell as stored (a date or an ID number typed as a number) and say what is wrong."""
    pairs = [one(v) for v in raw.tolist()]
    values = pd.Series([v for v, _m in pairs], index=raw.index, dtype=object)
    return values, pd.Series([m for _v, m in pairs], index=raw.index, dtype=object)


def parse_int(raw: pd.Series) -> Parsed:
    """Whole numbers: 12, 12.0, '12', '1,200', '１２'."""

    def one(t: str) -> int | None:
        try:
            d = Decimal(t.replace(",", "").replace(" ", ""))
        except InvalidOperation:
            return None
        return int(d) if d == d.to_integral_value() else None

    return _by_text(raw, one, "须为整数")


def parse_money(raw: pd.Series, scale: int = 1) -> Parsed:
    """Amounts in yuan ('1,234.5', '￥800', '800元'); `scale` 10000 for a 万元 column."""

    def one(t: str) -> Decimal | None:
        t = t.replace(",", "").replace("¥", "").replace("元", "").replace(" ", "")
        try:
            d = Decimal(t) * scale
        except InvalidOperation:
            return None
        return d.quantize(Decimal("0.01"), ROUND_HALF_UP) if d.is_finite() else None

    return _by_text(raw, one, "须为金额（数字，单位元）")


def _excel_serial(n: float, epoch: datetime) -> tuple[date | None, str | None]:
    """A whole-day serial number in the workbook's date system (openpyxl's `from_excel`: the
    1900 system counts the 29 February 1900 Excel wrongly shows as serial 60, the 1904 system
    counts from 1904-01-01)."""
    if not (1 <= n < 100_000 and float(n).is_integer()):
        return None, _DATE_HELP
    if n == 60 and epoch == WINDOWS_EPOCH:
        return None, "日期不存在（1900年2月29日）"
    return from_excel(int(n), epoch).date(), None


def parse_date(raw: pd.Series, epoch: datetime = WINDOWS_EPOCH) -> Parsed:
    """Dates as Excel dates, Excel serial numbers (45356, counted from the workbook's `epoch`:
    `Grid.epoch`), text '2024-03-05', '2024/3/5', '2024.3.5', '2024年3月5日', '20240305',
    with or without a time."""
    return _by_cell(raw, lambda v: _one_date(v, epoch))


_DATE_HELP = "无法识别的日期，请填写如 2024-03-05 的格式"


def _one_date(v: object, epoch: datetime) -> tuple[date | None, str | None]:
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return None, None
    if isinstance(v, datetime):
        return v.date(), None
    if isinstance(v, date):
        return v, None
    if isinstance(v, bool):
        return None, _DATE_HELP
    if isinstance(v, int | float):
        if 19000101 <= v <= 21001231 and float(v).is_integer():
            return _ymd(str(int(v)))
        return _excel_serial(float(v), epoch)
    t = unicodedata.normalize("NFKC", str(v)).strip()
    if not t:
        return None, None
    if t.isdigit():
        if len(t) == 8:
            return _ymd(t)
        if len(t) == 5:
            return _excel_serial(float(t), epoch)
        return None, _DATE_HELP
    m = _DATE_RE.match(t)
    if not m:
        return None, _DATE_HELP
    return _make_date(int(m[1]), int(m[2]), int(m[3]))


def _ymd(t: str) -> tuple[date | None, str | None]:
    return _make_date(int(t[:4]), int(t[4:6]), int(t[6:8]))


def _make_date(y: int, m: int, d: int) -> tuple[date | None, str | None]:
    try:
        return date(y, m, d), None
    except ValueError:
        return None, f"日期不存在（{y}年{m}月{d}日）"


def parse_bool(raw: pd.Series) -> Parsed:
    """是/否, Y/N, 1/0, TRUE/FALSE, √/×, 合格/不合格."""

    def one(t: str) -> bool | None:
        k = norm_key(t)
        return True if k in _TRUE else False if k in _FALSE else None

    return _by_text(raw, one, "请填写“是”或“否”")


def enum_lookup(enum: str) -> dict[str, str]:
    """norm_key(label or code or synonym) → code. A label with a bracketed part
    ('亲情关爱（暖心行动）') also matches each part alone ('亲情关爱', '暖心行动')."""
    out: dict[str, str] = {}
    for code, label in ENUMS[enum].items():
        out[norm_key(code)] = code
        out[norm_key(label)] = code
        m = _BRACKETS_RE.match(norm_key(label))
        if m:
            out.setdefault(m[1], code)
            out.setdefault(m[2], code)
    for word, code in SYNONYMS.get(enum, {}).items():
        out.setdefault(norm_key(word), code)
    return out


def parse_enum(raw: pd.Series, enum: str) -> Parsed:
    """Chinese labels (and the English codes, and common synonyms) → codes."""
    lookup = enum_lookup(enum)
    choices = "、".join(ENUMS[enum].values())
    return _by_text(raw, lambda t: lookup.get(norm_key(t)), f"不是有效选项，可选：{choices}")


_CODE_RUN = re.compile(r"(?<!\d)(\d{12}|\d{9}|\d{6})(?!\d)")


def parse_region(raw: pd.Series) -> Parsed:
    """6-, 9- or 12-digit codes; a code inside text ('东湖区…村 360102001001') is taken out."""

    def one(t: str) -> str | None:
        t = t.replace(" ", "")
        if t.isdigit():
            return t if len(t) in (6, 9, 12) else None
        runs = _CODE_RUN.findall(t)
        return runs[0] if len(runs) == 1 else None

    return _by_text(raw, one, "区划代码应为6位（县级及以上）、9位（乡镇）或12位（村、社区）数字")


def parse_id_number(raw: pd.Series) -> Parsed:
    """18-character GB 11643 numbers. A cell Excel stored as a number is reported: a double
    keeps 15 significant digits, so the last digits (and any X check character) are gone."""
    return _by_cell(raw, _one_id)


_LOST = (
    "身份证号以数字格式保存，Excel 只保留15位有效数字，末尾数字或校验码X已丢失；"
    "请把该列设为“文本”格式后重新录入完整的18位号码"
)


def _one_id(v: object) -> tuple[str | None, str | None]:
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return None, None
    if isinstance(v, bool):
        return None, "身份证号应为18位"
    if isinstance(v, float):
        if v >= 1e15:
            return None, _LOST
        v = int(v)
    numeric = isinstance(v, int)
    t = unicodedata.normalize("NFKC", str(v)).strip().replace(" ", "").upper()
    if not t:
        return None, None
    if _SCI_RE.match(t):
        return None, _LOST
    if len(t) == 15 and t.isdigit():
        return None, "这是15位旧身份证号，请填写18位号码"
    if len(t) != 18:
        return None, f"身份证号应为18位（现为{len(t)}位）"
    if not t[:17].isdigit() or not (t[17].isdigit() or t[17] == "X"):
        return None, "身份证号前17位须为数字，末位为数字或X"
    if is_valid_id_number(t):
        return t, None
    if t[17] != id_check_digit(t[:17]):
        if numeric:
            return None, _LOST
        return None, "身份证号校验码不正确（GB 11643），请核对号码"
    return None, "身份证号中的出生日期无效"


def parse_phone(raw: pd.Series) -> Parsed:
    """Digits with optional '-' (landlines), 7-20 characters."""

    def one(t: str) -> str | None:
        t = t.replace(" ", "")
        ok = 7 <= len(t) <= 20 and t.replace("-", "").lstrip("+").isdigit()
        return t if ok else None

    return _by_text(raw, one, "电话号码格式不正确")


def parse_column(
    f: ft.Field, raw: pd.Series, scale: int = 1, epoch: datetime = WINDOWS_EPOCH
) -> Parsed:
    """A ledger column by its field's type; `scale` for a money column (10000 when its header
    says 万元), `epoch` the workbook's date system."""
    t = f.type
    if t == ft.TEXT:
        return parse_text(raw)
    if t in (ft.INT, ft.REF):
        return parse_int(raw)
    if t == ft.MONEY:
        return parse_money(raw, scale)
    if t == ft.DATE:
        return parse_date(raw, epoch)
    if t == ft.BOOL:
        return parse_bool(raw)
    if t == ft.ENUM:
        return parse_enum(raw, f.enum)
    if t == ft.REGION:
        return parse_region(raw)
    if t == ft.ID_NUMBER:
        return parse_id_number(raw)
    if t == ft.PHONE:
        return parse_phone(raw)
    raise ValueError(f"unknown field type {t}")


def is_blank(raw: pd.Series) -> pd.Series:
    """True where the cell holds nothing (None, NaN, whitespace)."""
    return _blank(raw)
