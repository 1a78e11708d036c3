"""红黑榜: counties and prefectures ranked on one indicator or on a composite score, with the
change in rank since a comparison period.

Ranks are competition ranks (1, 1, 3): regions with equal values share a rank and the next
rank skips. The direction follows core/metrics.py (`higher_is_better`). A region without a
value gets no rank (shown 无数据) and is listed after every ranked region, so a region with
no data is never first.

The composite score (综合得分) is documented in settings.toml, where its weights live:
each weighted indicator becomes a 0–100 score (a rate against its target, capped at 100; a
rate without target × 100; overdue cases as 100 × (1 − overdue ÷ open cases)), and the
score is their weighted mean over the indicators that have a value, rounded to two
decimals; below `min_weight_share` of the weight available it is null.

Every function takes the user's scope and a period; no Streamlit here.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sqlalchemy import Engine

from core.metrics import BY_CODE, METRIC_CODES, Metric
from core.periods import check_period, previous_period
from core.settings import Settings, SettingsError, load_settings, unknown_codes
from queries.indicators import metric_by_region, region_table
from queries.regions import ScopeError, path, require_within

__all__ = [
    "COMPOSITE",
    "LEVELS",
    "ScopeError",
    "competition_rank",
    "component_score",
    "composite_scores",
    "ranking",
    "region_ranks",
    "settings_or_default",
]

COMPOSITE = "composite"  # the composite score, ranked like a metric
COMPOSITE_LABEL = "综合得分"
LEVELS = ("prefecture", "county")
SCORE_DECIMALS = 2
_EPS_DECIMALS = 9  # values equal to 9 decimals are ties (float noise is not a difference)


def settings_or_default(settings: Settings | None = None) -> Settings:
    """The given settings, or the settings file's; metric codes checked either way."""
    s = settings or load_settings()
    typos = unknown_codes(s, METRIC_CODES)
    if typos:
        raise SettingsError(f"{s.source}: 未知的指标代码 {', '.join(typos)}")
    return s


def _level(level: str) -> str:
    if level not in LEVELS:
        raise ValueError(f"level must be one of {LEVELS}, got {level!r}")
    return level


def _higher_is_better(metric: str) -> bool:
    if metric == COMPOSITE:
        return True
    if metric not in BY_CODE:
        raise ValueError(f"unknown metric {metric!r}")
    return BY_CODE[metric].higher_is_better


# ---------------------------------------------------------------- pure ranking


def competition_rank(
    values: pd.Series, higher_is_better: bool, groups: pd.Series | None = None
) -> pd.Series:
    """Competition ranks (1, 1, 3) of `values`, best first; null values get <NA>.

    With `groups`, ranks restart within each group (a county's rank in its prefecture)."""
    v = pd.to_numeric(values, errors="coerce").astype(float).round(_EPS_DECIMALS)
    if groups is None:
        r = v.rank(method="min", ascending=not higher_is_better, na_option="keep")
    else:
        r = v.groupby(groups.to_numpy(), dropna=False).rank(
            method="min", ascending=not higher_is_better, na_option="keep"
        )
    return r.astype("Int64")


def _ranked_count(rank: pd.Series, groups: pd.Series | None = None) -> pd.Series:
    """How many regions hold a rank (in the whole set, or in each one's group)."""
    has = rank.notna().astype(int)
    if groups is None:
        return pd.Series(int(has.sum()), index=rank.index, dtype="Int64")
    return has.groupby(groups.to_numpy(), dropna=False).transform("sum").astype("Int64")


def component_score(
    metric: Metric,
    value: pd.Series,
    reference: pd.Series | None = None,
    target: float | None = None,
) -> pd.Series:
    """One indicator as a 0–100 score (see the module docstring and settings.toml); `target`
    is the settings' target of the metric (None: no target)."""
    v = pd.to_numeric(value, errors="coerce").astype(float)
    if metric.kind == "rate":
        if metric.higher_is_better:
            if target:
                return (v / target).clip(0, 1) * 100
            return v.clip(0, 1) * 100
        return (1 - v.clip(0, 1)) * 100
    if not metric.higher_is_better and reference is not None:
        ref = pd.to_numeric(reference, errors="coerce").astype(float)
        share = (v / ref.where(ref > 0)).clip(0, 1)
        share = share.where(~((ref == 0) & (v == 0)), 0.0)  # nothing open, nothing overdue
        share = share.where(~((ref == 0) & (v > 0)), 1.0)  # cannot happen, but never 100
        return (1 - share) * 100
    raise SettingsError(
        f"综合得分不支持指标 {metric.code}（{metric.label}）：只能用比率，"
        "或在 [relative_to] 中给出参照指标的“越少越好”计数"
    )


