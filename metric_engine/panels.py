"""Breakdowns of the thematic panels per group and month (issue 16): what 个案与关爱 and the
other thematic pages showed by scanning every raw record of the scope, as counts the rollup
writes into `panel_counts` for every county and month. The live township tables of one county
run the same SQL with a township's units instead of a county's, so each breakdown has one
definition.

A panel is a builder (units, periods) -> wide SELECT (group_code, period, one column per
category, every group × period present, 0 where nothing counts) and its categories; the
`units` and `periods` are those of the metric families (see the package docstring). Every
category is a count of records (or children) at county level or below, so a prefecture or
the province is the sum of its counties.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Float, String, cast, literal, select, union_all
from sqlalchemy.sql import FromClause, Select

from data.labels import ACTION_TYPE
from data.schema import children
from metric_engine.blocks import _grid, _interval_counts, _owners, _z
from metric_engine.families_children import active_children_pieces, care_pieces
from metric_engine.units import _groups

PanelBuilder = Callable[[FromClause, FromClause], Select]


@dataclass(frozen=True)
class Panel:
    """One breakdown: its name in panel_counts, its SQL and its categories (column order)."""

    name: str
    build: PanelBuilder
    categories: tuple[str, ...]


def care_panel(units: FromClause, periods: FromClause) -> Select:
    """The six 两提升、四关爱 actions on D: children_active, per ACTION_TYPE the active children
    with an active action of that type (a child with two actions of one type counts once),
    and any_action (those with at least one: care_coverage's numerator)."""
    c, p = children, periods
    kids = _interval_counts(active_children_pieces(units, p), p, ("n",), "panel_kids")
    owners = _owners(units, c, c.c.village_code, c.c.registered_on, c.c.exited_on, "panel_kid")
    typed = _interval_counts(
        care_pieces(owners, p, by_type=True), p, tuple(ACTION_TYPE), "panel_cared_by_type"
    )
    anyone = _interval_counts(care_pieces(owners, p), p, ("n",), "panel_cared")
    grp = _groups(units)
    return select(
        grp.c.group_code,
        p.c.period,
        _z(kids.c.n).label("children_active"),
        *(_z(typed.c[t]).label(t) for t in ACTION_TYPE),
        _z(anyone.c.n).label("any_action"),
    ).select_from(_grid(grp, p, kids, typed, anyone))


PANELS: dict[str, Panel] = {
    panel.name: panel
    for panel in (Panel("care", care_panel, ("children_active", *ACTION_TYPE, "any_action")),)
}


def panel_long(panel: str, wide: FromClause):
    """Long rows (group_code, period, panel, category, value) of a panel's wide result."""
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
