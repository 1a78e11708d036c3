"""Region lookups, always relative to the user's scope (DESIGN.md §6: the scope is enforced
here, not only by hiding widgets).

The tree is at most five levels deep (province › prefecture › county › township › village),
so a region's ancestors, or the regions under a scope, are found with at most four self-joins:
one statement, same SQL on SQLite and PostgreSQL, no recursive CTE.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
from sqlalchemy import Alias, CompoundSelect, Engine, Select, select, union_all
from sqlalchemy.sql import ColumnElement

from core.regions import LEVELS, MAX_DEPTH, ancestor_chain, descend, join_ancestors
from data.schema import regions

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


def walk_down(
    scope: str,
    level: str | None,
    columns: Callable[[list[Alias]], list[ColumnElement]],
    up: int = 1,
    prefix: str = "ws",
) -> Select | CompoundSelect:
    """UNION ALL over depths 0..MAX_DEPTH below `scope` of `columns(lineage)` for every
    region at or under the scope (optionally only at `level`). `lineage` lists the region,
    its parent, ... the scope row, then `up` of the scope's own ancestors (outer-joined, so
    null above the root): lineage[0] is the region and lineage[1] its parent at any depth.
    The one implementation behind `within_scope` and `queries.places.places`.

    Each level lies below its parent's (which is what bounds the tree at MAX_DEPTH), so a
    region at `level` is at most LEVELS.index(level) steps below any scope: deeper branches
    (walking every village to find counties) are left out."""
    if level is not None and level not in LEVELS:
        raise ValueError(f"unknown level {level!r}")
    deepest = MAX_DEPTH if level is None else LEVELS.index(level)
    top = regions.alias(f"{prefix}_top")
    above = [regions.alias(f"{prefix}_up{i}") for i in range(up)]
    parts = []
    for depth in range(deepest + 1):
        joined, chain = descend(top, top.c.code, depth, prefix)
        joined = join_ancestors(joined, top, above)
        lineage = [*chain[::-1], top, *above]
        stmt = select(*columns(lineage)).select_from(joined).where(top.c.code == scope)
        if level is not None:
            stmt = stmt.where(lineage[0].c.level == level)
        parts.append(stmt)
    return parts[0] if len(parts) == 1 else union_all(*parts)


def within_scope(scope: str, level: str | None = None) -> Select:
    """Regions equal to `scope` or under it (optionally only at `level`), with the parent's
    name as `parent_name`. A Select other queries join against, so scope filtering lives in
    one place; it walks down from the scope row (see `descend` for why not up). Give
    `level` rather than filtering on level afterwards: only then does the walk stop above
    the villages."""

    def columns(lineage: list[Alias]) -> list[ColumnElement]:
        r, parent = lineage[0], lineage[1]
        return [*(r.c[c] for c in REGION_COLUMNS), parent.c.name.label("parent_name")]

    return select(walk_down(scope, level, columns, up=1).subquery("within_scope"))


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
    chain, joined = ancestor_chain("p")
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


def narrow_scope(engine: Engine, scope: str, region: str | None) -> str:
    """The region a query shows: `region` when given (it must lie inside the user's scope,
    else ScopeError), otherwise the scope itself. Every live query that takes an optional
    narrower region calls this, so a region from a URL never widens what a user sees."""
    if region is None or region == scope:
        return scope
    require_within(engine, region, scope)
    return region


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
