"""会议简报 on the hand-built province of tests/fixtures/province.py (plus a township and a
village under 东湖区 A1 and 珠山区 B2, children and cases), on SQLite and PostgreSQL; and its
one-page Word document.

Periods: NOW 2026-03 (D1 = 2026-03-31) against BEFORE 2026-02 (D0 = 2026-02-28).

Movers of the province (movement: percentage points for rates, per cent otherwise):
  open_cases 0 → 3 (from zero: 100, worse), overdue_cases 4 → 6 (50 %, worse),
  children_active 1,000 → 1,100 (10 %, better), home_coverage .80 → .85 (5.0 points, better),
  visit_rate_90d .90 → .88 (2.0 points, worse), demo_homes 5 → 5 (flat, 0),
  referral_timely — → .50 (no data), every other metric: no rows (no data).

Target crossings of counties (targets home ≥ .9, visit ≥ .9, overdue = 0):
  A1 home .95 → .85 fell; A2 overdue 0 → 2 fell; A2 home .80 → .92 rose; A1 visit .85 → .95
  rose; A3 home .95 → .96 no change; B2 home — → .50 no crossing (no data before).

Cases (open unless closed_on):       overdue on D0?  on D1?   new?
  c1 received 01-10 due 02-20              yes          yes      no
  c2 received 02-10 due 03-15              no           yes      yes (16 days)
  c3 received 03-01 due 03-30 closed 03-31 no           no (closed on D1)
  c4 received 01-05 due 02-01 closed 03-05 yes          no       no
  c5 received 03-02 due 03-10, high risk   no           yes      yes (21 days), child 王小明
  c6 received 02-01 due 03-31              no           no (due on D1)
  c7 珠山区, received 03-01 due 03-20       no           yes      yes (11 days)
  c8 received 02-20 due 02-28              no (due on D0) yes    yes (31 days)
"""

from __future__ import annotations

import io
import math
from datetime import date

import docx
import pandas as pd
import pytest
from docx.oxml.ns import qn
from docx.shared import Length
from sqlalchemy import Engine, insert

from components import briefing_doc
from core.metrics import METRIC_CODES
from core.settings import Settings
from data.schema import cases, children
from queries import briefing, indicators
from tests.fixtures.demo import tiny_sqlite_url
from tests.fixtures.province import (
    A1,
    A2,
    A3,
    B2,
    BEFORE,
    NOW,
    SETTINGS,
    A,
    P,
    load_province,
    snaps,
)

T1, V11, T4, V41 = "360102001", "360102001001", "360203001", "360203001001"
EXTRA = [
    (T1, "公园街道", "township", A1),
    (V11, "公园社区", "village", T1),
    (T4, "竟成镇", "township", B2),
    (V41, "竟成村", "village", T4),
]
HOME_ONLY = Settings(**{**SETTINGS.__dict__, "composite_weights": {"home_coverage": 1.0}})

SNAPSHOTS = [
    *snaps(P, BEFORE, open_cases=0, overdue_cases=4, children_active=1000, demo_homes=5),
    *snaps(P, NOW, open_cases=3, overdue_cases=6, children_active=1100, demo_homes=5),
    *snaps(P, BEFORE, home_coverage=(80, 100), visit_rate_90d=(90, 100), referral_timely=(0, 0)),
    *snaps(P, NOW, home_coverage=(85, 100), visit_rate_90d=(88, 100), referral_timely=(1, 2)),
    # counties
    *snaps(A1, BEFORE, home_coverage=(95, 100), visit_rate_90d=(85, 100)),
    *snaps(A1, NOW, home_coverage=(85, 100), visit_rate_90d=(95, 100)),
    *snaps(A2, BEFORE, home_coverage=(80, 100), overdue_cases=0),
    *snaps(A2, NOW, home_coverage=(92, 100), overdue_cases=2),
    *snaps(A3, BEFORE, home_coverage=(95, 100)),
    *snaps(A3, NOW, home_coverage=(96, 100)),
    *snaps(B2, NOW, home_coverage=(50, 100)),
]


def day(s: str) -> date:
    return date.fromisoformat(s)


