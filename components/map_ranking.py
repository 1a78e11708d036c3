"""The thematic views' map of one metric beside its ranking (DESIGN.md §5, §9), each with its
table one click away: the county map at province and prefecture scope, the townships'
ranking alone at county scope (no township boundaries). Split out of components/views.py,
which had passed 400 lines; the ranking itself (frame, window, bars, table, 预警 list) came
from components/tables.py, the one home of a ranking, which the overview uses too. The bars
take the map's legend classes (issue 18.4): a county orange on the map is orange in the
ranking, with the same words in both legends.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from components import db, maps, tables
from components.format import DASH, STATUS_LABELS, fmt_target, fmt_value, md_text
from components.views import ThematicView
from core.metrics import BY_CODE, target_status
from data.config import province_code

RANK_WINDOW = 20


def ranking_frame(df: pd.DataFrame, metric: str) -> pd.DataFrame:
    """Rows of `metric_by_region` sorted best first (nulls last), with the target status,
    the value as shown and the map's legend class (`map_class`, `map_label`, `map_color`)."""
    m = BY_CODE[metric]
    out = df.copy()
    out["status"] = [target_status(m, v) for v in out["value"]]
    out["shown"] = [fmt_value(m, v) for v in out["value"]]
    # the map's classes over every region (not the shown window: a count target's graded
    # misses are breaks of all the values), so a bar and its region on the map agree
    legend = maps.classify(out["value"], m)
    out["map_class"] = legend.index
    out["map_label"] = [legend.classes[i].label for i in legend.index]
    out["map_color"] = [legend.classes[i].color for i in legend.index]
    out = out.sort_values("value", ascending=not m.higher_is_better, na_position="last")
    valued = out["value"].notna().to_numpy()
    out.insert(0, "rank", pd.array([i + 1 if v else None for i, v in enumerate(valued)], "Int64"))
    return out.reset_index(drop=True)


def ranking_window(ranked: pd.DataFrame, window: str, n: int = 20) -> pd.DataFrame:
    """The best n ('top'), the worst n with a value ('bottom'), or everything ('all')."""
    valued = ranked[ranked["value"].notna()]
    if window == "top":
        return valued.head(n)
    if window == "bottom":
        return valued.tail(n)
    return ranked


