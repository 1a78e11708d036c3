"""预警 on the hand-built province of tests/fixtures/province.py, on SQLite and PostgreSQL.

Settings: targets home ≥ .9, visit ≥ .9, overdue = 0 (÷ open);
alert weights home 1, visit 2, overdue 2; bands severe ≥ .20, moderate ≥ .05.

  region  value                         shortfall                 severity  band      gap
  P       home 85/100 = .85             (.9 − .85)/.9 = .055556   .055556   moderate  5
  P       overdue 2, open 20            2/20 = .1                 .2        severe    2
  P       visit 95/100                  met                       —
  A       home 9/10 = .9                met (exactly on target)   —
  A       visit 171/200 = .855          (.9 − .855)/.9 = .05      .1        moderate  9
  B       nothing                       —
  A1      home 9/20 = .45               .5                        .5        severe    9
  A1      visit 9/10, overdue 0         met                       —
  A2      home 0/0 (null: no data)      no alert
  A2      visit 891/1000 = .891         .01                       .02       minor     9
  A2      overdue 3, no open_cases row  no reference → 1          2.0       severe    3
  A3      visit 95/100                  met
  A3      home 1/4 = .25 (4 < 5: small) .722222                   .722222   severe    3
  B2      overdue 1, open 4             .25                       .5        severe    1

gap = ⌈(target − value) × denominator⌉ for a rate (.05 × 100 = 5, .045 × 200 = 9,
.45 × 20 = 9, .009 × 1000 = 9, .65 × 4 = 2.6 → 3), the count for overdue cases.
Order: by level; within it small samples last, then gap, then severity (A1's 9 before
A2's 9 by severity .5 > .02).
Region gap = Σ gaps: P 7, A 9, A2 12, A1 9, B2 1, A3 3 (small only);
index = 100 × Σ severity: P 25.6, A 10.0, A2 202.0, A1 50.0, B2 50.0, A3 72.2.
"""

from __future__ import annotations

import pandas as pd
import pytest
from sqlalchemy import Engine

from core.metrics import BY_CODE
from core.settings import Settings
from queries import alerts
from tests.fixtures.demo import tiny_sqlite_url
from tests.fixtures.province import (
    A1,
    A2,
    A3,
    B2,
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
    *snaps(P, NOW, home_coverage=(85, 100), visit_rate_90d=(95, 100)),
    *snaps(P, NOW, overdue_cases=2, open_cases=20),
    *snaps(A, NOW, home_coverage=(9, 10), visit_rate_90d=(171, 200)),
    *snaps(A1, NOW, home_coverage=(9, 20), visit_rate_90d=(9, 10), overdue_cases=0, open_cases=3),
    *snaps(A2, NOW, home_coverage=(0, 0), visit_rate_90d=(891, 1000)),
    snap(A2, NOW, "overdue_cases", 3, value=None),
    *snaps(A3, NOW, visit_rate_90d=(95, 100), home_coverage=(1, 4)),
    *snaps(B2, NOW, overdue_cases=1, open_cases=4),
]


@pytest.fixture
def db(engine: Engine) -> Engine:
    return load_province(engine, SNAPSHOTS)


def test_metric_alerts_by_hand(db):
    df = alerts.metric_alerts(db, P, NOW, settings=SETTINGS)
    got = [
        (r.code, r.metric, r.gap, r.small_sample, round(r.severity, 6), r.band)
        for r in df.itertuples()
    ]
    assert got == [
        (P, "home_coverage", 5, False, 0.055556, "moderate"),
        (P, "overdue_cases", 2, False, 0.2, "severe"),
        (A, "visit_rate_90d", 9, False, 0.1, "moderate"),
        (A1, "home_coverage", 9, False, 0.5, "severe"),
        (A2, "visit_rate_90d", 9, False, 0.02, "minor"),
        (A2, "overdue_cases", 3, False, 2.0, "severe"),
        (B2, "overdue_cases", 1, False, 0.5, "severe"),
        (A3, "home_coverage", 3, True, 0.722222, "severe"),  # small sample: never first
    ]
    row = df[(df["code"] == A2) & (df["metric"] == "overdue_cases")].iloc[0]
    assert row["value"] == 3 and pd.isna(row["reference"]) and row["shortfall"] == 1.0
    row = df[(df["code"] == B2)].iloc[0]
    assert (row["reference"], row["shortfall"], row["weight"]) == (4, 0.25, 2.0)
    assert row["name"] == "珠山区" and row["parent_name"] == "景德镇市" and row["level"] == "county"
    assert row["label"] == "逾期个案" and row["target"] == 0
    home = df[(df["code"] == P) & (df["metric"] == "home_coverage")].iloc[0]
    assert home["value"] == pytest.approx(0.85) and home["shortfall"] == pytest.approx(0.055556)


