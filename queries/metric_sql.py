"""SQL for the 21 indicators of DESIGN.md §4: one definition serves the rollup and drill-down.

Every builder takes two selectables and returns a SELECT:

- `units` (leaf_code, group_code): every region code whose records count for a group,
  including the group itself. The rollup maps everything at or under each county to the
  county; a drill-down maps everything at or under each township (or village) to it.
  `descendant_units()` builds it from the region tree (parent_code, never code prefixes).
- `periods` (period 'YYYY-MM', d_start, d_end, d_minus_90, d_minus_365 as DATE, year,
  m_index = year*12 + month-1): calendar months with D = d_end their last day;
  `periods_select()` / `month_periods()` build them in Python, so both backends compare the
  same dates.

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
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import pairwise

from sqlalchemy import (
    Date,
    Float,
    Integer,
    String,
    Table,
    and_,
    case,
    cast,
    distinct,
    exists,
    func,
    literal,
    literal_column,
    null,
    or_,
    select,
    true,
    union_all,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql import ColumnElement, FromClause, Select
from sqlalchemy.sql.expression import CTE, FunctionElement

from data.metrics import BY_CODE, METRIC_CODES
from data.schema import (
    care_actions,
    cases,
    children,
    children_homes,
    institutions,
    referrals,
    regions,
    service_purchases,
    staff,
    trainings,
    visits,
)

# A month index beyond any real date: the end of an open interval. Rendered as a literal so
# that an expression using it is textually identical wherever it repeats.
OPEN_END = literal_column("9999999", Integer)
VISIT_WINDOW_DAYS = 90
TRAINING_WINDOW_DAYS = 365
TIMELY_REFERRAL_DAYS = 7

_PERIOD_RE = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


# --------------------------------------------------------------------------- dialect helpers


class month_index(FunctionElement):
    """year * 12 + month - 1 of a DATE: the same integer on SQLite (ISO text) and PostgreSQL."""

    type = Integer()
    name = "month_index"
    inherit_cache = True


@compiles(month_index, "sqlite")
def _month_index_sqlite(element, compiler, **kw) -> str:
    (arg,) = list(element.clauses)
    x = compiler.process(arg, **kw)
    return f"(CAST(substr({x}, 1, 4) AS INTEGER) * 12 + CAST(substr({x}, 6, 2) AS INTEGER) - 1)"


@compiles(month_index)
def _month_index_default(element, compiler, **kw) -> str:
    (arg,) = list(element.clauses)
    x = compiler.process(arg, **kw)
    return (
        f"(CAST(EXTRACT(YEAR FROM {x}) AS INTEGER) * 12"
        f" + CAST(EXTRACT(MONTH FROM {x}) AS INTEGER) - 1)"
    )


class add_days(FunctionElement):
    """DATE + n days (n a constant from this module, rendered inline)."""

    type = Date()
    name = "add_days"
    inherit_cache = True


@compiles(add_days, "sqlite")
def _add_days_sqlite(element, compiler, **kw) -> str:
    arg, n = list(element.clauses)
    return f"date({compiler.process(arg, **kw)}, '+' || {compiler.process(n, **kw)} || ' days')"


@compiles(add_days)
def _add_days_default(element, compiler, **kw) -> str:
    arg, n = list(element.clauses)
    return f"({compiler.process(arg, **kw)} + CAST({compiler.process(n, **kw)} AS INTEGER))"


def plus_days(col: ColumnElement, n: int) -> add_days:
    return add_days(col, literal_column(str(int(n)), Integer))


class days_between(FunctionElement):
    """later − earlier in whole days (julianday on SQLite, date subtraction on PostgreSQL)."""

    type = Float()
    name = "days_between"
    inherit_cache = True


@compiles(days_between, "sqlite")
def _days_between_sqlite(element, compiler, **kw) -> str:
    a, b = (compiler.process(c, **kw) for c in element.clauses)
    return f"(julianday({a}) - julianday({b}))"


@compiles(days_between)
def _days_between_default(element, compiler, **kw) -> str:
    a, b = (compiler.process(c, **kw) for c in element.clauses)
    return f"({a} - {b})"


class greatest(FunctionElement):
    """Largest of non-null integers (SQLite's scalar max(), PostgreSQL's GREATEST)."""

    type = Integer()
    name = "greatest"
    inherit_cache = True


class least(FunctionElement):
    """Smallest of non-null integers (SQLite's scalar min(), PostgreSQL's LEAST)."""

    type = Integer()
    name = "least"
    inherit_cache = True


@compiles(greatest, "sqlite")
def _greatest_sqlite(element, compiler, **kw) -> str:
    return f"max({compiler.process(element.clauses, **kw)})"


@compiles(least, "sqlite")
def _least_sqlite(element, compiler, **kw) -> str:
    return f"min({compiler.process(element.clauses, **kw)})"


@compiles(greatest)
def _greatest_default(element, compiler, **kw) -> str:
    return f"GREATEST({compiler.process(element.clauses, **kw)})"


@compiles(least)
def _least_default(element, compiler, **kw) -> str:
    return f"LEAST({compiler.process(element.clauses, **kw)})"


# --------------------------------------------------------------------------- periods, units


@dataclass(frozen=True)
class Period:
    """One calendar month as of its last day D."""

    period: str
    d_start: date
    d_end: date
    d_minus_90: date
    d_minus_365: date
    year: int
    m_index: int

    def as_row(self) -> dict:
        return {
            "period": self.period,
            "d_start": self.d_start,
            "d_end": self.d_end,
            "d_minus_90": self.d_minus_90,
            "d_minus_365": self.d_minus_365,
            "year": self.year,
            "m_index": self.m_index,
        }


def parse_period(period: str) -> Period:
    """'2026-03' -> the month with D = 2026-03-31 (ValueError for anything else)."""
    m = _PERIOD_RE.match(period) if isinstance(period, str) else None
    if not m:
        raise ValueError(f"period must be 'YYYY-MM', got {period!r}")
    year, month = int(m.group(1)), int(m.group(2))
    d_end = date(year, month, calendar.monthrange(year, month)[1])
    return Period(
        period=period,
        d_start=date(year, month, 1),
        d_end=d_end,
        d_minus_90=d_end - timedelta(days=VISIT_WINDOW_DAYS),
        d_minus_365=d_end - timedelta(days=TRAINING_WINDOW_DAYS),
        year=year,
        m_index=year * 12 + month - 1,
    )


def month_periods(first: str, last: str) -> list[Period]:
    """Every month from `first` to `last` inclusive ('YYYY-MM')."""
    a, b = parse_period(first), parse_period(last)
    if a.m_index > b.m_index:
        raise ValueError(f"first period {first} is after last period {last}")
    return [
        parse_period(f"{i // 12:04d}-{i % 12 + 1:02d}") for i in range(a.m_index, b.m_index + 1)
    ]


def periods_select(periods: Sequence[Period]) -> Select:
    """The periods as a literal SELECT (a drill-down's one month; the rollup uses a table)."""
    if not periods:
        raise ValueError("no periods")
    rows = [
        select(
            literal(p.period, String).label("period"),
            literal(p.d_start, Date).label("d_start"),
            literal(p.d_end, Date).label("d_end"),
            literal(p.d_minus_90, Date).label("d_minus_90"),
            literal(p.d_minus_365, Date).label("d_minus_365"),
            literal(p.year, Integer).label("year"),
            literal(p.m_index, Integer).label("m_index"),
        )
        for p in periods
    ]
    return rows[0] if len(rows) == 1 else union_all(*rows)


MAX_DEPTH = 4  # province › prefecture › county › township › village


def descendant_units(groups: Select, name: str = "units") -> CTE:
    """(leaf_code, group_code) for every region at or under each code of `groups` (a SELECT
    of region codes), following parent_code. A leaf under two listed groups appears twice.

    The tree is at most five levels deep, so this is a union of fixed self-joins rather than
    a recursive CTE: the planner then estimates a drill-down's few hundred units as such
    (PostgreSQL guessed thousands for the recursive form and chose full scans)."""
    g = groups.subquery(f"{name}_groups")
    (code,) = list(g.c)
    parts = [select(code.label("leaf_code"), code.label("group_code"))]
    for depth in range(1, MAX_DEPTH + 1):
        chain = [regions.alias(f"{name}_{depth}_{i}") for i in range(depth)]
        # (a row naming itself as parent is not its own child)
        joined = g.join(chain[0], and_(chain[0].c.parent_code == code, chain[0].c.code != code))
        for upper, lower in pairwise(chain):
            joined = joined.join(
                lower, and_(lower.c.parent_code == upper.c.code, lower.c.code != upper.c.code)
            )
        parts.append(select(chain[-1].c.code, code).select_from(joined))
    return union_all(*parts).cte(name)


# --------------------------------------------------------------------------- building blocks


def _first(periods: FromClause, col: str) -> ColumnElement:
    return select(func.min(periods.c[col])).scalar_subquery()


def _last_d(periods: FromClause) -> ColumnElement:
    return select(func.max(periods.c.d_end)).scalar_subquery()


def _active_in_span(start: ColumnElement, end: ColumnElement, periods: FromClause):
    """Records active on some D of the periods (a pre-filter that only drops records no
    period can count, so a short refresh or a drill-down reads little)."""
    return and_(start <= _last_d(periods), or_(end.is_(None), end > _first(periods, "d_end")))


def _groups(units: FromClause) -> FromClause:
    return select(units.c.group_code).distinct().subquery("grp")


def _sum_if(cond: ColumnElement) -> ColumnElement:
    return func.sum(case((cond, 1), else_=0))


def _active_on_d(start: ColumnElement, end: ColumnElement, periods: FromClause) -> ColumnElement:
    """§3: started on or before D and not ended on or before D."""
    return and_(start <= periods.c.d_end, or_(end.is_(None), end > periods.c.d_end))


def _unit_counts(units: FromClause) -> FromClause:
    """Villages, townships and counties at or under each group (period-independent)."""
    r = regions
    return (
        select(
            units.c.group_code,
            _sum_if(r.c.level == "village").label("villages"),
            _sum_if(r.c.level == "township").label("townships"),
            _sum_if(r.c.level == "county").label("counties"),
        )
        .select_from(units.join(r, r.c.code == units.c.leaf_code))
        .group_by(units.c.group_code)
        .subquery("unit_counts")
    )


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
    in_reach = and_(event_on > _first(periods, f"d_minus_{days}"), event_on <= _last_d(periods))
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


# --------------------------------------------------------------------------- metric families


def homes_family(units: FromClause, periods: FromClause) -> Select:
    """home_coverage, demo_homes: homes active on D whose status is not `building`."""
    h, r, p = children_homes, regions, periods
    agg = (
        select(
            units.c.group_code,
            p.c.period,
            func.count(distinct(case((r.c.level == "village", h.c.village_code)))).label("covered"),
            _sum_if(h.c.is_demonstration).label("demo"),
        )
        .select_from(
            h.join(units, units.c.leaf_code == h.c.village_code)
            .join(r, r.c.code == h.c.village_code)
            .join(p, _active_on_d(h.c.established_on, h.c.closed_on, p))
        )
        .where(h.c.status != "building")
        .group_by(units.c.group_code, p.c.period)
        .subquery("homes_active")
    )
    grp, uc = _groups(units), _unit_counts(units)
    from_ = (
        grp.join(p, true())
        .join(uc, uc.c.group_code == grp.c.group_code)
        .outerjoin(agg, _on_group_period(agg, grp, p))
    )
    return _wide(
        grp,
        p,
        from_,
        {
            "home_coverage": (_z(agg.c.covered), _z(uc.c.villages)),
            "demo_homes": (_z(agg.c.demo), None),
        },
    )


def staff_family(units: FromClause, periods: FromClause) -> Select:
    """The seven staffing metrics: staff active on D (appointed_on ≤ D, left_on null or > D)."""
    s, r, t, p = staff, regions, trainings, periods
    is_dir = s.c.role == "director"
    # Certified on D ⇔ the first passed initial training is on or before D.
    first_cert = (
        select(t.c.staff_id, func.min(t.c.trained_on).label("first_on"))
        .where(t.c.passed, t.c.kind == "initial")
        .group_by(t.c.staff_id)
        .subquery("first_cert")
    )
    certified = first_cert.c.first_on <= p.c.d_end
    agg = (
        select(
            units.c.group_code,
            p.c.period,
            func.count().label("staff"),
            func.count(
                distinct(
                    case((and_(s.c.role == "supervisor", r.c.level == "township"), s.c.region_code))
                )
            ).label("sup_townships"),
            func.count(
                distinct(case((and_(is_dir, r.c.level == "village"), s.c.region_code)))
            ).label("dir_villages"),
            _sum_if(is_dir).label("directors"),
            _sum_if(and_(is_dir, s.c.is_female_committee_member)).label("female_directors"),
            _sum_if(s.c.is_dedicated).label("dedicated"),
            _sum_if(certified).label("certified"),
            _sum_if(s.c.is_registered).label("registered"),
        )
        .select_from(
            s.join(units, units.c.leaf_code == s.c.region_code)
            .join(r, r.c.code == s.c.region_code)
            .join(p, _active_on_d(s.c.appointed_on, s.c.left_on, p))
            .outerjoin(first_cert, first_cert.c.staff_id == s.c.id)
        )
        .group_by(units.c.group_code, p.c.period)
        .subquery("staff_active")
    )
    # Trained in the 365 days ending D: passed trainings as window pieces (any kind).
    staff_owners = _owners(units, s, s.c.region_code, s.c.appointed_on, s.c.left_on, "staff_own")
    trained_rows = _window_pieces(
        staff_owners,
        p,
        t.c.staff_id,
        t.c.trained_on,
        TRAINING_WINDOW_DAYS,
        "training",
        (t.c.passed,),
    )
    trained = _interval_counts(trained_rows, p, ("n",), "staff_trained")
    grp, uc = _groups(units), _unit_counts(units)
    from_ = (
        grp.join(p, true())
        .join(uc, uc.c.group_code == grp.c.group_code)
        .outerjoin(agg, _on_group_period(agg, grp, p))
        .outerjoin(trained, _on_group_period(trained, grp, p))
    )
    n_staff = _z(agg.c.staff)
    return _wide(
        grp,
        p,
        from_,
        {
            "supervisor_coverage": (_z(agg.c.sup_townships), _z(uc.c.townships)),
            "director_coverage": (_z(agg.c.dir_villages), _z(uc.c.villages)),
            "female_director_share": (_z(agg.c.female_directors), _z(agg.c.directors)),
            "dedicated_share": (_z(agg.c.dedicated), n_staff),
            "certified_rate": (_z(agg.c.certified), n_staff),
            "trained_12m": (_z(trained.c.n), n_staff),
            "registered_rate": (_z(agg.c.registered), n_staff),
        },
    )


def _child_months():
    c = children
    return month_index(c.c.registered_on), func.coalesce(month_index(c.c.exited_on), OPEN_END)


def children_family(units: FromClause, periods: FromClause) -> Select:
    """Children counts, visit_rate_90d and care_coverage over month-index intervals (see the
    module docstring for why this equals "active on D" at a month's last day)."""
    c, v, ca, p = children, visits, care_actions, periods
    reg_m, exit_m = _child_months()
    on_units = units.c.leaf_code == c.c.village_code

    # Active children: [month(registered_on), month(exited_on)).
    child_rows = (
        select(
            units.c.group_code,
            reg_m.label("ms"),
            exit_m.label("me"),
            literal_column("1", Integer).label("n"),
            case((c.c.category == "left_behind", 1), else_=0).label("left_behind"),
            case((c.c.category == "difficulty", 1), else_=0).label("difficulty"),
            case((c.c.guardianship_quality == "none", 1), else_=0).label("unguarded"),
        )
        .select_from(c.join(units, on_units))
        .where(_active_in_span(c.c.registered_on, c.c.exited_on, p))
        .subquery("child_rows")
    )
    kids = _interval_counts(
        child_rows, p, ("n", "left_behind", "difficulty", "unguarded"), "kids_active"
    )

    # Visits: see _window_pieces.
    kid_owners = _owners(units, c, c.c.village_code, c.c.registered_on, c.c.exited_on, "kid_own")
    visit_rows = _window_pieces(
        kid_owners, p, v.c.child_id, v.c.visited_on, VISIT_WINDOW_DAYS, "visit"
    )
    visited = _interval_counts(visit_rows, p, ("n",), "kids_visited")

    # Care pieces: actions ordered by start; each keeps only the months after every earlier
    # action's end (running max), then is clipped to the child's active months.
    ca_end = func.coalesce(month_index(ca.c.ended_on), OPEN_END)
    care_seq = (
        select(
            ca.c.child_id,
            month_index(ca.c.started_on).label("sm"),
            ca_end.label("em"),
            func.max(ca_end)
            .over(partition_by=ca.c.child_id, order_by=ca.c.started_on, rows=(None, -1))
            .label("earlier_em"),
        )
        .where(
            ca.c.child_id.in_(select(kid_owners.c.id)),
            _active_in_span(ca.c.started_on, ca.c.ended_on, p),
        )
        .subquery("care_seq")
    )
    care_rows = (
        select(
            kid_owners.c.group_code,
            greatest(
                care_seq.c.sm, func.coalesce(care_seq.c.earlier_em, care_seq.c.sm), kid_owners.c.ams
            ).label("ms"),
            least(care_seq.c.em, kid_owners.c.ame).label("me"),
            literal_column("1", Integer).label("n"),
        )
        .select_from(care_seq.join(kid_owners, kid_owners.c.id == care_seq.c.child_id))
        .subquery("care_rows")
    )
    cared = _interval_counts(care_rows, p, ("n",), "kids_cared")

    grp = _groups(units)
    from_ = (
        grp.join(p, true())
        .outerjoin(kids, _on_group_period(kids, grp, p))
        .outerjoin(visited, _on_group_period(visited, grp, p))
        .outerjoin(cared, _on_group_period(cared, grp, p))
    )
    active = _z(kids.c.n)
    return _wide(
        grp,
        p,
        from_,
        {
            "children_active": (active, None),
            "children_left_behind": (_z(kids.c.left_behind), None),
            "children_difficulty": (_z(kids.c.difficulty), None),
            "children_unguarded": (_z(kids.c.unguarded), None),
            "visit_rate_90d": (_z(visited.c.n), active),
            "care_coverage": (_z(cared.c.n), active),
        },
    )


def cases_family(units: FromClause, periods: FromClause) -> Select:
    """open_cases, overdue_cases, case_closure_days, referral_timely (a case's referrals
    belong to the case's region; "within the period" = d_start ≤ date ≤ D)."""
    k, f, p = cases, referrals, periods
    on_units = units.c.leaf_code == k.c.region_code
    open_ = (
        select(
            units.c.group_code,
            p.c.period,
            func.count().label("open"),
            _sum_if(k.c.due_on < p.c.d_end).label("overdue"),
        )
        .select_from(
            k.join(units, on_units).join(p, _active_on_d(k.c.received_on, k.c.closed_on, p))
        )
        .group_by(units.c.group_code, p.c.period)
        .subquery("cases_open")
    )
    closed = (
        select(
            units.c.group_code,
            p.c.period,
            func.sum(days_between(k.c.closed_on, k.c.received_on)).label("days"),
            func.count().label("closed"),
        )
        .select_from(
            k.join(units, on_units).join(
                p, and_(k.c.closed_on >= p.c.d_start, k.c.closed_on <= p.c.d_end)
            )
        )
        .group_by(units.c.group_code, p.c.period)
        .subquery("cases_closed")
    )
    timely = and_(
        f.c.responded_on.is_not(None),
        days_between(f.c.responded_on, f.c.referred_on) <= TIMELY_REFERRAL_DAYS,
    )
    refs = (
        select(
            units.c.group_code,
            p.c.period,
            func.count().label("made"),
            _sum_if(timely).label("timely"),
        )
        .select_from(
            f.join(k, k.c.id == f.c.case_id)
            .join(units, on_units)
            .join(p, and_(f.c.referred_on >= p.c.d_start, f.c.referred_on <= p.c.d_end))
        )
        .group_by(units.c.group_code, p.c.period)
        .subquery("referrals_made")
    )
    grp = _groups(units)
    from_ = (
        grp.join(p, true())
        .outerjoin(open_, _on_group_period(open_, grp, p))
        .outerjoin(closed, _on_group_period(closed, grp, p))
        .outerjoin(refs, _on_group_period(refs, grp, p))
    )
    return _wide(
        grp,
        p,
        from_,
        {
            "open_cases": (_z(open_.c.open), None),
            "overdue_cases": (_z(open_.c.overdue), None),
            "case_closure_days": (_z(closed.c.days), _z(closed.c.closed)),
            "referral_timely": (_z(refs.c.timely), _z(refs.c.made)),
        },
    )


def institutions_family(units: FromClause, periods: FromClause) -> Select:
    """protection_center_ready: counties with a minor_protection_center at the county's own
    code, transformed or designated / counties (no dates: the same every month)."""
    r, i, p = regions, institutions, periods
    ready = (
        exists()
        .where(
            i.c.region_code == r.c.code,
            i.c.kind == "minor_protection_center",
            i.c.status.in_(("transformed", "designated")),
        )
        .correlate(r)
    )
    agg = (
        select(
            units.c.group_code,
            _sum_if(r.c.level == "county").label("counties"),
            _sum_if(and_(r.c.level == "county", ready)).label("ready"),
        )
        .select_from(units.join(r, r.c.code == units.c.leaf_code))
        .group_by(units.c.group_code)
        .subquery("centers")
    )
    grp = _groups(units)
    from_ = grp.join(p, true()).outerjoin(agg, agg.c.group_code == grp.c.group_code)
    return _wide(grp, p, from_, {"protection_center_ready": (_z(agg.c.ready), _z(agg.c.counties))})


def purchases_family(units: FromClause, periods: FromClause) -> Select:
    """purchase_yuan: purchases of the period's year at or under the group, rounded to the fen
    so that SQLite's float sum and PostgreSQL's numeric sum store the same number."""
    sp, p = service_purchases, periods
    agg = (
        select(
            units.c.group_code,
            p.c.period,
            func.round(func.sum(sp.c.amount_yuan), 2).label("amount"),
        )
        .select_from(
            sp.join(units, units.c.leaf_code == sp.c.region_code).join(p, sp.c.year == p.c.year)
        )
        .group_by(units.c.group_code, p.c.period)
        .subquery("purchases")
    )
    grp = _groups(units)
    from_ = grp.join(p, true()).outerjoin(agg, _on_group_period(agg, grp, p))
    return _wide(grp, p, from_, {"purchase_yuan": (_z(agg.c.amount), None)})


Builder = Callable[[FromClause, FromClause], Select]

FAMILIES: dict[str, tuple[Builder, tuple[str, ...]]] = {
    "homes": (homes_family, ("home_coverage", "demo_homes")),
    "staff": (
        staff_family,
        (
            "supervisor_coverage",
            "director_coverage",
            "female_director_share",
            "dedicated_share",
            "certified_rate",
            "trained_12m",
            "registered_rate",
        ),
    ),
    "children": (
        children_family,
        (
            "children_active",
            "children_left_behind",
            "children_difficulty",
            "children_unguarded",
            "visit_rate_90d",
            "care_coverage",
        ),
    ),
    "cases": (
        cases_family,
        ("open_cases", "overdue_cases", "case_closure_days", "referral_timely"),
    ),
    "institutions": (institutions_family, ("protection_center_ready",)),
    "purchases": (purchases_family, ("purchase_yuan",)),
}

FAMILY_OF: dict[str, str] = {m: fam for fam, (_, ms) in FAMILIES.items() for m in ms}
if set(FAMILY_OF) != set(METRIC_CODES):  # a metric added to data/metrics.py needs SQL here
    raise RuntimeError(f"metrics without SQL: {sorted(set(METRIC_CODES) - set(FAMILY_OF))}")


def has_denominator(metric: str) -> bool:
    """Rates and means keep a denominator; counts and sums store it as null."""
    return BY_CODE[metric].kind not in ("count", "sum")


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
    rows = _union(parts).subquery("metric_rows")
    return select(
        rows.c.group_code,
        rows.c.period,
        rows.c.metric,
        rows.c.numerator,
        rows.c.denominator,
        value_expr(rows.c.numerator, rows.c.denominator).label("value"),
    )