def ranking_figure(ranked: pd.DataFrame, metric: str, height: int | None = None) -> go.Figure:
    """Horizontal bars, best at the top, in the classes and colours of the map beside them
    (`map_class` of `ranking_frame`: 达标 / 接近目标 / 未达标, the graded misses of a count
    target, or the sequential classes of a metric without one), the legend naming each
    class as the map's does; a dashed line at the target."""
    m = BY_CODE[metric]
    data = ranked[ranked["value"].notna()].copy()
    data["x"] = data["value"] * tables.display_scale(m)
    order = list(data["name"])[::-1]  # plotly draws the first category at the bottom
    fig = go.Figure()
    for _, part in data.groupby("map_class", sort=True):
        fig.add_bar(
            x=part["x"],
            y=part["name"],
            orientation="h",
            name=part["map_label"].iloc[0],
            marker_color=part["map_color"].iloc[0],
            text=part["shown"],
            textposition="outside",
            cliponaxis=False,
            customdata=[
                [p if isinstance(p, str) else "", "" if pd.isna(r) else int(r)]
                for p, r in zip(part["parent_name"], part["rank"], strict=True)
            ],
            hovertemplate="%{y}（%{customdata[0]}）第 %{customdata[1]} 名<br>"
            + m.label
            + "：%{text}<extra></extra>",
        )
    if m.target is not None:
        fig.add_vline(
            x=m.target * tables.display_scale(m),
            line_dash="dash",
            line_color="#555555",
            annotation_text=fmt_target(m),
            annotation_position="top",
        )
    axis_title = f"{m.label}（{m.unit}）" if m.unit else m.label
    fig.update_layout(
        height=height or max(320, 24 * len(data) + 90),
        margin={"l": 10, "r": 40, "t": 30, "b": 40},
        barmode="overlay",
        xaxis_title=axis_title,
        yaxis={"categoryorder": "array", "categoryarray": order, "title": None},
        legend={"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 0, "title": None},
        separators=".,",
    )
    if m.kind == "rate":
        fig.update_xaxes(range=[0, 105])
    return fig


def ranking_table(
    ranked: pd.DataFrame,
    metric: str,
    level: str,
    key: str | None = None,
    caption: str | None = None,
) -> None:
    """The ranking as a table (the chart's data one click away) and as Excel (`caption`, or
    the page's scope and month)."""
    m = BY_CODE[metric]
    shown = ranked.copy()
    shown["value"] = shown["value"] * tables.display_scale(m)
    # the one status wording (components.format); a metric without a target shows a bare —
    shown["status"] = shown["status"].map({**STATUS_LABELS, "no_target": DASH})
    config = {
        "rank": st.column_config.NumberColumn("排名", format="%d"),
        "name": st.column_config.TextColumn(tables.LEVEL_NAME.get(level, "地区")),
        "parent_name": st.column_config.TextColumn("所属地区"),
        "value": tables.number_column(m),
        "numerator": st.column_config.NumberColumn("分子", format="%,d"),
        "denominator": st.column_config.NumberColumn("分母", format="%,d"),
        "status": st.column_config.TextColumn("目标状态"),
    }
    order = ["rank", "name", "parent_name", "value"]
    if m.kind in ("rate", "mean"):
        order += ["numerator", "denominator"]
    if m.target is not None:
        order.append("status")
    tables.data_table(
        shown,
        title=f"{m.label}排名",
        caption=caption,
        column_config=config,
        column_order=order,
        key=key or f"ranking_{metric}_{level}",
    )


def alert_list(ranked: pd.DataFrame, metric: str, level: str, limit: int = 15) -> None:
    """预警: how many regions meet the target, and the ones that miss it, worst first."""
    m = BY_CODE[metric]
    noun = tables.LEVEL_NAME.get(level, "地区")
    if m.target is None:
        st.markdown(f"**{m.label}** 未设目标，不做达标预警。")
        return
    missed = ranked[ranked["status"] == "missed"].iloc[::-1]  # worst first
    met = int((ranked["status"] == "met").sum())
    st.markdown(f"**{m.label}**（{fmt_target(m)}）：达标 {met} 个，未达标 {len(missed)} 个{noun}")
    if missed.empty:
        st.markdown(":blue[✓ 全部达标]")
        return
    lines = [
        f"- :red[×] {md_text(r['name'])}（{md_text(r['parent_name'])}）：{r['shown']}"
        if level == "county"
        else f"- :red[×] {md_text(r['name'])}：{r['shown']}"
        for r in missed.head(limit).to_dict("records")
    ]
    if len(missed) > limit:
        lines.append(f"- 另有 {len(missed) - limit} 个，见右侧表格")
    st.markdown("\n".join(lines))


def ranking_shown(ranked: pd.DataFrame, key: str, where: Any = st) -> pd.DataFrame:
    """The ranked regions to chart: with many regions (counties) a 显示 control in `where`
    (default the page; a column works) picks the worst 20, the best 20 or all, worst first
    by default; a short ranking is shown whole."""
    if ranked["value"].notna().sum() <= RANK_WINDOW + 5:
        return ranked
    window = where.segmented_control(
        "显示",
        ("bottom", "top", "all"),
        default="bottom",
        format_func={
            "bottom": f"后 {RANK_WINDOW} 名",
            "top": f"前 {RANK_WINDOW} 名",
            "all": "全部",
        }.get,
        key=key,
        required=True,
    )
    return ranking_window(ranked, window or "bottom", RANK_WINDOW)


def _ranking(ranked: pd.DataFrame, metric: str, level: str, key: str) -> None:
    shown = ranking_shown(ranked, f"{key}_window")
    chart_tab, table_tab = st.tabs(["图表", "表格"])
    with chart_tab:
        st.plotly_chart(
            ranking_figure(shown, metric),
            config=tables.PLOTLY_CONFIG,
            key=f"{key}_ranking_chart",
        )
        missing = ranked.loc[ranked["value"].isna(), "name"].tolist()
        if missing:
            st.caption("无数据：" + "、".join(missing))
    with table_tab:
        ranking_table(ranked, metric, level, key=f"{key}_ranking_table")


def map_and_ranking(
    by_region: pd.DataFrame,
    metric: str,
    *,
    level: str,
    key: str,
    within: str | None = None,
    draw_map: bool = True,
    on_click: Callable[[str], None] | None = None,
) -> None:
    """The map of `metric` (left) and its ranking (right), each with a 表格 tab.

    `by_region` has code, name, parent_name, value, numerator, denominator (the shape of
    `queries.indicators.metric_by_region`); `level` is county (map drawn; `within` a
    prefecture code draws only its counties) or township (no boundaries: the ranking takes the
    full width). A click on a region calls `on_click(code)` once per new click."""
    ranked = ranking_frame(by_region, metric)
    if not draw_map or level not in ("prefecture", "county"):
        _ranking(ranked, metric, level, key)
        return
    map_col, rank_col = st.columns([1, 1])
    with map_col:
        fig = maps.choropleth(by_region, level, metric, province_code(), within=within)
        map_tab, table_tab = st.tabs(["地图", "表格"])
        with map_tab:
            clicked = maps.show_choropleth(st, fig, key=f"{key}_map")
        with table_tab:
            m = BY_CODE[metric]
            twin = maps.figure_table(fig, metric).drop(columns=["代码", "显示值"])
            twin[m.label] = pd.to_numeric(twin[m.label], errors="coerce") * tables.display_scale(m)
            tables.data_table(
                twin,
                title=f"{m.label}地图数据",
                column_config={m.label: tables.number_column(m)},
                key=f"{key}_map_table",
            )
        last_key = f"{key}_last_click"
        if clicked and clicked != st.session_state.get(last_key):
            st.session_state[last_key] = clicked
            if on_click is not None:
                on_click(clicked)
    with rank_col:
        _ranking(ranked, metric, level, key)


def county_map_and_ranking(
    ctx: db.AppContext,
    scope: dict,
    metric: str,
    *,
    key: str,
    on_click: Callable[[str], None] | None = None,
) -> None:
    """`map_and_ranking` of `metric` by county over the user's scope, from the monthly
    snapshots: the thematic pages' map at province and prefecture scope (a prefecture draws
    only its own counties)."""
    map_and_ranking(
        db.metric_by_region(ctx.url, ctx.scope, ctx.period, metric, "county"),
        metric,
        level="county",
        key=key,
        within=ctx.scope if scope["level"] == "prefecture" else None,
        on_click=on_click,
    )


def scope_map_and_ranking(
    view: ThematicView,
    metric: str,
    *,
    key: str,
    townships: Callable[[], pd.DataFrame],
    on_click: Callable[[str], None] | None = None,
) -> None:
    """The map and ranking of `metric` a thematic page shows over the user's scope: the
    county map (`county_map_and_ranking`) at province and prefecture scope; at county scope
    the ranking of its townships, `townships()` in the shape of `map_and_ranking`'s frame
    (called only then: it is the page's live township query)."""
    if view.draw_map:
        county_map_and_ranking(view.ctx, view.scope, metric, key=key, on_click=on_click)
    else:
        map_and_ranking(townships(), metric, level=view.level, key=key)
