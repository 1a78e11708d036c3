"""The plotly choropleth of any indicator by prefecture or county, its click selection, its
table twin, and the size of what it sends to the browser.

Offline by construction (DESIGN.md §8): a plotly `geo` trace on the boundaries of
`components.geo` with every base layer hidden. Plotly still fetches a base topojson for a trace
with a `locationmode`; the app serves an empty Topology as a Streamlit static file
(`static/world_110m.json`, needs `server.enableStaticServing`) and `plotly_config()` points
plotly at it.

One choropleth trace carries the GeoJSON once: its colours come from class indices
(components/maps/classification.py) on a stepped (discrete) colour scale, and the legend
entries are tiny traces without geometry.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio

from components import geo
from components.format import is_null
from components.maps.classification import NEAR_BAND, classify, format_value
from core.metrics import BY_CODE

BORDER_COLOR = "#FFFFFF"
HIGHLIGHT_COLOR = "#000000"
TOPOJSON_FILE = "world_110m.json"  # what plotly asks for with scope "world", resolution 110
LEVEL_LABELS = {"province": "全省", "prefecture": "设区市", "county": "县（市、区）"}


def discrete_colorscale(colors: Sequence[str]) -> list[list]:
    """A stepped plotly colour scale: integer z = i takes colors[i] exactly (with
    zmin = -0.5 and zmax = len(colors) - 0.5)."""
    n = len(colors)
    scale: list[list] = []
    for i, color in enumerate(colors):
        scale.append([i / n, color])
        scale.append([(i + 1) / n, color])
    return scale


def plotly_config(base_url_path: str = "") -> dict[str, Any]:
    """The `config` for `st.plotly_chart`: base topojson from the app's own static files (so
    plotly never reaches its CDN), no mode bar (its tooltips are English), no plotly logo.
    `base_url_path` is Streamlit's `server.baseUrlPath` when the app is not served at /."""
    prefix = "/" + base_url_path.strip("/") if base_url_path.strip("/") else ""
    return {
        "topojsonURL": f"{prefix}/app/static/",
        "displayModeBar": False,
        "displaylogo": False,
        "scrollZoom": True,
        "doubleClick": "reset",
    }


def _prepare_values(values: pd.DataFrame, codes: Sequence[str]) -> pd.DataFrame:
    """The values aligned to the map's features (one row per feature, in feature order);
    rows for regions not on this map are dropped, missing regions get a null value."""
    required = {"code", "value"}
    if not required <= set(values.columns):
        raise ValueError(f"values needs columns {sorted(required)}, got {list(values.columns)}")
    frame = values.copy()
    frame["code"] = frame["code"].astype(str)
    if frame["code"].duplicated().any():
        dups = sorted(frame.loc[frame["code"].duplicated(), "code"].unique())
        raise ValueError(f"duplicate region codes in map values: {dups}")
    frame = frame.set_index("code")
    aligned = pd.DataFrame(index=pd.Index(list(codes), name="code"))
    for column in ("value", "numerator", "denominator"):
        if column in frame.columns:
            aligned[column] = frame[column].reindex(aligned.index).astype(object)
    aligned = aligned.where(aligned.notna(), None)
    return aligned.reset_index()


