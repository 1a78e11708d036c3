"""Date arithmetic that compiles per backend, so one expression gives the same integers and
dates on SQLite (ISO text dates) and PostgreSQL (DATE): month indexes, adding days, days
between two dates, and scalar GREATEST/LEAST.
"""

from __future__ import annotations

from sqlalchemy import Date, Float, Integer, literal_column
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql import ColumnElement
from sqlalchemy.sql.expression import FunctionElement

# A month index beyond any real date: the end of an open interval. Rendered as a literal so
# that an expression using it is textually identical wherever it repeats.
OPEN_END = literal_column("9999999", Integer)


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
