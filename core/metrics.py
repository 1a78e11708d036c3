"""The metrics in force: the registry of core/registry.py with the settings' targets
applied, and the one comparison with a target (DESIGN.md §4).

`METRICS` / `BY_CODE` are the registry's records with `target` replaced by the settings
file's [targets] (which replaces the registry's defaults as a whole when present). Every
"does this value meet its target" in the app goes through `meets_target` / `target_status`
with one tolerance (TOLERANCE), and every gap through `gap_count`.
"""

from __future__ import annotations

import math
from dataclasses import replace

from core.registry import KINDS, REGISTRY, Metric
from core.settings import SettingsError, load_settings, unknown_codes

__all__ = [
    "BY_CODE",
    "KINDS",
    "METRICS",
    "METRIC_CODES",
    "TOLERANCE",
    "Metric",
    "gap_count",
    "meets_target",
    "small_sample",
    "target_status",
    "window_column",
    "window_lengths",
]

# Equal to the target within this is on the target (a rate stored as 0.9 may read back as
# 0.8999999999999999 after a division).
TOLERANCE = 1e-9

# Targets come from the settings file; a code there that is no metric is a typo, not a target.
_SETTINGS = load_settings()
_TYPOS = unknown_codes(_SETTINGS, (m.code for m in REGISTRY))
if _TYPOS:
    raise SettingsError(f"{_SETTINGS.source}: 未知的指标代码 {', '.join(_TYPOS)}")
METRICS: tuple[Metric, ...] = tuple(
    replace(m, target=_SETTINGS.targets.get(m.code)) for m in REGISTRY
)

BY_CODE: dict[str, Metric] = {m.code: m for m in METRICS}
METRIC_CODES: tuple[str, ...] = tuple(m.code for m in METRICS)


def window_lengths() -> tuple[int, ...]:
    """The distinct window lengths of the metrics over "the N days ending D", ascending:
    each is a column `d_minus_<N>` of the period rows (read at call time, so a window
    changed in the registry is the only edit)."""
    return tuple(sorted({m.window_days for m in BY_CODE.values() if m.window_days}))


def window_column(days: int) -> str:
    """The period rows' column holding D − `days`."""
    return f"d_minus_{int(days)}"


def meets_target(metric: Metric, value: float | None, target: float | None = None) -> bool | None:
    """True/False against the target (default: the metric's); None when there is no target
    or no value. The one comparison: "at least" for higher_is_better, else "at most", equal
    within TOLERANCE meeting it."""
    t = metric.target if target is None else target
    if t is None or _missing(value):
        return None
    if metric.higher_is_better:
        return bool(value >= t - TOLERANCE)  # a plain bool, also for numpy values
    return bool(value <= t + TOLERANCE)


def target_status(metric: Metric, value: float | None, target: float | None = None) -> str:
    """'met' / 'missed' against the target, 'no_target', or 'no_data' (null value)."""
    t = metric.target if target is None else target
    if t is None:
        return "no_target"
    met = meets_target(metric, value, t)
    if met is None:
        return "no_data"
    return "met" if met else "missed"


def _missing(x: float | None) -> bool:
    """None or NaN (a float NaN or numpy's)."""
    return x is None or (isinstance(x, float | int) and math.isnan(x)) or x != x


def gap_count(
    metric: Metric,
    value: float | None,
    denominator: float | None,
    target: float | None = None,
) -> int | None:
    """缺口: how many units a region is short of the metric's target (DESIGN.md §4).

    A rate below its target: ⌈(target − value) × denominator⌉, the villages, townships,
    staff, children or referrals still missing (a rate above an "at most" target the
    reverse); a count: its distance from the target, which for a target of 0 (overdue cases)
    is the count itself; 0 when the target is met; None without a target or a value (a
    zero denominator), and for means and sums, whose distance is no number of units.
    The product is rounded to 6 decimals before the ceiling, so that 90% of 100 villages
    with 85 covered is 5 short, not 6 (0.9 × 100 is 90.00000000000001 in floating point)."""
    t = metric.target if target is None else target
    if t is None or _missing(value):
        return None
    if metric.kind == "rate":
        if _missing(denominator) or not denominator:
            return None
        short = (t - value if metric.higher_is_better else value - t) * denominator
    elif metric.kind == "count":
        short = t - value if metric.higher_is_better else value - t
    else:
        return None
    return max(0, math.ceil(round(short, 6)))


def small_sample(metric: Metric, denominator: float | None, min_sample: float) -> bool:
    """A rate over fewer than `min_sample` units (样本较小): one late referral of one makes
    0%, so such a region is listed but never heads a list ranked by gap."""
    return metric.kind == "rate" and not _missing(denominator) and 0 < denominator < min_sample