def composite_from_wide(wide: pd.DataFrame, settings: Settings) -> pd.DataFrame:
    """`score` (0–100, two decimals, null below the minimum weight share), `weight_share`
    and one `score_<metric>` column per weighted indicator, added to a wide metric table."""
    out = wide.copy()
    weights = {m: float(w) for m, w in settings.composite_weights.items() if w > 0}
    total = sum(weights.values())
    num = pd.Series(0.0, index=out.index)
    den = pd.Series(0.0, index=out.index)
    for code, w in weights.items():
        ref_code = settings.relative_to.get(code)
        ref = out[ref_code] if ref_code else None
        s = component_score(BY_CODE[code], out[code], ref, settings.targets.get(code))
        out[f"score_{code}"] = s
        num += (s * w).fillna(0.0)
        den += s.notna() * w
    share = den / total
    score = (num / den.where(den > 0)).round(SCORE_DECIMALS)
    out["weight_share"] = share
    out["score"] = score.where(share >= settings.min_weight_share - 1e-12)
    return out


# ---------------------------------------------------------------- queries


def composite_scores(
    engine: Engine, scope: str, period: str, level: str, settings: Settings | None = None
) -> pd.DataFrame:
    """Composite score of every prefecture or county in the scope: code, name, parent_code,
    parent_name, score, weight_share, score_<metric> per weighted indicator; by code."""
    s = settings_or_default(settings)
    wide = region_table(engine, scope, check_period(period), _level(level))
    return composite_from_wide(wide, s)


def _values(
    engine: Engine, scope: str, period: str, metric: str, level: str, settings: Settings
) -> pd.DataFrame:
    """code, name, parent_code?, parent_name, value[, numerator, denominator] of one metric
    or the composite score."""
    if metric == COMPOSITE:
        df = composite_scores(engine, scope, period, level, settings)
        return df.assign(value=df["score"], numerator=np.nan, denominator=np.nan)
    return metric_by_region(engine, scope, period, metric, level)


def ranking(
    engine: Engine,
    scope: str,
    period: str,
    metric: str,
    level: str,
    compare: str | None = None,
    settings: Settings | None = None,
) -> pd.DataFrame:
    """Every prefecture or county of the scope ranked on `metric` (a metric code or
    `COMPOSITE`), best first, regions without a value last.

    Columns: rank, code, name, parent_name, value, numerator, denominator, n_ranked,
    rank_in_parent, n_in_parent, prev_value, prev_rank, rank_change (prev_rank − rank:
    positive means the region moved up), change (value − prev_value). `compare` is the
    comparison period (default: the previous month); ranks there are among the same regions.
    """
    check_period(period)
    compare = check_period(compare) if compare else previous_period(period)
    s = settings_or_default(settings)
    better = _higher_is_better(metric)
    require_within(engine, scope, scope)  # an unknown scope is no scope
    cur = _values(engine, scope, period, metric, _level(level), s)
    old = _values(engine, scope, compare, metric, level, s)
    cur = cur[["code", "name", "parent_name", "value", "numerator", "denominator"]].copy()
    cur = cur.assign(**_ranks(cur["value"], better, cur["parent_name"].fillna("")))
    old = old[["code", "value"]].rename(columns={"value": "prev_value"})
    old["prev_rank"] = competition_rank(old["prev_value"], better)
    out = cur.merge(old, on="code", how="left")
    out["rank_change"] = (out["prev_rank"] - out["rank"]).astype("Int64")
    out["change"] = out["value"] - out["prev_value"]
    out = out.sort_values(["rank", "code"], na_position="last", kind="stable")
    cols = [
        "rank",
        "code",
        "name",
        "parent_name",
        "value",
        "numerator",
        "denominator",
        "n_ranked",
        "rank_in_parent",
        "n_in_parent",
        "prev_value",
        "prev_rank",
        "rank_change",
        "change",
    ]
    return out[cols].reset_index(drop=True)


