"""The panels of metric_engine/panels.py computed the naive way: pandas over the raw tables, as
of D, straight from DESIGN §3–§4's wording (no month indexes, no SQL beyond reading rows). It
checks the rollup's `panel_counts` independently (tests/test_panels.py, both backends)."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Engine

from bench.naive import _active, _scan, ancestors
from core.periods import parse_period
from data import schema as s
from data.labels import ACTION_TYPE, ACTIVITY_KIND, CASE_SOURCE, RISK_LEVEL
from metric_engine.panels import DAY_BUCKETS, OPEN_STAGES


def _county_of(engine: Engine) -> pd.Series:
    """Every region code → its county (NaN above a county)."""
    return ancestors(_scan(engine, s.regions, ["code", "level", "parent_code"]))["county"]


def care(engine: Engine, period: str) -> pd.DataFrame:
    """Per county: active children, per action type the active children with an active action
    of that type, and those with any."""
    d = pd.Timestamp(parse_period(period).d_end)
    county = _county_of(engine)
    kids = _scan(
        engine,
        s.children,
        ["id", "village_code", "registered_on", "exited_on"],
        lambda df: df[_active(df, "registered_on", "exited_on", d)],
        ("registered_on", "exited_on"),
    )
    kids["county"] = kids["village_code"].map(county)
    acts = _scan(
        engine,
        s.care_actions,
        ["child_id", "action_type", "started_on", "ended_on"],
        lambda df: df[_active(df, "started_on", "ended_on", d)],
        ("started_on", "ended_on"),
    ).merge(kids[["id", "county"]], left_on="child_id", right_on="id")
    out = pd.DataFrame({"children_active": kids.groupby("county")["id"].nunique()})
    for t in ACTION_TYPE:
        out[t] = acts[acts["action_type"] == t].groupby("county")["child_id"].nunique()
    out["any_action"] = acts.groupby("county")["child_id"].nunique()
    return out


def cases(engine: Engine, period: str) -> pd.DataFrame:
    """Per county: cases open on D (overdue, high-risk, abuse, per age band, per stage ×
    risk), closed in the period per risk, received per source in the period and 12 months."""
    p = parse_period(period)
    d, d_start = pd.Timestamp(p.d_end), pd.Timestamp(p.d_start)
    m = p.m_index - 11
    year_start = pd.Timestamp(year=m // 12, month=m % 12 + 1, day=1)
    county = _county_of(engine)
    k = _scan(
        engine,
        s.cases,
        [
            "region_code",
            "source",
            "concern",
            "risk_level",
            "status",
            "received_on",
            "assessed_on",
            "due_on",
            "closed_on",
        ],
        dates=("received_on", "assessed_on", "due_on", "closed_on"),
    )
    k["county"] = k["region_code"].map(county)
    k["age"] = (d - k["received_on"]).dt.days
    k["stage"] = "assessing"
    k.loc[k["status"] == "received", "stage"] = "received"
    k.loc[k["assessed_on"].notna() & (k["assessed_on"] <= d), "stage"] = "in_progress"
    open_ = k[_active(k, "received_on", "closed_on", d)]
    high = open_[open_["risk_level"] == "high"]
    by = {
        "open_cases": open_,
        "overdue_cases": open_[open_["due_on"] < d],
        "high_risk_open": high,
        "abuse_open": open_[open_["concern"] == "abuse"],
    }
    for code, lo, hi in DAY_BUCKETS:
        band = (open_["age"] >= lo) & (open_["age"] <= (hi if hi is not None else 10**9))
        by[code] = open_[band]
        by[f"high:{code}"] = open_[band & (open_["risk_level"] == "high")]
    for stage in OPEN_STAGES:
        for risk in RISK_LEVEL:
            by[f"{stage}:{risk}"] = open_[(open_["stage"] == stage) & (open_["risk_level"] == risk)]
    closed = k[(k["closed_on"] >= d_start) & (k["closed_on"] <= d)]
    for risk in RISK_LEVEL:
        by[f"closed:{risk}"] = closed[closed["risk_level"] == risk]
    year = k[(k["received_on"] >= year_start) & (k["received_on"] <= d)]
    for source in CASE_SOURCE:
        of = year[year["source"] == source]
        by[f"period:{source}"] = of[of["received_on"] >= d_start]
        by[f"12m:{source}"] = of
    return pd.DataFrame({name: rows.groupby("county").size() for name, rows in by.items()})


def _key(*parts: pd.Series) -> pd.Series:
    """The histogram category: keys as text joined by '|' (a missing key is empty)."""
    text = [p.astype(object).where(p.notna(), "").astype(str) for p in parts]
    out = text[0]
    for t in text[1:]:
        out = out + "|" + t
    return out


def referrals(engine: Engine, period: str) -> pd.Series:
    """Per (county, category): referrals made in the period and in the 12 months ending D by
    window, department, days to an answer known on D, and pending (no answer, < 7 days)."""
    p = parse_period(period)
    d, d_start = pd.Timestamp(p.d_end), pd.Timestamp(p.d_start)
    m = p.m_index - 11
    year_start = pd.Timestamp(year=m // 12, month=m % 12 + 1, day=1)
    county = _county_of(engine)
    k = _scan(engine, s.cases, ["id", "region_code"])
    f = _scan(
        engine,
        s.referrals,
        ["case_id", "department", "referred_on", "responded_on"],
        lambda df: df[(df["referred_on"] >= year_start) & (df["referred_on"] <= d)],
        ("referred_on", "responded_on"),
    ).merge(k, left_on="case_id", right_on="id")
    f["county"] = f["region_code"].map(county)
    answered = f["responded_on"].notna() & (f["responded_on"] <= d)
    days = (f["responded_on"] - f["referred_on"]).dt.days.where(answered)
    f["days"] = days.astype("Int64")
    f["pending"] = (~answered & (f["referred_on"] + pd.Timedelta(days=7) > d)).astype(int)
    parts = []
    for window, rows in (("period", f[f["referred_on"] >= d_start]), ("12m", f)):
        key = _key(
            pd.Series(window, index=rows.index), rows["department"], rows["days"], rows["pending"]
        )
        parts.append(rows.assign(category=key).groupby(["county", "category"]).size())
    return pd.concat(parts)


def closures(engine: Engine, period: str) -> pd.Series:
    """Per (county, category): cases closed in the period by days to closure, source, risk."""
    p = parse_period(period)
    d, d_start = pd.Timestamp(p.d_end), pd.Timestamp(p.d_start)
    county = _county_of(engine)
    k = _scan(
        engine,
        s.cases,
        ["region_code", "source", "risk_level", "received_on", "closed_on"],
        lambda df: df[(df["closed_on"] >= d_start) & (df["closed_on"] <= d)],
        ("received_on", "closed_on"),
    )
    k["county"] = k["region_code"].map(county)
    days = (k["closed_on"] - k["received_on"]).dt.days
    key = _key(days, k["source"], k["risk_level"])
    return k.assign(category=key).groupby(["county", "category"]).size()


def _homes_on_d(engine: Engine, period: str, level: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Homes at village codes with their state on D and `level` ancestor, and the regions."""
    p = parse_period(period)
    d = pd.Timestamp(p.d_end)
    regs = _scan(engine, s.regions, ["code", "level", "parent_code"])
    anc = ancestors(regs, ("county", "township")).join(regs.set_index("code")["level"])
    h = _scan(
        engine,
        s.children_homes,
        ["id", "village_code", "status", "is_demonstration", "established_on", "closed_on"],
        dates=("established_on", "closed_on"),
    )
    h = h[h["village_code"].map(anc["level"]) == "village"].copy()
    h["group"] = h["village_code"].map(anc[level])
    h["state"] = "building"
    h.loc[(h["status"] != "building") & (h["established_on"] <= d), "state"] = "operating"
    h.loc[h["closed_on"].notna() & (h["closed_on"] <= d), "state"] = "closed"
    villages = anc[anc["level"] == "village"].groupby(level).size()
    return h, villages


