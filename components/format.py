"""Chinese number and date formatting (DESIGN.md §9). Pure functions, no Streamlit.

Rates are stored as fractions (0.923) and shown as 92.3%; counts with thousands separators
and a unit (12,345 人); money is stored in yuan and shown in 万元 with one decimal; a mean
in its own unit (12.3 天). A missing value is "—", and `null_reason` says why, for a tooltip.
`md_text` makes imported text (region, home, staff names) literal inside Markdown.
"""

from __future__ import annotations

import re
import string
from datetime import date, datetime

import pandas as pd

from core.metrics import BY_CODE, Metric

DASH = "—"

# Status colours, colour-blind safe (Okabe-Ito), always paired with a symbol and a word.
STATUS_COLORS = {
    "met": "#0072B2",  # blue
    "near": "#E69F00",  # orange
    "missed": "#D55E00",  # vermilion
    "no_target": "#999999",
    "no_data": "#BBBBBB",
}
STATUS_LABELS = {
    "met": "✓ 达标",
    "near": "▲ 接近目标",
    "missed": "× 未达标",
    "no_target": "— 无目标",
    "no_data": "— 无数据",
}
SMALL_SAMPLE = "样本较小"
# The rule of core/metrics.py gap_count in words, for the ⓘ help of cards and gap lists.
GAP_HELP = (
    "缺口 = 还差多少个单位才达到目标：比率类指标为（目标 − 实际）× 分母，向上取整，即还差多少个村、"
    "乡镇、人员、儿童或转介；目标为 0 的逾期个案为逾期件数本身；达标为 0。"
    "预警和“跌破目标”按缺口从大到小排列；分母不足 {min_sample:g} 个的比率标“样本较小”，"
    "照常列出但排在其他地区之后。"
)


# Every ASCII punctuation mark may be backslash-escaped in CommonMark and then is plain text:
# that disarms images, links, emphasis, HTML, tables, math and Streamlit's :color[...]
# directives. Streamlit also rewrites plain text after parsing (:material/…: icons, :emoji:
# shortcodes, the :streamlit: logo, "->" arrows): a word joiner (U+2060, invisible) after
# such a colon or arrow character breaks those patterns without changing what a reader sees.
_MD_PUNCT = re.compile("([" + re.escape(string.punctuation) + "])")
_MD_REWRITTEN = re.compile(r"(?<=\\:)(?=\\?[\w+-])|(?<=\\[<>~-])(?=\\[=>-])")
_LINE_BREAK = re.compile(r"\r\n|[\r\n\u2028\u2029]")
WORD_JOINER = "\u2060"


def md_text(value: object) -> str:
    """`value` as literal text inside st.markdown, st.caption, alerts, labels and help texts:
    data from imported ledgers must never become an image fetched by every viewer, a link,
    HTML or formatting. Normal Chinese names come back unchanged ('东湖区'); line breaks
    become spaces (the text sits inside one line of Markdown)."""
    text = _LINE_BREAK.sub(" ", str(value))
    return _MD_REWRITTEN.sub(WORD_JOINER, _MD_PUNCT.sub(r"\\\1", text))


def is_null(x: object) -> bool:
    """None, NaN and pandas NA all count as missing."""
    if x is None:
        return True
    try:
        return bool(pd.isna(x))
    except (TypeError, ValueError):
        return False


def _metric(metric: Metric | str) -> Metric:
    return BY_CODE[metric] if isinstance(metric, str) else metric


def fmt_rate(x: float | None, digits: int = 1) -> str:
    """0.923 -> '92.3%'."""
    return DASH if is_null(x) else f"{x * 100:.{digits}f}%"


def fmt_count(x: float | None, unit: str = "") -> str:
    """12345 -> '12,345 人' (rounded to a whole number)."""
    if is_null(x):
        return DASH
    text = f"{round(x):,d}"
    return f"{text} {unit}" if unit else text


def fmt_wan_yuan(yuan: float | None) -> str:
    """Yuan -> '1,234.6 万元'."""
    return DASH if is_null(yuan) else f"{yuan / 10_000:,.1f} 万元"


def fmt_scaled(metric: Metric, x: float | None) -> str:
    """A stored value in the metric's shown unit and scale ('1,234.6 万元' for yuan)."""
    return DASH if is_null(x) else f"{x / metric.scale:,.1f} {metric.unit}".rstrip()


def fmt_days(x: float | None) -> str:
    """12.34 -> '12.3 天'."""
    return DASH if is_null(x) else f"{x:,.1f} 天"


def fmt_value(metric: Metric | str, x: float | None) -> str:
    """A metric value in its own unit."""
    m = _metric(metric)
    if m.kind == "rate":
        return fmt_rate(x)
    if m.scale != 1:
        return fmt_scaled(m, x)
    if m.kind == "mean":
        return DASH if is_null(x) else f"{x:,.1f} {m.unit}".rstrip()
    return fmt_count(x, m.unit)


