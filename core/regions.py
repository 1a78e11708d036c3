"""The region tree (DESIGN.md §3): its levels and the two walks every query of regions
uses — down from known rows (`descend`) and up a row's ancestors (`ancestor_chain`).

The tree is at most five levels deep (province › prefecture › county › township › village),
so a walk is at most four self-joins: one statement, the same SQL on SQLite and PostgreSQL,
no recursive CTE. Here, below queries/ and metric_engine/, because both walk the tree (the
indicator SQL's units and the scoped region lookups).
"""

from __future__ import annotations

from sqlalchemy import Alias, Join, and_
from sqlalchemy.sql import ColumnElement, FromClause

from data.schema import regions

__all__ = ["LEVELS", "MAX_DEPTH", "ancestor_chain", "descend", "join_ancestors"]

LEVELS: tuple[str, ...] = ("province", "prefecture", "county", "township", "village")
MAX_DEPTH = len(LEVELS) - 1  # ancestors above a village


def ancestor_chain(prefix: str, length: int = MAX_DEPTH + 1) -> tuple[list[Alias], Join | Alias]:
    """Aliases r, parent(r), grandparent(r), ... (`length` of them; by default up to the
    root) outer-joined, for one row's breadcrumb or to read a record's county off its
    region. To find the regions under a scope, walk down with `descend`."""
    chain = [regions.alias(f"{prefix}{i}") for i in range(length)]
    return chain, join_ancestors(chain[0], chain[0], chain[1:])


def join_ancestors(joined: FromClause, child: FromClause, parents: list[Alias]) -> FromClause:
    """`joined` outer-joined with `parents`, each the parent of the one before, the first
    the parent of `child` (a region alias inside `joined`). The one upward walk: the
    breadcrumb, a record's county, the scope's own ancestors in `queries.regions`."""
    for parent in parents:
        joined = joined.outerjoin(parent, parent.c.code == child.c.parent_code)
        child = parent
    return joined


def descend(
    top: FromClause, top_code: ColumnElement, depth: int, prefix: str
) -> tuple[FromClause, list[Alias]]:
    """`top` joined with `depth` generations of regions below `top_code` along parent_code
    (aliases `{prefix}_{depth}_{i}`, i = 0 the child of `top_code`); returns the join and
    the aliases, top-down. A row naming itself as its parent is not its own child.

    Walking down from known rows reads only the subtree, each step an index lookup on
    parent_code. The former filter "the scope is r or one of r's ancestors" (an OR over an
    ancestor chain) joined five scans of the whole table before filtering, and PostgreSQL
    guessed ~5 rows for 21,000 villages. Its estimate of a walk is still low (one child per
    parent: 45 rows for the province's villages), so the gain is in the work, 3-4x less for
    a whole subtree, not in the estimate."""
    chain = [regions.alias(f"{prefix}_{depth}_{i}") for i in range(depth)]
    joined = top
    upper_code = top_code
    for lower in chain:
        joined = joined.join(
            lower, and_(lower.c.parent_code == upper_code, lower.c.code != upper_code)
        )
        upper_code = lower.c.code
    return joined, chain
