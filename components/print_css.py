"""A print stylesheet (DESIGN.md §9: every view prints cleanly to A4).

`inject()` adds it to the current page: on paper the sidebar, the header bar, the toolbar
and the interactive widgets disappear, the main column takes the full A4 width, and charts,
tables and cards are kept whole on one page rather than cut across a page break. On screen
it changes nothing. Call it once per page run (pages may call it; app.py could call it for
every page).
"""

from __future__ import annotations

import streamlit as st

PRINT_CSS = """
@media print {
  @page { size: A4 portrait; margin: 12mm 10mm; }
  html, body, .stApp, [data-testid="stAppViewContainer"], [data-testid="stMain"] {
    background: #fff !important; color: #000 !important;
    height: auto !important; overflow: visible !important;
  }
  [data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"],
  [data-testid="stHeader"], [data-testid="stToolbar"], [data-testid="stDecoration"],
  [data-testid="stStatusWidget"], [data-testid="stBottom"],
  .stButton, .stDownloadButton, [data-testid="stBaseButton-secondary"],
  [data-testid="stPageLink"], [data-testid="stElementToolbar"],
  .stSelectbox, .stMultiSelect, .stRadio, .stCheckbox, .stToggle, .stSlider,
  .stTextInput, .stNumberInput, .stDateInput, .no-print {
    display: none !important;
  }
  [data-testid="stMain"], [data-testid="stMainBlockContainer"], .block-container {
    margin: 0 !important; padding: 0 !important; max-width: 100% !important; width: 100% !important;
  }
  .stPlotlyChart, .stDataFrame, .stTable, [data-testid="stMetric"], .stAlert,
  [data-testid="stVerticalBlockBorderWrapper"], table, figure, img, svg, .deck-slide {
    break-inside: avoid; page-break-inside: avoid;
  }
  h1, h2, h3 { break-after: avoid; page-break-after: avoid; }
  [data-testid="stHorizontalBlock"] { flex-wrap: wrap !important; }
  a { color: #000 !important; text-decoration: none !important; }
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
"""


def inject() -> None:
    """Add the print stylesheet to this page."""
    st.html(f"<style>{PRINT_CSS}</style>")
