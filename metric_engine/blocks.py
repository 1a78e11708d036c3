"""Building blocks shared by the metric families: the span of the periods, "active on D",
counts over month-index intervals and window pieces (see the package docstring for why they
equal "active on D" at a month's last day), and the wide row every family returns.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Integer, Table, and_, case, func, literal_column, null, or_, select, true
from sqlalchemy.sql import ColumnElement, FromClause, Select

from core.activity import active_on
from core.metrics import window_column
from metric_engine.dialect import OPEN_END, greatest, least, month_index, plus_days


def _first(periods: FromClause, col: str) -> ColumnElement:
    return select(func.min(periods.c[col])).scalar_subquery()


def _last_d(periods: FromClause) -> ColumnElement:
    return select(func.max(periods.c.d_end)).scalar_subquery()


def _active_in_span(start: ColumnElement, end: ColumnElement, periods: FromClause):
    """Records active on some D of the periods (a pre-filter that only drops records no
    period can count, so a short refresh or a drill-down reads little)."""
    return and_(start <= _last_d(periods), or_(end.is_(None), end > _first(periods, "d_end")))


def _sum_if(cond: ColumnElement) -> ColumnElement:
    return func.sum(case((cond, 1), else_=0))


def _active_on_d(start: ColumnElement, end: ColumnElement, periods: FromClause) -> ColumnElement:
    """§3 (core/activity.py) on each period's D."""
    return active_on(start, end, periods.c.d_end)


def _interval_counts(
    rows: FromClause, periods: FromClause, weights: Sequence[str], name: str
) -> FromClause:
    """Sum `weights` of month-index intervals [ms, me) that contain each period's month.

    `rows` has group_code, ms, me and the weight columns; it is first collapsed to one row
    per (group, ms, me), which keeps the join with the periods small."""
    collapsed = (
        select(
            rows.c.group_code,
            rows.c.ms,
            rows.c.me,
            *(func.sum(rows.c[w]).label(w) for w in weights),
        )
        .group_by(rows.c.group_code, rows.c.ms, rows.c.me)
        .subquery(f"{name}_iv")
    )
    return (
        select(
            collapsed.c.group_code,
            periods.c.period,
            *(func.sum(collapsed.c[w]).label(w) for w in weights),
        )
        .select_from(
            collapsed.join(
                periods,
                and_(collapsed.c.ms <= periods.c.m_index, collapsed.c.me > periods.c.m_index),
            )
        )
        .group_by(collapsed.c.group_code, periods.c.period)
        .subquery(name)
    )


def _owners(
    units: FromClause,
    owners: Table,
    leaf: ColumnElement,
    start: ColumnElement,
    end: ColumnElement,
    name: str,
) -> FromClause:
    """(id, group_code, ams, ame): each owner (child, staff member) of the units with its
    active months [m(start), m(end)) (an open end is OPEN_END)."""
    return (
        select(
            owners.c.id,
            units.c.group_code,
            month_index(start).label("ams"),
            func.coalesce(month_index(end), OPEN_END).label("ame"),
        )
        .select_from(owners.join(units, units.c.leaf_code == leaf))
        .subquery(name)
    )


def _window_pieces(
    owners: FromClause,
    periods: FromClause,
    event_owner: ColumnElement,
    event_on: ColumnElement,
    days: int,
    name: str,
    event_filter: Sequence[ColumnElement] = (),
) -> FromClause:
    """Month-index pieces (group_code, ms, me, n) of "owners active on D with an event in the
    `days` days ending D" (D − days < e ≤ D ⇔ e ≤ D < e + days, i.e. months
    [m(e), m(e + days)) for D a month's last day).

    Each owner's events are ordered by date and event e keeps [m(e), min(m(e + days),
    m(next e))), so the pieces of one owner never overlap and cover the union of its events'
    months; each piece is then clipped to the owner's active months (see `_owners`).
    Events on the same day give one empty piece and one full one, whichever comes first.
    The window runs only over the owners of the units (a filter on its partition key leaves
    each owner's rows whole) and the events that fall in some period's window (dropping an
    event that counts for no period only lengthens earlier pieces outside every period)."""
    in_reach = and_(event_on > _first(periods, window_column(days)), event_on <= _last_d(periods))
    seq = (
        select(
            event_owner.label("owner_id"),
            event_on.label("on"),
            func.lead(event_on).over(partition_by=event_owner, order_by=event_on).label("next_on"),
        )
        .where(event_owner.in_(select(owners.c.id)), in_reach, *event_filter)
        .subquery(f"{name}_seq")
    )
    return (
        select(
            owners.c.group_code,
            greatest(month_index(seq.c.on), owners.c.ams).label("ms"),
            least(
                month_index(plus_days(seq.c.on, days)),
                func.coalesce(month_index(seq.c.next_on), OPEN_END),
                owners.c.ame,
            ).label("me"),
            literal_column("1", Integer).label("n"),
        )
        .select_from(seq.join(owners, owners.c.id == seq.c.owner_id))
        .subquery(f"{name}_rows")
    )


def _on_group_period(agg: FromClause, grp: FromClause, periods: FromClause) -> ColumnElement:
    return and_(agg.c.group_code == grp.c.group_code, agg.c.period == periods.c.period)


def _grid(
    grp: FromClause, periods: FromClause, *aggs: FromClause, counts: FromClause | None = None
) -> FromClause:
    """Every group × every period, joined to the groups' unit `counts` when given, and
    outer-joined to each per-group aggregate of `aggs` on its group and period (on its group
    alone when it has no period column: the same in every period), so that a group with
    nothing in a period still has its row."""
    from_ = grp.join(periods, true())
    if counts is not None:
        from_ = from_.join(counts, counts.c.group_code == grp.c.group_code)
    for agg in aggs:
        on = (
            _on_group_period(agg, grp, periods)
            if "period" in agg.c
            else agg.c.group_code == grp.c.group_code
        )
        from_ = from_.outerjoin(agg, on)
    return from_


def _z(col: ColumnElement) -> ColumnElement:
    """A count or sum of nothing is 0, never null."""
    return func.coalesce(col, 0)


def _wide(
    grp: FromClause,
    periods: FromClause,
    from_: FromClause,
    cols: dict[str, tuple[ColumnElement, ColumnElement | None]],
) -> Select:
    out = [grp.c.group_code, periods.c.period]
    for code, (num, den) in cols.items():
        out.append(num.label(f"{code}__n"))
        out.append((den if den is not None else null()).label(f"{code}__d"))
    return select(*out).select_from(from_)
