"""Every overview table downloads as Excel with the headers and figures it shows."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from components.tables import excel_frame, for_display, number_column
from core.metrics import BY_CODE
from tests.apptest import run_app


def test_excel_frame_uses_the_shown_headers_and_figures():
    df = pd.DataFrame(
        {
            "name": ["南昌市", "赣州市"],
            "parent_name": ["江西省"] * 2,
            "home_coverage": [0.923, None],
        }
    )
    shown = for_display(df, ["home_coverage"])
    config = {
        "name": st.column_config.TextColumn("设区市"),
        "home_coverage": number_column(BY_CODE["home_coverage"]),
    }
    out = excel_frame(shown, config, ["name", "home_coverage", "missing"])
    # the shown header, plus the unit a spreadsheet cell cannot show (rates: %)
    assert list(out.columns) == ["设区市", config["home_coverage"]["label"] + "（%）"]
    assert out.columns[1] == "儿童之家覆盖率（%）"
    assert out.iloc[0, 1] == shown.iloc[0]["home_coverage"]  # the same figure as on screen
    assert pd.isna(out.iloc[1, 1])


def test_overview_tables_offer_excel(tmp_path, apptest_env):
    from data.db import make_engine
    from data.demo import build_demo

    url = f"sqlite:///{tmp_path / 'tiny.db'}"
    build_demo(make_engine(url), "tiny", progress=lambda *a, **k: None)
    at = run_app(url)
    assert not at.exception
    labels = [b.proto.label for b in at.get("download_button")]
    # ranking, two trends, prefecture and county tables
    assert len(labels) >= 5, labels
