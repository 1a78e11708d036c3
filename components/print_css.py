"""A print stylesheet (DESIGN.md §9: every view prints cleanly to A4).

`inject()` adds it to the current page: on paper the sidebar, the header bar, the toolbar
and the interactive widgets disappear, the main column takes the full A4 width, and charts,
tables and cards are kept whole on one page rather than cut across a page break. On screen
it changes nothing. Call it once per page run (pages may call it; app.py could call it for
every page). Signed in, every printed page also carries the user's watermark
(components/watermark.py): the same text as on screen, tiled over the page, a little darker
for paper; none when the watermark is switched off.
"""

from __future__ import annotations

import streamlit as st

from components import watermark
from data.config import database_url

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


def stylesheet(mark: str | None = None) -> str:
    """The print stylesheet, with the watermark `mark` on every page when given."""
    return PRINT_CSS + (watermark.print_rules(mark) if mark else "")


def inject() -> None:
    """Add the print stylesheet to this page, watermarked for the signed-in user."""
    st.html(f"<style>{stylesheet(watermark.current_text(database_url()))}</style>")
