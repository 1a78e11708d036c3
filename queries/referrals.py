"""个案与关爱 (DESIGN.md §5 view 4), how cases are handled: referrals by department with
response times and the share answered within 7 days (referral_timely of DESIGN.md §4), and
closure times (case_closure_days and their distribution), for the period and the last 12
months (the 12 calendar months ending with the period). No Streamlit here.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sqlalchemy import Engine

from core.periods import month_periods, parse_period
from data.labels import CASE_SOURCE, DEPARTMENT, RISK_LEVEL
from metric_engine import TIMELY_REFERRAL_DAYS
from queries.live import DAY_BUCKETS, WINDOWS
from queries.panels import scope_histogram
from queries.regions import ScopeError, narrow_scope

__all__ = [
    "ScopeError",
    "closure_by_group",
    "closure_distribution",
    "closure_figures",
    "closure_summary",
    "referral_figures",
    "referral_summary",
    "referrals_by_department",
]

TIMELY_DAYS = TIMELY_REFERRAL_DAYS  # referral_timely (DESIGN.md §4)


# --------------------------------------------------------------------------- referrals


REFERRAL_KEYS = ("window", "department", "days", "pending")  # the 'referrals' panel
CLOSURE_KEYS = ("days", "source", "risk_level")  # the 'closures' panel


def _referral_histogram(engine: Engine, scope: str, period: str) -> pd.DataFrame:
    """(window, department, days, pending, n) for referrals made in each window, as known on
    D: days null = no answer on or before D (an answer dated after D is unknown on D);
    pending 1 = no answer yet and made in the last 7 days (D − 7 < referred ≤ D), the
    referrals referral_timely leaves out of both sides (DESIGN.md §4). From panel_counts
    ('referrals', queries/panels.py): 100 counties' rows instead of every referral, both
    windows in one read."""
    hist = scope_histogram(engine, scope, [period], "referrals", REFERRAL_KEYS)
    return pd.DataFrame(
        {
            "window": hist["window"],
            "department": hist["department"],
            "days": pd.to_numeric(hist["days"], errors="coerce").astype(float),
            "pending": hist["pending"].astype(int),
            "n": hist["n"].astype(int),
        }
    ).reset_index(drop=True)


def _referral_stats(hist: pd.DataFrame) -> dict:
    """Counts and response times of one histogram slice (see referrals_by_department)."""
    answered = hist[hist["days"].notna()]
    days = np.repeat(answered["days"].to_numpy(), answered["n"].to_numpy())
    made = int(hist["n"].sum())
    pending = int(hist.loc[hist["pending"] == 1, "n"].sum())
    n_answered = int(answered["n"].sum())
    timely = int(answered.loc[answered["days"] <= TIMELY_DAYS, "n"].sum())
    known = made - pending
    return {
        "referrals": made,
        "answered": n_answered,
        "unanswered": made - n_answered - pending,
        "pending": pending,
        "timely": timely,
        "timely_share": timely / known if known else np.nan,
        "median_days": float(np.median(days)) if days.size else np.nan,
        "mean_days": float(days.mean()) if days.size else np.nan,
    }


def referrals_by_department(
    engine: Engine, scope: str, period: str, window: str = "period", region: str | None = None
) -> pd.DataFrame:
    """Referrals made in the window (the period or the last 12 months) per department
    (DEPARTMENT order, every department present), as known on the period's last day D:
    referrals, answered (on or before D), pending (待响应: no answer yet, made in the last
    7 days), unanswered (no answer and its 7 days over), timely (answered within 7 days),
    timely_share = timely ÷ (referrals − pending) as referral_timely of DESIGN.md §4 (null
    when nothing is known yet), and the median and mean days to a response over the
    answered ones."""
    if window not in WINDOWS:
        raise ValueError(f"window must be one of {WINDOWS}, got {window!r}")
    return referral_figures(engine, scope, period, region)["by_department"][window]


def referral_summary(
    engine: Engine, scope: str, period: str, region: str | None = None
) -> pd.DataFrame:
    """The same figures for all departments together, one row per window (period, 12m);
    the period row's timely_share equals referral_timely."""
    return referral_figures(engine, scope, period, region)["summary"]


def referral_figures(
    engine: Engine, scope: str, period: str, region: str | None = None
) -> dict[str, object]:
    """Every referral figure 个案与关爱 shows, from one read of the 'referrals' panel:
    "summary" (referral_summary) and "by_department" {window: referrals_by_department}. The
    page asked for them in three calls, each reading the same histogram again."""
    scope = narrow_scope(engine, scope, region)
    hist = _referral_histogram(engine, scope, period)
    by_department = {}
    rows = []
    for w in WINDOWS:
        part = hist[hist["window"] == w]
        by_department[w] = pd.DataFrame(
            [
                {"department": d, **_referral_stats(part[part["department"] == d])}
                for d in DEPARTMENT
            ]
        )
        rows.append({"window": w, **_referral_stats(part)})
    return {"summary": pd.DataFrame(rows), "by_department": by_department}


# --------------------------------------------------------------------------- closure times


# What closure_by_group breaks closures down by: a column of cases and its label order.
CLOSURE_GROUPS = {"source": CASE_SOURCE, "risk_level": RISK_LEVEL}


