"""红黑榜 ranks and the composite score on a hand-built province (kpi_snapshots written by
hand, values worked out below), on SQLite and PostgreSQL; plus the settings file.

Regions (tests/fixtures/province.py, shared with test_alerts.py and test_briefing.py):
  360000 江西省 P
    360100 南昌市 A: 360102 东湖区 A1, 360103 西湖区 A2, 360104 青云谱区 A3
    360200 景德镇市 B: 360202 昌江区 B1 (no snapshots at all), 360203 珠山区 B2

Period 2026-03 (NOW), compared with 2026-02 (BEFORE). Composite weights in these tests:
home_coverage 1, visit_rate_90d 1, overdue_cases 2 (÷ open_cases), min weight share 0.5:

  county  home        visit        overdue/open   scores (home, visit, overdue)   composite
  A1      9/10 = .90  81/100 = .81  1/4           100, 90, 75                   340/4 = 85.00
  A2      9/20 = .45  9/10 = .90    0/0           50, 100, 100                  350/4 = 87.50
  A3      18/25 = .72 0/0 = null    0/5           80, —, 100                    280/3 = 93.33
  B1      —           —             —             —                             null (no data)
  B2      99/100      90/100 = .90  1/4           100 (capped), 100, 75         350/4 = 87.50

BEFORE only visit_rate_90d: A1 .95, A2 .50, A3 .60, B1 —, B2 — (composite: a quarter of the
weight at most, below the 0.5 minimum → null for everyone).
"""

from __future__ import annotations

import math

import pandas as pd
import pytest
from sqlalchemy import Engine

from components.format import fmt_delta
from core.metrics import BY_CODE, METRICS
from core.settings import (
    DEFAULT_TARGETS,
    Settings,
    SettingsError,
    load_settings,
    parse,
    unknown_codes,
)
from queries import rankings
from queries.regions import ScopeError
from tests.fixtures.demo import tiny_sqlite_url
from tests.fixtures.province import (
    A1,
    A2,
    A3,
    B1,
    B2,
    BEFORE,
    NOW,
    SETTINGS,
    A,
    B,
    P,
    load_province,
    snap,
    snaps,
)

SNAPSHOTS = [
    # NOW: home coverage, visit rate, overdue and open cases (see the table above)
    *snaps(A1, NOW, home_coverage=(9, 10), visit_rate_90d=(81, 100), overdue_cases=1, open_cases=4),
    *snaps(A2, NOW, home_coverage=(9, 20), visit_rate_90d=(9, 10), open_cases=0),
    snap(A2, NOW, "overdue_cases", 0, value=None),  # count read from the numerator
    *snaps(A3, NOW, home_coverage=(18, 25), visit_rate_90d=(0, 0), overdue_cases=0, open_cases=5),
    *snaps(B2, NOW, home_coverage=(99, 100), visit_rate_90d=(90, 100)),
    *snaps(B2, NOW, overdue_cases=1, open_cases=4),
    *snaps(A, NOW, visit_rate_90d=(8, 10)),
    *snaps(B, NOW, visit_rate_90d=(80, 100)),
    *snaps(P, NOW, visit_rate_90d=(88, 110)),
    # BEFORE: visit rate only
    *snaps(A1, BEFORE, visit_rate_90d=(95, 100)),
    *snaps(A2, BEFORE, visit_rate_90d=(1, 2)),
    *snaps(A3, BEFORE, visit_rate_90d=(6, 10)),
    *snaps(A, BEFORE, visit_rate_90d=(9, 10)),
    *snaps(B, BEFORE, visit_rate_90d=(7, 10)),
]


@pytest.fixture
def db(engine: Engine) -> Engine:
    return load_province(engine, SNAPSHOTS)


def as_dict(df: pd.DataFrame, col: str) -> dict:
    return {c: (None if pd.isna(v) else v) for c, v in zip(df["code"], df[col], strict=True)}


# ---------------------------------------------------------------- pure ranking