def _ranks(value: pd.Series, better: bool, parent: pd.Series) -> dict[str, pd.Series]:
    """rank and n_ranked among all the regions, rank_in_parent and n_in_parent among those
    of the same `parent`."""
    rank = competition_rank(value, better)
    in_parent = competition_rank(value, better, parent)
    return {
        "rank": rank,
        "n_ranked": _ranked_count(rank),
        "rank_in_parent": in_parent,
        "n_in_parent": _ranked_count(in_parent, parent),
    }


def _region_rank(wide: pd.DataFrame, region: str, code: str) -> dict | None:
    """value, rank, n_ranked, rank_in_parent, n_in_parent of one region on one metric, as
    `_ranks` would give its row (competition rank = 1 + the ranked regions strictly better),
    counted without ranking every region: 县区详情 asks for one county, and ranking all 100
    on 23 metrics twice took 0.55 s of pandas per cold render. None: region not in `wide`."""
    at = np.flatnonzero(wide["code"].to_numpy() == region)
    if not at.size:
        return None
    i = int(at[0])
    col = "score" if code == COMPOSITE else code
    raw = pd.to_numeric(wide[col], errors="coerce").astype(float)
    v = raw.round(_EPS_DECIMALS).to_numpy()
    parent = wide["parent_code"].fillna("").to_numpy()
    same = parent == parent[i]
    ranked = ~np.isnan(v)
    if np.isnan(v[i]):
        rank = rank_in_parent = pd.NA
    else:
        better = v > v[i] if _higher_is_better(code) else v < v[i]  # NaN compares False
        rank, rank_in_parent = 1 + int(better.sum()), 1 + int((better & same).sum())
    return {
        "value": raw.iloc[i],
        "rank": rank,
        "n_ranked": int(ranked.sum()),
        "rank_in_parent": rank_in_parent,
        "n_in_parent": int((ranked & same).sum()),
    }


def region_ranks(
    engine: Engine,
    scope: str,
    period: str,
    region: str,
    compare: str | None = None,
    settings: Settings | None = None,
) -> pd.DataFrame:
    """Where one county (or prefecture) stands among all counties (prefectures) of its
    province and among those of its prefecture, on every metric and the composite score.

    One row per metric (core/metrics.py order, then `COMPOSITE`): metric, value, rank,
    n_ranked, rank_in_parent, n_in_parent, prev_rank, rank_change. The region must lie in the
    scope; the peers may lie outside it (a county user sees the county's place in the
    province), but only the region's own positions leave this function, never a peer's value.
    """
    check_period(period)
    compare = check_period(compare) if compare else previous_period(period)
    require_within(engine, region, scope)
    chain = path(engine, region)
    level = chain[-1]["level"]
    if level not in LEVELS:
        raise ValueError(f"ranks are for prefectures and counties, not a {level}")
    province = chain[0]["code"]
    s = settings_or_default(settings)
    codes = [*METRIC_CODES, COMPOSITE]
    now = composite_from_wide(region_table(engine, province, period, level), s)
    before = composite_from_wide(region_table(engine, province, compare, level), s)
    rows = []
    for code in codes:
        r = _region_rank(now, region, code)
        if r is None:
            continue
        old = _region_rank(before, region, code)
        prev_rank = old["rank"] if old is not None else pd.NA
        change = pd.NA if pd.isna(prev_rank) or pd.isna(r["rank"]) else prev_rank - r["rank"]
        rows.append({"metric": code, **r, "prev_rank": prev_rank, "rank_change": change})
    df = pd.DataFrame(rows)
    df["value"] = pd.to_numeric(df["value"], errors="coerce").astype(float)
    for c in ("rank", "n_ranked", "rank_in_parent", "n_in_parent", "prev_rank", "rank_change"):
        df[c] = pd.array(df[c], dtype="Int64")
    return df
