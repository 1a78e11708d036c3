"""The metric registry: what each indicator of DESIGN.md §4 *is*, one record per metric.

This is the one place a metric is defined. The rollup, the live drill-down, cards, tables,
maps, slides, the workbook, alerts, rankings and gap counts all read these records; adding
a metric is one record here and its SQL in the family it names (metric_engine), nothing
else (tests/test_registry.py fails when a consumer lacks what it needs).

A record holds (Superset's metric as one record: name, label, description, format,
expression):
- `code` (the contract name), `label` (中文), `definition` (the ⓘ help, one line);
- `kind`: a `rate` is numerator/denominator shown as a percentage; a `count` or a `sum`
  sits in `numerator` with a null denominator; a `mean` is a ratio in its own unit;
- `unit` as shown, and `scale`: stored value ÷ scale = the shown number (money is stored
  in 元 and shown in 万元, scale 10,000; a rate is a fraction, shown × 100 by its kind);
- `target` (the DESIGN.md §4 default; settings.toml [targets] may replace the defaults as a
  whole) and `higher_is_better` (the direction of "meets the target");
- `window_days` for metrics over "the N days ending D" (the period rows get one window
  column per length, `d_minus_<N>`, derived from here);
- `denominator_noun` (what a rate's or mean's denominator counts, for "why is this —")
  and `gap_unit` (one unit of a gap: "缺口 37 个村（社区）");
- `family`: the metric_engine family whose wide SELECT computes it;
- `alert_weight` and `composite_weight`: the default weights of the 预警 severity and of the
  红黑榜 composite score (settings.toml [alerts.weights] / [composite.weights] replace them as
  a whole); None leaves the metric out. The visit rate and overdue cases weigh double: the
  policy's first duties are to see every child and to close every case in time.
- `small_cell`: a count of sensitive records (cases, referrals, unguarded children). Below
  county level a count of 1 or 2 names a child to anyone who knows the village, so a
  township's or village's figure under 3 is shown as "<3" to everyone but the county's own
  users (queries/privacy.py, issue 19.10).

Imports nothing: core/settings.py reads the default targets from here and core/metrics.py
applies the settings to these records.
"""

from __future__ import annotations

from dataclasses import dataclass

KINDS = ("rate", "count", "sum", "mean")


@dataclass(frozen=True)
class Metric:
    code: str
    label: str
    kind: str
    unit: str
    family: str
    definition: str
    denominator_noun: str = ""
    gap_unit: str = ""
    target: float | None = None
    higher_is_better: bool = True
    window_days: int | None = None
    scale: float = 1.0
    alert_weight: float | None = None
    composite_weight: float | None = None
    small_cell: bool = False

    @property
    def is_total(self) -> bool:
        """Counts and sums keep their value in `numerator` (denominator null)."""
        return self.kind in ("count", "sum")


STAFF = "在岗儿童督导员和儿童主任"