def test_competition_rank_ties_and_nulls():
    values = pd.Series([0.9, 0.8, 0.9, math.nan, 0.7])
    assert list(rankings.competition_rank(values, True).astype(object).fillna(-1)) == [
        1,
        3,
        1,
        -1,
        4,
    ]
    # lower is better: the null is still not first (and not ranked at all)
    assert list(rankings.competition_rank(values, False).astype(object).fillna(-1)) == [
        3,
        2,
        3,
        -1,
        1,
    ]
    groups = pd.Series(["a", "a", "b", "b", "b"])
    assert list(rankings.competition_rank(values, True, groups).astype(object).fillna(-1)) == [
        1,
        2,
        1,
        -1,
        2,
    ]
    # 0.9 from different fractions (9/10 and 90/100, 0.1 * 9) is one value: a tie
    assert list(rankings.competition_rank(pd.Series([9 / 10, 0.1 * 9, 0.3 * 3]), True)) == [
        1,
        1,
        1,
    ]


def test_all_null_ranks_nobody():
    ranks = rankings.competition_rank(pd.Series([math.nan, math.nan]), True)
    assert ranks.isna().all()


# ---------------------------------------------------------------- rankings on a metric


def test_ranking_on_a_rate_with_ties_nulls_and_rank_change(db):
    df = rankings.ranking(db, P, NOW, "visit_rate_90d", "county", settings=SETTINGS)
    assert list(df["code"]) == [A2, B2, A1, A3, B1]  # ties by code; nulls last by code
    assert as_dict(df, "rank") == {A2: 1, B2: 1, A1: 3, A3: None, B1: None}
    assert set(df["n_ranked"]) == {3}
    assert as_dict(df, "rank_in_parent") == {A2: 1, B2: 1, A1: 2, A3: None, B1: None}
    assert as_dict(df, "n_in_parent") == {A2: 2, B2: 1, A1: 2, A3: 2, B1: 1}
    # before: A1 .95 (1), A3 .60 (2), A2 .50 (3); B1 and B2 no data
    assert as_dict(df, "prev_rank") == {A1: 1, A3: 2, A2: 3, B1: None, B2: None}
    assert as_dict(df, "rank_change") == {A2: 2, A1: -2, A3: None, B1: None, B2: None}
    row = df.set_index("code").loc[A1]
    assert row["value"] == pytest.approx(0.81)
    assert row["numerator"] == 81 and row["denominator"] == 100
    assert row["change"] == pytest.approx(0.81 - 0.95)
    assert df.iloc[0]["name"] == "西湖区" and df.iloc[0]["parent_name"] == "南昌市"


def test_a_region_without_data_is_never_first_when_lower_is_better(db):
    df = rankings.ranking(db, P, NOW, "overdue_cases", "county", settings=SETTINGS)
    assert not BY_CODE["overdue_cases"].higher_is_better
    assert list(df["code"]) == [A2, A3, A1, B2, B1]
    assert as_dict(df, "rank") == {A2: 1, A3: 1, A1: 3, B2: 3, B1: None}
    assert as_dict(df, "value")[A2] == 0  # read from the numerator (value column null)


def test_prefecture_ranking_and_scope(db):
    df = rankings.ranking(db, P, NOW, "visit_rate_90d", "prefecture", settings=SETTINGS)
    assert as_dict(df, "rank") == {A: 1, B: 1}  # 8/10 and 80/100
    assert as_dict(df, "prev_rank") == {A: 1, B: 2}
    assert as_dict(df, "rank_change") == {A: 0, B: 1}
    # a prefecture user ranks its own counties only
    mine = rankings.ranking(db, A, NOW, "visit_rate_90d", "county", settings=SETTINGS)
    assert list(mine["code"]) == [A2, A1, A3]
    assert as_dict(mine, "rank") == {A2: 1, A1: 2, A3: None}


def test_ranking_compare_period_and_bad_input(db):
    df = rankings.ranking(
        db, P, NOW, "visit_rate_90d", "county", compare="2025-12", settings=SETTINGS
    )
    assert df["prev_rank"].isna().all() and df["rank_change"].isna().all()
    with pytest.raises(ValueError):
        rankings.ranking(db, P, NOW, "no_such_metric", "county", settings=SETTINGS)
    with pytest.raises(ValueError):
        rankings.ranking(db, P, NOW, "visit_rate_90d", "township", settings=SETTINGS)
    with pytest.raises(ValueError):
        rankings.ranking(db, P, "2026-3", "visit_rate_90d", "county", settings=SETTINGS)


# ---------------------------------------------------------------- composite score


