"""督办 (issue 17): the tasks in the user's scope — for a county (or a prefecture addressed by
the province) the ones to answer, with the answer form; for the issuer the filters, each
task's history, 销号 and 退回; and a new task about a matter no metric covers.

Layout only: reads through queries/supervision.py (uncached: a task does not change the
data version), writes through data/supervision.py, which checks every rule against the
signed-in account. A refused save shows the reason and keeps what was typed.
"""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
import streamlit as st

from components import auth, db, supervise, tables, views
from components.format import fmt_period, fmt_value, md_text
from components.views import Col
from core.metrics import BY_CODE
from data import supervision as sv
from queries import regions as region_q
from queries import supervision as q
from queries.audit import to_local

MESSAGE_KEY = "_supervision_message"

ctx = db.get_context()
user = auth.require_user(ctx.url)
engine = db.engine_for(ctx.url)
scope = views.scoped_page_header("督办", ctx)
today = date.today()
issuer = user.role in ("province", "prefecture")
supervise.show_done()
if said := st.session_state.pop(MESSAGE_KEY, None):
    st.success(said, icon=":material/check_circle:")


def figure(metric, value) -> str:
    if metric is None or pd.isna(metric) or metric not in BY_CODE:
        return "—"
    return fmt_value(metric, None if pd.isna(value) else value)


def what(r) -> str:
    """The task's subject: the metric (with its gap at issue) or the matter."""
    if isinstance(r.metric, str) and r.metric in BY_CODE:
        gap = (
            ""
            if pd.isna(r.gap_at_issue)
            else f"，缺口 {int(r.gap_at_issue):,}{BY_CODE[r.metric].gap_unit}"
        )
        return f"{BY_CODE[r.metric].label}（{r.period}{gap}）"
    return str(r.matter or "—")


def done(message: str) -> None:
    st.session_state[MESSAGE_KEY] = message
    st.rerun()


# ---------------------------------------------------------------- the counts
counts = q.counts(engine, ctx.scope, ctx.period, q.since_last_meeting(today), today)
cols = st.columns(len(q.COUNT_LABELS))
for col, (k, label) in zip(cols, q.COUNT_LABELS.items(), strict=True):
    col.metric(label, f"{counts[k]:,} 件")
st.caption(
    f"新发起、已反馈、已销号为近 {q.LAST_MEETING_DAYS} 天（{q.since_last_meeting(today):%Y-%m-%d} 起）的件数；"
    "逾期未反馈、待反馈、待销号为当前件数。逾期：待反馈或被退回、已过办理期限。"
)

tasks = q.task_list(engine, ctx.scope, ctx.period, today=today)

# ---------------------------------------------------------------- to answer
mine = tasks[(tasks["region_code"] == ctx.scope) & tasks["status"].isin(sv.AWAITING_ANSWER)]
if user.role in ("county", "prefecture"):
    st.subheader(f"待反馈（{len(mine)} 件）")
    if mine.empty:
        st.success("没有待反馈的督办事项。", icon=":material/check_circle:")
    for r in mine.itertuples():
        with st.container(border=True, key=f"task_{r.id}"):
            late = f"，已逾期 {-r.days_left} 天" if r.overdue else f"，还剩 {r.days_left} 天"
            st.markdown(
                f"**#{r.id} {md_text(what(r))}** · 期限 {r.deadline:%Y-%m-%d}{late} · {r.status_label}"
            )
            st.markdown(f"整改要求：{md_text(r.requirement)}")
            if isinstance(r.metric, str):
                st.caption(
                    f"督办时 {figure(r.metric, r.value_at_issue)}；{fmt_period(ctx.period)}"
                    f" {figure(r.metric, r.value_now)}"
                )
            text = st.text_area("反馈整改情况", max_chars=sv.MAX_ANSWER, key=f"answer_{r.id}")
            by = st.date_input(
                "整改完成（预计）日期", value=today, key=f"done_{r.id}", format="YYYY-MM-DD"
            )
            if st.button("提交反馈", type="primary", key=f"answer_go_{r.id}"):
                try:
                    sv.answer(engine, user.username, int(r.id), text, by)
                except sv.SupervisionError as refused:
                    st.error(f"未能提交：{refused}（填写的内容仍保留。）", icon=":material/block:")
                else:
                    del st.session_state[f"answer_{r.id}"]
                    done(f"已反馈督办事项 #{r.id}。")

# ---------------------------------------------------------------- the list
st.subheader("督办事项")
f1, f2, f3, f4 = st.columns([2, 2, 2, 1], vertical_alignment="bottom")
status = f1.selectbox(
    "状态",
    [None, *sv.STATUS_LABELS],
    format_func=lambda s: sv.STATUS_LABELS.get(s, "全部"),
    key="sv_status",
)
metrics = sorted({m for m in tasks["metric"] if isinstance(m, str) and m in BY_CODE})
metric = f2.selectbox(
    "指标",
    [None, *metrics],
    format_func=lambda m: BY_CODE[m].label if m else "全部",
    key="sv_metric",
)
prefectures = (
    region_q.children_of(engine, ctx.scope, ctx.scope, "prefecture")
    if scope.get("level") == "province"
    else pd.DataFrame(columns=["code", "name"])
)
names = dict(zip(prefectures["code"], prefectures["name"], strict=True))
prefecture = f3.selectbox(
    "设区市",
    [None, *names],
    format_func=lambda c: names.get(c, "全部"),
    key="sv_prefecture",
    disabled=not names,
)
overdue_only = f4.toggle("只看逾期", key="sv_overdue")
shown = q.task_list(
    engine, ctx.scope, ctx.period, status=status, metric=metric, prefecture=prefecture,
    overdue_only=overdue_only, today=today,
)  # fmt: skip
listed = shown.assign(
    subject=[what(r) for r in shown.itertuples()],
    at_issue=[figure(m, v) for m, v in zip(shown["metric"], shown["value_at_issue"], strict=True)],
    now=[figure(m, v) for m, v in zip(shown["metric"], shown["value_now"], strict=True)],
    state=[
        f"{s}（逾期）" if o else s
        for s, o in zip(shown["status_label"], shown["overdue"], strict=True)
    ],
    issued=[to_local(t).strftime("%Y-%m-%d") for t in shown["issued_at"]],
)
view = views.display_frame(
    listed,
    [
        Col("id", "编号", fmt="%d"),
        Col("region_name", "被督办地区"),
        Col("prefecture_name", "所属设区市", none="—"),
        Col("subject", "督办事项"),
        Col("at_issue", "督办时数值"),
        Col("now", f"{fmt_period(ctx.period)}数值"),
        Col("state", "状态"),
        Col("deadline", "办理期限"),
        Col("issued", "发起日期"),
        Col("answer", "最新反馈", none="—"),
    ],
)
if view.empty:
    st.info("没有符合条件的督办事项。")
