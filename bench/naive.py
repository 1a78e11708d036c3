"""The overview computed the naive way: pandas over the raw tables, no rollup, no SQL beyond
`SELECT columns FROM table`.

It is the benchmark's yardstick (how much the rollup saves) and an independent cross-check of
the indicator SQL (tests/test_bench_naive.py): every metric of DESIGN.md §4 is written here
straight from its definition, record by record, as of the last day D of the period, for the
province, every prefecture and every county. Big tables are read in chunks and each chunk is
cut down to the rows that matter on D at once, so `xl` (tens of millions of visits) fits in
memory; every row still travels from the database into pandas.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sqlalchemy import Engine, String, Table, select, type_coerce

from core.metrics import BY_CODE, METRIC_CODES
from core.periods import parse_period
from data import schema as s
from metric_engine import TIMELY_REFERRAL_DAYS

LEVELS = ("province", "prefecture", "county")
CHUNK_ROWS = 1_000_000


@dataclass
class NaiveResult:
    """Metric values per group (index: region code; columns: metric codes) and timings."""

    values: pd.DataFrame
    levels: pd.Series  # region code -> level
    read_s: float
    compute_s: float

    @property
    def total_s(self) -> float:
        return self.read_s + self.compute_s


# ---------------------------------------------------------------- reading


def _dates(col: pd.Series) -> pd.Series:
    """ISO text (SQLite) or date objects (PostgreSQL) to datetime64; null stays NaT."""
    return pd.to_datetime(col.astype("string"), format="%Y-%m-%d", errors="raise")


def _scan(
    engine: Engine,
    table: Table,
    columns: list[str],
    keep: Callable[[pd.DataFrame], pd.DataFrame] = lambda df: df,
    dates: tuple[str, ...] = (),
) -> pd.DataFrame:
    """Every row of `table` (those columns), chunk by chunk, each chunk cut by `keep`.

    Date columns are read as they are stored (no per-value conversion by SQLAlchemy) and
    parsed by pandas in one vectorised pass, the fastest plain way."""
    stmt = select(
        *(type_coerce(table.c[c], String).label(c) if c in dates else table.c[c] for c in columns)
    )
    parts = []
    with engine.connect() as conn:
        conn = conn.execution_options(stream_results=True, yield_per=CHUNK_ROWS)
        for chunk in pd.read_sql(stmt, conn, chunksize=CHUNK_ROWS):
            for c in dates:
                chunk[c] = _dates(chunk[c])
            parts.append(keep(chunk))
    if not parts:
        return pd.DataFrame(columns=columns)
    return pd.concat(parts, ignore_index=True)


def _active(df: pd.DataFrame, start: str, end: str, d: pd.Timestamp) -> pd.Series:
    """DESIGN §3: started on or before D and not ended on or before D."""
    return (df[start] <= d) & (df[end].isna() | (df[end] > d))


def read_tables(engine: Engine, period: str) -> dict[str, pd.DataFrame]:
    """The raw rows the overview needs for `period`; chunks are cut to what D can count."""
    p = parse_period(period)
    d = pd.Timestamp(p.d_end)
    d_start = pd.Timestamp(p.d_start)
    d90 = pd.Timestamp(p.window_start(BY_CODE["visit_rate_90d"].window_days))
    out = {
        "regions": _scan(engine, s.regions, ["code", "level", "parent_code"]),
        "homes": _scan(
            engine,
            s.children_homes,
            ["village_code", "status", "is_demonstration", "established_on", "closed_on"],
            lambda df: df[_active(df, "established_on", "closed_on", d)],
            ("established_on", "closed_on"),
        ),
        "staff": _scan(
            engine,
            s.staff,
            [
                "id",
                "role",
                "region_code",
                "is_female_committee_member",
                "is_dedicated",
                "is_registered",
                "appointed_on",
                "left_on",
            ],
            lambda df: df[_active(df, "appointed_on", "left_on", d)],
            ("appointed_on", "left_on"),
        ),
        "trainings": _scan(
            engine,
            s.trainings,
            ["staff_id", "trained_on", "kind", "passed"],
            lambda df: df[df["passed"].astype(bool) & (df["trained_on"] <= d)],
            ("trained_on",),
        ),
        "children": _scan(
            engine,
            s.children,
            [
                "id",
                "village_code",
                "category",
                "guardianship_quality",
                "registered_on",
                "exited_on",
            ],
            lambda df: df[_active(df, "registered_on", "exited_on", d)],
            ("registered_on", "exited_on"),
        ),
        "visits": _scan(
            engine,
            s.visits,
            ["child_id", "visited_on"],
            lambda df: df.loc[
                (df["visited_on"] > d90) & (df["visited_on"] <= d), ["child_id"]
            ].drop_duplicates(),
            ("visited_on",),
        ),
        "care": _scan(
            engine,
            s.care_actions,
            ["child_id", "started_on", "ended_on"],
            lambda df: df.loc[
                _active(df, "started_on", "ended_on", d), ["child_id"]
            ].drop_duplicates(),
            ("started_on", "ended_on"),
        ),
        "cases": _scan(
            engine,
            s.cases,
            ["id", "region_code", "received_on", "due_on", "closed_on"],
            dates=("received_on", "due_on", "closed_on"),
        ),
        "referrals": _scan(
            engine,
            s.referrals,
            ["case_id", "referred_on", "responded_on"],
            lambda df: df[(df["referred_on"] >= d_start) & (df["referred_on"] <= d)],
            ("referred_on", "responded_on"),
        ),
        "institutions": _scan(engine, s.institutions, ["region_code", "kind", "status"]),
        "purchases": _scan(
            engine,
            s.service_purchases,
            ["region_code", "year", "amount_yuan"],
            lambda df: df[df["year"].astype(int) == p.year],
        ),
    }
    return out


# ---------------------------------------------------------------- computing


def ancestors(regions: pd.DataFrame, levels: tuple[str, ...] = LEVELS) -> pd.DataFrame:
    """For every region code, its ancestor (or itself) at each of `levels`, walking
    parent_code."""
    level = regions.set_index("code")["level"]
    parent = regions.set_index("code")["parent_code"]
    out = pd.DataFrame(index=level.index, columns=list(levels), dtype=object)
    cur = pd.Series(level.index, index=level.index, dtype=object)
    for _ in range(6):  # province > prefecture > county > township > village: five levels
        lv = cur.map(level)
        for name in levels:
            hit = (lv == name) & out[name].isna()
            out.loc[hit, name] = cur[hit]
        cur = cur.map(parent)
    return out


def _per_group(codes: pd.Series, values: pd.DataFrame, anc: pd.DataFrame) -> pd.DataFrame:
    """Sum `values` (rows keyed by region code `codes`) into every province, prefecture and
    county at or above the code; codes unknown to the region tree count nowhere."""
    parts = []
    for name in LEVELS:
        group = codes.map(anc[name])
        parts.append(values.groupby(group.to_numpy(), dropna=True).sum())
    return pd.concat(parts)


def _distinct(codes: pd.Series, anc: pd.DataFrame) -> pd.Series:
    """How many distinct codes lie at or under each group."""
    uniq = pd.Series(codes.dropna().unique())
    return _per_group(uniq, pd.DataFrame({"n": np.ones(len(uniq))}), anc)["n"]


def compute(tables: dict[str, pd.DataFrame], period: str) -> tuple[pd.DataFrame, pd.Series]:
    """Every metric of DESIGN §4 for every province, prefecture and county, as of D."""
    p = parse_period(period)
    d = pd.Timestamp(p.d_end)
    d_start = pd.Timestamp(p.d_start)
    d365 = pd.Timestamp(p.window_start(BY_CODE["trained_12m"].window_days))
    reg = tables["regions"]
    anc = ancestors(reg)
    level = reg.set_index("code")["level"]
    groups = level[level.isin(LEVELS)]
    nd: dict[str, tuple[pd.Series, pd.Series | None]] = {}

    def per(codes: pd.Series, **cols) -> pd.DataFrame:
        frame = pd.DataFrame({k: np.asarray(v, dtype=float) for k, v in cols.items()})
        return _per_group(codes.reset_index(drop=True), frame, anc).reindex(groups.index)

    units = per(
        reg["code"],
        villages=reg["level"] == "village",
        townships=reg["level"] == "township",
        counties=reg["level"] == "county",
    ).fillna(0)

    # Children's homes active on D and not `building`.
    h = tables["homes"]
    h = h[h["status"] != "building"]
    covered = h.loc[h["village_code"].map(level) == "village", "village_code"]
    nd["home_coverage"] = (_distinct(covered, anc), units["villages"])
    nd["demo_homes"] = (per(h["village_code"], n=h["is_demonstration"].astype(bool))["n"], None)

    # Staff active on D.
    st = tables["staff"]
    st = st[st["region_code"].isin(level.index)]
    st_level = st["region_code"].map(level)
    is_dir = st["role"] == "director"
    tr = tables["trainings"]
    certified_ids = set(tr.loc[tr["kind"] == "initial", "staff_id"])
    trained_ids = set(tr.loc[tr["trained_on"] > d365, "staff_id"])
    sup_towns = st.loc[(st["role"] == "supervisor") & (st_level == "township"), "region_code"]
    dir_vills = st.loc[is_dir & (st_level == "village"), "region_code"]
    sc = per(
        st["region_code"],
        staff=np.ones(len(st)),
        directors=is_dir,
        female=is_dir & st["is_female_committee_member"].astype(bool),
        dedicated=st["is_dedicated"].astype(bool),
        certified=st["id"].isin(certified_ids),
        trained=st["id"].isin(trained_ids),
        registered=st["is_registered"].astype(bool),
    )
    nd["supervisor_coverage"] = (_distinct(sup_towns, anc), units["townships"])
    nd["director_coverage"] = (_distinct(dir_vills, anc), units["villages"])
    nd["female_director_share"] = (sc["female"], sc["directors"])
    for metric, col in (
        ("dedicated_share", "dedicated"),
        ("certified_rate", "certified"),
        ("trained_12m", "trained"),
        ("registered_rate", "registered"),
    ):
        nd[metric] = (sc[col], sc["staff"])

    # Children active on D, their visits in the 90 days ending D, their care actions on D.
    ch = tables["children"]
    cc = per(
        ch["village_code"],
        active=np.ones(len(ch)),
        left_behind=ch["category"] == "left_behind",
        difficulty=ch["category"] == "difficulty",
        unguarded=ch["guardianship_quality"] == "none",
        visited=ch["id"].isin(set(tables["visits"]["child_id"])),
        cared=ch["id"].isin(set(tables["care"]["child_id"])),
    )
    nd["children_active"] = (cc["active"], None)
    nd["children_left_behind"] = (cc["left_behind"], None)
    nd["children_difficulty"] = (cc["difficulty"], None)
    nd["children_unguarded"] = (cc["unguarded"], None)
    nd["visit_rate_90d"] = (cc["visited"], cc["active"])
    nd["care_coverage"] = (cc["cared"], cc["active"])

    # Cases: open and overdue on D, closed within the period; referrals made in the period.
    k = tables["cases"]
    open_ = _active(k, "received_on", "closed_on", d)
    closed = (k["closed_on"] >= d_start) & (k["closed_on"] <= d)
    days = (k["closed_on"] - k["received_on"]).dt.days.where(closed, 0)
    kc = per(
        k["region_code"],
        open=open_,
        overdue=open_ & (k["due_on"] < d),
        closed=closed,
        days=days.fillna(0),
    )
    nd["open_cases"] = (kc["open"], None)
    nd["overdue_cases"] = (kc["overdue"], None)
    nd["case_closure_days"] = (kc["days"], kc["closed"])
    # Referrals made in the period, judged as of D: answered on or before D, or 7 days over.
    f = tables["referrals"].merge(k[["id", "region_code"]], left_on="case_id", right_on="id")
    answered = f["responded_on"].notna() & (f["responded_on"] <= d)
    window_over = f["referred_on"] <= d - pd.Timedelta(days=TIMELY_REFERRAL_DAYS)
    known = answered | window_over
    delay = (f["responded_on"] - f["referred_on"]).dt.days
    fc = per(
        f["region_code"],
        known=known,
        timely=answered & (delay <= TIMELY_REFERRAL_DAYS),
        pending=~known,
    )
    nd["referral_timely"] = (fc["timely"], fc["known"])
    nd["referral_pending"] = (fc["pending"], None)

    # Counties with a transformed or designated protection centre at their own code.
    ins = tables["institutions"]
    ready = ins.loc[
        (ins["kind"] == "minor_protection_center")
        & ins["status"].isin(["transformed", "designated"]),
        "region_code",
    ]
    ready_counties = pd.Series(sorted(set(ready) & set(groups.index[groups == "county"])))
    nd["protection_center_ready"] = (_distinct(ready_counties, anc), units["counties"])

    # Purchases of the period's year at or under the group (summed to the fen, as the SQL).
    sp = tables["purchases"]
    yuan = per(sp["region_code"], amount=sp["amount_yuan"].astype(float))["amount"].round(2)
    nd["purchase_yuan"] = (yuan, None)

    values = pd.DataFrame(index=groups.index)
    for code in METRIC_CODES:
        num, den = nd[code]
        num = num.reindex(groups.index).fillna(0).astype(float)
        if den is None or BY_CODE[code].is_total:
            values[code] = num
        else:
            den = den.reindex(groups.index).fillna(0).astype(float)
            values[code] = (num / den.where(den > 0)).astype(float)
    return values, groups


def overview(engine: Engine, period: str) -> NaiveResult:
    """Read the raw tables and compute the overview's figures, timing both halves."""
    t0 = time.perf_counter()
    tables = read_tables(engine, period)
    t1 = time.perf_counter()
    values, groups = compute(tables, period)
    return NaiveResult(values, groups, t1 - t0, time.perf_counter() - t1)
