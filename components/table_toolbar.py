"""The table toolbar without its English-only buttons.

Streamlit's dataframe toolbar offers "Download as CSV" and "Show/hide columns", labelled in
English only (issue 18.2). Every table here has its own 下载 Excel button (masked, watermarked,
audited, which a CSV straight from the browser is not), so the CSV button is hidden, and the
column chooser with it; search and full screen stay (icons a user recognises). The selectors
are the buttons' aria-labels, which Streamlit does not translate.
"""

from __future__ import annotations

import streamlit as st

HIDDEN_BUTTONS = ("Download as CSV", "Show/hide columns")

STYLESHEET = (
    "<style>"
    + "".join(
        f'[data-testid="stElementToolbarButton"]:has(button[aria-label="{label}"])'
        " { display: none; }"
        for label in HIDDEN_BUTTONS
    )
    + "</style>"
)


def inject() -> None:
    """Hide the English-only toolbar buttons on this page's tables."""
    st.html(STYLESHEET)
