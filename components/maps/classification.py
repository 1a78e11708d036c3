"""Legend classes of a map: which class each region's value falls in, and the class's label and
colour. Shared by the choropleth (components/maps/plotly_map.py) and the 3-D view
(components/maps/pydeck_map.py), so both colour a region the same way.

Colour carries status only for metrics with a target (three colour-blind-safe colours, always
with the words 达标 / 接近目标 / 未达标, compared through `core.metrics.meets_target`; a count
target such as 逾期个案 0 件 has 达标 and graded shades of 未达标 instead); other
metrics use one sequential hue (quantile or natural-breaks classes); null values get their own
grey class 无数据.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from components import format as fmt
from core.metrics import BY_CODE, Metric, meets_target

# Status colours and words are shared with the KPI cards (components/format.py): the same
# colour-blind-safe three everywhere, always with a symbol and a word.
STATUS_COLORS: dict[str, str] = {s: fmt.STATUS_COLORS[s] for s in ("met", "near", "missed")}
STATUS_LABELS: dict[str, str] = {s: fmt.STATUS_LABELS[s] for s in ("met", "near", "missed")}
NO_DATA_COLOR = fmt.STATUS_COLORS["no_data"]
NO_DATA_LABEL = "无数据"
# One hue, light to dark (ColorBrewer Purples without its near-white step, so the lightest
# class still reads as data against the page and the grey of 无数据).
SEQUENTIAL_COLORS: tuple[str, ...] = ("#dadaeb", "#bcbddc", "#9e9ac8", "#756bb1", "#54278f")
NEAR_BAND = 0.05  # a rate within 5 percentage points of its target is 接近目标
# Misses of a count target, graded light to dark, the darkest the 未达标 colour itself.
MISSED_RAMP: tuple[str, ...] = ("#f9c9a7", "#f0a070", "#e37a3a", STATUS_COLORS["missed"])
MISSED_CLASSES = len(MISSED_RAMP)


# ---------------------------------------------------------------------------------------------
# Formatting


def format_value(metric: Metric | str, value: Any) -> str:
    """A value as the UI shows it (components/format.py): 92.3% for rates, 12,345 人 for
    counts, 12.3 万元 for money (stored in yuan), 12.3 天 for means, and — for no value."""
    return fmt.fmt_value(metric, None if fmt.is_null(value) else float(value))


# ---------------------------------------------------------------------------------------------
# Classes


@dataclass(frozen=True)
class LegendClass:
    """One legend entry: its Chinese label, colour, and status (met/near/missed, None for a
    sequential class, "no_data" for the grey class)."""

    label: str
    color: str
    status: str | None = None

    @property
    def status_text(self) -> str:
        """What a hover or tooltip says besides the value: the status word (✓ 达标) or 无数据;
        nothing for a sequential class, whose range the legend already shows."""
        if self.status is None:
            return ""
        return self.label.split("（")[0]


@dataclass(frozen=True)
class Classification:
    """Class index per value (same order as the input) and the classes; the last class is
    always 无数据."""

    index: list[int]
    classes: list[LegendClass]

    @property
    def no_data(self) -> int:
        return len(self.classes) - 1


def _target_classes(
    values: pd.Series, metric: Metric, near_band: float
) -> tuple[list[int], list[LegendClass]]:
    """达标 / 接近目标 / 未达标 against the metric's target. The near band applies to rates
    (percentage points); a count target (e.g. 0 overdue cases) is met or missed."""
    t = float(metric.target)
    band = near_band if metric.kind == "rate" else 0.0
    show = lambda v: format_value(metric, v)  # noqa: E731
    if metric.higher_is_better:
        labels = {
            "met": f"≥{show(t)}",
            "near": f"{show(t - band)}–{show(t)}",
            "missed": f"<{show(t - band)}",
        }
    else:
        labels = {
            "met": f"≤{show(t)}",
            "near": f"{show(t)}–{show(t + band)}",
            "missed": f">{show(t + band)}",
        }
    if band == 0:
        return _met_then_graded(values, metric, t, labels["met"])
    order = ["met", "near", "missed"]
    classes = [
        LegendClass(f"{STATUS_LABELS[s]}（{labels[s]}）", STATUS_COLORS[s], s) for s in order
    ]
    position = {s: i for i, s in enumerate(order)}
    out: list[int] = []
    for v in values:
        if fmt.is_null(v):
            out.append(len(order))
            continue
        v = float(v)
        if meets_target(metric, v, t):
            out.append(position["met"])
        elif meets_target(metric, v, t - band if metric.higher_is_better else t + band):
            out.append(position["near"])  # within the band of the target
        else:
            out.append(position["missed"])
    return out, classes


def _met_then_graded(
    values: pd.Series, metric: Metric, target: float, met_label: str
) -> tuple[list[int], list[LegendClass]]:
    """A count target (逾期个案 0 件): 达标 in its own colour, and the misses graded on a
    light-to-dark vermilion ramp by natural breaks (at most MISSED_CLASSES), so a map where
    nearly every county misses is not one flat orange: 1 件 and 20 件 differ at a glance."""
    classes = [LegendClass(f"{STATUS_LABELS['met']}（{met_label}）", STATUS_COLORS["met"], "met")]
    floats = [None if fmt.is_null(v) else float(v) for v in values]
    missed = np.array([v for v in floats if v is not None and not meets_target(metric, v, target)])
    uppers: list[float] = []
    if missed.size:
        uppers = natural_breaks(missed, min(MISSED_CLASSES, len(np.unique(missed))))
        ramp = MISSED_RAMP[len(MISSED_RAMP) - len(uppers) :]
        if metric.higher_is_better:  # the worst miss is the smallest value: darkest first
            ramp = ramp[::-1]
        for i, hi in enumerate(uppers):
            members = missed[(missed <= hi) & (missed > (uppers[i - 1] if i else -np.inf))]
            lo_s, hi_s = format_value(metric, members.min()), format_value(metric, members.max())
            span = lo_s if lo_s == hi_s else f"{_drop_shared_unit(lo_s, hi_s)}–{hi_s}"
            classes.append(LegendClass(f"{STATUS_LABELS['missed']}（{span}）", ramp[i], "missed"))
    out: list[int] = []
    for v in floats:
        if v is None:
            out.append(len(classes))
        elif meets_target(metric, v, target):
            out.append(0)
        else:
            out.append(1 + int(np.searchsorted(np.array(uppers), v, side="left")))
    return out, classes


def natural_breaks(values: Sequence[float], k: int) -> list[float]:
    """Fisher-Jenks natural breaks: the k classes of sorted values with the least total
    within-class variance. Returns the upper bound of each class. Exact dynamic programme,
    O(k·n²): fine for the ~100 values of a county map."""
    x = np.sort(np.asarray(values, dtype=float))
    n = len(x)
    k = max(1, min(k, len(np.unique(x))))
    csum, csq = np.concatenate([[0], np.cumsum(x)]), np.concatenate([[0], np.cumsum(x * x)])

    def sse(i: int, j: int) -> float:  # values x[i..j] inclusive
        s, q, m = csum[j + 1] - csum[i], csq[j + 1] - csq[i], j - i + 1
        return q - s * s / m

    cost = np.full((k + 1, n), np.inf)
    split = np.zeros((k + 1, n), dtype=int)
    for j in range(n):
        cost[1, j] = sse(0, j)
    for c in range(2, k + 1):
        for j in range(c - 1, n):
            for i in range(c - 1, j + 1):  # the last class is x[i..j]
                total = cost[c - 1, i - 1] + sse(i, j)
                if total < cost[c, j]:
                    cost[c, j], split[c, j] = total, i
    uppers, j = [], n - 1
    for c in range(k, 0, -1):
        uppers.append(float(x[j]))
        j = split[c, j] - 1
    return sorted(uppers)


def _sequential_classes(
    values: pd.Series, metric: Metric, method: str, k: int
) -> tuple[list[int], list[LegendClass]]:
    """Quantile (equal counts) or natural-breaks classes, labelled with the smallest and the
    largest value each class actually holds, on one sequential hue."""
    present = np.array([float(v) for v in values if not fmt.is_null(v)])
    if present.size == 0:
        return [0] * len(values), []
    k = max(1, min(k, len(np.unique(present))))
    if method == "natural":
        uppers = natural_breaks(present, k)
    elif method == "quantile":
        uppers = sorted(set(np.quantile(present, np.linspace(0, 1, k + 1))[1:].tolist()))
    else:
        raise ValueError(f"unknown classification method {method!r}")
    # Class of a value: the first class whose upper bound it does not exceed.
    class_of = np.searchsorted(np.array(uppers), present, side="left")
    used = sorted(set(class_of.tolist()))
    renumber = {old: new for new, old in enumerate(used)}
    palette_idx = (
        [2] if len(used) == 1 else np.round(np.linspace(0, 4, len(used))).astype(int).tolist()
    )
    classes = []
    for new, old in enumerate(used):
        members = present[class_of == old]
        lo, hi = format_value(metric, members.min()), format_value(metric, members.max())
        label = lo if lo == hi else f"{_drop_shared_unit(lo, hi)}–{hi}"
        classes.append(LegendClass(label, SEQUENTIAL_COLORS[palette_idx[new]]))
    out, it = [], iter(class_of.tolist())
    for v in values:
        out.append(len(classes) if fmt.is_null(v) else renumber[next(it)])
    return out, classes


def _drop_shared_unit(lo: str, hi: str) -> str:
    """'1 件' before '3 件' reads '1–3 件': a unit after a space is said once."""
    if " " in lo and lo.rsplit(" ", 1)[1] == hi.rsplit(" ", 1)[-1]:
        return lo.rsplit(" ", 1)[0]
    return lo


def classify(
    values: Sequence[Any] | pd.Series,
    metric: Metric | str,
    scheme: str = "auto",
    near_band: float = NEAR_BAND,
    k: int = 5,
) -> Classification:
    """Legend classes for a metric's values.

    scheme "auto": target classes (达标 / 接近目标 / 未达标) when the metric has a target,
    else quantile classes; "target", "quantile" or "natural" force one. Null values go to
    the last class, 无数据, always present so its colour is fixed.
    """
    m = BY_CODE[metric] if isinstance(metric, str) else metric
    series = pd.Series(list(values), dtype=object)
    if scheme == "auto":
        scheme = "target" if m.target is not None else "quantile"
    if scheme == "target":
        if m.target is None:
            raise ValueError(f"指标 {m.label} 没有目标值，不能按达标分级")
        index, classes = _target_classes(series, m, near_band)
    else:
        index, classes = _sequential_classes(series, m, scheme, k)
    classes = [*classes, LegendClass(NO_DATA_LABEL, NO_DATA_COLOR, "no_data")]
    return Classification(index=index, classes=classes)
