"""Offline maps of any indicator: a plotly choropleth by prefecture or county, and a pydeck
3-D view of the counties.

Offline by construction (DESIGN.md §8):
- The choropleth is a plotly `geo` trace on the boundaries of `components.geo` with every base
  layer hidden. Plotly still fetches a base topojson for a trace with a `locationmode`; the
  app serves an empty Topology as a Streamlit static file (`static/world_110m.json`, needs
  `server.enableStaticServing`) and `plotly_config()` points plotly at it.
- The 3-D view has no base map: `map_provider=None` with `map_style` left at pydeck's default
  (`map_style=None` makes Streamlit substitute a Carto style, fetched from the internet).

One choropleth trace carries the GeoJSON once: its colours come from class indices on a
stepped (discrete) colour scale, and the legend entries are tiny traces without geometry.
Colour carries status only for metrics with a target (three colour-blind-safe colours, always
with the words 达标 / 接近目标 / 未达标); other metrics use one sequential hue; null values get
their own grey class 无数据.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
import pydeck as pdk

from components import format as fmt
from components import geo
from core.metrics import BY_CODE, Metric, meets_target

# Status colours and words are shared with the KPI cards (components/format.py): the same
# colour-blind-safe three everywhere, always with a symbol and a word.
STATUS_COLORS: dict[str, str] = {s: fmt.STATUS_COLORS[s] for s in ("met", "near", "missed")}
STATUS_LABELS: dict[str, str] = {s: fmt.STATUS_LABELS[s] for s in ("met", "near", "missed")}
NO_DATA_COLOR = fmt.STATUS_COLORS["no_data"]
NO_DATA_LABEL = "无数据"
# One hue, light to dark (ColorBrewer Purples without its near-white step, so the lightest
# class still reads as data against the page and the grey of 无数据).
SEQUENTIAL_COLORS: tuple[str, ...] = ("#dadaeb", "#bcbddc", "#9e9ac8", "#756bb1", "#54278f")
BORDER_COLOR = "#FFFFFF"
HIGHLIGHT_COLOR = "#000000"
NEAR_BAND = 0.05  # a rate within 5 percentage points of its target is 接近目标
TOPOJSON_FILE = "world_110m.json"  # what plotly asks for with scope "world", resolution 110
LEVEL_LABELS = {"province": "全省", "prefecture": "设区市", "county": "县（市、区）"}


# ---------------------------------------------------------------------------------------------
# Formatting


_is_null = fmt.is_null


def format_value(metric: Metric | str, value: Any) -> str:
    """A value as the UI shows it (components/format.py): 92.3% for rates, 12,345 人 for
    counts, 12.3 万元 for money (stored in yuan), 12.3 天 for means, and — for no value."""
    return fmt.fmt_value(metric, None if fmt.is_null(value) else float(value))


# ---------------------------------------------------------------------------------------------
# Classes


@dataclass(frozen=True)
class LegendClass:
    """One legend entry: its Chinese label, colour, and status (met/near/missed, None for a
    sequential class, "no_data" for the grey class)."""

    label: str
    color: str
    status: str | None = None


@dataclass(frozen=True)
class Classification:
    """Class index per value (same order as the input) and the classes; the last class is
    always 无数据."""

    index: list[int]
    classes: list[LegendClass]

    @property
    def no_data(self) -> int:
        return len(self.classes) - 1


def _target_classes(
    values: pd.Series, metric: Metric, near_band: float
) -> tuple[list[int], list[LegendClass]]:
    """达标 / 接近目标 / 未达标 against the metric's target. The near band applies to rates
    (percentage points); a count target (e.g. 0 overdue cases) is met or missed."""
    t = float(metric.target)
    band = near_band if metric.kind == "rate" else 0.0
    show = lambda v: format_value(metric, v)  # noqa: E731
    if metric.higher_is_better:
        labels = {
            "met": f"≥{show(t)}",
            "near": f"{show(t - band)}–{show(t)}",
            "missed": f"<{show(t - band)}",
        }
    else:
        labels = {
            "met": f"≤{show(t)}",
            "near": f"{show(t)}–{show(t + band)}",
            "missed": f">{show(t + band)}",
        }
    order = ["met", "near", "missed"] if band > 0 else ["met", "missed"]
    classes = [
        LegendClass(f"{STATUS_LABELS[s]}（{labels[s]}）", STATUS_COLORS[s], s) for s in order
    ]
    position = {s: i for i, s in enumerate(order)}
    out: list[int] = []
    for v in values:
        if _is_null(v):
            out.append(len(order))
            continue
        v = float(v)
        if meets_target(metric, v, t):
            out.append(position["met"])
        elif band > 0 and meets_target(
            metric, v, t - band if metric.higher_is_better else t + band
        ):
            out.append(position["near"])  # within the band of the target
        else:
            out.append(position["missed"])
    return out, classes


def natural_breaks(values: Sequence[float], k: int) -> list[float]:
    """Fisher-Jenks natural breaks: the k classes of sorted values with the least total
    within-class variance. Returns the upper bound of each class. Exact dynamic programme,
    O(k·n²): fine for the ~100 values of a county map."""
    x = np.sort(np.asarray(values, dtype=float))
    n = len(x)
    k = max(1, min(k, len(np.unique(x))))
    csum, csq = np.concatenate([[0], np.cumsum(x)]), np.concatenate([[0], np.cumsum(x * x)])

    def sse(i: int, j: int) -> float:  # values x[i..j] inclusive
        s, q, m = csum[j + 1] - csum[i], csq[j + 1] - csq[i], j - i + 1
        return q - s * s / m

    cost = np.full((k + 1, n), np.inf)
    split = np.zeros((k + 1, n), dtype=int)
    for j in range(n):
        cost[1, j] = sse(0, j)
    for c in range(2, k + 1):
        for j in range(c - 1, n):
            for i in range(c - 1, j + 1):  # the last class is x[i..j]
                total = cost[c - 1, i - 1] + sse(i, j)
                if total < cost[c, j]:
                    cost[c, j], split[c, j] = total, i
    uppers, j = [], n - 1
    for c in range(k, 0, -1):
        uppers.append(float(x[j]))
        j = split[c, j] - 1
    return sorted(uppers)


def _sequential_classes(
    values: pd.Series, metric: Metric, method: str, k: int
) -> tuple[list[int], list[LegendClass]]:
    """Quantile (equal counts) or natural-breaks classes, labelled with the smallest and the
    largest value each class actually holds, on one sequential hue."""
    present = np.array([float(v) for v in values if not _is_null(v)])
    if present.size == 0:
        return [0] * len(values), []
    k = max(1, min(k, len(np.unique(present))))
    if method == "natural":
        uppers = natural_breaks(present, k)
    elif method == "quantile":
        uppers = sorted(set(np.quantile(present, np.linspace(0, 1, k + 1))[1:].tolist()))
    else:
        raise ValueError(f"unknown classification method {method!r}")
    # Class of a value: the first class whose upper bound it does not exceed.
    class_of = np.searchsorted(np.array(uppers), present, side="left")
    used = sorted(set(class_of.tolist()))
    renumber = {old: new for new, old in enumerate(used)}
    palette_idx = (
        [2] if len(used) == 1 else np.round(np.linspace(0, 4, len(used))).astype(int).tolist()
    )
    classes = []
    for new, old in enumerate(used):
        members = present[class_of == old]
        lo, hi = format_value(metric, members.min()), format_value(metric, members.max())
        label = lo if lo == hi else f"{_drop_shared_unit(lo, hi)}–{hi}"
        classes.append(LegendClass(label, SEQUENTIAL_COLORS[palette_idx[new]]))
    out, it = [], iter(class_of.tolist())
    for v in values:
        out.append(len(classes) if _is_null(v) else renumber[next(it)])
    return out, classes


def _drop_shared_unit(lo: str, hi: str) -> str:
    """'1 件' before '3 件' reads '1–3 件': a unit after a space is said once."""
    if " " in lo and lo.rsplit(" ", 1)[1] == hi.rsplit(" ", 1)[-1]:
        return lo.rsplit(" ", 1)[0]
    return lo


def classify(
    values: Sequence[Any] | pd.Series,
    metric: Metric | str,
    scheme: str = "auto",
    near_band: float = NEAR_BAND,
    k: int = 5,
) -> Classification:
    """Legend classes for a metric's values.

    scheme "auto": target classes (达标 / 接近目标 / 未达标) when the metric has a target,
    else quantile classes; "target", "quantile" or "natural" force one. Null values go to
    the last class, 无数据, always present so its colour is fixed.
    """
    m = BY_CODE[metric] if isinstance(metric, str) else metric
    series = pd.Series(list(values), dtype=object)
    if scheme == "auto":
        scheme = "target" if m.target is not None else "quantile"
    if scheme == "target":
        if m.target is None:
            raise ValueError(f"指标 {m.label} 没有目标值，不能按达标分级")
        index, classes = _target_classes(series, m, near_band)
    else:
        index, classes = _sequential_classes(series, m, scheme, k)
    classes = [*classes, LegendClass(NO_DATA_LABEL, NO_DATA_COLOR, "no_data")]
    return Classification(index=index, classes=classes)


def discrete_colorscale(colors: Sequence[str]) -> list[list]:
    """A stepped plotly colour scale: integer z = i takes colors[i] exactly (with
    zmin = -0.5 and zmax = len(colors) - 0.5)."""
    n = len(colors)
    scale: list[list] = []
    for i, color in enumerate(colors):
        scale.append([i / n, color])
        scale.append([(i + 1) / n, color])
    return scale


# ---------------------------------------------------------------------------------------------
# Choropleth


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
        status = _status_text(cls.classes[cls.index[i]])
        detail = ""
        if has_fraction and not _is_null(row["denominator"]):
            detail = f"<br>{_plain(row['numerator'])} / {_plain(row['denominator'])}"
        customdata.append(
            [names[i], format_value(m, raw), status, detail, None if _is_null(raw) else raw]
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
        legend={
            "title": {"text": f"{m.label}（{LEVEL_LABELS[level]}）"},
            "itemclick": False,
            "itemdoubleclick": False,
            "x": 0.0,
            "y": 0.0,
            "xanchor": "left",
            "yanchor": "bottom",
            "bgcolor": "rgba(255,255,255,0.85)",
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


def _status_text(legend_class: LegendClass) -> str:
    """What the hover says besides the value: the status word (✔ 达标) or 无数据; nothing for
    a sequential class, whose range the legend already shows."""
    if legend_class.status is None:
        return ""
    return legend_class.label.split("（")[0]


def _plain(value: Any) -> str:
    """A numerator or denominator: an integer with thousands separators when it is whole."""
    if _is_null(value):
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


# ---------------------------------------------------------------------------------------------
# 3-D view


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
    top = max((float(v) for v in height_values if not _is_null(v)), default=0.0)
    for i, feature in enumerate(fc["features"]):
        h, c = height_values[i], colour_values[i]
        legend_class = cls.classes[cls.index[i]]
        feature["properties"].update(
            {
                "elevation": 0.0 if _is_null(h) or top <= 0 else float(h) / top * max_height_m,
                "fill": _rgba(legend_class.color),
                "height_text": format_value(hm, h),
                "colour_text": format_value(cm, c),
                "status": _status_text(legend_class),
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