def homes(engine: Engine, period: str) -> pd.DataFrame:
    """Per county: villages, covered, homes by state, demo and 空壳 homes; activities in the
    90 days ending D in all and per kind."""
    p = parse_period(period)
    d = pd.Timestamp(p.d_end)
    since = pd.Timestamp(p.window_start(90))
    h, villages = _homes_on_d(engine, period, "county")
    a = _scan(
        engine,
        s.home_activities,
        ["home_id", "activity_on", "kind", "participants"],
        lambda df: df[(df["activity_on"] > since) & (df["activity_on"] <= d)],
        ("activity_on",),
    ).merge(h[["id", "group"]], left_on="home_id", right_on="id")
    a["participants"] = a["participants"].fillna(0)
    op = h[h["state"] == "operating"]
    out = pd.DataFrame({"villages": villages})
    out["covered"] = op.groupby("group")["village_code"].nunique()
    for state in ("operating", "building", "closed"):
        out[state] = h[h["state"] == state].groupby("group").size()
    out["demo"] = op[op["is_demonstration"].astype(bool)].groupby("group").size()
    out["paper"] = op[~op["id"].isin(a["home_id"])].groupby("group").size()
    out["activities"] = a.groupby("group").size()
    out["participants"] = a.groupby("group")["participants"].sum()
    for kind in ACTIVITY_KIND:
        of = a[a["kind"] == kind]
        out[f"{kind}:activities"] = of.groupby("group").size()
        out[f"{kind}:participants"] = of.groupby("group")["participants"].sum()
        out[f"{kind}:homes"] = of.groupby("group")["home_id"].nunique()
    return out


