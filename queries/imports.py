"""Import history and data freshness for the 数据管理 view.

Freshness is read from the records' own dates, not from import batches (a batch carries no
county, and a ledger may hold rows of many counties): for each county and each kind of data,
the latest of the dates that show someone touched a record —

  儿童信息 children         max(updated_on, registered_on, exited_on)
  工作队伍 staff            max(info_updated_on, appointed_on, left_on)
  探访记录 visits           max(visited_on)                       (county of the child)
  个案     cases            max(received_on, assessed_on, closed_on)
  转介     referrals        max(referred_on, responded_on)        (county of the case)
  关爱行动 care_actions     max(started_on, ended_on)             (county of the child)
  儿童之家活动 home_activities  max(activity_on)                  (county of the home)
  培训记录 trainings        max(trained_on)                       (county of the person)

dates after the as-of day ignored. A county is stale when one of the monthly ledgers
(children, staff, visits) has no date in the STALE_DAYS (45) days ending on the as-of day.
The county of a record is the first six digits of its region code (DESIGN.md §3: township
and village codes extend their county's). Visits (millions of rows) are searched in growing
windows back from the as-of day over the (visited_on, child_id) index, so the common case
(every county visited lately) reads only the last weeks.
"""

from __future__ import annotations

import json
from datetime import date, timedelta

import pandas as pd
from sqlalchemy import Engine, func, select

from data import schema as s
from queries.privacy import mask_id_number, mask_name, mask_phone
from queries.regions import within_scope

STALE_DAYS = 45
VISIT_WINDOWS = (STALE_DAYS, 180, 730)  # days back searched for visits, in turn
TRACKED = ("children", "staff", "visits")  # monthly ledgers: their age decides staleness
KIND_LABELS = {
    "children": "儿童信息",
    "staff": "工作队伍",
    "visits": "探访记录",
    "cases": "个案",
    "referrals": "转介",
    "care_actions": "关爱行动",
    "home_activities": "儿童之家活动",
    "trainings": "培训记录",
}


def _county(code_col):
    return func.substr(code_col, 1, 6)


def _sources() -> dict[str, tuple]:
    """kind -> (from clause, region code column, date columns)."""
    ch, st, cs = s.children, s.staff, s.cases
    return {
        "children": (ch, ch.c.village_code, (ch.c.updated_on, ch.c.registered_on, ch.c.exited_on)),
        "staff": (st, st.c.region_code, (st.c.info_updated_on, st.c.appointed_on, st.c.left_on)),
        "cases": (cs, cs.c.region_code, (cs.c.received_on, cs.c.assessed_on, cs.c.closed_on)),
        "referrals": (
            s.referrals.join(cs, cs.c.id == s.referrals.c.case_id),
            cs.c.region_code,
            (s.referrals.c.referred_on, s.referrals.c.responded_on),
        ),
        "care_actions": (
            s.care_actions.join(ch, ch.c.id == s.care_actions.c.child_id),
            ch.c.village_code,
            (s.care_actions.c.started_on, s.care_actions.c.ended_on),
        ),
        "home_activities": (
            s.home_activities.join(
                s.children_homes, s.children_homes.c.id == s.home_activities.c.home_id
            ),
            s.children_homes.c.village_code,
            (s.home_activities.c.activity_on,),
        ),
        "trainings": (
            s.trainings.join(st, st.c.id == s.trainings.c.staff_id),
            st.c.region_code,
            (s.trainings.c.trained_on,),
        ),
    }


def _as_date(v) -> date | None:
    if v is None or (isinstance(v, float) and pd.isna(v)):
        return None
    return v if isinstance(v, date) else date.fromisoformat(str(v)[:10])