def choropleth(
    values: pd.DataFrame,
    level: str,
    metric: str,
    province_code: str | None = None,
    show_labels: bool = False,
    *,
    within: str | None = None,
    highlight: str | None = None,
    scheme: str = "auto",
    near_band: float = NEAR_BAND,
    classes: int = 5,
    height: int = 520,
    params: geo.Simplification = geo.DEFAULT_SIMPLIFICATION,
) -> go.Figure:
    """A map of one metric by prefecture or county, with no base map (offline).

    `values` has columns code, value (and optionally numerator, denominator; name is not
    needed, region names come from the boundaries). `within` (a prefecture code) draws only
    its counties; `highlight` outlines one region (the county in view). Regions without a row
    or with a null value are drawn grey as 无数据. Show with `st.plotly_chart(fig,
    config=plotly_config(), on_select="rerun", selection_mode="points")`: a click returns the
    region's code as the point's `location`.
    """
    m = BY_CODE[metric]
    fc = geo.feature_collection(province_code, level, within=within, params=params)
    features = fc["features"]
    codes = [f["id"] for f in features]
    names = [f["properties"]["name"] for f in features]
    data = _prepare_values(values, codes)
    cls = classify(data["value"], m, scheme=scheme, near_band=near_band, k=classes)
    colors = [c.color for c in cls.classes]

    has_fraction = {"numerator", "denominator"} <= set(data.columns) and m.kind == "rate"
    customdata = []
    for i, row in data.iterrows():
        raw = row["value"]
        status = cls.classes[cls.index[i]].status_text
        detail = ""
        if has_fraction and not is_null(row["denominator"]):
            detail = f"<br>{_plain(row['numerator'])} / {_plain(row['denominator'])}"
        customdata.append(
            [names[i], format_value(m, raw), status, detail, None if is_null(raw) else raw]
        )

    border_width = [2.5 if c == highlight else 0.6 for c in codes]
    border_color = [HIGHLIGHT_COLOR if c == highlight else BORDER_COLOR for c in codes]
    fig = go.Figure()
    fig.add_trace(
        go.Choropleth(
            geojson=fc,
            featureidkey="id",
            locations=codes,
            z=cls.index,
            zmin=-0.5,
            zmax=len(colors) - 0.5,
            colorscale=discrete_colorscale(colors),
            showscale=False,
            marker={"line": {"color": border_color, "width": border_width}},
            customdata=customdata,
            hovertemplate=(
                "<b>%{customdata[0]}</b><br>"
                + m.label
                + "：%{customdata[1]}%{customdata[3]}<br>%{customdata[2]}<extra></extra>"
            ),
            name=m.label,
            showlegend=False,
            unselected={"marker": {"opacity": 0.55}},
        )
    )
    if show_labels:
        points = geo.label_points(province_code, params=params)
        fig.add_trace(
            go.Scattergeo(
                lon=[points[c][0] for c in codes],
                lat=[points[c][1] for c in codes],
                text=[row[1] for row in customdata],
                mode="text",
                textfont={"size": 10 if level == "county" and within is None else 12},
                hoverinfo="skip",
                showlegend=False,
                name="数值",
            )
        )
    present = set(cls.index)
    for i, legend_class in enumerate(cls.classes):
        if legend_class.status == "no_data" and i not in present:
            continue  # 无数据 only when some region has none
        fig.add_trace(
            go.Scattergeo(
                lon=[None],
                lat=[None],
                mode="markers",
                marker={"symbol": "square", "size": 12, "color": legend_class.color},
                name=legend_class.label,
                hoverinfo="skip",
                showlegend=True,
            )
        )
    fig.update_layout(
        height=height,
        margin={"l": 0, "r": 0, "t": 0, "b": 0},
        dragmode=False,
        clickmode="event+select",
        # Below the map, never over it (laid over its lower left, it hid 赣州's south when
        # the map filled a narrow column): plotly widens the bottom margin to fit it.
        legend={
            "title": {"text": f"{m.label}（{LEVEL_LABELS[level]}）", "side": "top"},
            "orientation": "h",
            "itemclick": False,
            "itemdoubleclick": False,
            "x": 0.0,
            "y": 0.0,
            "xanchor": "left",
            "yanchor": "top",
        },
        geo={
            "visible": False,
            "fitbounds": "locations",
            "projection": {"type": "mercator"},
            "resolution": 110,
            "scope": "world",
            "bgcolor": "rgba(0,0,0,0)",
        },
        paper_bgcolor="rgba(0,0,0,0)",
        hoverlabel={"align": "left"},
    )
    return fig


def _plain(value: Any) -> str:
    """A numerator or denominator: an integer with thousands separators when it is whole."""
    if is_null(value):
        return "—"
    v = float(value)
    return f"{round(v):,}" if v == round(v) else f"{v:,.2f}"


def figure_payload_bytes(fig: go.Figure) -> int:
    """Bytes of the figure as Streamlit sends it to the browser (`plotly.io.to_json`)."""
    return len(pio.to_json(fig, validate=False).encode("utf-8"))


def figure_values(fig: go.Figure) -> dict[str, Any]:
    """code → the raw value the choropleth carries (None for no data): lets tests and the
    table twin check that the map shows exactly the query's figures."""
    trace = fig.data[0]
    return {code: row[4] for code, row in zip(trace.locations, trace.customdata, strict=True)}


def selected_location(event: Mapping[str, Any] | None) -> str | None:
    """The region code of a click from `st.plotly_chart(..., on_select="rerun")`'s return
    value (`event.selection.points[i].location`), or None."""
    if not event:
        return None
    selection = event.get("selection") if isinstance(event, Mapping) else None
    selection = selection if selection is not None else getattr(event, "selection", None)
    if not selection:
        return None
    points = selection.get("points") if isinstance(selection, Mapping) else None
    for point in points or []:
        location = point.get("location") if isinstance(point, Mapping) else None
        if location:
            return str(location)
    return None


def figure_table(fig: go.Figure, metric: str) -> pd.DataFrame:
    """The map's table twin: the same regions and figures as the choropleth, sortable by the
    numeric value (地区, 数值, 显示值, 分级), so table and map can never disagree."""
    trace = fig.data[0]
    legend_names = {c: t.name for c, t in _legend_colors(fig).items()}
    colors = [step[1] for step in trace.colorscale[::2]]
    rows = []
    for code, z, row in zip(trace.locations, trace.z, trace.customdata, strict=True):
        rows.append(
            {
                "代码": code,
                "地区": row[0],
                BY_CODE[metric].label: row[4],
                "显示值": row[1],
                "分级": legend_names.get(colors[int(z)], ""),
            }
        )
    return pd.DataFrame(rows)


def _legend_colors(fig: go.Figure) -> dict[str, Any]:
    return {t.marker.color: t for t in fig.data[1:] if t.showlegend}


def show_choropleth(st: Any, fig: go.Figure, key: str) -> str | None:
    """Draw a choropleth with click selection and return the clicked region's code (or None).
    Takes the `streamlit` module so this file stays importable and testable without it."""
    base = st.get_option("server.baseUrlPath") or ""
    event = st.plotly_chart(
        fig,
        config=plotly_config(base),
        on_select="rerun",
        selection_mode="points",
        key=key,
    )
    return selected_location(event)