def _case(id_, region, received, due, closed=None, risk="medium", child=None):
    return {
        "id": id_,
        "child_id": child,
        "region_code": region,
        "source": "hotline_12355",
        "concern": "guardianship",
        "risk_level": risk,
        "received_on": day(received),
        "assessed_on": None,
        "status": "closed" if closed else "in_progress",
        "due_on": day(due),
        "closed_on": day(closed) if closed else None,
    }


CASES = [
    _case(1, V11, "2026-01-10", "2026-02-20"),
    _case(2, T1, "2026-02-10", "2026-03-15"),
    _case(3, V11, "2026-03-01", "2026-03-30", closed="2026-03-31"),
    _case(4, A1, "2026-01-05", "2026-02-01", closed="2026-03-05"),
    _case(5, V11, "2026-03-02", "2026-03-10", risk="high", child=1),
    _case(6, V11, "2026-02-01", "2026-03-31"),
    _case(7, V41, "2026-03-01", "2026-03-20"),
    _case(8, A1, "2026-02-20", "2026-02-28"),
]


@pytest.fixture
def db(engine: Engine) -> Engine:
    load_province(engine, SNAPSHOTS, EXTRA)
    with engine.begin() as conn:
        conn.execute(
            insert(children),
            [
                {
                    "id": 1,
                    "village_code": V11,
                    "category": "left_behind",
                    "name": "王小明",
                    "gender": "M",
                    "id_number": "360102201501011234",
                    "registered_on": day("2025-01-01"),
                }
            ],
        )
        conn.execute(insert(cases), CASES)
    return engine


def test_movers_by_hand(db):
    df = briefing.movers(db, P, NOW, BEFORE)
    top = df.head(6)
    assert list(top["metric"]) == [
        "open_cases",
        "overdue_cases",
        "children_active",
        "home_coverage",
        "visit_rate_90d",
        "demo_homes",
    ]
    assert list(top["movement"].round(6)) == [100.0, 50.0, 10.0, 5.0, 2.0, 0.0]
    assert list(top["direction"]) == ["worse", "worse", "better", "better", "worse", "flat"]
    # the rest cannot be compared (a side missing): last, in metric order
    rest = df.iloc[6:]
    assert rest["movement"].isna().all() and rest["direction"].eq("no_data").all()
    assert rest.iloc[0]["metric"] == "supervisor_coverage"
    referral = df.set_index("metric").loc["referral_timely"]
    assert math.isnan(referral["base_value"]) and referral["value"] == 0.5
    assert df.iloc[3]["change"] == pytest.approx(0.05)
    assert (df.iloc[1]["base_value"], df.iloc[1]["value"]) == (4, 6)
    assert len(df) == len(METRIC_CODES)
    # a county inside the scope; the base must come first
    assert briefing.movers(db, P, NOW, BEFORE, A1).iloc[0]["metric"] == "home_coverage"
    with pytest.raises(ValueError):
        briefing.movers(db, P, BEFORE, NOW)
    with pytest.raises(ValueError):
        briefing.movers(db, P, NOW, NOW)


def test_target_crossings_by_hand(db):
    df = briefing.target_crossings(db, P, NOW, BEFORE, settings=SETTINGS)
    got = [(r.code, r.metric, r.direction) for r in df.itertuples()]
    assert got == [
        (A1, "home_coverage", "fell"),
        (A2, "overdue_cases", "fell"),
        (A2, "home_coverage", "rose"),
        (A1, "visit_rate_90d", "rose"),
    ]
    fell = df.iloc[0]
    assert (fell["base_value"], fell["value"], fell["target"]) == (0.95, 0.85, 0.9)
    assert fell["name"] == "东湖区" and fell["parent_name"] == "南昌市"
    # prefecture scope: only its own counties
    assert set(briefing.target_crossings(db, A, NOW, BEFORE, settings=SETTINGS)["code"]) == {
        A1,
        A2,
    }


