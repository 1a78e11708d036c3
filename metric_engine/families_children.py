"""Metric family over children, their visits and care actions: counts of active children,
visit_rate_90d and care_coverage, on month-index intervals.
"""

from __future__ import annotations

from sqlalchemy import Integer, case, func, literal_column, select
from sqlalchemy.sql import FromClause, Select

from core.metrics import BY_CODE
from data.labels import ACTION_TYPE
from data.schema import care_actions, children, visits
from metric_engine.blocks import (
    _active_in_span,
    _grid,
    _interval_counts,
    _owners,
    _wide,
    _window_pieces,
    _z,
)
from metric_engine.dialect import OPEN_END, greatest, least, month_index
from metric_engine.units import _groups


def _child_months():
    c = children
    return month_index(c.c.registered_on), func.coalesce(month_index(c.c.exited_on), OPEN_END)


def care_pieces(kid_owners: FromClause, periods: FromClause, by_type: bool = False) -> FromClause:
    """Month-index pieces (group_code, ms, me, n) of "an active child with an active care
    action on D": a child's actions ordered by start, each keeping only the months after every
    earlier action's end (running max), clipped to the child's active months, so a child
    with overlapping actions counts once. With `by_type` the running max is per (child,
    action type) and each piece also carries a 0/1 column per ACTION_TYPE: a child then
    counts once per type (the breakdown of panel_counts 'care')."""
    ca = care_actions
    ca_end = func.coalesce(month_index(ca.c.ended_on), OPEN_END)
    partition = [ca.c.child_id, ca.c.action_type] if by_type else [ca.c.child_id]
    flags = (
        [case((ca.c.action_type == t, 1), else_=0).label(t) for t in ACTION_TYPE] if by_type else []
    )
    care_seq = (
        select(
            ca.c.child_id,
            month_index(ca.c.started_on).label("sm"),
            ca_end.label("em"),
            func.max(ca_end)
            .over(partition_by=partition, order_by=ca.c.started_on, rows=(None, -1))
            .label("earlier_em"),
            *flags,
        )
        .where(
            ca.c.child_id.in_(select(kid_owners.c.id)),
            _active_in_span(ca.c.started_on, ca.c.ended_on, periods),
        )
        .subquery("care_seq_by_type" if by_type else "care_seq")
    )
    return (
        select(
            kid_owners.c.group_code,
            greatest(
                care_seq.c.sm, func.coalesce(care_seq.c.earlier_em, care_seq.c.sm), kid_owners.c.ams
            ).label("ms"),
            least(care_seq.c.em, kid_owners.c.ame).label("me"),
            literal_column("1", Integer).label("n"),
            *(care_seq.c[t] for t in (ACTION_TYPE if by_type else ())),
        )
        .select_from(care_seq.join(kid_owners, kid_owners.c.id == care_seq.c.child_id))
        .subquery("care_rows_by_type" if by_type else "care_rows")
    )


def active_children_pieces(units: FromClause, periods: FromClause) -> FromClause:
    """Month-index pieces of the active children of the units: [month(registered_on),
    month(exited_on)), with n = 1 and 0/1 columns left_behind, difficulty, unguarded."""
    c = children
    reg_m, exit_m = _child_months()
    return (
        select(
            units.c.group_code,
            reg_m.label("ms"),
            exit_m.label("me"),
            literal_column("1", Integer).label("n"),
            case((c.c.category == "left_behind", 1), else_=0).label("left_behind"),
            case((c.c.category == "difficulty", 1), else_=0).label("difficulty"),
            case((c.c.guardianship_quality == "none", 1), else_=0).label("unguarded"),
        )
        .select_from(c.join(units, units.c.leaf_code == c.c.village_code))
        .where(_active_in_span(c.c.registered_on, c.c.exited_on, periods))
        .subquery("child_rows")
    )


def children_family(units: FromClause, periods: FromClause) -> Select:
    """Children counts, visit_rate_90d and care_coverage over month-index intervals (see the
    module docstring for why this equals "active on D" at a month's last day)."""
    c, v, p = children, visits, periods
    child_rows = active_children_pieces(units, p)
    kids = _interval_counts(
        child_rows, p, ("n", "left_behind", "difficulty", "unguarded"), "kids_active"
    )

    # Visits: see _window_pieces.
    kid_owners = _owners(units, c, c.c.village_code, c.c.registered_on, c.c.exited_on, "kid_own")
    visit_rows = _window_pieces(
        kid_owners, p, v.c.child_id, v.c.visited_on, BY_CODE["visit_rate_90d"].window_days, "visit"
    )
    visited = _interval_counts(visit_rows, p, ("n",), "kids_visited")

    care_rows = care_pieces(kid_owners, p)
    cared = _interval_counts(care_rows, p, ("n",), "kids_cared")

    grp = _groups(units)
    active = _z(kids.c.n)
    return _wide(
        grp,
        p,
        _grid(grp, p, kids, visited, cared),
        {
            "children_active": (active, None),
            "children_left_behind": (_z(kids.c.left_behind), None),
            "children_difficulty": (_z(kids.c.difficulty), None),
            "children_unguarded": (_z(kids.c.unguarded), None),
            "visit_rate_90d": (_z(visited.c.n), active),
            "care_coverage": (_z(cared.c.n), active),
        },
    )
