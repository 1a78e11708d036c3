"""红黑榜: counties or prefectures ranked on any indicator or on the composite score, with the
change in rank since a comparison month; the top ten (红榜) beside the bottom ten (黑榜), then
the full ranking with links to each region's detail view.

Ties share a rank (1, 1, 3); a region without data gets no rank (无数据) and is listed last.
The composite score's weights are in settings.toml (shown in the expander). Layout only: the
ranks come from queries/rankings.py through components/db.py.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from components import db, supervise, tables, views
from components.format import DASH, fmt_delta, fmt_period, fmt_value, is_null
from core.metrics import BY_CODE
from queries import rankings

TITLE = "红黑榜"
BOARD = 10  # regions on each of 红榜 and 黑榜

ctx = db.get_context()
scope = views.scoped_page_header(TITLE, ctx)

levels = {"province": ("county", "prefecture"), "prefecture": ("county",)}.get(scope["level"], ())
if not levels:
    st.info(
        "红黑榜在各县（市、区）之间排名。您的账号只能查看本县，"
        "本县在全省、全市的名次请见“县区详情”。",
        icon=":material/info:",
    )
    st.page_link(
        "pages/county.py",
        label="打开县区详情",
        icon=":material/location_on:",
        query_params={"county": ctx.scope},
    )
    st.stop()


def metric_name(code: str) -> str:
    return rankings.COMPOSITE_LABEL if code == rankings.COMPOSITE else BY_CODE[code].label


def shown_value(code: str, value) -> str:
    if code == rankings.COMPOSITE:
        return DASH if is_null(value) else f"{float(value):.2f}"
    return fmt_value(code, value)


def move_text(change) -> str:
    if is_null(change):
        return DASH
    change = int(change)
    return "持平" if change == 0 else (f"↑{change}" if change > 0 else f"↓{-change}")


def change_text(code: str, change) -> str:
    """The value's change since the comparison month: '+1.2 个百分点', '-3 件', '+2.50 分'."""
    if code != rankings.COMPOSITE:
        return fmt_delta(code, change)
    if is_null(change):
        return DASH
    return "持平" if round(float(change), 2) == 0 else f"{float(change):+.2f} 分"


def rank_text(rank) -> str:
    return "无数据" if is_null(rank) else str(int(rank))


c1, c2, c3 = st.columns([2, 3, 2])
level = levels[0]
if len(levels) > 1:
    level = (
        c1.segmented_control(
            "排名对象",
            levels,
            default=levels[0],
            format_func=tables.LEVEL_NAME.get,
            key="rankings_level",
            required=True,
        )
        or levels[0]
    )
choices = (rankings.COMPOSITE, *tables.all_metrics())
metric = c2.selectbox("排名指标", choices, format_func=metric_name, key="rankings_metric")
older = [p for p in ctx.periods if p < ctx.period]
if not older:
    compare = None
    c3.markdown("对比月份：—")
else:
    compare = c3.selectbox(
        "名次变化对比月份", older, format_func=fmt_period, key="rankings_compare"
    )

ranked = db.query(rankings.ranking, ctx.url, ctx.scope, ctx.period, metric, level, compare=compare)
if compare is None:  # the first month: no earlier ranks to compare with
    ranked = ranked.assign(prev_rank=pd.NA, rank_change=pd.NA, prev_value=pd.NA, change=pd.NA)
# The comparison month's value and the change beside the rank change (issue 18.3): a rank
# can rise while the figure falls, when the others fell further.
compare_label = f"{fmt_period(compare)}数值" if compare else "对比月数值"
better = True if metric == rankings.COMPOSITE else BY_CODE[metric].higher_is_better
valued = ranked[ranked["rank"].notna()]
noun = tables.LEVEL_NAME[level]
direction = "数值越高名次越前" if better else "数值越低名次越前"
st.caption(
    f"{metric_name(metric)}：{direction}；参与排名 {len(valued)} 个{noun}，"
    f"无数据 {len(ranked) - len(valued)} 个（不参加排名，列在最后）。数值相同名次相同。"
)


def board(frame: pd.DataFrame, title: str, key: str) -> None:
    rows = pd.DataFrame(
        {
            "名次": [rank_text(r) for r in frame["rank"]],
            noun: frame["name"],
            **({"所属设区市": frame["parent_name"]} if level == "county" else {}),
            metric_name(metric): [shown_value(metric, v) for v in frame["value"]],
            compare_label: [shown_value(metric, v) for v in frame["prev_value"]],
            "数值变化": [change_text(metric, c) for c in frame["change"]],
            "名次变化": [move_text(c) for c in frame["rank_change"]],
        }
    )
    tables.data_table(
        rows,
        title=f"{title}（{metric_name(metric)}）",
        caption=tables.export_caption(
            f"{title}（{metric_name(metric)}）", scope["name"], ctx.period
        ),
        height=tables.rows_height(len(rows)),
        key=key,
    )