def test_falls_rank_by_gap_small_samples_last(engine):
    """Falls lead with the most units short: B2's 30 overdue cases (gap 30) before A1's home
    coverage 85/100 (gap ⌈.05 × 100⌉ = 5); A3's visit rate 1 of 2 (gap ⌈.4 × 2⌉ = 1) is a
    small sample (2 < 5 children) and comes last although its drop is the steepest."""
    rows = [
        *snaps(A1, BEFORE, home_coverage=(95, 100)),
        *snaps(A1, NOW, home_coverage=(85, 100)),
        *snaps(A3, BEFORE, visit_rate_90d=(95, 100)),
        *snaps(A3, NOW, visit_rate_90d=(1, 2)),
        *snaps(B2, BEFORE, overdue_cases=0),
        *snaps(B2, NOW, overdue_cases=30),
    ]
    load_province(engine, rows)
    df = briefing.target_crossings(engine, P, NOW, BEFORE, settings=SETTINGS)
    got = [(r.code, r.metric, r.gap, r.small_sample) for r in df.itertuples()]
    assert got == [
        (B2, "overdue_cases", 30, False),
        (A1, "home_coverage", 5, False),
        (A3, "visit_rate_90d", 1, True),
    ]
    assert df.iloc[1]["denominator"] == 100 and pd.isna(df.iloc[0]["denominator"])


def test_new_overdue_cases_by_hand(db):
    df = briefing.new_overdue_cases(db, P, NOW, BEFORE)
    assert list(df["id"]) == [8, 5, 2, 7]
    assert list(df["days_overdue"]) == [31, 21, 16, 11]
    c5 = df.set_index("id").loc[5]
    assert c5["child_name"] == "王*明" and c5["risk_level"] == "high"
    assert (c5["county_name"], c5["township_name"]) == ("东湖区", "公园街道")
    # A province user's list names neither the village nor the concern (issue 19.10) ...
    assert pd.isna(c5["village_name"]) and pd.isna(c5["concern"])
    assert df["village_name"].isna().all() and df["concern"].isna().all()
    # ... the county's own user's does.
    own = briefing.new_overdue_cases(db, A1, NOW, BEFORE).set_index("id")
    assert list(own.index) == [8, 5, 2]
    assert (own.loc[5, "village_name"], own.loc[5, "concern"]) == ("公园社区", "guardianship")
    assert pd.isna(own.loc[2, "village_name"]) and own.loc[2, "concern"] == "guardianship"
    assert briefing.build_briefing(db, P, NOW, BEFORE).new_overdue["concern"].isna().all()
    mine = briefing.build_briefing(db, A1, NOW, BEFORE).new_overdue.set_index("id")
    assert mine.loc[5, "village_name"] == "公园社区"
    c8 = df.set_index("id").loc[8]
    assert c8["county_name"] == "东湖区" and pd.isna(c8["township_name"])
    assert "王小明" not in df.to_string()
    assert list(briefing.new_overdue_cases(db, A, NOW, BEFORE)["id"]) == [8, 5, 2]
    # cut in SQL: the first of the same order
    for n in (1, 2, 3, 4, 10):
        cut = briefing.new_overdue_cases(db, P, NOW, BEFORE, limit=n)
        assert list(cut["id"]) == [8, 5, 2, 7][:n]
        assert list(cut["days_overdue"]) == [31, 21, 16, 11][:n]
    assert briefing.new_overdue_cases(db, P, NOW, BEFORE, limit=2).iloc[1]["child_name"] == "王*明"


def test_new_overdue_counts_by_hand(db):
    # 东湖区: c2, c5 (high), c8; 珠山区: c7
    counts = briefing.new_overdue_counts(db, P, NOW, BEFORE)
    assert counts[["code", "name", "cases", "high"]].values.tolist() == [
        [A1, "东湖区", 3, 1],
        [B2, "珠山区", 1, 0],
    ]
    only_a = briefing.new_overdue_counts(db, A, NOW, BEFORE)
    assert only_a[["code", "cases", "high"]].values.tolist() == [[A1, 3, 1]]
    none = briefing.new_overdue_counts(db, P, BEFORE, "2026-01")  # c1, c4 were overdue by D0
    assert int(none["cases"].sum()) == len(briefing.new_overdue_cases(db, P, BEFORE, "2026-01"))
    assert briefing_doc.overdue_summary(counts) == (
        "新增逾期个案 4 件（其中高风险 1 件），较多的是：东湖区 3 件、珠山区 1 件。"
    )
    assert briefing_doc.overdue_summary(counts.head(0)) == "对比期以来没有新增逾期个案。"


