"""Offline maps of any indicator: a plotly choropleth by prefecture or county, and a pydeck
3-D view of the counties. Callers import `components.maps`, the one entry point; the code lives
by concern in three modules:

- `classification`: the legend classes both maps colour by (达标 / 接近目标 / 未达标 against a
  target, else quantile or natural-breaks classes on one hue, and 无数据).
- `plotly_map`: the choropleth figure, its hover, click selection, table twin and payload size.
- `pydeck_map`: the 3-D view (extruded counties, no base map).

Offline by construction (DESIGN.md §8): neither map fetches a base map or a tile; each module
says how.
"""

from components.maps.classification import (
    NEAR_BAND,
    NO_DATA_COLOR,
    SEQUENTIAL_COLORS,
    STATUS_COLORS,
    Classification,
    LegendClass,
    classify,
    format_value,
    natural_breaks,
)
from components.maps.plotly_map import (
    TOPOJSON_FILE,
    choropleth,
    discrete_colorscale,
    figure_payload_bytes,
    figure_table,
    figure_values,
    plotly_config,
    selected_location,
    show_choropleth,
)
from components.maps.pydeck_map import CompactDeck, deck_3d

__all__ = [
    "NEAR_BAND",
    "NO_DATA_COLOR",
    "SEQUENTIAL_COLORS",
    "STATUS_COLORS",
    "TOPOJSON_FILE",
    "Classification",
    "CompactDeck",
    "LegendClass",
    "choropleth",
    "classify",
    "deck_3d",
    "discrete_colorscale",
    "figure_payload_bytes",
    "figure_table",
    "figure_values",
    "format_value",
    "natural_breaks",
    "plotly_config",
    "selected_location",
    "show_choropleth",
]