else:
    tables.data_table(
        view,
        title="督办事项",
        caption=tables.export_caption("督办事项", scope["name"], ctx.period),
        key="sv_tasks",
    )

# ---------------------------------------------------------------- one task
if len(shown):
    labels = {
        int(r.id): f"#{r.id} {r.region_name} · {what(r)} · {r.status_label}"
        for r in shown.itertuples()
    }
    picked = st.selectbox(
        "查看一件督办事项的经过", list(labels), format_func=labels.get, index=None,
        placeholder="请选择", key="sv_pick",
    )  # fmt: skip
    if picked is not None:
        r = next(shown[shown["id"] == picked].itertuples())
        st.markdown(f"**整改要求**：{md_text(r.requirement)}")
        events = q.history(engine, ctx.scope, ctx.period, picked)
        history = pd.DataFrame(
            {
                "时间": [to_local(t).strftime("%Y-%m-%d %H:%M") for t in events["at"]],
                "用户": events["username"],
                "操作": events["action"].map(sv.EVENT_LABELS),
                "内容": events["body"].fillna("—"),
                "日期": [
                    (f"完成 {d}" if d is not None and not pd.isna(d) else "")
                    + (f"期限 {dl}" if dl is not None and not pd.isna(dl) else "")
                    for d, dl in zip(events["done_on"], events["deadline"], strict=True)
                ],
            }
        )
        tables.data_table(history, title="督办经过", key="sv_history")
        if issuer and r.status == sv.ANSWERED and r.issuer_region == ctx.scope:
            a, b = st.columns(2)
            with a:
                if st.button("销号（整改到位）", type="primary", key="sv_accept"):
                    try:
                        sv.accept(engine, user.username, picked)
                    except sv.SupervisionError as refused:
                        st.error(f"未能销号：{refused}", icon=":material/block:")
                    else:
                        done(f"督办事项 #{picked} 已销号。")
            with b:
                reason = st.text_area("退回理由", max_chars=sv.MAX_REASON, key="sv_reason")
                again = st.date_input(
                    "新的办理期限", value=today + timedelta(days=sv.DEFAULT_DAYS), min_value=today,
                    key="sv_again", format="YYYY-MM-DD",
                )  # fmt: skip
                if st.button("退回重新整改", key="sv_return"):
                    try:
                        sv.send_back(engine, user.username, picked, reason, again)
                    except sv.SupervisionError as refused:
                        st.error(
                            f"未能退回：{refused}（填写的内容仍保留。）", icon=":material/block:"
                        )
                    else:
                        del st.session_state["sv_reason"]
                        done(f"督办事项 #{picked} 已退回，新的办理期限 {again:%Y-%m-%d}。")

# ---------------------------------------------------------------- a matter of its own
if issuer:
    with st.expander("新建督办（指标以外的事项）"):
        level = "county"
        places = region_q.children_of(engine, ctx.scope, ctx.scope, level)
        if scope.get("level") == "province":
            places = pd.concat([prefectures, places], ignore_index=True)
        place_names = dict(zip(places["code"], places["name"], strict=True))
        where = st.selectbox(
            "被督办地区", list(place_names), format_func=place_names.get, index=None,
            placeholder="请选择县（市、区）或设区市", key="sv_new_region",
        )  # fmt: skip
        matter = st.text_input("督办事项", max_chars=sv.MAX_MATTER, key="sv_new_matter")
        requirement = st.text_area("整改要求", max_chars=sv.MAX_REQUIREMENT, key="sv_new_req")
        deadline = st.date_input(
            "办理期限", value=today + timedelta(days=sv.DEFAULT_DAYS), min_value=today,
            key="sv_new_deadline", format="YYYY-MM-DD",
        )  # fmt: skip
        if st.button("发起督办", type="primary", key="sv_new_go"):
            if where is None:
                st.error("请选择被督办地区。", icon=":material/block:")
            else:
                try:
                    ids = sv.issue(
                        engine, user.username,
                        [sv.Order(where, requirement, matter=matter, deadline=deadline)],
                    )  # fmt: skip
                except sv.SupervisionError as refused:
                    st.error(f"未能发起：{refused}（填写的内容仍保留。）", icon=":material/block:")
                else:
                    for k in ("sv_new_matter", "sv_new_req"):
                        del st.session_state[k]
                    done(f"已向{md_text(place_names[where])}发起督办 #{ids[0]}。")
