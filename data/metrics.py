"""The indicators of DESIGN.md §4 (a contract: the codes are fixed) and their targets.

`kind` says how a value reads: a `rate` is numerator/denominator shown as a percentage, a
`count` or a `sum` sits in `numerator` with a null denominator, a `mean` is a ratio shown in
its own unit. Targets are the alert thresholds: read from the settings file (settings.toml,
see data/settings.py; defaults from DESIGN.md §4), never written here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from data.settings import SettingsError, load_settings, unknown_codes


@dataclass(frozen=True)
class Metric:
    code: str
    label: str
    kind: str  # rate, count, sum, mean
    unit: str = ""
    target: float | None = None
    higher_is_better: bool = True


METRICS: tuple[Metric, ...] = (
    Metric("home_coverage", "儿童之家覆盖率", "rate", "%"),
    Metric("demo_homes", "示范性儿童之家", "count", "个"),
    Metric("supervisor_coverage", "儿童督导员配备率", "rate", "%"),
    Metric("director_coverage", "儿童主任配备率", "rate", "%"),
    Metric("female_director_share", "女性委员担任比例", "rate", "%"),
    Metric("dedicated_share", "专人专岗比例", "rate", "%"),
    Metric("certified_rate", "持证上岗率", "rate", "%"),
    Metric("trained_12m", "年度轮训率", "rate", "%"),
    Metric("registered_rate", "实名录入率", "rate", "%"),
    Metric("children_active", "在册儿童", "count", "人"),
    Metric("children_left_behind", "留守儿童", "count", "人"),
    Metric("children_difficulty", "困境儿童", "count", "人"),
    Metric("children_unguarded", "无人监护儿童", "count", "人", higher_is_better=False),
    Metric("visit_rate_90d", "季度探访率", "rate", "%"),
    Metric("open_cases", "在办个案", "count", "件", higher_is_better=False),
    Metric("overdue_cases", "逾期个案", "count", "件", higher_is_better=False),
    Metric("case_closure_days", "平均办结天数", "mean", "天", higher_is_better=False),
    Metric("referral_timely", "转介响应及时率", "rate", "%"),
    Metric("referral_pending", "待响应转介", "count", "件", higher_is_better=False),
    Metric("care_coverage", "关爱行动覆盖率", "rate", "%"),
    Metric("protection_center_ready", "救助保护机构落实率", "rate", "%"),
    Metric("purchase_yuan", "购买服务金额", "sum", "万元"),
)

# Targets come from the settings file; a code there that is no metric is a typo, not a target.
_SETTINGS = load_settings()
_TYPOS = unknown_codes(_SETTINGS, (m.code for m in METRICS))
if _TYPOS:
    raise SettingsError(f"{_SETTINGS.source}: 未知的指标代码 {', '.join(_TYPOS)}")
METRICS = tuple(replace(m, target=_SETTINGS.targets.get(m.code)) for m in METRICS)

BY_CODE: dict[str, Metric] = {m.code: m for m in METRICS}
METRIC_CODES: tuple[str, ...] = tuple(m.code for m in METRICS)


def meets_target(metric: Metric, value: float | None) -> bool | None:
    """True/False against the metric's target; None when there is no target or no value."""
    if metric.target is None or value is None:
        return None
    if metric.higher_is_better:
        return value >= metric.target - 1e-12
    return value <= metric.target + 1e-12


def _missing(x: float | None) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


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