def test_composite_scores_by_hand(db):
    df = rankings.composite_scores(db, P, NOW, "county", SETTINGS).set_index("code")
    assert df.loc[A1, "score"] == 85.00
    assert df.loc[A2, "score"] == 87.50
    assert df.loc[A3, "score"] == pytest.approx(93.33)  # 280/3 rounded to two decimals
    assert df.loc[B2, "score"] == 87.50
    assert pd.isna(df.loc[B1, "score"])
    assert df.loc[A3, "weight_share"] == pytest.approx(0.75)
    assert df.loc[B2, "score_home_coverage"] == 100  # 0.99 / 0.9 capped at 100
    assert df.loc[A2, "score_home_coverage"] == pytest.approx(50)
    assert df.loc[A2, "score_overdue_cases"] == 100  # nothing open, nothing overdue
    assert df.loc[A1, "score_overdue_cases"] == pytest.approx(75)
    assert pd.isna(df.loc[A3, "score_visit_rate_90d"])


def test_composite_ranking_ties_nulls_and_min_share(db):
    df = rankings.ranking(db, P, NOW, rankings.COMPOSITE, "county", settings=SETTINGS)
    assert list(df["code"]) == [A3, A2, B2, A1, B1]
    assert as_dict(df, "rank") == {A3: 1, A2: 2, B2: 2, A1: 4, B1: None}
    assert as_dict(df, "rank_in_parent") == {A3: 1, A2: 2, A1: 3, B2: 1, B1: None}
    # before: only visit rates, a quarter of the weight < 0.5 → no composite, no prior rank
    assert df["prev_value"].isna().all() and df["prev_rank"].isna().all()
    lenient = Settings(**{**SETTINGS.__dict__, "min_weight_share": 0.25})
    before = rankings.composite_scores(db, P, BEFORE, "county", lenient).set_index("code")
    assert before.loc[A1, "score"] == 100.0  # .95 / .9 capped
    assert before.loc[A2, "score"] == pytest.approx(55.56)  # .5 / .9
    assert pd.isna(before.loc[B2, "score"])


def test_composite_rejects_an_unsupported_weight(db):
    bad = Settings(**{**SETTINGS.__dict__, "composite_weights": {"children_active": 1.0}})
    with pytest.raises(SettingsError):
        rankings.composite_scores(db, P, NOW, "county", bad)
    typo = Settings(**{**SETTINGS.__dict__, "composite_weights": {"home_coverge": 1.0}})
    with pytest.raises(SettingsError):
        rankings.composite_scores(db, P, NOW, "county", typo)


# ---------------------------------------------------------------- one region's place


def test_region_ranks_of_a_county(db):
    df = rankings.region_ranks(db, P, NOW, A1, settings=SETTINGS).set_index("metric")
    assert list(df.index) == [*(m.code for m in METRICS), rankings.COMPOSITE]
    visit = df.loc["visit_rate_90d"]
    assert (visit["rank"], visit["n_ranked"]) == (3, 3)
    assert (visit["rank_in_parent"], visit["n_in_parent"]) == (2, 2)
    assert (visit["prev_rank"], visit["rank_change"]) == (1, -2)
    comp = df.loc[rankings.COMPOSITE]
    assert comp["value"] == 85.0
    assert (comp["rank"], comp["n_ranked"]) == (4, 4)
    assert (comp["rank_in_parent"], comp["n_in_parent"]) == (3, 3)
    assert pd.isna(df.loc["children_active", "rank"])  # no data: no rank
    assert pd.isna(df.loc["children_active", "rank_change"])


def test_region_ranks_peers_beyond_a_county_scope(db):
    # A county user sees its own place among all counties, and nothing of another county.
    df = rankings.region_ranks(db, A1, NOW, A1, settings=SETTINGS).set_index("metric")
    assert df.loc["visit_rate_90d", "rank"] == 3 and df.loc["visit_rate_90d", "n_ranked"] == 3
    assert set(df.columns) == {
        "value",
        "rank",
        "n_ranked",
        "rank_in_parent",
        "n_in_parent",
        "prev_rank",
        "rank_change",
    }
    with pytest.raises(ScopeError):
        rankings.region_ranks(db, A1, NOW, B2, settings=SETTINGS)
    with pytest.raises(ScopeError):
        rankings.ranking(db, "999999", NOW, "visit_rate_90d", "county", settings=SETTINGS)