supervise.show_done()
red, black = st.columns(2)
with red:
    st.subheader(":material/thumb_up: 红榜（前 10 名）")
    if valued.empty:
        st.info("本期暂无可排名的数据。")
    else:
        top = valued[valued["rank"] <= valued["rank"].iloc[min(BOARD, len(valued)) - 1]]
        board(top, "红榜", "rankings_red")
with black:
    st.subheader(":material/thumb_down: 黑榜（后 10 名）")
    if valued.empty:
        st.info("本期暂无可排名的数据。")
    else:
        cut = valued["rank"].iloc[max(len(valued) - BOARD, 0)]
        bottom = valued[valued["rank"] >= cut].iloc[::-1]
        board(bottom, "黑榜", "rankings_black")
        issue_to = supervise.issuable(ctx.url, bottom.assign(level=level))
        composite = metric == rankings.COMPOSITE
        supervise.issue_button(
            ctx.url,
            supervise.candidates_frame(
                issue_to.assign(metric=None if composite else metric),
                ctx.period,
                shown=pd.Series(
                    [shown_value(metric, v) for v in issue_to["value"]], index=issue_to.index
                ),
                matter=pd.Series(
                    [
                        f"{metric_name(metric)}排名靠后（{fmt_period(ctx.period)}第 {rank_text(r)} 名）"
                        for r in issue_to["rank"]
                    ],
                    index=issue_to.index,
                ),
            ),
            key="rankings_issue",
            label="对黑榜地区发起督办",
        )
if len(ranked) > len(valued):
    st.caption("无数据：" + "、".join(ranked.loc[ranked["rank"].isna(), "name"]))

st.subheader(f"全部{noun}排名")
# Numbers stay numbers (a click on a header sorts them); a missing rank or value shows 无数据.
scale = 1.0 if metric == rankings.COMPOSITE else tables.display_scale(BY_CODE[metric])
shown = pd.DataFrame(
    {
        "名次": ranked["rank"],
        noun: ranked["name"],
        **(
            {
                "所属设区市": ranked["parent_name"],
                "市内名次": [
                    DASH if is_null(r) else f"{int(r)} / {int(n)}"
                    for r, n in zip(ranked["rank_in_parent"], ranked["n_in_parent"], strict=True)
                ],
            }
            if level == "county"
            else {}
        ),
        metric_name(metric): ranked["value"] * scale,
        compare_label: ranked["prev_value"] * scale,
        "数值变化": [change_text(metric, c) for c in ranked["change"]],
        "对比月名次": ranked["prev_rank"],
        "名次变化": [move_text(c) for c in ranked["rank_change"]],
        "详情": [
            f"county?{'county' if level == 'county' else 'prefecture'}={c}&period={ctx.period}"
            for c in ranked["code"]
        ],
    }
)
value_column = (
    st.column_config.NumberColumn(rankings.COMPOSITE_LABEL, format="%.2f", help="0–100 分")
    if metric == rankings.COMPOSITE
    else tables.number_column(BY_CODE[metric])
)
tables.data_table(
    shown,
    title=f"红黑榜_{metric_name(metric)}",
    caption=tables.export_caption(f"红黑榜（{metric_name(metric)}）", scope["name"], ctx.period),
    placeholder="无数据",
    column_config={
        "名次": st.column_config.NumberColumn("名次", format="%d"),
        metric_name(metric): value_column,
        compare_label: st.column_config.NumberColumn(
            compare_label, format=value_column["type_config"].get("format") or "%.2f"
        ),
        "对比月名次": st.column_config.NumberColumn(
            f"{fmt_period(compare)}名次" if compare else "对比月名次", format="%d"
        ),
        "详情": st.column_config.LinkColumn("详情", display_text="打开详情"),
    },
    key="rankings_full",
)

with st.expander("综合得分怎么算"):
    s = rankings.settings_or_default()
    st.markdown(
        "每项指标先折算为 0–100 分：有目标的比率按“实际 ÷ 目标”计分，达到目标即 100 分（超过不加分）；"
        "无目标的比率按实际百分数计分；逾期个案按“1 − 逾期个案 ÷ 在办个案”计分（没有在办个案计 100 分）。"
        "综合得分是各项得分按下表权重的加权平均，保留两位小数。某项无数据（如本月没有转介）时按其余"
        f"指标重新加权；有数据指标的权重合计不足 {s.min_weight_share:.0%} 时记为无数据、不参加排名。"
        "权重由系统管理员在系统设置中统一配置。"
    )
    weights = pd.DataFrame(
        {
            "指标": [
                f"{BY_CODE[m].label}（÷{BY_CODE[s.relative_to[m]].label}）"
                if m in s.relative_to
                else BY_CODE[m].label
                for m in s.composite_weights
            ],
            "权重": [float(w) for w in s.composite_weights.values()],
        }
    )
    total = weights["权重"].sum()
    weights["占比"] = [f"{w / total:.1%}" for w in weights["权重"]]
    tables.data_table(weights, title="综合得分权重", key="rankings_weights")
