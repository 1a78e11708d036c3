"""SQL for the indicators of DESIGN.md §4: one definition serves the rollup and drill-down.

Every builder takes two selectables and returns a SELECT:

- `units` (leaf_code, group_code): every region code whose records count for a group,
  including the group itself. The rollup maps everything at or under each county to the
  county; a drill-down maps everything at or under each township (or village) to it.
  `descendant_units()` builds it from the region tree (parent_code, never code prefixes).
- `periods` (period 'YYYY-MM', d_start, d_end, one d_minus_<N> per window length of the
  registry (90 and 365 today) as DATE, year, m_index = year*12 + month-1): calendar months
  with D = d_end their last day; `periods_select()` / `month_periods()` build them from
  core/periods.py, so both backends compare the same dates.

A family of metrics that share a scan is computed in one wide SELECT (`family_select`: one
row per group × period, a `<metric>__n` and `<metric>__d` column per metric, every group and
period present even with no records); `unpivot` turns it into long rows
(group_code, period, metric, numerator, denominator); `metric_rows` adds value = n / d.

Counts over children (and their visits and care actions) are the heavy part: 400k children
× 35 months, 4M visits. They are computed on *month-index intervals*: for D the last day of
month p, "start ≤ D" ⇔ month(start) ≤ p and "end > D" ⇔ month(end) > p, so a record active
on [start, end) is active at the end of month p exactly when month(start) ≤ p < month(end).
Records are grouped by (group, month(start), month(end)) first (a few thousand rows), then
joined with the periods. "Active children with a visit in the 90 days ending D" becomes: a
visit v counts at D when D − 90 < v ≤ D ⇔ v ≤ D < v + 90, i.e. months [m(v), m(v + 90));
consecutive visits of one child are cut into disjoint pieces (`_window_pieces`, LEAD), each
clipped to the child's active months, so each covered child counts exactly once. Trainings
in the 365 days ending D work the same way; care actions are cut with a running max of
earlier end months. Homes, staff and cases are few and joined with the periods directly,
which reads as the definition itself.

Layout: `dialect` (date arithmetic compiled per backend), `periods`, `units`, `blocks`
(interval counts, window pieces, the wide row), one `families_*` module per group of tables;
this module maps metrics to families and unpivots. Import from `metric_engine`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from sqlalchemy import Float, String, case, cast, literal, null, select, union_all
from sqlalchemy.sql import ColumnElement, FromClause, Select

from core.metrics import BY_CODE, METRIC_CODES, METRICS
from metric_engine.dialect import (
    OPEN_END,
    add_days,
    days_between,
    greatest,
    least,
    month_index,
    plus_days,
)
from metric_engine.families_cases import (
    TIMELY_REFERRAL_DAYS,
    cases_family,
    referral_window_over,
)
from metric_engine.families_children import children_family
from metric_engine.families_homes_staff import homes_family, staff_family
from metric_engine.families_institutions import institutions_family, purchases_family
from metric_engine.periods import (
    Period,
    month_periods,
    parse_period,
    periods_select,
)
from metric_engine.units import MAX_DEPTH, descendant_units

__all__ = [
    "BUILDERS",
    "FAMILIES",
    "FAMILY_OF",
    "MAX_DEPTH",
    "OPEN_END",
    "TIMELY_REFERRAL_DAYS",
    "Builder",
    "Period",
    "add_days",
    "cases_family",
    "children_family",
    "days_between",
    "descendant_units",
    "family_select",
    "greatest",
    "has_denominator",
    "homes_family",
    "institutions_family",
    "least",
    "metric_rows",
    "month_index",
    "month_periods",
    "parse_period",
    "periods_select",
    "plus_days",
    "purchases_family",
    "referral_window_over",
    "staff_family",
    "unpivot",
    "value_expr",
    "with_value",
]

Builder = Callable[[FromClause, FromClause], Select]

BUILDERS: dict[str, Builder] = {
    "homes": homes_family,
    "staff": staff_family,
    "children": children_family,
    "cases": cases_family,
    "institutions": institutions_family,
    "purchases": purchases_family,
}
# A family's metrics are the registry's records that name it (core/registry.py `family`),
# in registry order; every family a record names needs a builder here.
FAMILIES: dict[str, tuple[Builder, tuple[str, ...]]] = {
    fam: (builder, tuple(m.code for m in METRICS if m.family == fam))
    for fam, builder in BUILDERS.items()
}
FAMILY_OF: dict[str, str] = {m.code: m.family for m in METRICS}
if set(FAMILY_OF.values()) - set(BUILDERS):
    raise RuntimeError(f"families without SQL: {sorted(set(FAMILY_OF.values()) - set(BUILDERS))}")


def has_denominator(metric: str) -> bool:
    """Rates and means keep a denominator; counts and sums store it as null."""
    return not BY_CODE[metric].is_total


def family_select(family: str, units: FromClause, periods: FromClause) -> Select:
    """The wide SELECT of one family (group_code, period, <metric>__n, <metric>__d ...)."""
    return FAMILIES[family][0](units, periods)


def _unpivot_parts(wide: FromClause, metrics: Iterable[str]) -> list[Select]:
    return [
        select(
            wide.c.group_code,
            wide.c.period,
            literal(m, String).label("metric"),
            cast(wide.c[f"{m}__n"], Float).label("numerator"),
            (cast(wide.c[f"{m}__d"], Float) if has_denominator(m) else cast(null(), Float)).label(
                "denominator"
            ),
        )
        for m in metrics
    ]


def _union(parts: list[Select]):
    # One flat UNION ALL: SQLite rejects parenthesised compound selects.
    return parts[0] if len(parts) == 1 else union_all(*parts)


def unpivot(wide: FromClause, metrics: Iterable[str]):
    """Long rows (group_code, period, metric, numerator, denominator) from a wide result."""
    return _union(_unpivot_parts(wide, metrics))


def value_expr(numerator: ColumnElement, denominator: ColumnElement) -> ColumnElement:
    """value = numerator / denominator as floating point; a count or sum (null denominator)
    is its numerator; a zero denominator gives null, never 0 or 100%."""
    return case(
        (denominator.is_(None), numerator),
        (denominator == 0, null()),
        else_=cast(numerator, Float) / denominator,
    )


def metric_rows(
    units: FromClause, periods: FromClause, metrics: Iterable[str] = METRIC_CODES
) -> Select:
    """Long rows (group_code, period, metric, numerator, denominator, value) of `metrics`
    for every group of `units` and every period (the drill-down's entry point)."""
    wanted = list(metrics)
    unknown = set(wanted) - set(FAMILY_OF)
    if unknown:
        raise ValueError(f"unknown metrics {sorted(unknown)}")
    parts = []
    for fam in FAMILIES:
        ms = [m for m in wanted if FAMILY_OF[m] == fam]
        if ms:
            wide = family_select(fam, units, periods).cte(f"wide_{fam}")
            parts += _unpivot_parts(wide, ms)
    return with_value(_union(parts).subquery("metric_rows"))


def with_value(rows: FromClause) -> Select:
    """Long rows (group_code, period, metric, numerator, denominator) plus their value (see
    `value_expr`): what the drill-down reads and the rollup writes."""
    return select(
        rows.c.group_code,
        rows.c.period,
        rows.c.metric,
        rows.c.numerator,
        rows.c.denominator,
        value_expr(rows.c.numerator, rows.c.denominator).label("value"),
    )