def _signed(x: float, fmt: str) -> str:
    text = format(abs(x), fmt)
    return f"+{text}" if x > 0 else f"-{text}"


def change_is_zero(metric: Metric | str, change: float | None) -> bool:
    """True when the change rounds to zero at display precision."""
    if is_null(change):
        return False
    m = _metric(metric)
    if m.kind == "rate":
        return round(change * 100, 1) == 0
    if m.scale != 1:
        return round(change / m.scale, 1) == 0
    if m.kind == "mean":
        return round(change, 1) == 0
    return round(change) == 0


def fmt_delta(metric: Metric | str, change: float | None) -> str:
    """Signed change vs the previous period: rates in percentage points ('+1.2 个百分点'),
    counts in their unit ('-35 人'), money in 万元, means in their unit; '持平' when it rounds
    to zero, '—' when there is no previous value."""
    m = _metric(metric)
    if is_null(change):
        return DASH
    if change_is_zero(m, change):
        return "持平"
    if m.kind == "rate":
        return f"{_signed(change * 100, '.1f')} 个百分点"
    if m.scale != 1:
        return f"{_signed(change / m.scale, ',.1f')} {m.unit}"
    if m.kind == "mean":
        return f"{_signed(change, ',.1f')} {m.unit}".rstrip()
    return f"{_signed(round(change), ',d')} {m.unit}".rstrip()


def fmt_change_arrow(metric: Metric | str, change: float | None) -> str:
    """The same change with an arrow for tables and slides: '↑1.2个百分点', '↓35 人', '持平'."""
    text = fmt_delta(metric, change)
    if text in (DASH, "持平"):
        return text
    arrow = "↑" if text.startswith("+") else "↓"
    return arrow + text[1:].replace(" 个百分点", "个百分点")


def fmt_target(metric: Metric | str) -> str:
    """'目标 ≥ 90.0%', '目标 100%', '目标 0 件'; '' when the metric has no target."""
    m = _metric(metric)
    if m.target is None:
        return ""
    if m.kind == "rate":
        if m.target >= 1.0 - 1e-12 and m.higher_is_better:
            return "目标 100%"
        return f"目标 {'≥' if m.higher_is_better else '≤'} {fmt_rate(m.target)}"
    if m.target == 0 and not m.higher_is_better:
        return f"目标 0 {m.unit}".rstrip()
    return f"目标 {'≥' if m.higher_is_better else '≤'} {fmt_value(m, m.target)}"


def fmt_gap(metric: Metric | str, gap: float | None, small: bool = False) -> str:
    """'缺口 37 个村（社区）', '缺口 118 件' (with '，样本较小' for a small sample); '' when
    there is no gap (target met, no target or no value)."""
    if is_null(gap) or gap <= 0:
        return ""
    m = _metric(metric)
    unit = m.gap_unit or m.unit
    text = f"缺口 {round(gap):,} {unit}".rstrip()
    return f"{text}，{SMALL_SAMPLE}" if small else text


def status_label(status: str) -> str:
    """'met' -> '✓ 达标' (symbol and word: colour is never the only signal)."""
    return STATUS_LABELS.get(status, STATUS_LABELS["no_data"])


def null_reason(
    metric: Metric | str,
    numerator: float | None = None,
    denominator: float | None = None,
    found: bool = True,
) -> str:
    """Why a value is '—': no snapshot row at all, or a rate/mean with nothing to divide by."""
    m = _metric(metric)
    if not found:
        return "本期无数据：该地区本月尚未生成指标汇总。"
    if m.kind in ("rate", "mean") and (is_null(denominator) or denominator == 0):
        noun = m.denominator_noun or "统计对象"
        return f"无法计算：该地区没有{noun}（分母为 0）。"
    return "暂无数据。"


def fmt_period(period: str) -> str:
    """'2026-10' -> '2026年10月'."""
    year, month = period.split("-")
    return f"{int(year)}年{int(month)}月"


def fmt_date(d: date | datetime | str | None) -> str:
    """A date as '2026-10-31'; '—' when missing."""
    if d is None or d == "":
        return DASH
    if isinstance(d, datetime):
        d = d.date()
    if isinstance(d, date):
        return d.isoformat()
    return str(d)[:10]


def fmt_date_cn(d: date | datetime | str | None) -> str:
    """A date as '2026年10月31日'; '—' when missing."""
    text = fmt_date(d)
    if text == DASH:
        return text
    y, m, dd = text.split("-")
    return f"{int(y)}年{int(m)}月{int(dd)}日"
