"""What the 县区详情 page's parts share (pages/county.py, the county and prefecture views, the
lists of records): the region shown with its level and layout, and how a list is drawn —
interactive and downloadable on screen, a static table in the print layout.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd
import streamlit as st

from components import views
from components.format import DASH, is_null
from components.views import Col


@dataclass(frozen=True)
class Detail:
    """The region a 县区详情 page shows (a county or a prefecture) in the user's scope and
    period, and whether it is laid out for print."""

    url: str
    scope: str
    period: str
    code: str
    name: str
    level: str  # county, prefecture
    print_mode: bool


def static_table(df: pd.DataFrame, cols: Sequence[Col], *, empty: str) -> None:
    """A list as a static table (an interactive table prints only the rows in view)."""
    shown = views.display_frame(df, cols)
    if shown.empty:
        st.success(empty, icon=":material/check_circle:")
        return
    for c in cols:
        if c.percent:
            shown[c.header] = [DASH if is_null(v) else f"{v:.1f}%" for v in shown[c.header]]
    st.table(shown.astype(object).where(shown.notna(), DASH))


def show_table(
    d: Detail, df: pd.DataFrame, cols: Sequence[Col], *, title: str, key: str, empty: str
) -> None:
    """A list as an interactive, downloadable table; in the print layout a static one."""
    if d.print_mode:
        static_table(df, cols, empty=empty)
        return
    views.show_list(df, cols, title=title, scope_name=d.name, period=d.period, key=key, empty=empty)
