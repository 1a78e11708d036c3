"""The pydeck 3-D view of the counties: extruded by a count, coloured by a rate's legend classes
(components/maps/classification.py).

Offline by construction (DESIGN.md §8): no base map, `map_provider=None` with `map_style` left
at pydeck's default (`map_style=None` makes Streamlit substitute a Carto style, fetched from the
internet).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

import pandas as pd
import pydeck as pdk

from components import geo
from components.format import is_null
from components.maps.classification import classify, format_value
from core.metrics import BY_CODE


class CompactDeck(pdk.Deck):
    """A pydeck Deck whose JSON (what `st.pydeck_chart` sends) has no indentation: pydeck
    indents by 2, which makes the county GeoJSON about five times larger."""

    def to_json(self) -> str:
        return json.dumps(json.loads(super().to_json()), ensure_ascii=False, separators=(",", ":"))


def _rgba(color: str, alpha: int = 220) -> list[int]:
    color = color.lstrip("#")
    return [int(color[i : i + 2], 16) for i in (0, 2, 4)] + [alpha]


def _view_state(fc: Mapping[str, Any], pitch: float) -> pdk.ViewState:
    """Centre and zoom that fit the features (Web Mercator, for a ~700 px wide view)."""
    lons: list[float] = []
    lats: list[float] = []

    def walk(coords: Any) -> None:
        if isinstance(coords[0], int | float):
            lons.append(coords[0])
            lats.append(coords[1])
        else:
            for c in coords:
                walk(c)

    for feature in fc["features"]:
        walk(feature["geometry"]["coordinates"])
    span = max(max(lons) - min(lons), (max(lats) - min(lats)) * 1.3, 1e-3)
    zoom = math.log2(700 * 360 / (512 * span)) - 0.3
    return pdk.ViewState(
        longitude=(max(lons) + min(lons)) / 2,
        latitude=(max(lats) + min(lats)) / 2 - span * 0.08,
        zoom=round(zoom, 2),
        pitch=pitch,
        bearing=0,
    )


def deck_3d(
    values: pd.DataFrame,
    province_code: str | None,
    height_metric: str,
    colour_metric: str,
    *,
    within: str | None = None,
    max_height_m: float = 60000.0,
    pitch: float = 45.0,
    params: geo.Simplification = geo.DEFAULT_SIMPLIFICATION,
) -> pdk.Deck:
    """Counties extruded by a count metric and coloured by a rate's classes, with no base map
    (`map_provider=None`: nothing is fetched) and Chinese tooltips.

    `values` has a `code` column and one column per metric code (`height_metric`,
    `colour_metric`). Heights scale linearly so the largest county is `max_height_m` high.
    """
    hm, cm = BY_CODE[height_metric], BY_CODE[colour_metric]
    fc = geo.feature_collection(province_code, "county", within=within, params=params)
    frame = values.copy()
    frame["code"] = frame["code"].astype(str)
    frame = frame.drop_duplicates("code").set_index("code")
    codes = [f["id"] for f in fc["features"]]
    heights = frame[height_metric].reindex(codes) if height_metric in frame else None
    colours = frame[colour_metric].reindex(codes) if colour_metric in frame else None
    height_values = [None if heights is None else heights.get(c) for c in codes]
    colour_values = [None if colours is None else colours.get(c) for c in codes]
    cls = classify(colour_values, cm)
    top = max((float(v) for v in height_values if not is_null(v)), default=0.0)
    for i, feature in enumerate(fc["features"]):
        h, c = height_values[i], colour_values[i]
        legend_class = cls.classes[cls.index[i]]
        feature["properties"].update(
            {
                "elevation": 0.0 if is_null(h) or top <= 0 else float(h) / top * max_height_m,
                "fill": _rgba(legend_class.color),
                "height_text": format_value(hm, h),
                "colour_text": format_value(cm, c),
                "status": legend_class.status_text,
            }
        )
    layer = pdk.Layer(
        "GeoJsonLayer",
        fc,
        id="counties-3d",
        stroked=True,
        filled=True,
        extruded=True,
        wireframe=False,
        line_width_min_pixels=1,
        get_elevation="properties.elevation",
        get_fill_color="properties.fill",
        get_line_color=[255, 255, 255, 255],
        pickable=True,
        auto_highlight=True,
    )
    tooltip = {
        "html": (
            "<b>{name}</b><br/>"
            f"{hm.label}：{{height_text}}<br/>{cm.label}：{{colour_text}}<br/>{{status}}"
        ),
        "style": {"backgroundColor": "#333333", "color": "#FFFFFF", "fontSize": "13px"},
    }
    return CompactDeck(
        layers=[layer],
        initial_view_state=_view_state(fc, pitch),
        # No base map. Leave map_style at pydeck's default sentinel: with map_style=None
        # Streamlit substitutes a Carto style and the browser fetches it from the internet.
        map_provider=None,
        tooltip=tooltip,
    )
