"""Breakdowns of the thematic panels per group and month (issue 16): what 个案与关爱 and the
other thematic pages showed by scanning every raw record of the scope, as counts the rollup
writes into `panel_counts` for every county and month. The live township tables of one county
run the same SQL with a township's units instead of a county's, so each breakdown has one
definition.

A panel is a builder (units, periods) -> wide SELECT (group_code, period, one column per
category, every group × period present, 0 where nothing counts) and its categories; the
`units` and `periods` are those of the metric families (see the package docstring). Every
category is a count of records (or children) at county level or below, so a prefecture or
the province is the sum of its counties. One panel is written per township instead
('township_homes': the township list of 儿童之家 for a whole province).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Float, String, cast, literal, select, union_all
from sqlalchemy.sql import FromClause, Select

from metric_engine.panels_cases import (
    CASE_CATEGORIES,
    DAY_BUCKETS,
    HISTOGRAM_SEP,
    OPEN_STAGES,
    cases_panel,
    closures_panel,
    referrals_panel,
)
from metric_engine.panels_places import (
    CARE_CATEGORIES,
    HOME_CATEGORIES,
    TOWNSHIP_HOME_CATEGORIES,
    care_panel,
    homes_panel,
    township_homes_panel,
)
from metric_engine.panels_staff import STAFF_CATEGORIES, staff_panel

__all__ = ["DAY_BUCKETS", "HISTOGRAM_SEP", "OPEN_STAGES", "PANELS", "Panel", "panel_long"]

PanelBuilder = Callable[[FromClause, FromClause], Select]


@dataclass(frozen=True)
class Panel:
    """One breakdown: its name in panel_counts, its SQL and its categories (column order of
    the wide SELECT). A histogram panel has no fixed categories (None): its SQL returns long
    rows (group_code, period, category, value), only those that count something, with a
    category that joins the histogram's keys by HISTOGRAM_SEP (queries/panels.py splits them)."""

    name: str
    build: PanelBuilder
    categories: tuple[str, ...] | None
    level: str = "county"  # the regions the rollup writes it for (county or township)

    @property
    def is_histogram(self) -> bool:
        return self.categories is None


PANELS: dict[str, Panel] = {
    panel.name: panel
    for panel in (
        Panel("care", care_panel, CARE_CATEGORIES),
        Panel("cases", cases_panel, CASE_CATEGORIES),
        Panel("referrals", referrals_panel, None),
        Panel("closures", closures_panel, None),
        Panel("homes", homes_panel, HOME_CATEGORIES),
        Panel("township_homes", township_homes_panel, TOWNSHIP_HOME_CATEGORIES, "township"),
        Panel("staff", staff_panel, STAFF_CATEGORIES),
    )
}


def panel_long(panel: str, wide: FromClause):
    """Long rows (group_code, period, panel, category, value) of a panel's wide result (or
    of a histogram panel's own long rows)."""
    if PANELS[panel].is_histogram:
        return select(
            wide.c.group_code,
            wide.c.period,
            literal(panel, String).label("panel"),
            wide.c.category,
            wide.c.value,
        )
    parts = [
        select(
            wide.c.group_code,
            wide.c.period,
            literal(panel, String).label("panel"),
            literal(category, String).label("category"),
            cast(wide.c[category], Float).label("value"),
        )
        for category in PANELS[panel].categories
    ]
    return parts[0] if len(parts) == 1 else union_all(*parts)