def test_region_alerts_by_hand(db):
    df = alerts.region_alerts(db, P, NOW, settings=SETTINGS)
    assert list(df["code"]) == [P, A, A2, A1, B2, A3]
    assert list(df["gap"]) == [7, 9, 12, 9, 1, 3]
    assert list(df["small_sample"]) == [False, False, False, False, False, True]
    assert list(df["alert_index"]) == [25.6, 10.0, 202.0, 50.0, 50.0, 72.2]
    assert list(df["n_missed"]) == [2, 1, 2, 1, 1, 1]
    assert list(df["worst_band"]) == ["severe", "moderate", "severe", "severe", "severe", "severe"]
    assert df.iloc[0]["metrics"] == ("home_coverage", "overdue_cases")
    assert df.iloc[2]["metrics"] == ("visit_rate_90d", "overdue_cases")
    assert list(df["level"]) == ["province", "prefecture", *["county"] * 4]
    assert B not in set(df["code"])


def test_scope_and_levels(db):
    mine = alerts.region_alerts(db, A, NOW, settings=SETTINGS)
    assert list(mine["code"]) == [A, A2, A1, A3]  # no province, no 景德镇市 county
    counties = alerts.metric_alerts(db, P, NOW, levels=("county",), settings=SETTINGS)
    assert set(counties["level"]) == {"county"} and len(counties) == 5
    assert alerts.metric_alerts(db, B, NOW, settings=SETTINGS)["code"].tolist() == [B2]
    with pytest.raises(ValueError):
        alerts.metric_alerts(db, P, NOW, levels=("village",), settings=SETTINGS)
    assert alerts.region_alerts(db, P, "2025-01", settings=SETTINGS).empty  # no data: no alert


def test_bands_and_weights_follow_the_settings(db):
    strict = Settings(
        **{
            **SETTINGS.__dict__,
            "severe": 0.6,
            "moderate": 0.3,
            "alert_weights": {"overdue_cases": 1.0},  # others default to 1
        }
    )
    df = alerts.metric_alerts(db, P, NOW, settings=strict)
    got = {(r.code, r.metric): (round(r.severity, 6), r.band) for r in df.itertuples()}
    assert got[(A2, "overdue_cases")] == (1.0, "severe")
    assert got[(A1, "home_coverage")] == (0.5, "moderate")
    assert got[(A, "visit_rate_90d")] == (0.05, "minor")
    no_visit = Settings(**{**SETTINGS.__dict__, "targets": {"home_coverage": 0.9}})
    df = alerts.metric_alerts(db, P, NOW, settings=no_visit)
    assert set(df["metric"]) == {"home_coverage"}  # no target: no alert


def test_default_settings_file(db):
    # settings.toml: the DESIGN.md §4 targets; visit weight 2, overdue weight 2
    df = alerts.metric_alerts(db, P, NOW)
    got = {(r.code, r.metric): round(r.severity, 6) for r in df.itertuples()}
    assert got[(A2, "overdue_cases")] == 2.0
    assert got[(A, "visit_rate_90d")] == 0.1