def test_region_ranks_of_a_prefecture(db):
    df = rankings.region_ranks(db, P, NOW, B, settings=SETTINGS).set_index("metric")
    assert (df.loc["visit_rate_90d", "rank"], df.loc["visit_rate_90d", "n_ranked"]) == (1, 2)
    assert df.loc["visit_rate_90d", "rank_change"] == 1
    with pytest.raises(ValueError):
        rankings.region_ranks(db, P, NOW, P, settings=SETTINGS)


# ---------------------------------------------------------------- settings file


def test_repository_settings_file_has_the_design_defaults():
    s = load_settings()
    assert s.source.endswith("settings.toml")
    assert dict(s.targets) == DEFAULT_TARGETS
    assert unknown_codes(s, BY_CODE) == []
    assert {m.code: m.target for m in METRICS if m.target is not None} == DEFAULT_TARGETS
    assert sum(s.composite_weights.values()) == 11
    assert s.relative_to == {"overdue_cases": "open_cases"}
    assert (s.severe, s.moderate) == (0.20, 0.05)


def test_settings_parse_and_errors(tmp_path):
    custom = tmp_path / "custom.toml"
    custom.write_text(
        "[targets]\nhome_coverage = 0.8\n[composite.weights]\nvisit_rate_90d = 3\n",
        encoding="utf-8",
    )
    s = load_settings(custom)
    assert dict(s.targets) == {"home_coverage": 0.8}  # a section replaces the default whole
    assert dict(s.composite_weights) == {"visit_rate_90d": 3.0}
    assert s.alert_weight("visit_rate_90d") == 2.0 and s.alert_weight("other") == 1.0
    assert load_settings(tmp_path / "missing.toml") == Settings()
    with pytest.raises(SettingsError):
        parse({"targets": {"home_coverage": "90%"}})
    with pytest.raises(SettingsError):
        parse({"alerts": {"severe": 0.01, "moderate": 0.1}})
    with pytest.raises(SettingsError):
        parse({"composite": {"weights": {"home_coverage": 0}}})
    assert unknown_codes(parse({"targets": {"home_coverge": 0.9}}), BY_CODE) == ["home_coverge"]


# ---------------------------------------------------------------- the page (AppTest)


@pytest.fixture(scope="module")
def tiny_url(tmp_path_factory) -> str:
    """The tiny demo: five counties of two prefectures, one of them without any township."""
    return tiny_sqlite_url(tmp_path_factory, "rankings_page")


def test_rankings_page(apptest_env, tiny_url):
    from data.db import make_engine
    from tests.apptest import run_app

    at = run_app(tiny_url, page="pages/rankings.py")
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert [t.value for t in at.title] == ["红黑榜"]
    period = at.selectbox(key="period").value
    engine = make_engine(tiny_url)
    expected = rankings.ranking(engine, P, period, rankings.COMPOSITE, "county")
    engine.dispose()
    red, _black, full = (d.value for d in at.dataframe[:3])  # 红榜, 黑榜, full ranking
    best = expected[expected["rank"] == 1]["name"].tolist()
    assert red["县（市、区）"].tolist()[: len(best)] == best
    assert full["县（市、区）"].tolist() == expected["name"].tolist()
    assert full["名次"].isna().sum() == expected["rank"].isna().sum() >= 1  # the empty county
    # another indicator, prefectures, an earlier comparison month
    at.selectbox(key="rankings_metric").set_value("overdue_cases").run()
    at.segmented_control(key="rankings_level").set_value("prefecture").run()
    assert not at.exception and not at.error
    assert len(at.dataframe[2].value) == 2
    # the comparison month's value and the change beside the rank change (18.3)
    at.segmented_control(key="rankings_level").set_value("county").run()
    at.selectbox(key="rankings_metric").set_value("home_coverage").run()
    at.selectbox(key="rankings_compare").set_value("2026-06").run()
    assert not at.exception and not at.error
    engine = make_engine(tiny_url)
    want = rankings.ranking(engine, P, period, "home_coverage", "county", compare="2026-06")
    engine.dispose()
    red, _black, full = (d.value for d in at.dataframe[:3])
    pd.testing.assert_series_equal(
        full["2026年6月数值"].astype(float),
        (want["prev_value"] * 100).astype(float),
        check_names=False,
        check_index=False,
    )
    assert full["数值变化"].tolist() == [fmt_delta("home_coverage", c) for c in want["change"]]
    assert want["change"].notna().any() and any("个百分点" in t for t in full["数值变化"])
    assert {"2026年6月数值", "数值变化", "名次变化"} <= set(red.columns)
