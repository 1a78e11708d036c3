"""Map slides as pictures, drawn by kaleido in the machine's Chromium (Debian's, never a
downloaded one; no internet): the picture has the slide's proportions, a legend in
slide-sized type beside the map and region names where they fit. Without a browser the deck
says so and keeps everything else."""

from __future__ import annotations

import io
import logging
import os
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from components.deck import Deck, Slide
from components.pptx_text import EMU_PT, WIDTH, content_box, text_pt

log = logging.getLogger(__name__)
CHROMIUM = Path("/usr/bin/chromium")  # Debian's; kaleido must never download one
NO_BROWSER = (
    "地图未能导出为图片：本机没有可用的浏览器（Chromium）。"
    "其余图表为原生图表，不受影响；地图请在系统的“汇报模式”中查看。"
)
MAP_FAILED = "地图导出为图片时出错，本文稿中的地图页只列出说明；其余图表不受影响。"
MAP_WIDTH, MAP_HEIGHT = 1850, 720  # pixels of a rendered map: the content box at 150 dpi
MAP_LEGEND_PT, MAP_NAME_PT = 16, 12  # type on the map picture, in points on the slide
MAP_NAMES = "地区名称"


def add_picture(slide, image: bytes) -> None:
    left, top, width, height = content_box()
    picture = slide.shapes.add_picture(io.BytesIO(image), left, top, height=height)
    if picture.width > width:  # a picture of other proportions: fit the width instead
        picture.width, picture.height = width, int(picture.height * width / picture.width)
    picture.left = int((WIDTH - picture.width) / 2)


def browser_path() -> Path | None:
    """The Chromium kaleido may use: $BROWSER_PATH when set, else Debian's; None when absent."""
    env = os.environ.get("BROWSER_PATH")
    path = Path(env) if env else CHROMIUM
    return path if path.is_file() and os.access(path, os.X_OK) else None


def map_figure(s: Slide, province_code: str):
    """The plotly choropleth of a map slide (the same drawing the page shows)."""
    from components import maps

    values = pd.DataFrame({"code": list(s.codes), "value": list(s.series[0].values)})
    values["value"] = pd.to_numeric(values["value"], errors="coerce")
    return maps.choropleth(values, s.level, s.metric, province_code, within=s.within)


def _mercator(xy):
    """Lon/lat in degrees to plotly's Mercator plane (radians)."""
    lon, lat = np.radians(xy[:, 0]), np.radians(xy[:, 1])
    return np.column_stack([lon, np.log(np.tan(np.pi / 4 + lat / 2))])


def _names_that_fit(features: list[dict], points: Mapping, to_px, size: float) -> list[str]:
    """Codes of the regions whose name, `size` pixels high and centred on the region's label
    point, lies wholly inside its outline on the picture."""
    import shapely
    from shapely.geometry import box, shape

    fits = []
    for f in features:
        if f["id"] not in points:
            continue
        ((cx, cy),) = to_px(_mercator(np.array([points[f["id"]]])))
        w, h = text_pt(f["properties"]["name"], size) + 4, size * 1.3
        outline = shapely.transform(shape(f["geometry"]), lambda xy: to_px(_mercator(xy)))
        if outline.buffer(0).contains(box(cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2)):
            fits.append(f["id"])
    return fits


