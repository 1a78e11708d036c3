"""Panels over children and the places that serve them (metric_engine/panels.py): the six
两提升、四关爱 care actions ('care').
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.sql import FromClause, Select

from data.labels import ACTION_TYPE
from data.schema import children
from metric_engine.blocks import _grid, _interval_counts, _owners, _z
from metric_engine.families_children import active_children_pieces, care_pieces
from metric_engine.units import _groups

CARE_CATEGORIES = ("children_active", *ACTION_TYPE, "any_action")


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
