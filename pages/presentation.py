"""汇报模式: the key figures of the chosen scope and period as a sequence of full-width slides
for projecting in a meeting — large type, the sidebar hidden, 上一页/下一页 buttons (also the
← → keys), an optional auto-advance, and the slide number in the URL (?slide=3) so a link
opens on that slide. The same sequence downloads as a PowerPoint deck with editable charts,
and all indicators of all regions as one Excel workbook; both downloads are audited.

Layout only: the slides come from components/deck.py (queries through components/db.py),
the files from components/pptx_export.py (and its pptx_* modules) and components/workbook.py.
"""

from __future__ import annotations

import html
import time
from datetime import date

import plotly.graph_objects as go
import streamlit as st

from components import db, exports, maps, watermark
from components import deck as deckmod
from components import workbook as wbmod
from components.deck import Slide
from components.format import fmt_period
from components.pptx_export import PPTX_MIME, build_pptx_with_maps, page_count
from components.pptx_maps import map_figure
from data.config import province_code

SLIDE_KEY = "presentation_slide"
AUTO_KEY = "presentation_auto"
LAST_KEY = "presentation_last_turn"
INTERVALS = (10, 20, 30, 60)  # seconds per slide when advancing on its own
LINE_COLORS = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00")
SCREEN_CSS = """
<style>
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], [data-testid="stHeader"] { display: none; }
[data-testid="stMainBlockContainer"] { padding-top: 1.2rem; max-width: 100%; }
.deck-title { font-size: 2.6rem; font-weight: 700; line-height: 1.25; margin: 0; padding: 0; }
.deck-sub { font-size: 1.25rem; color: #444; margin: 0.2rem 0 0.8rem 0; }
.deck-note { font-size: 1.25rem; color: #333; margin-top: 0.4rem; }
.deck-demo { display: inline-block; background: #E69F00; color: #000; border-radius: 4px;
             padding: 0 0.5rem; font-size: 1rem; margin-left: 0.8rem; vertical-align: middle; }
table.deck-table { border-collapse: collapse; width: 100%; font-size: 1.45rem; }
table.deck-table th { background: #DDEBF7; text-align: left; padding: 0.35rem 0.7rem; }
table.deck-table td { border-top: 1px solid #ccc; padding: 0.3rem 0.7rem; }
</style>
"""

ctx = db.get_context()
deck = db.query(
    deckmod.build_deck,
    ctx.url,
    ctx.scope,
    ctx.period,
    data_date=ctx.meta.data_date,
    is_demo=ctx.meta.is_demo,
)
deck = deckmod.with_supervision(deck, db.engine_for(ctx.url), ctx.scope, ctx.period, date.today())
slides = deck.slides
st.html(SCREEN_CSS)


def slide_from_url(n: int) -> int:
    """0-based index from ?slide= (1-based); anything unreadable opens the first slide."""
    try:
        return min(max(int(st.query_params.get("slide", "1")) - 1, 0), n - 1)
    except ValueError:
        return 0


if SLIDE_KEY not in st.session_state or st.session_state.get("_presentation_n") != len(slides):
    st.session_state[SLIDE_KEY] = slide_from_url(len(slides))
    st.session_state["_presentation_n"] = len(slides)


def turn(step: int) -> None:
    """Move by `step` slides (wrapping round at the end, as a looping meeting display does)."""
    st.session_state[SLIDE_KEY] = (st.session_state[SLIDE_KEY] + step) % len(slides)
    st.session_state[LAST_KEY] = time.monotonic()


index = st.session_state[SLIDE_KEY]
st.query_params["slide"] = str(index + 1)
slide = slides[index]


# ---------------------------------------------------------------- the slide


def table_html(slide: Slide) -> str:
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in slide.table.columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in row) + "</tr>"
        for row in slide.table.itertuples(index=False)
    )
    return f'<table class="deck-table"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def tick_format(slide: Slide) -> str:
    return ".0%" if slide.number_format.endswith("%") else ",.0f"


def chart(slide: Slide) -> go.Figure:
    """Bars (ranking, best at the top) or lines (trend), in type readable across a room."""
    pct = slide.number_format.endswith("%")
    if slide.kind == "bars":
        (series,) = slide.series
        fig = go.Figure(
            go.Bar(
                x=list(series.values),
                y=list(slide.categories),
                orientation="h",
                marker_color=LINE_COLORS[0],
                text=[f"{v:.1%}" if pct else f"{v:,.0f}" for v in series.values],
                textposition="outside",
                textfont_size=22,
                hovertemplate="%{y}：%{text}<extra></extra>",
            )
        )
        fig.update_yaxes(autorange="reversed", tickfont_size=22)
        height = max(360, min(640, 70 * len(slide.categories) + 120))
        fig.update_xaxes(range=[0, 1.12] if pct else None, tickfont_size=18)
    else:
        fig = go.Figure(
            [
                go.Scatter(
                    x=list(slide.categories),
                    y=list(s.values),
                    name=s.name,
                    mode="lines+markers",
                    line={"width": 4, "color": color},
                    marker_size=9,
                    hovertemplate=f"{s.name} %{{x}}：%{{y:.1%}}<extra></extra>",
                )
                for s, color in zip(slide.series, LINE_COLORS, strict=False)
            ]
        )
        fig.update_layout(legend={"orientation": "h", "y": -0.15, "font": {"size": 20}})
        fig.update_xaxes(tickfont_size=18)
        height = 600
    fig.update_xaxes(tickformat=tick_format(slide) if slide.kind == "bars" else None)
    if slide.kind == "lines":
        fig.update_yaxes(tickformat=tick_format(slide), tickfont_size=18)
    fig.update_layout(
        height=height,
        margin={"l": 10, "r": 30, "t": 10, "b": 10},
        font={"size": 18},
        plot_bgcolor="#fff",
        separators=".,",
    )
    return fig