def township_homes(engine: Engine, period: str) -> pd.DataFrame:
    """Per township: villages and villages with an operating home on D."""
    h, villages = _homes_on_d(engine, period, "township")
    out = pd.DataFrame({"villages": villages})
    out["covered"] = h[h["state"] == "operating"].groupby("group")["village_code"].nunique()
    return out


def staff(engine: Engine, period: str) -> pd.DataFrame:
    """Per county: townships, villages, those with an active supervisor / director at their
    code, active staff by role, active without a passed initial training, leavers in the 365
    days ending D and staff active on D − 365, in all and per role."""
    p = parse_period(period)
    d = pd.Timestamp(p.d_end)
    start = pd.Timestamp(p.window_start(365))
    regs = _scan(engine, s.regions, ["code", "level", "parent_code"])
    anc = ancestors(regs, ("county",)).join(regs.set_index("code")["level"])
    people = _scan(
        engine,
        s.staff,
        ["id", "role", "region_code", "appointed_on", "left_on"],
        dates=("appointed_on", "left_on"),
    )
    people["county"] = people["region_code"].map(anc["county"])
    people["level"] = people["region_code"].map(anc["level"])
    passed = _scan(
        engine,
        s.trainings,
        ["staff_id", "kind", "passed", "trained_on"],
        lambda df: df[df["passed"].astype(bool) & (df["kind"] == "initial")],
        ("trained_on",),
    )
    certified = set(passed.loc[passed["trained_on"] <= d, "staff_id"])
    now = people[_active(people, "appointed_on", "left_on", d)]
    then = people[_active(people, "appointed_on", "left_on", start)]
    left = people[(people["left_on"] > start) & (people["left_on"] <= d)]
    sup, dirs = now[now["role"] == "supervisor"], now[now["role"] == "director"]
    out = pd.DataFrame(
        {
            "townships": anc[anc["level"] == "township"].groupby("county").size(),
            "villages": anc[anc["level"] == "village"].groupby("county").size(),
        }
    )
    out["staffed_townships"] = (
        sup[sup["level"] == "township"].groupby("county")["region_code"].nunique()
    )
    out["staffed_villages"] = (
        dirs[dirs["level"] == "village"].groupby("county")["region_code"].nunique()
    )
    out["supervisors"] = sup.groupby("county").size()
    out["directors"] = dirs.groupby("county").size()
    out["uncertified"] = now[~now["id"].isin(certified)].groupby("county").size()
    out["leavers_12m"] = left.groupby("county").size()
    out["headcount_start"] = then.groupby("county").size()
    for role in ("supervisor", "director"):
        out[f"{role}:headcount_start"] = then[then["role"] == role].groupby("county").size()
        out[f"{role}:leavers"] = left[left["role"] == role].groupby("county").size()
    return out


PANELS = {
    "staff": staff,
    "care": care,
    "cases": cases,
    "referrals": referrals,
    "closures": closures,
    "homes": homes,
    "township_homes": township_homes,
}


def panels(engine: Engine, period: str) -> dict[str, pd.DataFrame | pd.Series]:
    """Every panel's naive figures per county (counties with nothing may be absent): a frame
    of categories, or for a histogram panel counts indexed by (county, category)."""
    return {name: fn(engine, period).fillna(0).astype(int) for name, fn in PANELS.items()}
