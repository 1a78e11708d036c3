"""Panels over children and the places that serve them (metric_engine/panels.py): the six
两提升、四关爱 care actions ('care'), children's homes by state with their activities
('homes', per county) and villages covered per township ('township_homes').
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import and_, case, distinct, exists, func, literal, not_, select, true
from sqlalchemy.sql import ColumnElement, FromClause, Select

from data.labels import ACTION_TYPE, ACTIVITY_KIND
from data.schema import children, children_homes, home_activities, regions
from metric_engine.blocks import _grid, _interval_counts, _owners, _sum_if, _z
from metric_engine.dialect import plus_days
from metric_engine.families_children import active_children_pieces, care_pieces
from metric_engine.units import _groups, _unit_counts

CARE_CATEGORIES = ("children_active", *ACTION_TYPE, "any_action")
ACTIVITY_WINDOW_DAYS = 90  # a home with no activity in the 90 days ending D is 空壳
ACTIVITY_KINDS = tuple(ACTIVITY_KIND)  # psych_course, parent_child, tutoring, …
HOME_STATES = ("operating", "building", "closed")
HOME_COUNTS = ("villages", "covered", "operating", "building", "closed", "demo", "paper")
ACTIVITY_COUNTS = ("activities", "participants")
HOME_CATEGORIES = (
    *HOME_COUNTS,
    *ACTIVITY_COUNTS,
    *(f"{kind}:{what}" for kind in ACTIVITY_KINDS for what in (*ACTIVITY_COUNTS, "homes")),
)
TOWNSHIP_HOME_CATEGORIES = ("villages", "covered")


def home_state(d: date | ColumnElement) -> ColumnElement:
    """'operating', 'closed' or 'building' for each home on D (a date or a periods column):
    closed on or before D → closed; else not `building` and established on or before D →
    operating (the homes home_coverage and demo_homes count); else 筹建中 (building)."""
    h = children_homes.c
    return case(
        (and_(h.closed_on.is_not(None), h.closed_on <= d), literal("closed")),
        (and_(h.status != "building", h.established_on <= d), literal("operating")),
        else_=literal("building"),
    )


def _in_activity_window(on: ColumnElement, d: ColumnElement) -> ColumnElement:
    """In the ACTIVITY_WINDOW_DAYS days ending D (D − 90 < on ≤ D), by date arithmetic on
    the record: the window is the view's own, not one of the registry's (periods carry
    those only)."""
    return and_(plus_days(on, ACTIVITY_WINDOW_DAYS) > d, on <= d)


def _village_homes(units: FromClause):
    """Homes at a village's code (homes recorded elsewhere count nowhere) with their group."""
    h, r = children_homes, regions
    return h.join(units, units.c.leaf_code == h.c.village_code).join(
        r, and_(r.c.code == h.c.village_code, r.c.level == "village")
    )


def _homes_on_d(units: FromClause, periods: FromClause, with_paper: bool) -> FromClause:
    """Per (group, period): covered villages, homes by state on D, operating demonstration
    homes and, with `with_paper`, operating homes with no activity in the 90 days ending D."""
    h, a, p = children_homes, home_activities, periods
    d = p.c.d_end
    state = home_state(d)
    operating = state == "operating"
    cols = [
        func.count(distinct(case((operating, h.c.village_code)))).label("covered"),
        _sum_if(operating).label("operating"),
        _sum_if(state == "building").label("building"),
        _sum_if(state == "closed").label("closed"),
        _sum_if(and_(operating, h.c.is_demonstration)).label("demo"),
    ]
    if with_paper:
        held = (
            exists()
            .where(
                a.c.home_id == h.c.id,
                _in_activity_window(a.c.activity_on, d),
            )
            .correlate_except(a)
        )
        cols.append(_sum_if(and_(operating, not_(held))).label("paper"))
    return (
        select(units.c.group_code, p.c.period, *cols)
        .select_from(_village_homes(units).join(p, true()))
        .group_by(units.c.group_code, p.c.period)
        .subquery("panel_homes_on_d")
    )


def homes_panel(units: FromClause, periods: FromClause) -> Select:
    """Children's homes on D (see `home_state`): villages, covered villages (with an
    operating home), homes by state, operating demonstration and 空壳 homes; activities and
    participants in the 90 days ending D, in all and per kind (with the homes that held
    one). Kinds are the importer's enum (data/labels.py), so none falls outside them."""
    h, a, p = children_homes, home_activities, periods
    d = p.c.d_end
    on_d = _homes_on_d(units, p, with_paper=True)
    per_kind = []
    for kind in ACTIVITY_KINDS:
        of = a.c.kind == kind
        per_kind += [
            _sum_if(of).label(f"{kind}:activities"),
            func.sum(case((of, func.coalesce(a.c.participants, 0)), else_=0)).label(
                f"{kind}:participants"
            ),
            func.count(distinct(case((of, a.c.home_id)))).label(f"{kind}:homes"),
        ]
    acts = (
        select(
            units.c.group_code,
            p.c.period,
            func.count().label("activities"),
            func.coalesce(func.sum(a.c.participants), 0).label("participants"),
            *per_kind,
        )
        .select_from(
            _village_homes(units)
            .join(a, a.c.home_id == h.c.id)
            .join(
                p,
                _in_activity_window(a.c.activity_on, d),
            )
        )
        .group_by(units.c.group_code, p.c.period)
        .subquery("panel_activities")
    )
    grp = _groups(units)
    counts = _unit_counts(units)
    column = {c.name: c for part in (on_d, acts) for c in part.c}
    column["villages"] = counts.c.villages
    return select(
        grp.c.group_code, p.c.period, *(_z(column[c]).label(c) for c in HOME_CATEGORIES)
    ).select_from(_grid(grp, p, on_d, acts, counts=counts))


def township_homes_panel(units: FromClause, periods: FromClause) -> Select:
    """Villages and covered villages per group (stored per township: which townships of a
    province or prefecture have villages without an operating home)."""
    p = periods
    on_d = _homes_on_d(units, p, with_paper=False)
    grp = _groups(units)
    counts = _unit_counts(units)
    return select(
        grp.c.group_code,
        p.c.period,
        _z(counts.c.villages).label("villages"),
        _z(on_d.c.covered).label("covered"),
    ).select_from(_grid(grp, p, on_d, counts=counts))


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