REGISTRY: tuple[Metric, ...] = (
    Metric(
        "home_coverage",
        "儿童之家覆盖率",
        "rate",
        "%",
        "homes",
        "有运营中儿童之家的村（社区）÷ 村（社区）总数",
        denominator_noun="村（社区）",
        gap_unit="个村（社区）",
        target=0.90,
        alert_weight=1.0,
        composite_weight=1.0,
    ),
    Metric(
        "demo_homes",
        "示范性儿童之家",
        "count",
        "个",
        "homes",
        "运营中的示范性儿童之家数量",
    ),
    Metric(
        "supervisor_coverage",
        "儿童督导员配备率",
        "rate",
        "%",
        "staff",
        "配有在岗儿童督导员的乡镇（街道）÷ 乡镇（街道）总数",
        denominator_noun="乡镇（街道）",
        gap_unit="个乡镇（街道）",
        target=1.0,
        alert_weight=1.0,
        composite_weight=1.0,
    ),
    Metric(
        "director_coverage",
        "儿童主任配备率",
        "rate",
        "%",
        "staff",
        "配有在岗儿童主任的村（社区）÷ 村（社区）总数",
        denominator_noun="村（社区）",
        gap_unit="个村（社区）",
        target=1.0,
        alert_weight=1.0,
        composite_weight=1.0,
    ),
    Metric(
        "female_director_share",
        "女性委员担任比例",
        "rate",
        "%",
        "staff",
        "由女性村（居）委会委员担任的在岗儿童主任 ÷ 在岗儿童主任",
        denominator_noun="在岗儿童主任",
        gap_unit="名儿童主任",
    ),
    Metric(
        "dedicated_share",
        "专人专岗比例",
        "rate",
        "%",
        "staff",
        "专人专岗的在岗督导员和儿童主任 ÷ 在岗人员",
        denominator_noun=STAFF,
        gap_unit="名人员",
    ),
    Metric(
        "certified_rate",
        "持证上岗率",
        "rate",
        "%",
        "staff",
        "已通过初任培训的在岗人员 ÷ 在岗人员",
        denominator_noun=STAFF,
        gap_unit="名人员",
        target=1.0,
        alert_weight=1.0,
        composite_weight=1.0,
    ),
    Metric(
        "trained_12m",
        "年度轮训率",
        "rate",
        "%",
        "staff",
        "近 365 天内通过培训的在岗人员 ÷ 在岗人员",
        denominator_noun=STAFF,
        gap_unit="名人员",
        target=1.0,
        window_days=365,
        alert_weight=1.0,
        composite_weight=1.0,
    ),
    Metric(
        "registered_rate",
        "实名录入率",
        "rate",
        "%",
        "staff",
        "已在全国系统实名录入的在岗人员 ÷ 在岗人员",
        denominator_noun=STAFF,
        gap_unit="名人员",
    ),
    Metric(
        "children_active",
        "在册儿童",
        "count",
        "人",
        "children",
        "月末在册的留守儿童和困境儿童人数",
    ),
    Metric(
        "children_left_behind",
        "留守儿童",
        "count",
        "人",
        "children",
        "月末在册的农村留守儿童人数",
    ),
    Metric(
        "children_difficulty",
        "困境儿童",
        "count",
        "人",
        "children",
        "月末在册的困境儿童人数",
    ),
    Metric(
        "children_unguarded",
        "无人监护儿童",
        "count",
        "人",
        "children",
        "月末在册、监护状况为无人监护的儿童人数",
        higher_is_better=False,
        small_cell=True,
    ),
    Metric(
        "visit_rate_90d",
        "季度探访率",
        "rate",
        "%",
        "children",
        "近 90 天内被探访过的在册儿童 ÷ 在册儿童",
        denominator_noun="在册儿童",
        gap_unit="名儿童",
        target=0.90,
        window_days=90,
        alert_weight=2.0,
        composite_weight=2.0,
    ),
    Metric(
        "open_cases",
        "在办个案",
        "count",
        "件",
        "cases",
        "月末仍在办理的个案数",
        higher_is_better=False,
        small_cell=True,
    ),
    Metric(
        "overdue_cases",
        "逾期个案",
        "count",
        "件",
        "cases",
        "月末在办且已超过办理期限的个案数",
        gap_unit="件",
        target=0.0,
        higher_is_better=False,
        alert_weight=2.0,
        composite_weight=2.0,
        small_cell=True,
    ),
    Metric(
        "case_closure_days",
        "平均办结天数",
        "mean",
        "天",
        "cases",
        "本月办结个案从受理到结案的平均天数",
        denominator_noun="本月办结个案",
        higher_is_better=False,
    ),
    Metric(
        "referral_timely",
        "转介响应及时率",
        "rate",
        "%",
        "cases",
        "本月转介中 7 天内得到响应的 ÷ 本月已知结果的转介（截至月末已响应，或转介已满 7 天）；"
        "转介不满 7 天且尚未响应的为待响应，不计入分子和分母",
        denominator_noun="本月已知结果的转介",
        gap_unit="件转介",
        target=0.90,
        alert_weight=1.0,
        composite_weight=1.0,
    ),
    Metric(
        "referral_pending",
        "待响应转介",
        "count",
        "件",
        "cases",
        "本月转介中转介不满 7 天、截至月末尚未响应的件数（待响应，不算超时）",
        higher_is_better=False,
        small_cell=True,
    ),
    Metric(
        "care_coverage",
        "关爱行动覆盖率",
        "rate",
        "%",
        "children",
        "正在接受关爱行动的在册儿童 ÷ 在册儿童",
        denominator_noun="在册儿童",
        gap_unit="名儿童",
        composite_weight=1.0,
    ),
    Metric(
        "protection_center_ready",
        "救助保护机构落实率",
        "rate",
        "%",
        "institutions",
        "未成年人救助保护机构已转型或已指定的县 ÷ 县（市、区）总数",
        denominator_noun="县（市、区）",
        gap_unit="个县（市、区）",
    ),
    Metric(
        "purchase_yuan",
        "购买服务金额",
        "sum",
        "万元",
        "purchases",
        "本年度政府购买儿童关爱服务金额",
        scale=10_000,
    ),
)

DEFAULT_TARGETS: dict[str, float] = {m.code: m.target for m in REGISTRY if m.target is not None}
DEFAULT_ALERT_WEIGHTS: dict[str, float] = {
    m.code: m.alert_weight for m in REGISTRY if m.alert_weight is not None
}
DEFAULT_COMPOSITE_WEIGHTS: dict[str, float] = {
    m.code: m.composite_weight for m in REGISTRY if m.composite_weight is not None
}