def test_bottom_counties_keep_ties_and_skip_nulls(db):
    # home coverage only: A1 .85 → 94.44, A2 .92 → 100, A3 .96 → 100, B2 .50 → 55.56, B1 —
    two = briefing.bottom_counties(db, P, NOW, BEFORE, n=2, settings=HOME_ONLY)
    assert list(two["code"]) == [B2, A1]
    assert list(two["score"]) == [pytest.approx(55.56), pytest.approx(94.44)]
    assert list(two["rank"]) == [4, 3] and set(two["n_ranked"]) == {4}
    assert two.iloc[0]["missed"] == ("home_coverage",)
    three = briefing.bottom_counties(db, P, NOW, BEFORE, n=3, settings=HOME_ONLY)
    assert list(three["code"]) == [B2, A1, A2, A3]  # A2 and A3 tie for the third-worst
    # before: A1 .95, A2 .80, A3 .95 → 100, 88.89, 100 (B2 no data): A1 rank 1 → 3
    assert three.set_index("code").loc[A1, "rank_change"] == -2


def test_build_briefing_and_its_document(db):
    b = briefing.build_briefing(db, P, NOW, BEFORE, settings=HOME_ONLY)
    assert (b.scope_name, b.period, b.base) == ("江西省", NOW, BEFORE)
    assert list(b.bottom["code"]) == [B2, A1, A2, A3]  # five asked, four have a score
    assert len(b.fell) == 2 and len(b.rose) == 2 and len(b.new_overdue) == 4
    assert b.n_new_overdue == 4
    assert list(b.movers["metric"].head(2)) == ["open_cases", "overdue_cases"]

    data = briefing_doc.briefing_docx(b, "2026-03-31", is_demo=True)
    doc = docx.Document(io.BytesIO(data))
    text = "\n".join(p.text for p in doc.paragraphs)
    assert doc.paragraphs[0].text == "江西省儿童关爱服务体系监测简报"
    assert "2026年3月（与2026年2月对比）" in text and "【演示数据】" in text
    assert "在办个案：由 0 件 增至 3 件（+3 件，变差）" in text
    assert "儿童之家覆盖率：由 80.0% 升至 85.0%（+5.0 个百分点，向好）" in text
    assert "跌破目标：2 个县次（2 个县）。" in text and "重新达标：2 个县次（2 个县）。" in text
    assert "儿童之家覆盖率（目标 ≥ 90.0%）：东湖区" in text
    assert "新增逾期个案 4 件（其中高风险 1 件），较多的是：东湖区 3 件、珠山区 1 件。" in text
    assert "王小明" not in text and "王*明" not in text  # no personal data in the handout
    table = doc.tables[0]
    assert [c.text for c in table.rows[0].cells][:4] == [
        "名次",
        "县（市、区）",
        "所属设区市",
        "综合得分",
    ]
    assert [c.text for c in table.rows[1].cells] == [
        "4/4",
        "珠山区",
        "景德镇市",
        "55.56",
        "—",
        "儿童之家覆盖率",
    ]
    assert len(table.rows) == 1 + 4
    # every run names a CJK font in the East Asian slot
    runs = [r for p in doc.paragraphs for r in p.runs]
    runs += [r for row in table.rows for c in row.cells for p in c.paragraphs for r in p.runs]
    assert runs and all(
        r._element.rPr.rFonts.get(qn("w:eastAsia")) in ("SimSun", "SimHei") for r in runs
    )
    section = doc.sections[0]
    assert round(section.page_width.cm, 1) == 21.0 and round(section.page_height.cm, 1) == 29.7
    assert estimated_height_pt(doc) < usable_height_pt(doc)


def usable_height_pt(doc) -> float:
    s = doc.sections[0]
    return Length(s.page_height - s.top_margin - s.bottom_margin).pt


