"""会议简报: what changed in the scope between two periods (the base and the period).

- movers: the scope's indicators by how much they moved. Movement is comparable across units:
  a rate's change in percentage points, any other indicator's change in per cent of its base
  value (a change from zero counts as 100). A change with either side missing does not rank.
- target crossings: counties (or prefectures) whose value met a target in the base period and
  misses it now (fell below), or the reverse (rose above); a side without data is no crossing.
  Falls are ranked by their gap count now (缺口, core/metrics.py gap_count: the units short
  of the target), small samples (a rate over fewer than [alerts] min_sample units) last, so
  the list leads with the counties that have the most to do, not the smallest ones.
- new overdue cases: cases overdue on the period's last day that were not overdue on the
  base period's last day (masked).
- bottom counties: the lowest composite scores (queries/rankings.py), ties at the cut kept.

Every function takes the user's scope and both periods; the base must be before the period.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sqlalchemy import Engine, and_, false, not_, or_, select

from core.metrics import BY_CODE, METRIC_CODES, METRICS, gap_count, small_sample
from core.periods import check_period, parse_period
from core.regions import join_ancestors
from core.settings import Settings
from data.schema import cases, regions
from data.schema import kpi_snapshots as k
from queries.alerts import metric_alerts, misses
from queries.indicators import metric_by_region, region_table
from queries.privacy import case_detail_allowed
from queries.rankings import COMPOSITE, ranking, settings_or_default
from queries.records import cases_where, codes_under, overdue_on, shows_case_detail
from queries.regions import ScopeError, region, require_within

__all__ = [
    "BOTTOM_N",
    "Briefing",
    "ScopeError",
    "bottom_counties",
    "build_briefing",
    "check_pair",
    "movers",
    "new_overdue_cases",
    "target_crossings",
]

BOTTOM_N = 5
_TIE = 9  # decimals: equal to this precision is no change / a tie


def check_pair(period: str, base: str) -> tuple[str, str]:
    """Both 'YYYY-MM' and the base strictly before the period (ValueError otherwise)."""
    check_period(period)
    check_period(base)
    if base >= period:
        raise ValueError(f"base period {base} must be before {period}")
    return period, base


def _value(metric: str, value, numerator) -> float:
    if value is None and BY_CODE[metric].is_total:
        value = numerator
    return np.nan if value is None else float(value)


def movement(metric: str, base: float, value: float) -> float:
    """How far an indicator moved: percentage points for a rate, per cent of the base value
    otherwise (from zero: 100); NaN when a side is missing."""
    if np.isnan(base) or np.isnan(value):
        return np.nan
    change = round(value - base, _TIE)
    if BY_CODE[metric].kind == "rate":
        return abs(change) * 100
    if change == 0:
        return 0.0
    return 100.0 if base == 0 else abs(change) / abs(base) * 100


MOVER_COLUMNS = [
    "metric",
    "label",
    "kind",
    "base_value",
    "value",
    "change",
    "movement",
    "direction",
]


def movers(
    engine: Engine, scope: str, period: str, base: str, region_code: str | None = None
) -> pd.DataFrame:
    """Every indicator of `region_code` (default: the scope) in both periods, most moved
    first (missing changes last, then metric order). `direction` is better, worse, flat or
    no_data (by the metric's higher_is_better)."""
    check_pair(period, base)
    code = region_code or scope
    require_within(engine, code, scope)
    stmt = select(k.c.period, k.c.metric, k.c.numerator, k.c.value).where(
        k.c.region_code == code, k.c.period.in_([base, period])
    )
    with engine.connect() as conn:
        got = {
            (r.period, r.metric): _value(r.metric, r.value, r.numerator) for r in conn.execute(stmt)
        }
    rows = []
    for i, m in enumerate(METRICS):
        b, v = got.get((base, m.code), np.nan), got.get((period, m.code), np.nan)
        move = movement(m.code, b, v)
        if np.isnan(move):
            direction = "no_data"
        elif round(v - b, _TIE) == 0:
            direction = "flat"
        else:
            direction = "better" if (v > b) == m.higher_is_better else "worse"
        rows.append(
            {
                "metric": m.code,
                "label": m.label,
                "kind": m.kind,
                "base_value": b,
                "value": v,
                "change": v - b,
                "movement": move,
                "direction": direction,
                "_o": i,
            }
        )
    df = pd.DataFrame(rows)
    df = df.sort_values(["movement", "_o"], ascending=[False, True], na_position="last")
    return df.drop(columns="_o")[MOVER_COLUMNS].reset_index(drop=True)


CROSSING_COLUMNS = [
    "code",
    "name",
    "parent_name",
    "metric",
    "label",
    "base_value",
    "value",
    "target",
    "denominator",
    "gap",
    "small_sample",
    "direction",
]


def target_crossings(
    engine: Engine,
    scope: str,
    period: str,
    base: str,
    level: str = "county",
    settings: Settings | None = None,
) -> pd.DataFrame:
    """Regions at `level` (county or prefecture) that crossed a target between the periods:
    direction `fell` (met → missed) or `rose` (missed → met), with the gap count and the
    denominator now. Falls first; within a direction small samples last, then the largest
    gap, then metric order, then region code."""
    check_pair(period, base)
    s = settings_or_default(settings)
    now = region_table(engine, scope, period, level).set_index("code")
    before = region_table(engine, scope, base, level).set_index("code")
    rows = []
    for i, mc in enumerate(METRIC_CODES):
        if mc not in s.targets:
            continue
        m, t = BY_CODE[mc], float(s.targets[mc])
        denominators = metric_by_region(engine, scope, period, mc, level).set_index("code")[
            "denominator"
        ]
        for code in now.index:
            v = now.at[code, mc]
            b = before.at[code, mc] if code in before.index else np.nan
            if np.isnan(v) or np.isnan(b):
                continue
            was, gone = misses(m, b, t), misses(m, v, t)
            if was == gone:
                continue
            den = denominators.get(code, np.nan)
            den = None if pd.isna(den) else float(den)
            rows.append(
                {
                    "code": code,
                    "name": now.at[code, "name"],
                    "parent_name": now.at[code, "parent_name"],
                    "metric": mc,
                    "label": m.label,
                    "base_value": float(b),
                    "value": float(v),
                    "target": t,
                    "denominator": np.nan if den is None else den,
                    "gap": gap_count(m, float(v), den, t),
                    "small_sample": small_sample(m, den, s.min_sample),
                    "direction": "fell" if gone else "rose",
                    "_d": 0 if gone else 1,
                    "_o": i,
                }
            )
    df = pd.DataFrame(rows, columns=[*CROSSING_COLUMNS, "_d", "_o"])
    df["small_sample"] = df["small_sample"].astype(bool)
    df = df.sort_values(
        ["_d", "small_sample", "gap", "_o", "code"],
        ascending=[True, True, False, True, True],
        kind="stable",
    )
    return df.drop(columns=["_d", "_o"]).reset_index(drop=True)


def _newly_overdue_on(period: str, base: str):
    """Overdue on the period's last day D1 and not on the base period's last day D0.

    Such a case is due in [D0, D1) or, if due earlier, was received after D0 (it was not
    open on D0). The condition says so, which changes nothing in the result but lets the
    database find the month's cases by the due_on and received_on indexes."""
    d1, d0 = parse_period(period).d_end, parse_period(base).d_end
    c = cases.c
    recent = or_(and_(c.due_on >= d0, c.due_on < d1), c.received_on > d0)
    return and_(recent, overdue_on(d1), not_(overdue_on(d0)))


UP = 5  # a record's region and its ancestors: village, township, county, prefecture, province


def _newly_overdue(engine: Engine, scope: str, period: str, base: str) -> pd.DataFrame:
    """The scope's new overdue cases: id, risk_level, due_on, received_on and the county
    they count for (county_code; null for a case recorded above any county).

    Each case found by the dates brings its region's chain of ancestors (primary-key
    lookups), which places it in the scope and its county. A join from the scope's regions
    instead would be driven by the planners through every case of the scope: this way the
    cost follows the month's cases, not all the cases ever recorded."""
    check_pair(period, base)
    require_within(engine, scope, scope)
    chain = [regions.alias(f"up{i}") for i in range(UP)]
    joined = join_ancestors(
        cases.join(chain[0], chain[0].c.code == cases.c.region_code), chain[0], chain[1:]
    )
    c = cases.c
    found = (
        select(
            c.id,
            c.risk_level,
            c.due_on,
            c.received_on,
            *(a.c.code.label(f"code{i}") for i, a in enumerate(chain)),
            *(a.c.level.label(f"level{i}") for i, a in enumerate(chain)),
        )
        .select_from(joined)
        .where(_newly_overdue_on(period, base))
    )
    with engine.connect() as conn:
        rows = pd.read_sql(found, conn)
    codes = rows[[f"code{i}" for i in range(UP)]].to_numpy(dtype=object)
    levels = rows[[f"level{i}" for i in range(UP)]].to_numpy(dtype=object)
    rows["county_code"] = [
        next((code for code, lv in zip(cs, ls, strict=True) if lv == "county"), None)
        for cs, ls in zip(codes, levels, strict=True)
    ]
    in_scope = (codes == scope).any(axis=1)
    keep = ["id", "risk_level", "due_on", "received_on", "county_code"]
    return rows.loc[in_scope, keep].reset_index(drop=True)


def _most_overdue(
    engine: Engine, new: pd.DataFrame, period: str, limit: int, detail: bool
) -> pd.DataFrame:
    """The first `limit` of `new` in the lists' order (most days overdue, high risk, oldest,
    id) as masked case rows (village and concern only with `detail`)."""
    first = new.assign(
        _due=new["due_on"].astype(str),
        _risk=new["risk_level"].map({"high": 0, "medium": 1, "low": 2}).fillna(3),
        _received=new["received_on"].astype(str),
    ).sort_values(["_due", "_risk", "_received", "id"], kind="stable")
    ids = [int(i) for i in first["id"].head(limit)]
    chosen = cases.c.id.in_(ids) if ids else false()
    return cases_where(engine, parse_period(period).d_end, chosen, detail=detail)


def _counts_by_county(engine: Engine, new: pd.DataFrame) -> pd.DataFrame:
    """code, name, cases, high per county of `new` (code and name null above counties)."""
    new = new.assign(code=new["county_code"].fillna(""), high=new["risk_level"] == "high")
    out = new.groupby("code").agg(cases=("id", "size"), high=("high", "sum")).reset_index()
    codes = [code for code in out["code"] if code]
    with engine.connect() as conn:
        found = conn.execute(
            select(regions.c.code, regions.c.name).where(regions.c.code.in_(codes))
        )
        names = {code: name for code, name in found}
    out = pd.DataFrame(
        {
            "code": out["code"].replace("", None),
            "name": out["code"].map(names),
            "cases": out["cases"].astype(int),
            "high": out["high"].astype(int),
        }
    )
    return out.sort_values(["cases", "name"], ascending=[False, True]).reset_index(drop=True)


def new_overdue_cases(
    engine: Engine, scope: str, period: str, base: str, limit: int | None = None
) -> pd.DataFrame:
    """Cases of the scope overdue on the period's last day and not overdue on the base
    period's last day (queries/records.py CASE_COLUMNS, masked; village and concern for the
    county's own users only), most days overdue first
    (then high risk first, oldest, id); with `limit`, only the first that many
    (`new_overdue_counts` counts them all)."""
    if limit is None:
        check_pair(period, base)
        require_within(engine, scope, scope)
        in_scope = cases.c.region_code.in_(codes_under(scope))
        d1 = parse_period(period).d_end
        detail = shows_case_detail(engine, scope)
        return cases_where(engine, d1, _newly_overdue_on(period, base), in_scope, detail=detail)
    new = _newly_overdue(engine, scope, period, base)
    return _most_overdue(engine, new, period, limit, shows_case_detail(engine, scope))


def new_overdue_counts(engine: Engine, scope: str, period: str, base: str) -> pd.DataFrame:
    """All the scope's new overdue cases counted per county: code, name, cases, high (high
    risk); cases recorded above any county count in a row with code and name null."""
    return _counts_by_county(engine, _newly_overdue(engine, scope, period, base))


NEW_OVERDUE_LISTED = 200  # a briefing lists the most overdue; the counts cover every case

BOTTOM_COLUMNS = [
    "rank",
    "code",
    "name",
    "parent_name",
    "score",
    "n_ranked",
    "prev_rank",
    "rank_change",
    "missed",
]


def bottom_counties(
    engine: Engine,
    scope: str,
    period: str,
    base: str,
    n: int = BOTTOM_N,
    level: str = "county",
    settings: Settings | None = None,
) -> pd.DataFrame:
    """The `n` regions with the lowest composite score, worst first; a region tied with the
    n-th worst is kept too (so there may be more than n). Regions without a score are not
    listed. `missed` holds the targets each misses, most severe first (a tuple of codes)."""
    check_pair(period, base)
    ranked = ranking(engine, scope, period, COMPOSITE, level, compare=base, settings=settings)
    valued = ranked[ranked["rank"].notna()]
    if valued.empty or n <= 0:
        return pd.DataFrame(columns=BOTTOM_COLUMNS)
    worst = valued.sort_values(["value", "code"], ascending=[True, True], kind="stable")
    cut = worst["value"].iloc[min(n, len(worst)) - 1]
    chosen = worst[worst["value"] <= cut + 1e-12].copy()
    alerts = metric_alerts(engine, scope, period, (level,), settings)
    missed = alerts.groupby("code", sort=False)["metric"].agg(tuple).to_dict()
    chosen["missed"] = [missed.get(c, ()) for c in chosen["code"]]
    chosen = chosen.rename(columns={"value": "score"})
    return chosen[BOTTOM_COLUMNS].reset_index(drop=True)


@dataclass(frozen=True)
class Briefing:
    """Everything the briefing page and its Word document show."""

    scope: str
    scope_name: str
    scope_level: str
    period: str
    base: str
    movers: pd.DataFrame
    crossings: pd.DataFrame
    new_overdue: pd.DataFrame  # the most overdue of them (NEW_OVERDUE_LISTED at most)
    overdue_counts: pd.DataFrame  # all of them, per county (new_overdue_counts)
    bottom: pd.DataFrame

    @property
    def n_new_overdue(self) -> int:
        return int(self.overdue_counts["cases"].sum())

    @property
    def referrals_pending(self) -> float:
        """The scope's referrals pending on the period's last day (referral_pending), shown
        beside referral timeliness so they are not read as late ones; NaN without data."""
        row = self.movers[self.movers["metric"] == "referral_pending"]
        return float(row["value"].iloc[0]) if len(row) else np.nan

    @property
    def fell(self) -> pd.DataFrame:
        return self.crossings[self.crossings["direction"] == "fell"]

    @property
    def rose(self) -> pd.DataFrame:
        return self.crossings[self.crossings["direction"] == "rose"]


def build_briefing(
    engine: Engine, scope: str, period: str, base: str, settings: Settings | None = None
) -> Briefing:
    """The whole briefing for the scope and the pair of periods. Crossings and the bottom
    list are about counties (a county scope compares only itself)."""
    check_pair(period, base)
    me = region(engine, scope, scope)
    if me is None:
        raise ValueError(f"unknown region {scope}")
    new = _newly_overdue(engine, scope, period, base)
    return Briefing(
        scope=scope,
        scope_name=me["name"],
        scope_level=me["level"],
        period=period,
        base=base,
        movers=movers(engine, scope, period, base),
        crossings=target_crossings(engine, scope, period, base, "county", settings),
        new_overdue=_most_overdue(
            engine, new, period, NEW_OVERDUE_LISTED, case_detail_allowed(me["level"])
        ),
        overdue_counts=_counts_by_county(engine, new),
        bottom=bottom_counties(engine, scope, period, base, BOTTOM_N, "county", settings),
    )
