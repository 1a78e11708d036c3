"""Bar charts of the thematic views: one hue for counts, the status colour for a problem
that is always named in words too, shades of one hue for parts of a whole (DESIGN.md §9).
Plotly figures only; `views.chart_tabs` puts each beside its table. Split out of
components/views.py, which had passed 450 lines.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import plotly.graph_objects as go

from components.format import STATUS_COLORS

BAR_COLOR = "#4C78A8"  # the one hue of count charts
STATUS_MISSED = STATUS_COLORS["missed"]  # a problem (空壳, 空缺), always named in words too
SHADES = ("#08519c", "#6baed6", "#c6dbef")  # one hue, dark to light, for parts of a whole


def bar_figure(
    labels: Sequence[str],
    values: Sequence[float],
    *,
    axis_title: str,
    text: Sequence[str] | None = None,
    color: str = BAR_COLOR,
    horizontal: bool = True,
    height: int | None = None,
) -> go.Figure:
    """Bars of one count, in the given order (first at the top when horizontal), with the
    value printed on each bar and Chinese hover text."""
    labels, values = list(labels), list(values)
    shown = list(text) if text is not None else [f"{v:,.0f}" for v in values]
    fig = go.Figure(
        go.Bar(
            **_bar_axes(labels, values, horizontal),
            marker_color=color,
            text=shown,
            textposition="outside",
            cliponaxis=False,
            hovertemplate=_bar_hover(horizontal, f"{axis_title}：%{{text}}"),
        )
    )
    _bar_layout(fig, labels, axis_title, horizontal, height)
    fig.update_layout(showlegend=False)
    return fig


def stacked_figure(
    labels: Sequence[str],
    series: Mapping[str, Sequence[float]],
    *,
    axis_title: str,
    colors: Sequence[str] = SHADES,
    horizontal: bool = True,
    height: int | None = None,
) -> go.Figure:
    """Stacked bars: one trace per named part (legend in Chinese), regions in the given
    order."""
    labels = list(labels)
    fig = go.Figure()
    for (name, values), color in zip(series.items(), colors, strict=False):
        values = list(values)
        fig.add_bar(
            **_bar_axes(labels, values, horizontal),
            name=name,
            marker_color=color,
            hovertemplate=_bar_hover(horizontal, f"{name}：%{{{'x' if horizontal else 'y'}:,}}"),
        )
    _bar_layout(fig, labels, axis_title, horizontal, height)
    fig.update_layout(
        barmode="stack",
        legend={
            "orientation": "h",
            "y": 1.02,
            "yanchor": "bottom",
            "x": 0,
            "title": None,
            "traceorder": "normal",  # parts in the order given, not reversed by the stack
        },
    )
    return fig


def _bar_axes(labels: list[str], values: list[float], horizontal: bool) -> dict[str, Any]:
    """x, y and orientation of a bar trace: regions along y when horizontal, along x when not."""
    if horizontal:
        return {"x": values, "y": labels, "orientation": "h"}
    return {"x": labels, "y": values, "orientation": "v"}


def _bar_hover(horizontal: bool, line: str) -> str:
    """Hover text: the region (the category axis), then `line`."""
    return ("%{y}" if horizontal else "%{x}") + f"<br>{line}<extra></extra>"


def _bar_layout(
    fig: go.Figure, labels: list[str], axis_title: str, horizontal: bool, height: int | None
) -> None:
    fig.update_layout(
        height=height or (max(300, 24 * len(labels) + 100) if horizontal else 360),
        margin={"l": 10, "r": 40, "t": 30, "b": 40},
        separators=".,",
    )
    if horizontal:
        fig.update_layout(
            xaxis_title=axis_title,
            yaxis={"categoryorder": "array", "categoryarray": labels[::-1], "title": None},
        )
        fig.update_xaxes(rangemode="tozero", tickformat=",~f")  # 20,000 not 20k
    else:
        fig.update_layout(yaxis_title=axis_title, xaxis={"type": "category", "title": None})
        fig.update_yaxes(rangemode="tozero", tickformat=",~f")
