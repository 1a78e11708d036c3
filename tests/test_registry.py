"""The metric registry (core/registry.py) is the one place a metric is defined.

- Every record carries what its consumers need (cards, tables, maps, gaps, the engine), so
  adding a metric without, say, a definition or SQL fails here, not on a page.
- Changing a metric's window, label or target is one edit in the registry: a fresh
  interpreter edits only `core.registry.REGISTRY` before the app is imported, and the
  rollup, the independent pandas check, cards, the workbook header and alerts follow.
"""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from sqlalchemy import select

from core.metrics import BY_CODE, KINDS, METRICS
from core.registry import DEFAULT_ALERT_WEIGHTS, DEFAULT_COMPOSITE_WEIGHTS, REGISTRY
from core.settings import load_settings
from data.schema import regions
from metric_engine import BUILDERS, FAMILIES, descendant_units, family_select, periods_select
from metric_engine.periods import month_periods

REPO = Path(__file__).resolve().parent.parent


def test_every_record_has_what_its_consumers_need():
    codes = [m.code for m in REGISTRY]
    assert len(codes) == len(set(codes))
    for m in REGISTRY:
        assert m.kind in KINDS, m.code
        assert m.label and m.definition and m.unit, m.code  # cards, ⓘ help, headers
        assert m.family in BUILDERS, m.code  # the engine computes it
        assert m.scale > 0, m.code
        if m.kind in ("rate", "mean"):
            assert m.denominator_noun, m.code  # "why is this —" names the denominator
        if m.target is not None:
            assert m.gap_unit, m.code  # a missed target reads as a gap in units
            assert m.kind in ("rate", "count"), m.code  # gap_count counts only these
        if m.window_days is not None:
            assert m.window_days > 0, m.code
        if m.alert_weight is not None:
            assert m.target is not None and m.alert_weight > 0, m.code  # 预警 needs a target
        if m.composite_weight is not None:
            assert m.composite_weight > 0 and m.kind in ("rate", "count"), m.code


def test_the_shipped_settings_file_states_the_registry_defaults():
    """settings.toml documents the defaults for a deployment to edit: its weights are the
    registry's (a weight changed in one place only would make the file lie)."""
    shipped = load_settings(REPO / "settings.toml")
    assert dict(shipped.alert_weights) == DEFAULT_ALERT_WEIGHTS
    assert dict(shipped.composite_weights) == DEFAULT_COMPOSITE_WEIGHTS
    assert DEFAULT_ALERT_WEIGHTS["visit_rate_90d"] == 2.0  # the policy's first duties
    assert DEFAULT_COMPOSITE_WEIGHTS["care_coverage"] == 1.0  # ranked, not alerted
    assert "care_coverage" not in DEFAULT_ALERT_WEIGHTS


def test_every_family_computes_exactly_its_metrics():
    """Each family's wide SELECT has a numerator and denominator column for each metric whose
    record names the family, so a metric added to the registry without SQL fails here."""
    counties = select(regions.c.code).where(regions.c.level == "county")
    units = descendant_units(counties, "registry_units")
    periods = periods_select(month_periods("2026-01", "2026-01")).subquery("ps")
    for fam, (_builder, metrics) in FAMILIES.items():
        cols = set(family_select(fam, units, periods).selected_columns.keys())
        want = {f"{m}__{s}" for m in metrics for s in ("n", "d")}
        assert want <= cols, (fam, sorted(want - cols))
    assert sorted(m for _b, ms in FAMILIES.values() for m in ms) == sorted(BY_CODE)
    assert [m.code for m in METRICS] == [m.code for m in REGISTRY]  # registry order


