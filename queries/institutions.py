"""机构与保障 (DESIGN.md §5 view 6): minor protection centres by county, child welfare
institutions and welfare guidance centres, and government service purchases by item, year and
area with amounts per child.

Institutions carry no dates, so their figures are the same in every period. Purchases count
in the period's year; a purchase belongs to its region and every region above it, so a
county's amount holds what was bought at the county or below, and the scope's total also holds
what its prefecture or province bought at their own level. Amounts per child divide by the
active children on D (`children_active` of kpi_snapshots, the rollup of DESIGN.md §4; for a
past year, the snapshot of its December). No Streamlit here.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sqlalchemy import Engine, func, select

from core.periods import parse_period
from data.labels import PURCHASE_ITEM
from data.schema import institutions, kpi_snapshots, service_purchases
from queries.live import areas_at, scope_areas
from queries.regions import ScopeError, narrow_scope, within_scope

__all__ = [
    "CENTER_STATUSES",
    "ScopeError",
    "center_status_counts",
    "institution_summary",
    "institutions_list",
    "protection_centers_by_county",
    "purchases_by_area",
    "purchases_by_item",
    "purchases_by_year",
]

# Best first: a county's centre status is the best of its minor protection centres.
CENTER_STATUSES = ("transformed", "designated", "pending", "none")
READY_STATUSES = ("transformed", "designated")
KINDS = ("minor_protection_center", "child_welfare_institution", "welfare_guidance_center")


def _num(series: pd.Series) -> pd.Series:
    return pd.to_numeric(series, errors="coerce").astype(float)


# --------------------------------------------------------------------------- institutions


def protection_centers_by_county(
    engine: Engine, scope: str, period: str, region: str | None = None
) -> pd.DataFrame:
    """One row per county of the scope: status (the best of its minor protection centres
    registered at the county's own code: transformed > designated > pending; 'none' without
    one), centers, capacity, children_in_care and ready (transformed or designated: the
    numerator of protection_center_ready)."""
    scope = narrow_scope(engine, scope, region)
    parse_period(period)
    counties = areas_at(engine, scope, "county")
    i = institutions
    stmt = select(i.c.region_code, i.c.status, i.c.capacity, i.c.children_in_care).where(
        i.c.kind == "minor_protection_center",
        i.c.region_code.in_(select(within_scope(scope, "county").subquery().c.code)),
    )
    with engine.connect() as conn:
        mpc = pd.read_sql(stmt, conn)
    rank = {s: n for n, s in enumerate(CENTER_STATUSES)}
    rows = []
    for code in counties["code"]:
        own = mpc[mpc["region_code"] == code]
        best = min(own["status"], key=lambda s: rank.get(s, len(rank)), default="none")
        rows.append(
            {
                "code": code,
                "status": best,
                "centers": len(own),
                "capacity": _num(own["capacity"]).sum(min_count=1),
                "children_in_care": _num(own["children_in_care"]).sum(min_count=1),
            }
        )
    out = counties.merge(
        pd.DataFrame(rows, columns=["code", "status", "centers", "capacity", "children_in_care"]),
        on="code",
        how="left",
    )
    out["centers"] = out["centers"].astype(int)
    out["ready"] = out["status"].isin(READY_STATUSES)
    return out


def institutions_list(
    engine: Engine, scope: str, period: str, region: str | None = None
) -> pd.DataFrame:
    """Every institution registered in the scope (at its region or below), by kind then
    region: id, kind, region_code, region_name, region_level, parent_name, is_regional,
    status, capacity, children_in_care and occupancy (children_in_care / capacity, null
    without a capacity)."""
    scope = narrow_scope(engine, scope, region)
    parse_period(period)
    sub = within_scope(scope).subquery()
    i = institutions
    stmt = (
        select(
            i.c.id,
            i.c.kind,
            i.c.region_code,
            sub.c.name.label("region_name"),
            sub.c.level.label("region_level"),
            sub.c.parent_name,
            i.c.is_regional,
            i.c.status,
            i.c.capacity,
            i.c.children_in_care,
        )
        .select_from(i.join(sub, sub.c.code == i.c.region_code))
        .order_by(i.c.kind, i.c.region_code, i.c.id)
    )
    with engine.connect() as conn:
        df = pd.read_sql(stmt, conn)
    df["is_regional"] = df["is_regional"].astype(bool)
    df["capacity"] = _num(df["capacity"])
    df["children_in_care"] = _num(df["children_in_care"])
    df["occupancy"] = np.where(df["capacity"] > 0, df["children_in_care"] / df["capacity"], np.nan)
    order = {k: n for n, k in enumerate(KINDS)}
    return df.sort_values(
        ["kind", "region_code", "id"], key=lambda s: s.map(order) if s.name == "kind" else s
    ).reset_index(drop=True)


def institution_summary(
    engine: Engine, scope: str, period: str, region: str | None = None
) -> pd.DataFrame:
    """Per kind (KINDS order): institutions, regional, transformed, designated, pending,
    capacity, children_in_care and occupancy (children in care / capacity over the
    institutions that state a capacity)."""
    scope = narrow_scope(engine, scope, region)
    df = institutions_list(engine, scope, period)
    rows = []
    for kind in KINDS:
        part = df[df["kind"] == kind]
        with_cap = part[part["capacity"] > 0]
        cap = float(with_cap["capacity"].sum())
        in_care = float(with_cap["children_in_care"].fillna(0).sum())
        rows.append(
            {
                "kind": kind,
                "institutions": len(part),
                "regional": int(part["is_regional"].sum()),
                **{s: int((part["status"] == s).sum()) for s in CENTER_STATUSES[:3]},
                "capacity": float(part["capacity"].sum(min_count=1)),
                "children_in_care": float(part["children_in_care"].sum(min_count=1)),
                "occupancy": in_care / cap if cap else np.nan,
            }
        )
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- purchases


def _children_snapshot(engine: Engine, codes: list[str], period: str) -> dict[str, float]:
    """children_active of kpi_snapshots for the regions in one period (missing: absent)."""
    k = kpi_snapshots
    stmt = select(k.c.region_code, func.coalesce(k.c.value, k.c.numerator)).where(
        k.c.metric == "children_active", k.c.period == period, k.c.region_code.in_(codes)
    )
    with engine.connect() as conn:
        return {code: float(v) for code, v in conn.execute(stmt) if v is not None}


def _per_child(amount: pd.Series | float, kids: pd.Series | float):
    """Yuan per active child; null when there are no children (never 0 or infinity)."""
    if isinstance(kids, pd.Series):
        return (amount / kids.where(kids > 0)).astype(float)
    return amount / kids if kids and kids > 0 else np.nan


def _purchase_sums(
    engine: Engine, scope: str, by: tuple[str, ...], year: int, earlier_years: bool = False
) -> pd.DataFrame:
    """The scope's purchases of `year` (with `earlier_years`, of every year up to it), bought
    at the scope's own region or any under it, summed per `by` (year, item, county_code: the
    county a purchase lies in, null above a county): amount_yuan (float), purchases and
    providers (distinct provider organisations)."""
    sp = service_purchases
    area = scope_areas(scope)
    columns = {"year": sp.c.year, "item": sp.c.item, "county_code": area.c.county_code}
    keys = [columns[name] for name in by]
    stmt = (
        select(
            *keys,
            func.sum(sp.c.amount_yuan).label("amount_yuan"),
            func.count().label("purchases"),
            func.count(func.distinct(sp.c.provider_org)).label("providers"),
        )
        .select_from(sp.join(area, area.c.code == sp.c.region_code))
        .where(sp.c.year <= year if earlier_years else sp.c.year == year)
        .group_by(*keys)
    )
    with engine.connect() as conn:
        df = pd.read_sql(stmt, conn)
    df["amount_yuan"] = _num(df["amount_yuan"])
    return df


def purchases_by_item(
    engine: Engine, scope: str, period: str, region: str | None = None
) -> pd.DataFrame:
    """Purchases of the period's year in the scope per item (PURCHASE_ITEM order, every item
    present): amount_yuan, purchases, providers (distinct provider organisations) and
    per_child_yuan (amount / active children of the scope on D)."""
    scope = narrow_scope(engine, scope, region)
    p = parse_period(period)
    found = {r.item: r for r in _purchase_sums(engine, scope, ("item",), p.year).itertuples()}
    kids = _children_snapshot(engine, [scope], period).get(scope)
    rows = []
    for item in PURCHASE_ITEM:
        r = found.get(item)
        amount = round(float(r.amount_yuan), 2) if r else 0.0
        rows.append(
            {
                "item": item,
                "amount_yuan": amount,
                "purchases": int(r.purchases) if r else 0,
                "providers": int(r.providers) if r else 0,
                "per_child_yuan": _per_child(amount, kids),
            }
        )
    return pd.DataFrame(rows)


def purchases_by_year(
    engine: Engine, scope: str, period: str, region: str | None = None
) -> pd.DataFrame:
    """The trend over years, from the first year with a purchase in the scope to the period's
    year: year, amount_yuan, purchases, children_active (on 31 December, or on D for the
    period's year; null without a snapshot) and per_child_yuan. Plus one column per item
    (amount in yuan) for the stacked chart."""
    scope = narrow_scope(engine, scope, region)
    p = parse_period(period)
    long = _purchase_sums(engine, scope, ("year", "item"), p.year, earlier_years=True)
    cols = ["year", "amount_yuan", "purchases", "children_active", "per_child_yuan", *PURCHASE_ITEM]
    if long.empty:
        return pd.DataFrame(columns=cols)
    rows = []
    for year in range(int(long["year"].min()), p.year + 1):
        part = long[long["year"] == year]
        as_of = period if year == p.year else f"{year}-12"
        kids = _children_snapshot(engine, [scope], as_of).get(scope, np.nan)
        amount = round(float(part["amount_yuan"].sum()), 2)
        by_item = part.set_index("item")["amount_yuan"]
        rows.append(
            {
                "year": year,
                "amount_yuan": amount,
                "purchases": int(part["purchases"].sum()),
                "children_active": kids,
                "per_child_yuan": _per_child(amount, kids),
                **{i: round(float(by_item.get(i, 0.0)), 2) for i in PURCHASE_ITEM},
            }
        )
    return pd.DataFrame(rows, columns=cols)


def purchases_by_area(
    engine: Engine, scope: str, period: str, region: str | None = None
) -> pd.DataFrame:
    """One row per county of the scope for the period's year: amount_yuan (bought at the
    county or below), items (distinct items bought), children_active (on D), per_child_yuan
    and one column per item (amount in yuan). Counties that bought nothing show 0."""
    scope = narrow_scope(engine, scope, region)
    p = parse_period(period)
    long = _purchase_sums(engine, scope, ("county_code", "item"), p.year)
    long = long[long["county_code"].notna()]  # bought above a county: in no county's row
    out = areas_at(engine, scope, "county")
    wide = long.pivot_table(
        index="county_code", columns="item", values="amount_yuan", aggfunc="sum"
    )
    for item in PURCHASE_ITEM:
        col = wide[item] if item in wide.columns else pd.Series(dtype=float)
        out[item] = out["code"].map(col).fillna(0.0).round(2)
    out["amount_yuan"] = out[list(PURCHASE_ITEM)].sum(axis=1).round(2)
    out["items"] = (out[list(PURCHASE_ITEM)] > 0).sum(axis=1).astype(int)
    kids = _children_snapshot(engine, out["code"].tolist(), period)
    out["children_active"] = out["code"].map(kids).astype(float)
    out["per_child_yuan"] = _per_child(out["amount_yuan"], out["children_active"])
    first = [
        "code",
        "name",
        "parent_name",
        "amount_yuan",
        "items",
        "children_active",
        "per_child_yuan",
    ]
    return out[first + list(PURCHASE_ITEM)]


def center_status_counts(by_county: pd.DataFrame) -> pd.DataFrame:
    """Counties per centre status for each prefecture (parent_name), from
    `protection_centers_by_county`: one column per CENTER_STATUSES, counties, ready and
    ready_share (protection_center_ready of the prefecture), prefectures in first-seen order."""
    rows = []
    for parent, part in by_county.groupby("parent_name", sort=False):
        n = len(part)
        ready = int(part["ready"].sum())
        rows.append(
            {
                "parent_name": parent,
                **{s: int((part["status"] == s).sum()) for s in CENTER_STATUSES},
                "counties": n,
                "ready": ready,
                "ready_share": ready / n if n else np.nan,
            }
        )
    cols = ["parent_name", *CENTER_STATUSES, "counties", "ready", "ready_share"]
    return pd.DataFrame(rows, columns=cols)