demo = '<span class="deck-demo">演示数据</span>' if deck.is_demo else ""
st.html(
    f'<div class="deck-slide"><h1 class="deck-title">{html.escape(slide.title)}{demo}</h1>'
    f'<p class="deck-sub">{html.escape(slide.subtitle)}　|　第 {index + 1} / {len(slides)} 页</p></div>'
)
if slide.table is not None:
    if slide.table.empty:
        st.success("本期没有未达标的地区。", icon=":material/check_circle:")
    else:
        st.html(table_html(slide))
elif slide.kind == "map":
    fig = map_figure(slide, province_code())
    fig.update_layout(height=640, legend={"font": {"size": 20}})
    st.plotly_chart(fig, config=maps.plotly_config(), key=f"map_{slide.key}")
elif slide.categories:
    st.plotly_chart(chart(slide), config={"displayModeBar": False}, key=f"chart_{slide.key}")
else:
    st.info("本期无数据。", icon=":material/info:")
if slide.note:
    st.html(f'<p class="deck-note">{html.escape(slide.note)}</p>')

# ---------------------------------------------------------------- navigation

st.divider()
prev_col, pos_col, next_col, auto_col, every_col = st.columns([2, 2, 2, 2, 2])
prev_col.button(
    "上一页", icon=":material/arrow_back:", on_click=turn, args=(-1,), shortcut="Left", key="deck_prev",
    use_container_width=True, help="快捷键：←",
)  # fmt: skip
pos_col.markdown(f"**第 {index + 1} / {len(slides)} 页**")
next_col.button(
    "下一页", icon=":material/arrow_forward:", on_click=turn, args=(1,), shortcut="Right", key="deck_next",
    type="primary", use_container_width=True, help="快捷键：→",
)  # fmt: skip
auto = auto_col.toggle("自动翻页", key=AUTO_KEY)
seconds = every_col.selectbox(
    "每页停留", INTERVALS, index=1, format_func=lambda s: f"{s} 秒", key="presentation_every"
)

if auto:
    st.session_state.setdefault(LAST_KEY, time.monotonic())

    @st.fragment(run_every=1)
    def auto_advance() -> None:
        """Checks every second; turns the page once the interval has passed."""
        if time.monotonic() - st.session_state.get(LAST_KEY, 0) >= seconds:
            turn(1)
            st.rerun(scope="app")

    auto_advance()

# ---------------------------------------------------------------- downloads

stem = f"{deck.scope_name}_{ctx.period}"
engine = db.engine_for(ctx.url)  # the builders run on click, outside this script run
mark = watermark.current_text(ctx.url)  # read now, for the same reason
down1, down2, leave = st.columns([2, 2, 2])
down1.download_button(
    "下载 PPT 演示文稿",
    data=exports.audited(
        lambda: build_pptx_with_maps(deck, province_code(), watermark=mark),
        f"汇报_{stem}.pptx · {fmt_period(ctx.period)} · {page_count(deck)} 页",
    ),
    file_name=f"汇报_{stem}.pptx",
    mime=PPTX_MIME,
    key="deck_pptx",
    icon=":material/slideshow:",
    on_click="ignore",
)
down2.download_button(
    "下载全部指标 Excel",
    data=exports.audited(
        lambda: wbmod.build_workbook(
            engine, ctx.scope, ctx.period, ctx.meta.data_date, ctx.meta.is_demo, watermark=mark
        ),
        f"{wbmod.file_stem(deck.scope_name, ctx.period)}.xlsx · {fmt_period(ctx.period)}",
    ),
    file_name=f"{wbmod.file_stem(deck.scope_name, ctx.period)}.xlsx",
    mime=wbmod.XLSX_MIME,
    key="deck_xlsx",
    icon=":material/download:",
    on_click="ignore",
)
leave.page_link("pages/overview.py", label="退出汇报模式", icon=":material/logout:")
st.caption(
    "统计月份请在其他页面的侧栏中选择。PPT 中的柱状图和折线图为可编辑的原生图表；文件只含汇总指标，不含个人信息。下载会记入审计日志。"
)