def _latest(
    conn, frm, code_col, dates, counties, as_of: date, since: date | None = None
) -> dict[str, date]:
    """county -> latest date (≤ as_of, and ≥ since when given) over the date columns."""
    key = _county(code_col).label("county")
    out: dict[str, date] = {}
    for col in dates:
        stmt = select(key, func.max(col)).select_from(frm).where(col <= as_of, key.in_(counties))
        if since is not None:
            stmt = stmt.where(col >= since)
        for county, d in conn.execute(stmt.group_by(key)):
            d = _as_date(d)
            if d is not None and (county not in out or d > out[county]):
                out[county] = d
    return out


def _latest_visits(conn, counties, as_of: date) -> dict[str, date]:
    v, ch = s.visits, s.children
    frm = v.join(ch, ch.c.id == v.c.child_id)
    found: dict[str, date] = {}
    upper = as_of
    for days in VISIT_WINDOWS:
        missing = [c for c in counties if c not in found]
        if not missing:
            break
        lower = as_of - timedelta(days=days)
        key = _county(ch.c.village_code).label("county")
        stmt = (
            select(key, func.max(v.c.visited_on))
            .select_from(frm)
            .where(v.c.visited_on > lower, v.c.visited_on <= upper, key.in_(missing))
            .group_by(key)
        )
        for county, d in conn.execute(stmt):
            if _as_date(d) is not None:
                found[county] = _as_date(d)
        upper = lower
    return found


def freshness(
    engine: Engine, scope: str, as_of: date, stale_days: int = STALE_DAYS
) -> pd.DataFrame:
    """One row per county in the scope: code, name, prefecture, for each kind `<kind>` (last
    date or None) and `<kind>_days` (days since, or None), `last_update` (latest over all
    kinds), `stale_kinds` (Chinese labels of the tracked kinds older than `stale_days` or
    missing) and `stale` (bool). Ordered stale first, then by code."""
    counties_q = within_scope(scope, "county").subquery()
    with engine.connect() as conn:
        counties = pd.read_sql(
            select(counties_q.c.code, counties_q.c.name, counties_q.c.parent_name).order_by(
                counties_q.c.code
            ),
            conn,
        )
        codes = list(counties["code"])
        latest: dict[str, dict[str, date]] = {}
        if codes:
            for kind, (frm, code_col, dates) in _sources().items():
                latest[kind] = _latest(conn, frm, code_col, dates, codes, as_of)
            latest["visits"] = _latest_visits(conn, codes, as_of)
    out = counties.rename(columns={"parent_name": "prefecture"})
    cutoff = as_of - timedelta(days=stale_days)
    for kind in KIND_LABELS:
        got = latest.get(kind, {})
        out[kind] = [got.get(c) for c in codes]
        out[f"{kind}_days"] = [(as_of - got[c]).days if c in got else None for c in codes]
    out["last_update"] = [
        max((latest[k][c] for k in latest if c in latest[k]), default=None) for c in codes
    ]
    out["stale_kinds"] = [
        "、".join(
            KIND_LABELS[k]
            for k in TRACKED
            if latest.get(k, {}).get(c) is None or latest[k][c] <= cutoff
        )
        for c in codes
    ]
    out["stale"] = out["stale_kinds"] != ""
    return out.sort_values(["stale", "code"], ascending=[False, True], ignore_index=True)


def reporting_rate(fresh: pd.DataFrame, stale_days: int = STALE_DAYS) -> pd.DataFrame:
    """Per tracked kind: counties, counties updated within `stale_days`, and the share (the
    按时更新率 of a reporting-rate table). `fresh` is freshness()'s result."""
    rows = []
    n = len(fresh)
    for kind in TRACKED:
        days = fresh[f"{kind}_days"]
        ok = int(((days.notna()) & (days < stale_days)).sum())
        rows.append(
            {
                "kind": kind,
                "label": KIND_LABELS[kind],
                "counties": n,
                "fresh": ok,
                "rate": ok / n if n else None,
            }
        )
    ok_all = int((~fresh["stale"]).sum()) if n else 0
    rows.append(
        {
            "kind": "all",
            "label": "全部按时",
            "counties": n,
            "fresh": ok_all,
            "rate": ok_all / n if n else None,
        }
    )
    return pd.DataFrame(rows)