def estimated_height_pt(doc) -> float:
    """A generous estimate of the laid-out height: every character one em wide (CJK), lines
    at 1.3 × the font size plus the paragraph spacing; table rows at two lines each."""
    s = doc.sections[0]
    width = Length(s.page_width - s.left_margin - s.right_margin).pt
    total = 0.0
    for p in doc.paragraphs:
        size = max((r.font.size.pt for r in p.runs if r.font.size), default=10.5)
        per_line = max(int(width // size), 1)
        lines = max(math.ceil(len(p.text) / per_line), 1)
        fmt = p.paragraph_format
        total += lines * size * 1.3 + (fmt.space_after.pt if fmt.space_after else 0)
        total += fmt.space_before.pt if fmt.space_before else 0
    for t in doc.tables:
        total += len(t.rows) * 2 * 9.5 * 1.3
    return total


def test_crossing_headline_counts_counties_beside_county_times():
    """A county that crosses on two metrics is two 县次 but one county."""
    frame = pd.DataFrame({"code": [A1, A1, A2], "metric": ["home_coverage", "trained_12m", "x"]})
    assert briefing_doc.crossing_headline(frame, "跌破目标") == "跌破目标：3 个县次（2 个县）"
    assert briefing_doc.crossing_headline(frame.iloc[:0], "重新达标") == "重新达标：无"


def test_document_stays_on_one_page_with_long_lists(db):
    """Many crossings and new cases: the lists are cut, the page does not overflow."""
    many = pd.DataFrame(
        [
            {
                "code": f"36{i:04d}",
                "name": f"很长很长名字的县{i}",
                "parent_name": "某市",
                "metric": m,
                "label": m,
                "base_value": 1.0,
                "value": 0.0,
                "target": 0.9,
                "direction": d,
            }
            for i in range(40)
            for m in (
                "home_coverage",
                "visit_rate_90d",
                "trained_12m",
                "certified_rate",
                "director_coverage",
            )
            for d in ("fell", "rose")
        ]
    )
    b = briefing.build_briefing(db, P, NOW, BEFORE)
    big = briefing.Briefing(**{**b.__dict__, "crossings": many})
    doc = docx.Document(io.BytesIO(briefing_doc.briefing_docx(big, "2026-03-31")))
    assert estimated_height_pt(doc) < usable_height_pt(doc)
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "跌破目标：200 个县次（40 个县）。" in text and "等 40 个" in text and "另有" in text


# ---------------------------------------------------------------- the page (AppTest)


def test_briefing_page(apptest_env, tmp_path_factory):
    from tests.apptest import run_app

    url = tiny_sqlite_url(tmp_path_factory, "briefing_page")
    at = run_app(url, page="pages/briefing.py")
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert [t.value for t in at.title] == ["会议简报"]
    assert [s.value for s in at.subheader] == [
        "一、变化最大的指标",
        "二、达标情况变化",
        "三、新增逾期个案",
        "四、综合得分后五位的县（市、区）",
        "五、督办事项",
    ]
    period = at.selectbox(key="briefing_period").value
    base = at.selectbox(key="briefing_base").value
    assert base < period
    buttons = at.get("download_button")
    assert any("下载简报" in b.proto.label for b in buttons)
    older = at.selectbox(key="briefing_base").options[-1]
    at.selectbox(key="briefing_base").set_value(
        next(v for v in at.selectbox(key="briefing_base").options if v == older)
    ).run()
    assert not at.exception and not at.error


def test_briefing_page_lists_the_most_overdue_and_counts_all(
    apptest_env, tmp_path_factory, monkeypatch
):
    """At province scale the new overdue cases run to thousands: the page lists the most
    overdue (NEW_OVERDUE_LISTED) and says how many there are in all."""
    from data.db import make_engine
    from tests.apptest import run_app

    url = tiny_sqlite_url(tmp_path_factory, "briefing_overdue")
    engine = make_engine(url)
    periods = indicators.periods(engine, "360000")
    with engine.begin() as conn:  # three more cases of 宁都县 that fell overdue this month
        conn.execute(
            insert(cases),
            [_case(900_000 + i, "360730", "2026-10-01", f"2026-10-{5 + i:02d}") for i in range(3)],
        )
    full = briefing.new_overdue_cases(engine, "360000", periods[0], periods[1])
    engine.dispose()
    assert periods[0] == "2026-10" and len(full) > 2
    monkeypatch.setattr(briefing, "NEW_OVERDUE_LISTED", 2)
    at = run_app(url, page="pages/briefing.py")
    assert not at.exception and not at.error
    assert at.selectbox(key="briefing_period").value == periods[0]
    assert at.selectbox(key="briefing_base").value == periods[1]
    listed = next(d.value for d in at.dataframe if "逾期天数" in d.value.columns)
    assert list(listed["个案编号"]) == list(full["id"][:2])
    text = " ".join(c.value for c in at.caption) + " ".join(m.value for m in at.markdown)
    assert f"列出逾期天数最多的 2 件（共 {len(full):,} 件" in text
    assert f"新增逾期个案 {len(full):,} 件" in text
