"""审计日志 (admin only): browse and filter audit_log — sign-ins and failures (with the
client's address and agent), exports, imports, views of individual records, user
administration (DESIGN.md §6) — and whether its hash chain verifies (data/audit.py).

Read fresh on every run (never cached: an audit page must show what just happened). Times are
stored in UTC and shown in Beijing time; the date filter is by Beijing calendar day. Only the
chain's verdict is cached, for a minute or until a row is added or removed: walking a long log
takes seconds, and the page reruns on every filter change.
"""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
import streamlit as st

from components import db, signin, tables
from queries import audit

LIMIT = 2000

ctx = db.get_context()
user = signin.page_user(ctx.url, __file__)  # its row of components/nav.py: admins only
engine = db.engine_for(ctx.url)

st.title("审计日志")
st.caption("登录（成功与失败）、导出、导入、查看个人记录和用户管理操作均记录在此。时间为北京时间。")


@st.cache_data(ttl=60, show_spinner="正在校验审计日志哈希链…")
def _chain(url: str, extent: tuple[int, int | None]) -> audit.ChainReport:
    return audit.verify_chain(db.engine_for(url))


chain = _chain(ctx.url, audit.log_extent(engine))
if chain.ok:
    st.success(f"哈希链校验通过：{chain.rows:,} 条记录环环相扣，未发现修改、删除或插入。")
else:
    st.error(f"哈希链在编号 {chain.broken_id} 处断开：{chain.problem_zh()}。")
if chain.unchained:
    st.caption(
        f"编号 {chain.unchained_before} 之前的 {chain.unchained:,} 条记录写于哈希链启用之前，未纳入校验。"
    )

today = audit.to_local(audit.utc_now()).date()
c1, c2, c3, c4 = st.columns([2, 1, 2, 2])
days = c1.date_input(
    "日期范围",
    value=(today - timedelta(days=6), today),
    max_value=today,
    format="YYYY-MM-DD",
    key="audit_days",
)
since, until = (days[0], days[-1]) if isinstance(days, tuple | list) and days else (None, None)
names = audit.usernames(engine)
who = c2.selectbox("用户", ["", *names], format_func=lambda n: n or "全部", key="audit_user")
actions = c3.multiselect(
    "操作",
    list(audit.ACTIONS),
    format_func=audit.ACTION_LABELS.get,
    placeholder="全部操作",
    key="audit_actions",
)
target = c4.text_input("对象包含", key="audit_target", placeholder="如 文件名、用户名、清单名")

log = audit.read_log(
    engine,
    since=since,
    until=until,
    username=who or None,
    actions=actions or None,
    target_contains=target.strip() or None,
    limit=LIMIT,
)

counts = log["action"].value_counts()
m1, m2, m3, m4 = st.columns(4)
m1.metric("记录条数", f"{len(log):,} 条")
m2.metric("登录成功", f"{int(counts.get('sign_in', 0)):,} 次")
m3.metric(
    "登录失败",
    f"{int(counts.get('sign_in_failed', 0) + counts.get('sign_in_locked', 0)):,} 次",
)
m4.metric("导出", f"{int(counts.get('export', 0)):,} 次")

if log.empty:
    st.info("所选条件下没有审计记录。")
    st.stop()
if len(log) == LIMIT:
    st.caption(f"只显示最近的 {LIMIT:,} 条，请缩小日期范围或增加筛选条件。")

shown = pd.DataFrame(
    {
        "编号": log["id"],
        "时间": log["at"].map(lambda t: audit.to_local(t).strftime("%Y-%m-%d %H:%M:%S")),
        "用户": log["username"].fillna("—"),
        "操作": log["action"].map(lambda a: audit.ACTION_LABELS.get(a, a)),
        "对象": log["target"].fillna("—"),
        "来源地址": log["client_addr"].fillna("—"),
        "客户端": log["user_agent"].fillna("—"),
    }
)
period_text = f"{since} 至 {until}" if since else "全部日期"
tables.data_table(shown, title="审计日志", caption=f"审计日志 · {period_text}", key="audit_table")