def history(engine: Engine, limit: int = 200) -> pd.DataFrame:
    """Import attempts newest first: id, imported_at (UTC), kind, file_name, imported_by,
    status, rows_in, rows_loaded, inserted, updated, unchanged, error_count, rollup."""
    b = s.import_batches
    stmt = select(b).order_by(b.c.imported_at.desc(), b.c.id.desc()).limit(max(int(limit), 0))
    with engine.connect() as conn:
        rows = [dict(r) for r in conn.execute(stmt).mappings()]
    for r in rows:
        payload = _payload(r.pop("errors_json"))
        r["error_count"] = int(payload.get("error_count", len(payload.get("errors", []))))
        for k in ("inserted", "updated", "unchanged"):
            r[k] = payload.get(k)
        r["rollup"] = payload.get("rollup", "")
    cols = [
        "id",
        "imported_at",
        "kind",
        "file_name",
        "imported_by",
        "status",
        "rows_in",
        "rows_loaded",
        "inserted",
        "updated",
        "unchanged",
        "error_count",
        "rollup",
    ]
    df = pd.DataFrame(rows, columns=cols + [c for c in (rows[0] if rows else {}) if c not in cols])[
        cols
    ]
    df["imported_at"] = pd.to_datetime(df["imported_at"])
    return df


def batch_errors(engine: Engine, batch_id: int) -> pd.DataFrame:
    """The stored errors of one attempt as problem_frame() shows them (the first 500;
    `error_count` in history() says how many there were)."""
    b = s.import_batches
    with engine.connect() as conn:
        raw = conn.execute(select(b.c.errors_json).where(b.c.id == batch_id)).scalar_one_or_none()
    return problem_frame(_payload(raw).get("errors", []))


def last_import(engine: Engine) -> pd.DataFrame:
    """Per kind: the latest successful import's time and file, and how many attempts."""
    b = s.import_batches
    stmt = (
        select(
            b.c.kind, func.max(b.c.imported_at).label("last_loaded"), func.count().label("loads")
        )
        .where(b.c.status == "loaded")
        .group_by(b.c.kind)
        .order_by(b.c.kind)
    )
    with engine.connect() as conn:
        df = pd.read_sql(stmt, conn)
    df["last_loaded"] = pd.to_datetime(df["last_loaded"])
    return df


def _payload(raw: str | None) -> dict:
    if not raw:
        return {}
    try:
        data = json.loads(raw)
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {"errors": data}


PERSONAL = {"name": mask_name, "id_number": mask_id_number, "phone": mask_phone}


def problem_frame(problems: list[dict]) -> pd.DataFrame:
    """Problems (Problem.as_dict() or stored errors) as the page's table with Chinese
    headers; names, ID numbers and phones masked (DESIGN.md §6) — the row and column tell
    where to look in one's own file."""

    def shown(p: dict) -> str:
        value, field = p.get("value") or "", p.get("field") or ""
        if not value:
            return ""
        if field in PERSONAL:
            return PERSONAL[field](value) or ""
        if field == "child_id" and len(value) >= 15:  # a child named by ID number
            return mask_id_number(value) or ""
        # Text from an uploaded file: never let it become a formula in an exported workbook.
        return "'" + value if value.startswith("=") else value

    return pd.DataFrame(
        {
            "工作表": [p.get("sheet") or "—" for p in problems],
            "行号": [p.get("row") for p in problems],
            "列": [p.get("letter") or "" for p in problems],
            "列名": [p.get("column") or "" for p in problems],
            "单元格内容": [shown(p) for p in problems],
            "问题": [p.get("message") or "" for p in problems],
        }
    ).astype({"行号": "Int64"})
