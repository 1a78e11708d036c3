"""A stored record keeps its identity (issue 19.1). A re-import that reuses a 编号 updates
that record only while the row still describes it: the same county (the region's first six
digits, or for a visit, training, activity, referral or care action the county of the child,
person, home or case it belongs to) and, for a child, the same ID number. Otherwise one
county's ledger could replace another county's child (name, ID number, county) and carry its
visits along; such a row is refused at its cell, and nothing of the file is written.

A child who really moved to another county is therefore not moved by an import: the
message says so, and the record stays where it is until it is handled on purpose.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, select

from data import schema as s
from data.load.fields import REF, REGION
from data.load.specs import Spec

# The region column of each table a record can belong to.
REGION_OF = {
    "children": "village_code",
    "staff": "region_code",
    "children_homes": "village_code",
    "cases": "region_code",
}
NOUNS = {
    "children": "儿童",
    "staff": "人员",
    "children_homes": "儿童之家",
    "home_activities": "活动记录",
    "trainings": "培训记录",
    "visits": "探访记录",
    "cases": "个案",
    "referrals": "转介记录",
    "care_actions": "关爱行动记录",
    "institutions": "机构",
    "service_purchases": "购买服务记录",
}
CHUNK = 5_000  # ids per IN (...) lookup
NEW_KEY = "请核对编号；若是另一条记录，请改用未用过的编号"
CHILD_NEW_KEY = "请核对编号；若是另一名儿童，请改用未用过的编号，或不填编号由系统分配"


@dataclass(frozen=True)
class Conflict:
    """A row whose key names a stored record the row does not describe."""

    row: int  # spreadsheet row
    field: str  # the table column whose cell shows it
    value: object  # the file's value in that cell
    message: str  # Chinese


def county_of(code: object) -> str | None:
    """The county (or, above county level, the unit itself) a region code belongs to."""
    return str(code)[:6] if code else None


def owner_field(spec: Spec) -> tuple[str, str | None] | None:
    """(column, referenced kind) that places a record in a county: its own region column
    (kind None), else the record it belongs to (its first required reference)."""
    if spec.kind == "regions":
        return None
    for f in spec.fields:
        if f.type == REGION:
            return f.name, None
    for f in spec.fields:
        if f.type == REF and f.required:
            return f.name, f.ref
    return None


def conflicts(conn: Connection, spec: Spec, pairs: list[tuple[int, dict, dict]]) -> list[Conflict]:
    """The conflicts among `pairs` (row, stored, new) of the rows an import would update,
    read in the caller's transaction."""
    owner = owner_field(spec)
    out: list[Conflict] = []
    if spec.kind == "children":
        for row, old, new in pairs:
            a, b = old.get("id_number"), new.get("id_number")
            if "id_number" in new and a is not None and b is not None and a != b:
                out.append(
                    Conflict(
                        row,
                        "id_number",
                        b,
                        f"编号为 {new[spec.key]} 的儿童在系统中登记的身份证号与本行不同，"
                        f"一个编号只对应一名儿童。{CHILD_NEW_KEY}。",
                    )
                )
    if owner is None:
        return out
    name, ref = owner
    moved = [(row, old, new) for row, old, new in pairs if name in new and old[name] != new[name]]
    if not moved:
        return out
    if ref is None:
        place = {v: county_of(v) for _r, old, new in moved for v in (old[name], new[name])}
    else:
        place = _counties_of(conn, ref, {v for _r, o, n in moved for v in (o[name], n[name])})
    names = _county_names(conn, {c for c in place.values() if c})
    hint = CHILD_NEW_KEY if spec.kind == "children" else NEW_KEY
    for row, old, new in moved:
        before, after = place.get(old[name]), place.get(new[name])
        if before is None or after is None or before == after:
            continue
        out.append(
            Conflict(
                row,
                name,
                new[name],
                f"编号为 {new[spec.key]} 的{NOUNS.get(spec.kind, spec.title)}在系统中属于"
                f"{names.get(before, before)}，本行改为{names.get(after, after)}：导入不跨县"
                f"（市、区）改动已有记录。{hint}。",
            )
        )
    return out


def _counties_of(conn: Connection, kind: str, ids: set) -> dict[object, str | None]:
    """id -> county of the records of `kind` with these ids."""
    table = s.metadata.tables[kind]
    col = table.c[REGION_OF[kind]]
    wanted = sorted(i for i in ids if i is not None)
    out: dict[object, str | None] = {}
    for i in range(0, len(wanted), CHUNK):
        stmt = select(table.c.id, col).where(table.c.id.in_(wanted[i : i + CHUNK]))
        out.update((k, county_of(code)) for k, code in conn.execute(stmt))
    return out


def _county_names(conn: Connection, codes: set[str]) -> dict[str, str]:
    r = s.regions
    return dict(conn.execute(select(r.c.code, r.c.name).where(r.c.code.in_(list(codes)))).all())
