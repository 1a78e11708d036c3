"""Region lookups, always relative to the user's scope (DESIGN.md §6: the scope is enforced
here, not only by hiding widgets).

The tree is at most five levels deep (province › prefecture › county › township › village),
so a region's ancestors are found with four self-joins: one statement, same SQL on SQLite and
PostgreSQL, no recursive CTE.
"""

from __future__ import annotations

from itertools import pairwise

import pandas as pd
from sqlalchemy import Alias, Engine, Join, Select, or_, select

from data.schema import regions

LEVELS: tuple[str, ...] = ("province", "prefecture", "county", "township", "village")
MAX_DEPTH = len(LEVELS) - 1  # ancestors above a village

REGION_COLUMNS = (
    "code",
    "name",
    "level",
    "parent_code",
    "kind",
    "is_former_poverty_county",
    "population",
)


class ScopeError(PermissionError):
    """A region outside the signed-in user's scope was asked for."""


def _ancestor_chain(prefix: str) -> tuple[list[Alias], Join | Alias]:
    """Aliases r, parent(r), grandparent(r), ... outer-joined up to the root."""
    chain = [regions.alias(f"{prefix}{i}") for i in range(MAX_DEPTH + 1)]
    joined: Join | Alias = chain[0]
    for child, parent in pairwise(chain):
        joined = joined.outerjoin(parent, parent.c.code == child.c.parent_code)
    return chain, joined


def within_scope(scope: str, level: str | None = None) -> Select:
    """Regions equal to `scope` or under it (optionally only at `level`), with the parent's
    name as `parent_name`. A Select other queries join against, so scope filtering lives in
    one place."""
    chain, joined = _ancestor_chain("anc")
    r = chain[0]
    stmt = (
        select(*(r.c[c] for c in REGION_COLUMNS), chain[1].c.name.label("parent_name"))
        .select_from(joined)
        .where(or_(*(a.c.code == scope for a in chain)))
    )
    if level is not None:
        if level not in LEVELS:
            raise ValueError(f"unknown level {level!r}")
        stmt = stmt.where(r.c.level == level)
    return stmt


def region(engine: Engine, code: str, scope: str | None = None) -> dict | None:
    """One region as a dict, or None when the code is unknown; ScopeError when `scope` is
    given and the region lies outside it."""
    with engine.connect() as conn:
        row = conn.execute(
            select(*(regions.c[c] for c in REGION_COLUMNS)).where(regions.c.code == code)
        ).first()
    if row is None:
        return None
    if scope is not None and not is_within(engine, code, scope):
        raise ScopeError(f"region {code} is outside scope {scope}")
    return dict(row._mapping)


def path(engine: Engine, code: str) -> list[dict]:
    """The chain from the root down to `code` (江西省 › 赣州市 › 瑞金市), for breadcrumbs;
    empty when the code is unknown."""
    chain, joined = _ancestor_chain("p")
    cols = []
    for i, a in enumerate(chain):
        cols += [a.c.code.label(f"code{i}"), a.c.name.label(f"name{i}"), a.c.level.label(f"lv{i}")]
    with engine.connect() as conn:
        row = conn.execute(select(*cols).select_from(joined).where(chain[0].c.code == code)).first()
    if row is None:
        return []
    m = row._mapping
    out = [
        {"code": m[f"code{i}"], "name": m[f"name{i}"], "level": m[f"lv{i}"]}
        for i in range(MAX_DEPTH + 1)
        if m[f"code{i}"] is not None
    ]
    return out[::-1]


def is_within(engine: Engine, code: str, scope: str) -> bool:
    """True when `code` is `scope` itself or lies under it via the parent chain."""
    return any(p["code"] == scope for p in path(engine, code))


def require_within(engine: Engine, code: str, scope: str) -> None:
    """Raise ScopeError unless `code` is inside `scope` (an unknown code is outside)."""
    if not is_within(engine, code, scope):
        raise ScopeError(f"region {code} is outside scope {scope}")


def children_of(
    engine: Engine, scope: str, parent_code: str, level: str | None = None
) -> pd.DataFrame:
    """Direct children of `parent_code`, or with `level` all its descendants at that level
    (e.g. the counties of a province). The parent must lie inside the scope."""
    require_within(engine, parent_code, scope)
    if level is None:
        sub = within_scope(parent_code).subquery()
        stmt = select(sub).where(sub.c.parent_code == parent_code)
    else:
        sub = within_scope(parent_code, level).subquery()
        stmt = select(sub).where(sub.c.code != parent_code)
    with engine.connect() as conn:
        df = pd.read_sql(stmt.order_by(sub.c.code), conn)
    return df


def counties_under(engine: Engine, scope: str) -> pd.DataFrame:
    """Every county in the scope (the scope itself when it is a county)."""
    sub = within_scope(scope, "county").subquery()
    with engine.connect() as conn:
        return pd.read_sql(select(sub).order_by(sub.c.code), conn)