def test_a_hundred_overdue_cases_outrank_one_of_one(engine):
    """The issue's case: a district with 1 of 1 cases overdue (relative shortfall 100%)
    ranks after a county with 118 of 172 overdue (69%): gap 118 before gap 1."""
    load_province(
        engine,
        [
            *snaps(A1, NOW, overdue_cases=1, open_cases=1),
            *snaps(B2, NOW, overdue_cases=118, open_cases=172),
        ],
    )
    df = alerts.metric_alerts(engine, P, NOW, levels=("county",), settings=SETTINGS)
    assert list(zip(df["code"], df["gap"], strict=True)) == [(B2, 118), (A1, 1)]
    assert df.iloc[1]["shortfall"] == 1.0 > df.iloc[0]["shortfall"]  # the old order's lead
    assert alerts.region_alerts(engine, P, NOW, settings=SETTINGS)["code"].tolist() == [B2, A1]


def test_min_sample_follows_the_settings(db):
    loose = Settings(**{**SETTINGS.__dict__, "min_sample": 4})
    df = alerts.metric_alerts(db, P, NOW, levels=("county",), settings=loose)
    a3 = df[df["code"] == A3].iloc[0]
    assert not a3["small_sample"]  # 4 units are enough now
    assert list(df["code"]) == [A1, A2, A2, A3, B2]  # A3's gap 3 ties A2's, lower severity


def test_shortfall_and_misses():
    visit, overdue = BY_CODE["visit_rate_90d"], BY_CODE["overdue_cases"]
    assert alerts.shortfall(visit, 0.45, 0.9) == 0.5
    assert alerts.shortfall(visit, -1.0, 0.9) == 1.0  # at most 1
    assert alerts.shortfall(overdue, 3, 0, 12) == 0.25
    assert alerts.shortfall(overdue, 3, 0, 0) == 1.0
    assert alerts.shortfall(overdue, 9, 3) == 1.0  # (9 − 3)/3 capped
    assert alerts.shortfall(overdue, 4, 3) == pytest.approx(0.333333)
    assert not alerts.misses(visit, 0.9, 0.9)
    assert not alerts.misses(visit, float("nan"), 0.9)
    assert not alerts.misses(visit, None, 0.9)
    assert alerts.misses(overdue, 1, 0) and not alerts.misses(overdue, 0, 0)
    assert alerts.band_of(0.2, SETTINGS) == "severe"
    assert alerts.band_of(0.199999, SETTINGS) == "moderate"
    assert alerts.band_of(0.049999, SETTINGS) == "minor"


# ---------------------------------------------------------------- the page (AppTest)


def test_alerts_page(apptest_env, tmp_path_factory):
    from data.db import make_engine
    from tests.apptest import run_app

    url = tiny_sqlite_url(tmp_path_factory, "alerts_page")
    engine = make_engine(url)
    at = run_app(url, page="pages/alerts.py")
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert [t.value for t in at.title] == ["预警"]
    period = at.selectbox(key="period").value
    expected = alerts.region_alerts(engine, P, period)
    engine.dispose()
    assert len(expected) > 0
    # the headline counts regions by their most severe alert (18.3), counties first
    heads = {m.label: m.value for m in at.metric}
    assert heads["有预警的县（市、区）"] == f"{(expected['level'] == 'county').sum()} 个"
    for band, label in (
        ("severe", "■ 严重地区"),
        ("moderate", "◆ 较重地区"),
        ("minor", "● 一般地区"),
    ):
        assert heads[label] == f"{(expected['worst_band'] == band).sum()} 个", band
    assert sum(int(heads[x].split()[0]) for x in ("■ 严重地区", "◆ 较重地区", "● 一般地区")) == len(
        expected
    )
    # one entry per region in the query's order (province, prefectures, counties, each by
    # gap), each a link to the region's view: counties (named with their prefecture) and
    # prefectures to 县区详情, the province to the overview
    links = [x for x in at.get("page_link") if x.proto.label[:1].isdigit()]
    assert len(links) == min(len(expected), 30)
    for link, name in zip(links, expected["name"], strict=False):
        assert name in link.proto.label
    assert expected.iloc[0]["level"] == "province" and expected.iloc[1]["level"] == "prefecture"
    assert links[1].proto.page.endswith("county")
    at.segmented_control(key="alerts_levels").set_value(["county"]).run()
    assert not at.exception and not at.error
    counties = expected[expected["level"] == "county"]
    links = [x for x in at.get("page_link") if x.proto.label[:1].isdigit()]
    assert len(links) == min(len(counties), 30)