def _closure_histogram(engine: Engine, scope: str, period: str) -> pd.DataFrame:
    """(days, in_period, source, risk_level, n) for cases closed in the last 12 months. From
    panel_counts ('closures': one histogram per month, a closure being a fixed fact, so 12
    months are 12 months' sums)."""
    months = [p.period for p in month_periods(_months_back(period, 11), period)]
    hist = scope_histogram(engine, scope, months, "closures", CLOSURE_KEYS)
    hist = hist.assign(
        days=pd.to_numeric(hist["days"]).astype(float),
        in_period=(hist["period"] == period).astype(int),
    )
    hist = hist[hist["days"].notna()]  # none expected; grouped by days, they never counted
    keys = ["days", "in_period", *CLOSURE_GROUPS]
    return hist.groupby(keys, as_index=False, dropna=False)["n"].sum()


def _months_back(period: str, n: int) -> str:
    m = parse_period(period).m_index - n
    return f"{m // 12:04d}-{m % 12 + 1:02d}"


def closure_figures(
    engine: Engine, scope: str, period: str, region: str | None = None
) -> dict[str, object]:
    """Every closure figure 个案与关爱 shows, from one read of the 'closures' panel:
    "summary" (closure_summary), "distribution" (closure_distribution) and "by_group"
    {source, risk_level: closure_by_group}. The page asked for them in four calls, each
    reading the same 12 months of histograms again (0.1 s each at province scale)."""
    scope = narrow_scope(engine, scope, region)
    hist = _closure_histogram(engine, scope, period)
    return {
        "summary": _closure_summary(hist),
        "distribution": _closure_distribution(hist),
        "by_group": {by: _closure_by_group(hist, by) for by in CLOSURE_GROUPS},
    }


def closure_by_group(
    engine: Engine, scope: str, period: str, by: str, region: str | None = None
) -> pd.DataFrame:
    """Closures by case source or by risk level (`by` in CLOSURE_GROUPS): one row per value
    (in the order of its label table) that had a closure in the last 12 months, with, per
    window w (period, 12m), closed_<w> and mean_days_<w> (days from receipt to closure as
    in case_closure_days; null where none closed). "12355 vs 强制报告" in one table."""
    if by not in CLOSURE_GROUPS:
        raise ValueError(f"closures break down by {sorted(CLOSURE_GROUPS)}, not {by!r}")
    return closure_figures(engine, scope, period, region)["by_group"][by]


def closure_summary(
    engine: Engine, scope: str, period: str, region: str | None = None
) -> pd.DataFrame:
    """Cases closed per window (period, 12m): closed, mean_days (the period's equals
    case_closure_days), median_days, within_30 (closed within 30 days of receipt) and
    within_30_share."""
    return closure_figures(engine, scope, period, region)["summary"]


def closure_distribution(
    engine: Engine, scope: str, period: str, region: str | None = None
) -> pd.DataFrame:
    """Closed cases per closure-time bucket (days from receipt to closure, DAY_BUCKETS):
    period_cases (closed within the period) and cases_12m."""
    return closure_figures(engine, scope, period, region)["distribution"]


def _window_slice(hist: pd.DataFrame, window: str) -> pd.DataFrame:
    return hist[hist["in_period"] == 1] if window == "period" else hist


def _closure_by_group(hist: pd.DataFrame, by: str) -> pd.DataFrame:
    hist = hist.groupby(["days", "in_period", by], as_index=False)["n"].sum()
    hist = hist.rename(columns={by: "group"})
    hist = hist.assign(total=hist["days"] * hist["n"])
    order = list(CLOSURE_GROUPS[by])
    seen = sorted(
        set(hist["group"]), key=lambda g: (order.index(g) if g in order else len(order), g)
    )
    out = pd.DataFrame(index=pd.Index(seen, name="group", dtype=object))
    for w in WINDOWS:
        sums = _window_slice(hist, w).groupby("group")[["n", "total"]].sum()
        closed = sums["n"].reindex(out.index, fill_value=0).astype(int)
        out[f"closed_{w}"] = closed
        out[f"mean_days_{w}"] = sums["total"].reindex(out.index) / closed.where(closed > 0)
    return out.reset_index()


def _closure_summary(hist: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for w in WINDOWS:
        part = _window_slice(hist, w)
        days = np.repeat(part["days"].to_numpy(), part["n"].to_numpy())
        n = int(days.size)
        within = int((days <= 30).sum())
        rows.append(
            {
                "window": w,
                "closed": n,
                "mean_days": float(days.mean()) if n else np.nan,
                "median_days": float(np.median(days)) if n else np.nan,
                "within_30": within,
                "within_30_share": within / n if n else np.nan,
            }
        )
    return pd.DataFrame(rows)


def _closure_distribution(hist: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for code, lo, hi in DAY_BUCKETS:
        sel = (hist["days"] >= lo) & ((hist["days"] <= hi) if hi is not None else True)
        part = hist[sel]
        rows.append(
            {
                "bucket": code,
                "period_cases": int(part.loc[part["in_period"] == 1, "n"].sum()),
                "cases_12m": int(part["n"].sum()),
            }
        )
    return pd.DataFrame(rows)