def export_map_figure(s: Slide, province_code: str):
    """The map slide's choropleth drawn for the slide: the picture has the content box's
    proportions (MAP_WIDTH × MAP_HEIGHT), the map filling its height and beside it (never
    over it) a legend in slide-sized type. Regions are named where the name fits inside the
    outline: the counties of a prefecture's map; on the province's county map, where county
    names do not fit, the prefectures, outlined."""
    import shapely
    from shapely.geometry import shape

    from components import geo

    fig = map_figure(s, province_code)
    px_per_pt = MAP_HEIGHT / (content_box()[3] / EMU_PT)
    legend_px, name_px = MAP_LEGEND_PT * px_per_pt, MAP_NAME_PT * px_per_pt
    features = geo.feature_collection(province_code, s.level, within=s.within)["features"]
    outline = shapely.union_all([shape(f["geometry"]) for f in features])
    lon0, lat0, lon1, lat1 = outline.bounds
    minx, miny, maxx, maxy = shapely.transform(outline, _mercator).bounds
    legend = [t.name for t in fig.data[1:] if t.showlegend]
    title = [s.series[0].name, "（各县（市、区））" if s.level == "county" else "（各设区市）"]
    legend_w = max(text_pt(t, legend_px) for t in [*legend, *title]) + 2.2 * legend_px
    pad, gap = 0.02 * MAP_HEIGHT, 0.03 * MAP_WIDTH
    k = min(
        (MAP_HEIGHT - 2 * pad) / (maxy - miny),
        (MAP_WIDTH - 2 * pad - gap - legend_w) / (maxx - minx),
    )
    map_w = (maxx - minx) * k
    x0 = (MAP_WIDTH - map_w - gap - legend_w) / 2
    fig.update_layout(
        width=MAP_WIDTH,
        height=MAP_HEIGHT,
        margin={"l": 0, "r": 0, "t": 0, "b": 0},
        font={"size": legend_px},
        legend={
            "title": {"text": "<br>".join(title), "font": {"size": legend_px}},
            "font": {"size": legend_px},
            "x": (x0 + map_w + gap) / MAP_WIDTH,
            "xanchor": "left",
            "y": 0.5,
            "yanchor": "middle",
            "bgcolor": "rgba(255,255,255,0)",
            "itemsizing": "trace",
        },
        geo={  # the outline's own ranges: plotly's fitbounds leaves a third of the box empty
            "fitbounds": False,
            "lonaxis": {"range": [lon0, lon1]},
            "lataxis": {"range": [lat0, lat1]},
            "center": {"lon": (lon0 + lon1) / 2, "lat": (lat0 + lat1) / 2},
            "domain": {"x": [x0 / MAP_WIDTH, (x0 + map_w) / MAP_WIDTH], "y": [0, 1]},
        },
    )
    fig.update_traces(marker={"size": legend_px}, selector={"type": "scattergeo"})

    def to_px(xy: np.ndarray) -> np.ndarray:  # Mercator plane to the map's pixels
        return np.column_stack([(xy[:, 0] - minx) * k, (maxy - xy[:, 1]) * k])

    points = geo.label_points(province_code)
    named = features
    if s.level == "county" and s.within is None:
        prefectures = geo.feature_collection(province_code, "prefecture")["features"]
        if len(_names_that_fit(features, points, to_px, name_px)) < len(features) / 2:
            named = prefectures
            fig.add_choropleth(
                geojson={"type": "FeatureCollection", "features": prefectures},
                featureidkey="id",
                locations=[f["id"] for f in prefectures],
                z=[0] * len(prefectures),
                colorscale=[[0, "rgba(0,0,0,0)"], [1, "rgba(0,0,0,0)"]],
                showscale=False,
                marker={"line": {"color": "#333333", "width": 2.5}},
                hoverinfo="skip",
                showlegend=False,
                name="设区市界",
            )
    shown = [f for f in named if f["id"] in _names_that_fit(named, points, to_px, name_px)]
    if shown:
        fig.add_scattergeo(
            lon=[points[f["id"]][0] for f in shown],
            lat=[points[f["id"]][1] for f in shown],
            text=[f["properties"]["name"] for f in shown],
            mode="text",
            textfont={
                "size": name_px,
                "color": "#111111",
                "weight": "bold",
                "shadow": "0 0 3px #FFFFFF, 0 0 3px #FFFFFF, 0 0 2px #FFFFFF",
            },
            hoverinfo="skip",
            showlegend=False,
            name=MAP_NAMES,
        )
    return fig


def map_images(deck: Deck, province_code: str) -> tuple[dict[str, bytes], tuple[str, ...]]:
    """PNG pictures of the deck's map slides, drawn by kaleido in the machine's Chromium
    (MathJax off, the base topojson from the app's static folder: no internet). Without a
    browser, or when drawing fails: no pictures and a notice saying so for the note slide."""
    slides = [s for s in deck.slides if s.kind == "map"]
    if not slides:
        return {}, ()
    browser = browser_path()
    if browser is None:
        return {}, (NO_BROWSER,)
    try:
        import kaleido

        from data.config import REPO_ROOT

        os.environ["BROWSER_PATH"] = str(browser)
        topojson = (REPO_ROOT / "static").as_uri() + "/"
        opts = {"format": "png", "width": MAP_WIDTH, "height": MAP_HEIGHT}
        images = {
            s.key: kaleido.calc_fig_sync(
                export_map_figure(s, province_code),
                opts=opts,
                topojson=topojson,
                kopts={"mathjax": False, "timeout": 60},
            )
            for s in slides
        }
    except Exception:  # a broken browser must not cost the user the whole deck
        log.exception("map export with kaleido failed")
        return {}, (MAP_FAILED,)
    return images, ()