EDITED = r"""
import json, sys
from dataclasses import replace
import core.registry as r
edits = json.loads(sys.argv[1])
r.REGISTRY = tuple(replace(m, **edits.get(m.code, {})) for m in r.REGISTRY)
r.DEFAULT_TARGETS = {m.code: m.target for m in r.REGISTRY if m.target is not None}

from data.db import make_engine, upgrade
from data.rollup import refresh
from tests.test_metrics import A, A1, A2, B2, P, load_fixture, snapshots
from queries import alerts, indicators
from components.workbook import metric_header
from core.metrics import BY_CODE
from bench import naive

engine = make_engine(sys.argv[2])
upgrade(engine)
load_fixture(engine)
refresh(engine)
got = snapshots(engine)
visits = {c: got[(c, "2026-03", "visit_rate_90d")][:2] for c in (P, A, A1, A2, B2)}
check = naive.overview(engine, "2026-03").values
cards = indicators.kpis(engine, P, "2026-03").set_index("metric")
alert = alerts.metric_alerts(engine, P, "2026-03", levels=("county",))
print(json.dumps({
    "visits": visits,
    "naive_visits": {c: check.at[c, "visit_rate_90d"] for c in (P, A1)},
    "label": cards.at["home_coverage", "label"],
    "header": metric_header(BY_CODE["home_coverage"]),
    "target": cards.at["home_coverage", "target"],
    "status": cards.at["home_coverage", "status"],
    "gap": cards.at["home_coverage", "gap"],
    "alert_labels": sorted(set(alert.loc[alert["metric"] == "home_coverage", "label"])),
    "alert_codes": sorted(alert.loc[alert["metric"] == "home_coverage", "code"]),
}))
"""


def run_edited(tmp_path: Path, edits: dict) -> dict:
    """The app imported fresh after `edits` to the registry's records, on the hand-worked
    province of test_metrics.py (SQLite); an empty settings file, so the registry's targets
    are the ones in force."""
    settings = tmp_path / "settings.toml"
    settings.write_text("", encoding="utf-8")
    url = f"sqlite:///{tmp_path / f'edited_{uuid.uuid4().hex[:8]}.db'}"
    env = {"DASHBOARD_SETTINGS": str(settings), "PATH": "/usr/bin:/bin"}
    out = subprocess.run(
        [sys.executable, "-c", EDITED, json.dumps(edits), url],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


# Hand-worked on test_metrics.py's records, D = 2026-03-31: active children A1 C1, C3, C4;
# A2 C6; B2 C7. Visits: C1 01-01, C3 03-31 (on D), C4 12-31, C6 02-10 and 02-20, C7 11-01.
#   60 days (after 01-30): C3; C6; none of B2         → A1 1/3, A2 1/1, B2 0/1, P 2/5
#   90 days (after 12-31): C1, C3; C6                 → A1 2/3, A2 1/1, B2 0/1, P 3/5
#  120 days (after 12-01): C1, C3, C4; C6             → A1 3/3, A2 1/1, B2 0/1, P 4/5
WINDOWS = {
    60: {"A1": (1, 3), "A2": (1, 1), "B2": (0, 1), "P": (2, 5)},
    90: {"A1": (2, 3), "A2": (1, 1), "B2": (0, 1), "P": (3, 5)},
    120: {"A1": (3, 3), "A2": (1, 1), "B2": (0, 1), "P": (4, 5)},
}


@pytest.mark.parametrize("days", sorted(WINDOWS))
def test_changing_a_window_is_one_edit(tmp_path, days):
    from tests.test_metrics import A1, A2, B2, P

    got = run_edited(tmp_path, {"visit_rate_90d": {"window_days": days}})
    codes = {"A1": A1, "A2": A2, "B2": B2, "P": P}
    for name, (num, den) in WINDOWS[days].items():
        assert tuple(got["visits"][codes[name]]) == (num, den), (days, name)
    p_num, p_den = WINDOWS[days]["P"]
    assert got["naive_visits"][P] == pytest.approx(p_num / p_den)  # the independent check
    assert got["naive_visits"][A1] == pytest.approx(WINDOWS[days]["A1"][0] / 3)


def test_changing_a_label_and_a_target_is_one_edit(tmp_path):
    from tests.test_metrics import A1, A2, B2

    got = run_edited(tmp_path, {"home_coverage": {"label": "儿童之家覆盖比例", "target": 0.5}})
    assert got["label"] == "儿童之家覆盖比例"
    assert got["header"] == "儿童之家覆盖比例（%）"
    # at 50% P 4/5 and A1 2/3 meet it (at 90% both miss); B1 has no villages (no value)
    assert got["target"] == 0.5 and got["status"] == "met" and got["gap"] == 0
    assert got["alert_codes"] == [] and got["alert_labels"] == []
    strict = run_edited(tmp_path, {"home_coverage": {"target": 0.95}})
    # at 95%: A1 2/3 (gap ⌈.95 × 3 − 2⌉ = 1) misses; A2 1/1, B2 1/1 meet
    assert strict["alert_codes"] == [A1] and strict["gap"] == 1  # P 4/5: ⌈4.75 − 4⌉ = 1
    assert A2 not in strict["alert_codes"] and B2 not in strict["alert_codes"]
