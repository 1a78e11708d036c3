"""会议简报: for a chosen pair of months, what changed — the indicators that moved most, the
counties that fell below or rose above a target, the new overdue cases (masked), the five
lowest composite scores — as a page and as a one-page Word document in Chinese.

Layout only: the briefing comes from queries/briefing.py through components/db.py; the
document and the sentences it shares with this page from components/briefing_doc.py.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st

from components import (
    briefing_doc,
    db,
    exports,
    record_lists,
    supervise,
    tables,
    views,
    watermark,
)
from components.format import GAP_HELP, fmt_gap, fmt_period, fmt_target, fmt_value, md_text
from components.views import Col
from queries import briefing, supervision
from queries.rankings import settings_or_default

TITLE = "会议简报"
DIRECTION_MD = {
    "better": ":blue[▲ 向好]",
    "worse": ":red[▼ 变差]",
    "flat": "— 持平",
    "no_data": "— 无数据",
}

ctx = db.get_context()
scope = views.scoped_page_header(TITLE, ctx)
settings = settings_or_default()

periods = list(ctx.periods)  # newest first
if len(periods) < 2:
    st.info(
        "简报需要至少两个月的数据才能比较。请在有更多月份的汇总后再来。", icon=":material/info:"
    )
    st.stop()

# ---------------------------------------------------------------- the pair of months
c1, c2, _ = st.columns([2, 2, 3])
if st.session_state.get("briefing_period") not in periods[:-1]:
    st.session_state["briefing_period"] = ctx.period if ctx.period in periods[:-1] else periods[0]
period = c1.selectbox("本期", periods[:-1], format_func=fmt_period, key="briefing_period")
older = [p for p in periods if p < period]
if st.session_state.get("briefing_base") not in older:
    st.session_state["briefing_base"] = older[0]
base = c2.selectbox("对比期", older, format_func=fmt_period, key="briefing_base")

b = db.query(briefing.build_briefing, ctx.url, ctx.scope, period, base)
lists = views.PageLists(scope["name"], period)

mark = watermark.current_text(ctx.url)  # read now: the document is built at the click
today = date.today()
since = supervision.since_last_meeting(today)
sv_counts = supervision.counts(db.engine_for(ctx.url), ctx.scope, period, since, today)
st.download_button(
    "下载简报（Word，一页）",
    data=exports.audited(
        lambda: briefing_doc.briefing_docx(
            b, ctx.meta.data_date, ctx.meta.is_demo, mark, (sv_counts, since)
        ),
        f"会议简报:{briefing_doc.file_name(b)}",
    ),
    file_name=briefing_doc.file_name(b),
    mime=briefing_doc.DOCX_MIME,
    icon=":material/description:",
    key="briefing_docx",
    on_click="ignore",
)
st.caption(f"{fmt_period(period)}与{fmt_period(base)}对比。")

# ---------------------------------------------------------------- one: movers
st.subheader("一、变化最大的指标")
moved = b.movers[b.movers["direction"].isin(["better", "worse"])]
if moved.empty:
    st.info("各项指标与对比期持平。")
else:
    st.markdown(
        "\n".join(
            f"- {DIRECTION_MD[r['direction']]}　"
            + briefing_doc.mover_line(r, with_direction=False, pending=b.referrals_pending)
            for r in moved.head(briefing_doc.MAX_MOVERS).to_dict("records")
        )
    )
with st.expander("全部指标的变化"):
    full = b.movers.assign(
        movement=b.movers["movement"].round(1),  # data_table gets no column format: round here
        base_text=[
            fmt_value(m, v) for m, v in zip(b.movers["metric"], b.movers["base_value"], strict=True)
        ],
        value_text=[
            fmt_value(m, v) for m, v in zip(b.movers["metric"], b.movers["value"], strict=True)
        ],
        direction_text=b.movers["direction"].map(briefing_doc.DIRECTION_WORD),
    )
    tables.data_table(
        views.display_frame(
            full,
            [
                Col("label", "指标"),
                Col("base_text", fmt_period(base)),
                Col("value_text", fmt_period(period)),
                Col(
                    "movement",
                    "变动幅度",
                    fmt="%.1f",
                    help="比率：百分点；其他指标：较对比期的百分比",
                ),
                Col("direction_text", "方向"),
            ],
        ),
        title="全部指标的变化",
        caption=tables.export_caption("全部指标的变化", scope["name"], period),
        key="briefing_all_movers",
    )

# ---------------------------------------------------------------- two: target crossings
st.subheader("二、达标情况变化")
fell_col, rose_col = st.columns(2)
for col, frame, word, direction in (
    (fell_col, b.fell, "跌破目标", "fell"),
    (rose_col, b.rose, "重新达标", "rose"),
):
    with col:
        st.markdown(f"**{briefing_doc.crossing_headline(frame, word)}**")
        named = b.crossings.assign(name=b.crossings["name"].map(md_text, na_action="ignore"))
        lines = briefing_doc.crossing_lines(named, direction, max_lines=20)
        if lines:
            st.markdown("\n".join(f"- {line}" for line in lines))
supervise.show_done()
supervise.issue_button(
    ctx.url,
    supervise.candidates_frame(
        b.fell,
        period,
        shown=pd.Series(
            [fmt_value(m, v) for m, v in zip(b.fell["metric"], b.fell["value"], strict=True)],
            index=b.fell.index,
        ),
    ),
    key="briefing_issue",
    label="对跌破目标的县（市、区）发起督办",
)
if len(b.crossings):
    with st.expander("达标变化明细"):
        detail = b.crossings.assign(
            base_text=[
                fmt_value(m, v)
                for m, v in zip(b.crossings["metric"], b.crossings["base_value"], strict=True)
            ],
            value_text=[
                fmt_value(m, v)
                for m, v in zip(b.crossings["metric"], b.crossings["value"], strict=True)
            ],
            target_text=[fmt_target(m) for m in b.crossings["metric"]],
            gap_text=[
                fmt_gap(m, g, small) or "—"
                for m, g, small in zip(
                    b.crossings["metric"],
                    b.crossings["gap"],
                    b.crossings["small_sample"],
                    strict=True,
                )
            ],
            direction_text=b.crossings["direction"].map(
                {"fell": "× 跌破目标", "rose": "✓ 重新达标"}
            ),
        )
        lists.show_list(
            detail,
            [
                Col("direction_text", "变化"),
                Col("name", "县（市、区）"),
                Col("parent_name", "所属设区市"),
                Col("label", "指标"),
                Col("base_text", fmt_period(base)),
                Col("value_text", fmt_period(period)),
                Col("target_text", "目标"),
                Col("gap_text", "缺口", help=GAP_HELP.format(min_sample=settings.min_sample)),
            ],
            title="达标变化明细",
            key="briefing_crossings",
        )

# ---------------------------------------------------------------- three: new overdue cases
st.subheader("三、新增逾期个案")
st.markdown(
    briefing_doc.overdue_summary(
        b.overdue_counts.assign(name=b.overdue_counts["name"].map(md_text, na_action="ignore"))
    )
)
if len(b.new_overdue):
    lists.show_list(
        b.new_overdue,
        record_lists.case_cols(
            "id",
            "county_name",
            "township_name",
            "child_name",
            "concern",
            "risk_level",
            "source",
            "received_on",
            "due_on",
            "days_overdue",
            detail=record_lists.shows_detail(ctx.url, ctx.scope),
        ),
        title="新增逾期个案",
        key="briefing_overdue",
    )
    listed = (
        f"列出逾期天数最多的 {len(b.new_overdue):,} 件（共 {b.n_new_overdue:,} 件，"
        "全部逾期个案见“个案与关爱”页）。"
        if b.n_new_overdue > len(b.new_overdue)
        else ""
    )
    st.caption(listed + "儿童姓名已脱敏。新增逾期：对比期月末未逾期、本期月末已逾期的在办个案。")

# ---------------------------------------------------------------- four: bottom five
st.subheader("四、综合得分后五位的县（市、区）")
rows = briefing_doc.bottom_rows(b.bottom, missed_shown=3)
if not rows:
    st.info("本期没有可排名的县（市、区）。")
else:
    bottom = pd.DataFrame(
        rows, columns=["名次", "县（市、区）", "所属设区市", "综合得分", "名次变化", "主要问题"]
    )
    tables.data_table(
        bottom,
        title="综合得分后五位",
        caption=tables.export_caption("综合得分后五位的县（市、区）", scope["name"], period),
        key="briefing_bottom",
    )
    with st.container(horizontal=True, gap="small"):
        for r in b.bottom.to_dict("records"):
            st.page_link(
                "pages/county.py",
                label=f"{md_text(r['name'])}详情",
                icon=":material/location_on:",
                query_params={"county": r["code"], "period": period},
            )
st.caption("综合得分的算法和权重见“红黑榜”页；后五位含与第五名得分相同的县（市、区）。")

# ---------------------------------------------------------------- five: 督办
st.subheader("五、督办事项")
st.markdown(briefing_doc.supervision_line(sv_counts, since))
tables.data_table(
    briefing_doc.supervision_table(sv_counts),
    title="督办事项",
    caption=tables.export_caption("督办事项", scope["name"], period),
    key="briefing_supervision",
)
st.page_link(supervise.PAGE, label="查看督办事项", icon=":material/assignment:")
